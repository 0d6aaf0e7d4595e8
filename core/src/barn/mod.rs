//! Barn monitoring: the platform's wire types ([`api`]), shared with `yannong-server` so the
//! client and the platform cannot drift.

pub mod api;
