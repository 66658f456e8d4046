//! Security group rules: the path from the load balancer to the instances, and SSH.

use super::{Rule, covers, forwards_to, rule};
use crate::diag::Severity::Error;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

pub const TARGET_UNREACHABLE_FROM_LB: Rule = rule(
    "SG001",
    "target-unreachable-from-lb",
    Error,
    "the instances' security groups do not admit the load balancer's on the traffic or health-check port",
    |s, out| {
        for (gk, g) in &s.autoscaling_groups {
            let Some(lt) = s.launch_templates.get(g.launch_template.name()) else { continue };
            let instance_sgs: Vec<&SecurityGroup> =
                lt.security_groups.iter().filter_map(|sg| s.security_groups.get(sg)).collect();
            if instance_sgs.len() != lt.security_groups.len()
                || instance_sgs.is_empty()
                || instance_sgs.iter().any(|g| g.lookup.is_some())
            {
                continue; // existing groups (`sg-` ids, lookups): their rules are not known offline
            }
            for tgk in &g.target_groups {
                let Some(tg) = s.target_groups.get(tgk) else { continue };
                for (lbk, lb) in s.load_balancers.iter().filter(|(_, lb)| forwards_to(lb).contains(&tgk.as_str())) {
                    if lb.kind != LbType::Application && lb.security_groups.is_empty() {
                        continue; // NLBs without security groups pass client addresses through
                    }
                    let port = tg.port.unwrap_or(80);
                    let hc_port = match tg.health_check.as_ref().and_then(|h| h.port.clone()) {
                        Some(HealthCheckPort::Port(n)) => n,
                        _ => port,
                    };
                    for want in [port, hc_port] {
                        let admitted = instance_sgs.iter().flat_map(|sg| &sg.ingress).any(|r| {
                            covers(r, want)
                                && (r.groups.iter().any(|g| lb.security_groups.contains(g))
                                    || r.cidrs.iter().any(|c| {
                                        c == "0.0.0.0/0"
                                            || c.starts_with("10.")
                                            || c.starts_with("172.")
                                            || c.starts_with("192.168.")
                                    }))
                        });
                        if !admitted {
                            out.fire(
                                p(&["launch_templates", g.launch_template.name(), "security_groups"]),
                                format!("instances of `{gk}` do not admit load balancer `{lbk}` on port {want} (target group `{tgk}`)"),
                            );
                            break;
                        }
                    }
                }
            }
        }
    },
);

pub const SSH_OPEN_TO_WORLD: Rule = rule(
    "SG002",
    "ssh-open-to-world",
    Error,
    "SSH open to 0.0.0.0/0 invites brute force; use SSM Session Manager or a bastion",
    |s, out| {
        for (k, sg) in &s.security_groups {
            for (i, r) in sg.ingress.iter().enumerate() {
                if covers(r, 22)
                    && (r.cidrs.iter().any(|c| c == "0.0.0.0/0") || r.ipv6_cidrs.iter().any(|c| c == "::/0"))
                {
                    out.fire(
                        p(&["security_groups", k, "ingress", &i.to_string()]),
                        format!("security group `{k}` admits SSH (port 22) from anywhere"),
                    );
                }
            }
        }
    },
);
