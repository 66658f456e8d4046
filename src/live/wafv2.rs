//! WAFv2 IP sets and web ACLs the stack owns (regional scope), and which web ACL each owned
//! load balancer uses, normalised like the desired state.

use super::{Clients, err, read_err, skip_gone};
use crate::attrs::wafv2::{
    IpSetAttrs, ManagedGroup, RateLimit, Statement, WafRule, WebAclAssociationAttrs, WebAclAttrs,
};
use crate::attrs::{Ref, RefOrId, TagMap, set_of};
use crate::ownership::names;
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::{Address, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use aws_sdk_wafv2::types::{Rule, Scope};
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// `(name, id)` from `arn:aws:wafv2:REGION:ACCOUNT:regional/ipset/NAME/ID`.
pub fn name_and_id(arn: &str) -> (String, String) {
    let mut parts = arn.rsplit('/');
    let id = parts.next().unwrap_or_default().to_string();
    let name = parts.next().unwrap_or_default().to_string();
    (name, id)
}

/// A WAF resource's tags (one call each), as the attribute structs hold them.
pub async fn tags(clients: &Clients, arn: &str) -> anyhow::Result<TagMap> {
    let out = clients
        .wafv2
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| read_err(&format!("tags of {arn}"), e))?;
    let list = out.tag_info_for_resource().map(|t| t.tag_list()).unwrap_or_default();
    Ok(super::tags_of(list.iter().map(|t| (t.key(), t.value()))))
}

fn owner(stack: &Stack, tags: &TagMap) -> Option<Address> {
    (tags.get(OWNER_STACK_TAG) == Some(&stack.stack)).then_some(())?;
    Address::parse(tags.get(OWNER_ADDRESS_TAG)?)
}

/// `(name, ARN)` of every regional IP set (`ip_sets`) or web ACL, following the markers.
pub async fn list(clients: &Clients, ip_sets: bool) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let (page, next) = if ip_sets {
            let o = clients
                .wafv2
                .list_ip_sets()
                .scope(Scope::Regional)
                .limit(100)
                .set_next_marker(marker.clone())
                .send()
                .await
                .map_err(|e| err("listing IP sets", e))?;
            (
                o.ip_sets()
                    .iter()
                    .filter_map(|s| Some((s.name()?.to_string(), s.arn()?.to_string())))
                    .collect::<Vec<_>>(),
                o.next_marker().map(str::to_string),
            )
        } else {
            let o = clients
                .wafv2
                .list_web_acls()
                .scope(Scope::Regional)
                .limit(100)
                .set_next_marker(marker.clone())
                .send()
                .await
                .map_err(|e| err("listing web ACLs", e))?;
            (
                o.web_acls()
                    .iter()
                    .filter_map(|s| Some((s.name()?.to_string(), s.arn()?.to_string())))
                    .collect::<Vec<_>>(),
                o.next_marker().map(str::to_string),
            )
        };
        out.extend(page);
        // AWS may answer a short page with a marker: only a missing (or repeated) marker ends the list.
        match next {
            Some(m) if !m.is_empty() && marker.as_deref() != Some(m.as_str()) => marker = Some(m),
            _ => return Ok(out),
        }
    }
}

