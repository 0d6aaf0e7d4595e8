import AVFoundation
import UIKit
import Yannong

/// The leaf-check screen's state: camera permission, the camera, and the newest answer.
/// Checks one frame at a time, back to back, for as long as the screen's task runs.
@MainActor
final class CameraModel: ObservableObject {
    enum Status: Equatable {
        case starting
        /// Denied or restricted: only Settings can change it.
        case denied
        case running
        case failed(String)
    }

    @Published private(set) var status = Status.starting
    @Published private(set) var answer: LeafAnswer?
    /// A check that failed (the camera keeps running and the next frame is tried).
    @Published private(set) var problem: String?

    let source = FrameSource()
    private var checker: LeafChecker?

    /// Runs until the calling task is cancelled (the view's `.task` ends when it disappears).
    func run() async {
        guard await cameraAllowed() else {
            status = .denied
            return
        }
        do {
            let checker = try await openChecker()
            UIDevice.current.beginGeneratingDeviceOrientationNotifications()
            defer { UIDevice.current.endGeneratingDeviceOrientationNotifications() }
            followDeviceOrientation()
            let frames = try await source.start()
            status = .running
            await Self.check(frames, with: checker, source: source, showing: self)
        } catch {
            status = .failed(userMessage(for: error))
        }
        source.stop()
    }

    func followDeviceOrientation() {
        source.follow(UIDevice.current.orientation)
    }

    private func cameraAllowed() async -> Bool {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized: return true
        case .notDetermined: return await AVCaptureDevice.requestAccess(for: .video)
        default: return false
        }
    }

    /// Loads the bundled model once per screen (project.yml copies models/leaf into the app as
    /// `leaf/`); without it the check falls back to the colour rule.
    private func openChecker() async throws -> LeafChecker {
        if let checker { return checker }
        let opened = try await LeafChecker.open(
            modelDirectory: Bundle.main.url(forResource: "leaf", withExtension: nil))
        checker = opened
        return opened
    }

    private func show(_ outcome: Result<LeafAnswer, Error>) {
        switch outcome {
        case let .success(answer):
            self.answer = answer
            problem = nil
        case let .failure(error):
            problem = userMessage(for: error)
        }
    }

    /// The loop runs off the main actor: frames, checks and `LeafResult`s stay there, and only
    /// the screen's `Sendable` summary crosses over. One frame at a time: the source copies no
    /// new frame until `frameDone()`.
    private nonisolated static func check(
        _ frames: AsyncStream<LeafFrame>, with checker: LeafChecker, source: FrameSource,
        showing model: CameraModel
    ) async {
        for await frame in frames {
            let outcome: Result<LeafAnswer, Error>
            do {
                outcome = .success(LeafAnswer(try await checker.check(frame)))
            } catch is CancellationError {
                break
            } catch {
                outcome = .failure(error)
            }
            await model.show(outcome)
            source.frameDone()
        }
    }
}

/// What the screen shows of a `LeafResult`, in the language the checker was opened with.
struct LeafAnswer: Equatable, Sendable {
    let verdict: String
    let judged: Bool
    let maturity: String?
    let disease: String?
    let hints: [String]
    let advice: [String]

    init(_ result: LeafResult) {
        switch result.verdict {
        case .ok: verdict = Lang.pick(zh: "已识别", en: "Checked")
        case .retake: verdict = Lang.pick(zh: "请重拍", en: "Please retake")
        case .notSure: verdict = Lang.pick(zh: "拿不准", en: "Not sure")
        case .noLeaf: verdict = Lang.pick(zh: "没有看到烟叶", en: "No leaf in view")
        }
        judged = result.verdict == .ok
        maturity = result.maturity.map { answer in
            let estimate = answer.source == .colour || !answer.sure
            return "\(answer.name.text) · \(answer.explanation.text)"
                + (estimate ? Lang.pick(zh: "（估计）", en: " (estimate)") : "")
        }
        disease = result.disease.map { disease in
            let percent = Int((disease.probability * 100).rounded())
            return "\(disease.name.text) \(percent)%"
                + (disease.confident ? "" : Lang.pick(zh: "（仅供参考）", en: " (hint only)"))
        }
        hints = result.hints.map(\.text)
        advice = result.advice.map { advice in
            [advice.harvest.text] + (advice.recipeName.map { [$0.text] } ?? []) + advice.notes.map(\.text)
        } ?? []
    }
}
