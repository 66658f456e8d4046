//! The stack as normalised attribute maps. Every managed field gets a value: the declared one or
//! AWS's default, so removing a setting from the file resets it and a plan right after apply
//! compares equal. Live readers produce the same shapes (see `src/live`).

use super::model::{Address, Desired, Kind, as_reference};
use crate::attrs::acm::{CertificateAttrs, CertificateInputs};
use crate::attrs::ec2::{Permission, SecurityGroupAttrs};
use crate::attrs::elbv2::{self as elb, HealthCheck, Target as Registered, TargetGroupAttrs};
use crate::attrs::elbv2::{
    Authenticate as SignIn, Conditions, ListenerAction, ListenerAttrs, ListenerRulesAttrs, LoadBalancerAttrs,
    MainAction, MutualAuthentication as MutualTls, QueryPair, RuleAttrs, SecretSource, SharedListenerAttrs,
    SharedListenerInputs, TrustStoreAttrs, TrustStoreInputs, WeightedGroup,
};
use crate::attrs::route53::RecordAttrs;
use crate::attrs::shield::ShieldProtectionAttrs;
use crate::attrs::sns::{Subscription, TopicAttrs};
use crate::attrs::wafv2::{
    IpSetAttrs, ManagedGroup, RateLimit as WafRateLimit, Statement, WafRule, WebAclAssociationAttrs, WebAclAttrs,
};
use crate::attrs::{AttributeMap, Ref, RefOrId, set_of};
use crate::defaults;
use crate::ownership::{ATTRIBUTES_TAG, BUNDLE_TAG, fqdn, names, pem_fingerprint, shown_endpoint, tag_map};
use crate::stack_format::model::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Facts about the account resolved before planning: the VPC and its subnets.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Context {
    pub vpc_id: String,
    /// Every subnet of the VPC, one per availability zone first (load balancers take one per AZ).
    pub vpc_subnets: Vec<String>,
    pub subnet_groups: BTreeMap<String, Vec<String>>,
    /// The AMI of each launch template (by key), ids checked and lookups resolved.
    pub images: BTreeMap<String, super::autoscaling::ResolvedImage>,
    /// The ARN of each certificate the stack looks up (by key).
    pub certificates: BTreeMap<String, String>,
    /// The id of each security group the stack looks up (by key).
    pub security_groups: BTreeMap<String, String>,
    /// Whether the account has a Shield Advanced subscription (read only when the stack asks for
    /// a protection).
    pub shield_subscribed: Option<bool>,
    /// Each listener of `shared_listeners` (by key): what its rules hold.
    pub shared_listeners: BTreeMap<String, SharedListenerState>,
    /// Hosted zones the stack names (records, certificate validation) that the account lacks,
    /// as `what -> zone`: the plan is refused, before apply creates anything.
    pub missing_zones: BTreeMap<String, String>,
}

/// A listener the stack does not own, as planning needs it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SharedListenerState {
    pub arn: String,
    /// Priorities held by rules that are not this entry's.
    pub others: Vec<u32>,
    /// This entry's rules now: priority and conditions (desired shape), so a rule keeps the
    /// priority it was given.
    pub ours: Vec<(u32, Conditions)>,
}

fn trust_store(s: &Stack, key: &str, t: &TrustStore) -> Desired {
    let address = Address::new(Kind::TrustStore, key);
    let mut location = format!("s3://{}/{}", t.bucket, t.key);
    if let Some(v) = &t.version {
        location.push_str(&format!("@{v}"));
    }
    let plain = location.chars().count() <= 256
        && !t.key.contains('@')
        && location.chars().all(crate::stack_format::validate::tag_char);
    let bundle = if plain { location } else { format!("s3://{}/sha-{}", t.bucket, names::hash7(&location)) };
    let mut tags = tag_map(s, &address, &t.tags);
    tags.insert(BUNDLE_TAG.into(), bundle.clone());
    let attrs = TrustStoreAttrs { bundle: Some(bundle), tags };
    let inputs = TrustStoreInputs { bucket: t.bucket.clone(), key: t.key.clone(), version: t.version.clone() };
    Desired::new(address, names::physical(&s.stack, key, 32), &attrs, None).with_inputs(inputs)
}

/// An HTTPS listener's mutual TLS as plans compare it (`off` when the stack sets none).
fn mutual_authentication(m: &Option<MutualAuthentication>) -> MutualTls {
    let mode = |mode: &str| MutualTls { mode: mode.into(), trust_store: None, ignore_expiry: None };
    match m {
        None => mode("off"),
        Some(MutualAuthentication { mode: MtlsMode::Passthrough, .. }) => mode("passthrough"),
        Some(MutualAuthentication { mode: MtlsMode::Verify, trust_store, ignore_client_certificate_expiry }) => {
            let store = trust_store.as_deref().unwrap_or_default();
            MutualTls {
                mode: "verify".into(),
                trust_store: Some(RefOrId::named(Kind::TrustStore, store, store.starts_with("arn:"))),
                ignore_expiry: Some(ignore_client_certificate_expiry.unwrap_or(false)),
            }
        }
    }
}

/// A topic. An endpoint read from a secret's source is read now, to compare: plans hold only how
/// it is shown; apply reads it again (`secrets::shown_endpoints`).
fn topic(s: &Stack, key: &str, t: &Topic) -> Result<Desired, String> {
    let address = Address::new(Kind::Topic, key);
    let subscriptions: Vec<Subscription> = t
        .subscriptions
        .iter()
        .map(|sub| {
            let real = super::secrets::endpoint(&sub.endpoint, &s.files).map_err(|e| format!("topics.{key}: {e:#}"))?;
            Ok(Subscription {
                protocol: sub.protocol.as_str().into(),
                endpoint: shown_endpoint(sub.protocol.as_str(), &real),
            })
        })
        .collect::<Result<_, String>>()?;
    let attrs = TopicAttrs {
        display_name: t.display_name.clone().unwrap_or_default(),
        subscriptions: set_of(subscriptions),
        tags: tag_map(s, &address, &t.tags),
        subscription_arns: None,
    };
    Ok(Desired::new(address, names::given(s, Kind::Topic, key), &attrs, None))
}

