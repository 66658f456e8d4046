//! Checks on meaning, after the structure is known to be right: references resolve to the right
//! kind, values fit AWS limits and each other, and every relationship has one owner.
//!
//! One checker (`V`) walks the stack; each service's checks live in a file of their own
//! (`elbv2.rs`, `autoscaling.rs`, `cloudwatch.rs`, ...) as methods of the same checker, so a
//! message, its position and its code are made one way everywhere. This file holds the checker,
//! references, keys, tags, outputs and the rules several services share.

use super::check::did_you_mean;
use super::model::*;
use crate::kinds::Kind as K;

use super::values::{SpanIndex, escape, pointer as p};
use super::{files, pem};
use crate::diag::Diagnostic;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

mod autoscaling;
mod certificates;
mod cloudwatch;
mod elbv2;
mod network;
mod route53;
mod sns;
mod waf;

pub const MAX_STACK_NAME: usize = 24;
pub const MAX_KEY: usize = 64;

/// What a name in the stack can refer to: a resource kind a section declares (the registry in
/// `crate::kinds`), or a subnet group of `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SubnetGroup,
    Of(K),
}

impl From<K> for Kind {
    fn from(k: K) -> Kind {
        Kind::Of(k)
    }
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::SubnetGroup => "subnet group",
            Kind::Of(k) => k.noun(),
        }
    }
    fn nouns(self) -> String {
        match self {
            Kind::SubnetGroup => "subnet groups".into(),
            Kind::Of(k) => k.nouns(),
        }
    }
    fn section(self) -> &'static str {
        match self {
            Kind::SubnetGroup => "network.subnet_groups",
            Kind::Of(k) => k.section().unwrap_or_default(),
        }
    }
    /// Every kind a stack declares by key.
    fn all() -> impl Iterator<Item = Kind> {
        std::iter::once(Kind::SubnetGroup).chain(K::ALL.iter().filter(|k| k.section().is_some()).map(|k| Kind::Of(*k)))
    }
    fn pointer(self) -> String {
        format!("/{}", self.section().replace('.', "/"))
    }
}

struct V<'a> {
    s: &'a Stack,
    index: &'a SpanIndex,
    /// Entries dropped because their structure was wrong: references to them still resolve.
    broken: &'a HashSet<(String, String)>,
    names: HashMap<Kind, Vec<String>>,
    /// Which listeners (and on which load balancer type) forward to each target group.
    users: std::rc::Rc<HashMap<&'a str, Vec<(LbType, String)>>>,
    diags: Vec<Diagnostic>,
}

pub fn validate(s: &Stack, index: &SpanIndex, broken: &HashSet<(String, String)>) -> Vec<Diagnostic> {
    let mut names: HashMap<Kind, Vec<String>> = Kind::all().map(|k| (k, Vec::new())).collect();
    names.insert(Kind::SubnetGroup, s.network.subnet_groups.keys().cloned().collect());
    for k in K::ALL.iter().filter(|k| k.section().is_some()) {
        names.insert(Kind::Of(*k), k.declared(s));
    }
    // Entries dropped for structural errors still count as declared names.
    for (section, key) in broken {
        if let Some(kind) = Kind::all().find(|k| k.section() == section) {
            names.get_mut(&kind).expect("every kind has a list").push(key.to_string());
        }
    }
    let users = std::rc::Rc::new(tg_users(s));
    let mut v = V { s, index, broken, names, users, diags: Vec::new() };
    v.run();
    v.diags
}

impl<'a> V<'a> {
    fn push(&mut self, mut d: Diagnostic, pointer: &str, at_key: bool) {
        let span = if at_key { self.index.key(pointer) } else { self.index.value(pointer) };
        if let Some(span) = span {
            d = d.at(span);
        }
        let code = d.code.unwrap_or_else(|| code_of(pointer));
        self.diags.push(d.path(pointer).code(code));
    }
    /// A diagnostic with a hint (none when empty), at the pointer's value or key.
    fn report(&mut self, mut d: Diagnostic, pointer: &str, hint: String, at_key: bool) {
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.push(d, pointer, at_key);
    }
    fn err(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        self.report(Diagnostic::error(summary), pointer, hint.into(), false);
    }
    fn err_key(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        self.report(Diagnostic::error(summary), pointer, hint.into(), true);
    }
    fn warn_key(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        self.report(Diagnostic::warning(summary), pointer, hint.into(), true);
    }

