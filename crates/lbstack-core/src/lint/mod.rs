//! `lbstack lint`: best-practice rules for load balancing and auto scaling, offline. Each rule has
//! an id, a severity and a one-line why; a finding points at the place in the file, and a stack
//! silences one with `lint.ignore` and a reason. Output: human, JSON, SARIF 2.1.0.

use crate::diag::{Diagnostic, Report, Severity};
use crate::stack_format::SpanIndex;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;
use serde_json::{Value, json};

mod autoscaling;
mod launch_templates;
mod load_balancers;
mod monitoring;
mod security_groups;
mod target_groups;

/// A rule: its id, name, severity and why, and the check that finds it, side by side in the
/// module of what it looks at. Each rule has a fixture that fires it
/// (`tests/fixtures/lint/fires/ID.yaml`) and stays silent on `tests/fixtures/lint/clean.yaml`.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub why: &'static str,
    /// Checked only for production stacks.
    pub production_only: bool,
    pub check: fn(&Stack, &mut Fired),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).field("name", &self.name).finish_non_exhaustive()
    }
}

/// What a rule's check found: a place in the stack (JSON pointer) and a message, each.
#[derive(Default)]
pub struct Fired(Vec<(String, String)>);

impl Fired {
    pub fn fire(&mut self, pointer: String, message: String) {
        self.0.push((pointer, message));
    }
}

const fn rule(
    id: &'static str,
    name: &'static str,
    severity: Severity,
    why: &'static str,
    check: fn(&Stack, &mut Fired),
) -> Rule {
    Rule { id, name, severity, why, production_only: false, check }
}

const fn prod(
    id: &'static str,
    name: &'static str,
    severity: Severity,
    why: &'static str,
    check: fn(&Stack, &mut Fired),
) -> Rule {
    Rule { id, name, severity, why, production_only: true, check }
}

/// Every rule, in the order `lbstack lint --rules` lists them.
pub const RULES: &[Rule] = &[
    load_balancers::SINGLE_SUBNET,
    load_balancers::HTTP_NOT_REDIRECTED,
    load_balancers::OUTDATED_TLS_POLICY,
    load_balancers::PUBLIC_ALB_WITHOUT_WAF,
    load_balancers::DELETION_PROTECTION_OFF,
    load_balancers::NO_ACCESS_LOGS,
    load_balancers::INVALID_HEADERS_KEPT,
    load_balancers::DESYNC_MONITOR_ONLY,
    load_balancers::WAF_FAIL_OPEN,
    load_balancers::SIGN_IN_BYPASSED,
    load_balancers::LONG_SIGN_IN_SESSION,
    target_groups::SLOW_FAILURE_DETECTION,
    target_groups::HEALTH_CHECK_ON_ROOT,
    target_groups::DRAIN_LONGER_THAN_SPOT_NOTICE,
    target_groups::STICKY_WITH_AGGRESSIVE_SCALE_IN,
    security_groups::TARGET_UNREACHABLE_FROM_LB,
    security_groups::SSH_OPEN_TO_WORLD,
    autoscaling::MIN_BELOW_TWO,
    autoscaling::FIXED_SIZE_WITH_POLICIES,
    autoscaling::PREDICTIVE_WITHOUT_TARGET_TRACKING,
    autoscaling::EC2_HEALTH_CHECK_BEHIND_LB,
    autoscaling::FEW_SPOT_INSTANCE_TYPES,
    autoscaling::NO_GROUP_METRICS,
    autoscaling::FLAPPING_THRESHOLDS,
    autoscaling::NO_SCALE_IN,
    monitoring::NO_5XX_ALARM,
    monitoring::NO_LATENCY_ALARM,
    monitoring::NO_UNHEALTHY_HOSTS_ALARM,
    launch_templates::IMDSV1_ALLOWED,
    launch_templates::UNENCRYPTED_ROOT_VOLUME,
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
            matches!(k.to_ascii_lowercase().as_str(), "environment" | "env" | "stage")
                && matches!(v.to_ascii_lowercase().as_str(), "production" | "prod")
        })
    })
}

/// Port ranges of a security group rule (protocol tcp or all).
fn covers(r: &SgRule, port: u32) -> bool {
    match (r.protocol, &r.ports) {
        (SgProtocol::All, _) | (SgProtocol::Tcp, None) => true,
        (SgProtocol::Tcp, Some(Ports::One(n))) => *n as u32 == port,
        (SgProtocol::Tcp, Some(Ports::Range(range))) => crate::stack_format::validate::parse_port_range(range)
            .is_some_and(|(a, b)| (a as u32) <= port && port <= b as u32),
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
    let production = is_production(s);
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| production || !r.production_only) {
        let mut fired = Fired::default();
        (rule.check)(s, &mut fired);
        out.extend(fired.0.into_iter().map(|(pointer, message)| Finding { rule, pointer, message }));
    }
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
                Diagnostic::error(format!("`{}` is not a lint rule", ig.rule))
                    .hint(hint)
                    .path(p(&["lint", "ignore", &i.to_string(), "rule"]))
                    .code("lint"),
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
        let mut d = Diagnostic {
            severity: f.rule.severity,
            ..Diagnostic::error(format!("{} {}: {}", f.rule.id, f.rule.name, f.message))
        }
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

/// Where SARIF viewers send a reader for a rule: the lint guide's rule table.
pub const LINT_GUIDE: &str = "https://github.com/lbstack/lbstack/blob/main/docs/lint.md";

/// One SARIF 2.1.0 run: the findings of one file.
pub fn sarif_run(report: &Report) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.why },
                "help": { "text": format!("{}: {}", r.name, r.why), "markdown": format!("**{}** (`{}`): {}. See the rule table of the lint guide.", r.name, r.id, r.why) },
                "helpUri": LINT_GUIDE,
                "defaultConfiguration": { "level": if r.severity == Severity::Error { "error" } else { "warning" } },
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
