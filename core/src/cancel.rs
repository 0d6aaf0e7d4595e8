//! Cooperative cancellation for long work: the caller sets the flag, the work checks it.

/// Set to `true` to ask a long computation or transfer to stop.
pub type Cancel = std::sync::atomic::AtomicBool;

/// True once cancellation was asked for.
pub fn cancelled(cancel: &Cancel) -> bool {
    cancel.load(std::sync::atomic::Ordering::Relaxed)
}

/// Resolves once `cancel` is raised (polled: the flag has no waker).
pub(crate) async fn wait_cancel(cancel: &Cancel) {
    while !cancelled(cancel) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sleeps `d`, returning early (true) when cancelled.
pub(crate) async fn sleep_or_cancel(d: std::time::Duration, cancel: &Cancel) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => cancelled(cancel),
        () = wait_cancel(cancel) => true,
    }
}
