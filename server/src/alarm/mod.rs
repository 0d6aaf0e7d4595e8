//! The platform's alarm engine (curing-domain.md §3): rules as versioned data, evaluated per
//! barn over incoming readings, the clock and the cure record; critical alarms escalate on a
//! schedule that is data too, through a pluggable SMS and voice-call gateway.

pub mod engine;
pub mod escalate;
pub mod hook;
mod measure;
pub mod rules;
mod service;

pub use engine::{BarnAlarms, Change, Cure, Transition};
pub use escalate::EscalationPolicy;
pub use hook::{LogNotifier, Notifier, RecordingNotifier};
pub use measure::{Occurrence, Step, cure_events};
pub use rules::{RuleSet, RulesError};
pub use service::AlarmService;
