//! Auto scaling rules: redundancy, policies that can act, health checks, spot, metrics, and
//! alarm-driven scaling that flaps or never scales in.

use super::{Rule, direction, prod, rule};
use crate::diag::Severity::Warning;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

fn policies_of<'a>(s: &'a Stack, group: &'a str) -> Vec<(&'a String, &'a ScalingPolicy)> {
    s.scaling_policies.iter().filter(|(_, pol)| pol.group == group).collect()
}

pub const MIN_BELOW_TWO: Rule = prod(
    "ASG001",
    "min-below-two",
    Warning,
    "a production group with fewer than 2 instances has no redundancy while one is replaced",
    |s, out| {
        for (k, g) in s.autoscaling_groups.iter().filter(|(_, g)| g.min < 2) {
            out.fire(
                p(&["autoscaling_groups", k, "min"]),
                format!("production group `{k}` may run a single instance (min {})", g.min),
            );
        }
    },
);

pub const FIXED_SIZE_WITH_POLICIES: Rule = rule(
    "ASG002",
    "fixed-size-with-policies",
    Warning,
    "max equal to min leaves scaling policies nothing to do",
    |s, out| {
        for (k, g) in s.autoscaling_groups.iter().filter(|(_, g)| g.max == g.min) {
            let n = policies_of(s, k).len();
            if n > 0 {
                out.fire(
                    p(&["autoscaling_groups", k, "max"]),
                    format!(
                        "group `{k}` has max = min = {} but {n} scaling polic{}",
                        g.max,
                        if n == 1 { "y" } else { "ies" }
                    ),
                );
            }
        }
    },
);

pub const PREDICTIVE_WITHOUT_TARGET_TRACKING: Rule = rule(
    "ASG003",
    "predictive-without-target-tracking",
    Warning,
    "predictive scaling only plans capacity; a target tracking policy must react to what the forecast missed",
    |s, out| {
        for k in s.autoscaling_groups.keys() {
            let policies = policies_of(s, k);
            if let Some((pk, _)) = policies.iter().find(|(_, pol)| pol.predictive.is_some())
                && !policies.iter().any(|(_, pol)| pol.target_tracking.is_some())
            {
                out.fire(
                    p(&["scaling_policies", pk]),
                    format!("predictive policy `{pk}` has no target tracking partner on group `{k}`"),
                );
            }
        }
    },
);

pub const EC2_HEALTH_CHECK_BEHIND_LB: Rule = rule(
    "ASG004",
    "ec2-health-check-behind-lb",
    Warning,
    "with EC2 health checks, instances the load balancer finds unhealthy are never replaced",
    |s, out| {
        for (k, g) in &s.autoscaling_groups {
            if !g.target_groups.is_empty() && g.health_check.as_ref().is_none_or(|h| h.kind == AsgHealthCheckType::Ec2)
            {
                let at = if g.health_check.is_some() {
                    p(&["autoscaling_groups", k, "health_check"])
                } else {
                    p(&["autoscaling_groups", k])
                };
                out.fire(at, format!("group `{k}` serves target groups but replaces instances only on EC2 status checks (`health_check: {{type: elb}}`)"));
            }
        }
    },
);

pub const FEW_SPOT_INSTANCE_TYPES: Rule = rule(
    "ASG005",
    "few-spot-instance-types",
    Warning,
    "spot capacity with fewer than 3 instance types is interrupted and unavailable far more often",
    |s, out| {
        for (k, g) in &s.autoscaling_groups {
            if let Some(m) = &g.mixed_instances
                && m.on_demand_percentage < 100
                && m.types.len() < 3
            {
                out.fire(
                    p(&["autoscaling_groups", k, "mixed_instances", "types"]),
                    format!(
                        "group `{k}` buys spot with {} instance type{}",
                        m.types.len(),
                        if m.types.len() == 1 { "" } else { "s" }
                    ),
                );
            }
        }
    },
);

pub const NO_GROUP_METRICS: Rule = prod(
    "ASG006",
    "no-group-metrics",
    Warning,
    "without group metrics there is no history of the group's size and no data for capacity alarms",
    |s, out| {
        for k in s.autoscaling_groups.iter().filter(|(_, g)| g.collected_metrics().is_empty()).map(|(k, _)| k) {
            out.fire(
                p(&["autoscaling_groups", k]),
                format!("production group `{k}` collects no group metrics (`metrics: all`)"),
            );
        }
    },
);

pub const FLAPPING_THRESHOLDS: Rule = rule(
    "SCALE001",
    "flapping-thresholds",
    Warning,
    "scale-out and scale-in thresholds close together make the group flap between sizes",
    |s, out| {
        let alarm_dir = |a: &Alarm| a.actions.iter().filter_map(|act| s.scaling_policies.get(act)).find_map(direction);
        for (ok, out_alarm) in s.alarms.iter().filter(|(_, a)| alarm_dir(a) == Some(1)) {
            for (ik, in_alarm) in s.alarms.iter().filter(|(_, a)| alarm_dir(a) == Some(-1)) {
                if out_alarm.metric.is_none()
                    || out_alarm.metric != in_alarm.metric
                    || out_alarm.dimensions != in_alarm.dimensions
                {
                    continue;
                }
                let (Some(out_threshold), Some(in_threshold)) = (out_alarm.threshold, in_alarm.threshold) else {
                    continue;
                };
                let gap = (out_threshold - in_threshold).abs();
                let scale = out_threshold.abs().max(in_threshold.abs()).max(1.0);
                if gap / scale < 0.2 {
                    out.fire(
                        p(&["alarms", ik, "threshold"]),
                        format!("scale-in alarm `{ik}` ({in_threshold}) is within 20% of scale-out alarm `{ok}` ({out_threshold})"),
                    );
                }
            }
        }
    },
);

pub const NO_SCALE_IN: Rule = rule(
    "SCALE002",
    "no-scale-in",
    Warning,
    "alarm-driven scale-out without any scale-in path keeps every instance it ever added",
    |s, out| {
        for k in s.autoscaling_groups.keys() {
            let policies = policies_of(s, k);
            let scales_out = policies.iter().find(|(_, pol)| direction(pol) == Some(1)).map(|(pk, _)| *pk);
            let scales_in = policies.iter().any(|(_, pol)| {
                direction(pol) == Some(-1) || pol.target_tracking.as_ref().is_some_and(|t| !t.disable_scale_in)
            });
            if let Some(first) = scales_out
                && !scales_in
            {
                out.fire(
                    p(&["scaling_policies", first]),
                    format!("group `{k}` scales out with `{first}` but nothing scales it in"),
                );
            }
        }
    },
);
