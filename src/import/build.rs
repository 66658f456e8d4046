//! The plan's structs (and, for names, ids and what the structs do not hold, AWS's descriptions)
//! into the stack format (pure). Every resource keeps its AWS name (`name:`), so
//! `--adopt-all` finds it; values equal to AWS's defaults are left out; resources refer to each
//! other by key where both are imported, by id or ARN otherwise.

use super::Imported;
use super::read::{Found, FoundGroup, FoundLb, FoundListener, FoundTemplate, FoundTg, Request, Tags};
use crate::attrs::RefOrId;
use crate::attrs::ec2::Permission;
use crate::attrs::elbv2::{Authenticate as SignIn, HealthCheck, ListenerAction, MainAction, RuleAttrs};
use crate::defaults::{self, AUTH_DEFAULTS, AUTH_SESSION_TIMEOUT, attributes};
use crate::stack_format::model::{PredefinedMetric, Protocol, TargetType};
use aws_sdk_autoscaling::types::ScalingPolicy;
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::SecurityGroup;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Keys given so far, by section, and the key of each AWS id (ARN, group id, name).
#[derive(Default)]
struct Keys {
    taken: BTreeMap<&'static str, BTreeSet<String>>,
    by_id: BTreeMap<String, String>,
}

impl Keys {
    /// A key for `name` in `section`: lowercase letters, digits and hyphens, unique in the section.
    fn give(&mut self, section: &'static str, id: &str, name: &str) -> String {
        let mut base = String::new();
        for c in name.chars() {
            let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' };
            if !(c == '-' && (base.is_empty() || base.ends_with('-'))) {
                base.push(c);
            }
        }
        let mut base: String =
            base.trim_end_matches('-').chars().take(crate::stack_format::validate::MAX_KEY - 4).collect();
        base = base.trim_end_matches('-').to_string();
        if base.is_empty() {
            base = section.trim_end_matches('s').replace('_', "-");
        }
        let taken = self.taken.entry(section).or_default();
        let mut key = base.clone();
        let mut n = 2;
        while taken.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(key.clone());
        self.by_id.insert(id.to_string(), key.clone());
        key
    }

    fn of(&self, id: &str) -> Option<&String> {
        self.by_id.get(id)
    }

