//! Serving the API on a socket.

use std::net::SocketAddr;

use axum::Extension;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::router;
use crate::platform::Platform;

/// Binds `addr` (port 0 picks a free one) and returns the listener and its real address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Tells live streams the server is stopping.
#[derive(Debug, Clone)]
pub struct Stopping(pub watch::Receiver<bool>);

/// Serves until `shutdown` resolves, then lets requests finish. Live streams end at once
/// (they never finish by themselves; phones reconnect and sync).
pub async fn serve(
    listener: TcpListener,
    platform: Platform,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let app = router(platform).layer(Extension(Stopping(stop_rx)));
    // The peer address feeds the login throttle.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await
}
