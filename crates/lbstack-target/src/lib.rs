//! `lbstack-target`: the reference service behind the load balancer.
//!
//! Lifecycle: serve → on SIGTERM/SIGINT drain (`/health` answers 503 so the load balancer stops
//! routing here, everything else is still served) for `--drain-seconds` → stop accepting, let
//! in-flight requests finish (bounded by `--shutdown-timeout-seconds`) → exit 0.
//!
//! It has no AWS SDK and never will: it must build small and static and run on any instance.

pub mod checks;
pub mod guard;
pub mod identity;
pub mod metrics;

use bytes::Bytes;
use checks::{Check, Checker};
use clap::Parser;
use guard::{ConnGuard, Reaper, Watched};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use identity::{Identity, ImdsMode};
use metrics::{Metrics, Route};
use std::convert::Infallible;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "lbstack-target",
    version,
    about = "The reference service behind an lbstack load balancer: health endpoints, metrics, graceful draining",
    after_help = "Endpoints:\n  GET /health        200 {status, instance_id, availability_zone, version, uptime_seconds}; 503 while draining\n  GET /health/deep   runs the --check dependencies (cached); 200, or 503 when a required one fails\n  GET /              which instance served the request (watch balancing and stickiness)\n  GET /metrics       Prometheus text\n  GET /work?ms=N     answers after N ms (at most 60000): a slow request for load and drain tests"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LBSTACK_TARGET_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one; the chosen address is printed at start).
    #[arg(long, short, env = "LBSTACK_TARGET_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Path of the shallow health check.
    #[arg(long, env = "LBSTACK_TARGET_HEALTH_PATH", default_value = "/health")]
    pub health_path: String,
    /// Path of the deep health check.
    #[arg(long, env = "LBSTACK_TARGET_DEEP_PATH", default_value = "/health/deep")]
    pub deep_path: String,
    /// A dependency for the deep check: NAME=tcp://HOST:PORT or NAME=http://HOST:PORT/PATH, with
    /// `,optional` appended for one that may fail without failing the check. Repeatable; in the
    /// environment, separate several with spaces.
    #[arg(long = "check", env = "LBSTACK_TARGET_CHECKS", value_delimiter = ' ', value_name = "NAME=URL")]
    pub checks: Vec<Check>,
    /// Timeout of each dependency check, in milliseconds.
    #[arg(long, env = "LBSTACK_TARGET_CHECK_TIMEOUT_MS", default_value_t = 2000)]
    pub check_timeout_ms: u64,
    /// How long deep-check results are reused, in milliseconds, so a storm of health checks
    /// cannot overload a dependency.
    #[arg(long, env = "LBSTACK_TARGET_CHECK_CACHE_MS", default_value_t = 2000)]
    pub check_cache_ms: u64,
    /// Seconds to keep serving after SIGTERM while /health answers 503. Match the target group's
    /// deregistration delay.
    #[arg(long, env = "LBSTACK_TARGET_DRAIN_SECONDS", default_value_t = 30)]
    pub drain_seconds: u64,
    /// After draining, how long in-flight requests may take before the process exits anyway.
    #[arg(long, env = "LBSTACK_TARGET_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30)]
    pub shutdown_timeout_seconds: u64,
    /// Most client connections open at once; further clients wait in the listen backlog.
    #[arg(long, env = "LBSTACK_TARGET_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// A client must send its request headers within this many milliseconds (slow-client guard).
    #[arg(long, env = "LBSTACK_TARGET_HEADER_READ_TIMEOUT_MS", default_value_t = 5000)]
    pub header_read_timeout_ms: u64,
    /// Close keep-alive connections idle this long. Keep it above the load balancer's idle
    /// timeout (60 s by default on an ALB), or the load balancer may reuse a closing connection
    /// and answer 502.
    #[arg(long, env = "LBSTACK_TARGET_IDLE_TIMEOUT_SECONDS", default_value_t = 75)]
    pub idle_timeout_seconds: u64,
    /// Instance id to report; skips instance metadata.
    #[arg(long, env = "LBSTACK_TARGET_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Availability zone to report.
    #[arg(long, env = "LBSTACK_TARGET_AZ")]
    pub availability_zone: Option<String>,
    /// When to ask EC2 instance metadata (IMDSv2) for the instance id and zone.
    #[arg(long, env = "LBSTACK_TARGET_IMDS", value_enum, default_value_t = ImdsMode::Auto)]
    pub imds: ImdsMode,
    /// Instance metadata endpoint.
    #[arg(long, env = "LBSTACK_TARGET_IMDS_ENDPOINT", default_value = "http://169.254.169.254")]
    pub imds_endpoint: String,
    /// Worker threads (default: one per core).
    #[arg(long, env = "LBSTACK_TARGET_WORKERS")]
    pub workers: Option<usize>,
}

