//! `lbstack lint`: best-practice rules for load balancing and auto scaling, offline. Each rule has
//! an id, a severity and a one-line why; a finding points at the place in the file, and a stack
//! silences one with `lint.ignore` and a reason. Output: human, JSON, SARIF 2.1.0.

use crate::diag::{Diagnostic, Report, Severity};
use crate::spec::SpanIndex;
use crate::spec::model::*;
use crate::spec::values::pointer as p;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub why: &'static str,
    /// Checked only for production stacks.
    pub production_only: bool,
}

const fn rule(id: &'static str, name: &'static str, severity: Severity, why: &'static str) -> Rule {
    Rule { id, name, severity, why, production_only: false }
}

const fn prod(id: &'static str, name: &'static str, severity: Severity, why: &'static str) -> Rule {
    Rule { id, name, severity, why, production_only: true }
}

use Severity::{Error, Warning};

pub const RULES: &[Rule] = &[
    rule("LB001", "single-subnet", Warning, "a load balancer or group in one subnet (one availability zone) goes down with that zone"),
    rule("LB002", "http-not-redirected", Warning, "an HTTP listener beside HTTPS that does not redirect serves users in clear text"),
    rule("LB003", "outdated-tls-policy", Warning, "TLS policies that allow TLS 1.0/1.1 or weak ciphers fail audits and expose clients"),
    rule("LB004", "public-alb-without-waf", Warning, "an internet-facing application load balancer without a web ACL takes every request unfiltered"),
    prod("LB005", "deletion-protection-off", Warning, "one wrong destroy or console click deletes a production load balancer and its DNS name"),
    prod("LB006", "no-access-logs", Warning, "without access logs there is no record of who was served what when something goes wrong"),
    rule("LB007", "invalid-headers-kept", Warning, "forwarding invalid HTTP headers leaves internet-facing targets open to request smuggling"),
    rule(
        "LB008",
        "desync-monitor-only",
        Warning,
        "`monitor` desync mitigation lets requests that look like HTTP desync (request smuggling) through to the targets",
    ),
    prod("LB009", "waf-fail-open", Warning, "with WAF fail-open, requests reach the targets unfiltered whenever the web ACL cannot be consulted"),
    rule("TG001", "slow-failure-detection", Warning, "unhealthy threshold x interval above 60 s keeps sending traffic to a dead target for over a minute"),
    rule("TG002", "health-check-on-root", Warning, "a health check on `/` tests the home page, not the service's own readiness endpoint"),
    rule("TG003", "drain-longer-than-spot-notice", Warning, "spot instances get a 2-minute notice; a longer deregistration delay is cut off mid-drain"),
    rule("TG004", "sticky-with-aggressive-scale-in", Warning, "sticky sessions on a group that removes several instances at once drop many sessions together"),
    rule("SG001", "target-unreachable-from-lb", Error, "the instances' security groups do not admit the load balancer's on the traffic or health-check port"),
    rule("SG002", "ssh-open-to-world", Error, "SSH open to 0.0.0.0/0 invites brute force; use SSM Session Manager or a bastion"),
    prod("ASG001", "min-below-two", Warning, "a production group with fewer than 2 instances has no redundancy while one is replaced"),
    rule("ASG002", "fixed-size-with-policies", Warning, "max equal to min leaves scaling policies nothing to do"),
    rule(
        "ASG003",
        "predictive-without-target-tracking",
        Warning,
        "predictive scaling only plans capacity; a target tracking policy must react to what the forecast missed",
    ),
    rule("ASG004", "ec2-health-check-behind-lb", Warning, "with EC2 health checks, instances the load balancer finds unhealthy are never replaced"),
    rule("ASG005", "few-spot-instance-types", Warning, "spot capacity with fewer than 3 instance types is interrupted and unavailable far more often"),
    prod("ASG006", "no-group-metrics", Warning, "without group metrics there is no history of the group's size and no data for capacity alarms"),
    rule("SCALE001", "flapping-thresholds", Warning, "scale-out and scale-in thresholds close together make the group flap between sizes"),
    rule("SCALE002", "no-scale-in", Warning, "alarm-driven scale-out without any scale-in path keeps every instance it ever added"),
    rule("MON001", "no-5xx-alarm", Warning, "nobody is told when the load balancer or its targets answer with server errors"),
    rule("MON002", "no-latency-alarm", Warning, "nobody is told when responses slow down"),
    rule("MON003", "no-unhealthy-hosts-alarm", Warning, "nobody is told when targets fail their health checks"),
    rule("LT001", "imdsv1-allowed", Warning, "IMDSv1 lets SSRF bugs read instance credentials; require IMDSv2 tokens"),
    rule("LT002", "unencrypted-root-volume", Warning, "unencrypted EBS volumes fail most compliance baselines"),
];

pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// JSON pointer of the place in the stack.
    pub pointer: String,
    pub message: String,
}

pub fn is_production(s: &Stack) -> bool {
    s.lint.production.unwrap_or_else(|| {
        s.tags.iter().any(|(k, v)| {
            matches!(k.to_ascii_lowercase().as_str(), "environment" | "env" | "stage") && matches!(v.to_ascii_lowercase().as_str(), "production" | "prod")
        })
    })
}

/// Port ranges of a security group rule (protocol tcp or all).
fn covers(r: &SgRule, port: u32) -> bool {
    match (r.protocol, &r.ports) {
        (SgProtocol::All, _) | (SgProtocol::Tcp, None) => true,
        (SgProtocol::Tcp, Some(Ports::One(n))) => *n as u32 == port,
        (SgProtocol::Tcp, Some(Ports::Range(range))) => {
            crate::spec::validate::parse_port_range(range).is_some_and(|(a, b)| (a as u32) <= port && port <= b as u32)
        }
        _ => false,
    }
}

fn forwards_to(lb: &LoadBalancer) -> Vec<&str> {
    lb.listeners.values().flat_map(Listener::target_groups).collect()
}

fn single_subnet<'a>(s: &'a Stack, name: &'a Option<String>) -> Option<&'a String> {
    name.as_ref().filter(|g| s.network.subnet_groups.get(*g).is_some_and(|sg| sg.ids.len() == 1))
}

fn groups_of<'a>(s: &'a Stack, tg: &'a str) -> impl Iterator<Item = (&'a String, &'a AutoScalingGroup)> {
    s.autoscaling_groups.iter().filter(move |(_, g)| g.target_groups.iter().any(|t| t == tg))
}

/// Whether a policy adds (positive) or removes (negative) capacity; None for target tracking/predictive.
fn direction(pol: &ScalingPolicy) -> Option<i32> {
    if let Some(st) = &pol.step {
        return st.steps.iter().map(|x| x.adjust).find(|a| *a != 0).map(i32::signum);
    }
    pol.simple.as_ref().map(|si| si.adjust.signum())
}