    fn exists(&self, kind: impl Into<Kind>, name: &str) -> bool {
        self.names[&kind.into()].iter().any(|n| n == name)
    }

    /// A reference by key to a resource of `kind`; reports unknown names and names of another kind.
    fn reference(&mut self, pointer: &str, kind: impl Into<Kind>, name: &str) -> bool {
        let kind = kind.into();
        if self.exists(kind, name) {
            return true;
        }
        let other = Kind::all().find(|k| *k != kind && self.names[k].iter().any(|n| n == name));
        let known: Vec<&str> = self.names[&kind].iter().map(String::as_str).collect();
        let (summary, hint) = match other {
            Some(o) => (
                format!("`{name}` is a {}, not a {}", o.noun(), kind.noun()),
                match did_you_mean(name, &known) {
                    Some(s) => format!("did you mean the {} `{s}`?", kind.noun()),
                    None if known.is_empty() => format!("declare a {} under `{}`", kind.noun(), kind.section()),
                    None => format!("{} of this stack: {}", kind.nouns(), known.join(", ")),
                },
            ),
            None => (
                format!("unknown {} `{name}`", kind.noun()),
                match did_you_mean(name, &known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if known.is_empty() => {
                        format!("the stack declares no {}; add one under `{}`", kind.nouns(), kind.section())
                    }
                    None => format!("{} of this stack: {}", kind.nouns(), known.join(", ")),
                },
            ),
        };
        let d = Diagnostic::error(summary).hint(hint).code("reference");
        self.push(d, pointer, false);
        false
    }

    /// A reference that may also be an existing AWS id (`sg-...`, `arn:...`).
    fn reference_or_id(&mut self, pointer: &str, kind: K, name: &str, id_prefix: &str) {
        if !name.starts_with(id_prefix) {
            self.reference(pointer, kind, name);
        } else if id_prefix == "arn:" && kind == K::Certificate {
            self.arn(pointer, name, "acm", &["certificate/"], "an ACM certificate ARN");
        }
    }

    /// An error when `arn` is not an ARN of `service` (resource starting with one of `resources`)
    /// in the stack's region; `what` says what the field takes.
    fn arn(&mut self, pointer: &str, arn: &str, service: &str, resources: &[&str], what: &str) {
        if let Some(why) = arn_problem(arn, service, resources, self.s.region.as_deref(), service == "iam") {
            let example = format!(
                "{what} looks like `arn:aws:{service}:{}:123456789012:{}...`",
                if service == "iam" { "" } else { "REGION" },
                resources.first().unwrap_or(&"")
            );
            self.err(pointer, format!("`{}` is not {what}: {why}", truncate(arn)), example);
        }
    }

    fn run(&mut self) {
        let s = self.s;
        if s.version != 1 {
            self.err(
                "/version",
                format!("unsupported format version {}", s.version),
                "this lbstack reads `version: 1`",
            );
        }
        self.stack_name();
        if let Some(region) = &s.region
            && let Some((error, why)) = region_problem(region)
        {
            if error {
                self.err("/region", why, "");
            } else {
                let d = Diagnostic::warning(why);
                self.push(d, "/region", false);
            }
        }
        self.tags("/tags", &s.tags);
        self.keys();
        self.network();
        self.security_groups();
        self.certificates();
        self.waf();
        self.trust_stores();
        self.target_groups();
        self.load_balancers();
        self.shared_listeners();
        self.launch_templates();
        self.autoscaling_groups();
        self.scaling_policies();
        self.scheduled_actions();
        self.topics();
        self.alarms();
        self.composite_alarms();
        self.records();
        self.outputs();
        self.given_names();
        // With entries dropped, what uses what is unknown: "unused" would be a false alarm.
        if self.broken.is_empty() {
            self.unused();
        }
    }

