//! Slow and idle client protection without a timer per request.
//!
//! hyper's `header_read_timeout` arms a timer for every request, which cost about a sixth of the
//! throughput on /health. Instead each connection keeps two timestamps in its own atomics,
//! against a coarse clock that one background task advances: when it started receiving a request
//! (set by the first bytes read after the previous response) and when it last finished one. The
//! same task closes connections stuck in their headers past the header timeout, and idle
//! keep-alive connections past the idle timeout.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Milliseconds since start, advanced by the reaper; reads are a relaxed load.
#[derive(Default)]
pub struct CoarseClock(AtomicU64);

impl CoarseClock {
    pub fn now(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

pub struct ConnGuard {
    clock: Arc<CoarseClock>,
    /// Clock value when the current request's first bytes arrived; 0 when not receiving one.
    receiving_since: AtomicU64,
    /// Clock value when the last response finished (or the connection opened).
    idle_since: AtomicU64,
    in_flight: AtomicU32,
    pub close: Notify,
}

impl ConnGuard {
    /// A request was parsed and handed to the service.
    pub fn request_started(&self) {
        self.receiving_since.store(0, Relaxed);
        self.in_flight.fetch_add(1, Relaxed);
    }
    pub fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Relaxed);
        self.idle_since.store(self.clock.now().max(1), Relaxed);
    }
    fn bytes_arrived(&self) {
        if self.in_flight.load(Relaxed) == 0 && self.receiving_since.load(Relaxed) == 0 {
            self.receiving_since.store(self.clock.now().max(1), Relaxed);
        }
    }
}

/// The live connections and the task that closes the stuck ones.
pub struct Reaper {
    clock: Arc<CoarseClock>,
    conns: Mutex<HashMap<u64, Weak<ConnGuard>>>,
    next: AtomicU64,
}

impl Reaper {
    pub fn start(header_timeout: Duration, idle_timeout: Duration) -> Arc<Reaper> {
        let reaper = Arc::new(Reaper {
            clock: Arc::new(CoarseClock::default()),
            conns: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        });
        let weak = Arc::downgrade(&reaper);
        let tick = (header_timeout.min(idle_timeout) / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
        let (header_ms, idle_ms) = (header_timeout.as_millis() as u64, idle_timeout.as_millis() as u64);
        tokio::spawn(async move {
            let start = Instant::now();
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                let Some(reaper) = weak.upgrade() else { return };
                let now = start.elapsed().as_millis() as u64 + 1;
                reaper.clock.0.store(now, Relaxed);
                let mut conns = reaper.conns.lock().expect("reaper lock");
                conns.retain(|_, g| g.strong_count() > 0);
                for g in conns.values().filter_map(Weak::upgrade) {
                    let receiving = g.receiving_since.load(Relaxed);
                    let stuck_in_headers = receiving != 0 && now.saturating_sub(receiving) > header_ms;
                    let idle = g.in_flight.load(Relaxed) == 0
                        && receiving == 0
                        && now.saturating_sub(g.idle_since.load(Relaxed)) > idle_ms;
                    if stuck_in_headers || idle {
                        g.close.notify_one();
                    }
                }
            }
        });
        reaper
    }

    /// Register a new connection. Until its first request it counts as receiving headers.
    pub fn register(&self) -> Arc<ConnGuard> {
        let now = self.clock.now().max(1);
        let guard = Arc::new(ConnGuard {
            clock: self.clock.clone(),
            receiving_since: AtomicU64::new(now),
            idle_since: AtomicU64::new(now),
            in_flight: AtomicU32::new(0),
            close: Notify::new(),
        });
        let id = self.next.fetch_add(1, Relaxed);
        self.conns.lock().expect("reaper lock").insert(id, Arc::downgrade(&guard));
        guard
    }
}

/// A stream that tells its guard when request bytes arrive.
pub struct Watched<S> {
    inner: S,
    guard: Arc<ConnGuard>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, guard: Arc<ConnGuard>) -> Self {
        Watched { inner, guard }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.guard.bytes_arrived();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
