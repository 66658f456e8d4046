//! Load balancer rules: placement, TLS, WAF, protection, logs, header handling, sign-in.

use super::{Rule, prod, rule, single_subnet};
use crate::diag::Severity::Warning;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

fn albs(s: &Stack) -> impl Iterator<Item = (&String, &LoadBalancer)> {
    s.load_balancers.iter().filter(|(_, lb)| lb.kind == LbType::Application)
}

fn public_albs(s: &Stack) -> impl Iterator<Item = (&String, &LoadBalancer)> {
    albs(s).filter(|(_, lb)| lb.scheme == Scheme::InternetFacing)
}

pub const SINGLE_SUBNET: Rule = rule(
    "LB001",
    "single-subnet",
    Warning,
    "a load balancer or group in one subnet (one availability zone) goes down with that zone",
    |s, out| {
        for (k, lb) in &s.load_balancers {
            if let Some(g) = single_subnet(s, &lb.subnets) {
                out.fire(
                    p(&["load_balancers", k, "subnets"]),
                    format!("load balancer `{k}` uses subnet group `{g}`, which lists one subnet"),
                );
            }
        }
        for (k, grp) in &s.autoscaling_groups {
            if let Some(g) = single_subnet(s, &grp.subnets) {
                out.fire(
                    p(&["autoscaling_groups", k, "subnets"]),
                    format!("auto-scaling group `{k}` uses subnet group `{g}`, which lists one subnet"),
                );
            }
        }
    },
);

pub const HTTP_NOT_REDIRECTED: Rule = rule(
    "LB002",
    "http-not-redirected",
    Warning,
    "an HTTP listener beside HTTPS that does not redirect serves users in clear text",
    |s, out| {
        for (k, lb) in albs(s) {
            if !lb.listeners.values().any(|l| l.protocol == Some(Protocol::Https)) {
                continue;
            }
            for (lk, l) in &lb.listeners {
                if l.protocol.unwrap_or(Protocol::Http) == Protocol::Http && l.default_action.redirect.is_none() {
                    out.fire(
                        p(&["load_balancers", k, "listeners", lk, "default_action"]),
                        format!("listener `{k}.{lk}` serves HTTP beside HTTPS without redirecting"),
                    );
                }
            }
        }
    },
);

pub const OUTDATED_TLS_POLICY: Rule = rule(
    "LB003",
    "outdated-tls-policy",
    Warning,
    "TLS policies that allow TLS 1.0/1.1 or weak ciphers fail audits and expose clients",
    |s, out| {
        for (k, lb) in &s.load_balancers {
            for (lk, l) in &lb.listeners {
                let Some(policy) = &l.ssl_policy else { continue };
                if ["2015", "2016", "TLS-1-0", "TLS-1-1", "2011", "FS-2018", "FS-1-1"]
                    .iter()
                    .any(|m| policy.contains(m))
                {
                    out.fire(
                        p(&["load_balancers", k, "listeners", lk, "ssl_policy"]),
                        format!("`{policy}` allows TLS 1.0/1.1 or legacy ciphers; use ELBSecurityPolicy-TLS13-1-2-2021-06 or newer"),
                    );
                }
            }
        }
    },
);

pub const PUBLIC_ALB_WITHOUT_WAF: Rule = rule(
    "LB004",
    "public-alb-without-waf",
    Warning,
    "an internet-facing application load balancer without a web ACL takes every request unfiltered",
    |s, out| {
        for (k, lb) in public_albs(s) {
            if lb.web_acl.is_none() {
                out.fire(p(&["load_balancers", k]), format!("internet-facing load balancer `{k}` has no `web_acl`"));
            }
        }
    },
);

pub const DELETION_PROTECTION_OFF: Rule = prod(
    "LB005",
    "deletion-protection-off",
    Warning,
    "one wrong destroy or console click deletes a production load balancer and its DNS name",
    |s, out| {
        for (k, lb) in &s.load_balancers {
            if lb.attributes.deletion_protection != Some(true) {
                out.fire(
                    p(&["load_balancers", k]),
                    format!("production load balancer `{k}` has deletion protection off"),
                );
            }
        }
    },
);

