//! Cooperative cancellation for long work: the caller sets the flag, the work checks it.

/// Set to `true` to ask a long computation or transfer to stop.
pub type Cancel = std::sync::atomic::AtomicBool;

/// True once cancellation was asked for.
pub fn cancelled(cancel: &Cancel) -> bool {
    cancel.load(std::sync::atomic::Ordering::Relaxed)
}
