//! One way to wait: retry a step while its error is of a passing kind, or poll until a condition
//! holds, with a delay that doubles up to a cap and a deadline.
//!
//! The SDK's own retry config handles throttling and server faults of single calls, and its
//! waiters wait for states the models describe. What is left is decided by lbstack's error
//! classes (a target group still in use for a moment after its listener moved, a security group
//! whose network interfaces linger, a WAF lock token that went stale), so it lives here, in one
//! small function per shape instead of a loop per call site. No crate: the decisions are the
//! error classes of `aws_error`, and the loop around them is a dozen lines.

use std::future::Future;
use std::time::{Duration, Instant};

/// Delays from `first`, doubling up to `max`, until `limit` has passed.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub limit: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration, limit: Duration) -> Self {
        Backoff { first, max, limit }
    }
    /// A resource just released by another step: seconds, not minutes.
    pub const SHORT: Backoff =
        Backoff::new(Duration::from_millis(500), Duration::from_secs(15), Duration::from_secs(120));
    /// Lingering dependencies AWS releases on its own (network interfaces of a deleted load balancer).
    pub const LINGER: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(30), Duration::from_secs(600));
    /// A read-modify-write that lost a race: again at once, a few times.
    pub const RACE: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2), Duration::from_secs(30));
}

/// Run `attempt` until it succeeds, its error is not `passing`, or the backoff's limit passes
/// (then the last error is returned).
pub async fn retry<T, F, Fut>(
    backoff: Backoff,
    mut attempt: F,
    passing: impl Fn(&anyhow::Error) -> bool,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let start = Instant::now();
    let mut delay = backoff.first;
    // Delays and the limit are AWS's time; both run on the clock in use.
    let limit = crate::clock::scaled(backoff.limit);
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if passing(&e) && start.elapsed() + crate::clock::scaled(delay) <= limit => {
                tracing::debug!(target: "lbstack::wait", "{e:#}; trying again in {:.1} s", crate::clock::scaled(delay).as_secs_f64());
                crate::clock::sleep(delay).await;
                delay = (delay * 2).min(backoff.max);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Call `check` until it returns a value; fail with "gave up {what}" when the limit passes.
pub async fn poll<T, F, Fut>(backoff: Backoff, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let start = Instant::now();
    let mut delay = backoff.first;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if start.elapsed() > crate::clock::scaled(backoff.limit) {
            anyhow::bail!("gave up {what} after {} s", backoff.limit.as_secs());
        }
        tracing::debug!(target: "lbstack::wait", "still {what}; next check in {:.1} s", crate::clock::scaled(delay).as_secs_f64());
        crate::clock::sleep(delay).await;
        delay = (delay * 2).min(backoff.max);
    }
}

/// Whether an error is an AWS error of one of these classes.
pub fn is(classes: &'static [crate::aws_error::Class]) -> impl Fn(&anyhow::Error) -> bool {
    move |e| crate::aws_error::class(e).is_some_and(|c| classes.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn retries_passing_errors_until_success_and_stops_on_others() {
        let calls = AtomicU32::new(0);
        let quick = Backoff::new(Duration::from_millis(1), Duration::from_millis(4), Duration::from_secs(1));
        let r = retry(
            quick,
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 3 { Err(anyhow::anyhow!("busy")) } else { Ok(n) }
            },
            |e| e.to_string() == "busy",
        )
        .await;
        assert_eq!(r.unwrap(), 3);
        let r: anyhow::Result<()> =
            retry(quick, || async { Err(anyhow::anyhow!("broken")) }, |e| e.to_string() == "busy").await;
        assert_eq!(r.unwrap_err().to_string(), "broken");
    }

    #[tokio::test]
    async fn polling_gives_up_at_the_limit() {
        let quick = Backoff::new(Duration::from_millis(10), Duration::from_millis(200), Duration::from_secs(1));
        let r: anyhow::Result<()> = poll(quick, "waiting for nothing", || async { Ok(None) }).await;
        assert_eq!(r.unwrap_err().to_string(), "gave up waiting for nothing after 1 s");
    }
}
