//! Bilingual user-facing text: Simplified Chinese first, English second.

use serde::{Deserialize, Serialize};

/// A user-facing string in both app languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

/// The language a user reads the app in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Zh,
    En,
}

impl Locale {
    /// Parses a BCP-47-ish tag ("zh-CN", "en_US", "zh-Hans"); anything not English reads Chinese,
    /// since that is who the app is for.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::Zh
        }
    }
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The string for `locale`, falling back to the other language when one is empty.
    pub fn get(&self, locale: Locale) -> &str {
        let (first, second) = match locale {
            Locale::Zh => (&self.zh, &self.en),
            Locale::En => (&self.en, &self.zh),
        };
        if first.trim().is_empty() {
            second
        } else {
            first
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags() {
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag("EN"), Locale::En);
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Locale::Zh);
        assert_eq!(Locale::from_tag(""), Locale::Zh);
    }

    #[test]
    fn falls_back_when_a_language_is_missing() {
        let t = Text::new("变黄期", "");
        assert_eq!(t.get(Locale::En), "变黄期");
        assert_eq!(Text::new("", "Yellowing").get(Locale::Zh), "Yellowing");
    }
}
