//! Monitoring rules: the alarms an application load balancer should have.

use super::{Rule, rule};
use crate::diag::Severity::Warning;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

/// The first application load balancer, and whether any alarm watches one of `metrics`.
fn unwatched<'a>(s: &'a Stack, metrics: &[&str]) -> Option<&'a String> {
    let (k, _) = s.load_balancers.iter().find(|(_, lb)| lb.kind == LbType::Application)?;
    let watched = s
        .alarms
        .values()
        .any(|a| a.metric.iter().chain(a.metrics.values().map(|m| &m.metric)).any(|m| metrics.contains(&m.as_str())));
    (!watched).then_some(k)
}

pub const NO_5XX_ALARM: Rule = rule(
    "MON001",
    "no-5xx-alarm",
    Warning,
    "nobody is told when the load balancer or its targets answer with server errors",
    |s, out| {
        if let Some(k) = unwatched(s, &["HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"]) {
            out.fire(p(&["load_balancers", k]), format!("no alarm watches 5xx answers of load balancer `{k}`"));
        }
    },
);

pub const NO_LATENCY_ALARM: Rule =
    rule("MON002", "no-latency-alarm", Warning, "nobody is told when responses slow down", |s, out| {
        if let Some(k) = unwatched(s, &["TargetResponseTime"]) {
            out.fire(p(&["load_balancers", k]), format!("no alarm watches the response time of load balancer `{k}`"));
        }
    });

pub const NO_UNHEALTHY_HOSTS_ALARM: Rule = rule(
    "MON003",
    "no-unhealthy-hosts-alarm",
    Warning,
    "nobody is told when targets fail their health checks",
    |s, out| {
        if let Some(k) = unwatched(s, &["UnHealthyHostCount", "HealthyHostCount"]) {
            out.fire(
                p(&["load_balancers", k]),
                format!("no alarm watches unhealthy targets behind load balancer `{k}`"),
            );
        }
    },
);