struct State {
    identity: Identity,
    started: Instant,
    draining: AtomicBool,
    /// Accepting has stopped: every response closes its connection.
    closing: AtomicBool,
    metrics: Metrics,
    checker: Checker,
    health_path: String,
    deep_path: String,
    /// The constant tail of the /health body, rendered once.
    health_tail: String,
}

pub fn main() -> ExitCode {
    let config = Config::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lbstack-target: {e:#}");
            ExitCode::from(1)
        }
    }
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let addr = SocketAddr::new(config.bind, config.port);
    let listener = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;

    let identity = identity::resolve(
        config.instance_id.clone(),
        config.availability_zone.clone(),
        config.imds,
        &config.imds_endpoint,
        Duration::from_millis(500),
    )
    .await;
    let health_tail = format!(
        ",\"instance_id\":{},\"availability_zone\":{},\"version\":\"{}\",\"uptime_seconds\":",
        serde_json::Value::from(identity.instance_id.as_str()),
        serde_json::Value::from(identity.availability_zone.as_str()),
        env!("CARGO_PKG_VERSION")
    );
    let state = Arc::new(State {
        identity,
        started: Instant::now(),
        draining: AtomicBool::new(false),
        closing: AtomicBool::new(false),
        metrics: Metrics::default(),
        checker: Checker::new(
            config.checks.clone(),
            Duration::from_millis(config.check_timeout_ms),
            Duration::from_millis(config.check_cache_ms),
        ),
        health_path: config.health_path.clone(),
        deep_path: config.deep_path.clone(),
        health_tail,
    });
    let local = listener.local_addr()?;
    // One line on stdout that scripts and tests wait for.
    println!("lbstack-target listening on {local} as {} ({})", state.identity.instance_id, state.identity.source);
    let _ = std::io::stdout().flush();

    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let reaper = Reaper::start(
        Duration::from_millis(config.header_read_timeout_ms.max(1)),
        Duration::from_secs(config.idle_timeout_seconds.max(1)),
    );

    let first = async {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    };
    let why = accept_until(&listener, &state, &graceful, &permits, &reaper, first).await;

    state.draining.store(true, Relaxed);
    eprintln!("lbstack-target: {why}: draining for {} s (health answers 503)", config.drain_seconds);
    let drain = async {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(config.drain_seconds)) => "drain period over",
            _ = term.recv() => "second SIGTERM",
            _ = int.recv() => "second SIGINT",
        }
    };
    let why = accept_until(&listener, &state, &graceful, &permits, &reaper, drain).await;
    drop(listener);
    eprintln!("lbstack-target: {why}: stopped accepting; finishing in-flight requests");
    // Closing a keep-alive connection while its client is sending the next request loses that
    // request. So first answer whatever arrives, each answer with `Connection: close`, and give
    // idle connections a moment; only then close what is left.
    state.closing.store(true, Relaxed);
    let grace = Duration::from_millis(1000).min(Duration::from_secs(config.shutdown_timeout_seconds));
    let waited = Instant::now();
    while state.metrics.connections() > 0 && waited.elapsed() < grace {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    match tokio::time::timeout(Duration::from_secs(config.shutdown_timeout_seconds), graceful.shutdown()).await {
        Ok(()) => eprintln!("lbstack-target: all connections closed; exiting"),
        Err(_) => eprintln!(
            "lbstack-target: connections still open after {} s; exiting anyway",
            config.shutdown_timeout_seconds
        ),
    }
    Ok(())
}

