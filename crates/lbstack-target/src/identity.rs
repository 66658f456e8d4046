//! Who this instance is: flags/environment when given, else EC2 instance metadata (IMDSv2 token
//! flow, short timeouts), else the hostname.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImdsMode {
    /// Ask instance metadata only when the machine reports itself as EC2 (DMI/hypervisor data).
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub instance_id: String,
    pub availability_zone: String,
    pub hostname: String,
    /// Where the instance id came from: `flag`, `imds` or `hostname`.
    pub source: &'static str,
}

pub async fn resolve(
    instance_id: Option<String>,
    az: Option<String>,
    mode: ImdsMode,
    endpoint: &str,
    timeout: Duration,
) -> Identity {
    let hostname = hostname();
    if let Some(id) = instance_id {
        return Identity {
            instance_id: id,
            availability_zone: az.unwrap_or_else(|| "unknown".into()),
            hostname,
            source: "flag",
        };
    }
    let ask = match mode {
        ImdsMode::Always => true,
        ImdsMode::Never => false,
        ImdsMode::Auto => looks_like_ec2(),
    };
    if ask && let Some((id, zone)) = from_imds(endpoint, timeout).await {
        return Identity { instance_id: id, availability_zone: az.unwrap_or(zone), hostname, source: "imds" };
    }
    Identity {
        instance_id: hostname.clone(),
        availability_zone: az.unwrap_or_else(|| "unknown".into()),
        hostname,
        source: "hostname",
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Nitro instances report `Amazon EC2` as DMI vendor; Xen ones have a hypervisor UUID starting `ec2`.
fn looks_like_ec2() -> bool {
    let vendor = std::fs::read_to_string("/sys/devices/virtual/dmi/id/sys_vendor").unwrap_or_default();
    let uuid = std::fs::read_to_string("/sys/hypervisor/uuid").unwrap_or_default();
    vendor.trim() == "Amazon EC2" || uuid.to_ascii_lowercase().starts_with("ec2")
}

async fn from_imds(endpoint: &str, timeout: Duration) -> Option<(String, String)> {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_connect_timeout(Some(timeout));
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let base = endpoint.trim_end_matches('/');
    let call = |req: Request<Full<Bytes>>| {
        let client = client.clone();
        async move {
            let resp = tokio::time::timeout(timeout, client.request(req)).await.ok()?.ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let body = tokio::time::timeout(timeout, resp.into_body().collect()).await.ok()?.ok()?.to_bytes();
            String::from_utf8(body.to_vec()).ok().map(|s| s.trim().to_string())
        }
    };
    let token = call(
        Request::builder()
            .method(Method::PUT)
            .uri(format!("{base}/latest/api/token"))
            .header("X-aws-ec2-metadata-token-ttl-seconds", "300")
            .body(Full::default())
            .ok()?,
    )
    .await?;
    let get = |path: &str| {
        Request::builder()
            .uri(format!("{base}/latest/meta-data/{path}"))
            .header("X-aws-ec2-metadata-token", token.as_str())
            .body(Full::default())
    };
    let id = call(get("instance-id").ok()?).await?;
    let zone = call(get("placement/availability-zone").ok()?).await.unwrap_or_else(|| "unknown".into());
    Some((id, zone))
}
