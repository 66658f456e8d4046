//! Load balancers, target groups, listeners and rules the stack owns, normalised like the desired
//! state. Tags are read 20 ARNs per call; per-resource reads run concurrently.

use super::ec2::adoptable_reason;
use super::{Clients, err, read_err, skip_gone};
use crate::attrs::elbv2::{
    Authenticate as SignIn, Conditions, HealthCheck, ListenerAction, ListenerAttrs, ListenerRulesAttrs,
    LoadBalancerAttrs, MainAction, MutualAuthentication, QueryPair, RuleAttrs, SharedListenerAttrs, Target,
    TargetGroupAttrs, TrustStoreAttrs, WeightedGroup,
};
use crate::attrs::elbv2::{JwtClaim, JwtValidation, Rewrite, RewriteRule};
use crate::attrs::{AttributeMap, Ref, RefOrId, TagMap, set_of};
use crate::defaults::{self, attributes};
use crate::ownership::names;
use crate::ownership::{ATTRIBUTES_TAG, OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::desired::{tg_attributes, tg_sets_attributes};
use crate::plan::{Address, Attrs, Conflict, Kind, Live};
use crate::stack_format::model::{LbType, Protocol, Stack, TargetType};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Listener, LoadBalancer, Rule, RuleCondition, TagDescription, TargetGroup,
};
use futures_util::future::try_join_all;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub type Tags = BTreeMap<String, String>;

/// The tags of load balancers, target groups, listeners or rules by ARN, twenty at a time.
pub async fn tags_of(clients: &Clients, arns: Vec<String>) -> anyhow::Result<HashMap<String, Tags>> {
    let describe = |chunk: Vec<String>| async move {
        clients
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk))
            .send()
            .await
            .map_err(|e| read_err("reading load balancer tags", e))
    };
    let chunks: Vec<Vec<String>> = arns.chunks(20).map(<[String]>::to_vec).collect();
    let results = try_join_all(chunks.into_iter().map(|chunk| async move {
        match describe(chunk.clone()).await {
            Ok(out) => Ok(vec![out]),
            // One ARN of the batch was deleted since the listing: ask for each on its own.
            Err(e) if e.is::<super::Gone>() => {
                let each =
                    try_join_all(chunk.into_iter().map(|arn| async move { skip_gone(describe(vec![arn]).await) }))
                        .await?;
                Ok(each.into_iter().flatten().collect())
            }
            Err(e) => Err(e),
        }
    }))
    .await?;
    let mut out = HashMap::new();
    for r in results.into_iter().flatten() {
        for TagDescription { resource_arn, tags, .. } in r.tag_descriptions().iter().cloned() {
            let tags: Tags = tags
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                .collect();
            if let Some(arn) = resource_arn {
                out.insert(arn, tags);
            }
        }
    }
    Ok(out)
}

fn tag_map(tags: &Tags) -> TagMap {
    super::tags_of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// What the stack owns (by tag) and which of the names it wants are taken by others.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let lbs_req =
        clients.elbv2.describe_load_balancers().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let tgs_req = clients.elbv2.describe_target_groups().into_paginator().items().send().collect::<Result<Vec<_>, _>>();
    let (lbs, tgs) = tokio::join!(lbs_req, tgs_req);
    let lbs: Vec<LoadBalancer> = lbs.map_err(|e| err("listing load balancers", e))?;
    let tgs: Vec<TargetGroup> = tgs.map_err(|e| err("listing target groups", e))?;
    // Tags only of what may be the stack's: every name lbstack gives starts with the stack's
    // prefix, so the rest of the account costs no tag read.
    let prefix = names::owned_prefix(&stack.stack, 32);
    let want_lb: HashMap<String, &str> =
        stack.load_balancers.keys().map(|k| (names::given(stack, Kind::LoadBalancer, k), k.as_str())).collect();
    let want_tg: HashMap<String, &str> =
        stack.target_groups.keys().map(|k| (names::given(stack, Kind::TargetGroup, k), k.as_str())).collect();
    // Names given with `name:` (adopted resources) are the stack's too.
    let may_own = |name: Option<&str>, wanted: &HashMap<String, &str>| {
        name.is_some_and(|n| n.starts_with(&prefix) || wanted.contains_key(n))
    };
    let arns: Vec<String> = lbs
        .iter()
        .filter(|l| may_own(l.load_balancer_name(), &want_lb))
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .chain(
            tgs.iter()
                .filter(|t| may_own(t.target_group_name(), &want_tg))
                .filter_map(|t| t.target_group_arn().map(str::to_string)),
        )
        .collect();
    let tags = tags_of(clients, arns).await?;
    let owner = |arn: Option<&str>| -> Option<(Address, &Tags)> {
        let t = tags.get(arn?)?;
        (t.get(OWNER_STACK_TAG) == Some(&stack.stack)).then_some(())?;
        Some((Address::parse(t.get(OWNER_ADDRESS_TAG)?)?, t))
    };

    // Conflicts: a name this stack would give, held by something it does not own, unless the
    // plan adopts it (untagged, and asked for): then it is read as the stack's.
    let mut conflicts = Vec::new();
    static NO_TAGS: std::sync::LazyLock<Tags> = std::sync::LazyLock::new(Tags::new);
    let mut adopted: HashMap<String, Address> = HashMap::new();
    let found = lbs
        .iter()
        .map(|l| (Kind::LoadBalancer, l.load_balancer_arn(), l.load_balancer_name(), &want_lb))
        .chain(tgs.iter().map(|t| (Kind::TargetGroup, t.target_group_arn(), t.target_group_name(), &want_tg)));
    for (kind, arn, name, wanted) in found {
        let (None, Some(key)) = (owner(arn), name.and_then(|n| wanted.get(n))) else { continue };
        let address = Address::new(kind, *key);
        let other = arn.and_then(|a| tags.get(a)).and_then(|t| t.get(OWNER_STACK_TAG)).map(String::as_str);
        if other.is_none() && adopt.wants(&address) {
            adopted.insert(arn.unwrap_or_default().to_string(), address);
            continue;
        }
        conflicts.push(Conflict {
            reason: adoptable_reason(other, &address),
            address,
            name: name.unwrap_or_default().into(),
            id: arn.unwrap_or_default().into(),
        });
    }
    let owner = |arn: Option<&str>| -> Option<(Address, &Tags)> {
        owner(arn).or_else(|| Some((adopted.get(arn?)?.clone(), tags.get(arn?).unwrap_or(&NO_TAGS))))
    };

    let owned_tgs: Vec<(Address, &Tags, &TargetGroup)> =
        tgs.iter().filter_map(|t| owner(t.target_group_arn()).map(|(a, tags)| (a, tags, t))).collect();
    let owned_lbs: Vec<(Address, &Tags, &LoadBalancer)> =
        lbs.iter().filter_map(|l| owner(l.load_balancer_arn()).map(|(a, tags)| (a, tags, l))).collect();
    // Owned target group ARNs become references in listener actions.
    let tg_refs: HashMap<String, Address> =
        owned_tgs.iter().map(|(a, _, t)| (t.target_group_arn().unwrap_or_default().to_string(), a.clone())).collect();
    let asg_owned: Vec<&str> =
        stack.autoscaling_groups.values().flat_map(|g| g.target_groups.iter().map(String::as_str)).collect();

    // Reads in proportion to what the stack declares: targets only where it lists them,
    // attributes only where it sets one (or did at the last apply); a group leaving the stack
    // is only deleted, so neither is read.
    let tg_reads = try_join_all(owned_tgs.iter().map(|(address, tags, tg)| {
        let declared = stack.target_groups.get(&address.key).filter(|_| address.kind == Kind::TargetGroup);
        let reads = Reads {
            targets: declared.is_some_and(|d| d.targets.is_some()) && !asg_owned.contains(&address.key.as_str()),
            attributes: match declared {
                Some(d) => tags.contains_key(ATTRIBUTES_TAG) || tg_sets_attributes(d),
                None => false,
            },
            defaults: declared.map(tg_attributes),
        };
        async move { skip_gone(read_target_group(clients, address.clone(), tags, tg, reads).await) }
    }));
    let lb_reads = try_join_all(owned_lbs.iter().map(|(address, tags, lb)| async {
        skip_gone(read_load_balancer(clients, stack, address.clone(), tags, lb, &tg_refs).await)
    }));
    let (tg_live, lb_live) = tokio::join!(tg_reads, lb_reads);
    let mut live: Vec<Live> = tg_live?.into_iter().flatten().collect();
    live.extend(lb_live?.into_iter().flatten().flatten());
    Ok((live, conflicts))
}