pub fn check(s: &Stack) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut fire = |id: &str, pointer: String, message: String| {
        let rule = rule_by_id(id).expect("a known rule");
        out.push(Finding { rule, pointer, message });
    };

    // LB001: subnet groups with a single subnet.
    for (k, lb) in &s.load_balancers {
        if let Some(g) = single_subnet(s, &lb.subnets) {
            fire("LB001", p(&["load_balancers", k, "subnets"]), format!("load balancer `{k}` uses subnet group `{g}`, which lists one subnet"));
        }
    }
    for (k, grp) in &s.autoscaling_groups {
        if let Some(g) = single_subnet(s, &grp.subnets) {
            fire("LB001", p(&["autoscaling_groups", k, "subnets"]), format!("auto-scaling group `{k}` uses subnet group `{g}`, which lists one subnet"));
        }
    }

    for (k, lb) in &s.load_balancers {
        let alb = lb.kind == LbType::Application;
        let public = lb.scheme == Scheme::InternetFacing;
        let has_https = lb.listeners.values().any(|l| l.protocol == Some(Protocol::Https));
        for (lk, l) in &lb.listeners {
            let lp = p(&["load_balancers", k, "listeners", lk]);
            if alb && has_https && l.protocol.unwrap_or(Protocol::Http) == Protocol::Http && l.default_action.redirect.is_none() {
                fire("LB002", format!("{lp}/default_action"), format!("listener `{k}.{lk}` serves HTTP beside HTTPS without redirecting"));
            }
            if let Some(policy) = &l.ssl_policy {
                let old = ["2015", "2016", "TLS-1-0", "TLS-1-1", "2011", "FS-2018", "FS-1-1"].iter().any(|m| policy.contains(m));
                if old {
                    fire(
                        "LB003",
                        format!("{lp}/ssl_policy"),
                        format!("`{policy}` allows TLS 1.0/1.1 or legacy ciphers; use ELBSecurityPolicy-TLS13-1-2-2021-06 or newer"),
                    );
                }
            }
        }
        let lbp = p(&["load_balancers", k]);
        if alb && public && lb.web_acl.is_none() {
            fire("LB004", lbp.clone(), format!("internet-facing load balancer `{k}` has no `web_acl`"));
        }
        if is_production(s) && lb.attributes.deletion_protection != Some(true) {
            fire("LB005", lbp.clone(), format!("production load balancer `{k}` has deletion protection off"));
        }
        if is_production(s) && lb.kind != LbType::Gateway && lb.attributes.access_logs.is_none() {
            fire("LB006", lbp.clone(), format!("production load balancer `{k}` writes no access logs"));
        }
        if alb && public && lb.attributes.desync_mitigation == Some(DesyncMitigation::Monitor) {
            fire("LB008", format!("{lbp}/attributes/desync_mitigation"), format!("internet-facing load balancer `{k}` only monitors desync attempts"));
        }
        if alb && is_production(s) && lb.attributes.waf_fail_open == Some(true) {
            fire(
                "LB009",
                format!("{lbp}/attributes/waf_fail_open"),
                format!("production load balancer `{k}` lets requests past its web ACL when WAF is unreachable"),
            );
        }
        if alb && public && lb.attributes.drop_invalid_headers != Some(true) {
            fire("LB007", lbp, format!("internet-facing load balancer `{k}` forwards invalid headers (`attributes.drop_invalid_headers: true` drops them)"));
        }
    }

    // Which groups fill which target groups.
    for (k, tg) in &s.target_groups {
        let tp = p(&["target_groups", k]);
        if tg.target_type == TargetType::Lambda {
            continue;
        }
        let http = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https) | None);
        let hc = tg.health_check.clone().unwrap_or_default();
        let interval = hc.interval.unwrap_or(if tg.protocol == Some(Protocol::Geneve) { 10 } else { 30 });
        let unhealthy = hc.unhealthy_threshold.unwrap_or(2);
        if interval * unhealthy > 60 {
            let at = if tg.health_check.is_some() { format!("{tp}/health_check") } else { tp.clone() };
            fire(
                "TG001",
                at,
                format!(
                    "target group `{k}` needs {unhealthy} failed checks {interval} s apart ({} s) to stop sending traffic to a dead target",
                    interval * unhealthy
                ),
            );
        }
        let checks_http = hc.protocol.map_or(http, |pr| pr != HealthCheckProtocol::Tcp);
        if checks_http && hc.path.as_deref().unwrap_or("/") == "/" && tg.protocol != Some(Protocol::Geneve) {
            let at = if tg.health_check.is_some() { format!("{tp}/health_check") } else { tp.clone() };
            fire("TG002", at, format!("target group `{k}` checks health on `/`; point it at a readiness endpoint such as `/health`"));
        }
        let delay = tg.deregistration_delay.unwrap_or(300);
        let spot = groups_of(s, k).any(|(_, g)| {
            g.mixed_instances.as_ref().is_some_and(|m| m.on_demand_percentage < 100)
                || s.launch_templates.get(g.launch_template.name()).is_some_and(|lt| lt.spot.is_some())
        });
        if spot && delay > 120 {
            let at = if tg.deregistration_delay.is_some() { format!("{tp}/deregistration_delay") } else { tp.clone() };
            fire("TG003", at, format!("target group `{k}` drains for {delay} s, but its spot instances get a 120 s notice"));
        }
        if tg.stickiness.is_some() {
            for (gk, _) in groups_of(s, k) {
                let aggressive = s.scaling_policies.values().filter(|pol| pol.group == *gk).any(|pol| {
                    let step = pol.step.as_ref().map(|st| (st.adjustment_type, st.steps.iter().map(|x| x.adjust).min().unwrap_or(0)));
                    let simple = pol.simple.as_ref().map(|si| (si.adjustment_type, si.adjust));
                    step.into_iter().chain(simple).any(|(t, adj)| match t {
                        AdjustmentType::PercentChangeInCapacity => adj <= -20,
                        AdjustmentType::ChangeInCapacity => adj <= -2,
                        AdjustmentType::ExactCapacity => false,
                    })
                });
                if aggressive {
                    fire("TG004", format!("{tp}/stickiness"), format!("target group `{k}` is sticky and group `{gk}` removes several instances at once"));
                }
            }
        }
    }

    // SG001: instances admit the load balancer on the traffic and health-check ports.
    for (gk, g) in &s.autoscaling_groups {
        let Some(lt) = s.launch_templates.get(g.launch_template.name()) else { continue };
        let instance_sgs: Vec<&SecurityGroup> = lt.security_groups.iter().filter_map(|sg| s.security_groups.get(sg)).collect();
        if instance_sgs.len() != lt.security_groups.len() || instance_sgs.is_empty() || instance_sgs.iter().any(|g| g.lookup.is_some()) {
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
                                || r.cidrs.iter().any(|c| c == "0.0.0.0/0" || c.starts_with("10.") || c.starts_with("172.") || c.starts_with("192.168.")))
                    });
                    if !admitted {
                        fire(
                            "SG001",
                            p(&["launch_templates", g.launch_template.name(), "security_groups"]),
                            format!("instances of `{gk}` do not admit load balancer `{lbk}` on port {want} (target group `{tgk}`)"),
                        );
                        break;
                    }
                }
            }
        }
    }

    // SG002: SSH from anywhere.
    for (k, sg) in &s.security_groups {
        for (i, r) in sg.ingress.iter().enumerate() {
            if covers(r, 22) && r.cidrs.iter().any(|c| c == "0.0.0.0/0") || covers(r, 22) && r.ipv6_cidrs.iter().any(|c| c == "::/0") {
                fire("SG002", p(&["security_groups", k, "ingress", &i.to_string()]), format!("security group `{k}` admits SSH (port 22) from anywhere"));
            }
        }
    }

    for (k, g) in &s.autoscaling_groups {
        let gp = p(&["autoscaling_groups", k]);
        let policies: Vec<(&String, &ScalingPolicy)> = s.scaling_policies.iter().filter(|(_, pol)| pol.group == *k).collect();
        if is_production(s) && g.min < 2 {
            fire("ASG001", format!("{gp}/min"), format!("production group `{k}` may run a single instance (min {})", g.min));
        }
        if g.max == g.min && !policies.is_empty() {
            fire(
                "ASG002",
                format!("{gp}/max"),
                format!("group `{k}` has max = min = {} but {} scaling polic{}", g.max, policies.len(), if policies.len() == 1 { "y" } else { "ies" }),
            );
        }
        if let Some((pk, _)) = policies.iter().find(|(_, pol)| pol.predictive.is_some())
            && !policies.iter().any(|(_, pol)| pol.target_tracking.is_some())
        {
            fire("ASG003", p(&["scaling_policies", pk]), format!("predictive policy `{pk}` has no target tracking partner on group `{k}`"));
        }
        if !g.target_groups.is_empty() && g.health_check.as_ref().is_none_or(|h| h.kind == AsgHealthCheckType::Ec2) {
            let at = if g.health_check.is_some() { format!("{gp}/health_check") } else { gp.clone() };
            fire("ASG004", at, format!("group `{k}` serves target groups but replaces instances only on EC2 status checks (`health_check: {{type: elb}}`)"));
        }
        if let Some(m) = &g.mixed_instances
            && m.on_demand_percentage < 100
            && m.types.len() < 3
        {
            fire(
                "ASG005",
                format!("{gp}/mixed_instances/types"),
                format!("group `{k}` buys spot with {} instance type{}", m.types.len(), if m.types.len() == 1 { "" } else { "s" }),
            );
        }
        if is_production(s) && g.collected_metrics().is_empty() {
            fire("ASG006", gp.clone(), format!("production group `{k}` collects no group metrics (`metrics: all`)"));
        }
        let out_policies: Vec<&String> = policies.iter().filter(|(_, pol)| direction(pol) == Some(1)).map(|(pk, _)| *pk).collect();
        let scales_in = policies.iter().any(|(_, pol)| direction(pol) == Some(-1) || pol.target_tracking.as_ref().is_some_and(|t| !t.disable_scale_in));
        if let Some(first) = out_policies.first()
            && !scales_in
        {
            fire("SCALE002", p(&["scaling_policies", first]), format!("group `{k}` scales out with `{first}` but nothing scales it in"));
        }
    }

    // SCALE001: a scale-out and a scale-in alarm on the same metric with thresholds too close.
    let alarm_dir = |a: &Alarm| a.actions.iter().filter_map(|act| s.scaling_policies.get(act)).find_map(direction);
    for (ok, out_alarm) in s.alarms.iter().filter(|(_, a)| alarm_dir(a) == Some(1)) {
        for (ik, in_alarm) in s.alarms.iter().filter(|(_, a)| alarm_dir(a) == Some(-1)) {
            if out_alarm.metric.is_none() || out_alarm.metric != in_alarm.metric || out_alarm.dimensions != in_alarm.dimensions {
                continue;
            }
            let (Some(out_threshold), Some(in_threshold)) = (out_alarm.threshold, in_alarm.threshold) else { continue };
            let gap = (out_threshold - in_threshold).abs();
            let scale = out_threshold.abs().max(in_threshold.abs()).max(1.0);
            if gap / scale < 0.2 {
                fire(
                    "SCALE001",
                    p(&["alarms", ik, "threshold"]),
                    format!("scale-in alarm `{ik}` ({in_threshold}) is within 20% of scale-out alarm `{ok}` ({out_threshold})"),
                );
            }
        }
    }

    // MON: alarms an application load balancer should have.
    if let Some((k, _)) = s.load_balancers.iter().find(|(_, lb)| lb.kind == LbType::Application) {
        let has = |names: &[&str]| {
            s.alarms.values().any(|a| {
                let watched = a.metric.iter().chain(a.metrics.values().map(|m| &m.metric));
                watched.into_iter().any(|m| names.contains(&m.as_str()))
            })
        };
        let lbp = p(&["load_balancers", k]);
        if !has(&["HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"]) {
            fire("MON001", lbp.clone(), format!("no alarm watches 5xx answers of load balancer `{k}`"));
        }
        if !has(&["TargetResponseTime"]) {
            fire("MON002", lbp.clone(), format!("no alarm watches the response time of load balancer `{k}`"));
        }
        if !has(&["UnHealthyHostCount", "HealthyHostCount"]) {
            fire("MON003", lbp, format!("no alarm watches unhealthy targets behind load balancer `{k}`"));
        }
    }

    for (k, lt) in &s.launch_templates {
        if lt.imds == Imds::Optional {
            fire("LT001", p(&["launch_templates", k, "imds"]), format!("launch template `{k}` allows IMDSv1"));
        }
        if lt.root_volume.as_ref().is_some_and(|rv| !rv.encrypted) {
            fire("LT002", p(&["launch_templates", k, "root_volume", "encrypted"]), format!("launch template `{k}` has an unencrypted root volume"));
        }
    }

    let production = is_production(s);
    out.retain(|f| production || !f.rule.production_only);
    out
}

