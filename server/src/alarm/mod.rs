//! The platform's alarm engine (curing-domain.md §3): rules as versioned data, evaluated per
//! barn over incoming readings and the clock.

pub mod engine;
mod measure;
pub mod rules;
mod service;

pub use engine::{BarnAlarms, Change, Cure, Transition};
pub use measure::Step;
pub use rules::{RuleSet, RulesError};
pub use service::AlarmService;
