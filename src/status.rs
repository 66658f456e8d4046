//! `lbstack status`: how a stack is doing right now. Load balancers, target health, group
//! capacity, alarm states, and which colour a swap name points at.

use crate::aws_error::err;
use crate::live::Clients;
use crate::plan::Attrs;
use crate::plan::Kind;
use crate::stack_format::model::Stack;
use crate::swap::{Current, SwapRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    pub load_balancers: Vec<LoadBalancerStatus>,
    pub target_groups: Vec<TargetGroupStatus>,
    pub autoscaling_groups: Vec<GroupStatus>,
    pub alarms: Vec<AlarmStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap: Option<SwapStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadBalancerStatus {
    pub address: String,
    pub name: String,
    pub state: String,
    pub dns: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetGroupStatus {
    pub address: String,
    pub name: String,
    pub targets: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupStatus {
    pub address: String,
    pub name: String,
    pub min: i32,
    pub max: i32,
    pub desired: i32,
    pub in_service: usize,
    pub pending: usize,
    pub other: usize,
    pub last_refresh: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmStatus {
    pub address: String,
    pub name: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SwapStatus {
    pub name: String,
    /// The colour (stack) the history says is live, and whether it is this stack.
    pub live: Option<String>,
    pub this_stack_is_live: bool,
    #[serde(flatten)]
    pub current: Current,
}

pub async fn read(clients: &Clients, stack: &Stack, swap: Option<&SwapRecord>) -> anyhow::Result<Status> {
    let (elb, groups, alarms) = tokio::join!(
        crate::live::elbv2::read(clients, stack, &crate::live::Adopt::None),
        crate::live::autoscaling::read_groups(clients, stack, &crate::live::Adopt::None),
        crate::live::cloudwatch::read(clients, stack, &crate::live::Adopt::None)
    );
    let (elb, _) = elb?;
    let (groups, _) = groups?;
    let (alarms, _) = alarms?;

    let lb_arns: Vec<String> =
        elb.iter().filter(|r| r.address.kind == Kind::LoadBalancer).map(|r| r.id.clone()).collect();
    // DescribeLoadBalancers takes at most 20 ARNs a call.
    let pages = futures_util::future::try_join_all(lb_arns.chunks(20).map(|chunk| async move {
        let out = clients.elbv2.describe_load_balancers().set_load_balancer_arns(Some(chunk.to_vec())).send().await;
        out.map(|o| o.load_balancers().to_vec()).map_err(|e| err("reading load balancers", e))
    }))
    .await?;
    let described: Vec<_> = pages.into_iter().flatten().collect();
    let load_balancers = elb
        .iter()
        .filter(|r| r.address.kind == Kind::LoadBalancer)
        .map(|r| {
            let d = described.iter().find(|d| d.load_balancer_arn() == Some(r.id.as_str()));
            LoadBalancerStatus {
                address: r.address.to_string(),
                name: r.name.clone(),
                state: d
                    .and_then(|d| d.state())
                    .and_then(|s| s.code())
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_else(|| "unknown".into()),
                dns: d.and_then(|d| d.dns_name()).unwrap_or_default().to_string(),
            }
        })
        .collect();
    let target_groups = futures_util::future::try_join_all(
        elb.iter().filter(|r| r.address.kind == Kind::TargetGroup).map(|r| async move {
            let targets = crate::swap::target_states(clients, &r.id).await?;
            Ok::<_, anyhow::Error>(TargetGroupStatus { address: r.address.to_string(), name: r.name.clone(), targets })
        }),
    )
    .await?;
    let autoscaling_groups = groups
        .iter()
        .filter_map(|r| match &r.attrs {
            Attrs::AutoScalingGroup(g) => Some((r, g)),
            _ => None,
        })
        .map(|(r, g)| {
            let total = g.instances.unwrap_or(0) as usize;
            let in_service = g.in_service.unwrap_or(0) as usize;
            let pending = g.pending.unwrap_or(0) as usize;
            GroupStatus {
                address: r.address.to_string(),
                name: r.name.clone(),
                min: g.min as i32,
                max: g.max as i32,
                desired: g.desired_capacity.unwrap_or(0) as i32,
                in_service,
                pending,
                other: total.saturating_sub(in_service + pending),
                last_refresh: g.last_refresh.clone(),
            }
        })
        .collect();
    let alarms = alarms
        .iter()
        .map(|r| {
            let state = match &r.attrs {
                Attrs::Alarm(a) => a.state.clone(),
                Attrs::CompositeAlarm(a) => a.state.clone(),
                _ => None,
            };
            AlarmStatus {
                address: r.address.to_string(),
                name: r.name.clone(),
                state: state.unwrap_or_else(|| "unknown".into()),
            }
        })
        .collect();
    let swap = match swap {
        Some(rec) => {
            let zone_id = crate::live::route53::hosted_zone_id(clients, &rec.zone).await?;
            let current = crate::swap::read_current(clients, &zone_id, rec).await?;
            let live = current.live().map(|e| e.live.clone());
            Some(SwapStatus {
                name: rec.name.clone(),
                this_stack_is_live: live.as_deref() == Some(stack.stack.as_str()),
                live,
                current,
            })
        }
        None => None,
    };
    Ok(Status { stack: stack.stack.clone(), load_balancers, target_groups, autoscaling_groups, alarms, swap })
}

pub fn human(s: &Status) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Stack {}", s.stack);
    if s.load_balancers.is_empty()
        && s.target_groups.is_empty()
        && s.autoscaling_groups.is_empty()
        && s.alarms.is_empty()
    {
        let _ = writeln!(out, "  nothing owned by this stack exists (not applied yet?)");
    }
    if !s.load_balancers.is_empty() {
        let _ = writeln!(out, "\nLoad balancers");
        for lb in &s.load_balancers {
            let _ = writeln!(out, "  {:<32} {:<12} {}", lb.address, lb.state, lb.dns);
        }
    }
    if !s.target_groups.is_empty() {
        let _ = writeln!(out, "\nTarget groups");
        for tg in &s.target_groups {
            let counts: Vec<String> = tg.targets.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = writeln!(
                out,
                "  {:<32} {}",
                tg.address,
                if counts.is_empty() { "no targets".into() } else { counts.join(", ") }
            );
        }
    }
    if !s.autoscaling_groups.is_empty() {
        let _ = writeln!(out, "\nAuto-scaling groups");
        for g in &s.autoscaling_groups {
            let refresh = g.last_refresh.as_ref().map(|r| format!(", last refresh {r}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<32} desired {} (min {}, max {}): {} in service, {} pending, {} other{refresh}",
                g.address, g.desired, g.min, g.max, g.in_service, g.pending, g.other
            );
        }
    }
    if !s.alarms.is_empty() {
        let _ = writeln!(out, "\nAlarms");
        for a in &s.alarms {
            let _ = writeln!(out, "  {:<32} {}", a.address, a.state);
        }
    }
    if let Some(sw) = &s.swap {
        let _ = writeln!(out, "\nSwap {}", sw.name);
        match sw.current.live() {
            Some(e) => {
                let mark = if sw.this_stack_is_live { " (this stack)" } else { "" };
                let _ =
                    writeln!(out, "  live: {}{mark}, {}% since {} by {} ({})", e.live, e.weight, e.at, e.by, e.event);
            }
            None => {
                let _ = writeln!(out, "  no swap recorded");
            }
        }
        for (set, dns, weight) in &sw.current.records {
            let w = weight.map(|w| format!(" weight {w}")).unwrap_or_default();
            let _ =
                writeln!(out, "  record -> {dns}{}{w}", set.as_ref().map(|s| format!(" [{s}]")).unwrap_or_default());
        }
        if sw.current.history.len() > 1 {
            let _ = writeln!(out, "  history (newest last):");
            for e in &sw.current.history {
                let _ = writeln!(out, "    {} {} {}% by {} ({})", e.at, e.live, e.weight, e.by, e.event);
            }
        }
    }
    out
}