pub const NO_ACCESS_LOGS: Rule = prod(
    "LB006",
    "no-access-logs",
    Warning,
    "without access logs there is no record of who was served what when something goes wrong",
    |s, out| {
        for (k, lb) in s.load_balancers.iter().filter(|(_, lb)| lb.kind != LbType::Gateway) {
            if lb.attributes.access_logs.is_none() {
                out.fire(p(&["load_balancers", k]), format!("production load balancer `{k}` writes no access logs"));
            }
        }
    },
);

pub const INVALID_HEADERS_KEPT: Rule = rule(
    "LB007",
    "invalid-headers-kept",
    Warning,
    "forwarding invalid HTTP headers leaves internet-facing targets open to request smuggling",
    |s, out| {
        for (k, lb) in public_albs(s) {
            if lb.attributes.drop_invalid_headers != Some(true) {
                out.fire(
                    p(&["load_balancers", k]),
                    format!("internet-facing load balancer `{k}` forwards invalid headers (`attributes.drop_invalid_headers: true` drops them)"),
                );
            }
        }
    },
);

pub const DESYNC_MONITOR_ONLY: Rule = rule(
    "LB008",
    "desync-monitor-only",
    Warning,
    "`monitor` desync mitigation lets requests that look like HTTP desync (request smuggling) through to the targets",
    |s, out| {
        for (k, lb) in public_albs(s) {
            if lb.attributes.desync_mitigation == Some(DesyncMitigation::Monitor) {
                out.fire(
                    p(&["load_balancers", k, "attributes", "desync_mitigation"]),
                    format!("internet-facing load balancer `{k}` only monitors desync attempts"),
                );
            }
        }
    },
);

pub const WAF_FAIL_OPEN: Rule = prod(
    "LB009",
    "waf-fail-open",
    Warning,
    "with WAF fail-open, requests reach the targets unfiltered whenever the web ACL cannot be consulted",
    |s, out| {
        for (k, lb) in albs(s) {
            if lb.attributes.waf_fail_open == Some(true) {
                out.fire(
                    p(&["load_balancers", k, "attributes", "waf_fail_open"]),
                    format!("production load balancer `{k}` lets requests past its web ACL when WAF is unreachable"),
                );
            }
        }
    },
);

pub const SIGN_IN_BYPASSED: Rule = rule(
    "LB010",
    "sign-in-bypassed-by-rule",
    Warning,
    "when a listener signs users in by default, a rule that forwards without `authenticate` serves its paths to anyone",
    |s, out| {
        for (k, lb) in albs(s) {
            for (lk, l) in &lb.listeners {
                if l.default_action.authenticate.is_none() {
                    continue;
                }
                for (i, r) in l.rules.iter().enumerate() {
                    if r.forward.is_some() && r.authenticate.is_none() {
                        out.fire(
                            p(&["load_balancers", k, "listeners", lk, "rules", &i.to_string()]),
                            format!("listener `{k}.{lk}` signs users in by default, but rule {} forwards without `authenticate`", i + 1),
                        );
                    }
                }
            }
        }
    },
);

/// A day: longer sessions outlive a revoked account by that much.
const LONGEST_SESSION: u32 = 86_400;

pub const LONG_SIGN_IN_SESSION: Rule = prod(
    "LB011",
    "long-sign-in-session",
    Warning,
    "a sign-in session outlives the user's account by as long as it lasts (AWS's default is 7 days); keep it to a day or less",
    |s, out| {
        for (k, lb) in albs(s) {
            for (lk, l) in &lb.listeners {
                let actions = std::iter::once((
                    p(&["load_balancers", k, "listeners", lk, "default_action", "authenticate"]),
                    &l.default_action.authenticate,
                ))
                .chain(l.rules.iter().enumerate().map(|(i, r)| {
                    (
                        p(&["load_balancers", k, "listeners", lk, "rules", &i.to_string(), "authenticate"]),
                        &r.authenticate,
                    )
                }));
                for (at, auth) in actions {
                    let Some(auth) = auth else { continue };
                    let timeout = auth.session_timeout.unwrap_or(crate::defaults::AUTH_SESSION_TIMEOUT);
                    if timeout > LONGEST_SESSION {
                        out.fire(at, format!("sign-in sessions on listener `{k}.{lk}` last {} hours", timeout / 3600));
                    }
                }
            }
        }
    },
);
