//! Checks on meaning, after the structure is known to be right: references resolve to the right
//! kind, values fit AWS limits and each other, and every relationship has one owner.

use super::check::did_you_mean;
use super::model::*;
use crate::kinds::Kind as K;

use super::values::{SpanIndex, escape, pointer as p};
use super::{files, pem};
use crate::diag::Diagnostic;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

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
    fn err(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        let hint = hint.into();
        let mut d = Diagnostic::error(summary);
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.push(d, pointer, false);
    }
    fn err_key(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        let hint = hint.into();
        let mut d = Diagnostic::error(summary);
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.push(d, pointer, true);
    }
    fn warn_key(&mut self, pointer: &str, summary: impl Into<String>, hint: impl Into<String>) {
        let hint = hint.into();
        let mut d = Diagnostic::warning(summary);
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.push(d, pointer, true);
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
                    None => format!("{}s of this stack: {}", kind.noun(), known.join(", ")),
                },
            ),
            None => (
                format!("unknown {} `{name}`", kind.noun()),
                match did_you_mean(name, &known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if known.is_empty() => format!("the stack declares no {}s; add one under `{}`", kind.noun(), kind.section()),
                    None => format!("{}s of this stack: {}", kind.noun(), known.join(", ")),
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
            self.err("/version", format!("unsupported format version {}", s.version), "this lbstack reads `version: 1`");
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
        self.target_groups();
        self.load_balancers();
        self.launch_templates();
        self.autoscaling_groups();
        self.scaling_policies();
        self.scheduled_actions();
        self.alarms();
        self.records();
        self.outputs();
        // With entries dropped, what uses what is unknown: "unused" would be a false alarm.
        if self.broken.is_empty() {
            self.unused();
        }
    }

    fn stack_name(&mut self) {
        let name = &self.s.stack;
        let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if name.is_empty() || !valid_chars || !name.starts_with(|c: char| c.is_ascii_alphabetic()) || name.ends_with('-') || name.contains("--") {
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
            self.err("/stack", format!("stack name `{name}` starts with `internal-`"), "AWS refuses load balancer names that start with `internal-`");
        }
    }

    fn tags(&mut self, pointer: &str, tags: &Tags) {
        for (k, v) in tags {
            let tp = format!("{pointer}/{}", escape(k));
            if k.starts_with("aws:") || k.starts_with("lbstack:") {
                self.err_key(&tp, format!("tag key `{k}` uses a reserved prefix"), "`aws:` belongs to AWS and `lbstack:` to lbstack's ownership tags");
            } else if k.chars().count() > 128 || k.is_empty() {
                self.err_key(&tp, format!("tag key `{}` is longer than 128 characters", truncate(k)), "");
            }
            if v.chars().count() > 256 {
                self.err(&tp, format!("the value of tag `{k}` is longer than 256 characters"), "");
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
                    self.err_key(&pointer, format!("{} key `{}` is longer than {MAX_KEY} characters", kind.noun(), truncate(&name)), "");
                }
            }
        }
    }

    fn network(&mut self) {
        let net = &self.s.network;
        if let Some(VpcRef::Id(id)) = &net.vpc
            && id != "default"
            && !id.starts_with("vpc-")
        {
            self.err("/network/vpc", format!("`{id}` is neither `default` nor a VPC id"), "write `default`, `vpc-0123...`, or `{tags: {Name: main}}`");
        }
        if let Some(VpcRef::Lookup(l)) = &net.vpc
            && l.tags.is_empty()
        {
            self.err("/network/vpc/tags", "a VPC lookup needs at least one tag", "");
        }
        for (name, g) in &net.subnet_groups {
            let gp = p(&["network", "subnet_groups", name]);
            let selects = !g.tags.is_empty() || !g.zones.is_empty() || !g.names.is_empty();
            match (g.ids.is_empty(), selects) {
                (true, false) => {
                    self.err_key(&gp, format!("subnet group `{name}` selects no subnets"), "give `ids: [subnet-...]`, or any of `tags`, `zones`, `names`")
                }
                (false, true) => self.err_key(
                    &gp,
                    format!("subnet group `{name}` has `ids` and selectors"),
                    "ids name subnets exactly; `tags`, `zones` and `names` select them: choose one way",
                ),
                _ => {}
            }
            for (i, zone) in g.zones.iter().enumerate() {
                // A zone name is the region and a letter (`eu-west-1a`); a zone id `euw1-az1`.
                let zone_id = zone.split_once("-az").is_some_and(|(head, n)| {
                    head.len() >= 3 && head.chars().all(|c| c.is_ascii_alphanumeric()) && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
                });
                let region = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
                let zone_name =
                    region.len() < zone.len() && region_problem(region).is_none_or(|(error, _)| !error) && region.ends_with(|c: char| c.is_ascii_digit());
                if !zone_id && !zone_name {
                    self.err(
                        &format!("{gp}/zones/{i}"),
                        format!("`{zone}` is not an availability zone"),
                        "a zone name such as `eu-west-1a`, or a zone id such as `euw1-az1`",
                    );
                } else if zone_name
                    && let Some(own) = &self.s.region
                    && region != own
                {
                    self.err(&format!("{gp}/zones/{i}"), format!("zone `{zone}` is not in the stack's region {own}"), "");
                }
            }
            for (i, id) in g.ids.iter().enumerate() {
                if !id.starts_with("subnet-") {
                    self.err(&format!("{gp}/ids/{i}"), format!("`{id}` is not a subnet id"), "subnet ids look like `subnet-0abc1234`");
                }
            }
        }
    }

    /// EC2's rule for group and rule descriptions: at most 255 characters of
    /// `a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*` (EC2 API reference, `IpRange.Description`).
    fn sg_description(&mut self, pointer: &str, d: &str) {
        if d.chars().count() > 255 {
            self.err(pointer, format!("the description is {} characters long; EC2 takes 255", d.chars().count()), "");
        } else if let Some(bad) = d.chars().find(|c| !(c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c))) {
            self.err(pointer, format!("the description holds `{bad}`, which EC2 does not accept"), "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*");
        }
    }

    fn security_groups(&mut self) {
        for (name, sg) in &self.s.security_groups {
            let sp = p(&["security_groups", name]);
            self.tags(&format!("{sp}/tags"), &sg.tags);
            if let Some(d) = &sg.description {
                self.sg_description(&format!("{sp}/description"), d);
            }
            let rules: Vec<(&str, &SgRule, usize)> = sg
                .ingress
                .iter()
                .enumerate()
                .map(|(i, r)| ("ingress", r, i))
                .chain(sg.egress.iter().flatten().enumerate().map(|(i, r)| ("egress", r, i)))
                .collect();
            for (dir, rule, i) in rules {
                let rp = format!("{sp}/{dir}/{i}");
                match (&rule.protocol, &rule.ports) {
                    (SgProtocol::Tcp | SgProtocol::Udp, None) => self.err(
                        &rp,
                        format!("a {} rule needs `ports`", if rule.protocol == SgProtocol::Tcp { "tcp" } else { "udp" }),
                        "a port (`443`) or a range (`\"8000-8100\"`); use `\"0-65535\"` for all",
                    ),
                    (SgProtocol::All, Some(_)) => self.err(&format!("{rp}/ports"), "`protocol: all` covers every port", "remove `ports`"),
                    (_, Some(Ports::Range(r))) if parse_port_range(r).is_none() => {
                        self.err(&format!("{rp}/ports"), format!("`{r}` is not a port range"), "write `\"FROM-TO\"` with 0 ≤ FROM ≤ TO ≤ 65535");
                    }
                    _ => {}
                }
                if let Some(d) = &rule.description {
                    self.sg_description(&format!("{rp}/description"), d);
                }
                if rule.cidrs.is_empty() && rule.ipv6_cidrs.is_empty() && rule.groups.is_empty() {
                    let what = if dir == "ingress" { "source" } else { "destination" };
                    self.err(&rp, format!("this {dir} rule has no {what}"), "add `cidrs`, `ipv6_cidrs` or `groups`");
                }
                for (j, c) in rule.cidrs.iter().enumerate() {
                    if !is_cidr(c, Some(false)) {
                        self.err(&format!("{rp}/cidrs/{j}"), format!("`{c}` is not an IPv4 CIDR block"), "for example `10.0.0.0/16` or `0.0.0.0/0`");
                    }
                }
                for (j, c) in rule.ipv6_cidrs.iter().enumerate() {
                    if !is_cidr(c, Some(true)) {
                        self.err(&format!("{rp}/ipv6_cidrs/{j}"), format!("`{c}` is not an IPv6 CIDR block"), "for example `::/0`");
                    }
                }
                for (j, g) in rule.groups.iter().enumerate() {
                    self.reference_or_id(&format!("{rp}/groups/{j}"), K::SecurityGroup, g, "sg-");
                }
            }
        }
    }

    fn certificates(&mut self) {
        for (name, c) in &self.s.certificates {
            let cp = p(&["certificates", name]);
            self.tags(&format!("{cp}/tags"), &c.tags);
            let modes = [c.domain.is_some(), c.import.is_some(), c.arn.is_some()].iter().filter(|b| **b).count();
            if modes != 1 {
                self.err_key(
                    &cp,
                    format!("certificate `{name}` needs exactly one of `domain`, `import`, `arn`"),
                    "`domain` requests one from ACM, `import` uploads PEM files, `arn` uses an existing certificate",
                );
                continue;
            }
            if let Some(domain) = &c.domain {
                if !is_domain(domain, true) {
                    self.err(&format!("{cp}/domain"), format!("`{domain}` is not a domain name"), "for example `shop.example.com` or `*.example.com`");
                }
                if c.validation_zone.is_none() {
                    self.err_key(
                        &cp,
                        format!("certificate `{name}` requests `{domain}` but has no `validation_zone`"),
                        "name the Route 53 zone where lbstack writes the DNS validation records",
                    );
                }
                for (i, alt) in c.alternative_names.iter().enumerate() {
                    if !is_domain(alt, true) {
                        self.err(&format!("{cp}/alternative_names/{i}"), format!("`{alt}` is not a domain name"), "");
                    }
                }
            } else {
                if !c.alternative_names.is_empty() {
                    self.err(&format!("{cp}/alternative_names"), "`alternative_names` only applies when requesting with `domain`", "");
                }
                if c.validation_zone.is_some() {
                    self.err(&format!("{cp}/validation_zone"), "`validation_zone` only applies when requesting with `domain`", "");
                }
            }
            if let Some(arn) = &c.arn {
                self.arn(&format!("{cp}/arn"), arn, "acm", &["certificate/"], "an ACM certificate ARN");
            }
            if let Some(imp) = &c.import {
                // What ImportCertificate would refuse: not PEM, not X.509, expired, a key that is
                // not a key or not this certificate's, a chain that is not certificates.
                let ip = format!("{cp}/import");
                let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
                let cert = self.file(&format!("{ip}/certificate"), &imp.certificate, pem::MAX_PEM_BYTES).and_then(|bytes| {
                    pem::check_certificate(&bytes, now)
                        .map_err(|why| self.err(&format!("{ip}/certificate"), format!("`{}`: {why}", truncate(&imp.certificate)), ""))
                        .ok()
                });
                if let Some(bytes) = self.file(&format!("{ip}/private_key"), &imp.private_key, pem::MAX_PEM_BYTES)
                    && let Err(why) = pem::check_private_key(&bytes, cert.as_ref().map(|c| &c.key))
                {
                    self.err(&format!("{ip}/private_key"), format!("`{}`: {why}", truncate(&imp.private_key)), "");
                }
                if let Some(chain) = &imp.chain
                    && let Some(bytes) = self.file(&format!("{ip}/chain"), chain, pem::MAX_PEM_BYTES)
                    && let Err(why) = pem::check_chain(&bytes)
                {
                    self.err(&format!("{ip}/chain"), format!("`{}`: {why}", truncate(chain)), "");
                }
            }
        }
    }

    /// The bytes of a file the stack names, read through the stack's file fence; an error at
    /// `pointer` when it cannot be read. Stacks loaded from text (no folder) skip file checks.
    fn file(&mut self, pointer: &str, file: &str, limit: u64) -> Option<Vec<u8>> {
        self.s.files.base.as_ref()?;
        match self.s.files.read(file, limit) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.err(pointer, format!("file `{}`: {e}", truncate(file)), e.hint());
                None
            }
        }
    }

    fn waf(&mut self) {
        for (name, set) in &self.s.ip_sets {
            let sp = p(&["ip_sets", name]);
            if set.addresses.is_empty() {
                self.err_key(&sp, format!("IP set `{name}` has no addresses"), "");
            }
            let mut versions = HashSet::new();
            for (i, a) in set.addresses.iter().enumerate() {
                if !is_cidr(a, None) {
                    self.err(&format!("{sp}/addresses/{i}"), format!("`{a}` is not a CIDR block"), "for example `203.0.113.0/24`");
                } else {
                    versions.insert(a.contains(':'));
                }
            }
            if versions.len() > 1 {
                self.err(&format!("{sp}/addresses"), format!("IP set `{name}` mixes IPv4 and IPv6 addresses"), "an IP set holds one IP version; make two sets");
            }
        }
        for (name, acl) in &self.s.web_acls {
            let ap = p(&["web_acls", name]);
            self.tags(&format!("{ap}/tags"), &acl.tags);
            let mut priorities: BTreeMap<u32, usize> = BTreeMap::new();
            let mut rule_names: HashSet<&str> = HashSet::new();
            for (i, r) in acl.rules.iter().enumerate() {
                let rp = format!("{ap}/rules/{i}");
                if !rule_names.insert(&r.name) {
                    self.err(&format!("{rp}/name"), format!("rule name `{}` is used twice in web ACL `{name}`", r.name), "");
                }
                let priority = r.priority.unwrap_or(i as u32);
                if let Some(first) = priorities.insert(priority, i) {
                    self.err(
                        &format!("{rp}/priority"),
                        format!("priority {priority} is already used by rule `{}`", acl.rules[first].name),
                        "WAF rule priorities must be unique within the ACL",
                    );
                }
                let kinds = [r.managed.is_some(), r.rate_limit.is_some(), r.ip_set.is_some(), r.geo.is_some()].iter().filter(|b| **b).count();
                if kinds != 1 {
                    self.err(&rp, format!("rule `{}` needs exactly one of `managed`, `rate_limit`, `ip_set`, `geo`", r.name), "");
                    continue;
                }
                if r.managed.is_some() {
                    if r.action.is_some() {
                        self.err(
                            &format!("{rp}/action"),
                            "a managed rule group takes `override_action`, not `action`",
                            "`override_action: count` only counts; `none` keeps the group's actions",
                        );
                    }
                } else if r.override_action.is_some() {
                    self.err(&format!("{rp}/override_action"), "`override_action` only applies to managed rule groups", "use `action`");
                }
                if let Some(rl) = &r.rate_limit
                    && ![60, 120, 300, 600].contains(&rl.window)
                {
                    self.err(&format!("{rp}/rate_limit/window"), format!("rate window {} is not allowed", rl.window), "one of 60, 120, 300, 600 seconds");
                }
                if let Some(set) = &r.ip_set {
                    self.reference(&format!("{rp}/ip_set"), K::IpSet, set);
                }
                if let Some(geo) = &r.geo {
                    for (j, c) in geo.iter().enumerate() {
                        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                            self.err(
                                &format!("{rp}/geo/{j}"),
                                format!("`{c}` is not a two-letter country code"),
                                "ISO 3166 codes in capitals, e.g. `US`, `FR`",
                            );
                        }
                    }
                }
            }
        }
    }

    fn target_groups(&mut self) {
        let users = self.users.clone();
        let asg_owned: HashMap<&str, &str> =
            self.s.autoscaling_groups.iter().flat_map(|(a, g)| g.target_groups.iter().map(move |t| (t.as_str(), a.as_str()))).collect();
        for (name, tg) in &self.s.target_groups {
            let tp = p(&["target_groups", name]);
            self.tags(&format!("{tp}/tags"), &tg.tags);
            let lambda = tg.target_type == TargetType::Lambda;
            if lambda {
                if tg.protocol.is_some() || tg.port.is_some() {
                    self.err_key(&tp, format!("target group `{name}` has type lambda, which takes no `protocol` or `port`"), "remove them");
                }
            } else {
                if tg.protocol.is_none() {
                    self.err_key(
                        &tp,
                        format!("target group `{name}` needs a `protocol`"),
                        "HTTP or HTTPS behind an application load balancer, TCP/TLS/UDP/TCP_UDP behind a network one, GENEVE behind a gateway one",
                    );
                }
                if tg.port.is_none() {
                    self.err_key(&tp, format!("target group `{name}` needs a `port`"), "the port targets receive traffic on");
                }
            }
            let http = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https));
            if tg.protocol == Some(Protocol::Geneve) && tg.port.is_some_and(|p| p != 6081) {
                self.err(&format!("{tp}/port"), "GENEVE target groups use port 6081", "");
            }
            if tg.target_type == TargetType::Alb && tg.protocol.is_some_and(|p| p != Protocol::Tcp) {
                self.err(
                    &format!("{tp}/protocol"),
                    "a target group of type alb must use TCP",
                    "an ALB can only be the target of a network load balancer's TCP listener",
                );
            }
            if tg.protocol_version.is_some() && !http {
                self.err(&format!("{tp}/protocol_version"), "`protocol_version` applies to HTTP and HTTPS target groups only", "");
            }
            if let Some(hc) = &tg.health_check {
                self.health_check(&format!("{tp}/health_check"), hc, tg);
            }
            if let Some(st) = &tg.stickiness {
                let sp = format!("{tp}/stickiness");
                match st.kind {
                    StickinessType::LbCookie | StickinessType::AppCookie if !http && !lambda => {
                        self.err(
                            &format!("{sp}/type"),
                            "cookie stickiness needs an HTTP or HTTPS target group",
                            "network load balancers stick with `type: source_ip`",
                        );
                    }
                    StickinessType::SourceIp if http || lambda => {
                        self.err(&format!("{sp}/type"), "`source_ip` stickiness is for network load balancer target groups", "use `lb_cookie` or `app_cookie`");
                    }
                    _ => {}
                }
                if st.kind == StickinessType::AppCookie && st.cookie_name.is_none() {
                    self.err(&sp, "`app_cookie` stickiness needs `cookie_name`", "the cookie your application sets");
                }
                if st.kind != StickinessType::AppCookie && st.cookie_name.is_some() {
                    self.err(&format!("{sp}/cookie_name"), "`cookie_name` applies to `app_cookie` stickiness only", "");
                }
                if st.kind == StickinessType::SourceIp && st.duration.is_some() {
                    self.err(&format!("{sp}/duration"), "`source_ip` stickiness has no duration", "");
                }
            }
            if tg.algorithm.is_some() && !http {
                self.err(&format!("{tp}/algorithm"), "`algorithm` applies to HTTP and HTTPS target groups only", "");
            }
            let network = matches!(tg.protocol, Some(Protocol::Tcp | Protocol::Tls | Protocol::Udp | Protocol::TcpUdp));
            for (field, set) in [
                ("proxy_protocol_v2", tg.proxy_protocol_v2.is_some()),
                ("preserve_client_ip", tg.preserve_client_ip.is_some()),
                ("connection_termination", tg.connection_termination.is_some()),
            ] {
                if set && !network {
                    self.err(&format!("{tp}/{field}"), format!("`{field}` applies to network load balancer target groups (TCP, TLS, UDP, TCP_UDP)"), "");
                }
            }
            for (field, set) in [
                ("cross_zone", tg.cross_zone.is_some()),
                ("dns_failover", tg.dns_failover.is_some()),
                ("unhealthy_state_routing", tg.unhealthy_state_routing.is_some()),
            ] {
                if set && (lambda || tg.protocol == Some(Protocol::Geneve)) {
                    self.err(&format!("{tp}/{field}"), format!("`{field}` applies to target groups of application and network load balancers"), "");
                }
            }
            for field in ["dns_failover", "unhealthy_state_routing"] {
                let setting = if field == "dns_failover" { &tg.dns_failover } else { &tg.unhealthy_state_routing };
                if setting.as_ref().is_some_and(|h| h.count.is_none() && h.percent.is_none()) {
                    self.err(&format!("{tp}/{field}"), format!("`{field}` needs `count`, `percent` or both"), "");
                }
            }
            self.other_attributes(&format!("{tp}/other_attributes"), &tg.other_attributes, super::attributes::TARGET_GROUP);
            if let Some(ss) = tg.slow_start {
                if ss != 0 && !(30..=900).contains(&ss) {
                    self.err(&format!("{tp}/slow_start"), format!("slow start of {ss} s is not allowed"), "0 (off) or 30–900 seconds");
                }
                if ss != 0 && tg.algorithm == Some(Algorithm::LeastOutstandingRequests) {
                    self.err(&format!("{tp}/slow_start"), "slow start cannot be combined with `least_outstanding_requests`", "");
                }
            }
            for (i, t) in tg.targets.iter().flatten().enumerate() {
                let ok = match tg.target_type {
                    TargetType::Instance => t.id.starts_with("i-"),
                    TargetType::Ip => t.id.parse::<IpAddr>().is_ok(),
                    TargetType::Lambda => arn_problem(&t.id, "lambda", &["function:"], self.s.region.as_deref(), false).is_none(),
                    TargetType::Alb => arn_problem(&t.id, "elasticloadbalancing", &["loadbalancer/app/"], self.s.region.as_deref(), false).is_none(),
                };
                if !ok {
                    let want = match tg.target_type {
                        TargetType::Instance => "an instance id (`i-...`)",
                        TargetType::Ip => "an IP address",
                        TargetType::Lambda => "a Lambda function ARN",
                        TargetType::Alb => "an application load balancer ARN",
                    };
                    self.err(
                        &format!("{tp}/targets/{i}/id"),
                        format!("`{}` is not {want}", truncate(&t.id)),
                        format!("the target group's target_type is {:?}", tg.target_type).to_lowercase(),
                    );
                }
            }
            if let Some(asg) = asg_owned.get(name.as_str()) {
                if tg.targets.is_some() {
                    self.err(
                        &format!("{tp}/targets"),
                        format!("target group `{name}` lists targets but auto-scaling group `{asg}` also registers its instances in it"),
                        "one owner per attachment: let the group register instances and remove `targets`",
                    );
                }
                if tg.target_type != TargetType::Instance {
                    self.err(
                        &format!("{tp}/target_type"),
                        format!("auto-scaling group `{asg}` registers instances, but this target group takes {:?} targets", tg.target_type).to_lowercase(),
                        "use `target_type: instance`",
                    );
                }
            }
            // The protocol must fit every load balancer that forwards here.
            if let (Some(proto), Some(uses)) = (tg.protocol, users.get(name.as_str())) {
                let mut reported = HashSet::new();
                for (lb_type, listener) in uses {
                    if !proto.fits(*lb_type) && reported.insert(*lb_type) {
                        self.err(
                            &format!("{tp}/protocol"),
                            format!("target group `{name}` uses {} but listener `{listener}` is on {}", proto.as_str(), lb_phrase(*lb_type)),
                            allowed_protocols(*lb_type),
                        );
                    }
                }
            }
        }
    }

    fn health_check(&mut self, hp: &str, hc: &HealthCheck, tg: &TargetGroup) {
        let proto = hc.protocol.unwrap_or(match tg.protocol {
            Some(Protocol::Https) => HealthCheckProtocol::Https,
            Some(Protocol::Http | Protocol::Geneve) | None => HealthCheckProtocol::Http,
            _ => HealthCheckProtocol::Tcp,
        });
        // The interval the check runs at: declared, or AWS's default for the protocol.
        let default_interval = if tg.protocol == Some(Protocol::Geneve) { 10 } else { 30 };
        if let Some(t) = hc.timeout
            && t >= hc.interval.unwrap_or(default_interval)
        {
            let (i, whose) = match hc.interval {
                Some(i) => (i, "the interval"),
                None => (default_interval, "the default interval"),
            };
            self.err(&format!("{hp}/timeout"), format!("health check timeout ({t} s) must be shorter than {whose} ({i} s)"), "");
        }
        if proto == HealthCheckProtocol::Tcp {
            if hc.path.is_some() {
                self.err(&format!("{hp}/path"), "a TCP health check has no path", "set `protocol: HTTP` to check a path");
            }
            if hc.matcher.is_some() {
                self.err(&format!("{hp}/matcher"), "a TCP health check has no matcher", "");
            }
            if matches!(tg.protocol, Some(Protocol::Http | Protocol::Https)) {
                self.err(&format!("{hp}/protocol"), "HTTP and HTTPS target groups check health over HTTP or HTTPS", "");
            }
        }
        if let Some(path) = &hc.path
            && !path.starts_with('/')
        {
            self.err(&format!("{hp}/path"), format!("health check path `{path}` must start with `/`"), "");
        }
        if let Some(HealthCheckPort::Named(n)) = &hc.port
            && n != "traffic-port"
        {
            self.err(&format!("{hp}/port"), format!("`{n}` is not a port"), "a port number, or `traffic-port` for the target's own port");
        }
        if let Some(HealthCheckPort::Port(n)) = &hc.port
            && !(1..=65535).contains(n)
        {
            self.err(&format!("{hp}/port"), format!("port {n} is outside 1–65535"), "");
        }
        if let Some(m) = &hc.matcher {
            let grpc = tg.protocol_version == Some(ProtocolVersion::Grpc);
            let (lo, hi) = if grpc { (0, 99) } else { (200, 499) };
            if !valid_codes(m, lo, hi) {
                self.err(
                    &format!("{hp}/matcher"),
                    format!("`{m}` is not a valid {} matcher", if grpc { "gRPC" } else { "HTTP" }),
                    format!("codes {lo}–{hi}, as `200`, `200-299` or `200,302`"),
                );
            }
        }
    }

    fn load_balancers(&mut self) {
        for (name, lb) in &self.s.load_balancers {
            let lp = p(&["load_balancers", name]);
            self.tags(&format!("{lp}/tags"), &lb.tags);
            if let Some(sn) = &lb.subnets {
                self.reference(&format!("{lp}/subnets"), Kind::SubnetGroup, sn);
            }
            if lb.kind == LbType::Gateway && !lb.security_groups.is_empty() {
                self.err(&format!("{lp}/security_groups"), "gateway load balancers take no security groups", "");
            }
            for (i, sg) in lb.security_groups.iter().enumerate() {
                self.reference_or_id(&format!("{lp}/security_groups/{i}"), K::SecurityGroup, sg, "sg-");
            }
            if let Some(acl) = &lb.web_acl {
                if lb.kind != LbType::Application {
                    self.err(&format!("{lp}/web_acl"), format!("a web ACL protects application load balancers, not {} ones", lb.kind.as_str()), "");
                } else {
                    self.reference(&format!("{lp}/web_acl"), K::WebAcl, acl);
                }
            }
            if lb.kind == LbType::Gateway && lb.scheme == Scheme::Internal && self.index.has(&format!("{lp}/scheme")) {
                self.err(&format!("{lp}/scheme"), "gateway load balancers have no scheme", "remove `scheme`");
            }
            let a = &lb.attributes;
            let ap = format!("{lp}/attributes");
            let app_only = [
                ("idle_timeout", a.idle_timeout.is_some()),
                ("http2", a.http2.is_some()),
                ("drop_invalid_headers", a.drop_invalid_headers.is_some()),
                ("connection_logs", a.connection_logs.is_some()),
                ("client_keep_alive", a.client_keep_alive.is_some()),
                ("desync_mitigation", a.desync_mitigation.is_some()),
                ("xff_header_processing", a.xff_header_processing.is_some()),
                ("xff_client_port", a.xff_client_port.is_some()),
                ("preserve_host_header", a.preserve_host_header.is_some()),
                ("tls_headers", a.tls_headers.is_some()),
                ("waf_fail_open", a.waf_fail_open.is_some()),
            ];
            if a.zonal_shift.is_some() && lb.kind == LbType::Gateway {
                self.err(&format!("{ap}/zonal_shift"), "gateway load balancers have no zonal shift", "");
            }
            if a.dns_client_routing.is_some() && lb.kind != LbType::Network {
                self.err(&format!("{ap}/dns_client_routing"), "`dns_client_routing` applies to network load balancers only", "");
            }
            self.other_attributes(&format!("{ap}/other"), &a.other, super::attributes::LOAD_BALANCER);
            for (attr, set) in app_only {
                if set && lb.kind != LbType::Application {
                    self.err(&format!("{ap}/{attr}"), format!("`{attr}` applies to application load balancers only"), "");
                }
            }
            if a.cross_zone.is_some() && lb.kind == LbType::Application {
                self.err(
                    &format!("{ap}/cross_zone"),
                    "application load balancers always balance across zones",
                    "remove `cross_zone`, or set it on a network or gateway load balancer",
                );
            }
            if a.access_logs.is_some() && lb.kind == LbType::Gateway {
                self.err(&format!("{ap}/access_logs"), "gateway load balancers have no access logs", "");
            }
            if lb.kind == LbType::Gateway && lb.listeners.len() > 1 {
                self.err(&format!("{lp}/listeners"), "a gateway load balancer has a single listener", "");
            }
            let mut ports: HashMap<u32, &str> = HashMap::new();
            for (l_name, l) in &lb.listeners {
                let lsp = format!("{lp}/listeners/{}", escape(l_name));
                if let Some(port) = l.port
                    && let Some(other) = ports.insert(port, l_name)
                {
                    self.err(
                        &format!("{lsp}/port"),
                        format!("port {port} is already used by listener `{other}`"),
                        "each listener of a load balancer needs its own port",
                    );
                }
                self.listener(&lsp, &format!("{name}.{l_name}"), lb, l);
            }
        }
    }

    fn listener(&mut self, lsp: &str, listener_name: &str, lb: &LoadBalancer, l: &Listener) {
        let gateway = lb.kind == LbType::Gateway;
        if gateway {
            if l.port.is_some() {
                self.err(&format!("{lsp}/port"), "gateway load balancer listeners have no port", "they receive all IP traffic on GENEVE 6081; remove `port`");
            }
            if l.protocol.is_some_and(|p| p != Protocol::Geneve) {
                self.err(&format!("{lsp}/protocol"), "gateway load balancer listeners use GENEVE", "");
            }
        } else {
            if l.port.is_none() {
                self.err_key(lsp, "listener needs a `port`", "");
            }
            match l.protocol {
                None => self.err_key(lsp, "listener needs a `protocol`", allowed_protocols(lb.kind)),
                Some(proto) if !proto.fits(lb.kind) => self.err(
                    &format!("{lsp}/protocol"),
                    format!("{} listeners are not possible on {}", proto.as_str(), lb_phrase(lb.kind)),
                    allowed_protocols(lb.kind),
                ),
                _ => {}
            }
        }
        let tls = matches!(l.protocol, Some(Protocol::Https | Protocol::Tls));
        if tls && l.certificates.is_empty() {
            self.err_key(
                lsp,
                format!("{} listener without a certificate", l.protocol.map(Protocol::as_str).unwrap_or_default()),
                "add `certificates: [NAME]` with a certificate of this stack or an ACM ARN",
            );
        }
        if !tls {
            if !l.certificates.is_empty() {
                self.err(&format!("{lsp}/certificates"), "certificates apply to HTTPS and TLS listeners only", "");
            }
            if l.ssl_policy.is_some() {
                self.err(&format!("{lsp}/ssl_policy"), "`ssl_policy` applies to HTTPS and TLS listeners only", "");
            }
        }
        for (i, c) in l.certificates.iter().enumerate() {
            self.reference_or_id(&format!("{lsp}/certificates/{i}"), K::Certificate, c, "arn:");
        }
        if let Some(policy) = &l.ssl_policy
            && !policy.starts_with("ELBSecurityPolicy-")
        {
            self.err(&format!("{lsp}/ssl_policy"), format!("`{policy}` is not an ELB security policy"), "for example `ELBSecurityPolicy-TLS13-1-2-2021-06`");
        }
        if let Some(alpn) = &l.alpn_policy {
            if l.protocol != Some(Protocol::Tls) {
                self.err(&format!("{lsp}/alpn_policy"), "`alpn_policy` applies to TLS listeners only", "");
            } else if !["HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None"].contains(&alpn.as_str()) {
                self.err(
                    &format!("{lsp}/alpn_policy"),
                    format!("`{alpn}` is not an ALPN policy"),
                    "HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred or None",
                );
            }
        }
        self.action(&format!("{lsp}/default_action"), lb, l, &l.default_action, true);
        if !l.rules.is_empty() && lb.kind != LbType::Application {
            self.err(
                &format!("{lsp}/rules"),
                format!("{} load balancers have no listener rules", lb.kind.as_str()),
                "route with rules on an application load balancer",
            );
            return;
        }
        let mut priorities: BTreeMap<u32, usize> = BTreeMap::new();
        if l.rules.len() > 100 {
            self.warn_key(
                &format!("{lsp}/rules"),
                format!("listener `{listener_name}` has {} rules; a listener holds 100 by default", l.rules.len()),
                "raise the quota `Rules per Application Load Balancer` in Service Quotas first, or apply fails part way",
            );
        }
        for (i, r) in l.rules.iter().enumerate() {
            let rp = format!("{lsp}/rules/{i}");
            let priority = r.priority.unwrap_or(10 * (i as u32 + 1));
            if r.priority.is_none() && priority > 50_000 {
                self.err(&rp, format!("this rule gets priority {priority} (10 × its position), above AWS's 50000"), "give rules explicit `priority` values");
            }
            if let Some(first) = priorities.insert(priority, i) {
                let explain =
                    if r.priority.is_none() || l.rules[first].priority.is_none() { " (rules without `priority` get 10 × their position)" } else { "" };
                self.err(
                    &format!("{rp}/priority"),
                    format!("priority {priority} is already used by rule {} of listener `{listener_name}`{explain}", first + 1),
                    "rule priorities must be unique on a listener",
                );
            }
            if !r.has_condition() {
                self.err(
                    &rp,
                    "a rule needs at least one condition",
                    "`path`, `host`, `header`, `query`, `source_ip` or `method`; the listener's default_action covers everything else",
                );
            }
            let values = [&r.path, &r.host, &r.source_ip, &r.method].iter().filter_map(|o| o.as_ref()).map(|v| v.to_vec().len()).sum::<usize>()
                + r.header.values().map(|v| v.to_vec().len()).sum::<usize>()
                + r.query.len();
            if values > 5 {
                self.err(&rp, format!("this rule has {values} condition values; AWS allows 5"), "split it into several rules");
            }
            for (field, v) in [("path", &r.path), ("host", &r.host)] {
                for (j, pat) in v.iter().flat_map(OneOrMany::to_vec).enumerate() {
                    if pat.is_empty() || pat.len() > 128 {
                        self.err(&format!("{rp}/{field}"), format!("{field} pattern {} must be 1–128 characters", j + 1), "");
                    }
                    if field == "path" && !pat.starts_with('/') && !pat.starts_with('*') {
                        self.err(&format!("{rp}/path"), format!("path pattern `{}` must start with `/`", truncate(&pat)), "");
                    }
                    // ELB user guide, "Path conditions": A–Z, a–z, 0–9, _ - . $ / ~ " ' @ : + & * ?
                    if field == "path"
                        && let Some(bad) = pat.chars().find(|c| !(c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(*c)))
                    {
                        self.err(
                            &format!("{rp}/path"),
                            format!("path pattern `{}` holds `{bad}`, which AWS does not accept", truncate(&pat)),
                            "allowed: letters, digits and _ - . $ / ~ \" ' @ : + & * ?",
                        );
                    }
                }
            }
            for m in r.method.iter().flat_map(OneOrMany::to_vec) {
                if m.is_empty() || !m.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c == '-') {
                    self.err(&format!("{rp}/method"), format!("`{m}` is not an HTTP method"), "write methods in capitals: GET, POST, ...");
                }
            }
            for ip in r.source_ip.iter().flat_map(OneOrMany::to_vec) {
                if !is_cidr(&ip, None) {
                    self.err(&format!("{rp}/source_ip"), format!("`{ip}` is not a CIDR block"), "");
                }
            }
            self.action(&rp, lb, l, &r.action(), false);
        }
    }

    fn action(&mut self, ap: &str, lb: &LoadBalancer, l: &Listener, a: &Action, default: bool) {
        if let Some(auth) = &a.authenticate {
            self.authenticate(&format!("{ap}/authenticate"), l, auth);
        }
        let kinds = [a.forward.is_some(), a.redirect.is_some(), a.fixed_response.is_some()].iter().filter(|b| **b).count();
        if kinds != 1 {
            let what = if default { "default_action" } else { "a rule" };
            self.err(ap, format!("{what} needs exactly one of `forward`, `redirect`, `fixed_response`"), "");
            return;
        }
        if lb.kind != LbType::Application && (a.redirect.is_some() || a.fixed_response.is_some()) {
            let which = if a.redirect.is_some() { "redirect" } else { "fixed_response" };
            self.err(
                &format!("{ap}/{which}"),
                format!("{which} is an application load balancer action"),
                format!("a {} load balancer can only forward", lb.kind.as_str()),
            );
        }
        if let Some(f) = &a.forward {
            match f {
                Forward::One(tg) => {
                    self.reference(&format!("{ap}/forward"), K::TargetGroup, tg);
                    if a.stickiness.is_some() {
                        self.err(&format!("{ap}/stickiness"), "`stickiness` applies to weighted forwards (several target groups)", "");
                    }
                }
                Forward::Weighted(map) => {
                    if map.is_empty() {
                        self.err(&format!("{ap}/forward"), "a weighted forward needs at least one target group", "");
                    }
                    if lb.kind != LbType::Application && map.len() > 1 {
                        self.err(&format!("{ap}/forward"), format!("a {} load balancer forwards to one target group", lb.kind.as_str()), "");
                    }
                    if map.len() > 5 {
                        self.err(&format!("{ap}/forward"), "a forward action takes at most 5 target groups", "");
                    }
                    for (tg, w) in map {
                        let wp = format!("{ap}/forward/{}", escape(tg));
                        if self.exists(K::TargetGroup, tg) {
                            if *w > 999 {
                                self.err(&wp, format!("weight {w} is above 999"), "");
                            }
                        } else {
                            self.reference(&wp, K::TargetGroup, tg);
                        }
                    }
                    if !map.is_empty() && map.values().all(|w| *w == 0) {
                        self.err(&format!("{ap}/forward"), "every weight is 0, so no target group receives traffic", "");
                    }
                }
            }
        }
        if let Some(r) = &a.redirect {
            let rp = format!("{ap}/redirect");
            if r.status != 301 && r.status != 302 {
                self.err(&format!("{rp}/status"), format!("redirect status {} is not allowed", r.status), "301 (permanent) or 302 (temporary)");
            }
            if let Some(proto) = &r.protocol
                && !["HTTP", "HTTPS", "#{protocol}"].contains(&proto.as_str())
            {
                self.err(&format!("{rp}/protocol"), format!("`{proto}` is not a redirect protocol"), "HTTP, HTTPS or #{protocol}");
            }
            if let Some(RedirectPort::Number(n)) = &r.port
                && !(1..=65535).contains(n)
            {
                self.err(&format!("{rp}/port"), format!("port {n} is outside 1–65535"), "");
            }
            if r.protocol.is_none() && r.port.is_none() && r.host.is_none() && r.path.is_none() && r.query.is_none() {
                self.err(&rp, "this redirect sends clients to the same URL, in a loop", "set at least one of protocol, port, host, path, query");
            }
        }
        if let Some(fr) = &a.fixed_response {
            let fp = format!("{ap}/fixed_response");
            if !(200..=299).contains(&fr.status) && !(400..=599).contains(&fr.status) {
                self.err(&format!("{fp}/status"), format!("fixed response status {} is not allowed", fr.status), "a 2XX, 4XX or 5XX code");
            }
            if let Some(ct) = &fr.content_type
                && !["text/plain", "text/css", "text/html", "application/javascript", "application/json"].contains(&ct.as_str())
            {
                self.err(
                    &format!("{fp}/content_type"),
                    format!("`{ct}` is not allowed"),
                    "text/plain, text/css, text/html, application/javascript or application/json",
                );
            }
            if fr.body.as_ref().is_some_and(|b| b.len() > 1024) {
                self.err(&format!("{fp}/body"), "a fixed response body is at most 1024 bytes", "");
            }
        }
    }

    fn launch_templates(&mut self) {
        for (name, lt) in &self.s.launch_templates {
            let lp = p(&["launch_templates", name]);
            self.tags(&format!("{lp}/tags"), &lt.tags);
            match &lt.image {
                Image::Id(id) if !id.starts_with("ami-") => {
                    self.err(
                        &format!("{lp}/image"),
                        format!("`{id}` is not an AMI id"),
                        "give `ami-...`, or look one up: `{name: \"al2023-ami-*-x86_64\", owner: amazon}`",
                    );
                }
                Image::Lookup(l) if l.name.trim().is_empty() => self.err(&format!("{lp}/image/name"), "image name pattern is empty", ""),
                Image::Parameter(p) if !(p.ssm.starts_with('/') || p.ssm.starts_with("arn:")) || p.ssm.len() > 2048 => self.err(
                    &format!("{lp}/image/ssm"),
                    format!("`{}` is not an SSM parameter name", truncate(&p.ssm)),
                    "a path such as `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`",
                ),
                _ => {}
            }
            if let Some(profile) = &lt.instance_profile {
                if profile.starts_with("arn:") {
                    self.arn(&format!("{lp}/instance_profile"), profile, "iam", &["instance-profile/"], "an instance profile ARN");
                } else if profile.is_empty() || profile.len() > 128 || !profile.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)) {
                    self.err(
                        &format!("{lp}/instance_profile"),
                        format!("`{}` is not an instance profile name", truncate(profile)),
                        "1–128 of letters, digits and +=,.@_-",
                    );
                }
            }
            if !is_instance_type(&lt.instance_type) {
                self.err(&format!("{lp}/instance_type"), format!("`{}` is not an instance type", lt.instance_type), "for example `t3.micro` or `m7g.large`");
            }
            for (i, sg) in lt.security_groups.iter().enumerate() {
                self.reference_or_id(&format!("{lp}/security_groups/{i}"), K::SecurityGroup, sg, "sg-");
            }
            if let Some(ud) = &lt.user_data
                && let Some(bytes) = self.file(&format!("{lp}/user_data"), ud, MAX_USER_DATA)
            {
                let text = String::from_utf8_lossy(&bytes);
                if !files::private_key_blocks(&text).is_empty() {
                    self.err(
                        &format!("{lp}/user_data"),
                        format!("`{}` holds private key material", truncate(ud)),
                        "user data is readable by anything on the instance and shown in plans: fetch keys at boot (Secrets Manager, SSM)",
                    );
                } else if std::str::from_utf8(&bytes).is_err() {
                    self.err(&format!("{lp}/user_data"), format!("`{}` is not UTF-8 text", truncate(ud)), "");
                }
            }
            if let Some(rv) = &lt.root_volume {
                let rp = format!("{lp}/root_volume");
                let kind = rv.kind.as_str();
                if !["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"].contains(&kind) {
                    self.err(&format!("{rp}/type"), format!("`{}` is not an EBS volume type", rv.kind), "gp3, gp2, io1, io2, st1, sc1 or standard");
                } else if matches!(kind, "io1" | "io2") && rv.iops.is_none() {
                    self.err(
                        &format!("{rp}/type"),
                        format!("an {kind} volume needs `iops`"),
                        "provisioned IOPS volumes are created with their IOPS: add `iops: 3000`, or use gp3",
                    );
                } else if rv.iops.is_some() && !matches!(kind, "io1" | "io2" | "gp3") {
                    self.err(&format!("{rp}/iops"), format!("`iops` does not apply to {kind} volumes"), "io1, io2 and gp3 take provisioned IOPS");
                }
                if rv.throughput.is_some() && kind != "gp3" {
                    self.err(&format!("{rp}/throughput"), format!("`throughput` does not apply to {kind} volumes"), "only gp3 takes a throughput");
                }
                if let Some(t) = rv.throughput.filter(|t| !(125..=1000).contains(t)) {
                    self.err(&format!("{rp}/throughput"), format!("{t} MiB/s is outside 125–1000"), "");
                }
                if let (Some(i), "gp3") = (rv.iops, kind)
                    && !(3000..=16000).contains(&i)
                {
                    self.err(&format!("{rp}/iops"), format!("{i} IOPS is outside 3000–16000 for gp3"), "");
                }
            }
        }
    }

    fn autoscaling_groups(&mut self) {
        let lb_tgs: HashSet<&str> = self.users.keys().copied().collect();
        for (name, g) in &self.s.autoscaling_groups {
            let gp = p(&["autoscaling_groups", name]);
            self.tags(&format!("{gp}/tags"), &g.tags);
            if g.min > g.max {
                self.err(&format!("{gp}/min"), format!("min ({}) is greater than max ({})", g.min, g.max), "");
            }
            if let Some(d) = g.desired {
                if d < g.min || d > g.max {
                    self.err(&format!("{gp}/desired"), format!("desired ({d}) is outside min–max ({}–{})", g.min, g.max), "");
                }
            } else if g.pin_desired {
                self.err(&format!("{gp}/pin_desired"), "`pin_desired` needs `desired`", "");
            }
            if let Some(sn) = &g.subnets {
                self.reference(&format!("{gp}/subnets"), Kind::SubnetGroup, sn);
            }
            let ltp = format!("{gp}/launch_template");
            let lt_name = g.launch_template.name().to_string();
            let lt_pointer = if matches!(g.launch_template, LaunchTemplateRef::Versioned(_)) { format!("{ltp}/name") } else { ltp.clone() };
            if self.reference(&lt_pointer, K::LaunchTemplate, &lt_name)
                && let (Some(lt), Some(_)) = (self.s.launch_templates.get(&lt_name), &g.mixed_instances)
                && lt.spot.is_some()
            {
                self.err(
                    &format!("{gp}/mixed_instances"),
                    format!("launch template `{lt_name}` requests spot instances, which AWS refuses in a mixed instances group"),
                    "remove `spot` from the template and set the spot share here with `on_demand_percentage`",
                );
            }
            if let LaunchTemplateRef::Versioned(v) = &g.launch_template {
                match &v.version {
                    None => {}
                    Some(Scalar::Int(n)) if *n >= 1 => {}
                    Some(Scalar::String(s)) if s == "latest" || s == "default" => {}
                    Some(other) => self.err(
                        &format!("{ltp}/version"),
                        format!("`{other}` is not a launch template version"),
                        "`latest`, `default`, or a version number from 1",
                    ),
                }
            }
            if let Some(m) = &g.mixed_instances {
                if m.types.is_empty() || m.types.len() > 40 {
                    self.err(&format!("{gp}/mixed_instances/types"), "a mixed instances group lists 1 to 40 instance types", "");
                }
                for (i, t) in m.types.iter().enumerate() {
                    if !is_instance_type(t) {
                        self.err(&format!("{gp}/mixed_instances/types/{i}"), format!("`{t}` is not an instance type"), "");
                    }
                }
            }
            for (i, tg) in g.target_groups.iter().enumerate() {
                let tgp = format!("{gp}/target_groups/{i}");
                // A load balancer dropped for its own mistake may be the one forwarding there.
                let lb_dropped = self.broken.iter().any(|(section, _)| section == "load_balancers");
                if self.reference(&tgp, K::TargetGroup, tg) && !lb_dropped && !lb_tgs.contains(tg.as_str()) && self.s.target_groups.contains_key(tg) {
                    self.warn_key(&tgp, format!("target group `{tg}` is not forwarded to by any listener"), "its instances will receive no traffic");
                }
            }
            if let Some(hc) = &g.health_check
                && hc.kind == AsgHealthCheckType::Elb
                && g.target_groups.is_empty()
            {
                self.err(
                    &format!("{gp}/health_check/type"),
                    "`type: elb` needs target groups",
                    "the load balancer's health checks come from the group's target groups",
                );
            }
            if let Some(life) = g.max_instance_lifetime
                && life != 0
                && !(86_400..=31_536_000).contains(&life)
            {
                self.err(&format!("{gp}/max_instance_lifetime"), format!("{life} s is not allowed"), "0 (off) or 86400–31536000 seconds (1 to 365 days)");
            }
            self.group_extras(&gp, name, g);
            if let Some(r) = &g.instance_refresh {
                if let (Some(min), Some(max)) = (r.min_healthy_percentage, r.max_healthy_percentage)
                    && (max - min > 100 || max < min)
                {
                    self.err(
                        &format!("{gp}/instance_refresh"),
                        format!("min_healthy_percentage {min} and max_healthy_percentage {max} are more than 100 apart"),
                        "AWS allows a spread of at most 100",
                    );
                }
                if !r.checkpoints.is_empty() {
                    let ascending = r.checkpoints.windows(2).all(|w| w[0] < w[1]);
                    if !ascending || r.checkpoints.last() != Some(&100) || r.checkpoints.iter().any(|c| *c == 0 || *c > 100) {
                        self.err(&format!("{gp}/instance_refresh/checkpoints"), "checkpoints must ascend from 1 and end at 100", "for example [20, 50, 100]");
                    }
                }
            }
        }
    }

    /// A sign-in before an action: one provider, https endpoints, a secret source, an HTTPS listener.
    fn authenticate(&mut self, ap: &str, l: &Listener, a: &Authenticate) {
        if l.protocol != Some(Protocol::Https) {
            self.err_key(ap, "sign-in needs an HTTPS listener", "the load balancer signs users in over TLS only");
        }
        match (&a.oidc, &a.cognito) {
            (Some(_), Some(_)) | (None, None) => self.err_key(ap, "`authenticate` takes exactly one of `oidc` or `cognito`", ""),
            _ => {}
        }
        if let Some(o) = &a.oidc {
            for (field, url) in [
                ("issuer", &o.issuer),
                ("authorization_endpoint", &o.authorization_endpoint),
                ("token_endpoint", &o.token_endpoint),
                ("user_info_endpoint", &o.user_info_endpoint),
            ] {
                if !url.starts_with("https://") || url.len() <= "https://".len() {
                    self.err(&format!("{ap}/oidc/{field}"), format!("`{field}` is an https:// URL"), "");
                }
            }
            let sp = format!("{ap}/oidc/client_secret");
            match (&o.client_secret.env, &o.client_secret.file) {
                (Some(name), None) => {
                    let valid =
                        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        self.err(&format!("{sp}/env"), "not an environment variable name", "letters, digits and `_`, not starting with a digit");
                    }
                }
                (None, Some(_)) => {}
                _ => self.err(&sp, "the client secret comes from exactly one of `env` or `file`", "never write the secret itself in the stack"),
            }
        }
        if let Some(c) = &a.cognito
            && let Some(problem) = arn_problem(&c.user_pool, "cognito-idp", &["userpool/"], self.s.region.as_deref(), false)
        {
            self.err(&format!("{ap}/cognito/user_pool"), format!("not a user pool ARN: {problem}"), "");
        }
        if a.extra_params.len() > 10 {
            self.err(&format!("{ap}/extra_params"), "at most 10 extra parameters", "");
        }
        for key in a.extra_params.keys() {
            if ["response_type", "client_id", "redirect_uri", "state", "scope"].contains(&key.as_str()) {
                self.err_key(&format!("{ap}/extra_params/{}", escape(key)), format!("`{key}` is set by the load balancer"), "");
            }
        }
    }

    /// What an alarm watches: one metric (against a threshold or an anomaly band), or metric math
    /// over named metrics.
    fn alarm_watches(&mut self, ap: &str, name: &str, al: &Alarm) {
        match (&al.metric, &al.expression) {
            (Some(_), Some(_)) => {
                self.err_key(ap, format!("alarm `{name}` has both `metric` and `expression`"), "watch one metric, or an expression over `metrics`")
            }
            (None, None) => self.err_key(ap, format!("alarm `{name}` needs a `metric` or an `expression`"), ""),
            _ => {}
        }
        if let Some(metric) = &al.metric {
            self.alarm_metric(ap, name, metric, &al.namespace, &al.dimensions);
        }
        if al.expression.is_none() && !al.metrics.is_empty() {
            self.err(&format!("{ap}/metrics"), "`metrics` are the inputs of an `expression`", "add `expression`, e.g. `100 * errors / requests`");
        }
        if let Some(expression) = &al.expression {
            if al.metrics.is_empty() {
                self.err(
                    &format!("{ap}/expression"),
                    "an expression needs the `metrics` it names",
                    "e.g. `metrics: {errors: {metric: HTTPCode_Target_5XX_Count, statistic: Sum, dimensions: {load_balancer: web}}}`",
                );
            }
            if expression.is_empty() || expression.len() > 1024 {
                self.err(&format!("{ap}/expression"), "an expression is 1 to 1024 characters", "");
            }
            for (id, m) in &al.metrics {
                let mp = format!("{ap}/metrics/{}", escape(id));
                let valid =
                    id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && id.len() <= 255;
                if !valid || id == EXPRESSION_QUERY {
                    self.err_key(&mp, format!("`{id}` cannot name a metric"), "a lowercase letter first, then letters, digits and `_` (and not `expression`)");
                }
                if !expression.contains(id.as_str()) {
                    self.warn_key(&mp, format!("the expression does not use metric `{id}`"), "remove it, or use it in `expression`");
                }
                if let Some(stat) = &m.statistic
                    && !is_statistic(stat)
                {
                    self.err(
                        &format!("{mp}/statistic"),
                        format!("`{stat}` is not a statistic"),
                        "Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99",
                    );
                }
                if let Some(period) = m.period
                    && !(period == 10 || period == 30 || (period >= 60 && period % 60 == 0))
                {
                    self.err(&format!("{mp}/period"), format!("a period of {period} s is not allowed"), "10, 30, or a multiple of 60 seconds");
                }
                self.alarm_metric(&mp, name, &m.metric, &m.namespace, &m.dimensions);
            }
        }
        match (al.anomaly_band, al.threshold, al.comparison.is_band()) {
            (Some(_), _, _) if al.expression.is_some() => {
                self.err(&format!("{ap}/anomaly_band"), "an anomaly band is drawn around `metric`, not an expression", "")
            }
            (Some(band), threshold, is_band) => {
                if !(band > 0.0 && band.is_finite()) {
                    self.err(&format!("{ap}/anomaly_band"), "the band is a positive number of standard deviations", "2 is a common start");
                }
                if threshold.is_some() {
                    self.err(&format!("{ap}/threshold"), "an anomaly alarm compares with its band, not a threshold", "remove `threshold`");
                }
                if !is_band {
                    self.err(&format!("{ap}/comparison"), "an anomaly alarm's comparison is `outside`, `above` or `below` the band", "");
                }
            }
            (None, None, _) => self.err_key(ap, format!("alarm `{name}` needs a `threshold`"), "or an `anomaly_band` around its metric"),
            (None, Some(_), true) => self.err(
                &format!("{ap}/comparison"),
                "`outside`, `above` and `below` compare with an `anomaly_band`",
                "use `>`, `>=`, `<` or `<=` with a threshold",
            ),
            (None, Some(_), false) => {}
        }
    }

    /// One metric an alarm watches: its dimensions, and a namespace that can be derived.
    fn alarm_metric(&mut self, ap: &str, name: &str, metric: &str, namespace: &Option<String>, d: &AlarmDimensions) {
        let dp = format!("{ap}/dimensions");
        if let Some(lb) = &d.load_balancer {
            self.reference(&format!("{dp}/load_balancer"), K::LoadBalancer, lb);
        }
        if let Some(tg) = &d.target_group {
            self.reference(&format!("{dp}/target_group"), K::TargetGroup, tg);
            if d.load_balancer.is_none() {
                self.err(
                    &format!("{dp}/target_group"),
                    "a `target_group` dimension needs `load_balancer` too",
                    "load balancer metrics per target group carry both dimensions",
                );
            }
        }
        if let Some(g) = &d.autoscaling_group {
            self.reference(&format!("{dp}/autoscaling_group"), K::AutoScalingGroup, g);
            if let Some(group) = self.s.autoscaling_groups.get(g)
                && GROUP_METRICS.contains(&metric)
                && namespace.as_deref().is_none_or(|n| n == "AWS/AutoScaling")
                && !group.collected_metrics().contains(&metric)
            {
                self.warn_key(
                    &format!("{ap}/metric"),
                    format!("group `{g}` does not collect {metric}, so alarm `{name}` never gets data"),
                    format!("add `metrics: all` (or `[{metric}]`) to autoscaling_groups.{g}"),
                );
            }
        }
        if namespace.is_none() && d.load_balancer.is_none() && d.autoscaling_group.is_none() {
            self.err_key(
                ap,
                format!("alarm `{name}` needs a `namespace` for {metric}"),
                "it cannot be derived without a load_balancer or autoscaling_group dimension",
            );
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
            let parts: Vec<&str> = out.value.splitn(3, '.').collect();
            let [kind, key, attribute] = parts[..] else {
                self.err(&vp, "an output is `KIND.KEY.ATTRIBUTE`", "e.g. `load_balancer.web.dns_name`");
                continue;
            };
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
                self.err(&vp, format!("a {} has no output `{attribute}`", kind.noun()), format!("one of: {}", attributes.join(", ")));
            }
        }
    }

    /// Lifecycle hooks, the warm pool, notifications and the maintenance policy of one group.
    fn group_extras(&mut self, gp: &str, name: &str, g: &AutoScalingGroup) {
        let region = self.s.region.clone();
        for (hook, h) in &g.lifecycle_hooks {
            let hp = format!("{gp}/lifecycle_hooks/{}", escape(hook));
            let physical = format!("{}-{hook}", self.s.stack);
            if physical.len() > 255 || !hook.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/')) {
                self.err_key(
                    &hp,
                    format!("hook `{hook}` cannot be named `{physical}`"),
                    "letters, digits, `-`, `_` and `/`; at most 255 characters with the stack's name",
                );
            }
            if let Some(target) = &h.notification_target {
                let service = target.split(':').nth(2).unwrap_or_default();
                let problem = if matches!(service, "sns" | "sqs") {
                    arn_problem(target, service, &[], region.as_deref(), false)
                } else {
                    Some("an SNS topic or SQS queue ARN".to_string())
                };
                if let Some(p) = problem {
                    self.err(&format!("{hp}/notification_target"), format!("not a notification target: {p}"), "");
                }
                if h.role.is_none() {
                    self.err_key(
                        &hp,
                        format!("hook `{hook}` has a `notification_target` but no `role`"),
                        "Auto Scaling publishes with a role that may send to the target",
                    );
                }
            }
            if let Some(role) = &h.role
                && let Some(p) = arn_problem(role, "iam", &["role/"], None, true)
            {
                self.err(&format!("{hp}/role"), format!("not a role ARN: {p}"), "");
            }
            if h.metadata.as_ref().is_some_and(|m| m.chars().count() > 1023) {
                self.err(&format!("{hp}/metadata"), "metadata is at most 1023 characters", "");
            }
        }
        if let Some(w) = &g.warm_pool
            && let Some(max) = w.max_prepared
            && max < w.min_size.unwrap_or(0)
        {
            self.err(&format!("{gp}/warm_pool/max_prepared"), format!("`max_prepared` {max} is below `min_size`"), "");
        }
        let mut topics: HashSet<&str> = HashSet::new();
        for (i, n) in g.notifications.iter().enumerate() {
            let np = format!("{gp}/notifications/{i}");
            if let Some(p) = arn_problem(&n.topic, "sns", &[], region.as_deref(), false) {
                self.err(&format!("{np}/topic"), format!("not an SNS topic ARN: {p}"), "");
            }
            if !topics.insert(n.topic.as_str()) {
                self.err(&format!("{np}/topic"), format!("group `{name}` already notifies this topic"), "list every event of a topic in one entry");
            }
        }
        if let Some(m) = &g.instance_maintenance
            && (m.max_healthy_percentage < m.min_healthy_percentage || m.max_healthy_percentage - m.min_healthy_percentage > 100)
        {
            self.err(&format!("{gp}/instance_maintenance"), "the healthy percentages are more than 100 apart", "AWS allows a spread of at most 100");
        }
    }

    /// Pass-through attributes: AWS keys (at most 256 characters of lowercase letters, digits,
    /// dots and underscores; values at most 1024), none of them one lbstack has a field for.
    fn other_attributes(&mut self, pointer: &str, other: &indexmap::IndexMap<String, Scalar>, typed: &[super::attributes::Attribute]) {
        for (key, value) in other {
            let kp = format!("{pointer}/{}", escape(key));
            if let Some(field) = typed.iter().find(|a| a.key == key).map(|a| a.field) {
                self.err_key(&kp, format!("`{key}` has a field of its own"), format!("set `{field}` instead"));
            } else if key.is_empty() || key.len() > 256 || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_') {
                self.err_key(&kp, "not an attribute key", "AWS attribute keys are lowercase words with dots and underscores, e.g. `routing.http2.enabled`");
            } else if value.to_string().len() > 1024 {
                self.err(&kp, "the value is longer than 1024 characters", "");
            }
        }
    }

    fn scaling_policies(&mut self) {
        let triggered: HashSet<&str> =
            self.s.alarms.values().flat_map(|a| a.actions.iter().chain(&a.ok_actions).chain(&a.insufficient_data_actions)).map(String::as_str).collect();
        for (name, pol) in &self.s.scaling_policies {
            let pp = p(&["scaling_policies", name]);
            let group_ok = self.reference(&format!("{pp}/group"), K::AutoScalingGroup, &pol.group);
            let group = self.s.autoscaling_groups.get(&pol.group);
            let kinds = [pol.target_tracking.is_some(), pol.step.is_some(), pol.simple.is_some(), pol.predictive.is_some()].iter().filter(|b| **b).count();
            if kinds != 1 {
                self.err_key(&pp, format!("scaling policy `{name}` needs exactly one of `target_tracking`, `step`, `simple`, `predictive`"), "");
                continue;
            }
            if let Some(tt) = &pol.target_tracking {
                let tp = format!("{pp}/target_tracking");
                match (&tt.metric, &tt.custom) {
                    (None, None) => {
                        self.err(&tp, "target tracking needs `metric` or `custom`", "metric: cpu, network_in, network_out or alb_requests_per_target")
                    }
                    (Some(_), Some(_)) => self.err(&tp, "target tracking takes `metric` or `custom`, not both", ""),
                    _ => {}
                }
                if tt.metric == Some(PredefinedMetric::Cpu) && tt.target > 100.0 {
                    self.err(&format!("{tp}/target"), format!("a CPU target of {}% cannot be reached", tt.target), "");
                }
                if tt.target <= 0.0 {
                    self.err(&format!("{tp}/target"), "the target value must be greater than 0", "");
                }
                self.metric_target_group(&tp, tt.metric, tt.target_group.as_deref(), group_ok.then_some(()).and(group), &pol.group);
            }
            if let Some(pr) = &pol.predictive {
                let tp = format!("{pp}/predictive");
                if pr.target <= 0.0 {
                    self.err(&format!("{tp}/target"), "the target value must be greater than 0", "");
                }
                if pr.max_capacity_buffer.is_some() && pr.max_capacity_behavior != MaxCapacityBehavior::IncreaseMaxCapacity {
                    self.err(&format!("{tp}/max_capacity_buffer"), "`max_capacity_buffer` needs `max_capacity_behavior: increase_max_capacity`", "");
                }
                self.metric_target_group(&tp, Some(pr.metric), pr.target_group.as_deref(), group_ok.then_some(()).and(group), &pol.group);
            }
            if let Some(st) = &pol.step {
                let sp = format!("{pp}/step");
                self.steps(&sp, st);
            }
            if let Some(si) = &pol.simple
                && si.adjust == 0
            {
                self.err(&format!("{pp}/simple/adjust"), "an adjustment of 0 changes nothing", "");
            }
            // A step policy's bounds are relative to its alarm's threshold: without one it means nothing.
            if pol.step.is_some() && !triggered.contains(name.as_str()) {
                self.err_key(
                    &pp,
                    format!("step scaling policy `{name}` has no alarm"),
                    format!("add an alarm with `actions: [{name}]`; its threshold is what the step bounds are relative to"),
                );
            }
            if pol.simple.is_some() && !triggered.contains(name.as_str()) {
                self.warn_key(
                    &pp,
                    format!("scaling policy `{name}` is not triggered by any alarm"),
                    "simple policies act only when an alarm names them in `actions`",
                );
            }
            if let (Some(si), Some(g)) = (&pol.simple, group) {
                let cooldown = si.cooldown.unwrap_or(300);
                let warmup = g.default_instance_warmup;
                if let Some(w) = warmup.filter(|w| cooldown < *w) {
                    let at = if si.cooldown.is_some() { format!("{pp}/simple/cooldown") } else { format!("{pp}/simple") };
                    self.warn_key(
                        &at,
                        format!("cooldown {cooldown} s is shorter than the {w} s instances of `{}` need to warm up", pol.group),
                        "the policy can fire again before the instances it added count, and overshoot; make the cooldown at least the warmup",
                    );
                }
            }
        }
    }

    fn metric_target_group(&mut self, tp: &str, metric: Option<PredefinedMetric>, tg: Option<&str>, group: Option<&AutoScalingGroup>, group_name: &str) {
        match (metric, tg) {
            (Some(PredefinedMetric::AlbRequestsPerTarget), None) => {
                self.err(tp, "`alb_requests_per_target` needs `target_group`", "the target group whose requests per target are tracked");
            }
            (Some(PredefinedMetric::AlbRequestsPerTarget), Some(tg)) => {
                let tgp = format!("{tp}/target_group");
                if self.reference(&tgp, K::TargetGroup, tg) {
                    if let Some(g) = group
                        && !g.target_groups.iter().any(|t| t == tg)
                    {
                        self.err(
                            &tgp,
                            format!("target group `{tg}` is not attached to auto-scaling group `{group_name}`"),
                            format!("add it to `autoscaling_groups.{group_name}.target_groups`"),
                        );
                    }
                    let users = self.users.clone();
                    let forwarded = users.get(tg).is_some_and(|u| u.iter().any(|(t, _)| *t == LbType::Application));
                    if !forwarded && self.s.target_groups.contains_key(tg) {
                        self.err(
                            &tgp,
                            format!("no application load balancer forwards to target group `{tg}`"),
                            "ALBRequestCountPerTarget is measured by an application load balancer",
                        );
                    }
                }
            }
            (Some(_), Some(_)) => self.err(&format!("{tp}/target_group"), "`target_group` applies to `alb_requests_per_target` only", ""),
            _ => {}
        }
    }

    fn steps(&mut self, sp: &str, st: &StepScaling) {
        if st.steps.is_empty() {
            self.err(sp, "step scaling needs at least one step", "");
            return;
        }
        let mut steps: Vec<(usize, &Step)> = st.steps.iter().enumerate().collect();
        for (i, s) in &steps {
            if s.lower.is_none() && s.upper.is_none() && st.steps.len() > 1 {
                self.err(&format!("{sp}/steps/{i}"), "only a single step may be unbounded on both sides", "");
            }
            if let (Some(lo), Some(hi)) = (s.lower, s.upper)
                && lo >= hi
            {
                self.err(&format!("{sp}/steps/{i}"), format!("lower bound {lo} is not below upper bound {hi}"), "");
            }
        }
        steps.sort_by(|a, b| a.1.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.1.lower.unwrap_or(f64::NEG_INFINITY)));
        for w in steps.windows(2) {
            let (_, a) = w[0];
            let (j, b) = w[1];
            match (a.upper, b.lower) {
                (Some(u), Some(l)) if u != l => {
                    let what = if u < l { "a gap" } else { "an overlap" };
                    self.err(
                        &format!("{sp}/steps/{j}"),
                        format!("{what} between steps: one ends at {u}, the next starts at {l}"),
                        "each step's lower bound must equal the previous step's upper bound",
                    );
                }
                (None, _) => self.err(&format!("{sp}/steps/{j}"), "a step follows one that has no upper bound", "only the last step may be open upward"),
                _ => {}
            }
        }
        if let Some(agg) = &st.aggregation
            && !["Average", "Minimum", "Maximum"].contains(&agg.as_str())
        {
            self.err(&format!("{sp}/aggregation"), format!("`{agg}` is not a metric aggregation"), "Average, Minimum or Maximum");
        }
    }

    fn scheduled_actions(&mut self) {
        for (name, a) in &self.s.scheduled_actions {
            let ap = p(&["scheduled_actions", name]);
            self.reference(&format!("{ap}/group"), K::AutoScalingGroup, &a.group);
            if a.min.is_none() && a.max.is_none() && a.desired.is_none() {
                self.err_key(&ap, format!("scheduled action `{name}` changes nothing"), "set at least one of `min`, `max`, `desired`");
            }
            if let (Some(min), Some(max)) = (a.min, a.max)
                && min > max
            {
                self.err(&format!("{ap}/min"), format!("min ({min}) is greater than max ({max})"), "");
            }
            if let Some(d) = a.desired
                && (a.min.is_some_and(|m| d < m) || a.max.is_some_and(|m| d > m))
            {
                self.err(&format!("{ap}/desired"), format!("desired ({d}) is outside the min–max this action sets"), "");
            }
            if a.recurrence.is_none() && a.start.is_none() {
                self.err_key(&ap, format!("scheduled action `{name}` never runs"), "give `recurrence` (cron) to repeat, or `start` to run once");
            }
            if let Some(cron) = &a.recurrence
                && let Err(e) = check_cron(cron)
            {
                self.err(
                    &format!("{ap}/recurrence"),
                    format!("`{cron}` is not a valid cron expression: {e}"),
                    "five fields: minute hour day-of-month month day-of-week, e.g. `0 8 * * 1-5`",
                );
            }
            if let Some(tz) = &a.time_zone {
                if a.recurrence.is_none() {
                    self.err(&format!("{ap}/time_zone"), "`time_zone` applies to a `recurrence`", "");
                } else if !is_time_zone(tz) {
                    self.err(
                        &format!("{ap}/time_zone"),
                        format!("`{tz}` is not an IANA time zone name"),
                        "for example `UTC`, `Europe/Paris`, `America/New_York`",
                    );
                }
            }
            for (field, v) in [("start", &a.start), ("end", &a.end)] {
                if let Some(t) = v
                    && !is_iso_time(t)
                {
                    self.err(&format!("{ap}/{field}"), format!("`{t}` is not an ISO 8601 time"), "for example `2026-12-01T08:00:00Z`");
                }
            }
            if let (Some(s), Some(e)) = (&a.start, &a.end)
                && is_iso_time(s)
                && is_iso_time(e)
                && e <= s
            {
                self.err(&format!("{ap}/end"), "`end` is not after `start`", "");
            }
        }
    }

    fn alarms(&mut self) {
        for (name, al) in &self.s.alarms {
            let ap = p(&["alarms", name]);
            self.tags(&format!("{ap}/tags"), &al.tags);
            let full = format!("{}-{name}", self.s.stack);
            if full.len() > 255 {
                self.err_key(&ap, format!("alarm name `{}` is longer than 255 characters", truncate(&full)), "");
            }
            if !(al.period == 10 || al.period == 30 || (al.period >= 60 && al.period % 60 == 0)) {
                self.err(&format!("{ap}/period"), format!("a period of {} s is not allowed", al.period), "10, 30, or a multiple of 60 seconds");
            }
            let window = al.period as u64 * al.evaluation_periods as u64;
            let limit = if al.period >= 3600 { 7 * 86_400 } else { 86_400 };
            if window > limit {
                self.err(&format!("{ap}/evaluation_periods"), format!("period × evaluation_periods is {window} s; the limit is {limit} s"), "");
            }
            if let Some(d) = al.datapoints_to_alarm
                && d > al.evaluation_periods
            {
                self.err(
                    &format!("{ap}/datapoints_to_alarm"),
                    format!("datapoints_to_alarm ({d}) exceeds evaluation_periods ({})", al.evaluation_periods),
                    "the alarm could never fire",
                );
            }
            if let Some(stat) = &al.statistic
                && !is_statistic(stat)
            {
                self.err(
                    &format!("{ap}/statistic"),
                    format!("`{stat}` is not a statistic"),
                    "Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99 or p99.9",
                );
            }
            self.alarm_watches(&ap, name, al);
            for (field, list) in [("actions", &al.actions), ("ok_actions", &al.ok_actions), ("insufficient_data_actions", &al.insufficient_data_actions)] {
                for (i, act) in list.iter().enumerate() {
                    let actp = format!("{ap}/{field}/{i}");
                    if act.starts_with("arn:") {
                        let region = self.s.region.as_deref();
                        let service = act.split(':').nth(2).unwrap_or_default();
                        let problem = match service {
                            "sns" => arn_problem(act, "sns", &[], region, false),
                            "autoscaling" => arn_problem(act, "autoscaling", &["scalingPolicy:"], region, false),
                            // `arn:aws:automate:REGION:ec2:stop` and friends carry no account.
                            "automate" => {
                                act.split(':').nth(4).is_none_or(|p| p != "ec2").then(|| "EC2 actions look like `arn:aws:automate:REGION:ec2:stop`".to_string())
                            }
                            "ssm" | "ssm-incidents" => None,
                            _ => Some("an alarm acts through an SNS topic, a scaling policy, an EC2 action or Systems Manager".into()),
                        };
                        if let Some(why) = problem {
                            self.err(
                                &actp,
                                format!("`{}` is not an alarm action ARN: {why}", truncate(act)),
                                "an SNS topic ARN, or a scaling policy of this stack by key",
                            );
                        }
                    } else if self.reference(&actp, K::ScalingPolicy, act)
                        && let Some(pol) = self.s.scaling_policies.get(act)
                        && (pol.target_tracking.is_some() || pol.predictive.is_some())
                    {
                        let kind = if pol.target_tracking.is_some() { "target tracking" } else { "predictive" };
                        self.err(
                            &actp,
                            format!("`{act}` is a {kind} policy, which alarms cannot trigger"),
                            "target tracking creates and manages its own alarms; alarms trigger step and simple policies",
                        );
                    }
                }
            }
        }
    }

    fn records(&mut self) {
        for (name, r) in &self.s.records {
            let rp = p(&["records", name]);
            self.reference(&format!("{rp}/target"), K::LoadBalancer, &r.target);
            let rname = r.name.trim_end_matches('.').to_ascii_lowercase();
            let zone = r.zone.trim_end_matches('.').to_ascii_lowercase();
            if !is_domain(&rname, true) {
                self.err(&format!("{rp}/name"), format!("`{}` is not a DNS name", r.name), "");
            }
            let zone_is_id = r.zone.starts_with('Z') && !r.zone.contains('.');
            if !zone_is_id {
                if rname != zone && !rname.ends_with(&format!(".{zone}")) {
                    self.err(&format!("{rp}/name"), format!("`{}` is not inside zone `{}`", r.name, r.zone), format!("use a name ending in `.{zone}`"));
                }
                if rname == zone && r.kind == RecordType::Cname {
                    self.err(&format!("{rp}/type"), "a CNAME cannot sit at the zone apex", "use `type: A` (an alias to the load balancer)");
                }
            }
            if r.kind != RecordType::Cname && r.ttl.is_some() {
                self.err(&format!("{rp}/ttl"), "alias records take their TTL from the load balancer", "remove `ttl`, or use `type: CNAME`");
            }
            if r.kind == RecordType::Cname && r.evaluate_target_health.is_some() {
                self.err(&format!("{rp}/evaluate_target_health"), "`evaluate_target_health` applies to alias (A/AAAA) records", "");
            }
            if r.kind == RecordType::Aaaa
                && let Some(lb) = self.s.load_balancers.get(&r.target)
                && lb.ip_address_type != Some(IpAddressType::Dualstack)
            {
                self.err(
                    &format!("{rp}/type"),
                    format!("an AAAA record needs a dualstack load balancer, and `{}` is IPv4 only", r.target),
                    format!("set `ip_address_type: dualstack` on `{}`", r.target),
                );
            }
            if r.set_identifier.is_some() && r.weight.is_none() {
                self.err(&format!("{rp}/set_identifier"), "`set_identifier` applies to weighted records", "add `weight`");
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
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) || (len.len() > 1 && len.starts_with('0')) {
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
            return Some(format!("it is in {arn_region}, the stack in {r}: AWS uses resources of the stack's region only"));
        }
    }
    if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("`{}` is not an account id (12 digits)", truncate(account)));
    }
    if resource.is_empty() || (!resources.is_empty() && !resources.iter().any(|r| resource.starts_with(r))) {
        return Some(format!("the resource must be {}", resources.iter().map(|r| format!("`{r}...`")).collect::<Vec<_>>().join(" or ")));
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