pub fn build(s: &Stack, ctx: &Context) -> Result<Vec<Desired>, String> {
    check_secrets(s)?;
    if let Some((what, zone)) = ctx.missing_zones.iter().next() {
        let more = ctx.missing_zones.len() - 1;
        let others = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        return Err(format!(
            "{what}: no Route 53 hosted zone `{zone}` in this account{others}; create the zone, or correct the name (nothing was changed)"
        ));
    }
    let resolved = with_looked_up_groups(s, ctx)?;
    let s = resolved.as_ref();
    let mut out = Vec::new();
    let asg_owned: Vec<&str> =
        s.autoscaling_groups.values().flat_map(|g| g.target_groups.iter().map(String::as_str)).collect();
    // Kind by kind, so a kind added to the table is a compiler error here until it is built.
    for kind in Kind::ALL {
        match kind {
            Kind::SecurityGroup => {
                for (key, sg) in s.security_groups.iter().filter(|(_, g)| g.lookup.is_none()) {
                    out.push(security_group(s, ctx, key, sg));
                }
            }
            // An `arn:` certificate is used, never managed.
            Kind::Certificate => {
                for (key, c) in s.certificates.iter().filter(|(_, c)| !c.is_existing()) {
                    out.push(certificate(s, key, c)?);
                }
            }
            Kind::IpSet => out.extend(s.ip_sets.iter().map(|(key, set)| ip_set(s, key, set))),
            Kind::Topic => {
                for (key, t) in &s.topics {
                    out.push(topic(s, key, t)?);
                }
            }
            Kind::WebAcl => out.extend(s.web_acls.iter().map(|(key, acl)| web_acl(s, key, acl))),
            Kind::TrustStore => out.extend(s.trust_stores.iter().map(|(key, t)| trust_store(s, key, t))),
            Kind::TargetGroup => {
                for (key, tg) in &s.target_groups {
                    out.push(target_group(s, ctx, key, tg, asg_owned.contains(&key.as_str())));
                }
            }
            Kind::LoadBalancer => {
                for (key, lb) in &s.load_balancers {
                    out.push(load_balancer(s, ctx, key, lb)?);
                }
            }
            Kind::WebAclAssociation => {
                for (key, acl) in s.load_balancers.iter().filter_map(|(k, lb)| Some((k, lb.web_acl.as_ref()?))) {
                    let lb_addr = Address::new(Kind::LoadBalancer, key);
                    // An ARN is a web ACL the stack uses but does not own.
                    let attrs = WebAclAssociationAttrs {
                        load_balancer: Ref(lb_addr.clone()),
                        web_acl: RefOrId::named(Kind::WebAcl, acl, acl.starts_with("arn:")),
                    };
                    let address = Address::new(Kind::WebAclAssociation, key);
                    out.push(Desired::new(address, format!("{key} web ACL"), &attrs, Some(lb_addr)));
                }
            }
            Kind::ShieldProtection => {
                for key in s.load_balancers.iter().filter(|(_, lb)| lb.shield == Some(true)).map(|(k, _)| k) {
                    out.push(shield_protection(s, ctx, key)?);
                }
            }
            Kind::Listener => {
                for (key, lb) in &s.load_balancers {
                    for (lkey, l) in &lb.listeners {
                        out.push(listener(s, ctx, key, lb, lkey, l)?);
                    }
                }
            }
            // No rules, no resource: an owned rule set left in AWS then plans as a delete.
            Kind::ListenerRules => {
                for (key, lb) in s.load_balancers.iter().filter(|(_, lb)| lb.kind == LbType::Application) {
                    for (lkey, l) in lb.listeners.iter().filter(|(_, l)| !l.rules.is_empty()) {
                        out.push(listener_rules(s, key, lkey, l));
                    }
                }
            }
            Kind::SharedListener => {
                for (key, shared) in s.shared_listeners.iter().filter(|(_, sl)| !sl.rules.is_empty()) {
                    out.push(shared_rules(s, ctx, key, shared)?);
                }
            }
            Kind::Record => out.extend(s.records.iter().map(|(key, r)| record(s, key, r))),
            // Built together: a group's policies, schedules and alarms read its template and it.
            Kind::LaunchTemplate
            | Kind::AutoScalingGroup
            | Kind::ScalingPolicy
            | Kind::ScheduledAction
            | Kind::Alarm
            | Kind::CompositeAlarm => {}
        }
    }
    super::autoscaling::build(s, ctx, &mut out)?;
    for d in &mut out {
        d.fixed_name = s.given_name(d.address.kind, &d.address.key).is_some();
    }
    Ok(out)
}

fn record(s: &Stack, key: &str, r: &Record) -> Desired {
    let address = Address::new(Kind::Record, key);
    let zone = if crate::ownership::is_zone_id(&r.zone) { r.zone.clone() } else { fqdn(&r.zone) };
    let cname = r.kind == RecordType::Cname;
    let attrs = RecordAttrs {
        zone,
        name: fqdn(&r.name),
        r#type: r.kind.as_str().into(),
        target: RefOrId::Ref(Ref::to(Kind::LoadBalancer, &r.target)),
        ttl: cname.then(|| i64::from(r.ttl.unwrap_or(defaults::CNAME_TTL))),
        evaluate_target_health: (!cname).then(|| r.evaluate_target_health.unwrap_or(true)),
        weight: r.weight.map(i64::from),
        set_identifier: r.set_identifier_for(&s.stack),
        indexed: true,
        raw: None,
    };
    Desired::new(address, fqdn(&r.name), &attrs, None)
}