/// Findings minus those the stack silences, and problems with the silences themselves.
pub fn apply_ignores(s: &Stack, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Diagnostic>, usize) {
    let mut problems = Vec::new();
    for (i, ig) in s.lint.ignore.iter().enumerate() {
        if rule_by_id(&ig.rule).is_none() {
            let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            let hint = match ids.iter().min_by_key(|id| strsim::levenshtein(id, &ig.rule)) {
                Some(best) if strsim::levenshtein(best, &ig.rule) <= 2 => format!("did you mean `{best}`?"),
                _ => "`lbstack lint --rules` lists them".to_string(),
            };
            problems.push(
                Diagnostic::error(format!("`{}` is not a lint rule", ig.rule)).hint(hint).path(p(&["lint", "ignore", &i.to_string(), "rule"])).code("lint"),
            );
        }
    }
    let before = findings.len();
    let kept: Vec<Finding> = findings
        .into_iter()
        .filter(|f| {
            !s.lint.ignore.iter().any(|ig| {
                ig.rule == f.rule.id
                    && ig.resource.as_ref().is_none_or(|r| {
                        let prefix = p(&r.split('.').collect::<Vec<_>>());
                        f.pointer == prefix || f.pointer.starts_with(&format!("{prefix}/"))
                    })
            })
        })
        .collect();
    let silenced = before - kept.len();
    (kept, problems, silenced)
}

