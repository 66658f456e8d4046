//! The VPC and subnets a stack lives in, resolved from `network:` before planning.

use super::{Clients, err};
use crate::plan::desired::Context;
use crate::stack_format::At;
use crate::stack_format::model::{LbType, Stack, Tags, VpcRef};
use aws_sdk_ec2::types::{Filter, Subnet};
use std::collections::BTreeMap;

fn tag_filters(tags: &Tags) -> Vec<Filter> {
    tags.iter().map(|(k, v)| Filter::builder().name(format!("tag:{k}")).values(v).build()).collect()
}

pub async fn resolve(clients: &Clients, stack: &Stack) -> anyhow::Result<Context> {
    let ec2 = &clients.ec2;
    let vpc_id = match &stack.network.vpc {
        None => default_vpc(clients).await?,
        Some(VpcRef::Id(id)) if id == "default" => default_vpc(clients).await?,
        Some(VpcRef::Id(id)) => {
            let out = ec2.describe_vpcs().vpc_ids(id).send().await.map_err(|e| err(&format!("VPC {id}"), e))?;
            out.vpcs()
                .first()
                .and_then(|v| v.vpc_id())
                .ok_or_else(|| At::error("/network/vpc", format!("VPC {id} does not exist in this region")))?
                .to_string()
        }
        Some(VpcRef::Lookup(l)) => {
            let out = ec2
                .describe_vpcs()
                .set_filters(Some(tag_filters(&l.tags)))
                .send()
                .await
                .map_err(|e| err("looking up the VPC", e))?;
            match out.vpcs() {
                [one] => one.vpc_id().unwrap_or_default().to_string(),
                [] => return Err(At::error("/network/vpc", format!("no VPC has the tags {:?}", l.tags))),
                many => {
                    return Err(At::error(
                        "/network/vpc",
                        format!("{} VPCs have the tags {:?}; add a tag that picks one", many.len(), l.tags),
                    ));
                }
            }
        }
    };
    let subnets: Vec<Subnet> = ec2
        .describe_subnets()
        .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing subnets", e))?;
    if subnets.is_empty() {
        anyhow::bail!("VPC {vpc_id} has no subnets");
    }
    let mut groups = BTreeMap::new();
    for (name, group) in &stack.network.subnet_groups {
        let chosen: Vec<&Subnet> = if !group.ids.is_empty() {
            let found: Vec<&Subnet> =
                subnets.iter().filter(|s| group.ids.iter().any(|id| Some(id.as_str()) == s.subnet_id())).collect();
            if let Some(missing) = group.ids.iter().find(|id| !found.iter().any(|s| s.subnet_id() == Some(id.as_str())))
            {
                return Err(At::error(
                    crate::stack_format::values::pointer(&["network", "subnet_groups", name]),
                    format!("subnet group `{name}`: {missing} is not a subnet of {vpc_id}"),
                ));
            }
            found
        } else {
            let tagged =
                |s: &Subnet, k: &str, v: &str| s.tags().iter().any(|t| t.key() == Some(k) && t.value() == Some(v));
            let in_zone = |s: &Subnet, z: &String| {
                s.availability_zone() == Some(z.as_str()) || s.availability_zone_id() == Some(z.as_str())
            };
            let pointer = crate::stack_format::values::pointer(&["network", "subnet_groups", name]);
            // Every zone and name asked for must find a subnet: a typo is an error, not a smaller group.
            for zone in &group.zones {
                if !subnets.iter().any(|s| in_zone(s, zone)) {
                    return Err(At::error(
                        pointer,
                        format!("subnet group `{name}`: {vpc_id} has no subnet in zone {zone}"),
                    ));
                }
            }
            for wanted in &group.names {
                if !subnets.iter().any(|s| tagged(s, "Name", wanted)) {
                    return Err(At::error(
                        pointer,
                        format!("subnet group `{name}`: {vpc_id} has no subnet named `{wanted}`"),
                    ));
                }
            }
            subnets
                .iter()
                .filter(|s| group.tags.iter().all(|(k, v)| tagged(s, k, v)))
                .filter(|s| group.zones.is_empty() || group.zones.iter().any(|z| in_zone(s, z)))
                .filter(|s| group.names.is_empty() || group.names.iter().any(|n| tagged(s, "Name", n)))
                .collect()
        };
        if chosen.is_empty() {
            return Err(At::error(
                crate::stack_format::values::pointer(&["network", "subnet_groups", name]),
                format!("subnet group `{name}` matches no subnet of {vpc_id}"),
            ));
        }
        groups.insert(name.clone(), one_per_zone(&chosen));
    }
    let all: Vec<&Subnet> = subnets.iter().collect();
    let vpc_subnets = one_per_zone(&all);
    // ALB user guide: an application load balancer needs subnets in at least two Availability
    // Zones; the resolved subnets are one per zone, so they count the zones.
    for (key, lb) in stack.load_balancers.iter().filter(|(_, lb)| lb.kind == LbType::Application) {
        let (zones, pointer, whose) = match &lb.subnets {
            Some(group) => (
                groups.get(group).map_or(0, Vec::len),
                crate::stack_format::values::pointer(&["load_balancers", key, "subnets"]),
                format!("subnet group `{group}`"),
            ),
            None => (vpc_subnets.len(), crate::stack_format::values::pointer(&["load_balancers", key]), vpc_id.clone()),
        };
        if zones < 2 {
            return Err(At::error(
                pointer,
                format!(
                    "load balancer `{key}`: an application load balancer needs subnets in two Availability Zones; {whose} has them in {zones}"
                ),
            ));
        }
    }
    Ok(Context { vpc_id, vpc_subnets, subnet_groups: groups, ..Default::default() })
}

async fn default_vpc(clients: &Clients) -> anyhow::Result<String> {
    let out = clients
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .map_err(|e| err("looking up the default VPC", e))?;
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string)
        .ok_or_else(|| At::error("/network", "this region has no default VPC; name one under `network.vpc`"))
}

/// Load balancers take at most one subnet per availability zone: the first by id in each.
fn one_per_zone(subnets: &[&Subnet]) -> Vec<String> {
    let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
    for s in subnets {
        let (Some(zone), Some(id)) = (s.availability_zone(), s.subnet_id()) else { continue };
        let slot = by_zone.entry(zone).or_insert(id);
        if id < *slot {
            *slot = id;
        }
    }
    let mut ids: Vec<String> = by_zone.into_values().map(str::to_string).collect();
    ids.sort();
    ids
}