/// Owned IP sets and web ACLs, and foreign ones holding a name the stack would use.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let (set_arns, acl_arns) = tokio::try_join!(list(clients, true), list(clients, false))?;
    // WAF reads tags one resource a call: only those named like the stack's (`<stack>-<key>`;
    // `shop-` also matches `shop-green-`, so tags still decide) are worth a call.
    let prefix = format!("{}-", stack.stack);
    // Names given with `name:` (adopted resources) are the stack's too.
    let given: Vec<&str> = stack
        .ip_sets
        .values()
        .filter_map(|s| s.name.as_deref())
        .chain(stack.web_acls.values().filter_map(|a| a.name.as_deref()))
        .collect();
    let ours = |found: Vec<(String, String)>| -> Vec<String> {
        found
            .into_iter()
            .filter(|(name, _)| name.starts_with(&prefix) || given.contains(&name.as_str()))
            .map(|(_, arn)| arn)
            .collect()
    };
    let (set_arns, acl_arns) = (ours(set_arns), ours(acl_arns));
    let sets = try_join_all(
        set_arns.iter().map(|arn| async move { skip_gone(tags(clients, arn).await.map(|t| (arn.clone(), t))) }),
    );
    let acls = try_join_all(
        acl_arns.iter().map(|arn| async move { skip_gone(tags(clients, arn).await.map(|t| (arn.clone(), t))) }),
    );
    let (sets, acls) = tokio::join!(sets, acls);
    let (sets, acls): (Vec<_>, Vec<_>) = (sets?.into_iter().flatten().collect(), acls?.into_iter().flatten().collect());
    // A name the stack would use, held by a resource without its tags: WAF names are unique per
    // region, so creating ours would fail.
    let mut conflicts = Vec::new();
    let mut adopted: BTreeMap<String, Address> = BTreeMap::new();
    for (kind, found, keys) in [
        (Kind::IpSet, &sets, stack.ip_sets.keys().collect::<Vec<_>>()),
        (Kind::WebAcl, &acls, stack.web_acls.keys().collect()),
    ] {
        for key in keys {
            let wanted = names::given(stack, kind, key);
            if let Some((arn, t)) =
                found.iter().find(|(arn, t)| name_and_id(arn).0 == wanted && owner(stack, t).is_none())
            {
                let address = Address::new(kind, key.as_str());
                let other = t.get(OWNER_STACK_TAG).map(String::as_str);
                if other.is_none() && adopt.wants(&address) {
                    adopted.insert(arn.clone(), address);
                    continue;
                }
                conflicts.push(Conflict {
                    reason: super::ec2::adoptable_reason(other, &address),
                    address,
                    name: wanted,
                    id: arn.clone(),
                });
            }
        }
    }
    let member = |arn: &String, t: &TagMap| owner(stack, t).or_else(|| adopted.get(arn).cloned());
    let owned_sets: Vec<(Address, String, TagMap)> =
        sets.into_iter().filter_map(|(arn, t)| Some((member(&arn, &t)?, arn, t))).collect();
    let owned_acls: Vec<(Address, String, TagMap)> =
        acls.into_iter().filter_map(|(arn, t)| Some((member(&arn, &t)?, arn, t))).collect();
    let set_refs: BTreeMap<String, Address> = owned_sets.iter().map(|(a, arn, _)| (arn.clone(), a.clone())).collect();

    let set_reads = try_join_all(owned_sets.into_iter().map(|(address, arn, tags)| async move {
        let Some(set) = skip_gone(read_ip_set(clients, &arn).await)? else { return anyhow::Ok(None) };
        let name = name_and_id(&arn).0;
        anyhow::Ok(Some(Live { address, id: arn, name, attrs: ip_set_attrs(&set, tags).into() }))
    }));
    let set_refs = &set_refs;
    let acl_reads = try_join_all(owned_acls.into_iter().map(|(address, arn, tags)| async move {
        let (name, id) = name_and_id(&arn);
        let got = clients
            .wafv2
            .get_web_acl()
            .name(&name)
            .id(&id)
            .scope(Scope::Regional)
            .send()
            .await
            .map_err(|e| read_err(&format!("web ACL {name}"), e));
        let Some(out) = skip_gone(got)? else { return anyhow::Ok(None) };
        let acl = out.web_acl().ok_or_else(|| anyhow::anyhow!("web ACL {name} has no body"))?;
        let attrs = web_acl_attrs(acl, tags, set_refs).into();
        anyhow::Ok(Some(Live { address, id: arn, name, attrs }))
    }));
    let (sets, acls) = tokio::join!(set_reads, acl_reads);
    let mut out: Vec<Live> = sets?.into_iter().flatten().collect();
    out.extend(acls?.into_iter().flatten());
    Ok((out, conflicts))
}

/// A regional IP set by ARN; one deleted meanwhile is `Gone`. The plan's read, and import's.
pub async fn read_ip_set(clients: &Clients, arn: &str) -> anyhow::Result<aws_sdk_wafv2::types::IpSet> {
    let (name, id) = name_and_id(arn);
    let out = clients
        .wafv2
        .get_ip_set()
        .name(&name)
        .id(&id)
        .scope(Scope::Regional)
        .send()
        .await
        .map_err(|e| read_err(&format!("IP set {name}"), e))?;
    out.ip_set.ok_or_else(|| anyhow::anyhow!("IP set {name} has no body"))
}

/// An IP set as its struct: the plan's reader, and import's.
pub fn ip_set_attrs(set: &aws_sdk_wafv2::types::IpSet, tags: TagMap) -> IpSetAttrs {
    IpSetAttrs {
        ip_version: set.ip_address_version().as_str().into(),
        addresses: set_of(set.addresses().to_vec()),
        description: set.description().unwrap_or_default().into(),
        tags,
    }
}

