//! Security groups the stack owns (found by tag, server-side filter), normalised like the desired state.

use super::{Clients, err};
use crate::attrs::ec2::{Permission, SecurityGroupAttrs};
use crate::attrs::{Ref, RefOrId, TagMap, set_of};
use crate::ownership::names;
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::desired::Context;
use crate::plan::{Address, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use aws_sdk_ec2::types::{Filter, IpPermission, SecurityGroup, Tag};
use std::collections::BTreeMap;

pub fn tags_of(tags: &[Tag]) -> TagMap {
    super::tags_of(tags.iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))))
}

pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

/// The id of each security group the stack looks up: one group of the stack's VPC by name or by
/// tags (none, or several, stop the plan at the lookup).
pub async fn look_up_groups(
    clients: &Clients,
    stack: &Stack,
    vpc_id: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let lookups = stack.security_groups.iter().filter_map(|(k, g)| Some((k, g.lookup.as_ref()?)));
    let found = futures_util::future::try_join_all(lookups.map(|(key, l)| async move {
        let mut req =
            clients.ec2.describe_security_groups().filters(Filter::builder().name("vpc-id").values(vpc_id).build());
        if let Some(name) = &l.name {
            req = req.filters(Filter::builder().name("group-name").values(name).build());
        }
        for (k, v) in &l.tags {
            req = req.filters(Filter::builder().name(format!("tag:{k}")).values(v).build());
        }
        let groups = req
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err(&format!("looking up security group `{key}`"), e))?;
        let at = crate::stack_format::values::pointer(&["security_groups", key, "lookup"]);
        match groups.as_slice() {
            [one] => Ok((key.clone(), one.group_id().unwrap_or_default().to_string())),
            [] => Err(crate::stack_format::At::error(
                at,
                format!("security group `{key}`: no group of {vpc_id} matches the lookup"),
            )),
            many => Err(crate::stack_format::At::error(
                at,
                format!(
                    "security group `{key}`: {} groups of {vpc_id} match the lookup; add a tag that picks one",
                    many.len()
                ),
            )),
        }
    }))
    .await?;
    Ok(found.into_iter().collect())
}

pub async fn read_security_groups(
    clients: &Clients,
    stack: &Stack,
    ctx: &Context,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let owned_req = clients
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name(format!("tag:{OWNER_STACK_TAG}")).values(&stack.stack).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>();
    let wanted: BTreeMap<String, &str> = stack
        .security_groups
        .iter()
        .filter(|(_, g)| g.lookup.is_none())
        .map(|(k, _)| (names::given(stack, Kind::SecurityGroup, k), k.as_str()))
        .collect();
    let named_req = async {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        clients
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").set_values(Some(wanted.keys().cloned().collect())).build())
            .filters(Filter::builder().name("vpc-id").values(&ctx.vpc_id).build())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
    };
    let (owned, named) = tokio::join!(owned_req, named_req);
    let owned: Vec<SecurityGroup> = owned.map_err(|e| err("listing security groups", e))?;
    let named = named.map_err(|e| err("looking up security group names", e))?;

    // The stack's groups: tagged as its own, or untagged and adopted.
    let mut members: Vec<(Address, &SecurityGroup)> =
        owned.iter().filter_map(|g| Some((tag(g.tags(), OWNER_ADDRESS_TAG).and_then(Address::parse)?, g))).collect();
    let (adopted, conflicts) = super::claim(stack, Kind::SecurityGroup, &wanted, adopt, &named, |g| super::Found {
        name: g.group_name().unwrap_or_default(),
        id: g.group_id().unwrap_or_default(),
        stack: tag(g.tags(), OWNER_STACK_TAG),
    });
    members.extend(adopted);
    let ids: BTreeMap<String, Address> =
        members.iter().filter_map(|(a, g)| Some((g.group_id()?.to_string(), a.clone()))).collect();
    let mut live = Vec::new();
    for (address, g) in members {
        let attrs = SecurityGroupAttrs {
            description: g.description().unwrap_or_default().to_string(),
            vpc: g.vpc_id().unwrap_or_default().to_string(),
            ingress: permissions(g.ip_permissions(), &ids),
            egress: permissions(g.ip_permissions_egress(), &ids),
            tags: tags_of(g.tags()),
            arn: security_group_arn(clients, g),
        }
        .into();
        live.push(Live {
            address,
            id: g.group_id().unwrap_or_default().to_string(),
            name: g.group_name().unwrap_or_default().to_string(),
            attrs,
        });
    }
    Ok((live, conflicts))
}

pub fn foreign_reason(owner: Option<&str>) -> String {
    match owner {
        Some(other) => format!("belongs to lbstack stack `{other}`"),
        None => "exists without lbstack ownership tags".into(),
    }
}

/// `foreign_reason` for a kind a plan can adopt: says how.
pub fn adoptable_reason(owner: Option<&str>, address: &Address) -> String {
    match owner {
        Some(_) => foreign_reason(owner),
        None => format!("exists without lbstack ownership tags; `--adopt {address}` takes it over"),
    }
}

/// AWS groups sources under one permission; lbstack compares one entry per (ports, source).
/// Groups in `owned` become references; others keep their id.
pub fn permissions(perms: &[IpPermission], owned: &BTreeMap<String, Address>) -> Vec<Permission> {
    let mut out = Vec::new();
    for p in perms {
        let proto = match p.ip_protocol().unwrap_or("-1") {
            "-1" | "all" => "all",
            "6" => "tcp",
            "17" => "udp",
            "1" => "icmp",
            other => other,
        };
        let (from, to) = match proto {
            "all" => (0, 65535),
            _ => (p.from_port().unwrap_or(0) as i64, p.to_port().unwrap_or(65535) as i64),
        };
        for r in p.ip_ranges() {
            out.push(Permission::new(
                proto,
                from,
                to,
                RefOrId::Id(format!("cidr:{}", r.cidr_ip().unwrap_or_default())),
                r.description().unwrap_or_default(),
            ));
        }
        for r in p.ipv6_ranges() {
            let source = RefOrId::Id(format!("cidr6:{}", r.cidr_ipv6().unwrap_or_default()));
            out.push(Permission::new(proto, from, to, source, r.description().unwrap_or_default()));
        }
        for g in p.user_id_group_pairs() {
            let id = g.group_id().unwrap_or_default();
            let source =
                owned.get(id).map(|a| RefOrId::Ref(Ref(a.clone()))).unwrap_or_else(|| RefOrId::Id(id.to_string()));
            out.push(Permission::new(proto, from, to, source, g.description().unwrap_or_default()));
        }
    }
    set_of(out)
}

/// A group's ARN: as EC2 returns it, or built from its owner, the region and its id where an
/// endpoint leaves it out.
fn security_group_arn(clients: &Clients, g: &SecurityGroup) -> Option<String> {
    if let Some(arn) = g.security_group_arn() {
        return Some(arn.to_string());
    }
    let region = clients.ec2.config().region()?.to_string();
    let partition = crate::stack_format::validate::partition_of(&region);
    Some(format!("arn:{partition}:ec2:{region}:{}:security-group/{}", g.owner_id()?, g.group_id()?))
}