/// What a target group's reading needs beyond its description and tags.
pub struct Reads {
    pub targets: bool,
    pub attributes: bool,
    /// The attributes taken as live when they are not read: the defaults the stack declares.
    pub defaults: Option<AttributeMap>,
}

/// A target group as its struct, from its description and tags: the plan's reader, and import's.
pub async fn read_target_group(
    clients: &Clients,
    address: Address,
    tags: &Tags,
    tg: &TargetGroup,
    reads: Reads,
) -> anyhow::Result<Live> {
    let arn = tg.target_group_arn().unwrap_or_default().to_string();
    let attrs_req = async {
        if reads.attributes {
            clients.elbv2.describe_target_group_attributes().target_group_arn(&arn).send().await.map(Some)
        } else {
            Ok(None)
        }
    };
    let health_req = async {
        if reads.targets {
            clients.elbv2.describe_target_health().target_group_arn(&arn).send().await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (attrs_out, health_out) = tokio::join!(attrs_req, health_req);
    let attrs_out = attrs_out.map_err(|e| read_err(&format!("attributes of {arn}"), e))?;
    let target_type = tg.target_type().map(|t| t.as_str().to_ascii_lowercase()).unwrap_or_else(|| "instance".into());
    let lambda = target_type == "lambda";
    let protocol = tg.protocol().map(|p| p.as_str().to_string());
    // Health check, in the desired shape: the path and matcher only for HTTP(S) checks.
    let spec_protocol = protocol.as_deref().and_then(|p| serde_json::from_value::<Protocol>(Value::from(p)).ok());
    let spec_type =
        serde_json::from_value::<TargetType>(Value::from(target_type.as_str())).unwrap_or(TargetType::Instance);
    let defaults = crate::defaults::health_check(spec_protocol, spec_type);
    let mut health_check = HealthCheck { enabled: tg.health_check_enabled().unwrap_or(true), ..HealthCheck::default() };
    if spec_type != TargetType::Lambda || tg.health_check_enabled() == Some(true) {
        let hc_proto = tg.health_check_protocol().map(|p| p.as_str().to_string()).or(defaults.protocol);
        let http_check = matches!(hc_proto.as_deref(), Some("HTTP" | "HTTPS"));
        health_check = HealthCheck {
            protocol: hc_proto,
            path: http_check.then(|| tg.health_check_path().unwrap_or("/").to_string()),
            port: Some(tg.health_check_port().unwrap_or("traffic-port").to_string()),
            interval: tg.health_check_interval_seconds().map(i64::from).or(defaults.interval),
            timeout: tg.health_check_timeout_seconds().map(i64::from).or(defaults.timeout),
            healthy_threshold: tg.healthy_threshold_count().map(i64::from),
            unhealthy_threshold: tg.unhealthy_threshold_count().map(i64::from),
            matcher: http_check
                .then(|| tg.matcher().and_then(|m| m.http_code().or(m.grpc_code())).unwrap_or("200").to_string()),
            ..health_check
        };
    }
    let mut attributes: AttributeMap = match &attrs_out {
        Some(out) => out
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value().unwrap_or_default().to_string())))
            .collect(),
        None => reads.defaults.unwrap_or_default(),
    };
    for a in attributes::TARGET_GROUP {
        if let Some(default) = a.default {
            attributes.entry(a.key.to_string()).or_insert_with(|| default.to_string());
        }
    }
    let targets = health_out.map_err(|e| read_err(&format!("targets of {arn}"), e))?.map(|health| {
        set_of(
            health
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target())
                .map(|t| Target {
                    id: t.id().unwrap_or_default().to_string(),
                    port: t.port().map(i64::from),
                    availability_zone: t.availability_zone().map(str::to_string),
                })
                .collect(),
        )
    });
    let attrs = TargetGroupAttrs {
        protocol: if lambda { None } else { protocol.clone() },
        port: if lambda { None } else { tg.port().map(i64::from) },
        vpc: if lambda { None } else { tg.vpc_id().map(str::to_string) },
        protocol_version: matches!(protocol.as_deref(), Some("HTTP" | "HTTPS"))
            .then(|| tg.protocol_version().unwrap_or("HTTP1").to_string()),
        target_type,
        health_check,
        attributes,
        targets,
        tags: tag_map(tags),
    };
    Ok(Live { address, id: arn, name: tg.target_group_name().unwrap_or_default().to_string(), attrs: attrs.into() })
}

