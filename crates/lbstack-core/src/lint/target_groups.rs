//! Target group rules: how fast a dead target is noticed, what is checked, draining, stickiness.

use super::{Rule, groups_of, rule};
use crate::diag::Severity::Warning;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

/// Target groups with health checks and targets of their own (not Lambda functions).
fn checked(s: &Stack) -> impl Iterator<Item = (&String, &TargetGroup)> {
    s.target_groups.iter().filter(|(_, tg)| tg.target_type != TargetType::Lambda)
}

/// Where a finding on the health check points: the setting when written, else the group.
fn health_check_at(k: &str, tg: &TargetGroup) -> String {
    if tg.health_check.is_some() { p(&["target_groups", k, "health_check"]) } else { p(&["target_groups", k]) }
}

pub const SLOW_FAILURE_DETECTION: Rule = rule(
    "TG001",
    "slow-failure-detection",
    Warning,
    "unhealthy threshold x interval above 60 s keeps sending traffic to a dead target for over a minute",
    |s, out| {
        for (k, tg) in checked(s) {
            let hc = tg.health_check.clone().unwrap_or_default();
            let interval = hc.interval.unwrap_or_else(|| {
                crate::defaults::health_check_timing(tg.protocol, tg.target_type, HealthCheckProtocol::Tcp).0
            });
            // AWS's threshold for the protocol; a Lambda target's check, off by default, uses 2 too.
            let unhealthy = hc.unhealthy_threshold.unwrap_or_else(|| {
                let aws = crate::defaults::health_check(tg.protocol, tg.target_type).unhealthy_threshold;
                aws.and_then(|n| u32::try_from(n).ok()).unwrap_or(2)
            });
            if interval * unhealthy > 60 {
                out.fire(
                    health_check_at(k, tg),
                    format!(
                        "target group `{k}` needs {unhealthy} failed checks {interval} s apart ({} s) to stop sending traffic to a dead target",
                        interval * unhealthy
                    ),
                );
            }
        }
    },
);

pub const HEALTH_CHECK_ON_ROOT: Rule = rule(
    "TG002",
    "health-check-on-root",
    Warning,
    "a health check on `/` tests the home page, not the service's own readiness endpoint",
    |s, out| {
        for (k, tg) in checked(s).filter(|(_, tg)| tg.protocol != Some(Protocol::Geneve)) {
            let http = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https) | None);
            let hc = tg.health_check.clone().unwrap_or_default();
            let checks_http = hc.protocol.map_or(http, |pr| pr != HealthCheckProtocol::Tcp);
            if checks_http && hc.path.as_deref().unwrap_or("/") == "/" {
                out.fire(
                    health_check_at(k, tg),
                    format!(
                        "target group `{k}` checks health on `/`; point it at a readiness endpoint such as `/health`"
                    ),
                );
            }
        }
    },
);

pub const DRAIN_LONGER_THAN_SPOT_NOTICE: Rule = rule(
    "TG003",
    "drain-longer-than-spot-notice",
    Warning,
    "spot instances get a 2-minute notice; a longer deregistration delay is cut off mid-drain",
    |s, out| {
        for (k, tg) in checked(s) {
            let delay = tg.deregistration_delay.unwrap_or(crate::defaults::DEREGISTRATION_DELAY);
            let spot = groups_of(s, k).any(|(_, g)| {
                g.mixed_instances.as_ref().is_some_and(|m| m.on_demand_percentage < 100)
                    || s.launch_templates.get(g.launch_template.name()).is_some_and(|lt| lt.spot.is_some())
            });
            if spot && delay > 120 {
                let at = if tg.deregistration_delay.is_some() {
                    p(&["target_groups", k, "deregistration_delay"])
                } else {
                    p(&["target_groups", k])
                };
                out.fire(
                    at,
                    format!("target group `{k}` drains for {delay} s, but its spot instances get a 120 s notice"),
                );
            }
        }
    },
);

pub const STICKY_WITH_AGGRESSIVE_SCALE_IN: Rule = rule(
    "TG004",
    "sticky-with-aggressive-scale-in",
    Warning,
    "sticky sessions on a group that removes several instances at once drop many sessions together",
    |s, out| {
        for (k, _) in checked(s).filter(|(_, tg)| tg.stickiness.is_some()) {
            for (gk, _) in groups_of(s, k) {
                let aggressive = s.scaling_policies.values().filter(|pol| pol.group == *gk).any(|pol| {
                    let step = pol
                        .step
                        .as_ref()
                        .map(|st| (st.adjustment_type, st.steps.iter().map(|x| x.adjust).min().unwrap_or(0)));
                    let simple = pol.simple.as_ref().map(|si| (si.adjustment_type, si.adjust));
                    step.into_iter().chain(simple).any(|(t, adj)| match t {
                        AdjustmentType::PercentChangeInCapacity => adj <= -20,
                        AdjustmentType::ChangeInCapacity => adj <= -2,
                        AdjustmentType::ExactCapacity => false,
                    })
                });
                if aggressive {
                    out.fire(
                        p(&["target_groups", k, "stickiness"]),
                        format!("target group `{k}` is sticky and group `{gk}` removes several instances at once"),
                    );
                }
            }
        }
    },
);