    fn stack_name(&mut self) {
        let name = &self.s.stack;
        let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if name.is_empty()
            || !valid_chars
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
            || name.ends_with('-')
            || name.contains("--")
        {
            self.err(
                "/stack",
                format!("stack name `{name}` is not valid"),
                "use letters, digits and single hyphens, starting with a letter (AWS load balancer and target group names allow nothing else)",
            );
        } else if name.len() > MAX_STACK_NAME {
            self.err(
                "/stack",
                format!("stack name `{name}` is {} characters long; the limit is {MAX_STACK_NAME}", name.len()),
                "physical names are `<stack>-<key>` and load balancer names stop at 32 characters",
            );
        } else if name.to_ascii_lowercase().starts_with("internal-") {
            self.err(
                "/stack",
                format!("stack name `{name}` starts with `internal-`"),
                "AWS refuses load balancer names that start with `internal-`",
            );
        }
    }

    fn tags(&mut self, pointer: &str, tags: &Tags) {
        // Load balancing, certificates and WAF take fewer characters in tags than EC2 does; the
        // stack's own tags land on whatever it declares.
        let s = self.s;
        let restricted = match pointer.split('/').nth(1).unwrap_or_default() {
            "load_balancers" | "target_groups" | "certificates" | "web_acls" | "ip_sets" | "trust_stores" => true,
            "tags" => {
                !(s.load_balancers.is_empty()
                    && s.target_groups.is_empty()
                    && s.certificates.is_empty()
                    && s.web_acls.is_empty()
                    && s.ip_sets.is_empty()
                    && s.trust_stores.is_empty()
                    && s.shared_listeners.is_empty())
            }
            _ => false,
        };
        for (k, v) in tags {
            let tp = format!("{pointer}/{}", escape(k));
            if k.starts_with("aws:") || k.starts_with("lbstack:") {
                self.err_key(
                    &tp,
                    format!("tag key `{k}` uses a reserved prefix"),
                    "`aws:` belongs to AWS and `lbstack:` to lbstack's ownership tags",
                );
            } else if k.chars().count() > 128 || k.is_empty() {
                self.err_key(&tp, format!("tag key `{}` is longer than 128 characters", truncate(k)), "");
            }
            if v.chars().count() > 256 {
                self.err(&tp, format!("the value of tag `{k}` is longer than 256 characters"), "");
            }
            for (what, text) in [("key", k), ("value", v)] {
                if let Some(bad) = text.chars().find(|c| !tag_char(*c)).filter(|_| restricted) {
                    let summary = format!(
                        "the {what} of tag `{}` has `{bad}`, which load balancing, ACM and WAF refuse in tags",
                        truncate(k)
                    );
                    let hint = "tags there take letters, digits, spaces and `_ . : / = + - @`";
                    if what == "key" { self.err_key(&tp, summary, hint) } else { self.err(&tp, summary, hint) }
                }
            }
        }
        if tags.len() > 48 {
            self.err(pointer, format!("{} tags; AWS allows 50 per resource and lbstack needs 2", tags.len()), "");
        }
    }

    fn keys(&mut self) {
        for kind in Kind::all() {
            let names = self.names[&kind].clone();
            for name in names {
                let pointer = format!("{}/{}", kind.pointer(), escape(&name));
                let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if name.is_empty() || !ok_chars || name.starts_with('-') || name.ends_with('-') {
                    self.err_key(
                        &pointer,
                        format!("`{name}` is not a valid {} key", kind.noun()),
                        "keys become part of AWS names: letters, digits and hyphens, not at either end",
                    );
                } else if name.len() > MAX_KEY {
                    self.err_key(
                        &pointer,
                        format!("{} key `{}` is longer than {MAX_KEY} characters", kind.noun(), truncate(&name)),
                        "",
                    );
                }
            }
        }
    }