/// A load balancer as its struct, from its description, its attributes as AWS answers them (the
/// ones it leaves out take their defaults) and its tags: the plan's reader, and import's.
pub fn load_balancer_attrs(lb: &LoadBalancer, mut attributes: AttributeMap, tags: TagMap) -> LoadBalancerAttrs {
    // The emulator reports NLB/GWLB ARNs as `app/`: trust the Type field, never the ARN.
    let kind = lb.r#type().map(|t| t.as_str().to_string()).unwrap_or_else(|| "application".into());
    let gateway = kind == "gateway";
    for a in attributes::LOAD_BALANCER {
        if let Some(default) = a.default {
            attributes.entry(a.key.to_string()).or_insert_with(|| default.to_string());
        }
    }
    LoadBalancerAttrs {
        // AWS always reports the scheme; an endpoint that leaves it out means the default.
        scheme: (!gateway).then(|| lb.scheme().map_or("internet-facing", |s| s.as_str()).to_string()),
        subnets: set_of(lb.availability_zones().iter().filter_map(|z| z.subnet_id()).map(str::to_string).collect()),
        addresses: {
            let found: BTreeMap<String, crate::attrs::elbv2::SubnetAddress> = lb
                .availability_zones()
                .iter()
                .filter_map(|z| {
                    let a = z.load_balancer_addresses().first()?;
                    let address = crate::attrs::elbv2::SubnetAddress {
                        elastic_ip: a.allocation_id().map(str::to_string),
                        private_ipv4: a.private_ipv4_address().map(str::to_string),
                        ipv6: a.ipv6_address().map(str::to_string),
                    };
                    Some((z.subnet_id()?.to_string(), address))
                })
                .collect();
            (!found.is_empty()).then_some(found)
        },
        security_groups: (!gateway)
            .then(|| set_of(lb.security_groups().iter().map(|g| RefOrId::Id(g.clone())).collect())),
        privatelink_inbound_rules: lb
            .enforce_security_group_inbound_rules_on_private_link_traffic()
            .map(str::to_string),
        ip_address_type: lb.ip_address_type().map(|t| t.as_str()).unwrap_or("ipv4").into(),
        attributes,
        tags,
        dns_name: lb.dns_name().map(str::to_string),
        canonical_zone: lb.canonical_hosted_zone_id().map(str::to_string),
        r#type: kind,
    }
}

async fn read_load_balancer(
    clients: &Clients,
    stack: &Stack,
    address: Address,
    tags: &Tags,
    lb: &LoadBalancer,
    tg_refs: &HashMap<String, Address>,
) -> anyhow::Result<Vec<Live>> {
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let (attrs_out, listeners_out) = tokio::join!(
        clients.elbv2.describe_load_balancer_attributes().load_balancer_arn(&arn).send(),
        clients
            .elbv2
            .describe_listeners()
            .load_balancer_arn(&arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
    );
    let attrs_out = attrs_out.map_err(|e| read_err(&format!("attributes of {arn}"), e))?;
    let listeners: Vec<Listener> = listeners_out.map_err(|e| read_err(&format!("listeners of {arn}"), e))?;
    let pairs = attrs_out
        .attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value().unwrap_or_default().to_string())));
    let m = load_balancer_attrs(lb, pairs.collect(), tag_map(tags));
    let kind = m.r#type.clone();
    let mut out = vec![Live {
        address: address.clone(),
        id: arn.clone(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        attrs: m.into(),
    }];

    // Listeners are known by their address tag (so a port change is an update); listeners without
    // one (made by earlier versions) are matched by port (gateway load balancers have one listener).
    let arns: Vec<String> = listeners.iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
    let mut tagged: HashMap<String, String> = HashMap::new();
    // The digest of the OIDC client secret each listener was last sent (`plan::secrets`).
    let mut secrets: HashMap<String, String> = HashMap::new();
    for chunk in arns.chunks(20) {
        let out = clients
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| read_err("listener tags", e))?;
        for d in out.tag_descriptions() {
            let tag = |k: &str| d.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value());
            if let (Some(arn), Some(digest)) = (d.resource_arn(), tag(crate::ownership::CLIENT_SECRET_TAG)) {
                secrets.insert(arn.to_string(), digest.to_string());
            }
            let prefix = format!("listener.{}.", address.key);
            if tag(OWNER_STACK_TAG) == Some(stack.stack.as_str())
                && let (Some(arn), Some(key)) =
                    (d.resource_arn(), tag(OWNER_ADDRESS_TAG).and_then(|a| a.strip_prefix(&prefix)))
            {
                tagged.insert(arn.to_string(), key.to_string());
            }
        }
    }
    let spec_lb = stack.load_balancers.get(&address.key);
    let listener_reads = listeners.iter().map(|l| {
        let by_tag = l.listener_arn().and_then(|arn| tagged.get(arn)).cloned();
        let key =
            by_tag.unwrap_or_else(|| {
                spec_lb
                    .and_then(|slb| {
                        slb.listeners
                            .iter()
                            .filter(|(k, _)| !tagged.values().any(|t| t == *k))
                            .find(|(_, sl)| {
                                if slb.kind == LbType::Gateway { true } else { sl.port.map(|p| p as i32) == l.port() }
                            })
                            .map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| format!("port-{}", l.port().unwrap_or(0)))
            });
        // Attributes are read where the stack manages them (a network TCP listener's idle timeout,
        // or keys the stack sets), not for every listener.
        let with_attributes = spec_lb
            .and_then(|slb| slb.listeners.get(&key).map(|sl| crate::plan::desired::listener_has_attributes(slb, sl)))
            .unwrap_or(false);
        let (address, kind) = (&address, &kind);
        let secret = l.listener_arn().and_then(|arn| secrets.get(arn)).cloned();
        let found = FoundListener { key, with_attributes, secret };
        async move { skip_gone(read_listener(clients, address, kind, l, tg_refs, found).await) }
    });
    for lives in try_join_all(listener_reads).await?.into_iter().flatten() {
        out.extend(lives);
    }
    Ok(out)
}

