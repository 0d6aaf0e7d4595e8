//! Notification channels, one per severity. Android fixes sound, vibration and Do Not
//! Disturb bypass per channel once it is created, so the ids are stable and the shells create
//! the channels from [`channels`] at start-up; iOS reads the same values per notification.

use crate::Text;
use crate::barn::api::Severity;

/// Android's `NotificationManager.IMPORTANCE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Importance {
    /// In the shade, no sound, no heads-up.
    Low,
    /// Sound, no heads-up.
    Default,
    /// Sound and heads-up.
    High,
    /// Sound, heads-up, full-screen where the system allows it.
    Max,
}

/// What a notification plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sound {
    None,
    /// The system's notification sound.
    Default,
    /// A loud alarm sound (Android `USAGE_ALARM`; iOS `defaultCritical`): a farmer asleep
    /// next to the barn must wake.
    Alarm,
}

/// One Android notification channel, as the shell creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Stable: Android keeps a channel's settings by id, renaming it would reset the user's.
    pub id: &'static str,
    pub severity: Severity,
    pub name: Text,
    pub description: Text,
    pub importance: Importance,
    pub sound: Sound,
    /// Android pattern: wait, buzz, wait, buzz… in ms; empty for none.
    pub vibration: &'static [u64],
    /// Sounds through the system's Do Not Disturb.
    pub bypass_dnd: bool,
}

/// Every alarm channel, most urgent first.
pub fn channels() -> Vec<Channel> {
    [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Info,
    ]
    .into_iter()
    .map(channel)
    .collect()
}

/// The channel alarms of `severity` are posted to.
pub fn channel(severity: Severity) -> Channel {
    match severity {
        Severity::Critical => Channel {
            id: "alarm_critical",
            severity,
            name: Text::new("严重报警", "Critical alarms"),
            description: Text::new(
                "烤房烟叶或安全有危险，须立即处理；免打扰时也会响铃",
                "Leaf or safety at risk, act now; rings through Do Not Disturb",
            ),
            importance: Importance::Max,
            sound: Sound::Alarm,
            vibration: &[0, 800, 400, 800, 400, 800],
            bypass_dnd: true,
        },
        Severity::Major => Channel {
            id: "alarm_major",
            severity,
            name: Text::new("重要报警", "Major alarms"),
            description: Text::new(
                "可能影响烟叶质量；夜间免打扰时段内静音显示",
                "Leaf quality likely to suffer; silent during quiet hours",
            ),
            importance: Importance::High,
            sound: Sound::Default,
            vibration: &[0, 400, 200, 400],
            bypass_dnd: false,
        },
        Severity::Minor => Channel {
            id: "alarm_minor",
            severity,
            name: Text::new("一般报警", "Minor alarms"),
            description: Text::new(
                "需要留意的情况；夜间免打扰时段内静音显示",
                "Needs attention; silent during quiet hours",
            ),
            importance: Importance::Default,
            sound: Sound::Default,
            vibration: &[0, 250],
            bypass_dnd: false,
        },
        Severity::Info => Channel {
            id: "alarm_info",
            severity,
            name: Text::new("提示", "Notices"),
            description: Text::new(
                "烘烤完成等提示，不响铃",
                "Notices such as a finished cure, never ring",
            ),
            importance: Importance::Low,
            sound: Sound::None,
            vibration: &[],
            bypass_dnd: false,
        },
    }
}
