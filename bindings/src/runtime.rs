//! The bindings' one tokio runtime, created on first use. Blocking work (SQLite, curve
//! sampling) runs on its blocking pool so no call ever blocks the app's UI thread.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use tokio::runtime::Runtime;
use yannong_core::cancel::Cancel;

use crate::YannongError;

pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .thread_name("yannong")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the Yannong runtime: {e}"))
    })
}

/// Sets the flag when the awaiting future is dropped (Kotlin coroutine or Swift task cancelled).
struct CancelOnDrop(Arc<Cancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `f` on the blocking pool. If the caller stops waiting, `f` sees its cancel flag set.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, YannongError>
where
    T: Send + 'static,
    F: FnOnce(&Cancel) -> Result<T, YannongError> + Send + 'static,
{
    let cancel = Arc::new(Cancel::new(false));
    let guard = CancelOnDrop(Arc::clone(&cancel));
    let result = runtime().spawn_blocking(move || f(&cancel)).await;
    // The work is over, so raising the flag now (as the guard does) changes nothing.
    drop(guard);
    result.map_err(|e| match e.try_into_panic() {
        Ok(panic) => YannongError::Internal {
            detail: format!("core panicked: {}", panic_message(&*panic)),
        },
        Err(_) => YannongError::Cancelled,
    })?
}

/// Aborts the spawned task when the awaiting future is dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs async core work (network) on the bindings' runtime: Kotlin and Swift poll our futures
/// from their own executors, which have no tokio reactor. Dropping the caller's future aborts
/// the work.
pub(crate) async fn on_runtime<T, F>(fut: F) -> Result<T, YannongError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, YannongError>> + Send + 'static,
{
    let task = runtime().spawn(fut);
    let _abort = AbortOnDrop(task.abort_handle());
    task.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => YannongError::Internal {
            detail: format!("core panicked: {}", panic_message(&*panic)),
        },
        Err(_) => YannongError::Cancelled,
    })?
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Drives an async FFI method to completion on a fresh current-thread runtime (with timers),
/// as a foreign caller's executor would; for unit tests.
#[cfg(test)]
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(f)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn dropping_the_caller_sets_the_cancel_flag() {
        let (started_tx, started_rx) = mpsc::channel();
        let (seen_tx, seen_rx) = mpsc::channel();
        let fut = blocking(move |cancel| {
            started_tx.send(()).unwrap();
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen_tx.send(()).unwrap();
            Err::<(), _>(YannongError::Cancelled)
        });
        block_on(async {
            let mut fut = Box::pin(fut);
            // Start the work, then abandon the future the way a cancelled coroutine does.
            tokio::select! {
                _ = &mut fut => panic!("finished without being cancelled"),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        seen_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the blocking work saw the cancel flag");
    }

    #[test]
    fn a_panic_in_the_core_is_an_internal_error() {
        let err =
            block_on(blocking(|_| -> Result<(), YannongError> { panic!("boom") })).unwrap_err();
        assert!(
            matches!(&err, YannongError::Internal { detail } if detail.contains("boom")),
            "{err:?}"
        );
    }
}
