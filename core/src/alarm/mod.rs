//! Alarms on the phone: the inbox of signed events from push channels and catch-up.

pub mod channel;
mod inbox;
pub mod notify;
pub mod outbox;
pub mod watchdog;

pub use channel::PushChannel;
pub use inbox::{Inbox, MAX_PUSH_AGE_HOURS, PushError, Pushed, Received};
pub use notify::{NotificationPlan, NotifyAction, PlanContext, QuietHours, QuietHoursError};
pub use outbox::{AckError, AckOutcome, FlushReport, PendingAck, Pressed};
pub use watchdog::{LocalAlarm, LocalAlarmKind, record_contact};