pub fn collect_refs(v: &Value, out: &mut Vec<Address>) {
    if let Some(a) = as_reference(v) {
        out.push(a);
        return;
    }
    match v {
        Value::Object(m) => m.values().for_each(|x| collect_refs(x, out)),
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// A security group of the stack by key is a reference; an `sg-` id stays literal.
pub(super) fn sg_source(name: &str) -> RefOrId {
    RefOrId::named(Kind::SecurityGroup, name, name.starts_with("sg-"))
}

// ------------------------------------------------------------------ security groups

fn sg_rules(rules: &[SgRule]) -> Vec<Permission> {
    let mut out = Vec::new();
    for r in rules {
        let (protocol, from, to) = match (r.protocol, &r.ports) {
            (SgProtocol::All, _) => ("all", 0, 65535),
            (SgProtocol::Icmp, None) => ("icmp", -1, -1),
            (p, Some(Ports::One(n))) => (proto_name(p), *n as i64, *n as i64),
            (p, Some(Ports::Range(r))) => {
                let (a, b) = crate::stack_format::validate::parse_port_range(r).unwrap_or((0, 65535));
                (proto_name(p), a as i64, b as i64)
            }
            (p, None) => (proto_name(p), 0, 65535),
        };
        let description = r.description.clone().unwrap_or_default();
        for c in &r.cidrs {
            out.push(Permission::new(protocol, from, to, RefOrId::Id(format!("cidr:{c}")), &description));
        }
        for c in &r.ipv6_cidrs {
            out.push(Permission::new(protocol, from, to, RefOrId::Id(format!("cidr6:{c}")), &description));
        }
        for g in &r.groups {
            out.push(Permission::new(protocol, from, to, sg_source(g), &description));
        }
    }
    set_of(out)
}

fn proto_name(p: SgProtocol) -> &'static str {
    match p {
        SgProtocol::Tcp => "tcp",
        SgProtocol::Udp => "udp",
        SgProtocol::Icmp => "icmp",
        SgProtocol::All => "all",
    }
}

fn security_group(s: &Stack, ctx: &Context, key: &str, sg: &SecurityGroup) -> Desired {
    let address = Address::new(Kind::SecurityGroup, key);
    let attrs = SecurityGroupAttrs {
        description: sg.description.clone().unwrap_or_else(|| format!("{key} (lbstack stack {})", s.stack)),
        vpc: ctx.vpc_id.clone(),
        ingress: sg_rules(&sg.ingress),
        egress: match &sg.egress {
            Some(rules) => sg_rules(rules),
            None => vec![Permission::all_outbound()],
        },
        tags: tag_map(s, &address, &sg.tags),
        arn: None,
    };
    Desired::new(address, names::given(s, Kind::SecurityGroup, key), &attrs, None)
}

// ------------------------------------------------------------------ certificates

fn certificate(s: &Stack, key: &str, c: &Certificate) -> Result<Desired, String> {
    let address = Address::new(Kind::Certificate, key);
    let tags = tag_map(s, &address, &c.tags);
    let (attrs, inputs) = if let Some(domain) = &c.domain {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let sans: Vec<String> = c
            .alternative_names
            .iter()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| *n != domain)
            .collect();
        let attrs = CertificateAttrs {
            r#type: "requested".into(),
            domain: Some(domain),
            alternative_names: Some(set_of(sans)),
            fingerprint: None,
            status: None,
            tags,
        };
        (
            attrs,
            CertificateInputs {
                validation_zone: Some(c.validation_zone.clone().unwrap_or_default()),
                ..CertificateInputs::default()
            },
        )
    } else if let Some(imp) = &c.import {
        let pem = s
            .files
            .read(&imp.certificate, crate::stack_format::pem::MAX_PEM_BYTES)
            .map_err(|e| format!("certificate `{key}`: `{}`: {e}", imp.certificate))?;
        let fingerprint = pem_fingerprint(&String::from_utf8_lossy(&pem))
            .ok_or_else(|| format!("certificate `{key}`: `{}` holds no PEM certificate", imp.certificate))?;
        let attrs = CertificateAttrs {
            r#type: "imported".into(),
            domain: None,
            alternative_names: None,
            fingerprint: Some(fingerprint),
            status: None,
            tags,
        };
        // File names as the stack gives them: apply reads them again, through the same fence.
        let inputs = CertificateInputs {
            validation_zone: None,
            certificate_file: Some(imp.certificate.clone()),
            private_key_file: Some(imp.private_key.clone()),
            chain_file: imp.chain.clone(),
        };
        (attrs, inputs)
    } else {
        return Err(format!("certificate `{key}` has neither `domain` nor `import`"));
    };
    Ok(Desired::new(address, names::physical(&s.stack, key, 255), &attrs, None).with_inputs(inputs))
}

// ------------------------------------------------------------------ WAF

fn ip_set(s: &Stack, key: &str, set: &IpSet) -> Desired {
    let address = Address::new(Kind::IpSet, key);
    let v6 = set.addresses.iter().any(|a| a.contains(':'));
    let attrs = IpSetAttrs {
        ip_version: if v6 { "IPV6" } else { "IPV4" }.into(),
        addresses: set_of(set.addresses.clone()),
        description: set.description.clone().unwrap_or_default(),
        tags: tag_map(s, &address, &Tags::new()),
    };
    Desired::new(address, names::given(s, Kind::IpSet, key), &attrs, None)
}

fn web_acl(s: &Stack, key: &str, acl: &WebAcl) -> Desired {
    let address = Address::new(Kind::WebAcl, key);
    let mut rules: Vec<WafRule> = acl
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let statement = if let Some(m) = &r.managed {
                let mut excluded = m.excluded_rules.clone();
                excluded.sort();
                Statement::Managed(ManagedGroup {
                    vendor: m.vendor.clone(),
                    name: m.name.clone(),
                    version: m.version.clone(),
                    excluded_rules: excluded,
                })
            } else if let Some(rl) = &r.rate_limit {
                let aggregate = match rl.aggregate_by {
                    RateAggregate::Ip => "IP",
                    RateAggregate::ForwardedIp => "FORWARDED_IP",
                };
                Statement::RateLimit(WafRateLimit {
                    limit: rl.limit as i64,
                    window: i64::from(rl.window),
                    aggregate: aggregate.into(),
                })
            } else if let Some(set) = &r.ip_set {
                Statement::IpSet(RefOrId::Ref(Ref::to(Kind::IpSet, set)))
            } else {
                let mut codes = r.geo.clone().unwrap_or_default();
                codes.sort();
                Statement::Geo(codes)
            };
            let (action, override_action) = if r.managed.is_some() {
                let o = match r.override_action.unwrap_or(WafOverride::None) {
                    WafOverride::None => "none",
                    WafOverride::Count => "count",
                };
                (None, Some(o.to_string()))
            } else {
                let a = match r.action.unwrap_or(WafRuleAction::Block) {
                    WafRuleAction::Allow => "allow",
                    WafRuleAction::Block => "block",
                    WafRuleAction::Count => "count",
                    WafRuleAction::Captcha => "captcha",
                    WafRuleAction::Challenge => "challenge",
                };
                (Some(a.to_string()), None)
            };
            WafRule {
                name: r.name.clone(),
                priority: i64::from(r.priority.unwrap_or(i as u32)),
                action,
                override_action,
                statement,
            }
        })
        .collect();
    rules.sort_by_key(|r| r.priority);
    let attrs = WebAclAttrs {
        default_action: match acl.default_action {
            WafDefaultAction::Allow => "allow",
            WafDefaultAction::Block => "block",
        }
        .into(),
        description: acl.description.clone().unwrap_or_default(),
        metrics: acl.metrics,
        rules,
        tags: tag_map(s, &address, &acl.tags),
    };
    Desired::new(address, names::given(s, Kind::WebAcl, key), &attrs, None)
}

// ------------------------------------------------------------------ target groups

