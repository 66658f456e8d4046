//! `lbstack-target`, the real binary on a free loopback port.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

struct Target {
    child: Child,
    addr: SocketAddr,
}

impl Target {
    fn start(args: &[&str]) -> Target {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lbstack-target"))
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start lbstack-target");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr =
            line.split_whitespace().nth(3).unwrap_or_else(|| panic!("unexpected first line: {line}")).parse().unwrap();
        Target { child, addr }
    }

    fn get(&self, path: &str) -> (u16, String) {
        request(self.addr, "GET", path)
    }

    fn sigterm(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; returns status and body.
fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &str) -> (u16, String) {
    let status =
        raw.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A TCP listener that counts connections, for the dependency checks.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            if conn.is_ok() {
                c.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (port, count)
}

#[test]
fn health_root_metrics_and_errors() {
    let t = Target::start(&["--instance-id", "i-0test", "--availability-zone", "us-east-1a"]);
    let (status, body) = t.get("/health");
    assert_eq!(status, 200);
    let h = json(&body);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["instance_id"], "i-0test");
    assert_eq!(h["availability_zone"], "us-east-1a");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert!(h["uptime_seconds"].is_u64());

    let (status, body) = request(t.addr, "HEAD", "/health");
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(request(t.addr, "POST", "/health").0, 405);
    assert_eq!(t.get("/nope").0, 404);

    let (status, body) = t.get("/");
    assert_eq!(status, 200);
    let r = json(&body);
    assert_eq!(r["served_by"]["instance_id"], "i-0test");
    assert_eq!(r["request"]["path"], "/");
    assert!(r["served_by"]["hostname"].as_str().is_some_and(|h| !h.is_empty()));

    let (status, metrics) = t.get("/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("lbstack_target_requests_total{path=\"health\",status=\"200\"} 2"), "{metrics}");
    assert!(metrics.contains("lbstack_target_requests_total{path=\"health\",status=\"405\"} 1"), "{metrics}");
    assert!(metrics.contains("lbstack_target_requests_total{path=\"other\",status=\"404\"} 1"), "{metrics}");
    assert!(metrics.contains("lbstack_target_request_duration_seconds_count{path=\"health\"} 3"), "{metrics}");
    assert!(metrics.contains("lbstack_target_in_flight_requests 1"), "the /metrics request itself: {metrics}");
    assert!(metrics.contains("lbstack_target_draining 0"));
}

#[test]
fn deep_health_reports_each_dependency() {
    let (up, _) = counting_listener();
    let down = closed_port();
    let t = Target::start(&[
        "--instance-id",
        "i-deep",
        "--check",
        &format!("db=tcp://127.0.0.1:{up}"),
        "--check",
        &format!("cache=tcp://127.0.0.1:{down}"),
        "--check-cache-ms",
        "0",
    ]);
    let (status, body) = t.get("/health/deep");
    assert_eq!(status, 503, "{body}");
    let d = json(&body);
    assert_eq!(d["status"], "failing");
    let checks = d["checks"].as_array().unwrap();
    assert_eq!(checks[0]["name"], "db");
    assert_eq!(checks[0]["healthy"], true);
    assert!(checks[0]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(checks[1]["name"], "cache");
    assert_eq!(checks[1]["healthy"], false);
    assert!(checks[1]["error"].as_str().unwrap().to_lowercase().contains("refused"), "{body}");
    // The shallow check does not depend on dependencies.
    assert_eq!(t.get("/health").0, 200);
    let (_, metrics) = t.get("/metrics");
    assert!(metrics.contains("lbstack_target_dependency_up{check=\"db\"} 1"), "{metrics}");
    assert!(metrics.contains("lbstack_target_dependency_up{check=\"cache\"} 0"), "{metrics}");
}

#[test]
fn optional_and_http_dependencies() {
    let upstream = Target::start(&["--instance-id", "i-upstream"]);
    let down = closed_port();
    let t = Target::start(&[
        "--instance-id",
        "i-deep2",
        "--check",
        &format!("api=http://{}/health", upstream.addr),
        "--check",
        &format!("cache=tcp://127.0.0.1:{down},optional"),
        "--check",
        &format!("missing=http://{}/not-there,optional", upstream.addr),
    ]);
    let (status, body) = t.get("/health/deep");
    assert_eq!(status, 200, "optional failures do not fail the check: {body}");
    let d = json(&body);
    assert_eq!(d["checks"][0]["healthy"], true);
    assert_eq!(d["checks"][1]["healthy"], false);
    assert_eq!(d["checks"][2]["error"], "HTTP 404");
}

#[test]
fn deep_checks_are_cached_against_storms() {
    let (port, connections) = counting_listener();
    let t = Target::start(&[
        "--instance-id",
        "i-cache",
        "--check",
        &format!("db=tcp://127.0.0.1:{port}"),
        "--check-cache-ms",
        "60000",
    ]);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let addr = t.addr;
            thread::spawn(move || (0..5).map(|_| request(addr, "GET", "/health/deep").0).collect::<Vec<_>>())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().iter().all(|s| *s == 200));
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(connections.load(Ordering::SeqCst), 1, "40 deep checks, one dependency probe");
}

#[test]
fn identity_from_imdsv2() {
    // A fake instance metadata service that insists on the IMDSv2 token.
    let imds = TcpListener::bind("127.0.0.1:0").unwrap();
    let imds_addr = imds.local_addr().unwrap();
    thread::spawn(move || {
        for conn in imds.incoming().flatten() {
            let mut conn = conn;
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_lowercase();
            let (status, body) =
                if req.starts_with("put /latest/api/token") && req.contains("x-aws-ec2-metadata-token-ttl-seconds:") {
                    ("200 OK", "TOKEN123")
                } else if !req.contains("x-aws-ec2-metadata-token: token123") {
                    ("401 Unauthorized", "")
                } else if req.starts_with("get /latest/meta-data/instance-id") {
                    ("200 OK", "i-0fromimds")
                } else if req.starts_with("get /latest/meta-data/placement/availability-zone") {
                    ("200 OK", "eu-west-3b")
                } else {
                    ("404 Not Found", "")
                };
            let _ =
                write!(conn, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    let t = Target::start(&["--imds", "always", "--imds-endpoint", &format!("http://{imds_addr}")]);
    let h = json(&t.get("/health").1);
    assert_eq!(h["instance_id"], "i-0fromimds");
    assert_eq!(h["availability_zone"], "eu-west-3b");

    // Without metadata (and --imds never), the hostname stands in.
    let t = Target::start(&["--imds", "never"]);
    let h = json(&t.get("/").1);
    assert_eq!(h["served_by"]["instance_id"], h["served_by"]["hostname"]);
}

#[test]
fn slow_clients_are_cut_off() {
    let t = Target::start(&["--instance-id", "i-slow", "--header-read-timeout-ms", "300"]);
    let mut s = TcpStream::connect(t.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap(); // headers never finish
    let start = Instant::now();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(start.elapsed() < Duration::from_secs(4), "the server closed the connection instead of waiting");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
}

#[test]
fn connection_limit_queues_extra_clients() {
    let t = Target::start(&["--instance-id", "i-limit", "--max-connections", "1"]);
    let mut first = TcpStream::connect(t.addr).unwrap();
    first.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    first.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    assert!(first.read(&mut buf).unwrap() > 0, "first client is served and keeps its connection");

    let mut second = TcpStream::connect(t.addr).unwrap(); // sits in the backlog
    second.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    second.set_read_timeout(Some(Duration::from_millis(400))).unwrap();
    assert!(second.read(&mut buf).is_err(), "no answer while the only slot is taken");
    drop(first);
    second.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut raw = String::new();
    second.read_to_string(&mut raw).unwrap();
    assert_eq!(parse_response(&raw).0, 200);
}

#[test]
fn sigterm_drains_then_exits_after_in_flight_requests() {
    let mut t =
        Target::start(&["--instance-id", "i-drain", "--drain-seconds", "2", "--shutdown-timeout-seconds", "10"]);
    assert_eq!(t.get("/health").0, 200);
    let addr = t.addr;
    t.sigterm();
    // Accepted while draining, still running when accepting stops at t≈2 s: it must complete.
    thread::sleep(Duration::from_millis(1200));
    let slow = thread::spawn(move || request(addr, "GET", "/work?ms=1800"));
    let (status, body) = t.get("/health");
    assert_eq!(status, 503);
    assert_eq!(json(&body)["status"], "draining");
    assert_eq!(t.get("/").0, 200, "other requests are still served while draining");
    assert_eq!(t.get("/health/deep").0, 503);
    let (status, body) = slow.join().unwrap();
    assert_eq!((status, body.as_str()), (200, "{\"slept_ms\":1800}"));
    assert_eq!(t.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(TcpStream::connect(addr).is_err(), "nothing listens after exit");
}

#[test]
fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let t = Target::start(&["--instance-id", "i-idle", "--idle-timeout-seconds", "1"]);
    let mut s = TcpStream::connect(t.addr).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 1024];
    assert!(s.read(&mut buf).unwrap() > 0, "answered, connection kept open");
    // Still open well within the timeout: a second request is served on it.
    thread::sleep(Duration::from_millis(300));
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(s.read(&mut buf).unwrap() > 0);
    // Then idle past the timeout: the server closes it.
    let start = Instant::now();
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed by the server");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "closed after about a second, not {waited:?}"
    );
}