/// A web ACL as its struct, its rules by priority and IP sets of the stack as references: the
/// plan's reader, and import's.
pub fn web_acl_attrs(
    acl: &aws_sdk_wafv2::types::WebAcl,
    tags: TagMap,
    set_refs: &BTreeMap<String, Address>,
) -> WebAclAttrs {
    let mut rules: Vec<WafRule> = acl.rules().iter().map(|r| rule(r, set_refs)).collect();
    rules.sort_by_key(|r| r.priority);
    WebAclAttrs {
        default_action: if acl.default_action().and_then(|d| d.block()).is_some() { "block" } else { "allow" }.into(),
        description: acl.description().unwrap_or_default().into(),
        metrics: acl.visibility_config().map(|v| v.cloud_watch_metrics_enabled()).unwrap_or(true),
        rules,
        tags,
    }
}

/// A rule's action as the stack names it.
pub fn action_name(a: &aws_sdk_wafv2::types::RuleAction) -> &'static str {
    if a.allow().is_some() {
        "allow"
    } else if a.count().is_some() {
        "count"
    } else if a.captcha().is_some() {
        "captcha"
    } else if a.challenge().is_some() {
        "challenge"
    } else {
        "block"
    }
}

fn rule(r: &Rule, set_refs: &BTreeMap<String, Address>) -> WafRule {
    let st = r.statement();
    let statement = if let Some(m) = st.and_then(|s| s.managed_rule_group_statement()) {
        let mut excluded: Vec<String> = m.excluded_rules().iter().map(|e| e.name().to_string()).collect();
        excluded.sort();
        Statement::Managed(ManagedGroup {
            vendor: m.vendor_name().into(),
            name: m.name().into(),
            version: m.version().map(str::to_string),
            excluded_rules: excluded,
        })
    } else if let Some(rl) = st.and_then(|s| s.rate_based_statement()) {
        let window = if rl.evaluation_window_sec() == 0 {
            i64::from(crate::defaults::WAF_RATE_WINDOW)
        } else {
            rl.evaluation_window_sec()
        };
        Statement::RateLimit(RateLimit {
            limit: rl.limit(),
            window,
            aggregate: rl.aggregate_key_type().as_str().into(),
        })
    } else if let Some(ip) = st.and_then(|s| s.ip_set_reference_statement()) {
        Statement::IpSet(
            set_refs
                .get(ip.arn())
                .map(|a| RefOrId::Ref(Ref(a.clone())))
                .unwrap_or_else(|| RefOrId::Id(ip.arn().into())),
        )
    } else if let Some(g) = st.and_then(|s| s.geo_match_statement()) {
        let mut codes: Vec<String> = g.country_codes().iter().map(|c| c.as_str().to_string()).collect();
        codes.sort();
        Statement::Geo(codes)
    } else {
        Statement::Unsupported(true)
    };
    WafRule {
        name: r.name().into(),
        priority: i64::from(r.priority()),
        action: r.action().map(action_name).map(str::to_string),
        override_action: r.override_action().map(|o| if o.count().is_some() { "count" } else { "none" }.to_string()),
        statement,
    }
}

/// The web ACL of each owned application load balancer: one association per load balancer.
pub async fn read_associations(
    clients: &Clients,
    lbs: &[(Address, String)],
    acl_refs: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<Live>> {
    let found = try_join_all(lbs.iter().map(|(address, arn)| async move {
        let got = clients
            .wafv2
            .get_web_acl_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| read_err(&format!("web ACL of {arn}"), e));
        let Some(out) = skip_gone(got)? else { return anyhow::Ok(None) };
        let Some(acl_arn) = out.web_acl().map(|w| w.arn().to_string()) else { return anyhow::Ok(None) };
        let web_acl = match acl_refs.get(&acl_arn).and_then(|a| Address::parse(a)) {
            Some(a) => RefOrId::Ref(Ref(a)),
            None => RefOrId::Id(acl_arn),
        };
        Ok(Some(Live {
            address: Address::new(Kind::WebAclAssociation, address.key.clone()),
            id: arn.clone(),
            name: format!("{} web ACL", address.key),
            attrs: WebAclAssociationAttrs { load_balancer: Ref(address.clone()), web_acl }.into(),
        }))
    }))
    .await?;
    Ok(found.into_iter().flatten().collect())
}
