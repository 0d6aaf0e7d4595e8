//! Alarms on the phone: the inbox of signed events from push channels and catch-up.

mod inbox;

pub use inbox::{Inbox, PushError, Received};