    /// `name:` of security groups, launch templates, groups, policies, scheduled actions and alarms: what EC2, Auto Scaling and CloudWatch take,
    /// and one resource per name (load balancers and target groups are checked with ELBv2's rule).
    fn given_names(&mut self) {
        for kind in [
            K::SecurityGroup,
            K::LaunchTemplate,
            K::AutoScalingGroup,
            K::ScalingPolicy,
            K::ScheduledAction,
            K::Alarm,
            K::CompositeAlarm,
            K::IpSet,
            K::WebAcl,
        ] {
            for key in kind.declared(self.s) {
                let Some(name) = self.s.given_name(kind, &key) else { continue };
                let pointer = format!("{}/{}/name", Kind::from(kind).pointer(), escape(&key));
                let problem = match kind {
                    K::SecurityGroup if name.starts_with("sg-") => {
                        Some("a security group name cannot start with `sg-`")
                    }
                    K::SecurityGroup
                        if name.is_empty()
                            || name.chars().count() > 255
                            || !name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)) =>
                    {
                        Some("1–255 of a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*")
                    }
                    K::LaunchTemplate
                        if !(3..=128).contains(&name.len())
                            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c)) =>
                    {
                        Some("3–128 letters, digits and ().-/_")
                    }
                    K::AutoScalingGroup if name.is_empty() || name.chars().count() > 255 || name.contains(':') => {
                        Some("1–255 characters, no `:`")
                    }
                    K::IpSet | K::WebAcl
                        if name.is_empty()
                            || name.len() > 128
                            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                    {
                        Some("1–128 letters, digits, `_` and `-`")
                    }
                    K::ScalingPolicy | K::ScheduledAction
                        if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) =>
                    {
                        Some("1–255 characters, no control characters")
                    }
                    // A composite rule quotes alarm names.
                    K::Alarm | K::CompositeAlarm
                        if name.is_empty()
                            || name.chars().count() > 255
                            || name.chars().any(|c| c == '"' || c.is_control()) =>
                    {
                        Some("1–255 characters, no `\"` or control characters")
                    }
                    _ => None,
                };
                if let Some(why) = problem {
                    let article = if kind.noun().starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    self.err(&pointer, format!("`{}` is not {article} {} name", truncate(name), kind.noun()), why);
                }
                if kind.declared(self.s).iter().filter(|k| self.s.given_name(kind, k) == Some(name)).count() > 1 {
                    self.err(&pointer, format!("two {} of the stack are named `{}`", kind.nouns(), truncate(name)), "");
                }
            }
        }
    }

    /// Outputs name an attribute of a resource the stack declares.
    fn outputs(&mut self) {
        for (name, out) in &self.s.outputs {
            let op = format!("/outputs/{}", escape(name));
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                self.err_key(&op, format!("`{name}` cannot name an output"), "letters, digits, `_` and `-`");
            }
            let vp = format!("{op}/value");
            let Some((kind, key, attribute)) = output_parts(&out.value) else {
                self.err(&vp, "an output is `KIND.KEY.ATTRIBUTE`", "e.g. `load_balancer.web.dns_name`");
                continue;
            };
            // A listener is `listener.LOAD_BALANCER.LISTENER.arn`.
            if kind == K::Listener.as_str() {
                let found = key.split_once('.').is_some_and(|(lb, l)| {
                    self.s.load_balancers.get(lb).is_some_and(|lb| lb.listeners.contains_key(l))
                });
                if !found {
                    self.err(
                        &vp,
                        format!("no listener `{}` in this stack", truncate(key)),
                        "a listener is named `LOAD_BALANCER.LISTENER`, e.g. `listener.web.https.arn`",
                    );
                } else if !output_attributes(K::Listener).contains(&attribute) {
                    self.err(&vp, format!("a listener has no output `{attribute}`"), "one of: id, arn");
                }
                continue;
            }
            let Some(kind) = K::parse(kind).filter(|k| k.section().is_some()) else {
                let kinds: Vec<&str> = K::ALL.iter().filter(|k| k.section().is_some()).map(|k| k.as_str()).collect();
                let hint = match did_you_mean(kind, &kinds) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("one of: {}", kinds.join(", ")),
                };
                self.err(&vp, format!("`{kind}` is not a kind of resource a stack declares"), hint);
                continue;
            };
            if !self.reference(&vp, kind, key) {
                continue;
            }
            let attributes = output_attributes(kind);
            if !attributes.contains(&attribute) {
                self.err(
                    &vp,
                    format!("a {} has no output `{attribute}`", kind.noun()),
                    format!("one of: {}", attributes.join(", ")),
                );
            }
        }
    }

    fn unused(&mut self) {
        let s = self.s;
        let mut used: HashSet<(K, &str)> = HashSet::new();
        for sg in s.security_groups.values() {
            for r in sg.ingress.iter().chain(sg.egress.iter().flatten()) {
                r.groups.iter().for_each(|g| {
                    used.insert((K::SecurityGroup, g));
                });
            }
        }
        for lb in s.load_balancers.values() {
            lb.security_groups.iter().for_each(|g| {
                used.insert((K::SecurityGroup, g));
            });
            if let Some(w) = &lb.web_acl {
                used.insert((K::WebAcl, w));
            }
            for l in lb.listeners.values() {
                l.certificates.iter().for_each(|c| {
                    used.insert((K::Certificate, c));
                });
            }
        }
        let users = self.users.clone();
        for k in users.keys() {
            used.insert((K::TargetGroup, *k));
        }
        for lt in s.launch_templates.values() {
            lt.security_groups.iter().for_each(|g| {
                used.insert((K::SecurityGroup, g));
            });
        }
        for g in s.autoscaling_groups.values() {
            used.insert((K::LaunchTemplate, g.launch_template.name()));
            g.target_groups.iter().for_each(|t| {
                used.insert((K::TargetGroup, t));
            });
        }
        for acl in s.web_acls.values() {
            acl.rules.iter().filter_map(|r| r.ip_set.as_deref()).for_each(|i| {
                used.insert((K::IpSet, i));
            });
        }
        let checks = [
            (K::SecurityGroup, s.security_groups.keys().collect::<Vec<_>>()),
            (K::Certificate, s.certificates.keys().collect()),
            (K::WebAcl, s.web_acls.keys().collect()),
            (K::IpSet, s.ip_sets.keys().collect()),
            (K::TargetGroup, s.target_groups.keys().collect()),
            (K::LaunchTemplate, s.launch_templates.keys().collect()),
        ];
        for (kind, keys) in checks {
            for key in keys {
                if !used.contains(&(kind, key.as_str())) {
                    let pointer = format!("{}/{}", Kind::from(kind).pointer(), escape(key));
                    self.warn_key(
                        &pointer,
                        format!("{} `{key}` is not used by anything in the stack", kind.noun()),
                        "it will still be created; remove it if it is left over",
                    );
                }
            }
        }
    }
}

