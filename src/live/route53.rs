//! Route 53 records the stack owns. Records carry no tags: each hosted zone holds one TXT index
//! per stack, `_lbstack-<stack>.<zone>`, listing the records the stack created there. A record
//! at a declared name that the index does not list belongs to someone else.

use super::{Clients, err, read_err, skip_gone};
use crate::attrs::route53::{RawAlias, RawRecord, RecordAttrs};
use crate::attrs::{Ref, RefOrId};
use crate::ownership::fqdn;
use crate::plan::{Address, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use aws_sdk_route53::types::{AliasTarget, HostedZone, ResourceRecord, ResourceRecordSet, RrType};
use futures_util::StreamExt;
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// One owned record as listed in a zone's index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexEntry {
    pub address: String,
    pub name: String,
    pub kind: String,
    pub set: Option<String>,
}

impl IndexEntry {
    pub fn to_txt(&self) -> String {
        format!(
            "\"address={} name={} type={} set={}\"",
            self.address,
            self.name,
            self.kind,
            self.set.as_deref().unwrap_or("-")
        )
    }
    fn parse(txt: &str) -> Option<IndexEntry> {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for part in txt.trim_matches('"').split_whitespace() {
            let (k, v) = part.split_once('=')?;
            fields.insert(k, v);
        }
        Some(IndexEntry {
            address: fields.get("address")?.to_string(),
            name: fields.get("name")?.to_string(),
            kind: fields.get("type")?.to_string(),
            set: fields.get("set").filter(|s| **s != "-").map(|s| s.to_string()),
        })
    }
}

pub fn index_name(stack: &str, zone_name: &str) -> String {
    format!("_lbstack-{}.{}", stack.to_ascii_lowercase(), fqdn(zone_name))
}

/// The stack's index in one zone: its entries and the TXT record as it is (for an exact DELETE).
pub async fn read_index(
    clients: &Clients,
    zone_id: &str,
    zone_name: &str,
    stack: &str,
) -> anyhow::Result<(Vec<IndexEntry>, Option<ResourceRecordSet>)> {
    let name = index_name(stack, zone_name);
    let out = clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(&name)
        .start_record_type(RrType::Txt)
        .max_items(1)
        .send()
        .await
        .map_err(|e| read_err(&format!("reading the lbstack index in {zone_name}"), e));
    // A zone deleted since it was listed holds no index.
    let Some(out) = skip_gone(out)? else { return Ok((Vec::new(), None)) };
    let Some(set) =
        out.resource_record_sets().iter().find(|r| r.name().eq_ignore_ascii_case(&name) && r.r#type() == &RrType::Txt)
    else {
        return Ok((Vec::new(), None));
    };
    let entries = set.resource_records().iter().filter_map(|r| IndexEntry::parse(r.value())).collect();
    Ok((entries, Some(set.clone())))
}

pub(crate) async fn record_sets(
    clients: &Clients,
    zone_id: &str,
    name: &str,
    kind: &str,
) -> anyhow::Result<Vec<ResourceRecordSet>> {
    let out = clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(name)
        .start_record_type(RrType::from(kind))
        .max_items(100)
        .send()
        .await
        .map_err(|e| read_err(&format!("reading {name}"), e));
    let Some(out) = skip_gone(out)? else { return Ok(Vec::new()) };
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|r| r.name().eq_ignore_ascii_case(name) && r.r#type().as_str() == kind)
        .cloned()
        .collect())
}

fn zone_key(z: &HostedZone) -> (String, String) {
    (z.id().trim_start_matches("/hostedzone/").to_string(), fqdn(z.name()))
}

/// What the stack's records are in the account: owned records, names held by others, and the
/// hosted zones the stack names that do not exist (`what -> zone`).
pub struct Records {
    pub live: Vec<Live>,
    pub conflicts: Vec<Conflict>,
    pub missing_zones: BTreeMap<String, String>,
}