fn health_check(tg: &TargetGroup) -> HealthCheck {
    let mut hc = defaults::health_check(tg.protocol, tg.target_type);
    let Some(d) = &tg.health_check else { return hc };
    if let Some(p) = d.protocol {
        let name = match p {
            HealthCheckProtocol::Http => "HTTP",
            HealthCheckProtocol::Https => "HTTPS",
            HealthCheckProtocol::Tcp => "TCP",
        };
        hc.protocol = Some(name.into());
        // Switching a TCP check to HTTP(S) brings the HTTP defaults along.
        if p != HealthCheckProtocol::Tcp {
            hc.path.get_or_insert_with(|| "/".into());
            hc.matcher.get_or_insert_with(|| {
                if matches!(tg.protocol, Some(Protocol::Http | Protocol::Https)) { "200" } else { "200-399" }.into()
            });
        } else {
            hc.path = None;
            hc.matcher = None;
        }
    }
    hc.enabled = d.enabled.unwrap_or(hc.enabled);
    hc.path = d.path.clone().or(hc.path);
    hc.port = d
        .port
        .as_ref()
        .map(|p| match p {
            HealthCheckPort::Port(n) => n.to_string(),
            HealthCheckPort::Named(s) => s.clone(),
        })
        .or(hc.port);
    hc.interval = d.interval.map(i64::from).or(hc.interval);
    hc.timeout = d.timeout.map(i64::from).or(hc.timeout);
    hc.healthy_threshold = d.healthy_threshold.map(i64::from).or(hc.healthy_threshold);
    hc.unhealthy_threshold = d.unhealthy_threshold.map(i64::from).or(hc.unhealthy_threshold);
    hc.matcher = d.matcher.clone().or(hc.matcher);
    hc
}

/// Whether the stack sets any attribute of this group away from AWS's default.
pub fn tg_sets_attributes(tg: &TargetGroup) -> bool {
    tg_attributes(tg)
        .iter()
        .any(|(k, v)| defaults::attributes::default_of(defaults::attributes::TARGET_GROUP, k) != Some(v.as_str()))
}

/// Target-group attributes lbstack manages, with AWS defaults for those not declared.
pub fn tg_attributes(tg: &TargetGroup) -> AttributeMap {
    let mut m = AttributeMap::new();
    let http = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https));
    if tg.target_type != TargetType::Lambda {
        m.insert(
            "deregistration_delay.timeout_seconds".into(),
            tg.deregistration_delay.unwrap_or(defaults::DEREGISTRATION_DELAY).to_string(),
        );
    }
    match &tg.stickiness {
        Some(st) => {
            m.insert("stickiness.enabled".into(), "true".to_string());
            let kind = match st.kind {
                StickinessType::LbCookie => "lb_cookie",
                StickinessType::AppCookie => "app_cookie",
                StickinessType::SourceIp => "source_ip",
            };
            m.insert("stickiness.type".into(), kind.to_string());
            match st.kind {
                StickinessType::LbCookie => {
                    m.insert("stickiness.lb_cookie.duration_seconds".into(), st.duration.unwrap_or(86400).to_string());
                }
                StickinessType::AppCookie => {
                    m.insert("stickiness.app_cookie.duration_seconds".into(), st.duration.unwrap_or(86400).to_string());
                    m.insert("stickiness.app_cookie.cookie_name".into(), st.cookie_name.clone().unwrap_or_default());
                }
                StickinessType::SourceIp => {}
            }
        }
        None if tg.target_type != TargetType::Lambda => {
            m.insert("stickiness.enabled".into(), "false".to_string());
        }
        None => {}
    }
    if http {
        m.insert("slow_start.duration_seconds".into(), tg.slow_start.unwrap_or(0).to_string());
        let algo = match tg.algorithm.unwrap_or(Algorithm::RoundRobin) {
            Algorithm::RoundRobin => "round_robin",
            Algorithm::LeastOutstandingRequests => "least_outstanding_requests",
            Algorithm::WeightedRandom => "weighted_random",
        };
        m.insert("load_balancing.algorithm.type".into(), algo.to_string());
    }
    let mut put = |key: &str, value: Option<String>| {
        let value = value.unwrap_or_else(|| {
            defaults::attributes::default_of(defaults::attributes::TARGET_GROUP, key).unwrap_or_default().to_string()
        });
        m.insert(key.to_string(), value);
    };
    let flag = |v: Option<bool>| v.map(|b| b.to_string());
    if matches!(tg.protocol, Some(Protocol::Tcp | Protocol::Tls | Protocol::Udp | Protocol::TcpUdp)) {
        put("proxy_protocol_v2.enabled", flag(tg.proxy_protocol_v2));
        put("deregistration_delay.connection_termination.enabled", flag(tg.connection_termination));
        // AWS's default depends on the target type and protocol: managed only when set.
        if let Some(keep) = tg.preserve_client_ip {
            put("preserve_client_ip.enabled", Some(keep.to_string()));
        }
        if let Some(state) = &tg.target_health_state {
            if let Some(close) = state.connection_termination {
                put("target_health_state.unhealthy.connection_termination.enabled", Some(close.to_string()));
            }
            if let Some(seconds) = state.draining_interval {
                put("target_health_state.unhealthy.draining_interval_seconds", Some(seconds.to_string()));
            }
        }
    }
    if tg.target_type != TargetType::Lambda && tg.protocol != Some(Protocol::Geneve) {
        put("load_balancing.cross_zone.enabled", flag(tg.cross_zone));
        for (name, setting) in
            [("dns_failover", &tg.dns_failover), ("unhealthy_state_routing", &tg.unhealthy_state_routing)]
        {
            let prefix = format!("target_group_health.{name}.minimum_healthy_targets");
            put(&format!("{prefix}.count"), setting.as_ref().and_then(|h| h.count).map(|n| n.to_string()));
            put(&format!("{prefix}.percentage"), setting.as_ref().and_then(|h| h.percent).map(|n| n.to_string()));
        }
    }
    for (key, value) in &tg.other_attributes {
        put(key, Some(value.to_string()));
    }
    m
}

