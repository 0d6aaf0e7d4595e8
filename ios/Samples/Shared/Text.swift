import Foundation
import Yannong

/// The samples' own labels follow the core's language rule (English if the preferred language
/// is English, Simplified Chinese otherwise), so a screen never mixes the core's texts with
/// labels in another language.
enum Lang {
    static let isEnglish = (Locale.preferredLanguages.first ?? "zh-Hans").lowercased().hasPrefix("en")

    static func pick(zh: String, en: String) -> String {
        isEnglish ? en : zh
    }
}

/// What to show for a failed call: the core's own message (in the language above) when it is a
/// `YannongError`, the system's description otherwise.
func userMessage(for error: Error) -> String {
    (error as? YannongError)?.message ?? error.localizedDescription
}