/// Owned records and conflicts. `lb_dns`: owned load balancers' DNS names → addresses.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    lb_dns: &BTreeMap<String, String>,
    adopt: &super::Adopt,
) -> anyhow::Result<Records> {
    let zones: Vec<HostedZone> = clients
        .route53
        .list_hosted_zones()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing hosted zones", e))?;
    let known = |zone: &str| zones.iter().map(zone_key).any(|(id, name)| id == zone || name == fqdn(zone));
    let named = stack.records.iter().map(|(key, r)| (format!("record `{key}`"), r.zone.clone())).chain(
        stack.certificates.iter().filter(|(_, c)| c.domain.is_some()).filter_map(|(key, c)| {
            Some((format!("certificate `{key}` (validation_zone)"), c.validation_zone.clone()?))
        }),
    );
    let missing_zones = named.filter(|(_, zone)| !known(zone)).collect();
    // Every zone's index (one call each, 16 at a time): records removed from the file are found too.
    let indexes: Vec<anyhow::Result<(String, String, Vec<IndexEntry>)>> =
        futures_util::stream::iter(zones.iter().map(zone_key))
            .map(|(id, name)| async move {
                let (entries, _) = read_index(clients, &id, &name, &stack.stack).await?;
                Ok((id, name, entries))
            })
            .buffer_unordered(16)
            .collect()
            .await;
    let mut owned_entries: Vec<(String, String, IndexEntry)> = Vec::new();
    for i in indexes {
        let (id, name, entries) = i?;
        owned_entries.extend(entries.into_iter().map(|e| (id.clone(), name.clone(), e)));
    }
    let zone_of = |zone: &str| -> Option<(String, String)> {
        zones.iter().map(zone_key).find(|(id, name)| id == zone || *name == fqdn(zone))
    };
    // Owned records, all read at once.
    let owned = try_join_all(owned_entries.iter().map(|(zone_id, zone_name, e)| async move {
        let sets = record_sets(clients, zone_id, &e.name, &e.kind).await?;
        let (Some(set), Some(address)) =
            (sets.iter().find(|r| r.set_identifier() == e.set.as_deref()), Address::parse(&e.address))
        else {
            return anyhow::Ok(None);
        };
        let id = format!("{zone_id}|{}|{}|{}", e.name, e.kind, e.set.as_deref().unwrap_or(""));
        Ok(Some(Live { address, id, name: e.name.clone(), attrs: record_attrs(zone_name, set, lb_dns, true).into() }))
    }));
    // Declared records at a name that exists but is not in this stack's index are someone else's.
    let foreign = try_join_all(stack.records.iter().filter_map(|(key, r)| {
        let (zone_id, zone_name) = zone_of(&r.zone)?;
        let (name, kind, set) = (fqdn(&r.name), r.kind.as_str(), r.set_identifier_for(&stack.stack));
        let ours =
            owned_entries.iter().any(|(z, _, e)| *z == zone_id && e.name == name && e.kind == kind && e.set == set);
        (!ours).then_some(async move {
            let existing = record_sets(clients, &zone_id, &name, kind).await?;
            // A weighted record only collides with the same set identifier; a simple one with any.
            let Some(found) = existing.iter().find(|x| set.is_none() || x.set_identifier() == set.as_deref()) else {
                return anyhow::Ok(None);
            };
            let address = Address::new(Kind::Record, key);
            // Adopted when asked, unless another stack's index lists it: it joins this stack's
            // index at apply (`indexed` goes from false to true).
            if adopt.wants(&address)
                && !listed_by_another_stack(clients, &zone_id, &zone_name, &stack.stack, &name, kind).await?
            {
                let id = format!("{zone_id}|{name}|{kind}|{}", set.as_deref().unwrap_or(""));
                return Ok(Some(Err(Live {
                    address,
                    id,
                    name: name.clone(),
                    attrs: record_attrs(&zone_name, found, lb_dns, false).into(),
                })));
            }
            let reason = "a record with this name and type exists and is not in this stack's lbstack index".into();
            Ok(Some(Ok(Conflict { address, name, id: zone_id, reason })))
        })
    }));
    let (owned, foreign) = tokio::join!(owned, foreign);
    let mut live: Vec<Live> = owned?.into_iter().flatten().collect();
    let mut conflicts = Vec::new();
    for found in foreign?.into_iter().flatten() {
        match found {
            Ok(conflict) => conflicts.push(conflict),
            Err(adopted) => live.push(adopted),
        }
    }
    Ok(Records { live, conflicts, missing_zones })
}

/// Whether the lbstack index of another stack in the zone lists the record (read only when a
/// record is to be adopted).
async fn listed_by_another_stack(
    clients: &Clients,
    zone_id: &str,
    zone_name: &str,
    stack: &str,
    name: &str,
    kind: &str,
) -> anyhow::Result<bool> {
    let own = index_name(stack, zone_name);
    Ok(indexed_records(clients, zone_id, zone_name)
        .await?
        .into_iter()
        .any(|(index, e)| !index.eq_ignore_ascii_case(&own) && e.name == name && e.kind == kind))
}