/// Findings as diagnostics positioned in the file (summary `ID: message`, the why as help).
pub fn to_report(mut report: Report, findings: &[Finding], problems: Vec<Diagnostic>, index: &SpanIndex) -> Report {
    report.diagnostics.clear();
    for f in findings {
        let span = index.key(&f.pointer).or_else(|| index.value(&f.pointer));
        let mut d = Diagnostic { severity: f.rule.severity, ..Diagnostic::error(format!("{} {}: {}", f.rule.id, f.rule.name, f.message)) }
            .hint(format!("{} (silence with `lint: {{ignore: [{{rule: {}, reason: ...}}]}}`)", f.rule.why, f.rule.id))
            .path(f.pointer.clone())
            .code(f.rule.id);
        if let Some(span) = span {
            d = d.at(span);
        }
        report.diagnostics.push(d);
    }
    for mut d in problems {
        if let Some(span) = d.path.as_deref().and_then(|p| index.value(p)) {
            d = d.at(span);
        }
        report.diagnostics.push(d);
    }
    report.sort();
    report
}

/// One SARIF 2.1.0 run: the findings of one file.
pub fn sarif_run(report: &Report) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.why },
                "defaultConfiguration": { "level": if r.severity == Error { "error" } else { "warning" } },
                "properties": { "production_only": r.production_only },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let rule_id = d.code.unwrap_or("lbstack");
            let mut result = json!({
                "ruleId": rule_id,
                "level": if d.is_error() { "error" } else { "warning" },
                "message": { "text": d.summary },
            });
            if let Some(span) = d.span {
                let (start, end) = (report.file.position(span.start), report.file.position(span.end));
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": report.file.name },
                        "region": { "startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column },
                    }
                }]);
            }
            result
        })
        .collect();
    json!({
        "tool": { "driver": { "name": "lbstack", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
        "results": results,
    })
}

/// A SARIF 2.1.0 log for code scanning: one run per file.
pub fn sarif_log(runs: Vec<Value>) -> Value {
    json!({ "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs })
}