/// Load balancer types whose listeners forward to each target group.
fn tg_users(s: &Stack) -> HashMap<&str, Vec<(LbType, String)>> {
    let mut users: HashMap<&str, Vec<(LbType, String)>> = HashMap::new();
    for (lb_name, lb) in &s.load_balancers {
        for (l_name, l) in &lb.listeners {
            for tg in l.target_groups() {
                if let Some((k, _)) = s.target_groups.get_key_value(tg) {
                    users.entry(k.as_str()).or_default().push((lb.kind, format!("{lb_name}.{l_name}")));
                }
            }
        }
    }
    for (key, shared) in &s.shared_listeners {
        for r in &shared.rules {
            for tg in r.forward.iter().flat_map(Forward::target_groups) {
                if let Some((k, _)) = s.target_groups.get_key_value(tg) {
                    users.entry(k.as_str()).or_default().push((LbType::Application, format!("shared_listeners.{key}")));
                }
            }
        }
    }
    users
}

fn lb_phrase(lb: LbType) -> &'static str {
    match lb {
        LbType::Application => "an application load balancer",
        LbType::Network => "a network load balancer",
        LbType::Gateway => "a gateway load balancer",
    }
}

fn allowed_protocols(lb: LbType) -> String {
    match lb {
        LbType::Application => "application load balancers use HTTP or HTTPS".into(),
        LbType::Network => "network load balancers use TCP, TLS, UDP or TCP_UDP".into(),
        LbType::Gateway => "gateway load balancers use GENEVE".into(),
    }
}

/// A character ELBv2, ACM and WAF take in tag keys and values (their API models' pattern
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
pub fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 48 { format!("{}…", s.chars().take(48).collect::<String>()) } else { s.to_string() }
}

/// Regions AWS has opened (late 2026). A region of the right shape that is not here draws a
/// warning, not an error: new regions open every year.
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "eusc-de-east-1",
];

