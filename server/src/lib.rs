//! Yannong's reference barn platform: the HTTP API phones talk to, its storage, and a physical
//! barn simulator that stands in for real barns in demos and tests.

pub mod alarm;
pub mod api;
pub mod auth;
pub mod clock;
pub mod lessons;
pub mod platform;
pub mod push;
pub mod serve;
pub mod sim;
pub mod simulate;
pub mod store;
