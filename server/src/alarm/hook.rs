//! The SMS and voice-call gateway escalation uses. The platform ships one that only logs; a
//! deployment plugs in its operator's gateway with [`crate::platform::Platform::with_notifier`].

use std::sync::Mutex;

use crate::store::BarnContacts;
pub use crate::store::Contact;
use yannong_core::barn::api::{Alarm, UserId};

#[derive(Debug, thiserror::Error)]
#[error("notification gateway: {0}")]
pub struct NotifyError(pub String);

/// Sends short texts and places voice calls (text to speech). Texts are short Simplified
/// Chinese and carry no secrets; a failure is logged and the schedule moves on (its next
/// step is the next try to reach someone).
pub trait Notifier: Send + Sync + std::fmt::Debug {
    fn sms(&self, to: &Contact, text: &str) -> Result<(), NotifyError>;
    fn call(&self, to: &Contact, text: &str) -> Result<(), NotifyError>;
}

/// A phone number as logs may show it: 138****5678.
pub fn mask(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 8 {
        return "****".into();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// The SMS and the call script: where, what, what to do; nothing secret.
pub fn texts(alarm: &Alarm, c: &BarnContacts) -> (String, String) {
    let place = format!("{}{}（{}）", c.village, c.barn, c.owner.name);
    let (title, action) = (&alarm.title.zh, &alarm.action.zh);
    // Most actions start with the title ("循环风机停转，立即检修"): say it once.
    let what = match action.starts_with(title.as_str()) {
        true => action.clone(),
        false => format!("{title}。{action}"),
    };
    if alarm.cleared_at.is_some() {
        (
            format!("【烟农助手】{place}{title}已恢复，但报警仍未确认：请查看烟叶并在App中确认。"),
            format!(
                "烟农助手提醒：{place}{title}已恢复，但还没有人确认。请查看烟叶，并在App中确认。"
            ),
        )
    } else {
        (
            format!("【烟农助手】{place}严重报警：{what}。请在App中确认。"),
            format!("烟农助手紧急报警：{place}，{what}。处理后请在App中确认。"),
        )
    }
}

/// The default: writes what would be sent to the log, the number masked.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn sms(&self, to: &Contact, text: &str) -> Result<(), NotifyError> {
        tracing::info!(to = %mask(&to.phone), user = to.user.0, text, "SMS (no gateway: logged only)");
        Ok(())
    }

    fn call(&self, to: &Contact, text: &str) -> Result<(), NotifyError> {
        tracing::info!(to = %mask(&to.phone), user = to.user.0, text, "voice call (no gateway: logged only)");
        Ok(())
    }
}

/// How a message went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Sms,
    Call,
}

/// One message a [`RecordingNotifier`] took, the number masked as in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub via: Via,
    pub user: UserId,
    pub phone: String,
    pub text: String,
}

/// Keeps every message in order, for tests and for a demo that shows them.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    sent: Mutex<Vec<Sent>>,
}

impl RecordingNotifier {
    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.lock().clone()
    }

    /// Everything sent since the last `take`.
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.lock())
    }

    fn record(&self, via: Via, to: &Contact, text: &str) -> Result<(), NotifyError> {
        self.lock().push(Sent {
            via,
            user: to.user,
            phone: mask(&to.phone),
            text: text.to_owned(),
        });
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sent>> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Notifier for RecordingNotifier {
    fn sms(&self, to: &Contact, text: &str) -> Result<(), NotifyError> {
        self.record(Via::Sms, to, text)
    }

    fn call(&self, to: &Contact, text: &str) -> Result<(), NotifyError> {
        self.record(Via::Call, to, text)
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn numbers_are_masked_and_short_ones_hidden() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("+8613812345678"), "+86****5678");
        assert_eq!(mask("12345"), "****");
    }
}