/// What the load balancer's read learned about one of its listeners before reading it.
struct FoundListener {
    /// The stack's key for the listener (from its tag, its port, or `port-N`).
    key: String,
    /// Whether the stack manages attributes of this listener, so they are worth a call.
    with_attributes: bool,
    /// The digest of the sign-in client secret recorded in the listener's tags.
    secret: Option<String>,
}

async fn read_listener(
    clients: &Clients,
    lb: &Address,
    lb_kind: &str,
    l: &Listener,
    tg_refs: &HashMap<String, Address>,
    found: FoundListener,
) -> anyhow::Result<Vec<Live>> {
    let FoundListener { key, with_attributes, secret } = found;
    let arn = l.listener_arn().unwrap_or_default().to_string();
    let ListenerReads { certificates, rules, attributes } =
        listener_reads(clients, l, lb_kind, with_attributes).await?;
    let address = Address::new(Kind::Listener, format!("{}.{key}", lb.key));
    let mut m = listener_attrs(lb, lb_kind, l, &certificates, attributes.as_deref(), tg_refs);
    m.default_action = with_secret(m.default_action, secret);
    let mut out = vec![Live {
        address: address.clone(),
        id: arn.clone(),
        name: format!("{}:{}", lb.key, l.port().map_or("geneve".into(), |p| p.to_string())),
        attrs: m.into(),
    }];
    if let Some(rules) = rules.filter(|r| r.iter().any(|r| r.is_default() != Some(true))) {
        // Rules that sign users in with OIDC: the digest of the secret each was last sent.
        let oidc: Vec<String> = rules
            .iter()
            .filter(|r| r.actions().iter().any(|a| a.authenticate_oidc_config().is_some()))
            .filter_map(|r| r.rule_arn().map(str::to_string))
            .collect();
        let secrets = if oidc.is_empty() { HashMap::new() } else { tags_of(clients, oidc).await? };
        let secret_of = |r: &Rule| {
            r.rule_arn().and_then(|a| secrets.get(a)).and_then(|t| t.get(crate::ownership::CLIENT_SECRET_TAG)).cloned()
        };
        let mut list: Vec<RuleAttrs> = rules
            .iter()
            .filter(|r| r.is_default() != Some(true))
            .map(|r| {
                let read = rule_attrs(r, tg_refs);
                RuleAttrs { action: with_secret(read.action, secret_of(r)), ..read }
            })
            .collect();
        list.sort_by_key(|r| r.priority);
        let attrs =
            ListenerRulesAttrs { listener: Ref(address.clone()), rules: list, rule_arns: Some(rule_arns(&rules)) };
        out.push(Live {
            address: Address::new(Kind::ListenerRules, address.key.clone()),
            id: arn,
            name: format!("{} rules", out[0].name),
            attrs: attrs.into(),
        });
    }
    Ok(out)
}

/// What a listener has beside its description, each a call of its own: a TLS listener's
/// certificates, an application listener's rules (the default one included), and its attributes
/// where asked. Every list follows every page; a listener gone meanwhile is `Gone`.
pub struct ListenerReads {
    pub certificates: Vec<aws_sdk_elasticloadbalancingv2::types::Certificate>,
    pub rules: Option<Vec<Rule>>,
    pub attributes: Option<Vec<aws_sdk_elasticloadbalancingv2::types::ListenerAttribute>>,
}

