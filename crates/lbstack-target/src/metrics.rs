//! Prometheus counters kept in fixed arrays of atomics: no lock on the request path. Each worker
//! thread writes its own cache-line-aligned shard, so the two cores never fight over one line;
//! reading /metrics sums the shards.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Deep,
    Root,
    Metrics,
    Work,
    Other,
}

impl Route {
    pub const ALL: [Route; 6] = [Route::Health, Route::Deep, Route::Root, Route::Metrics, Route::Work, Route::Other];
    fn label(self) -> &'static str {
        match self {
            Route::Health => "health",
            Route::Deep => "health_deep",
            Route::Root => "root",
            Route::Metrics => "metrics",
            Route::Work => "work",
            Route::Other => "other",
        }
    }
}

const STATUSES: [u16; 5] = [200, 404, 405, 503, 0];
/// Upper bounds in seconds; the last bucket is +Inf.
const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0];

#[derive(Default)]
struct RouteStats {
    by_status: [AtomicU64; STATUSES.len()],
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

#[derive(Default)]
#[repr(align(128))]
struct Shard {
    routes: [RouteStats; Route::ALL.len()],
    in_flight: AtomicI64,
    connections: AtomicI64,
}

const SHARDS: usize = 16;

thread_local! {
    static SHARD: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, Relaxed) % SHARDS
    };
}

fn shard_index() -> usize {
    SHARD.with(|s| *s)
}

pub struct Metrics {
    shards: Box<[Shard]>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { shards: (0..SHARDS).map(|_| Shard::default()).collect() }
    }
}

impl Metrics {
    fn mine(&self) -> &Shard {
        &self.shards[shard_index()]
    }
    pub fn request_started(&self) {
        self.mine().in_flight.fetch_add(1, Relaxed);
    }
    pub fn request_finished(&self) {
        self.mine().in_flight.fetch_sub(1, Relaxed);
    }
    pub fn connection_opened(&self) {
        self.mine().connections.fetch_add(1, Relaxed);
    }
    pub fn connection_closed(&self) {
        self.mine().connections.fetch_sub(1, Relaxed);
    }
    pub fn in_flight(&self) -> i64 {
        self.shards.iter().map(|s| s.in_flight.load(Relaxed)).sum()
    }
    pub fn connections(&self) -> i64 {
        self.shards.iter().map(|s| s.connections.load(Relaxed)).sum()
    }
    fn sum(&self, f: impl Fn(&RouteStats) -> u64, route: Route) -> u64 {
        self.shards.iter().map(|s| f(&s.routes[route as usize])).sum()
    }

    pub fn record(&self, route: Route, status: u16, elapsed: Duration) {
        let stats = &self.mine().routes[route as usize];
        let slot = STATUSES.iter().position(|s| *s == status).unwrap_or(STATUSES.len() - 1);
        stats.by_status[slot].fetch_add(1, Relaxed);
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        stats.buckets[bucket].fetch_add(1, Relaxed);
        stats.sum_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    /// Prometheus text exposition format 0.0.4. `checks` are (name, healthy, latency) of the last deep check.
    pub fn render(&self, checks: &[(String, bool, Duration)], draining: bool) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP lbstack_target_requests_total Requests served, by route and status.\n# TYPE lbstack_target_requests_total counter\n");
        for route in Route::ALL {
            for (i, status) in STATUSES.iter().enumerate() {
                let n = self.sum(|r| r.by_status[i].load(Relaxed), route);
                if n > 0 {
                    let status = if *status == 0 { "other".to_string() } else { status.to_string() };
                    let _ = writeln!(
                        out,
                        "lbstack_target_requests_total{{path=\"{}\",status=\"{status}\"}} {n}",
                        route.label()
                    );
                }
            }
        }
        out.push_str("# HELP lbstack_target_request_duration_seconds Time to answer a request.\n# TYPE lbstack_target_request_duration_seconds histogram\n");
        for route in Route::ALL {
            let total: u64 = (0..=BUCKETS.len()).map(|i| self.sum(|r| r.buckets[i].load(Relaxed), route)).sum();
            if total == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += self.sum(|r| r.buckets[i].load(Relaxed), route);
                let _ = writeln!(
                    out,
                    "lbstack_target_request_duration_seconds_bucket{{path=\"{}\",le=\"{bound}\"}} {cumulative}",
                    route.label()
                );
            }
            let _ = writeln!(
                out,
                "lbstack_target_request_duration_seconds_bucket{{path=\"{}\",le=\"+Inf\"}} {total}",
                route.label()
            );
            let _ = writeln!(
                out,
                "lbstack_target_request_duration_seconds_sum{{path=\"{}\"}} {}",
                route.label(),
                self.sum(|r| r.sum_micros.load(Relaxed), route) as f64 / 1e6
            );
            let _ =
                writeln!(out, "lbstack_target_request_duration_seconds_count{{path=\"{}\"}} {total}", route.label());
        }
        let _ = writeln!(
            out,
            "# HELP lbstack_target_in_flight_requests Requests being answered now.\n# TYPE lbstack_target_in_flight_requests gauge\nlbstack_target_in_flight_requests {}",
            self.in_flight()
        );
        let _ = writeln!(
            out,
            "# HELP lbstack_target_open_connections Client connections open now.\n# TYPE lbstack_target_open_connections gauge\nlbstack_target_open_connections {}",
            self.connections()
        );
        let _ = writeln!(
            out,
            "# HELP lbstack_target_draining 1 while draining after SIGTERM.\n# TYPE lbstack_target_draining gauge\nlbstack_target_draining {}",
            u8::from(draining)
        );
        if !checks.is_empty() {
            out.push_str("# HELP lbstack_target_dependency_up Result of the last dependency check (1 healthy).\n# TYPE lbstack_target_dependency_up gauge\n");
            for (name, ok, _) in checks {
                let _ =
                    writeln!(out, "lbstack_target_dependency_up{{check=\"{}\"}} {}", escape_label(name), u8::from(*ok));
            }
            out.push_str("# HELP lbstack_target_dependency_latency_seconds Latency of the last dependency check.\n# TYPE lbstack_target_dependency_latency_seconds gauge\n");
            for (name, _, latency) in checks {
                let _ = writeln!(
                    out,
                    "lbstack_target_dependency_latency_seconds{{check=\"{}\"}} {}",
                    escape_label(name),
                    latency.as_secs_f64()
                );
            }
        }
        out
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
