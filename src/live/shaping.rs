//! Every AWS call of a service passes one gate: at most a few in flight, and, on AWS, no faster
//! than the token buckets AWS publishes for the service's action classes. A plan of a thousand
//! target groups then waits its turn instead of being refused with `Throttling` (the SDK retries
//! those, but each refusal spends its retry quota and a second of backoff). The gate sits in the
//! HTTP connector, so retries pass it too and no call site can forget it.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Calls of one service in flight at once: enough to fill AWS's buckets, few enough that a
/// thousand concurrent reads do not open a thousand connections.
pub const IN_FLIGHT: usize = 16;

/// A token bucket: `capacity` calls at once, refilled at `per_second`.
#[derive(Debug)]
pub struct Bucket {
    capacity: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    pub fn new(capacity: u32, per_second: f64) -> Self {
        Bucket { capacity: f64::from(capacity), per_second, state: Mutex::new((f64::from(capacity), Instant::now())) }
    }

    /// Waits until a token is free and takes it.
    pub async fn take(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().expect("bucket lock");
                let now = Instant::now();
                let tokens = (state.0 + now.duration_since(state.1).as_secs_f64() * self.per_second).min(self.capacity);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.per_second)
            };
            tracing::trace!(target: "lbstack::gate", "rate limit: waiting {} ms for a token", wait.as_millis());
            tokio::time::sleep(wait).await;
        }
    }
}

/// Which bucket a call draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionClass {
    Describe,
    Register,
    Write,
}

/// The class of a query-protocol call (ELBv2, EC2, Auto Scaling), from its `Action=` form field.
pub fn class_of(body: &[u8]) -> ActionClass {
    let action = body.split(|b| *b == b'&').find_map(|field| field.strip_prefix(b"Action=")).unwrap_or_default();
    if action.starts_with(b"Describe") || action.starts_with(b"List") || action.starts_with(b"Get") {
        ActionClass::Describe
    } else if action == b"RegisterTargets" || action == b"DeregisterTargets" {
        ActionClass::Register
    } else {
        ActionClass::Write
    }
}

/// One service's gate.
#[derive(Debug)]
pub struct Gate {
    in_flight: Semaphore,
    /// Buckets by class; none when calls are not rate-shaped (an emulator, or a service whose
    /// buckets AWS does not publish).
    buckets: Option<[Bucket; 3]>,
}

impl Gate {
    pub fn unshaped() -> Arc<Gate> {
        Arc::new(Gate { in_flight: Semaphore::new(IN_FLIGHT), buckets: None })
    }

    /// ELBv2's buckets: Describe* 40 at once refilled at 10 a second, as AWS publishes them
    /// (ELB user guide, "Request throttling for the Elastic Load Balancing API"); target
    /// registration and other writes with smaller buckets.
    pub fn elbv2() -> Arc<Gate> {
        Arc::new(Gate {
            in_flight: Semaphore::new(IN_FLIGHT),
            buckets: Gate::published([(40, 10.0), (20, 4.0), (20, 2.0)]),
        })
    }

    /// EC2's buckets (EC2 API reference, "Request throttling"): non-mutating 100 at 20 a
    /// second, mutating 200 at 5.
    pub fn ec2() -> Arc<Gate> {
        Arc::new(Gate {
            in_flight: Semaphore::new(IN_FLIGHT),
            buckets: Gate::published([(100, 20.0), (200, 5.0), (200, 5.0)]),
        })
    }

    /// Buckets at 95% of AWS's figures: network jitter (two calls sent 100 ms apart can arrive
    /// closer) must not empty AWS's bucket before lbstack's.
    fn published(buckets: [(u32, f64); 3]) -> Option<[Bucket; 3]> {
        Some(buckets.map(|(capacity, per_second)| Bucket::new(capacity * 95 / 100, per_second * 0.95)))
    }

    async fn pass(&self, class: ActionClass) -> tokio::sync::SemaphorePermit<'_> {
        let permit = self.in_flight.acquire().await.expect("the gate is never closed");
        if let Some(buckets) = &self.buckets {
            buckets[class as usize].take().await;
        }
        permit
    }
}

/// The SDK's own default HTTPS client (hyper 1, rustls with aws-lc, proxies from the
/// environment), built here so each service's gate can wrap it.
pub fn default_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// Whether calls are shaped to AWS's buckets: `LBSTACK_API_RATE=aws` or `off`; by default on
/// AWS itself and off for a custom endpoint (an emulator has no buckets to respect).
pub fn shaped(custom_endpoint: bool) -> bool {
    match std::env::var("LBSTACK_API_RATE").as_deref() {
        Ok("aws") => true,
        Ok("off") => false,
        _ => !custom_endpoint,
    }
}

/// An HTTP client whose connectors pass `gate` before each request.
#[derive(Debug, Clone)]
pub struct Gated {
    pub inner: SharedHttpClient,
    pub gate: Arc<Gate>,
}

impl HttpClient for Gated {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(GatedConnector {
            inner: self.inner.http_connector(settings, components),
            gate: self.gate.clone(),
        })
    }
}

#[derive(Debug)]
struct GatedConnector {
    inner: SharedHttpConnector,
    gate: Arc<Gate>,
}

impl HttpConnector for GatedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, gate) = (self.inner.clone(), self.gate.clone());
        let class = request.body().bytes().map_or(ActionClass::Write, class_of);
        HttpConnectorFuture::new(async move {
            let _permit = gate.pass(class).await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_action() {
        assert_eq!(class_of(b"Action=DescribeTargetGroups&Version=2015-12-01"), ActionClass::Describe);
        assert_eq!(class_of(b"Version=2015-12-01&Action=RegisterTargets&TargetGroupArn=x"), ActionClass::Register);
        assert_eq!(class_of(b"Action=CreateRule&Version=2015-12-01"), ActionClass::Write);
        assert_eq!(class_of(b"{}"), ActionClass::Write);
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_lets_its_capacity_through_then_its_rate() {
        let bucket = Bucket::new(40, 10.0);
        let start = tokio::time::Instant::now();
        for _ in 0..60 {
            bucket.take().await;
        }
        // 40 at once, then 20 more at 10 a second.
        let took = start.elapsed().as_secs_f64();
        assert!((1.9..2.2).contains(&took), "{took}");
    }
}