/// The reads of `ListenerReads`, at once: the plan's and import's.
pub async fn listener_reads(
    clients: &Clients,
    l: &Listener,
    lb_kind: &str,
    with_attributes: bool,
) -> anyhow::Result<ListenerReads> {
    let arn = l.listener_arn().unwrap_or_default();
    let tls = l.protocol().is_some_and(|p| matches!(p.as_str(), "HTTPS" | "TLS"));
    let certificates = async {
        if !tls {
            return Ok(Vec::new());
        }
        clients
            .elbv2
            .describe_listener_certificates()
            .listener_arn(arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
    };
    let rules = async {
        if lb_kind != "application" {
            return Ok(None);
        }
        // AWS and the emulator page rules at 50 by default.
        clients
            .elbv2
            .describe_rules()
            .listener_arn(arn)
            .page_size(400)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Rule>, _>>()
            .await
            .map(Some)
    };
    let attributes = async {
        if !with_attributes {
            return Ok(None);
        }
        clients
            .elbv2
            .describe_listener_attributes()
            .listener_arn(arn)
            .send()
            .await
            .map(|out| Some(out.attributes.unwrap_or_default()))
    };
    let (certificates, rules, attributes) = tokio::join!(certificates, rules, attributes);
    Ok(ListenerReads {
        certificates: certificates.map_err(|e| read_err(&format!("certificates of {arn}"), e))?,
        rules: rules.map_err(|e| read_err(&format!("rules of {arn}"), e))?,
        attributes: attributes.map_err(|e| read_err(&format!("attributes of {arn}"), e))?,
    })
}

/// A listener as its struct, from its description, its certificates (TLS listeners) and its
/// attributes (where read): the plan's reader, and import's.
pub fn listener_attrs(
    lb: &Address,
    lb_kind: &str,
    l: &Listener,
    certificates: &[aws_sdk_elasticloadbalancingv2::types::Certificate],
    attributes: Option<&[aws_sdk_elasticloadbalancingv2::types::ListenerAttribute]>,
    tg_refs: &HashMap<String, Address>,
) -> ListenerAttrs {
    let protocol = l.protocol().map(|p| p.as_str().to_string());
    let tls = matches!(protocol.as_deref(), Some("HTTPS" | "TLS"));
    let gateway = lb_kind == "gateway";
    let default = l.certificates().first().and_then(|c| c.certificate_arn()).map(str::to_string);
    let extra: Vec<RefOrId> = certificates
        .iter()
        .filter(|c| c.is_default() != Some(true))
        .filter_map(|c| c.certificate_arn())
        .filter(|a| Some(*a) != default.as_deref())
        .map(|a| RefOrId::Id(a.to_string()))
        .collect();
    // An endpoint that leaves mutual TLS out means off, as AWS reports it.
    let mtls = l.mutual_authentication();
    let mutual_authentication = match mtls.and_then(|x| x.mode()).unwrap_or("off") {
        "verify" => MutualAuthentication {
            mode: "verify".into(),
            trust_store: mtls.and_then(|x| x.trust_store_arn()).map(|a| RefOrId::Id(a.to_string())),
            ignore_expiry: Some(mtls.and_then(|x| x.ignore_client_certificate_expiry()).unwrap_or(false)),
        },
        mode => MutualAuthentication { mode: mode.into(), trust_store: None, ignore_expiry: None },
    };
    let attributes = attributes.map(|read| {
        let mut map: AttributeMap = read
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value().unwrap_or_default().to_string())))
            .collect();
        for a in attributes::LISTENER {
            if let Some(default) = a.default {
                map.entry(a.key.to_string()).or_insert_with(|| default.to_string());
            }
        }
        map
    });
    ListenerAttrs {
        load_balancer: Ref(lb.clone()),
        port: if gateway { None } else { l.port().map(i64::from) },
        protocol: if gateway { None } else { protocol.clone() },
        ssl_policy: if tls { l.ssl_policy().map(str::to_string) } else { None },
        certificate: if tls { default.map(RefOrId::Id) } else { None },
        extra_certificates: tls.then(|| set_of(extra)),
        alpn_policy: (protocol.as_deref() == Some("TLS"))
            .then(|| l.alpn_policy().first().map(String::as_str).unwrap_or("None").to_string()),
        mutual_authentication: (protocol.as_deref() == Some("HTTPS")).then_some(mutual_authentication),
        default_action: actions(l.default_actions(), tg_refs),
        attributes,
    }
}

/// An action read from AWS with the digest of the OIDC client secret it was last sent.
fn with_secret(mut action: ListenerAction, digest: Option<String>) -> ListenerAction {
    if let Some(a) = action.authenticate.as_mut().filter(|a| a.r#type == "authenticate-oidc") {
        a.client_secret_digest = digest;
    }
    action
}

/// Rule ARNs by priority, for apply to modify and delete them.
fn rule_arns<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> IndexMap<String, String> {
    rules
        .into_iter()
        .filter(|r| r.is_default() != Some(true))
        .filter_map(|r| Some((r.priority()?.to_string(), r.rule_arn()?.to_string())))
        .collect()
}

/// A rule as its struct: the plan's reader, and import's. What the struct has no field for is
/// named by `left_out`.
pub fn rule_attrs(r: &Rule, tg_refs: &HashMap<String, Address>) -> RuleAttrs {
    RuleAttrs {
        priority: r.priority().and_then(|p| p.parse::<i64>().ok()),
        conditions: conditions(r.conditions()),
        action: actions(r.actions(), tg_refs),
        rewrite: rewrite(r.transforms()),
    }
}

/// What of a rule `rule_attrs` leaves out because the stack format has no words for it: a
/// condition or transform type newer than lbstack, a query-string value without a key.
pub fn left_out(r: &Rule) -> Vec<String> {
    use aws_sdk_elasticloadbalancingv2::types::TransformTypeEnum;
    let mut out = Vec::new();
    for c in r.conditions() {
        match c.field().unwrap_or_default() {
            "path-pattern" | "host-header" | "http-header" | "source-ip" | "http-request-method" => {}
            "query-string" => {
                let pairs = c.query_string_config().map(|q| q.values()).unwrap_or_default();
                if pairs.iter().any(|p| p.key().is_none_or(str::is_empty)) {
                    out.push("a query-string condition on a value without a key".to_string());
                }
            }
            other => out.push(format!("condition `{other}`")),
        }
    }
    for t in r.transforms() {
        match t.r#type() {
            Some(TransformTypeEnum::HostHeaderRewrite | TransformTypeEnum::UrlRewrite) => {}
            other => out.push(format!("transform `{}`", other.map_or("", |t| t.as_str()))),
        }
    }
    out
}

/// A rule's transforms as the stack writes them: one rewrite each of the host and the URL.
fn rewrite(transforms: &[aws_sdk_elasticloadbalancingv2::types::RuleTransform]) -> Option<Rewrite> {
    use aws_sdk_elasticloadbalancingv2::types::TransformTypeEnum;
    let first = |rewrites: &[aws_sdk_elasticloadbalancingv2::types::RewriteConfig]| {
        rewrites.first().map(|r| RewriteRule {
            regex: r.regex().unwrap_or_default().to_string(),
            replace: r.replace().unwrap_or_default().to_string(),
        })
    };
    let mut out = Rewrite::default();
    for t in transforms {
        match t.r#type() {
            Some(TransformTypeEnum::HostHeaderRewrite) => {
                out.host = t.host_header_rewrite_config().and_then(|c| first(c.rewrites()))
            }
            Some(TransformTypeEnum::UrlRewrite) => out.url = t.url_rewrite_config().and_then(|c| first(c.rewrites())),
            _ => {}
        }
    }
    (out != Rewrite::default()).then_some(out)
}