async fn accept_until<F: std::future::Future<Output = &'static str>>(
    listener: &TcpListener,
    state: &Arc<State>,
    graceful: &GracefulShutdown,
    permits: &Arc<Semaphore>,
    reaper: &Arc<Reaper>,
    until: F,
) -> &'static str {
    tokio::pin!(until);
    loop {
        let permit = tokio::select! {
            why = &mut until => return why,
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            why = &mut until => return why,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    eprintln!("lbstack-target: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn_state = state.clone();
        let guard = reaper.register();
        let service_guard = guard.clone();
        let service = service_fn(move |req| handle(conn_state.clone(), service_guard.clone(), peer, req));
        // No per-request timer: the reaper closes connections stuck in headers or idle too long.
        let conn = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(Watched::new(stream, guard.clone())), service);
        let conn = graceful.watch(conn);
        let task_state = state.clone();
        task_state.metrics.connection_opened();
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                _ = guard.close.notified() => {}
            }
            task_state.metrics.connection_closed();
            drop(permit);
        });
    }
}

struct InFlight<'a>(&'a Metrics, &'a ConnGuard);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.request_finished();
        self.1.request_finished();
    }
}

async fn handle(
    state: Arc<State>,
    conn: Arc<ConnGuard>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = Instant::now();
    state.metrics.request_started();
    conn.request_started();
    let _guard = InFlight(&state.metrics, &conn);
    let path = req.uri().path();
    let route = if path == state.health_path {
        Route::Health
    } else if path == state.deep_path {
        Route::Deep
    } else {
        match path {
            "/" => Route::Root,
            "/metrics" => Route::Metrics,
            "/work" => Route::Work,
            _ => Route::Other,
        }
    };
    let head = req.method() == Method::HEAD;
    let resp = if req.method() != Method::GET && !head {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else {
        match route {
            Route::Health => health(&state),
            Route::Deep => deep(&state).await,
            Route::Root => root(&state, peer, &req),
            Route::Metrics => metrics_page(&state).await,
            Route::Work => work(req.uri().query()).await,
            Route::Other => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    };
    state.metrics.record(route, resp.status().as_u16(), start.elapsed());
    let mut resp = if head { strip_body(resp) } else { resp };
    if state.closing.load(Relaxed) {
        resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(resp)
}

fn strip_body(resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let (parts, _) = resp.into_parts();
    Response::from_parts(parts, Full::default())
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn health(state: &State) -> Response<Full<Bytes>> {
    let draining = state.draining.load(Relaxed);
    let (status, word) = if draining { (StatusCode::SERVICE_UNAVAILABLE, "draining") } else { (StatusCode::OK, "ok") };
    let mut body = String::with_capacity(160);
    body.push_str("{\"status\":\"");
    body.push_str(word);
    body.push('"');
    body.push_str(&state.health_tail);
    body.push_str(itoa::Buffer::new().format(state.started.elapsed().as_secs()));
    body.push('}');
    json(status, body)
}

async fn deep(state: &State) -> Response<Full<Bytes>> {
    let snapshot = state.checker.snapshot().await;
    let draining = state.draining.load(Relaxed);
    let healthy = snapshot.healthy() && !draining;
    let checks: Vec<serde_json::Value> = snapshot
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "healthy": r.healthy,
                "required": r.required,
                "latency_ms": (r.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
                "error": r.error,
            })
        })
        .collect();
    let status_word = if draining {
        "draining"
    } else if healthy {
        "ok"
    } else {
        "failing"
    };
    let body = serde_json::json!({
        "status": status_word,
        "instance_id": state.identity.instance_id,
        "checked_ms_ago": snapshot.taken.elapsed().as_millis() as u64,
        "checks": checks,
    });
    json(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body.to_string())
}

fn root(state: &State, peer: SocketAddr, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = serde_json::json!({
        "served_by": {
            "instance_id": state.identity.instance_id,
            "availability_zone": state.identity.availability_zone,
            "hostname": state.identity.hostname,
        },
        "request": {
            "method": req.method().as_str(),
            "path": req.uri().path(),
            "peer": peer.to_string(),
            "x_forwarded_for": header("x-forwarded-for"),
            "host": header("host"),
        },
        "draining": state.draining.load(Relaxed),
    });
    json(StatusCode::OK, body.to_string())
}

async fn metrics_page(state: &State) -> Response<Full<Bytes>> {
    let last = state.checker.last().await;
    let checks: Vec<(String, bool, Duration)> =
        last.map(|s| s.results.into_iter().map(|r| (r.name, r.healthy, r.latency)).collect()).unwrap_or_default();
    let body = state.metrics.render(&checks, state.draining.load(Relaxed));
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

async fn work(query: Option<&str>) -> Response<Full<Bytes>> {
    let ms = query
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("ms="))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        .min(60_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    json(StatusCode::OK, format!("{{\"slept_ms\":{ms}}}"))
}