fn target_group(s: &Stack, ctx: &Context, key: &str, tg: &TargetGroup, asg_owned: bool) -> Desired {
    let address = Address::new(Kind::TargetGroup, key);
    let lambda = tg.target_type == TargetType::Lambda;
    let protocol_version = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https)).then(|| {
        match tg.protocol_version.unwrap_or(ProtocolVersion::Http1) {
            ProtocolVersion::Http1 => "HTTP1",
            ProtocolVersion::Http2 => "HTTP2",
            ProtocolVersion::Grpc => "GRPC",
        }
        .to_string()
    });
    // Targets the stack lists; an auto-scaling group (or anything else) owns the registrations of
    // a group that lists none, and a group moving between the two is not fought over.
    let targets = tg.targets.as_ref().filter(|_| !asg_owned).map(|listed| {
        set_of(
            listed
                .iter()
                .map(|t| Registered {
                    id: t.id.clone(),
                    port: t.port.or(tg.port).map(i64::from),
                    availability_zone: t.availability_zone.clone(),
                })
                .collect(),
        )
    });
    let mut tags = tag_map(s, &address, &tg.tags);
    if tg_sets_attributes(tg) {
        tags.insert(ATTRIBUTES_TAG.into(), "set".into());
    }
    let attrs = TargetGroupAttrs {
        target_type: target_type_name(tg.target_type).into(),
        protocol: (!lambda).then(|| tg.protocol.map(Protocol::as_str).unwrap_or("HTTP").to_string()),
        port: (!lambda).then(|| i64::from(tg.port.unwrap_or(80))),
        vpc: (!lambda).then(|| ctx.vpc_id.clone()),
        protocol_version,
        health_check: health_check(tg),
        attributes: tg_attributes(tg),
        targets,
        tags,
    };
    Desired::new(address, names::given(s, Kind::TargetGroup, key), &attrs, None)
}

pub fn target_type_name(t: TargetType) -> &'static str {
    match t {
        TargetType::Instance => "instance",
        TargetType::Ip => "ip",
        TargetType::Lambda => "lambda",
        TargetType::Alb => "alb",
    }
}

// ------------------------------------------------------------------ load balancers

fn lb_attributes(lb: &LoadBalancer) -> AttributeMap {
    let a = &lb.attributes;
    let mut m = AttributeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        let value = value.unwrap_or_else(|| {
            defaults::attributes::default_of(defaults::attributes::LOAD_BALANCER, key).unwrap_or_default().to_string()
        });
        m.insert(key.to_string(), value);
    };
    let flag = |v: Option<bool>| v.map(|b| b.to_string());
    let word = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
    put("deletion_protection.enabled", flag(a.deletion_protection));
    match lb.kind {
        LbType::Application => {
            put("idle_timeout.timeout_seconds", a.idle_timeout.map(|n| n.to_string()));
            put("routing.http2.enabled", flag(a.http2));
            put("routing.http.drop_invalid_header_fields.enabled", flag(a.drop_invalid_headers));
            put("client_keep_alive.seconds", a.client_keep_alive.map(|n| n.to_string()));
            put(
                "routing.http.desync_mitigation_mode",
                word(a.desync_mitigation.and_then(|d| serde_json::to_value(d).ok())),
            );
            put(
                "routing.http.xff_header_processing.mode",
                word(a.xff_header_processing.and_then(|x| serde_json::to_value(x).ok())),
            );
            put("routing.http.xff_client_port.enabled", flag(a.xff_client_port));
            put("routing.http.preserve_host_header.enabled", flag(a.preserve_host_header));
            put("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", flag(a.tls_headers));
            put("waf.fail_open.enabled", flag(a.waf_fail_open));
            put("zonal_shift.config.enabled", flag(a.zonal_shift));
            for (prefix, logs) in
                [("connection_logs.s3", &a.connection_logs), ("health_check_logs.s3", &a.health_check_logs)]
            {
                match logs {
                    Some(logs) => {
                        put(&format!("{prefix}.enabled"), Some("true".into()));
                        put(&format!("{prefix}.bucket"), Some(logs.bucket.clone()));
                        put(&format!("{prefix}.prefix"), Some(logs.prefix.clone().unwrap_or_default()));
                    }
                    None => put(&format!("{prefix}.enabled"), None),
                }
            }
        }
        LbType::Network => {
            put("load_balancing.cross_zone.enabled", flag(a.cross_zone));
            put("zonal_shift.config.enabled", flag(a.zonal_shift));
            put(
                "dns_record.client_routing_policy",
                word(a.dns_client_routing.and_then(|d| serde_json::to_value(d).ok())),
            );
        }
        LbType::Gateway => put("load_balancing.cross_zone.enabled", flag(a.cross_zone)),
    }
    if lb.kind != LbType::Gateway {
        match &a.access_logs {
            Some(logs) => {
                put("access_logs.s3.enabled", Some("true".into()));
                put("access_logs.s3.bucket", Some(logs.bucket.clone()));
                put("access_logs.s3.prefix", Some(logs.prefix.clone().unwrap_or_default()));
            }
            None => put("access_logs.s3.enabled", None),
        }
    }
    for (key, value) in &a.other {
        put(key, Some(value.to_string()));
    }
    m
}

fn load_balancer(s: &Stack, ctx: &Context, key: &str, lb: &LoadBalancer) -> Result<Desired, String> {
    let address = Address::new(Kind::LoadBalancer, key);
    let subnets = match &lb.subnets {
        Some(group) => {
            ctx.subnet_groups.get(group).cloned().ok_or_else(|| format!("subnet group `{group}` was not resolved"))?
        }
        None => ctx.vpc_subnets.clone(),
    };
    let gateway = lb.kind == LbType::Gateway;
    if let Some(subnet) = lb.addresses.keys().find(|s| !subnets.contains(s)) {
        return Err(format!(
            "load balancer `{key}`: `addresses` names subnet {subnet}, which is not one of its subnets ({})",
            subnets.join(", ")
        ));
    }
    let attrs = LoadBalancerAttrs {
        privatelink_inbound_rules: lb.privatelink_inbound_rules.map(|on| if on { "on" } else { "off" }.to_string()),
        addresses: (!lb.addresses.is_empty()).then(|| {
            lb.addresses
                .iter()
                .map(|(subnet, a)| {
                    let address = crate::attrs::elbv2::SubnetAddress {
                        elastic_ip: a.elastic_ip.clone(),
                        private_ipv4: a.private_ipv4.clone(),
                        ipv6: a.ipv6.clone(),
                    };
                    (subnet.clone(), address)
                })
                .collect()
        }),
        r#type: lb.kind.as_str().into(),
        scheme: (!gateway).then(|| if lb.scheme == Scheme::Internal { "internal" } else { "internet-facing" }.into()),
        subnets: set_of(subnets),
        security_groups: (!gateway).then(|| set_of(lb.security_groups.iter().map(|g| sg_source(g)).collect())),
        ip_address_type: lb.ip_address_type.unwrap_or(IpAddressType::Ipv4).as_str().into(),
        attributes: lb_attributes(lb),
        tags: tag_map(s, &address, &lb.tags),
        dns_name: None,
        canonical_zone: None,
    };
    Ok(Desired::new(address, names::given(s, Kind::LoadBalancer, key), &attrs, None))
}

// ------------------------------------------------------------------ listeners and rules