/// What is wrong with a region name: an error for a name of the wrong shape, a warning for one
/// AWS does not have (yet), with the closest known name.
/// The code of a semantic check: the kind of resource the pointer is in (`load_balancer`), or the
/// top-level field (`network`, `outputs`, `stack`).
fn code_of(pointer: &str) -> &'static str {
    let section = pointer.trim_start_matches('/').split('/').next().unwrap_or_default();
    if let Some(kind) = K::of_section(section) {
        return kind.as_str();
    }
    match section {
        "network" => "network",
        "outputs" => "output",
        "variables" => "variable",
        "tags" => "tags",
        "lint" => "lint",
        "simulate" => "simulate",
        _ => "stack",
    }
}

pub fn region_problem(r: &str) -> Option<(bool, String)> {
    if KNOWN_REGIONS.contains(&r) {
        return None;
    }
    let near = did_you_mean(r, KNOWN_REGIONS).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
    if !is_region(r) {
        return Some((true, format!("`{}` is not an AWS region name (for example `us-east-1`){near}", truncate(r))));
    }
    Some((false, format!("`{r}` is not a region lbstack knows{near} (a region opened since works as it is)")))
}

fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts.last().is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

pub fn parse_port_range(r: &str) -> Option<(u16, u16)> {
    let (a, b) = r.split_once('-')?;
    let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

/// `want_v6`: Some(false) IPv4 only, Some(true) IPv6 only, None either.
fn is_cidr(c: &str, want_v6: Option<bool>) -> bool {
    let Some((addr, len)) = c.split_once('/') else { return false };
    let Ok(ip) = addr.parse::<IpAddr>() else { return false };
    // Digits only: Rust would read `+8` as 8; AWS refuses it.
    if len.is_empty()
        || len.len() > 3
        || !len.bytes().all(|b| b.is_ascii_digit())
        || (len.len() > 1 && len.starts_with('0'))
    {
        return false;
    }
    let Ok(len) = len.parse::<u8>() else { return false };
    let max = if ip.is_ipv6() { 128 } else { 32 };
    len <= max && want_v6.is_none_or(|v6| v6 == ip.is_ipv6())
}

fn is_domain(d: &str, allow_wildcard: bool) -> bool {
    let d = d.trim_end_matches('.');
    if d.is_empty() || d.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = d.split('.').collect();
    labels.len() >= 2
        && labels.iter().enumerate().all(|(i, l)| {
            (allow_wildcard && i == 0 && *l == "*")
                || (!l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        })
}

fn is_instance_type(t: &str) -> bool {
    match t.split_once('.') {
        Some((family, size)) => {
            !family.is_empty()
                && family.starts_with(|c: char| c.is_ascii_lowercase())
                && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !size.is_empty()
                && size.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }
        None => false,
    }
}

fn valid_codes(m: &str, lo: u32, hi: u32) -> bool {
    m.split(',').all(|part| {
        let part = part.trim();
        let ok = |s: &str| s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n));
        match part.split_once('-') {
            Some((a, b)) => ok(a) && ok(b) && a.parse::<u32>().ok() <= b.parse::<u32>().ok(),
            None => ok(part),
        }
    })
}

fn is_statistic(s: &str) -> bool {
    if ["Average", "Sum", "Minimum", "Maximum", "SampleCount"].contains(&s) {
        return true;
    }
    s.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()).is_some_and(|n| n > 0.0 && n < 100.0)
}

/// AWS partitions, with the region prefix that goes with each (the first that matches wins).
const PARTITIONS: [(&str, &str); 8] = [
    ("aws-cn", "cn-"),
    ("aws-us-gov", "us-gov-"),
    ("aws-iso-b", "us-isob-"),
    ("aws-iso-e", "eu-isoe-"),
    ("aws-iso-f", "us-isof-"),
    ("aws-iso", "us-iso-"),
    ("aws-eusc", "eusc-"),
    ("aws", ""),
];

/// The partition of a region (`aws-cn` for `cn-north-1`), for ARNs lbstack builds.
pub fn partition_of(region: &str) -> &'static str {
    PARTITIONS.iter().find(|(_, prefix)| region.starts_with(prefix)).map(|(p, _)| *p).unwrap_or("aws")
}

