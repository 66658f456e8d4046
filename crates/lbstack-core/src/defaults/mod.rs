//! AWS's defaults, in one table: the value AWS takes when a field is left out. The builder fills
//! them in so a plan compares like with like, validation checks against them (a timeout against
//! the interval AWS will use), lint and simulate assume them, and import leaves out what equals
//! them. Sources: each service's API reference for the named parameter.

pub mod attributes;

use crate::attrs::elbv2::HealthCheck;
use crate::stack_format::model::{HealthCheckProtocol, Protocol, TargetType};

/// Simple scaling's cooldown and an Auto Scaling group's `DefaultCooldown`, in seconds.
pub const SCALING_COOLDOWN: u32 = 300;
/// `HealthCheckGracePeriod` of a group (CreateAutoScalingGroup), in seconds.
pub const HEALTH_CHECK_GRACE_PERIOD: u32 = 300;
/// Predictive scaling's `SchedulingBufferTime`, in seconds.
pub const PREDICTIVE_BUFFER_TIME: u32 = 300;
/// How long a new instance counts as warming up when neither the policy nor the group says
/// (simulate's assumption; AWS then uses the group's cooldown), in seconds.
pub const INSTANCE_WARMUP: u32 = 300;
/// A target group's `deregistration_delay.timeout_seconds`.
pub const DEREGISTRATION_DELAY: u32 = 300;
/// WAF rate-based rules' `EvaluationWindowSec`.
pub const WAF_RATE_WINDOW: u32 = 300;
/// The TTL lbstack gives a CNAME record when the stack names none (an alias has no TTL).
pub const CNAME_TTL: u32 = 60;
/// A listener's TLS policy when the stack names none (the console's and the API's default).
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// An authenticate action's session settings.
pub const AUTH_SCOPE: &str = "openid";
pub const AUTH_SESSION_COOKIE: &str = "AWSELBAuthSessionCookie";
pub const AUTH_ON_UNAUTHENTICATED: &str = "authenticate";
pub const AUTH_SESSION_TIMEOUT: u32 = 604_800;
/// The same, by field name, for the readers that go field by field.
pub const AUTH_DEFAULTS: [(&str, &str); 3] =
    [("scope", AUTH_SCOPE), ("session_cookie", AUTH_SESSION_COOKIE), ("on_unauthenticated", AUTH_ON_UNAUTHENTICATED)];

/// The statistic of an alarm or custom metric that names none, and a step policy's
/// `MetricAggregationType`.
pub const STATISTIC: &str = "Average";
/// An alarm's period when the stack names none (the stack format's choice; AWS requires one).
pub const ALARM_PERIOD: u32 = 60;
/// A lifecycle hook's `HeartbeatTimeout`, in seconds, and its `DefaultResult`.
pub const HOOK_HEARTBEAT: u32 = 3600;
pub const HOOK_DEFAULT_RESULT: &str = "ABANDON";
/// A redirect's parts left out keep the request's own; a redirect moves permanently.
pub const REDIRECT_PROTOCOL: &str = "#{protocol}";
pub const REDIRECT_PORT: &str = "#{port}";
pub const REDIRECT_HOST: &str = "#{host}";
pub const REDIRECT_PATH: &str = "/#{path}";
pub const REDIRECT_QUERY: &str = "#{query}";
pub const REDIRECT_STATUS: &str = "HTTP_301";
/// A fixed response's `ContentType`.
pub const FIXED_RESPONSE_CONTENT_TYPE: &str = "text/plain";
/// A token check's claim `Format`.
pub const JWT_CLAIM_FORMAT: &str = "single-string";
/// A mixed-instances group's distribution: all on demand above the base, spot by lowest price
/// (the stack format's own default strategy is `price-capacity-optimized`).
pub const ON_DEMAND_PERCENTAGE: u32 = 100;
pub const SPOT_STRATEGY: &str = "lowest-price";
/// A warm pool's `PoolState`.
pub const WARM_POOL_STATE: &str = "Stopped";
/// The launch template version a group runs when it names none.
pub const TEMPLATE_VERSION: &str = "$Default";

/// AWS's health-check defaults for a target group of this protocol and type.
pub fn health_check(protocol: Option<Protocol>, target_type: TargetType) -> HealthCheck {
    if target_type == TargetType::Lambda {
        return HealthCheck { enabled: false, ..HealthCheck::default() };
    }
    let text = |s: &str| Some(s.to_string());
    let check = |protocol: &str, port: &str, interval: i64, timeout: i64| HealthCheck {
        enabled: true,
        protocol: text(protocol),
        port: text(port),
        interval: Some(interval),
        timeout: Some(timeout),
        healthy_threshold: Some(5),
        unhealthy_threshold: Some(2),
        ..HealthCheck::default()
    };
    match protocol {
        Some(p @ (Protocol::Http | Protocol::Https)) => {
            HealthCheck { path: text("/"), matcher: text("200"), ..check(p.as_str(), "traffic-port", 30, 5) }
        }
        Some(Protocol::Geneve) => check("TCP", "80", 10, 5),
        _ => check("TCP", "traffic-port", 30, 10),
    }
}

/// The interval and timeout AWS uses for a target group's health check, in seconds: those of
/// `health_check`, except where AWS's enabled defaults differ from what lbstack compares (a
/// Lambda group's check, off unless declared, runs every 35 s with a 30 s timeout; a network
/// group's HTTP check times out after 6 s).
pub fn health_check_timing(
    protocol: Option<Protocol>,
    target_type: TargetType,
    check: HealthCheckProtocol,
) -> (u32, u32) {
    if target_type == TargetType::Lambda {
        return (35, 30);
    }
    // A group declared without a protocol is checked as AWS's HTTP default.
    let hc = health_check(protocol.or(Some(Protocol::Http)), target_type);
    let seconds = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok()).unwrap_or_default();
    let network = !matches!(protocol, Some(Protocol::Http | Protocol::Https | Protocol::Geneve) | None);
    let timeout = if network && check == HealthCheckProtocol::Http { 6 } else { seconds(hc.timeout) };
    (seconds(hc.interval), timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's defaults (API reference, CreateTargetGroup; ALB and NLB user guides).
    #[test]
    fn health_check_timing_is_aws_default_for_each_kind_of_group() {
        use HealthCheckProtocol as Check;
        let timing = |p, t, c| health_check_timing(p, t, c);
        assert_eq!(timing(None, TargetType::Lambda, Check::Http), (35, 30));
        assert_eq!(timing(Some(Protocol::Geneve), TargetType::Ip, Check::Tcp), (10, 5));
        for p in [Some(Protocol::Http), Some(Protocol::Https), None] {
            assert_eq!(timing(p, TargetType::Instance, Check::Http), (30, 5), "{p:?}");
        }
        assert_eq!(timing(Some(Protocol::Tcp), TargetType::Instance, Check::Http), (30, 6));
        assert_eq!(timing(Some(Protocol::Tcp), TargetType::Instance, Check::Tcp), (30, 10));
        assert_eq!(timing(Some(Protocol::Tls), TargetType::Ip, Check::Https), (30, 10));
    }
}