fn listener(
    s: &Stack,
    ctx: &Context,
    lb_key: &str,
    lb: &LoadBalancer,
    key: &str,
    l: &Listener,
) -> Result<Desired, String> {
    let address = Address::new(Kind::Listener, format!("{lb_key}.{key}"));
    let lb_addr = Address::new(Kind::LoadBalancer, lb_key);
    let gateway = lb.kind == LbType::Gateway;
    let tls = matches!(l.protocol, Some(Protocol::Https | Protocol::Tls));
    let mut certs = Vec::new();
    for c in l.certificates.iter().filter(|_| tls) {
        if c.starts_with("arn:") {
            certs.push(RefOrId::Id(c.clone()));
        } else {
            let Some(cert) = s.certificates.get(c) else { return Err(format!("certificate `{c}` is not declared")) };
            match (&cert.arn, ctx.certificates.get(c.as_str())) {
                (Some(arn), _) | (None, Some(arn)) => certs.push(RefOrId::Id(arn.clone())),
                (None, None) if cert.lookup.is_some() => return Err(format!("certificate `{c}` was not looked up")),
                (None, None) => certs.push(RefOrId::Ref(Ref::to(Kind::Certificate, c))),
            }
        }
    }
    // The first is the default certificate; the rest are a set.
    let certificate = certs.first().cloned();
    let attrs = ListenerAttrs {
        load_balancer: Ref(lb_addr.clone()),
        port: (!gateway).then(|| i64::from(l.port.unwrap_or(80))),
        protocol: (!gateway).then(|| l.protocol.map(Protocol::as_str).unwrap_or("HTTP").to_string()),
        ssl_policy: tls.then(|| l.ssl_policy.clone().unwrap_or_else(|| crate::defaults::SSL_POLICY.into())),
        certificate,
        extra_certificates: tls.then(|| set_of(certs.into_iter().skip(1).collect())),
        alpn_policy: (l.protocol == Some(Protocol::Tls))
            .then(|| l.alpn_policy.clone().unwrap_or_else(|| "None".into())),
        mutual_authentication: (l.protocol == Some(Protocol::Https))
            .then(|| mutual_authentication(&l.mutual_authentication)),
        default_action: action(s, &l.default_action),
        attributes: listener_attributes(lb, l),
    };
    Ok(Desired::new(
        address,
        format!("{lb_key}:{}", l.port.map_or("geneve".into(), |p| p.to_string())),
        &attrs,
        Some(lb_addr),
    ))
}

/// Whether lbstack manages this listener's attributes: a network TCP listener always (its idle
/// timeout has a default to return to), any other only when the stack sets one.
pub fn listener_has_attributes(lb: &LoadBalancer, l: &Listener) -> bool {
    (lb.kind == LbType::Network && l.protocol == Some(Protocol::Tcp)) || !l.attributes.is_empty()
}

fn listener_attributes(lb: &LoadBalancer, l: &Listener) -> Option<AttributeMap> {
    if !listener_has_attributes(lb, l) {
        return None;
    }
    let mut m = AttributeMap::new();
    if lb.kind == LbType::Network && l.protocol == Some(Protocol::Tcp) {
        let key = "tcp.idle_timeout.seconds";
        let value = l
            .tcp_idle_timeout
            .map(|n| n.to_string())
            .or_else(|| defaults::attributes::default_of(defaults::attributes::LISTENER, key).map(str::to_string));
        m.insert(key.into(), value.unwrap_or_default());
    }
    for (k, v) in &l.attributes {
        m.insert(k.clone(), v.to_string());
    }
    Some(m)
}

