//! A fault-injecting HTTP proxy between lbstack and the emulator: it can throttle, answer with a
//! server error, reset the connection before a call reaches AWS, or let a call execute and drop
//! its answer (the fault that duplicates resources in tools that do not recognise their own).
//!
//! Every call is logged with its operation name (from the query `Action`, the JSON target, the
//! CBOR path, or Route 53's method and path) and whether it writes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Execute the call, then close the connection instead of answering.
    DropAnswer,
    /// Close the connection before the call reaches the emulator.
    Reset,
    /// 503 without reaching the emulator.
    ServerError,
    /// The service's throttling error without reaching the emulator.
    Throttle,
    /// The error with this code (HTTP 403 for access and credentials codes, else 400), without
    /// reaching the emulator.
    Refuse(&'static str),
    /// Pass, after this many seconds.
    Delay(u64),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub write: bool,
    pub fault: Fault,
    /// The access key id the call was signed with (empty when unsigned).
    pub access_key: String,
    /// The emulator answered 2xx (set once the answer is in; false while in flight).
    pub accepted: bool,
}

/// Decides the fault of each call from the calls before it.
pub type Schedule = Box<dyn FnMut(&[Call], &str, bool) -> Fault + Send>;

struct State {
    schedule: Schedule,
    log: Vec<Call>,
}

pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub async fn start(upstream: &str, schedule: Schedule) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State { schedule, log: Vec::new() }));
        let upstream = upstream.trim_end_matches('/').to_string();
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (st, client, upstream) = (st.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(st.clone(), client.clone(), upstream.clone(), req));
                    // A service error closes the connection without an answer: that is the fault.
                    let _ =
                        http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        FaultProxy { url, state }
    }

    pub fn set_schedule(&self, schedule: Schedule) {
        let mut s = self.state.lock().unwrap();
        s.schedule = schedule;
        s.log.clear();
    }

    pub fn log(&self) -> Vec<Call> {
        self.state.lock().unwrap().log.clone()
    }

    /// lbstack's clients, pointed at this proxy.
    pub async fn clients(&self) -> lbstack::live::Clients {
        crate::support::clients_at(&self.url).await
    }
}

/// Refuse calls of `operation` with `code`; pass the rest.
pub fn refuse(operation: &'static str, code: &'static str) -> Schedule {
    Box::new(move |_, op, _| if op == operation { Fault::Refuse(code) } else { Fault::Pass })
}

/// Delay calls of `operation` by `secs`; pass the rest.
pub fn delay(operation: &'static str, secs: u64) -> Schedule {
    Box::new(move |_, op, _| if op == operation { Fault::Delay(secs) } else { Fault::Pass })
}

/// Pass everything.
pub fn pass() -> Schedule {
    Box::new(|_, _, _| Fault::Pass)
}

/// Drop the answer of the `n`-th write AWS accepts (counting from 0). Writes AWS refuses (a group
/// still in use for a moment, a load balancer WAF cannot see yet) are retried a varying number of
/// times, so they are not counted: the n-th accepted write is the same call every run. A refused
/// write chosen here is answered as it was, and the next accepted one loses its answer.
pub fn drop_nth_write(n: usize) -> Schedule {
    Box::new(move |log, _, write| {
        let index = log.iter().filter(|c| c.write && c.accepted).count();
        if write && index == n { Fault::DropAnswer } else { Fault::Pass }
    })
}

