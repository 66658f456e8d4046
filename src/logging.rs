//! What lbstack is doing, on stderr, when asked: `-v` (or `LBSTACK_LOG=debug`) logs each AWS
//! call with its status, attempts and time, each retry and each wait; `-vv` (`LBSTACK_LOG=trace`)
//! adds the rate gate's waits. Only lbstack's own events are ever logged: the SDK's trace level
//! prints whole requests (signed headers, session tokens, bodies with secrets), so its targets are
//! never switched on, whatever `LBSTACK_LOG` says. An event names operations, statuses, error
//! codes, addresses and durations; never a request or response body.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::future::Future;
use std::time::{Duration, Instant};
use tracing::level_filters::LevelFilter;

/// The level asked for: `LBSTACK_LOG` when set (a level name), else one step per `-v`.
pub fn level(verbosity: u8, env: Option<&str>) -> Result<LevelFilter, String> {
    match env.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<LevelFilter>()
            .map_err(|_| format!("LBSTACK_LOG={v} is not a level (off, error, warn, info, debug, trace)")),
        None => Ok(match verbosity {
            0 => LevelFilter::OFF,
            1 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        }),
    }
}

/// Install the stderr logger for lbstack's own events at `level` (nothing when off).
pub fn init(level: LevelFilter) {
    use tracing_subscriber::layer::SubscriberExt;
    if level == LevelFilter::OFF {
        return;
    }
    let only_ours = tracing_subscriber::filter::Targets::new().with_target("lbstack", level);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_timer(SinceStart(Instant::now()))
        .with_ansi(false)
        .with_max_level(level)
        .finish()
        .with(only_ours);
    // A second init (tests calling `cli::main` twice) keeps the first logger.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Whether any of lbstack's debug events is wanted (the live view then gives way to log lines).
pub fn verbose() -> bool {
    tracing::enabled!(target: "lbstack::aws", tracing::Level::DEBUG)
}

/// When the operation started, kept in the call's config bag.
#[derive(Debug, Clone, Copy)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// When the current attempt started.
#[derive(Debug, Clone, Copy)]
struct AttemptStarted(Instant);

impl Storable for AttemptStarted {
    type Storer = StoreReplace<Self>;
}

/// Logs every AWS call: one line when it ends (status, attempts, time), one per failed attempt
/// the SDK retries.
#[derive(Debug)]
pub struct LogCalls;

fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into())
}

fn step() -> String {
    crate::live::STEP.try_with(|s| format!(" [{s}]")).unwrap_or_default()
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

/// What an attempt or call came to: the HTTP status and time, and for a refusal the service's
/// error (its code and message, as the user would see them) or the transport failure.
fn outcome(ctx: &FinalizerInterceptorContextRef<'_>, took: u128) -> String {
    let status =
        ctx.response().map(|r| format!("HTTP {}", r.status().as_u16())).unwrap_or_else(|| "no response".into());
    match ctx.output_or_error() {
        Some(Err(e)) => {
            let why = match e.as_operation_error() {
                Some(op) => first_line(&op.to_string()),
                None if e.is_timeout_error() => "timed out".to_string(),
                None if e.is_connector_error() => "connection failed".to_string(),
                None => first_line(&aws_smithy_types::error::display::DisplayErrorContext(e).to_string()),
            };
            format!("{status} in {took} ms: {why}")
        }
        _ => format!("{status} in {took} ms"),
    }
}

/// The failed attempt before a retry, kept until the retry starts (only then is it news).
#[derive(Debug, Clone)]
struct FailedAttempt(String);

impl Storable for FailedAttempt {
    type Storer = StoreReplace<Self>;
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

impl Intercept for LogCalls {
    fn name(&self) -> &'static str {
        "lbstack::LogCalls"
    }

    fn read_before_execution(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map(|a| a.attempts()).unwrap_or(1);
        if attempt > 1
            && let Some(FailedAttempt(failure)) = cfg.load::<FailedAttempt>()
        {
            tracing::debug!(target: "lbstack::aws", "{}{} retry, attempt {attempt}, after {failure}", operation(cfg), step());
        }
        cfg.interceptor_state().store_put(AttemptStarted(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(ctx.output_or_error(), Some(Err(_))) {
            let took = cfg.load::<AttemptStarted>().map(|s| millis(s.0.elapsed())).unwrap_or_default();
            let failure = FailedAttempt(outcome(ctx, took));
            cfg.interceptor_state().store_put(failure);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempts = cfg.load::<RequestAttempts>().map(|a| a.attempts()).unwrap_or(1);
        let took = cfg.load::<Started>().map(|s| millis(s.0.elapsed())).unwrap_or_default();
        let tries = if attempts > 1 { format!(" ({attempts} attempts)") } else { String::new() };
        tracing::debug!(target: "lbstack::aws", "{}{} {}{tries}", operation(cfg), step(), outcome(ctx, took));
        Ok(())
    }
}

/// Seconds since the start, to the millisecond: what a reader of a slow run compares.
struct SinceStart(Instant);

impl tracing_subscriber::fmt::time::FormatTime for SinceStart {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "{:8.3}s", self.0.elapsed().as_secs_f64())
    }
}

/// Await a wait on AWS (a waiter, a poll), logging what it waits for and how long it took.
pub async fn waiting<T>(what: &str, wait: impl Future<Output = T>) -> T {
    let started = Instant::now();
    tracing::debug!(target: "lbstack::wait", "waiting {what}{}", step());
    let out = wait.await;
    tracing::debug!(target: "lbstack::wait", "done waiting {what}{} after {:.1} s", step(), started.elapsed().as_secs_f64());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_lbstack_log_or_the_count_of_v() {
        assert_eq!(level(0, None), Ok(LevelFilter::OFF));
        assert_eq!(level(1, None), Ok(LevelFilter::DEBUG));
        assert_eq!(level(3, None), Ok(LevelFilter::TRACE));
        assert_eq!(level(0, Some("debug")), Ok(LevelFilter::DEBUG));
        assert_eq!(level(2, Some(" ")), Ok(LevelFilter::TRACE));
        // A filter directive for other targets is refused: only lbstack's events are logged.
        assert!(level(0, Some("aws_smithy_runtime=trace")).unwrap_err().contains("is not a level"));
    }

    #[test]
    fn long_error_lines_are_cut() {
        assert_eq!(first_line("a\nb"), "a");
        assert_eq!(first_line(&"x".repeat(300)).chars().count(), 201);
    }
}