/// The stack with every reference to a looked-up security group replaced by the group's id, so
/// the rest of the plan sees an id (`sg-...`), as if the stack had written it.
fn with_looked_up_groups<'a>(s: &'a Stack, ctx: &Context) -> Result<std::borrow::Cow<'a, Stack>, String> {
    let looked_up: Vec<&String> =
        s.security_groups.iter().filter(|(_, g)| g.lookup.is_some()).map(|(k, _)| k).collect();
    if looked_up.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let id = |key: &String| -> Result<String, String> {
        if !looked_up.contains(&key) {
            return Ok(key.clone());
        }
        ctx.security_groups.get(key).cloned().ok_or_else(|| format!("security group `{key}` was not looked up"))
    };
    let swap = |list: &mut Vec<String>| -> Result<(), String> {
        for g in list.iter_mut() {
            *g = id(g)?;
        }
        Ok(())
    };
    let mut out = s.clone();
    for lb in out.load_balancers.values_mut() {
        swap(&mut lb.security_groups)?;
    }
    for lt in out.launch_templates.values_mut() {
        swap(&mut lt.security_groups)?;
    }
    for sg in out.security_groups.values_mut() {
        for rule in sg.ingress.iter_mut().chain(sg.egress.iter_mut().flatten()) {
            swap(&mut rule.groups)?;
        }
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// A listener or rule action, with the sign-in before it.
pub fn action(s: &Stack, a: &Action) -> ListenerAction {
    ListenerAction {
        main: main_action(a),
        authenticate: a.authenticate.as_ref().map(|x| authenticate(s, x)),
        jwt: a.validate_jwt.as_ref().map(jwt_validation),
    }
}

/// An authenticate action. The client secret's source is an apply input (`_client_secret`): the
/// secret is read to compare its keyed digest (`plan::secrets`), sent only by apply, and never
/// stored or shown.
fn authenticate(s: &Stack, a: &Authenticate) -> SignIn {
    let on_unauthenticated = match a.on_unauthenticated.unwrap_or(Unauthenticated::Authenticate) {
        Unauthenticated::Authenticate => "authenticate",
        Unauthenticated::Allow => "allow",
        Unauthenticated::Deny => "deny",
    };
    let mut sign_in = SignIn::session(
        a.scope.clone().unwrap_or_else(|| defaults::AUTH_SCOPE.into()),
        a.session_cookie.clone().unwrap_or_else(|| defaults::AUTH_SESSION_COOKIE.into()),
        i64::from(a.session_timeout.unwrap_or(defaults::AUTH_SESSION_TIMEOUT)),
        on_unauthenticated.into(),
        a.extra_params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    );
    if let Some(o) = &a.oidc {
        sign_in.r#type = "authenticate-oidc".into();
        sign_in.issuer = Some(o.issuer.clone());
        sign_in.authorization_endpoint = Some(o.authorization_endpoint.clone());
        sign_in.token_endpoint = Some(o.token_endpoint.clone());
        sign_in.user_info_endpoint = Some(o.user_info_endpoint.clone());
        sign_in.client_id = Some(o.client_id.clone());
        let source = SecretSource { env: o.client_secret.env.clone(), file: o.client_secret.file.clone() };
        sign_in.client_secret_digest =
            super::secrets::read(&source, &s.files).ok().map(|secret| super::secrets::digest(&s.stack, &secret));
        sign_in.client_secret = Some(source);
    } else if let Some(c) = &a.cognito {
        sign_in.r#type = "authenticate-cognito".into();
        sign_in.user_pool = Some(c.user_pool.clone());
        sign_in.client_id = Some(c.client_id.clone());
        sign_in.domain = Some(c.domain.clone());
    }
    sign_in
}

/// Whether every client secret the stack's sign-ins name can be read now (without reading it into
/// anything): a plan whose apply would fail at the first sign-in is refused before it is shown.
pub fn check_secrets(s: &Stack) -> Result<(), String> {
    let listeners = s.load_balancers.iter().flat_map(|(lb_key, lb)| {
        lb.listeners.iter().map(move |(l_key, l)| {
            (
                format!("load_balancers.{lb_key}.listeners.{l_key}"),
                std::iter::once(&l.default_action.authenticate)
                    .chain(l.rules.iter().map(|r| &r.authenticate))
                    .collect::<Vec<_>>(),
            )
        })
    });
    let shared = s.shared_listeners.iter().map(|(key, sl)| {
        (format!("shared_listeners.{key}"), sl.rules.iter().map(|r| &r.authenticate).collect::<Vec<_>>())
    });
    for (place, actions) in listeners.chain(shared) {
        {
            for oidc in actions.into_iter().flatten().filter_map(|a| a.oidc.as_ref()) {
                let source = &oidc.client_secret;
                if let Some(name) = &source.env
                    && std::env::var_os(name).is_none_or(|v| v.is_empty())
                {
                    return Err(format!(
                        "{place}: the OIDC client secret's environment variable `{name}` is not set in this run"
                    ));
                }
                if let Some(file) = &source.file {
                    s.files
                        .resolve(file)
                        .map_err(|e| format!("{place}: the OIDC client secret's file `{file}`: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

fn main_action(a: &Action) -> MainAction {
    let tg_ref = |tg: &str| RefOrId::Ref(Ref::to(Kind::TargetGroup, tg));
    if let Some(f) = &a.forward {
        let groups: Vec<WeightedGroup> = match f {
            Forward::One(tg) => vec![WeightedGroup { target_group: tg_ref(tg), weight: 1 }],
            Forward::Weighted(m) => {
                m.iter().map(|(tg, w)| WeightedGroup { target_group: tg_ref(tg), weight: i64::from(*w) }).collect()
            }
        };
        return MainAction::Forward { target_groups: set_of(groups), stickiness: a.stickiness.map(i64::from) };
    }
    if let Some(r) = &a.redirect {
        let port = match &r.port {
            Some(RedirectPort::Number(n)) => n.to_string(),
            Some(RedirectPort::Text(t)) => t.clone(),
            None => defaults::REDIRECT_PORT.into(),
        };
        return MainAction::Redirect {
            protocol: r.protocol.clone().unwrap_or_else(|| defaults::REDIRECT_PROTOCOL.into()),
            port,
            host: r.host.clone().unwrap_or_else(|| defaults::REDIRECT_HOST.into()),
            path: r.path.clone().unwrap_or_else(|| defaults::REDIRECT_PATH.into()),
            query: r.query.clone().unwrap_or_else(|| defaults::REDIRECT_QUERY.into()),
            status: if r.status == 302 { "HTTP_302" } else { defaults::REDIRECT_STATUS }.into(),
        };
    }
    if let Some(fr) = &a.fixed_response {
        return MainAction::FixedResponse {
            status: fr.status.to_string(),
            content_type: fr.content_type.clone().unwrap_or_else(|| defaults::FIXED_RESPONSE_CONTENT_TYPE.into()),
            body: fr.body.clone().unwrap_or_default(),
        };
    }
    MainAction::Unsupported { r#type: String::new() }
}

fn jwt_validation(j: &crate::stack_format::model::JwtValidation) -> elb::JwtValidation {
    elb::JwtValidation {
        issuer: j.issuer.clone(),
        jwks_endpoint: j.jwks_endpoint.clone(),
        claims: j
            .claims
            .iter()
            .map(|(name, c)| {
                (name.clone(), elb::JwtClaim { format: c.format.as_str().into(), values: set_of(c.values.to_vec()) })
            })
            .collect(),
    }
}

fn rewrite(r: &Rule) -> Option<elb::Rewrite> {
    let rule = |x: &Option<crate::stack_format::model::RewriteRule>| {
        x.as_ref().map(|x| elb::RewriteRule { regex: x.regex.clone(), replace: x.replace.clone() })
    };
    r.rewrite.as_ref().map(|w| elb::Rewrite { host: rule(&w.host), url: rule(&w.url) })
}

/// A rule of the stack as its listener holds it.
fn rule_attrs(s: &Stack, r: &Rule, priority: u32) -> RuleAttrs {
    RuleAttrs {
        priority: Some(i64::from(priority)),
        conditions: conditions(r),
        action: action(s, &r.action()),
        rewrite: rewrite(r),
    }
}

pub fn conditions(r: &Rule) -> Conditions {
    let list = |v: &Option<OneOrMany>| v.as_ref().map(|v| set_of(v.to_vec()));
    let headers = |h: &indexmap::IndexMap<String, OneOrMany>| {
        (!h.is_empty()).then(|| h.iter().map(|(k, v)| (k.to_ascii_lowercase(), set_of(v.to_vec()))).collect())
    };
    Conditions {
        path_regex: list(&r.path_regex),
        host_regex: list(&r.host_regex),
        header_regex: headers(&r.header_regex),
        path: list(&r.path),
        host: list(&r.host),
        header: headers(&r.header),
        query: (!r.query.is_empty())
            .then(|| set_of(r.query.iter().map(|(k, v)| QueryPair { key: k.clone(), value: v.clone() }).collect())),
        source_ip: list(&r.source_ip),
        method: list(&r.method),
    }
}

/// Shield Advanced protection of a load balancer: refused when planning if the account is not
/// subscribed (AWS would refuse CreateProtection at apply).
fn shield_protection(s: &Stack, ctx: &Context, key: &str) -> Result<Desired, String> {
    if ctx.shield_subscribed == Some(false) {
        return Err(format!(
            "load balancer `{key}` asks for Shield Advanced protection (`shield: true`), but the account has no Shield Advanced subscription; subscribe first (AWS Shield console or CreateSubscription), or drop `shield`"
        ));
    }
    let address = Address::new(Kind::ShieldProtection, key);
    let lb = Address::new(Kind::LoadBalancer, key);
    let attrs =
        ShieldProtectionAttrs { load_balancer: Ref(lb.clone()), tags: tag_map(s, &address, &Tags::new()), arn: None };
    Ok(Desired::new(address, names::physical(&s.stack, key, 128), &attrs, Some(lb)))
}

/// The stack's rules on a listener it does not own. A rule without `priority` keeps the one it
/// has (same conditions), else takes the lowest priority no other rule holds; a declared priority
/// another's rule holds is refused here, before anything is sent.
fn shared_rules(s: &Stack, ctx: &Context, key: &str, shared: &SharedListener) -> Result<Desired, String> {
    let state = ctx.shared_listeners.get(key).ok_or_else(|| format!("shared listener `{key}` was not found"))?;
    let mut used: std::collections::BTreeSet<u32> = state.others.iter().copied().collect();
    for p in shared.rules.iter().filter_map(|r| r.priority) {
        if used.contains(&p) {
            return Err(format!(
                "shared listener `{key}`: priority {p} is held by a rule this stack does not own; choose another, or leave `priority` out"
            ));
        }
    }
    used.extend(shared.rules.iter().filter_map(|r| r.priority));
    // Rules that exist keep their priorities first, so a rule added to the list moves no other.
    let mut chosen: Vec<Option<u32>> = shared.rules.iter().map(|r| r.priority).collect();
    for (i, r) in shared.rules.iter().enumerate().filter(|(_, r)| r.priority.is_none()) {
        let conds = conditions(r);
        if let Some((p, _)) = state.ours.iter().find(|(p, c)| *c == conds && !used.contains(p)) {
            chosen[i] = Some(*p);
            used.insert(*p);
        }
    }
    let mut rules = Vec::new();
    let mut auto = Vec::new();
    for (r, priority) in shared.rules.iter().zip(chosen) {
        let priority = match priority {
            Some(p) => p,
            None => {
                let free = (1..=50_000)
                    .find(|p| !used.contains(p))
                    .ok_or_else(|| format!("shared listener `{key}`: no rule priority is free"))?;
                used.insert(free);
                auto.push(i64::from(free));
                free
            }
        };
        rules.push(rule_attrs(s, r, priority));
    }
    rules.sort_by_key(|r| r.priority);
    let attrs = SharedListenerAttrs { listener: state.arn.clone(), rules, rule_arns: None };
    let inputs = SharedListenerInputs { others: state.others.iter().map(|p| i64::from(*p)).collect(), chosen: auto };
    Ok(Desired::new(Address::new(Kind::SharedListener, key), format!("{key} rules"), &attrs, None).with_inputs(inputs))
}

fn listener_rules(s: &Stack, lb_key: &str, key: &str, l: &Listener) -> Desired {
    let listener = Address::new(Kind::Listener, format!("{lb_key}.{key}"));
    let address = Address::new(Kind::ListenerRules, format!("{lb_key}.{key}"));
    let mut rules: Vec<RuleAttrs> =
        l.rules.iter().enumerate().map(|(i, r)| rule_attrs(s, r, r.priority.unwrap_or(10 * (i as u32 + 1)))).collect();
    rules.sort_by_key(|r| r.priority);
    let attrs = ListenerRulesAttrs { listener: Ref(listener.clone()), rules, rule_arns: None };
    Desired::new(address, format!("{lb_key}:{key} rules"), &attrs, Some(listener))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(text: &str) -> Stack {
        let loaded = crate::stack_format::load_str("test.yaml", text, None, &[]);
        assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
        loaded.stack.expect("a stack")
    }

    const SHIELDED: &str = "version: 1\nstack: shop\ntarget_groups:\n  app: {protocol: HTTP, port: 80}\nload_balancers:\n  web:\n    shield: true\n    listeners:\n      http: {port: 80, protocol: HTTP, default_action: {forward: app}}\n";

    #[test]
    fn shield_without_a_subscription_is_refused_when_planning() {
        let s = stack(SHIELDED);
        let ctx = Context { shield_subscribed: Some(false), ..Context::default() };
        let refused = build(&s, &ctx).expect_err("refused");
        assert!(refused.contains("no Shield Advanced subscription"), "{refused}");
        let ctx = Context { shield_subscribed: Some(true), ..Context::default() };
        let built = build(&s, &ctx).expect("built");
        let protection = built.iter().find(|d| d.address.kind == Kind::ShieldProtection).expect("a protection");
        assert_eq!(protection.parent, Some(Address::new(Kind::LoadBalancer, "web")));
    }

    fn shared(rules: &str) -> Stack {
        stack(&format!(
            "version: 1\nstack: shop\ntarget_groups:\n  app: {{protocol: HTTP, port: 80}}\nshared_listeners:\n  edge:\n    load_balancer: platform\n    port: 443\n    rules:\n{rules}"
        ))
    }

    fn priorities(s: &Stack, state: SharedListenerState) -> Result<Vec<u64>, String> {
        let ctx =
            Context { shared_listeners: [("edge".to_string(), state)].into_iter().collect(), ..Context::default() };
        let built = build(s, &ctx)?;
        let rules = built.iter().find(|d| d.address.kind == Kind::SharedListener).expect("the rule set");
        let crate::plan::Attrs::SharedListener(rules) = &rules.attrs else { panic!("a shared listener's attributes") };
        Ok(rules.rules.iter().map(|r| r.priority.expect("a priority") as u64).collect())
    }

    #[test]
    fn shared_rules_take_free_priorities_and_keep_the_ones_they_have() {
        let s = shared(
            "      - {path: /a/*, forward: app}\n      - {path: /b/*, forward: app}\n      - {priority: 9, path: /c/*, forward: app}\n",
        );
        let state = |ours: Vec<(u32, Conditions)>| SharedListenerState {
            arn: "arn:listener".into(),
            others: vec![1, 2, 4],
            ours,
        };
        assert_eq!(priorities(&s, state(vec![])).unwrap(), [3, 5, 9], "around others' 1, 2 and 4, and the declared 9");
        // `/b/*` already holds 7: it keeps it, and `/a/*` takes the lowest free one.
        let b = conditions(&s.shared_listeners["edge"].rules[1]);
        assert_eq!(priorities(&s, state(vec![(7, b)])).unwrap(), [3, 7, 9]);
        let taken = shared("      - {priority: 4, path: /a/*, forward: app}\n");
        assert!(
            priorities(&taken, state(vec![]))
                .unwrap_err()
                .contains("priority 4 is held by a rule this stack does not own")
        );
    }
}