fn conditions(conds: &[RuleCondition]) -> Conditions {
    let mut out = Conditions::default();
    let values = |c: &RuleCondition, nested: Option<&[String]>| -> Option<Vec<String>> {
        Some(set_of(nested.filter(|n| !n.is_empty()).unwrap_or(c.values()).to_vec()))
    };
    for c in conds {
        match c.field().unwrap_or_default() {
            // A condition matches by patterns or, with RegexValues, by regular expressions.
            "path-pattern" => match c.path_pattern_config().map(|p| p.regex_values()).filter(|r| !r.is_empty()) {
                Some(regex) => out.path_regex = Some(set_of(regex.to_vec())),
                None => out.path = values(c, c.path_pattern_config().map(|p| p.values())),
            },
            "host-header" => match c.host_header_config().map(|p| p.regex_values()).filter(|r| !r.is_empty()) {
                Some(regex) => out.host_regex = Some(set_of(regex.to_vec())),
                None => out.host = values(c, c.host_header_config().map(|p| p.values())),
            },
            "http-header" => {
                if let Some(h) = c.http_header_config() {
                    let name = h.http_header_name().unwrap_or_default().to_ascii_lowercase();
                    match h.regex_values() {
                        [] => out.header.get_or_insert_default().insert(name, set_of(h.values().to_vec())),
                        regex => out.header_regex.get_or_insert_default().insert(name, set_of(regex.to_vec())),
                    };
                }
            }
            "query-string" => {
                let pairs = c
                    .query_string_config()
                    .map(|q| {
                        q.values()
                            .iter()
                            .map(|kv| QueryPair {
                                key: kv.key().unwrap_or_default().into(),
                                value: kv.value().unwrap_or_default().into(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.query = Some(set_of(pairs));
            }
            "source-ip" => out.source_ip = values(c, c.source_ip_config().map(|p| p.values())),
            "http-request-method" => out.method = values(c, c.http_request_method_config().map(|p| p.values())),
            _ => {}
        }
    }
    out
}

fn tg_value(arn: &str, tg_refs: &HashMap<String, Address>) -> RefOrId {
    tg_refs.get(arn).map(|a| RefOrId::Ref(Ref(a.clone()))).unwrap_or_else(|| RefOrId::Id(arn.to_string()))
}

/// A listener's or rule's actions as the stack writes them: the final action, with the sign-in
/// that comes before it.
pub fn actions(list: &[Action], tg_refs: &HashMap<String, Address>) -> ListenerAction {
    let is_auth = |a: &Action| {
        matches!(
            a.r#type(),
            Some(
                ActionTypeEnum::AuthenticateOidc | ActionTypeEnum::AuthenticateCognito | ActionTypeEnum::JwtValidation
            )
        )
    };
    let mut ordered: Vec<&Action> = list.iter().collect();
    ordered.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    ListenerAction {
        main: action(ordered.iter().find(|a| !is_auth(a)).copied(), tg_refs),
        authenticate: ordered.iter().find(|a| is_auth(a)).and_then(|a| authenticate(a)),
        jwt: ordered.iter().find_map(|a| a.jwt_validation_config()).map(jwt_validation),
    }
}

fn jwt_validation(j: &aws_sdk_elasticloadbalancingv2::types::JwtValidationActionConfig) -> JwtValidation {
    JwtValidation {
        issuer: j.issuer().unwrap_or_default().to_string(),
        jwks_endpoint: j.jwks_endpoint().unwrap_or_default().to_string(),
        claims: j
            .additional_claims()
            .iter()
            .map(|c| {
                (
                    c.name().unwrap_or_default().to_string(),
                    JwtClaim {
                        format: c.format().map_or(defaults::JWT_CLAIM_FORMAT, |f| f.as_str()).to_string(),
                        values: set_of(c.values().to_vec()),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect(),
    }
}

fn authenticate(a: &Action) -> Option<SignIn> {
    let params = |p: Option<&HashMap<String, String>>| -> IndexMap<String, String> {
        p.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>().into_iter().collect()
    };
    let text = |s: Option<&str>| s.map(str::to_string);
    let default =
        |k: &str| crate::defaults::AUTH_DEFAULTS.iter().find(|(key, _)| *key == k).map_or("", |(_, v)| *v).to_string();
    let settings =
        |scope: Option<&str>, cookie: Option<&str>, timeout: Option<i64>, unauthenticated: Option<&str>, extra| {
            SignIn::session(
                text(scope).unwrap_or_else(|| default("scope")),
                text(cookie).unwrap_or_else(|| default("session_cookie")),
                timeout.unwrap_or(i64::from(crate::defaults::AUTH_SESSION_TIMEOUT)),
                text(unauthenticated).unwrap_or_else(|| default("on_unauthenticated")),
                extra,
            )
        };
    if let Some(o) = a.authenticate_oidc_config() {
        let unauthenticated = o.on_unauthenticated_request().map(|u| u.as_str());
        return Some(SignIn {
            r#type: "authenticate-oidc".into(),
            issuer: text(o.issuer()),
            authorization_endpoint: text(o.authorization_endpoint()),
            token_endpoint: text(o.token_endpoint()),
            user_info_endpoint: text(o.user_info_endpoint()),
            client_id: text(o.client_id()),
            ..settings(
                o.scope(),
                o.session_cookie_name(),
                o.session_timeout(),
                unauthenticated,
                params(o.authentication_request_extra_params()),
            )
        });
    }
    let c = a.authenticate_cognito_config()?;
    let unauthenticated = c.on_unauthenticated_request().map(|u| u.as_str());
    Some(SignIn {
        r#type: "authenticate-cognito".into(),
        user_pool: text(c.user_pool_arn()),
        client_id: text(c.user_pool_client_id()),
        domain: text(c.user_pool_domain()),
        ..settings(
            c.scope(),
            c.session_cookie_name(),
            c.session_timeout(),
            unauthenticated,
            params(c.authentication_request_extra_params()),
        )
    })
}

pub fn action(a: Option<&Action>, tg_refs: &HashMap<String, Address>) -> MainAction {
    let Some(a) = a else { return MainAction::Unsupported { r#type: String::new() } };
    match a.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let mut groups: Vec<WeightedGroup> = a
                .forward_config()
                .map(|f| {
                    f.target_groups()
                        .iter()
                        .filter_map(|t| {
                            Some(WeightedGroup {
                                target_group: tg_value(t.target_group_arn()?, tg_refs),
                                weight: i64::from(t.weight().unwrap_or(1)),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if groups.is_empty()
                && let Some(arn) = a.target_group_arn()
            {
                groups.push(WeightedGroup { target_group: tg_value(arn, tg_refs), weight: 1 });
            }
            let stickiness = a
                .forward_config()
                .and_then(|f| f.target_group_stickiness_config())
                .filter(|s| s.enabled() == Some(true))
                .and_then(|s| s.duration_seconds());
            MainAction::Forward { target_groups: set_of(groups), stickiness: stickiness.map(i64::from) }
        }
        Some(ActionTypeEnum::Redirect) => {
            let r = a.redirect_config();
            let text = |v: Option<&str>, default: &str| v.unwrap_or(default).to_string();
            MainAction::Redirect {
                protocol: text(r.and_then(|r| r.protocol()), defaults::REDIRECT_PROTOCOL),
                port: text(r.and_then(|r| r.port()), defaults::REDIRECT_PORT),
                host: text(r.and_then(|r| r.host()), defaults::REDIRECT_HOST),
                path: text(r.and_then(|r| r.path()), defaults::REDIRECT_PATH),
                query: text(r.and_then(|r| r.query()), defaults::REDIRECT_QUERY),
                status: r
                    .and_then(|r| r.status_code())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| defaults::REDIRECT_STATUS.into()),
            }
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let f = a.fixed_response_config();
            MainAction::FixedResponse {
                status: f.and_then(|f| f.status_code()).unwrap_or("200").into(),
                content_type: f.and_then(|f| f.content_type()).unwrap_or(defaults::FIXED_RESPONSE_CONTENT_TYPE).into(),
                body: f.and_then(|f| f.message_body()).unwrap_or("").into(),
            }
        }
        other => MainAction::Unsupported { r#type: other.map(|t| t.as_str().to_string()).unwrap_or_default() },
    }
}

/// Ids of the stack's own resources (group ids, certificate and trust store ARNs) by which a
/// load balancer or listener names them, with the address each stands for.
#[derive(Default)]
pub struct OwnedIds {
    pub security_groups: BTreeMap<String, Address>,
    pub certificates: BTreeMap<String, Address>,
    pub trust_stores: BTreeMap<String, Address>,
}

/// An id of one of the stack's own resources as a reference (done once they are all known).
fn linked(r: &RefOrId, ids: &BTreeMap<String, Address>) -> RefOrId {
    match r {
        RefOrId::Id(id) => ids.get(id).map_or_else(|| r.clone(), |a| RefOrId::Ref(Ref(a.clone()))),
        RefOrId::Ref(_) => r.clone(),
    }
}

/// A load balancer's security groups, and a listener's certificates and trust store, as
/// references where the stack owns them.
pub fn link(live: &mut Live, owned: &OwnedIds) {
    match &mut live.attrs {
        Attrs::LoadBalancer(a) => {
            if let Some(groups) = &mut a.security_groups {
                *groups = set_of(groups.iter().map(|g| linked(g, &owned.security_groups)).collect());
            }
        }
        Attrs::Listener(a) => {
            a.certificate = a.certificate.as_ref().map(|c| linked(c, &owned.certificates));
            if let Some(extra) = &mut a.extra_certificates {
                *extra = set_of(extra.iter().map(|c| linked(c, &owned.certificates)).collect());
            }
            if let Some(store) = a.mutual_authentication.as_mut().and_then(|m| m.trust_store.as_mut()) {
                *store = linked(store, &owned.trust_stores);
            }
        }
        _ => {}
    }
}

/// Every rule of a listener, default included, in AWS's largest pages; `doing` names the read in
/// an error.
pub async fn rules_of(clients: &Clients, listener: &str, doing: &str) -> anyhow::Result<Vec<Rule>> {
    clients
        .elbv2
        .describe_rules()
        .listener_arn(listener)
        .page_size(400)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<Rule>, _>>()
        .await
        .map_err(|e| err(doing, e))
}

/// The listeners of `shared_listeners`, found by ARN or by load balancer name and port: the
/// rules tagged as this entry's are the stack's (one rule set per entry); every other rule is
/// someone else's, and only its priority is kept, so the plan never takes one.
pub async fn read_shared(
    clients: &Clients,
    stack: &Stack,
    tg_refs: &HashMap<String, Address>,
) -> anyhow::Result<(std::collections::BTreeMap<String, crate::plan::desired::SharedListenerState>, Vec<Live>)> {
    let reads = try_join_all(stack.shared_listeners.iter().map(|(key, shared)| async move {
        let arn = shared_listener_arn(clients, key, shared).await?;
        let rules = rules_of(clients, &arn, &format!("reading the rules of shared listener `{key}`")).await?;
        let rules: Vec<Rule> = rules.into_iter().filter(|r| r.is_default() != Some(true)).collect();
        let tags = tags_of(clients, rules.iter().filter_map(|r| r.rule_arn().map(str::to_string)).collect()).await?;
        let address = Address::new(Kind::SharedListener, key);
        let own = address.to_string();
        let (ours, others): (Vec<&Rule>, Vec<&Rule>) = rules.iter().partition(|r| {
            let t = r.rule_arn().and_then(|a| tags.get(a));
            t.is_some_and(|t| t.get(OWNER_STACK_TAG) == Some(&stack.stack) && t.get(OWNER_ADDRESS_TAG) == Some(&own))
        });
        let priority = |r: &Rule| r.priority().and_then(|p| p.parse::<u32>().ok());
        let secret_of = |r: &Rule| {
            r.rule_arn().and_then(|a| tags.get(a)).and_then(|t| t.get(crate::ownership::CLIENT_SECRET_TAG)).cloned()
        };
        let mut list: Vec<RuleAttrs> = ours
            .iter()
            .map(|r| {
                let read = rule_attrs(r, tg_refs);
                RuleAttrs { action: with_secret(read.action, secret_of(r)), ..read }
            })
            .collect();
        list.sort_by_key(|r| r.priority);
        let state = crate::plan::desired::SharedListenerState {
            arn: arn.clone(),
            others: others.iter().filter_map(|r| priority(r)).collect(),
            ours: ours.iter().filter_map(|r| Some((priority(r)?, conditions(r.conditions())))).collect(),
        };
        let live = (!ours.is_empty()).then(|| {
            let attrs = SharedListenerAttrs {
                listener: arn.clone(),
                rules: list,
                rule_arns: Some(rule_arns(ours.iter().copied())),
            };
            Live { address, id: arn.clone(), name: format!("{key} rules"), attrs: attrs.into() }
        });
        anyhow::Ok((key.clone(), state, live))
    }))
    .await?;
    let mut states = std::collections::BTreeMap::new();
    let mut live = Vec::new();
    for (key, state, found) in reads {
        states.insert(key, state);
        live.extend(found);
    }
    Ok((states, live))
}

async fn shared_listener_arn(
    clients: &Clients,
    key: &str,
    shared: &crate::stack_format::model::SharedListener,
) -> anyhow::Result<String> {
    let missing = |what: String| anyhow::anyhow!("shared listener `{key}`: {what}");
    let published = match (&shared.from_stack, &shared.output) {
        (Some(other), Some(output)) => {
            let outputs =
                super::outputs::published_outputs(clients, other).await.map_err(|e| missing(format!("{e:#}")))?;
            let value = outputs
                .get(output)
                .and_then(Value::as_str)
                .ok_or_else(|| missing(format!("stack `{other}` publishes no output `{output}`")))?;
            if !value.contains(":listener/") {
                return Err(missing(format!("output `{output}` of stack `{other}` is not a listener ARN")));
            }
            Some(value.to_string())
        }
        _ => None,
    };
    if let Some(arn) = published.as_ref().or(shared.listener.as_ref()) {
        let found = clients.elbv2.describe_listeners().listener_arns(arn).send().await;
        return match found {
            Ok(out) if !out.listeners().is_empty() => Ok(arn.clone()),
            Ok(_) => Err(missing(format!("no listener has the ARN {arn}"))),
            Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound => {
                Err(missing(format!("no listener has the ARN {arn}")))
            }
            Err(e) => Err(err(&format!("reading shared listener `{key}`"), e)),
        };
    }
    let (Some(name), Some(port)) = (&shared.load_balancer, shared.port) else {
        return Err(missing("no `listener`, nor `load_balancer` and `port`".into()));
    };
    let lbs = match clients.elbv2.describe_load_balancers().names(name).send().await {
        Ok(out) => out.load_balancers().to_vec(),
        Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound => Vec::new(),
        Err(e) => return Err(err(&format!("reading the load balancer of shared listener `{key}`"), e)),
    };
    let lb = lbs.first().ok_or_else(|| missing(format!("no load balancer is named `{name}`")))?;
    if lb.r#type().is_some_and(|t| t.as_str() != "application") {
        return Err(missing(format!(
            "`{name}` is a {} load balancer; only application load balancers have rules",
            lb.r#type().map_or("", |t| t.as_str())
        )));
    }
    let listeners = clients
        .elbv2
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<Listener>, _>>()
        .await
        .map_err(|e| err(&format!("reading the listeners of `{name}`"), e))?;
    listeners
        .iter()
        .find(|l| l.port() == Some(port as i32))
        .and_then(|l| l.listener_arn().map(str::to_string))
        .ok_or_else(|| missing(format!("`{name}` has no listener on port {port}")))
}

/// Owned trust stores: listed, tags read for those named like the stack's (or every one when the
/// stack declares trust stores: they have no other name to go by).
pub async fn read_trust_stores(clients: &Clients, stack: &Stack) -> anyhow::Result<Vec<Live>> {
    let listed =
        clients.elbv2.describe_trust_stores().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    let stores = match listed {
        Ok(stores) => stores,
        // A stack that declares none reads them only to find ones it left behind: an endpoint
        // without trust stores (some emulators), or a role not allowed to list them, has none.
        Err(e) if stack.trust_stores.is_empty() && crate::live::optional_read_refused(&e) => return Ok(Vec::new()),
        Err(e) => return Err(err("listing trust stores", e)),
    };
    let prefix = names::owned_prefix(&stack.stack, 32);
    let candidates: Vec<&aws_sdk_elasticloadbalancingv2::types::TrustStore> =
        stores.iter().filter(|t| t.name().is_some_and(|n| n.starts_with(&prefix))).collect();
    let tags =
        tags_of(clients, candidates.iter().filter_map(|t| t.trust_store_arn().map(str::to_string)).collect()).await?;
    let mut out = Vec::new();
    for t in candidates {
        let arn = t.trust_store_arn().unwrap_or_default();
        let Some(tags) = tags.get(arn) else { continue };
        if tags.get(OWNER_STACK_TAG) != Some(&stack.stack) {
            continue;
        }
        let Some(address) =
            tags.get(OWNER_ADDRESS_TAG).and_then(|a| Address::parse(a)).filter(|a| a.kind == Kind::TrustStore)
        else {
            continue;
        };
        let attrs =
            TrustStoreAttrs { bundle: tags.get(crate::ownership::BUNDLE_TAG).cloned(), tags: tag_map(tags) }.into();
        out.push(Live { address, id: arn.to_string(), name: t.name().unwrap_or_default().to_string(), attrs });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{
        QueryStringConditionConfig, QueryStringKeyValuePair, RuleTransform, TransformTypeEnum,
    };

    #[test]
    fn what_the_rule_struct_cannot_hold_is_named() {
        let query = |key: Option<&str>| {
            let pair = QueryStringKeyValuePair::builder().set_key(key.map(str::to_string)).value("v").build();
            RuleCondition::builder()
                .field("query-string")
                .query_string_config(QueryStringConditionConfig::builder().values(pair).build())
                .build()
        };
        let plain = Rule::builder().priority("1").conditions(query(Some("k"))).build();
        assert_eq!(left_out(&plain), Vec::<String>::new());
        assert_eq!(rule_attrs(&plain, &HashMap::new()).conditions.query.map(|q| q.len()), Some(1));

        let odd = Rule::builder()
            .priority("2")
            .conditions(query(None))
            .conditions(RuleCondition::builder().field("tls-version").values("1.3").build())
            .transforms(RuleTransform::builder().r#type(TransformTypeEnum::from("header-insert")).build())
            .build();
        assert_eq!(
            left_out(&odd),
            [
                "a query-string condition on a value without a key",
                "condition `tls-version`",
                "transform `header-insert`",
            ]
        );
    }
}
