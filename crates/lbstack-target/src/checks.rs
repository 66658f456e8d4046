//! Dependency checks for `/health/deep`: TCP connect or HTTP GET, each with its own timeout, run
//! concurrently; results cached briefly and refreshed by one caller at a time, so a storm of
//! health checks turns into at most one round of checks per cache period.

use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Tcp(String),
    Http(hyper::Uri),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub probe: Probe,
    /// A failing optional check is reported but does not fail the endpoint.
    pub required: bool,
}

impl std::str::FromStr for Check {
    type Err = String;
    /// `NAME=tcp://HOST:PORT` or `NAME=http://HOST:PORT/PATH`, optionally followed by `,optional`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rest) = s.split_once('=').ok_or_else(|| format!("`{s}`: expected NAME=URL"))?;
        let (url, required) = match rest.strip_suffix(",optional") {
            Some(u) => (u, false),
            None => (rest, true),
        };
        let probe = if let Some(addr) = url.strip_prefix("tcp://") {
            if !addr.contains(':') {
                return Err(format!("`{url}`: a TCP check needs HOST:PORT"));
            }
            Probe::Tcp(addr.to_string())
        } else if url.starts_with("http://") {
            Probe::Http(url.parse().map_err(|e| format!("`{url}`: {e}"))?)
        } else {
            return Err(format!(
                "`{url}`: checks are tcp://HOST:PORT or http://HOST:PORT/PATH (https is not supported)"
            ));
        };
        if name.is_empty() {
            return Err(format!("`{s}`: the check needs a name"));
        }
        Ok(Check { name: name.to_string(), probe, required })
    }
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub name: String,
    pub required: bool,
    pub healthy: bool,
    pub latency: Duration,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub results: Vec<CheckResult>,
    pub taken: Instant,
}

impl Snapshot {
    pub fn healthy(&self) -> bool {
        self.results.iter().all(|r| r.healthy || !r.required)
    }
}

pub struct Checker {
    checks: Vec<Check>,
    timeout: Duration,
    cache_for: Duration,
    cache: Mutex<Option<Snapshot>>,
    http: Client<hyper_util::client::legacy::connect::HttpConnector, Empty<bytes::Bytes>>,
}

impl Checker {
    pub fn new(checks: Vec<Check>, timeout: Duration, cache_for: Duration) -> Self {
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Checker { checks, timeout, cache_for, cache: Mutex::new(None), http }
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The cached snapshot if fresh; otherwise one caller runs the checks while the others wait
    /// for its result (the lock is held across the run).
    pub async fn snapshot(&self) -> Snapshot {
        let mut cache = self.cache.lock().await;
        if let Some(s) = cache.as_ref()
            && s.taken.elapsed() < self.cache_for
        {
            return s.clone();
        }
        let results = futures_util::future::join_all(self.checks.iter().map(|c| self.run(c))).await;
        let snap = Snapshot { results, taken: Instant::now() };
        *cache = Some(snap.clone());
        snap
    }

    /// The last results without running anything (for /metrics).
    pub async fn last(&self) -> Option<Snapshot> {
        self.cache.lock().await.clone()
    }

    async fn run(&self, check: &Check) -> CheckResult {
        let start = Instant::now();
        let outcome = tokio::time::timeout(self.timeout, async {
            match &check.probe {
                Probe::Tcp(addr) => {
                    tokio::net::TcpStream::connect(addr.as_str()).await.map(|_| ()).map_err(|e| e.to_string())
                }
                Probe::Http(uri) => match self.http.get(uri.clone()).await {
                    Ok(resp) if resp.status().is_success() => Ok(()),
                    Ok(resp) => Err(format!("HTTP {}", resp.status().as_u16())),
                    Err(e) => Err(error_chain(&e)),
                },
            }
        })
        .await
        .unwrap_or_else(|_| Err(format!("timed out after {} ms", self.timeout.as_millis())));
        CheckResult {
            name: check.name.clone(),
            required: check.required,
            healthy: outcome.is_ok(),
            latency: start.elapsed(),
            error: outcome.err(),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_check_specs() {
        let c: Check = "db=tcp://10.0.0.5:5432".parse().unwrap();
        assert_eq!(c.probe, Probe::Tcp("10.0.0.5:5432".into()));
        assert!(c.required);
        let c: Check = "api=http://127.0.0.1:9000/health,optional".parse().unwrap();
        assert!(!c.required);
        assert!(matches!(c.probe, Probe::Http(_)));
        assert!("x=https://a/b".parse::<Check>().is_err());
        assert!("tcp://a:1".parse::<Check>().is_err());
        assert!("x=tcp://nohost".parse::<Check>().is_err());
    }
}