    /// The key of an imported resource, or the id itself (an existing resource used as is).
    fn or_id(&self, id: &str) -> String {
        self.of(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

struct Builder<'a> {
    found: &'a Found,
    keys: Keys,
    notes: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    subnet_groups: Map<String, Value>,
}

pub(super) fn stack(request: &Request, found: &Found) -> anyhow::Result<Imported> {
    let mut b =
        Builder { found, keys: Keys::default(), notes: Vec::new(), files: Vec::new(), subnet_groups: Map::new() };
    // Keys first, so every reference below resolves whatever the order.
    for sg in &found.security_groups {
        b.keys.give("security_groups", sg.group_id().unwrap_or_default(), sg.group_name().unwrap_or_default());
    }
    for t in &found.target_groups {
        b.keys.give("target_groups", &t.arn, &t.name);
    }
    for l in &found.load_balancers {
        b.keys.give(
            "load_balancers",
            l.lb.load_balancer_arn().unwrap_or_default(),
            l.lb.load_balancer_name().unwrap_or_default(),
        );
    }
    for t in &found.templates {
        b.keys.give("launch_templates", &t.id, &t.name);
    }
    for g in &found.groups {
        let name = g.group.auto_scaling_group_name().unwrap_or_default();
        b.keys.give("autoscaling_groups", name, name);
        for p in &g.policies {
            b.keys.give("scaling_policies", p.policy_arn().unwrap_or_default(), p.policy_name().unwrap_or_default());
        }
    }
    for (a, _) in &found.alarms {
        b.keys.give("alarms", a.alarm_arn().unwrap_or_default(), a.alarm_name().unwrap_or_default());
    }
    for t in &found.topics {
        b.keys.give("topics", &t.arn, t.arn.rsplit(':').next().unwrap_or_default());
    }
    // A web ACL is written out only when the stack format holds every rule of it; otherwise the
    // load balancer keeps it by ARN.
    let web_acls: Vec<&(aws_sdk_wafv2::types::WebAcl, Tags)> =
        found.web_acls.iter().filter(|(acl, _)| b.waf_expressible(acl)).collect();
    for (acl, _) in &web_acls {
        b.keys.give("web_acls", acl.arn(), acl.name());
        for r in acl.rules() {
            if let Some(set) = r.statement().and_then(|s| s.ip_set_reference_statement())
                && b.keys.of(set.arn()).is_none()
            {
                let name = found.ip_sets.iter().find(|(s, _)| s.arn() == set.arn()).map_or("ip-set", |(s, _)| s.name());
                b.keys.give("ip_sets", set.arn(), name);
            }
        }
    }
    let by_arn: Vec<String> = found
        .web_acls
        .iter()
        .filter(|(acl, _)| !b.waf_expressible(acl))
        .map(|(acl, _)| {
            format!(
                "web ACL `{}` has rules the stack format does not hold; the load balancer uses it by ARN",
                acl.name()
            )
        })
        .collect();
    b.notes.extend(by_arn);

    let vpcs: BTreeSet<&str> = found
        .load_balancers
        .iter()
        .filter_map(|l| l.lb.vpc_id())
        .chain(found.target_groups.iter().filter_map(|t| t.attrs.vpc.as_deref()))
        .chain(found.security_groups.iter().filter_map(|s| s.vpc_id()))
        .collect();
    if vpcs.len() > 1 {
        anyhow::bail!(
            "what was asked for spans {} VPCs ({}): a stack lives in one VPC, so import each VPC's part separately",
            vpcs.len(),
            vpcs.into_iter().collect::<Vec<_>>().join(", ")
        );
    }

    let mut root = Map::new();
    root.insert("version".into(), json!(1));
    root.insert("stack".into(), json!(request.stack));
    let security_groups: Map<String, Value> =
        found.security_groups.iter().map(|sg| (b.key(sg.group_id()), b.security_group(sg))).collect();
    let target_groups: Map<String, Value> =
        found.target_groups.iter().map(|t| (b.key(Some(&t.arn)), b.target_group(t))).collect();
    let load_balancers: Map<String, Value> =
        found.load_balancers.iter().map(|l| (b.key(l.lb.load_balancer_arn()), b.load_balancer(l))).collect();
    let launch_templates: Map<String, Value> =
        found.templates.iter().map(|t| (b.key(Some(&t.id)), b.launch_template(t))).collect();
    let mut groups = Map::new();
    let mut policies = Map::new();
    let mut schedules = Map::new();
    for g in &found.groups {
        let key = b.key(g.group.auto_scaling_group_name());
        groups.insert(key.clone(), b.group(g));
        for p in &g.policies {
            if let Some(v) = b.policy(&key, p) {
                policies.insert(b.key(p.policy_arn()), v);
            }
        }
        for s in &g.schedules {
            let name = s.scheduled_action_name().unwrap_or_default();
            let skey = b.keys.give("scheduled_actions", &format!("schedule:{key}:{name}"), name);
            schedules.insert(skey, b.schedule(&key, s));
        }
    }
    let alarms: Map<String, Value> =
        found.alarms.iter().filter_map(|(a, tags)| Some((b.key(a.alarm_arn()), b.alarm(a, tags)?))).collect();
    let topics: Map<String, Value> = found.topics.iter().map(|t| (b.key(Some(t.arn.as_str())), b.topic(t))).collect();
    let ip_sets: Map<String, Value> = found
        .ip_sets
        .iter()
        // IP sets carry only the stack's tags in the stack format; others stay as they are.
        .filter_map(|(set, _)| {
            let key = b.keys.of(set.arn())?.clone();
            let a = crate::live::wafv2::ip_set_attrs(set, Default::default());
            let mut m = Map::new();
            m.insert("name".into(), Value::from(set.name()));
            m.insert("addresses".into(), json!(a.addresses));
            if !a.description.is_empty() {
                m.insert("description".into(), Value::from(a.description));
            }
            Some((key, Value::Object(m)))
        })
        .collect();
    let web_acls: Map<String, Value> =
        web_acls.iter().map(|(acl, tags)| (b.keys.or_id(acl.arn()), b.web_acl(acl, tags))).collect();
    let mut records = Map::new();
    for (zone, r) in &found.records {
        let label = r
            .name()
            .trim_end_matches('.')
            .strip_suffix(zone.trim_end_matches('.'))
            .map(|l| l.trim_end_matches('.'))
            .filter(|l| !l.is_empty())
            .unwrap_or("apex");
        let key = b.keys.give(
            "records",
            &format!("{zone}|{}|{}|{}", r.name(), r.r#type().as_str(), r.set_identifier().unwrap_or_default()),
            label,
        );
        if let Some(v) = b.record(zone, r) {
            records.insert(key, v);
        }
    }

    let mut network = Map::new();
    if let Some(vpc) = vpcs.first() {
        network.insert("vpc".into(), json!(vpc));
    }
    if !b.subnet_groups.is_empty() {
        network.insert("subnet_groups".into(), Value::Object(std::mem::take(&mut b.subnet_groups)));
    }
    let mut counts = Vec::new();
    if !network.is_empty() {
        root.insert("network".into(), Value::Object(network));
    }
    for (section, map) in [
        ("security_groups", security_groups),
        ("ip_sets", ip_sets),
        ("web_acls", web_acls),
        ("target_groups", target_groups),
        ("load_balancers", load_balancers),
        ("launch_templates", launch_templates),
        ("autoscaling_groups", groups),
        ("scaling_policies", policies),
        ("scheduled_actions", schedules),
        ("alarms", alarms),
        ("topics", topics),
        ("records", records),
    ] {
        if !map.is_empty() {
            counts.push((section.to_string(), map.len()));
            root.insert(section.into(), Value::Object(map));
        }
    }
    // What was built must be a stack: a mistake here is lbstack's, said before the file is written.
    serde_json::from_value::<crate::stack_format::model::Stack>(Value::Object(root.clone()))
        .map_err(|e| anyhow::anyhow!("import built a stack lbstack cannot read ({e}); please report it"))?;
    Ok(Imported { yaml: super::emit::yaml(&root), files: b.files, notes: b.notes, counts })
}

/// Tags a stack may declare: not AWS's own (`aws:`) nor lbstack's.
fn user_tags(tags: &Tags) -> Value {
    Value::Object(
        tags.iter()
            .filter(|(k, _)| !k.starts_with("aws:") && !k.starts_with(crate::ownership::OWN_TAG_PREFIX))
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// Inserts `value` under `key` unless it is null, an empty list or an empty map.
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        m.insert(key.into(), value);
    }
}

/// One value alone, several as a list (the stack format's "one or many").
fn one_or_many(values: &[String]) -> Value {
    match values {
        [one] => Value::from(one.as_str()),
        many => Value::from(many.to_vec()),
    }
}

/// An attribute's text as the stack writes it: a flag, a number, or a word.
fn typed(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
    }
}

impl Builder<'_> {
    fn key(&self, id: Option<&str>) -> String {
        self.keys.or_id(id.unwrap_or_default())
    }

    /// A subnet group holding exactly these subnets (one per distinct set), named after its first user.
    fn subnet_group(&mut self, user: &str, subnets: Vec<String>) -> String {
        let mut subnets = subnets;
        subnets.sort();
        subnets.dedup();
        let ids = Value::from(subnets);
        if let Some((name, _)) = self.subnet_groups.iter().find(|(_, g)| g["ids"] == ids) {
            return name.clone();
        }
        let mut name = user.to_string();
        let mut n = 2;
        while self.subnet_groups.contains_key(&name) {
            name = format!("{user}-{n}");
            n += 1;
        }
        self.subnet_groups.insert(name.clone(), json!({ "ids": ids }));
        name
    }

    // -------------------------------------------------------------- Route 53

    /// A record pointing at an imported load balancer, as the stack writes it.
    fn record(&self, zone: &str, r: &aws_sdk_route53::types::ResourceRecordSet) -> Option<Value> {
        // As the plan reads it: the target a reference when it is one of the imported load balancers.
        let lb_dns: BTreeMap<String, String> = self
            .found
            .load_balancers
            .iter()
            .filter_map(|l| {
                let key = self.keys.of(l.lb.load_balancer_arn()?)?;
                let address = crate::plan::Address::new(crate::plan::Kind::LoadBalancer, key);
                Some((super::read::dns_key(l.lb.dns_name()?), address.to_string()))
            })
            .collect();
        let a = crate::live::route53::record_attrs(zone.trim_end_matches('.'), r, &lb_dns, false);
        let RefOrId::Ref(lb) = &a.target else { return None };
        let mut m = Map::new();
        m.insert("zone".into(), Value::from(a.zone.as_str()));
        m.insert("name".into(), Value::from(a.name.trim_end_matches('.')));
        if a.r#type != "CNAME" {
            m.insert("type".into(), Value::from(a.r#type.as_str()));
        }
        m.insert("target".into(), Value::from(lb.0.key.as_str()));
        put(&mut m, "ttl", json!(a.ttl.filter(|t| a.r#type == "CNAME" && *t != i64::from(defaults::CNAME_TTL))));
        put(&mut m, "weight", json!(a.weight));
        put(&mut m, "set_identifier", json!(a.set_identifier));
        if a.evaluate_target_health == Some(false) {
            m.insert("evaluate_target_health".into(), Value::from(false));
        }
        Some(Value::Object(m))
    }

    // -------------------------------------------------------------- WAF

    /// Whether every rule of the ACL is one the stack format holds (a managed group, a rate
    /// limit, an IP set or a country match, without scope-down statements), and every IP set
    /// it names was read.
    fn waf_expressible(&self, acl: &aws_sdk_wafv2::types::WebAcl) -> bool {
        acl.rules().iter().all(|r| {
            let Some(st) = r.statement() else { return false };
            if let Some(m) = st.managed_rule_group_statement() {
                return m.scope_down_statement().is_none()
                    && m.rule_action_overrides().is_empty()
                    && m.managed_rule_group_configs().is_empty();
            }
            if let Some(rl) = st.rate_based_statement() {
                return rl.scope_down_statement().is_none()
                    && matches!(rl.aggregate_key_type().as_str(), "IP" | "FORWARDED_IP");
            }
            if let Some(set) = st.ip_set_reference_statement() {
                let read = self.found.ip_sets.iter().find(|(s, _)| s.arn() == set.arn());
                return set.ip_set_forwarded_ip_config().is_none()
                    && read
                        .is_some_and(|(s, _)| !s.addresses().is_empty() || s.ip_address_version().as_str() == "IPV4");
            }
            st.geo_match_statement().is_some_and(|g| g.forwarded_ip_config().is_none())
        })
    }

    fn web_acl(&self, acl: &aws_sdk_wafv2::types::WebAcl, tags: &Tags) -> Value {
        use crate::attrs::wafv2::Statement;
        // Tags are written from `tags` (without lbstack's), not from the struct.
        let a = crate::live::wafv2::web_acl_attrs(acl, Default::default(), &BTreeMap::new());
        let mut m = Map::new();
        m.insert("name".into(), Value::from(acl.name()));
        m.insert("default_action".into(), Value::from(a.default_action.as_str()));
        let rules = a.rules.iter().map(|r| {
            let mut x = Map::new();
            x.insert("name".into(), Value::from(r.name.as_str()));
            x.insert("priority".into(), Value::from(r.priority));
            if let Statement::Managed(group) = &r.statement {
                if r.override_action.as_deref() == Some("count") {
                    x.insert("override_action".into(), Value::from("count"));
                }
                let mut managed = Map::new();
                managed.insert("name".into(), Value::from(group.name.as_str()));
                if group.vendor != "AWS" {
                    managed.insert("vendor".into(), Value::from(group.vendor.as_str()));
                }
                put(&mut managed, "version", json!(group.version));
                put(&mut managed, "excluded_rules", json!(group.excluded_rules));
                x.insert("managed".into(), Value::Object(managed));
                return Value::Object(x);
            }
            if let Some(action) = r.action.as_deref().filter(|a| *a != "block") {
                x.insert("action".into(), Value::from(action));
            }
            match &r.statement {
                Statement::RateLimit(rl) => {
                    let mut limit = Map::new();
                    limit.insert("limit".into(), Value::from(rl.limit));
                    if rl.window != i64::from(defaults::WAF_RATE_WINDOW) {
                        limit.insert("window".into(), Value::from(rl.window));
                    }
                    if rl.aggregate == "FORWARDED_IP" {
                        limit.insert("aggregate_by".into(), Value::from("forwarded_ip"));
                    }
                    x.insert("rate_limit".into(), Value::Object(limit));
                }
                Statement::IpSet(set) => _ = x.insert("ip_set".into(), Value::from(self.keys.or_id(set.as_str()))),
                Statement::Geo(codes) => _ = x.insert("geo".into(), json!(codes)),
                // `waf_expressible` let only the statements above through.
                Statement::Managed(_) | Statement::Unsupported(_) => {}
            }
            Value::Object(x)
        });
        put(&mut m, "rules", Value::from(rules.collect::<Vec<_>>()));
        if !a.metrics {
            m.insert("metrics".into(), Value::from(false));
        }
        if !a.description.is_empty() {
            m.insert("description".into(), Value::from(a.description));
        }
        put(&mut m, "tags", user_tags(tags));
        Value::Object(m)
    }

    // -------------------------------------------------------------- security groups

    fn security_group(&self, sg: &SecurityGroup) -> Value {
        // As the plan reads them: one permission per source, other groups by id.
        let read = |perms| crate::live::ec2::permissions(perms, &BTreeMap::new());
        let (ingress, egress) = (read(sg.ip_permissions()), read(sg.ip_permissions_egress()));
        let mut m = Map::new();
        put(&mut m, "name", json!(sg.group_name()));
        put(&mut m, "description", json!(sg.description()));
        put(&mut m, "ingress", Value::from(self.sg_rules(&ingress)));
        let allow_all = Permission::new("all", 0, 65535, RefOrId::Id("cidr:0.0.0.0/0".into()), "");
        if egress != [allow_all] {
            // Written even when empty: `egress: []` is "no outbound traffic", unlike omitting it.
            m.insert("egress".into(), Value::from(self.sg_rules(&egress)));
        }
        put(&mut m, "tags", user_tags(&ec2_tags(sg.tags())));
        Value::Object(m)
    }

    /// Permissions as the stack's rules: one per protocol, ports and description, with every
    /// source of that combination.
    fn sg_rules(&self, permissions: &[Permission]) -> Vec<Value> {
        let mut rules: Vec<(String, Value, String, Map<String, Value>)> = Vec::new();
        for p in permissions.iter().filter(|p| matches!(p.protocol.as_str(), "all" | "tcp" | "udp" | "icmp")) {
            let ports = match (p.protocol.as_str(), p.from, p.to) {
                ("tcp" | "udp", from, to) if from == to => json!(from),
                ("tcp" | "udp", from, to) if !(from == 0 && to == 65535) => json!(format!("{from}-{to}")),
                _ => Value::Null,
            };
            let (field, source) = match &p.source {
                RefOrId::Id(s) => match (s.strip_prefix("cidr:"), s.strip_prefix("cidr6:")) {
                    (Some(cidr), _) => ("cidrs", cidr.to_string()),
                    (_, Some(cidr)) => ("ipv6_cidrs", cidr.to_string()),
                    _ => ("groups", self.keys.or_id(s)),
                },
                RefOrId::Ref(r) => ("groups", r.0.key.clone()),
            };
            let at = rules.iter().position(|(protocol, ports_, d, _)| {
                *protocol == p.protocol && *ports_ == ports && *d == p.description
            });
            let at = at.unwrap_or_else(|| {
                rules.push((p.protocol.clone(), ports.clone(), p.description.clone(), Map::new()));
                rules.len() - 1
            });
            if let Value::Array(items) = rules[at].3.entry(field).or_insert_with(|| Value::Array(Vec::new())) {
                items.push(Value::from(source));
            }
        }
        rules
            .into_iter()
            .map(|(protocol, ports, description, sources)| {
                let mut m = Map::new();
                if protocol != "tcp" {
                    m.insert("protocol".into(), Value::from(protocol));
                }
                put(&mut m, "ports", ports);
                m.extend(sources);
                if !description.is_empty() {
                    m.insert("description".into(), Value::from(description));
                }
                Value::Object(m)
            })
            .collect()
    }

    // -------------------------------------------------------------- target groups

    fn target_group(&self, t: &FoundTg) -> Value {
        let a = &t.attrs;
        let mut m = Map::new();
        put(&mut m, "name", json!(t.name));
        if a.target_type != "lambda" {
            put(&mut m, "protocol", json!(a.protocol));
            put(&mut m, "port", json!(a.port));
        }
        if a.target_type != "instance" {
            m.insert("target_type".into(), Value::from(a.target_type.as_str()));
        }
        if let Some(v) = a.protocol_version.as_deref().filter(|v| *v != "HTTP1") {
            m.insert("protocol_version".into(), Value::from(v));
        }
        put(&mut m, "health_check", health_check(&a.health_check, a.protocol.as_deref(), &a.target_type));
        self.tg_attributes(&mut m, &a.attributes);
        if let Some(targets) = &a.targets {
            let list: Vec<Value> = targets
                .iter()
                .map(|x| {
                    let mut t = Map::new();
                    t.insert("id".into(), json!(x.id));
                    if a.port != x.port {
                        put(&mut t, "port", json!(x.port));
                    }
                    put(&mut t, "availability_zone", json!(x.availability_zone));
                    Value::Object(t)
                })
                .collect();
            m.insert("targets".into(), Value::from(list));
        }
        put(&mut m, "tags", user_tags(&a.tags.clone().into_iter().collect()));
        Value::Object(m)
    }

    fn tg_attributes(&self, m: &mut Map<String, Value>, a: &crate::attrs::AttributeMap) {
        let changed = |key: &str| {
            a.get(key)
                .filter(|v| Some(v.as_str()) != attributes::default_of(attributes::TARGET_GROUP, key))
                .map(String::as_str)
        };
        if let Some(v) = changed("deregistration_delay.timeout_seconds") {
            m.insert("deregistration_delay".into(), typed(v));
        }
        if a.get("stickiness.enabled").map(String::as_str) == Some("true") {
            let kind = a.get("stickiness.type").map(String::as_str).unwrap_or("lb_cookie");
            let mut st = Map::new();
            st.insert("type".into(), Value::from(kind));
            let duration = match kind {
                "lb_cookie" => changed("stickiness.lb_cookie.duration_seconds"),
                "app_cookie" => changed("stickiness.app_cookie.duration_seconds"),
                _ => None,
            };
            put(&mut st, "duration", duration.map_or(Value::Null, typed));
            if kind == "app_cookie" {
                put(&mut st, "cookie_name", json!(a.get("stickiness.app_cookie.cookie_name")));
            }
            m.insert("stickiness".into(), Value::Object(st));
        }
        for (key, field) in [
            ("slow_start.duration_seconds", "slow_start"),
            ("load_balancing.algorithm.type", "algorithm"),
            ("proxy_protocol_v2.enabled", "proxy_protocol_v2"),
            ("deregistration_delay.connection_termination.enabled", "connection_termination"),
            ("load_balancing.cross_zone.enabled", "cross_zone"),
        ] {
            if let Some(v) = changed(key) {
                m.insert(field.into(), typed(v));
            }
        }
        let mut state = Map::new();
        for (key, field) in [
            ("target_health_state.unhealthy.connection_termination.enabled", "connection_termination"),
            ("target_health_state.unhealthy.draining_interval_seconds", "draining_interval"),
        ] {
            if let Some(v) = changed(key) {
                state.insert(field.into(), typed(v));
            }
        }
        put(m, "target_health_state", Value::Object(state));
        for name in ["dns_failover", "unhealthy_state_routing"] {
            let prefix = format!("target_group_health.{name}.minimum_healthy_targets");
            let mut h = Map::new();
            if let Some(v) = changed(&format!("{prefix}.count")) {
                h.insert("count".into(), typed(v));
            }
            if let Some(v) = changed(&format!("{prefix}.percentage")) {
                h.insert("percent".into(), typed(v));
            }
            put(m, name, Value::Object(h));
        }
    }

    // -------------------------------------------------------------- load balancers

    fn load_balancer(&mut self, l: &FoundLb) -> Value {
        let lb = &l.lb;
        let key = self.key(lb.load_balancer_arn());
        // As the plan reads it: AWS's defaults filled in, sets sorted, groups by id.
        let attributes = l.attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let tags = l.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let a = crate::live::elbv2::load_balancer_attrs(lb, attributes, tags);
        let kind = a.r#type.as_str();
        let mut m = Map::new();
        put(&mut m, "name", json!(lb.load_balancer_name()));
        if kind != "application" {
            m.insert("type".into(), Value::from(kind));
        }
        if a.scheme.as_deref() == Some("internal") {
            m.insert("scheme".into(), Value::from("internal"));
        }
        let group = self.subnet_group(&key, a.subnets.clone());
        m.insert("subnets".into(), Value::from(group));
        if let Some(groups) = &a.security_groups {
            let keys = groups.iter().map(|g| self.keys.or_id(g.as_str()));
            put(&mut m, "security_groups", Value::from(keys.collect::<Vec<_>>()));
        }
        put(&mut m, "web_acl", json!(l.web_acl.as_ref().map(|acl| self.keys.or_id(acl.arn()))));
        // Elastic IPs are chosen, so written; addresses AWS assigned are left to it.
        let eips: Map<String, Value> = a
            .addresses
            .iter()
            .flatten()
            .filter_map(|(subnet, at)| Some((subnet.clone(), json!({ "elastic_ip": at.elastic_ip.as_ref()? }))))
            .collect();
        put(&mut m, "addresses", Value::Object(eips));
        match a.ip_address_type.as_str() {
            t @ ("dualstack" | "dualstack-without-public-ipv4") => {
                m.insert("ip_address_type".into(), Value::from(t));
            }
            "ipv4" => {}
            other => self.notes.push(format!(
                "load balancer `{key}`: IP address type `{other}` has no field in the stack format; written as ipv4"
            )),
        }
        put(&mut m, "attributes", lb_attributes(kind, &a.attributes));
        let mut listeners = Map::new();
        let mut taken = BTreeSet::new();
        for fl in &l.listeners {
            let (lkey, value) = self.listener(&key, kind, fl);
            let mut unique = lkey.clone();
            let mut n = 2;
            while !taken.insert(unique.clone()) {
                unique = format!("{lkey}-{n}");
                n += 1;
            }
            listeners.insert(unique, value);
        }
        m.insert("listeners".into(), Value::Object(listeners));
        put(&mut m, "tags", user_tags(&l.tags));
        Value::Object(m)
    }

    fn listener(&mut self, lb_key: &str, lb_kind: &str, fl: &FoundListener) -> (String, Value) {
        let l = &fl.attrs;
        let protocol = l.protocol.clone().unwrap_or_default();
        let key = match (lb_kind, protocol.as_str(), l.port) {
            ("gateway", _, _) => "geneve".to_string(),
            (_, "HTTP", Some(80)) => "http".into(),
            (_, "HTTPS", Some(443)) => "https".into(),
            (_, p, Some(port)) => format!("{}-{port}", p.to_ascii_lowercase().replace('_', "-")),
            (_, p, None) => p.to_ascii_lowercase(),
        };
        let mut m = Map::new();
        if lb_kind != "gateway" {
            put(&mut m, "port", json!(l.port));
            put(&mut m, "protocol", json!(protocol));
        }
        // Certificates by ARN (certificates are not imported), the default one first.
        let certificates: Vec<&str> =
            l.certificate.iter().chain(l.extra_certificates.iter().flatten()).map(RefOrId::as_str).collect();
        put(&mut m, "certificates", json!(certificates));
        if let Some(policy) = l.ssl_policy.as_deref().filter(|p| *p != defaults::SSL_POLICY) {
            m.insert("ssl_policy".into(), Value::from(policy));
        }
        // Mutual TLS, with the trust store by ARN (trust stores are not imported).
        if let Some(mtls) = l.mutual_authentication.as_ref().filter(|x| x.mode != "off") {
            let mut v = Map::new();
            v.insert("mode".into(), Value::from(mtls.mode.as_str()));
            put(&mut v, "trust_store", json!(mtls.trust_store.as_ref().map(RefOrId::as_str)));
            if mtls.ignore_expiry == Some(true) {
                v.insert("ignore_client_certificate_expiry".into(), Value::from(true));
            }
            m.insert("mutual_authentication".into(), Value::Object(v));
        }
        if let Some(alpn) = l.alpn_policy.as_deref().filter(|a| *a != "None") {
            m.insert("alpn_policy".into(), Value::from(alpn));
        }
        let idle_timeout = "tcp.idle_timeout.seconds";
        if let Some(v) = l
            .attributes
            .as_ref()
            .and_then(|a| a.get(idle_timeout))
            .filter(|v| Some(v.as_str()) != attributes::default_of(attributes::LISTENER, idle_timeout))
        {
            m.insert("tcp_idle_timeout".into(), typed(v));
        }
        let place = format!("load balancer `{lb_key}`, listener `{key}`");
        m.insert("default_action".into(), Value::Object(self.actions(&place, &l.default_action)));
        let rules: Vec<Value> = fl.rules.iter().map(|(r, left_out)| self.rule(&place, r, left_out)).collect();
        put(&mut m, "rules", Value::from(rules));
        (key, Value::Object(m))
    }

    fn rule(&mut self, place: &str, r: &RuleAttrs, left_out: &[String]) -> Value {
        for what in left_out {
            self.notes.push(format!("{place}: {what} is not in the stack format; left out"));
        }
        let mut m = Map::new();
        put(&mut m, "priority", json!(r.priority));
        let c = &r.conditions;
        for (field, values) in [
            ("path", &c.path),
            ("path_regex", &c.path_regex),
            ("host", &c.host),
            ("host_regex", &c.host_regex),
            ("method", &c.method),
            ("source_ip", &c.source_ip),
        ] {
            if let Some(values) = values {
                m.insert(field.into(), one_or_many(values));
            }
        }
        for (field, headers) in [("header", &c.header), ("header_regex", &c.header_regex)] {
            let headers = headers.iter().flatten().map(|(name, values)| (name.clone(), one_or_many(values)));
            put(&mut m, field, Value::Object(headers.collect()));
        }
        let query = c.query.iter().flatten().filter(|p| !p.key.is_empty());
        put(&mut m, "query", Value::Object(query.map(|p| (p.key.clone(), Value::from(p.value.as_str()))).collect()));
        m.extend(self.actions(place, &r.action));
        let mut rewrite = Map::new();
        for (part, rule) in r.rewrite.iter().flat_map(|x| [("host", &x.host), ("url", &x.url)]) {
            if let Some(rule) = rule {
                rewrite.insert(part.into(), json!({ "regex": rule.regex, "replace": rule.replace }));
            }
        }
        put(&mut m, "rewrite", Value::Object(rewrite));
        Value::Object(m)
    }

    /// A listener's or rule's actions as the stack's fields: an optional `authenticate` or
    /// `validate_jwt`, then one of `forward` (with `stickiness`), `redirect` or `fixed_response`.
    fn actions(&mut self, place: &str, a: &ListenerAction) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(sign_in) = &a.authenticate {
            m.insert("authenticate".into(), self.authenticate(place, sign_in));
        }
        if let Some(j) = &a.jwt {
            let claims = j.claims.iter().map(|(name, claim)| {
                let mut c = Map::new();
                if claim.format != defaults::JWT_CLAIM_FORMAT {
                    c.insert("format".into(), Value::from(claim.format.as_str()));
                }
                c.insert("values".into(), one_or_many(&claim.values));
                (name.clone(), Value::Object(c))
            });
            let mut v = Map::new();
            v.insert("issuer".into(), Value::from(j.issuer.as_str()));
            v.insert("jwks_endpoint".into(), Value::from(j.jwks_endpoint.as_str()));
            put(&mut v, "claims", Value::Object(claims.collect()));
            m.insert("validate_jwt".into(), Value::Object(v));
        }
        match &a.main {
            MainAction::Forward { target_groups, stickiness } => {
                let forward = match target_groups.as_slice() {
                    [] => Value::Null,
                    [one] => Value::from(self.keys.or_id(one.target_group.as_str())),
                    many => Value::Object(
                        many.iter()
                            .map(|t| (self.keys.or_id(t.target_group.as_str()), Value::from(t.weight)))
                            .collect(),
                    ),
                };
                put(&mut m, "forward", forward);
                put(&mut m, "stickiness", json!(stickiness));
            }
            MainAction::Redirect { protocol, port, host, path, query, status } => {
                let mut red = Map::new();
                let part = |v: &str, default: &str| (v != default).then(|| Value::from(v));
                put(&mut red, "protocol", json!(part(protocol, defaults::REDIRECT_PROTOCOL)));
                if port != defaults::REDIRECT_PORT {
                    red.insert(
                        "port".into(),
                        port.parse::<u32>().map_or_else(|_| Value::from(port.as_str()), Value::from),
                    );
                }
                put(&mut red, "host", json!(part(host, defaults::REDIRECT_HOST)));
                put(&mut red, "path", json!(part(path, defaults::REDIRECT_PATH)));
                put(&mut red, "query", json!(part(query, defaults::REDIRECT_QUERY)));
                if status == "HTTP_302" {
                    red.insert("status".into(), Value::from(302));
                }
                m.insert("redirect".into(), Value::Object(red));
            }
            MainAction::FixedResponse { status, content_type, body } => {
                let mut fr = Map::new();
                fr.insert("status".into(), typed(status));
                if content_type != defaults::FIXED_RESPONSE_CONTENT_TYPE {
                    fr.insert("content_type".into(), Value::from(content_type.as_str()));
                }
                if !body.is_empty() {
                    fr.insert("body".into(), Value::from(body.as_str()));
                }
                m.insert("fixed_response".into(), Value::Object(fr));
            }
            MainAction::Unsupported { r#type } if r#type.is_empty() => {}
            MainAction::Unsupported { r#type } => {
                self.notes.push(format!("{place}: action `{type}` is not in the stack format; left out"))
            }
        }
        m
    }

    fn authenticate(&mut self, place: &str, a: &SignIn) -> Value {
        let mut m = Map::new();
        if a.r#type == "authenticate-oidc" {
            let variable = format!(
                "{}_CLIENT_SECRET",
                place.split('`').nth(1).unwrap_or("OIDC").to_ascii_uppercase().replace('-', "_")
            );
            self.notes.push(format!(
                "{place}: AWS never returns an OIDC client secret; set `{variable}` when planning and applying (or point `client_secret` at a file)"
            ));
            m.insert(
                "oidc".into(),
                json!({
                    "issuer": a.issuer,
                    "authorization_endpoint": a.authorization_endpoint,
                    "token_endpoint": a.token_endpoint,
                    "user_info_endpoint": a.user_info_endpoint,
                    "client_id": a.client_id,
                    "client_secret": { "env": variable },
                }),
            );
        } else {
            m.insert(
                "cognito".into(),
                json!({ "user_pool": a.user_pool, "client_id": a.client_id, "domain": a.domain }),
            );
        }
        for (field, value) in
            [("on_unauthenticated", &a.on_unauthenticated), ("scope", &a.scope), ("session_cookie", &a.session_cookie)]
        {
            let default = AUTH_DEFAULTS.iter().find(|(f, _)| *f == field).map(|(_, d)| *d);
            if Some(value.as_str()) != default {
                m.insert(field.into(), Value::from(value.as_str()));
            }
        }
        if a.session_timeout != i64::from(AUTH_SESSION_TIMEOUT) {
            m.insert("session_timeout".into(), Value::from(a.session_timeout));
        }
        put(&mut m, "extra_params", json!(a.extra_params));
        Value::Object(m)
    }

    // -------------------------------------------------------------- launch templates

    fn launch_template(&mut self, t: &FoundTemplate) -> Value {
        let key = self.keys.or_id(&t.id);
        // As the plan reads it; the user data is written from its bytes, as they are.
        let tags = t.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let a = crate::live::autoscaling::template_attrs(&t.data, tags, &[]);
        let group_keys = |groups: &[RefOrId]| {
            let keys = groups.iter().map(|g| self.keys.or_id(g.as_str()));
            Value::from(keys.collect::<Vec<_>>())
        };
        let mut m = Map::new();
        m.insert("name".into(), Value::from(t.name.as_str()));
        put(&mut m, "image", json!(a.image));
        put(&mut m, "instance_type", json!(a.instance_type));
        put(&mut m, "security_groups", group_keys(&a.security_groups));
        put(&mut m, "instance_profile", json!(a.instance_profile));
        put(&mut m, "key_name", json!(a.key_name));
        if let Some(bytes) = t.data.user_data().and_then(|b| aws_smithy_types::base64::decode(b).ok()) {
            let path = format!("files/{key}-user-data.sh");
            m.insert("user_data".into(), Value::from(path.as_str()));
            self.files.push((path, bytes));
        }
        if a.imds != "required" {
            m.insert("imds".into(), Value::from("optional"));
        }
        if let Some(s) = &a.spot {
            let mut spot = Map::new();
            put(&mut spot, "max_price", json!(s.max_price));
            if s.interruption != "terminate" {
                spot.insert("interruption".into(), Value::from(s.interruption.as_str()));
            }
            m.insert("spot".into(), Value::Object(spot));
        }
        if a.monitoring {
            m.insert("monitoring".into(), Value::from(true));
        }
        let mut volumes = Map::new();
        for (device, v) in a.volumes.iter().flatten() {
            let mut x = Map::new();
            if v.no_device {
                x.insert("no_device".into(), Value::from(true));
            } else {
                put(&mut x, "size", json!(v.size));
                put(&mut x, "type", json!(v.r#type.as_deref().filter(|t| *t != "gp3")));
                if v.encrypted == Some(false) {
                    x.insert("encrypted".into(), Value::from(false));
                }
                put(&mut x, "iops", json!(v.iops));
                put(&mut x, "throughput", json!(v.throughput));
                put(&mut x, "snapshot", json!(v.snapshot));
                if v.delete_on_termination == Some(false) {
                    x.insert("delete_on_termination".into(), Value::from(false));
                }
            }
            volumes.insert(device.clone(), Value::Object(x));
        }
        put(&mut m, "volumes", Value::Object(volumes));
        let interfaces: Vec<Value> = a
            .network_interfaces
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, n)| {
                let mut v = Map::new();
                put(&mut v, "device_index", json!(Some(n.device_index).filter(|d| *d as usize != i)));
                put(&mut v, "network_card", json!(n.network_card));
                put(&mut v, "interface_type", json!(n.interface_type.as_deref().filter(|t| *t != "interface")));
                put(&mut v, "public_ip", json!(n.public_ip));
                put(&mut v, "security_groups", group_keys(&n.security_groups));
                let mut ct = Map::new();
                put(&mut ct, "tcp_established", json!(n.tcp_established_timeout));
                put(&mut ct, "udp", json!(n.udp_timeout));
                put(&mut ct, "udp_stream", json!(n.udp_stream_timeout));
                put(&mut v, "connection_tracking", Value::Object(ct));
                Value::Object(v)
            })
            .collect();
        put(&mut m, "network_interfaces", Value::from(interfaces));
        put(&mut m, "ebs_optimized", json!(a.ebs_optimized.filter(|e| *e)));
        put(&mut m, "cpu_credits", json!(a.cpu_credits));
        if let Some(cpu) = &a.cpu_options {
            let mut v = Map::new();
            put(&mut v, "core_count", json!(cpu.core_count));
            put(&mut v, "threads_per_core", json!(cpu.threads_per_core));
            put(&mut m, "cpu_options", Value::Object(v));
        }
        put(&mut m, "auto_recovery", json!(a.auto_recovery.as_deref().filter(|r| *r != "default")));
        if let Some(p) = &a.placement {
            let mut v = Map::new();
            put(&mut v, "group", json!(p.group));
            put(&mut v, "tenancy", json!(p.tenancy.as_deref().filter(|t| *t != "default")));
            put(&mut v, "partition", json!(p.partition));
            put(&mut m, "placement", Value::Object(v));
        }
        put(&mut m, "capacity_reservation", json!(a.capacity_reservation.as_deref().filter(|p| *p != "open")));
        put(&mut m, "imds_hop_limit", json!(a.imds_hop_limit));
        if a.imds_tags == Some(true) {
            m.insert("imds_tags".into(), Value::from(true));
        }
        let mut resource_tags = Map::new();
        for (kind, tags) in a.resource_tags.iter().flatten() {
            let field = match kind.as_str() {
                "instance" => "instance",
                "volume" => "volume",
                "network-interface" => "network_interface",
                "spot-instances-request" => "spot_instances_request",
                _ => continue,
            };
            put(&mut resource_tags, field, json!(tags));
        }
        put(&mut m, "resource_tags", Value::Object(resource_tags));
        if let Some(root) = &a.root_volume {
            let mut r = Map::new();
            put(&mut r, "size", json!(root.size));
            if let Some(kind) = root.r#type.as_deref().filter(|v| *v != "gp3") {
                r.insert("type".into(), Value::from(kind));
            }
            if !root.encrypted {
                r.insert("encrypted".into(), Value::from(false));
            }
            put(&mut r, "iops", json!(root.iops));
            put(&mut r, "throughput", json!(root.throughput));
            if r.contains_key("size") {
                m.insert("root_volume".into(), Value::Object(r));
            } else {
                self.notes.push(format!(
                    "launch template `{key}`: a root volume without a size is not in the stack format; left out"
                ));
            }
        }
        put(&mut m, "tags", user_tags(&t.tags));
        Value::Object(m)
    }

    // -------------------------------------------------------------- groups and scaling

    fn group(&mut self, fg: &FoundGroup) -> Value {
        let g = &fg.attrs;
        let name = fg.group.auto_scaling_group_name().unwrap_or_default();
        let key = self.keys.or_id(name);
        let mut m = Map::new();
        m.insert("name".into(), Value::from(name));
        m.insert("min".into(), Value::from(g.min));
        m.insert("max".into(), Value::from(g.max));
        if g.desired != Some(g.min) {
            put(&mut m, "desired", json!(g.desired));
        }
        if !g.subnets.is_empty() {
            let group = self.subnet_group(&key, g.subnets.clone());
            m.insert("subnets".into(), Value::from(group));
        }
        if let Some(template) = &g.launch_template.template {
            let template = self.keys.or_id(template.as_str());
            let version = match g.launch_template.version.as_str() {
                "$Latest" => Value::Null,
                defaults::TEMPLATE_VERSION => Value::from("default"),
                n => n.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(n)),
            };
            let reference =
                if version.is_null() { Value::from(template) } else { json!({ "name": template, "version": version }) };
            m.insert("launch_template".into(), reference);
        }
        if let Some(mixed) = &g.mixed_instances {
            let mut mi = Map::new();
            put(&mut mi, "types", json!(mixed.types));
            put(&mut mi, "weighted_capacity", json!(mixed.weighted_capacity));
            if let Some(r) = &mixed.requirements {
                let range = |(lo, hi): (Option<i64>, Option<i64>)| {
                    let mut m = Map::new();
                    put(&mut m, "min", json!(lo));
                    put(&mut m, "max", json!(hi));
                    Value::Object(m)
                };
                let mut req = Map::new();
                req.insert("vcpus".into(), range(r.vcpus));
                req.insert("memory_mib".into(), range(r.memory_mib));
                put(&mut req, "cpu_manufacturers", json!(r.cpu_manufacturers));
                if let Some(count) = r.accelerator_count {
                    req.insert("accelerator_count".into(), range(count));
                }
                put(&mut req, "accelerator_types", json!(r.accelerator_types));
                put(&mut req, "burstable", json!(r.burstable));
                put(&mut req, "allowed_types", json!(r.allowed_types));
                put(&mut req, "excluded_types", json!(r.excluded_types));
                mi.insert("requirements".into(), Value::Object(req));
            }
            if mixed.on_demand_base != 0 {
                mi.insert("on_demand_base".into(), Value::from(mixed.on_demand_base));
            }
            if mixed.on_demand_percentage != i64::from(defaults::ON_DEMAND_PERCENTAGE) {
                mi.insert("on_demand_percentage".into(), Value::from(mixed.on_demand_percentage));
            }
            // AWS's default strategy is lowest-price; the stack format's is price-capacity-optimized.
            mi.insert("spot_strategy".into(), Value::from(mixed.spot_strategy.as_str()));
            m.insert("mixed_instances".into(), Value::Object(mi));
        }
        put(&mut m, "desired_capacity_type", json!(g.desired_capacity_type.as_deref().filter(|t| *t != "units")));
        let target_groups: Vec<String> = g.target_groups.iter().map(|t| self.keys.or_id(t.as_str())).collect();
        put(&mut m, "target_groups", json!(target_groups));
        let elb = g.health_check_type.as_deref() == Some("ELB");
        let grace = g.health_check_grace_period.filter(|p| *p != i64::from(defaults::HEALTH_CHECK_GRACE_PERIOD));
        if elb || grace.is_some() {
            let mut hc = Map::new();
            if elb {
                hc.insert("type".into(), Value::from("elb"));
            }
            put(&mut hc, "grace_period", json!(grace));
            m.insert("health_check".into(), Value::Object(hc));
        }
        if !(g.termination_policies.is_empty() || g.termination_policies == ["Default"]) {
            m.insert("termination_policies".into(), json!(g.termination_policies));
        }
        if g.capacity_rebalance {
            m.insert("capacity_rebalance".into(), Value::from(true));
        }
        put(&mut m, "default_instance_warmup", json!(g.default_instance_warmup.filter(|w| *w >= 0)));
        if g.max_instance_lifetime != 0 {
            m.insert("max_instance_lifetime".into(), Value::from(g.max_instance_lifetime));
        }
        if g.metrics.len() == crate::stack_format::model::GROUP_METRICS.len() {
            m.insert("metrics".into(), Value::from("all"));
        } else {
            put(&mut m, "metrics", json!(g.metrics));
        }
        // Hooks keep their names (`name:`), keyed by a form of it the stack format takes.
        let mut hooks = Map::new();
        for h in &g.lifecycle_hooks {
            let Some(hook_name) = h.name.as_deref() else { continue };
            let mut hm = Map::new();
            hm.insert("name".into(), Value::from(hook_name));
            let terminating = h.transition.as_deref() == Some("autoscaling:EC2_INSTANCE_TERMINATING");
            hm.insert("transition".into(), Value::from(if terminating { "terminate" } else { "launch" }));
            if h.heartbeat != i64::from(defaults::HOOK_HEARTBEAT) {
                hm.insert("heartbeat".into(), Value::from(h.heartbeat));
            }
            if h.default_result == "CONTINUE" {
                hm.insert("default_result".into(), Value::from("continue"));
            }
            put(&mut hm, "notification_target", json!(h.notification_target));
            put(&mut hm, "role", json!(h.role));
            put(&mut hm, "metadata", json!(h.metadata));
            let key: String = hook_name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
                .collect();
            hooks.insert(key, Value::Object(hm));
        }
        put(&mut m, "lifecycle_hooks", Value::Object(hooks));
        if let Some(w) = &g.warm_pool {
            let mut wp = Map::new();
            if w.min_size != 0 {
                wp.insert("min_size".into(), Value::from(w.min_size));
            }
            if w.max_prepared >= 0 {
                wp.insert("max_prepared".into(), Value::from(w.max_prepared));
            }
            if w.state != defaults::WARM_POOL_STATE {
                wp.insert("state".into(), Value::from(w.state.to_ascii_lowercase()));
            }
            if w.reuse_on_scale_in {
                wp.insert("reuse_on_scale_in".into(), Value::from(true));
            }
            m.insert("warm_pool".into(), Value::Object(wp));
        }
        let notifications: Vec<Value> = g
            .notifications
            .iter()
            .map(|n| {
                let events: Vec<Value> = n
                    .events
                    .iter()
                    .filter_map(|kind| {
                        crate::stack_format::model::GroupEvent::ALL.iter().find(|e| e.aws_name() == kind)
                    })
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .collect();
                let topic = self.keys.or_id(n.topic.as_str());
                if events.len() == 4 { json!({ "topic": topic }) } else { json!({ "topic": topic, "events": events }) }
            })
            .collect();
        put(&mut m, "notifications", Value::from(notifications));
        if let Some(p) = &g.instance_maintenance {
            m.insert(
                "instance_maintenance".into(),
                json!({ "min_healthy_percentage": p.min_healthy_percentage, "max_healthy_percentage": p.max_healthy_percentage }),
            );
        }
        let reservations = &g.capacity_reservations;
        let preference = match reservations.preference.as_str() {
            "capacity-reservations-only" => Some("only"),
            "none" => Some("none"),
            "capacity-reservations-first" => Some("first"),
            _ => None,
        };
        if let Some(preference) = preference {
            let mut cr = Map::new();
            if preference != "first" {
                cr.insert("preference".into(), Value::from(preference));
            }
            put(&mut cr, "ids", json!(reservations.ids));
            put(&mut cr, "groups", json!(reservations.groups));
            m.insert("capacity_reservations".into(), Value::Object(cr));
        }
        put(&mut m, "suspended_processes", json!(g.suspended_processes));
        let tags: Tags = g.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        put(&mut m, "tags", user_tags(&tags));
        Value::Object(m)
    }

    fn policy(&mut self, group: &str, policy: &ScalingPolicy) -> Option<Value> {
        let key = self.key(policy.policy_arn());
        // As the plan reads it: AWS's defaults filled in, a target group by its label's tail.
        let address = crate::plan::Address::new(crate::plan::Kind::AutoScalingGroup, group);
        let p = crate::live::autoscaling::policy_attrs(policy, &address);
        let mut m = Map::new();
        m.insert("name".into(), json!(policy.policy_name()));
        m.insert("group".into(), Value::from(group));
        let adjustment = |t: &Option<String>| match t.as_deref() {
            Some("PercentChangeInCapacity") => Some("percent_change_in_capacity"),
            Some("ExactCapacity") => Some("exact_capacity"),
            _ => None,
        };
        let unsupported = |this: &mut Self, what: &str| {
            this.notes.push(format!("scaling policy `{key}`: {what} is not in the stack format; left out"));
            None
        };
        if let Some(tt) = &p.target_tracking {
            let mut t = Map::new();
            if let Some(metric) = &tt.metric {
                let Some(known) = PredefinedMetric::ALL.into_iter().find(|m| m.tracking_name() == metric) else {
                    return unsupported(self, &format!("metric `{metric}`"));
                };
                t.insert("metric".into(), Value::from(known.key()));
                if let Some(tg) = self.tail_target_group(tt.target_group.as_ref()) {
                    t.insert("target_group".into(), Value::from(tg));
                }
            } else if let Some(c) = tt.custom.as_ref().filter(|c| c.name.is_some() && c.namespace.is_some()) {
                t.insert("custom".into(), self.custom_metric(c, false));
            } else if let Some(math) = &tt.math {
                // Metric math: the queries with a metric are the inputs, by id; a group's name is
                // written as its key when the group is imported too.
                let metrics: Map<String, Value> =
                    math.metrics.iter().map(|(id, c)| (id.clone(), self.custom_metric(c, true))).collect();
                t.insert("expression".into(), Value::from(math.expression.as_str()));
                t.insert("metrics".into(), Value::Object(metrics));
            } else {
                return unsupported(self, "this target tracking metric");
            }
            t.insert("target".into(), json!(tt.target));
            if tt.disable_scale_in {
                t.insert("disable_scale_in".into(), Value::from(true));
            }
            put(&mut t, "warmup", json!(p.warmup.flatten()));
            m.insert("target_tracking".into(), Value::Object(t));
        } else if let Some(st) = &p.step {
            let mut t = Map::new();
            put(&mut t, "adjustment_type", json!(adjustment(&st.adjustment_type)));
            let steps: Vec<Value> = st
                .steps
                .iter()
                .map(|s| {
                    let mut x = Map::new();
                    put(&mut x, "lower", json!(s.lower));
                    put(&mut x, "upper", json!(s.upper));
                    x.insert("adjust".into(), json!(s.adjust));
                    Value::Object(x)
                })
                .collect();
            t.insert("steps".into(), Value::from(steps));
            put(&mut t, "aggregation", json!(Some(&st.aggregation).filter(|a| *a != defaults::STATISTIC)));
            put(&mut t, "min_adjustment_magnitude", json!(st.min_adjustment_magnitude));
            put(&mut t, "warmup", json!(p.warmup.flatten()));
            m.insert("step".into(), Value::Object(t));
        } else if let Some(pr) = &p.predictive {
            let mut t = Map::new();
            match (&pr.metric, &pr.scaling_metric, &pr.load_metric) {
                (Some(metric), _, _) => {
                    let Some(known) = PredefinedMetric::ALL.into_iter().find(|m| m.predictive_name() == metric) else {
                        return unsupported(self, &format!("metric `{metric}`"));
                    };
                    t.insert("metric".into(), Value::from(known.key()));
                    if let Some(tg) = self.tail_target_group(pr.target_group.as_ref()) {
                        t.insert("target_group".into(), Value::from(tg));
                    }
                }
                (None, Some(scaling), Some(load)) => {
                    t.insert("scaling_metric".into(), self.custom_metric(scaling, false));
                    t.insert("load_metric".into(), self.custom_metric(load, false));
                }
                _ => return unsupported(self, "this predictive policy's metrics"),
            }
            t.insert("target".into(), json!(pr.target));
            if pr.mode == "ForecastAndScale" {
                t.insert("mode".into(), Value::from("forecast_and_scale"));
            }
            let buffer = Some(pr.buffer_time).filter(|b| *b != i64::from(defaults::PREDICTIVE_BUFFER_TIME));
            put(&mut t, "buffer_time", json!(buffer));
            if pr.metric.is_some() {
                if pr.max_capacity_behavior == "IncreaseMaxCapacity" {
                    t.insert("max_capacity_behavior".into(), Value::from("increase_max_capacity"));
                }
                put(&mut t, "max_capacity_buffer", json!(pr.max_capacity_buffer));
            }
            m.insert("predictive".into(), Value::Object(t));
        } else if let Some(si) = &p.simple {
            let mut t = Map::new();
            put(&mut t, "adjustment_type", json!(adjustment(&si.adjustment_type)));
            t.insert("adjust".into(), json!(si.adjust));
            let cooldown = Some(si.cooldown).filter(|c| *c != i64::from(defaults::SCALING_COOLDOWN));
            put(&mut t, "cooldown", json!(cooldown));
            put(&mut t, "min_adjustment_magnitude", json!(si.min_adjustment_magnitude));
            m.insert("simple".into(), Value::Object(t));
        }
        if !p.enabled {
            m.insert("enabled".into(), Value::from(false));
        }
        Some(Value::Object(m))
    }

    /// A metric of a custom or math policy: its statistic when not `Average`, its dimensions by
    /// name (a group's name as its key when the group is imported too and `group_keys`).
    fn custom_metric(&self, c: &crate::attrs::autoscaling::CustomMetric, group_keys: bool) -> Value {
        let dims: Map<String, Value> = c
            .dimensions
            .iter()
            .map(|d| {
                let value = d.value.as_ref().map_or_else(String::new, |v| v.as_str().to_string());
                let name = d.name.clone().unwrap_or_default();
                let value = if group_keys && name == "AutoScalingGroupName" {
                    self.keys.of(&value).cloned().unwrap_or(value)
                } else {
                    value
                };
                (name, Value::from(value))
            })
            .collect();
        let mut one = Map::new();
        one.insert("namespace".into(), json!(c.namespace));
        one.insert("name".into(), json!(c.name));
        if let Some(s) = c.statistic.as_deref().filter(|s| *s != defaults::STATISTIC) {
            one.insert("statistic".into(), Value::from(s));
        }
        put(&mut one, "dimensions", Value::Object(dims));
        put(&mut one, "unit", json!(c.unit));
        Value::Object(one)
    }

    /// The target group a resource label names (the plan reads its tail, `targetgroup/<tg>/<id>`):
    /// its key when imported, else the tail.
    fn tail_target_group(&self, tail: Option<&RefOrId>) -> Option<String> {
        let Some(RefOrId::Id(tail)) = tail else { return None };
        let arn = self.found.target_groups.iter().map(|t| t.arn.as_str()).find(|a| a.ends_with(tail.as_str()));
        Some(arn.map_or_else(|| tail.clone(), |a| self.keys.or_id(a)))
    }

    fn schedule(&self, group: &str, action: &aws_sdk_autoscaling::types::ScheduledUpdateGroupAction) -> Value {
        let address = crate::plan::Address::new(crate::plan::Kind::AutoScalingGroup, group);
        let a = crate::live::autoscaling::schedule_attrs(action, &address);
        let mut m = Map::new();
        m.insert("name".into(), json!(action.scheduled_action_name()));
        m.insert("group".into(), Value::from(group));
        put(&mut m, "recurrence", json!(a.recurrence));
        put(&mut m, "time_zone", json!(a.time_zone));
        // For a recurring action AWS reports its next run as the start time: not the stack's.
        if a.recurrence.is_none() {
            put(&mut m, "start", json!(a.start));
        }
        put(&mut m, "end", json!(a.end));
        put(&mut m, "min", json!(a.min));
        put(&mut m, "max", json!(a.max));
        put(&mut m, "desired", json!(a.desired));
        Value::Object(m)
    }

    /// A topic with its subscriptions. An HTTP(S) endpoint may carry a token (a chat webhook):
    /// it is never written into the file, but read from an environment variable the note names.
    fn topic(&mut self, t: &super::read::FoundTopic) -> Value {
        let key = self.key(Some(t.arn.as_str()));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(t.name.as_str()));
        put(&mut m, "display_name", json!(Some(&t.attrs.display_name).filter(|d| !d.is_empty())));
        let mut subscriptions = Vec::new();
        for (i, s) in t.attrs.subscriptions.iter().enumerate() {
            let endpoint = if matches!(s.protocol.as_str(), "http" | "https") {
                let variable = format!("{}_ENDPOINT_{}", key.to_ascii_uppercase().replace(['-', '.'], "_"), i + 1);
                self.notes.push(format!(
                    "topic `{key}`: an {} subscription's URL is never written into the file; set `{variable}` when planning and applying",
                    s.protocol
                ));
                json!({ "env": variable })
            } else {
                Value::from(s.endpoint.as_str())
            };
            subscriptions.push(json!({ "protocol": s.protocol, "endpoint": endpoint }));
        }
        put(&mut m, "subscriptions", Value::from(subscriptions));
        put(&mut m, "tags", user_tags(&t.attrs.tags.clone().into_iter().collect()));
        Value::Object(m)
    }

    fn alarm(&mut self, alarm: &MetricAlarm, tags: &Tags) -> Option<Value> {
        let key = self.key(alarm.alarm_arn());
        // As the plan reads it: AWS's defaults filled in, dimensions and actions by id.
        let tag_map = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let a = crate::live::cloudwatch::alarm_attrs(alarm, tag_map);
        if !a.queries.is_empty() {
            self.notes.push(format!(
                "alarm `{key}`: metric math alarms are not imported yet; left out (the policies it drives are imported)"
            ));
            return None;
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(alarm.alarm_name()));
        m.insert("metric".into(), json!(a.metric));
        let mut dims = Map::new();
        let mut other = Map::new();
        for d in &a.dimensions {
            let value = d.value.as_str();
            let reference = match d.name.as_str() {
                "AutoScalingGroupName" => self
                    .keys
                    .of(value)
                    .filter(|_| self.found.groups.iter().any(|g| g.group.auto_scaling_group_name() == Some(value)))
                    .map(|k| ("autoscaling_group", k.clone())),
                "LoadBalancer" => self
                    .found
                    .load_balancers
                    .iter()
                    .filter_map(|l| l.lb.load_balancer_arn())
                    .find(|arn| arn.ends_with(value))
                    .map(|arn| ("load_balancer", self.keys.or_id(arn))),
                "TargetGroup" => self
                    .found
                    .target_groups
                    .iter()
                    .map(|t| t.arn.as_str())
                    .find(|arn| arn.ends_with(value))
                    .map(|arn| ("target_group", self.keys.or_id(arn))),
                _ => None,
            };
            match reference {
                Some((field, k)) => dims.insert(field.into(), Value::from(k)),
                None => other.insert(d.name.clone(), Value::from(value)),
            };
        }
        put(&mut dims, "other", Value::Object(other));
        // Always written: the default depends on the dimensions, and the file is clearer with it.
        m.insert("namespace".into(), json!(a.namespace));
        put(&mut m, "dimensions", Value::Object(dims));
        put(&mut m, "statistic", json!(a.statistic.filter(|s| s != defaults::STATISTIC)));
        put(&mut m, "period", json!(a.period.filter(|p| *p != i64::from(defaults::ALARM_PERIOD))));
        put(&mut m, "evaluation_periods", json!(Some(a.evaluation_periods).filter(|p| *p > 1)));
        put(&mut m, "datapoints_to_alarm", json!(a.datapoints_to_alarm.filter(|d| *d != a.evaluation_periods)));
        m.insert("threshold".into(), json!(a.threshold));
        let comparison = match a.comparison.as_deref() {
            Some("GreaterThanThreshold") => ">",
            Some("GreaterThanOrEqualToThreshold") => ">=",
            Some("LessThanThreshold") => "<",
            Some("LessThanOrEqualToThreshold") => "<=",
            other => {
                self.notes.push(format!(
                    "alarm `{key}`: comparison `{}` is not imported yet; left out",
                    other.unwrap_or_default()
                ));
                return None;
            }
        };
        m.insert("comparison".into(), Value::from(comparison));
        let missing = match a.missing_data.as_str() {
            "breaching" => Some("breaching"),
            "notBreaching" => Some("not_breaching"),
            "ignore" => Some("ignore"),
            _ => None,
        };
        put(&mut m, "missing_data", json!(missing));
        let actions = |list: &[RefOrId]| {
            let keys = list.iter().map(|x| self.keys.or_id(x.as_str()));
            Value::from(keys.collect::<Vec<_>>())
        };
        put(&mut m, "actions", actions(&a.actions));
        put(&mut m, "ok_actions", actions(&a.ok_actions));
        put(&mut m, "insufficient_data_actions", actions(&a.insufficient_data_actions));
        put(&mut m, "description", json!(Some(&a.description).filter(|d| !d.is_empty())));
        put(&mut m, "unit", json!(a.unit));
        put(&mut m, "tags", user_tags(tags));
        Some(Value::Object(m))
    }
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// A target group's health check as the plan reads it, written with only what differs from
/// AWS's defaults for its protocol.
fn health_check(hc: &HealthCheck, protocol: Option<&str>, target_type: &str) -> Value {
    let spec_protocol = protocol.and_then(|p| serde_json::from_value::<Protocol>(Value::from(p)).ok());
    let spec_type = serde_json::from_value::<TargetType>(Value::from(target_type)).unwrap_or(TargetType::Instance);
    let mut defaults = defaults::health_check(spec_protocol, spec_type);
    let mut m = Map::new();
    if !hc.enabled && defaults.enabled {
        m.insert("enabled".into(), Value::from(false));
        return Value::Object(m);
    }
    if spec_type == TargetType::Lambda && !hc.enabled {
        return Value::Null;
    }
    if spec_type == TargetType::Lambda {
        m.insert("enabled".into(), Value::from(true));
    }
    if let Some(p) = hc.protocol.as_deref().filter(|p| *p != defaults.protocol.as_deref().unwrap_or_default()) {
        m.insert("protocol".into(), Value::from(p));
        // As the plan does: switching to HTTP(S) brings its path and matcher defaults along.
        if p != "TCP" {
            defaults.path = Some("/".into());
            defaults.matcher = Some(if matches!(protocol, Some("HTTP" | "HTTPS")) { "200" } else { "200-399" }.into());
        }
    }
    let http_check = matches!(hc.protocol.as_deref().or(defaults.protocol.as_deref()), Some("HTTP" | "HTTPS"));
    let text = |field: &str, value: &Option<String>, default: &Option<String>, m: &mut Map<String, Value>| {
        if value.is_some() && value != default {
            m.insert(field.into(), json!(value));
        }
    };
    if http_check {
        text("path", &hc.path, &defaults.path, &mut m);
        text("matcher", &hc.matcher, &defaults.matcher, &mut m);
    }
    if let Some(port) = hc.port.as_deref().filter(|p| Some(*p) != defaults.port.as_deref()) {
        m.insert("port".into(), port.parse::<u32>().map(Value::from).unwrap_or_else(|_| Value::from(port)));
    }
    for (field, value, default) in [
        ("interval", hc.interval, defaults.interval),
        ("timeout", hc.timeout, defaults.timeout),
        ("healthy_threshold", hc.healthy_threshold, defaults.healthy_threshold),
        ("unhealthy_threshold", hc.unhealthy_threshold, defaults.unhealthy_threshold),
    ] {
        if value.is_some() && value != default {
            m.insert(field.into(), json!(value));
        }
    }
    Value::Object(m)
}

/// Load balancer attributes away from AWS's defaults, as the fields the stack has for its type.
fn lb_attributes(kind: &str, a: &crate::attrs::AttributeMap) -> Value {
    let fields: &[&str] = match kind {
        "application" => &[
            "deletion_protection",
            "idle_timeout",
            "http2",
            "drop_invalid_headers",
            "client_keep_alive",
            "desync_mitigation",
            "xff_header_processing",
            "xff_client_port",
            "preserve_host_header",
            "tls_headers",
            "waf_fail_open",
            "zonal_shift",
        ],
        "network" => &["deletion_protection", "cross_zone", "zonal_shift", "dns_client_routing"],
        _ => &["deletion_protection", "cross_zone"],
    };
    let mut m = Map::new();
    for row in attributes::LOAD_BALANCER.iter().filter(|r| fields.contains(&r.field)) {
        if let Some(v) = a.get(row.key).filter(|v| Some(v.as_str()) != row.default) {
            m.insert(row.field.into(), typed(v));
        }
    }
    for (field, prefix) in [
        ("access_logs", "access_logs.s3"),
        ("connection_logs", "connection_logs.s3"),
        ("health_check_logs", "health_check_logs.s3"),
    ] {
        if field != "access_logs" && kind != "application" || field == "access_logs" && kind == "gateway" {
            continue;
        }
        if a.get(&format!("{prefix}.enabled")).map(String::as_str) == Some("true") {
            let mut logs = Map::new();
            logs.insert("bucket".into(), json!(a.get(&format!("{prefix}.bucket"))));
            put(&mut logs, "prefix", json!(a.get(&format!("{prefix}.prefix")).filter(|p| !p.is_empty())));
            m.insert(field.into(), Value::Object(logs));
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_autoscaling::types as asg;

    fn builder(found: &Found) -> Builder<'_> {
        let mut b =
            Builder { found, keys: Keys::default(), notes: Vec::new(), files: Vec::new(), subnet_groups: Map::new() };
        b.keys.give("autoscaling_groups", "shop-web", "web");
        b.keys.give("scaling_policies", "arn:policy", "p");
        b
    }

    fn metric(id: &str, dimension: Option<(&str, &str)>) -> asg::Metric {
        let mut metric = asg::Metric::builder().namespace("App").metric_name(id);
        if let Some((name, value)) = dimension {
            metric = metric.dimensions(asg::MetricDimension::builder().name(name).value(value).build());
        }
        metric.build()
    }

    fn query(id: &str) -> asg::MetricDataQuery {
        let stat = asg::MetricStat::builder().metric(metric(id, None)).stat("Sum").build();
        asg::MetricDataQuery::builder().id(id).metric_stat(stat).build()
    }

    fn tracked(
        id: &str,
        dimension: Option<(&str, &str)>,
        expression: Option<&str>,
    ) -> asg::TargetTrackingMetricDataQuery {
        let q = asg::TargetTrackingMetricDataQuery::builder().id(id);
        let q = match expression {
            Some(e) => q.expression(e),
            None => q.metric_stat(
                asg::TargetTrackingMetricStat::builder().metric(metric(id, dimension)).stat("Sum").build(),
            ),
        };
        q.build()
    }

    /// Metric math and custom predictive metrics are written from the plan's struct: the inputs
    /// by id with a group's name as its key, statistics other than Average, AWS's defaults left out.
    #[test]
    fn math_and_custom_metric_policies_are_written_as_the_stack_declares_them() {
        let found = Found::default();
        let mut b = builder(&found);
        let math = asg::CustomizedMetricSpecification::builder()
            .metrics(tracked("busy", Some(("AutoScalingGroupName", "shop-web")), None))
            .metrics(tracked("e", None, Some("busy / 2")))
            .build();
        let tracking = ScalingPolicy::builder()
            .policy_arn("arn:policy")
            .policy_name("shop-web-math")
            .policy_type("TargetTrackingScaling")
            .target_tracking_configuration(
                asg::TargetTrackingConfiguration::builder()
                    .customized_metric_specification(math)
                    .target_value(10.0)
                    .build(),
            )
            .build();
        assert_eq!(
            b.policy("web", &tracking).unwrap(),
            json!({
                "name": "shop-web-math", "group": "web",
                "target_tracking": {
                    "expression": "busy / 2",
                    "metrics": { "busy": { "namespace": "App", "name": "busy", "statistic": "Sum", "dimensions": { "AutoScalingGroupName": "web" } } },
                    "target": 10.0
                }
            })
        );
        let scale =
            asg::PredictiveScalingCustomizedScalingMetric::builder().metric_data_queries(query("scale")).build();
        let load = asg::PredictiveScalingCustomizedLoadMetric::builder().metric_data_queries(query("load")).build();
        let spec = asg::PredictiveScalingMetricSpecification::builder()
            .target_value(40.0)
            .customized_scaling_metric_specification(scale)
            .customized_load_metric_specification(load)
            .build();
        let predictive = ScalingPolicy::builder()
            .policy_arn("arn:policy")
            .policy_name("shop-web-forecast")
            .policy_type("PredictiveScaling")
            .enabled(false)
            .predictive_scaling_configuration(
                asg::PredictiveScalingConfiguration::builder()
                    .metric_specifications(spec)
                    .scheduling_buffer_time(300)
                    .build(),
            )
            .build();
        assert_eq!(
            b.policy("web", &predictive).unwrap(),
            json!({
                "name": "shop-web-forecast", "group": "web", "enabled": false,
                "predictive": {
                    "scaling_metric": { "namespace": "App", "name": "scale", "statistic": "Sum" },
                    "load_metric": { "namespace": "App", "name": "load", "statistic": "Sum" },
                    "target": 40.0
                }
            })
        );
        let unknown = ScalingPolicy::builder()
            .policy_arn("arn:policy")
            .policy_name("shop-web-odd")
            .policy_type("TargetTrackingScaling")
            .target_tracking_configuration(asg::TargetTrackingConfiguration::builder().target_value(1.0).build())
            .build();
        assert_eq!(b.policy("web", &unknown), None);
        assert!(b.notes[0].contains("this target tracking metric is not in the stack format"), "{:?}", b.notes);
    }

    /// A rule's conditions, sign-in, rewrite and weighted forward come through the plan's struct
    /// into the stack's words, AWS's defaults left out; what the format lacks becomes a note.
    #[test]
    fn rules_with_sign_in_and_token_checks_are_written_as_the_stack_declares_them() {
        use aws_sdk_elasticloadbalancingv2::types as elb;
        let found = Found::default();
        let mut b = builder(&found);
        b.keys.give("target_groups", "arn:tg/blue", "blue");
        let oidc = elb::AuthenticateOidcActionConfig::builder()
            .issuer("https://id.example.com")
            .authorization_endpoint("https://id.example.com/auth")
            .token_endpoint("https://id.example.com/token")
            .user_info_endpoint("https://id.example.com/me")
            .client_id("shop")
            .scope("openid email")
            .authentication_request_extra_params("prompt", "login")
            .build();
        let tuple = |arn: &str, weight| elb::TargetGroupTuple::builder().target_group_arn(arn).weight(weight).build();
        let forward = elb::ForwardActionConfig::builder()
            .target_groups(tuple("arn:tg/blue", 90))
            .target_groups(tuple("arn:tg/other", 10))
            .target_group_stickiness_config(
                elb::TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(600).build(),
            )
            .build();
        let rewrite = elb::RewriteConfig::builder().regex("^/v1/(.*)$").replace("/$1").build();
        let header = elb::HttpHeaderConditionConfig::builder().http_header_name("X-Env").values("blue").build();
        let no_key = elb::QueryStringKeyValuePair::builder().value("debug").build();
        let signed_in = elb::Rule::builder()
            .priority("10")
            .conditions(elb::RuleCondition::builder().field("path-pattern").values("/v1/*").build())
            .conditions(elb::RuleCondition::builder().field("http-header").http_header_config(header).build())
            .conditions(
                elb::RuleCondition::builder()
                    .field("query-string")
                    .query_string_config(elb::QueryStringConditionConfig::builder().values(no_key).build())
                    .build(),
            )
            .transforms(
                elb::RuleTransform::builder()
                    .r#type(elb::TransformTypeEnum::UrlRewrite)
                    .url_rewrite_config(elb::UrlRewriteConfig::builder().rewrites(rewrite).build())
                    .build(),
            )
            .actions(
                elb::Action::builder()
                    .r#type(elb::ActionTypeEnum::AuthenticateOidc)
                    .order(1)
                    .authenticate_oidc_config(oidc)
                    .build(),
            )
            .actions(
                elb::Action::builder().r#type(elb::ActionTypeEnum::Forward).order(2).forward_config(forward).build(),
            )
            .build();
        let read = crate::live::elbv2::rule_attrs(&signed_in, &Default::default());
        let left_out = crate::live::elbv2::left_out(&signed_in);
        assert_eq!(
            b.rule("load balancer `web`, listener `https`", &read, &left_out),
            json!({
                "priority": 10,
                "path": "/v1/*",
                "header": { "x-env": "blue" },
                "authenticate": {
                    "oidc": {
                        "issuer": "https://id.example.com",
                        "authorization_endpoint": "https://id.example.com/auth",
                        "token_endpoint": "https://id.example.com/token",
                        "user_info_endpoint": "https://id.example.com/me",
                        "client_id": "shop",
                        "client_secret": { "env": "WEB_CLIENT_SECRET" }
                    },
                    "scope": "openid email",
                    "extra_params": { "prompt": "login" }
                },
                "forward": { "blue": 90, "arn:tg/other": 10 },
                "stickiness": 600,
                "rewrite": { "url": { "regex": "^/v1/(.*)$", "replace": "/$1" } }
            })
        );
        assert_eq!(
            b.notes,
            [
                "load balancer `web`, listener `https`: a query-string condition on a value without a key is not in the stack format; left out",
                "load balancer `web`, listener `https`: AWS never returns an OIDC client secret; set `WEB_CLIENT_SECRET` when planning and applying (or point `client_secret` at a file)",
            ]
        );

        let claim = elb::JwtValidationActionAdditionalClaim::builder()
            .name("scope")
            .format(elb::JwtValidationActionAdditionalClaimFormatEnum::SpaceSeparatedValues)
            .values("read")
            .values("write")
            .build();
        let jwt = elb::JwtValidationActionConfig::builder()
            .issuer("https://id.example.com")
            .jwks_endpoint("https://id.example.com/jwks")
            .additional_claims(claim)
            .build();
        let not_found = elb::FixedResponseActionConfig::builder()
            .status_code("404")
            .content_type("application/json")
            .message_body("{}")
            .build();
        let checked = elb::Rule::builder()
            .priority("20")
            .conditions(elb::RuleCondition::builder().field("host-header").values("api.example.com").build())
            .actions(
                elb::Action::builder()
                    .r#type(elb::ActionTypeEnum::JwtValidation)
                    .order(1)
                    .jwt_validation_config(jwt)
                    .build(),
            )
            .actions(
                elb::Action::builder()
                    .r#type(elb::ActionTypeEnum::FixedResponse)
                    .order(2)
                    .fixed_response_config(not_found)
                    .build(),
            )
            .build();
        let read = crate::live::elbv2::rule_attrs(&checked, &Default::default());
        assert_eq!(
            b.rule("load balancer `web`, listener `https`", &read, &[]),
            json!({
                "priority": 20,
                "host": "api.example.com",
                "validate_jwt": {
                    "issuer": "https://id.example.com",
                    "jwks_endpoint": "https://id.example.com/jwks",
                    "claims": { "scope": { "format": "space-separated-values", "values": ["read", "write"] } }
                },
                "fixed_response": { "status": 404, "content_type": "application/json", "body": "{}" }
            })
        );
    }

    /// A group's mixed instances, hooks (every one, not only a stack's), warm pool and
    /// notifications come through the plan's struct, AWS's defaults left out.
    #[test]
    fn a_group_is_written_from_the_plan_struct_with_every_hook() {
        let template =
            asg::LaunchTemplateSpecification::builder().launch_template_id("lt-1").version("$Latest").build();
        let overrides =
            |t: &str, w: &str| asg::LaunchTemplateOverrides::builder().instance_type(t).weighted_capacity(w).build();
        let mixed = asg::MixedInstancesPolicy::builder()
            .launch_template(
                asg::LaunchTemplate::builder()
                    .launch_template_specification(template)
                    .overrides(overrides("m7g.large", "1"))
                    .overrides(overrides("m7g.xlarge", "2"))
                    .build(),
            )
            .instances_distribution(
                asg::InstancesDistribution::builder()
                    .on_demand_base_capacity(1)
                    .on_demand_percentage_above_base_capacity(25)
                    .spot_allocation_strategy("price-capacity-optimized")
                    .build(),
            )
            .build();
        let group = asg::AutoScalingGroup::builder()
            .auto_scaling_group_name("shop-web")
            .min_size(2)
            .max_size(6)
            .desired_capacity(2)
            .mixed_instances_policy(mixed)
            .health_check_type("ELB")
            .health_check_grace_period(300)
            .tags(asg::TagDescription::builder().key("team").value("web").build())
            .tags(asg::TagDescription::builder().key("lbstack:stack").value("shop").build())
            .build();
        let hook = asg::LifecycleHook::builder()
            .lifecycle_hook_name("other-tool drain")
            .lifecycle_transition("autoscaling:EC2_INSTANCE_TERMINATING")
            .heartbeat_timeout(600)
            .default_result("CONTINUE")
            .build();
        let pool = asg::WarmPoolConfiguration::builder().min_size(1).pool_state(asg::WarmPoolState::Hibernated).build();
        let notification = |kind: &str| {
            asg::NotificationConfiguration::builder()
                .topic_arn("arn:aws:sns:eu-west-1:1:ops")
                .notification_type(kind)
                .build()
        };
        let notifications = [notification("autoscaling:EC2_INSTANCE_LAUNCH_ERROR")];
        let attrs = crate::live::autoscaling::group_attrs(&group, &[hook], Some(&pool), &notifications, None);
        let found = Found {
            groups: vec![FoundGroup { group, attrs, policies: Vec::new(), schedules: Vec::new() }],
            ..Found::default()
        };
        let mut b = builder(&found);
        b.keys.give("launch_templates", "lt-1", "web");
        // The topic is imported too: the group names it by key, as the plan links it.
        b.keys.give("topics", "arn:aws:sns:eu-west-1:1:ops", "ops");
        let written = b.group(&found.groups[0]);
        assert_eq!(
            written,
            json!({
                "name": "shop-web", "min": 2, "max": 6,
                "launch_template": "web",
                "mixed_instances": {
                    "types": ["m7g.large", "m7g.xlarge"],
                    "weighted_capacity": { "m7g.large": 1, "m7g.xlarge": 2 },
                    "on_demand_base": 1,
                    "on_demand_percentage": 25,
                    "spot_strategy": "price-capacity-optimized"
                },
                "health_check": { "type": "elb" },
                "lifecycle_hooks": {
                    "other-tool-drain": {
                        "name": "other-tool drain", "transition": "terminate", "heartbeat": 600, "default_result": "continue"
                    }
                },
                "warm_pool": { "min_size": 1, "state": "hibernated" },
                "notifications": [{ "topic": "ops", "events": ["launch_error"] }],
                "tags": { "team": "web" }
            })
        );
    }

    /// A TLS listener and an HTTPS one with mutual TLS come through the plan's struct: the
    /// default certificate first, AWS's policy and ALPN defaults left out, the trust store by ARN.
    #[test]
    fn listeners_are_written_from_the_plan_struct() {
        use aws_sdk_elasticloadbalancingv2::types as elb;
        let found = Found::default();
        let mut b = builder(&found);
        b.keys.give("target_groups", "arn:tg/api", "api");
        let lb = crate::plan::Address::new(crate::plan::Kind::LoadBalancer, "edge");
        let forward =
            elb::Action::builder().r#type(elb::ActionTypeEnum::Forward).target_group_arn("arn:tg/api").build();
        let cert =
            |arn: &str, default: bool| elb::Certificate::builder().certificate_arn(arn).is_default(default).build();
        let tls = elb::Listener::builder()
            .port(8443)
            .protocol(elb::ProtocolEnum::Tls)
            .ssl_policy(defaults::SSL_POLICY)
            .certificates(cert("arn:cert/a", true))
            .alpn_policy("HTTP2Only")
            .default_actions(forward.clone())
            .build();
        let listed = [cert("arn:cert/a", true), cert("arn:cert/b", false)];
        let attrs = crate::live::elbv2::listener_attrs(&lb, "network", &tls, &listed, None, &Default::default());
        let (key, written) = b.listener("edge", "network", &FoundListener { attrs, rules: Vec::new() });
        assert_eq!(key, "tls-8443");
        assert_eq!(
            written,
            json!({
                "port": 8443, "protocol": "TLS",
                "certificates": ["arn:cert/a", "arn:cert/b"],
                "alpn_policy": "HTTP2Only",
                "default_action": { "forward": "api" }
            })
        );
        let mtls = elb::MutualAuthenticationAttributes::builder()
            .mode("verify")
            .trust_store_arn("arn:truststore/corp")
            .ignore_client_certificate_expiry(false)
            .build();
        let https = elb::Listener::builder()
            .port(443)
            .protocol(elb::ProtocolEnum::Https)
            .ssl_policy("ELBSecurityPolicy-FS-1-2-Res-2020-10")
            .certificates(cert("arn:cert/a", true))
            .mutual_authentication(mtls)
            .default_actions(forward)
            .build();
        let attrs = crate::live::elbv2::listener_attrs(&lb, "application", &https, &[], None, &Default::default());
        let (key, written) = b.listener("edge", "application", &FoundListener { attrs, rules: Vec::new() });
        assert_eq!(key, "https");
        assert_eq!(
            written,
            json!({
                "port": 443, "protocol": "HTTPS",
                "certificates": ["arn:cert/a"],
                "ssl_policy": "ELBSecurityPolicy-FS-1-2-Res-2020-10",
                "mutual_authentication": { "mode": "verify", "trust_store": "arn:truststore/corp" },
                "default_action": { "forward": "api" }
            })
        );
    }

    /// A web ACL comes through the plan's struct: managed groups with their vendor when not AWS,
    /// rate limits without AWS's window, IP sets by key, countries; AWS's defaults left out.
    #[test]
    fn a_web_acl_is_written_from_the_plan_struct() {
        use aws_sdk_wafv2::types as waf;
        let found = Found::default();
        let mut b = builder(&found);
        b.keys.give("ip_sets", "arn:ipset/blocked/1", "blocked");
        let visibility = waf::VisibilityConfig::builder()
            .sampled_requests_enabled(true)
            .cloud_watch_metrics_enabled(false)
            .metric_name("edge")
            .build()
            .unwrap();
        let rule = |name: &str, priority: i32, statement: waf::Statement| {
            waf::Rule::builder()
                .name(name)
                .priority(priority)
                .statement(statement)
                .visibility_config(visibility.clone())
        };
        let block = waf::RuleAction::builder().block(waf::BlockAction::builder().build()).build();
        let count = waf::RuleAction::builder().count(waf::CountAction::builder().build()).build();
        let managed = waf::ManagedRuleGroupStatement::builder().vendor_name("F5").name("Bots").build().unwrap();
        let rate = waf::RateBasedStatement::builder()
            .limit(2000)
            .evaluation_window_sec(300)
            .aggregate_key_type(waf::RateBasedStatementAggregateKeyType::ForwardedIp)
            .build()
            .unwrap();
        let ip_set = waf::IpSetReferenceStatement::builder().arn("arn:ipset/blocked/1").build().unwrap();
        let geo = waf::GeoMatchStatement::builder().country_codes(waf::CountryCode::Ru).build();
        let acl = waf::WebAcl::builder()
            .name("edge")
            .id("1")
            .arn("arn:webacl/edge/1")
            .default_action(waf::DefaultAction::builder().allow(waf::AllowAction::builder().build()).build())
            .visibility_config(visibility.clone())
            .rules(
                rule("bots", 0, waf::Statement::builder().managed_rule_group_statement(managed).build())
                    .override_action(waf::OverrideAction::builder().count(waf::CountAction::builder().build()).build())
                    .build()
                    .unwrap(),
            )
            .rules(
                rule("flood", 1, waf::Statement::builder().rate_based_statement(rate).build())
                    .action(block.clone())
                    .build()
                    .unwrap(),
            )
            .rules(
                rule("deny", 2, waf::Statement::builder().ip_set_reference_statement(ip_set).build())
                    .action(block)
                    .build()
                    .unwrap(),
            )
            .rules(
                rule("watch", 3, waf::Statement::builder().geo_match_statement(geo).build())
                    .action(count)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let tags = vec![("team".to_string(), "edge".to_string())];
        assert_eq!(
            b.web_acl(&acl, &tags),
            json!({
                "name": "edge",
                "default_action": "allow",
                "rules": [
                    { "name": "bots", "priority": 0, "override_action": "count", "managed": { "name": "Bots", "vendor": "F5" } },
                    { "name": "flood", "priority": 1, "rate_limit": { "limit": 2000, "aggregate_by": "forwarded_ip" } },
                    { "name": "deny", "priority": 2, "ip_set": "blocked" },
                    { "name": "watch", "priority": 3, "action": "count", "geo": ["RU"] }
                ],
                "metrics": false,
                "tags": { "team": "edge" }
            })
        );
    }
}
