//! Barn simulator (being written).