/// Every record some stack's lbstack index lists in the zone (its `_lbstack-*` TXT records), with
/// the index's name.
pub(crate) async fn indexed_records(
    clients: &Clients,
    zone_id: &str,
    zone_name: &str,
) -> anyhow::Result<Vec<(String, IndexEntry)>> {
    let start = format!("_lbstack-.{}", fqdn(zone_name));
    let out = clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(&start)
        .start_record_type(RrType::Txt)
        .max_items(300)
        .send()
        .await
        .map_err(|e| err(&format!("reading the lbstack indexes in {zone_name}"), e))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|r| r.r#type() == &RrType::Txt && r.name().starts_with("_lbstack-"))
        .flat_map(|r| {
            r.resource_records().iter().filter_map(|v| IndexEntry::parse(v.value())).map(|e| (r.name().to_string(), e))
        })
        .collect())
}

/// A record set as its struct: its target a load balancer of `lb_dns` (by DNS name, without a
/// trailing dot or `dualstack.`) as a reference, else the DNS name. The plan's reader, and import's.
pub fn record_attrs(
    zone_name: &str,
    set: &ResourceRecordSet,
    lb_dns: &BTreeMap<String, String>,
    indexed: bool,
) -> RecordAttrs {
    let target = |dns: &str| -> RefOrId {
        let key = dns.trim_end_matches('.').to_ascii_lowercase();
        let key = key.strip_prefix("dualstack.").unwrap_or(&key).to_string();
        match lb_dns.get(&key).and_then(|a| Address::parse(a)) {
            Some(a) => RefOrId::Ref(Ref(a)),
            None => RefOrId::Id(key),
        }
    };
    let alias = set.alias_target();
    RecordAttrs {
        zone: zone_name.into(),
        name: fqdn(set.name()),
        r#type: set.r#type().as_str().into(),
        target: match alias {
            Some(alias) => target(alias.dns_name()),
            None => target(set.resource_records().first().map(|r| r.value()).unwrap_or_default()),
        },
        ttl: if alias.is_none() { set.ttl() } else { None },
        evaluate_target_health: alias.map(|a| a.evaluate_target_health()),
        weight: set.weight(),
        set_identifier: set.set_identifier().map(str::to_string),
        indexed,
        raw: Some(RawRecord {
            ttl: set.ttl(),
            values: set.resource_records().iter().map(|r| r.value().to_string()).collect(),
            alias: alias.map(|a| RawAlias {
                zone: a.hosted_zone_id().into(),
                dns: a.dns_name().into(),
                evaluate: a.evaluate_target_health(),
            }),
        }),
    }
}

/// The id of a public hosted zone by name (a private one of the same name when there is no
/// public one); an id is returned as it is.
pub async fn hosted_zone_id(clients: &Clients, zone: &str) -> anyhow::Result<String> {
    if crate::ownership::is_zone_id(zone) {
        return Ok(zone.to_string());
    }
    let want = fqdn(zone);
    let out = clients
        .route53
        .list_hosted_zones_by_name()
        .dns_name(&want)
        .send()
        .await
        .map_err(|e| err(&format!("looking up zone {zone}"), e))?;
    out.hosted_zones()
        .iter()
        .find(|z| z.name().to_ascii_lowercase() == want && !z.config().is_some_and(|c| c.private_zone()))
        .or_else(|| out.hosted_zones().iter().find(|z| z.name().to_ascii_lowercase() == want))
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
        .ok_or_else(|| anyhow::anyhow!("no Route 53 hosted zone named {zone}"))
}

/// A record set as Route 53 takes it: an alias, or values with a TTL.
pub fn rrset(
    name: &str,
    kind: &str,
    set: Option<&str>,
    weight: Option<i64>,
    ttl: Option<i64>,
    values: &[String],
    alias: Option<(String, String, bool)>,
) -> anyhow::Result<ResourceRecordSet> {
    let mut b = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::from(kind))
        .set_set_identifier(set.map(str::to_string))
        .set_weight(weight);
    match alias {
        Some((zone, dns, evaluate)) => {
            b = b.alias_target(
                AliasTarget::builder().hosted_zone_id(zone).dns_name(dns).evaluate_target_health(evaluate).build()?,
            )
        }
        None => {
            b = b.set_ttl(ttl);
            for v in values {
                b = b.resource_records(ResourceRecord::builder().value(v).build()?);
            }
        }
    }
    Ok(b.build()?)
}