/// What is wrong with `arn` for a field that takes an ARN of `service` whose resource starts with
/// one of `resources` (empty: any), in a stack of `region` (when known). `global`: the service
/// has no regions in its ARNs (IAM).
pub fn arn_problem(arn: &str, service: &str, resources: &[&str], region: Option<&str>, global: bool) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [head, partition, svc, arn_region, account, resource] = parts[..] else {
        return Some("an ARN has six parts: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`".into());
    };
    if head != "arn" {
        return Some("an ARN starts with `arn:`".into());
    }
    let Some((_, prefix)) = PARTITIONS.iter().find(|(p, _)| *p == partition) else {
        return Some(format!("`{}` is not an AWS partition (aws, aws-cn, aws-us-gov, ...)", truncate(partition)));
    };
    if svc != service {
        return Some(format!("it names the `{}` service where `{service}` is needed", truncate(svc)));
    }
    if global {
        if !arn_region.is_empty() {
            return Some(format!("{service} ARNs have no region"));
        }
    } else {
        if !is_region(arn_region) {
            return Some(format!("`{}` is not a region", truncate(arn_region)));
        }
        if !prefix.is_empty() && !arn_region.starts_with(prefix)
            || prefix.is_empty() && PARTITIONS.iter().any(|(_, p)| !p.is_empty() && arn_region.starts_with(p))
        {
            return Some(format!("region `{arn_region}` is not in partition `{partition}`"));
        }
        if let Some(r) = region
            && r != arn_region
        {
            return Some(format!(
                "it is in {arn_region}, the stack in {r}: AWS uses resources of the stack's region only"
            ));
        }
    }
    if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("`{}` is not an account id (12 digits)", truncate(account)));
    }
    if resource.is_empty() || (!resources.is_empty() && !resources.iter().any(|r| resource.starts_with(r))) {
        return Some(format!(
            "the resource must be {}",
            resources.iter().map(|r| format!("`{r}...`")).collect::<Vec<_>>().join(" or ")
        ));
    }
    None
}

/// AWS takes at most 16 KB of user data, before base64.
pub const MAX_USER_DATA: u64 = 16 * 1024;

/// A name of the IANA time zone database (as AWS accepts for scheduled actions).
fn is_time_zone(tz: &str) -> bool {
    tz.parse::<chrono_tz::Tz>().is_ok()
}

fn is_iso_time(t: &str) -> bool {
    // RFC 3339, as AWS takes it: the date must exist (no 30 February) and nothing may trail.
    chrono::DateTime::parse_from_rfc3339(t).is_ok()
}

/// Five-field cron as Auto Scaling accepts it (the parser `simulate` runs, too).
pub fn check_cron(expr: &str) -> Result<(), String> {
    super::cron::Cron::parse(expr).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions() {
        assert!(check_cron("0 8 * * 1-5").is_ok());
        assert!(check_cron("*/15 9-17 * JAN-MAR MON-FRI").is_ok());
        assert!(check_cron("0 8 * *").is_err());
        assert!(check_cron("60 8 * * *").is_err());
        assert!(check_cron("0 8 * * 1-9").is_err());
        assert!(check_cron("0 8 * * */0").is_err());
    }

    #[test]
    fn addresses_and_names() {
        assert!(is_cidr("10.0.0.0/8", Some(false)));
        assert!(!is_cidr("10.0.0.0/33", None));
        assert!(is_cidr("::/0", Some(true)));
        assert!(!is_cidr("::/0", Some(false)));
        assert!(is_domain("*.example.com", true));
        assert!(!is_domain("example", true));
        assert!(is_instance_type("m7g.large"));
        assert!(!is_instance_type("large"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("mars"));
        assert!(valid_codes("200-299", 200, 499));
        assert!(valid_codes("200,302", 200, 499));
        assert!(!valid_codes("600", 200, 499));
        assert!(is_statistic("p99.9"));
        assert!(is_time_zone("America/Argentina/Buenos_Aires"));
        assert!(!is_time_zone("Paris"));
        assert!(is_iso_time("2026-12-01T08:00:00Z"));
        assert!(!is_iso_time("2026-13-01T08:00:00Z"));
    }
}
