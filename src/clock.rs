//! How fast time runs for lbstack's waits.
//!
//! On AWS, every wait takes AWS's own time. An emulator may run AWS's clock faster (the embedded
//! one does for tests: `EMU_TIME_SCALE`, where a load balancer provisions in 1.8 s instead of 3
//! minutes); `LBSTACK_TIME_SCALE` then shortens lbstack's waits by the same factor, the SDK's
//! waiters and retry backoff (through the SDK's sleep) as well as lbstack's own polls, so a wait
//! still polls as often relative to what it waits for. Read once; values outside (0, 1] are
//! ignored, so a wait is never made longer than AWS's own.

use std::sync::OnceLock;
use std::time::Duration;

/// The factor every wait is multiplied by: 1 unless `LBSTACK_TIME_SCALE` says otherwise.
pub fn scale() -> f64 {
    static SCALE: OnceLock<f64> = OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var("LBSTACK_TIME_SCALE")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| *s > 0.0 && *s <= 1.0)
            .unwrap_or(1.0)
    })
}

/// A duration of AWS's clock on the clock in use.
pub fn scaled(d: Duration) -> Duration {
    let s = scale();
    if s == 1.0 { d } else { d.mul_f64(s) }
}

pub async fn sleep(d: Duration) {
    tokio::time::sleep(scaled(d)).await
}

/// The SDK's sleep (waiters, retry backoff) on the clock in use.
#[derive(Debug, Clone, Copy)]
pub struct ScaledSleep;

impl aws_smithy_async::rt::sleep::AsyncSleep for ScaledSleep {
    fn sleep(&self, duration: Duration) -> aws_smithy_async::rt::sleep::Sleep {
        aws_smithy_async::rt::sleep::Sleep::new(tokio::time::sleep(scaled(duration)))
    }
}
