//! Shared by the FFI integration tests.

use std::future::Future;

/// Drives one FFI future to completion, the way a Kotlin or Swift caller awaits it.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(f)
}