/// A seeded mix of faults on every call: throttling, server errors, resets and lost answers.
pub fn chaos(seed: u64, percent: u64) -> Schedule {
    let mut x = seed | 1;
    let mut dropped = false;
    Box::new(move |log, _, write| {
        // A call that just failed goes through on its retry, so every call ends up answered.
        if log.last().is_some_and(|c| c.fault != Fault::Pass) {
            return Fault::Pass;
        }
        // Parallel steps make the order of calls vary between runs: the first write always loses
        // its answer, so every run meets a lost answer whatever the mix draws after it.
        if write && !dropped {
            dropped = true;
            return Fault::DropAnswer;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x % 100 >= percent {
            return Fault::Pass;
        }
        match (x / 100) % 4 {
            0 => Fault::Throttle,
            1 => Fault::ServerError,
            2 => Fault::Reset,
            _ if write => Fault::DropAnswer,
            _ => Fault::ServerError,
        }
    })
}

fn operation(method: &hyper::Method, path: &str, headers: &hyper::HeaderMap, body: &[u8]) -> String {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    if let Some(op) = path.split("/operation/").nth(1) {
        return op.to_string();
    }
    if path.starts_with("/2013-04-01/") {
        let shape =
            if path.ends_with("/rrset") || path.ends_with("/rrset/") { "ChangeResourceRecordSets" } else { "Route53" };
        return if method == hyper::Method::GET { format!("Get{shape}") } else { shape.to_string() };
    }
    let text = String::from_utf8_lossy(body);
    text.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or("Unknown").to_string()
}

fn is_write(op: &str) -> bool {
    !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
}

/// The service a request is for, from its SigV4 credential scope.
fn service(headers: &hyper::HeaderMap) -> String {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    auth.split("Credential=").nth(1).and_then(|c| c.split('/').nth(3)).unwrap_or_default().to_string()
}

/// An error with `code` in the service's own protocol.
fn refused(headers: &hyper::HeaderMap, code: &str, message: &str, status: u16) -> Response<Full<Bytes>> {
    let (ctype, body) = if headers.get("x-amz-target").is_some() {
        ("application/x-amz-json-1.1", format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
    } else if service(headers) == "ec2" {
        (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>req-fault-1</RequestID></Response>"
            ),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-fault-1</RequestId></ErrorResponse>"
            ),
        )
    };
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .header("x-amzn-requestid", "req-fault-1")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// The service's throttling error in its own protocol.
fn throttled(headers: &hyper::HeaderMap) -> Response<Full<Bytes>> {
    let code = if headers.get("x-amz-target").is_some() {
        "ThrottlingException"
    } else if service(headers) == "ec2" {
        "RequestLimitExceeded"
    } else {
        "Throttling"
    };
    refused(headers, code, "Rate exceeded", 400)
}

/// `Credential=AKID/date/region/service/aws4_request` of a SigV4 Authorization header.
fn access_key(headers: &hyper::HeaderMap) -> String {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    auth.split("Credential=").nth(1).and_then(|c| c.split('/').next()).unwrap_or_default().to_string()
}

async fn handle(
    state: Arc<Mutex<State>>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let op = operation(&parts.method, parts.uri.path(), &parts.headers, &body);
    let write = is_write(&op);
    let (fault, entry) = {
        let mut s = state.lock().unwrap();
        let State { schedule, log } = &mut *s;
        let fault = schedule(log, &op, write);
        log.push(Call { operation: op.clone(), write, fault, access_key: access_key(&parts.headers), accepted: false });
        (fault, log.len() - 1)
    };
    // CloudWatch speaks CBOR, which this proxy does not encode: it gets server errors instead.
    let cbor = parts.headers.get("smithy-protocol").is_some();
    match fault {
        Fault::Reset => return Err(std::io::Error::other("reset by the fault proxy")),
        Fault::ServerError => return Ok(Response::builder().status(503).body(Full::new(Bytes::new())).unwrap()),
        Fault::Throttle if cbor => return Ok(Response::builder().status(503).body(Full::new(Bytes::new())).unwrap()),
        Fault::Throttle => return Ok(throttled(&parts.headers)),
        Fault::Refuse(code) => {
            let status =
                if code.contains("Denied") || code.contains("Token") || code.contains("Auth") { 403 } else { 400 };
            let message = match code {
                "ExpiredToken" => "The security token included in the request is expired",
                "AccessDenied" => {
                    "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform this action"
                }
                _ => "refused by the fault proxy",
            };
            return Ok(refused(&parts.headers, code, message, status));
        }
        Fault::Delay(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
        Fault::Pass | Fault::DropAnswer => {}
    }
    let mut forward = Request::builder().method(parts.method.clone()).uri(format!("{upstream}{path}"));
    for (k, v) in parts.headers.iter() {
        forward = forward.header(k, v);
    }
    let answer = client.request(forward.body(Full::new(body)).unwrap()).await.map_err(std::io::Error::other)?;
    let (aparts, abody) = answer.into_parts();
    let abody = abody.collect().await.map(|b| b.to_bytes()).map_err(std::io::Error::other)?;
    let accepted = aparts.status.is_success();
    {
        let mut s = state.lock().unwrap();
        if let Some(call) = s.log.get_mut(entry) {
            call.accepted = accepted;
            if !accepted && call.fault == Fault::DropAnswer {
                call.fault = Fault::Pass;
            }
        }
    }
    if fault == Fault::DropAnswer && accepted {
        return Err(std::io::Error::other("answer dropped by the fault proxy"));
    }
    let mut out = Response::builder().status(aparts.status);
    for (k, v) in aparts.headers.iter() {
        if k != hyper::header::TRANSFER_ENCODING {
            out = out.header(k, v);
        }
    }
    Ok(out.body(Full::new(abody)).unwrap())
}
