//! A TCP proxy in front of the test platform that behaves like a poor rural connection: it
//! can slow the platform's answers to a given rate and cut each connection after a given
//! number of bytes, as a tower handover or a dead zone does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug)]
pub struct FlakyProxy {
    pub addr: SocketAddr,
    /// Bytes per second towards the phone; 0 = as fast as it goes.
    pub rate: Arc<AtomicU64>,
    /// Bytes towards the phone after which a connection is cut; 0 = never.
    pub cut_after: Arc<AtomicU64>,
    /// Connections cut so far.
    pub cuts: Arc<AtomicU64>,
    /// Most connections from the phone open at the same time so far.
    pub most_open: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl FlakyProxy {
    pub async fn start(upstream: SocketAddr) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (rate, cut_after, cuts) = Default::default();
        let most_open = Arc::new(AtomicU64::new(0));
        let settings = Settings {
            rate: Arc::clone(&rate),
            cut_after: Arc::clone(&cut_after),
            cuts: Arc::clone(&cuts),
        };
        let open = Arc::new(AtomicU64::new(0));
        let most = Arc::clone(&most_open);
        let task = tokio::spawn(async move {
            while let Ok((phone, _)) = listener.accept().await {
                let s = settings.clone();
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let open = Arc::clone(&open);
                tokio::spawn(async move {
                    if let Ok(platform) = TcpStream::connect(upstream).await {
                        relay(phone, platform, s).await;
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        FlakyProxy {
            addr,
            rate,
            cut_after,
            cuts,
            most_open,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Clone)]
struct Settings {
    rate: Arc<AtomicU64>,
    cut_after: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
}

async fn relay(phone: TcpStream, platform: TcpStream, s: Settings) {
    let (mut phone_rx, mut phone_tx) = phone.into_split();
    let (mut platform_rx, mut platform_tx) = platform.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut phone_rx, &mut platform_tx).await;
    });
    let mut sent = 0u64;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match platform_rx.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let cut = s.cut_after.load(Ordering::Relaxed);
        let n = if cut > 0 && sent + n as u64 >= cut {
            (cut - sent) as usize
        } else {
            n
        };
        if phone_tx.write_all(&buf[..n]).await.is_err() {
            break;
        }
        sent += n as u64;
        if cut > 0 && sent >= cut {
            s.cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
        let rate = s.rate.load(Ordering::Relaxed);
        if rate > 0 {
            tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64)).await;
        }
    }
    up.abort();
    // Dropping both halves closes the phone's connection mid-answer.
}
