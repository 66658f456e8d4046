//! Route 53 records. Every write changes the record and the stack's index in the zone in one
//! change batch, so a crash never leaves a record without its ownership entry. The index is
//! replaced with an exact DELETE of what was read: if another writer changed it meanwhile the
//! batch fails and is retried on the fresh index. Writes to one zone go one at a time.

use super::StepContext;
use crate::attrs::route53::RecordAttrs;
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::live::route53::{IndexEntry, hosted_zone_id, index_name, read_index, rrset};
use crate::ownership::fqdn;
use crate::plan::Change;
use crate::retry::{self, Backoff};
use aws_sdk_route53::types::{Change as DnsChange, ChangeAction, ChangeBatch, ResourceRecordSet};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A lock per hosted zone, shared by the steps of one run: their writes to a zone go one at a
/// time, so they do not refuse each other's index edits (another process's writes are met by
/// the retry on a refused batch).
pub type ZoneLocks = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

fn zone_lock(sc: &StepContext, zone_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    sc.zone_locks.lock().expect("zone locks").entry(zone_id.to_string()).or_default().clone()
}

/// `(zone id, zone name with trailing dot)` from either.
async fn resolve_zone(sc: &StepContext, zone: &str) -> anyhow::Result<(String, String)> {
    if crate::ownership::is_zone_id(zone) {
        let out =
            sc.clients.route53.get_hosted_zone().id(zone).send().await.map_err(|e| err(&format!("zone {zone}"), e))?;
        let name = out.hosted_zone().map(|z| fqdn(z.name())).unwrap_or_default();
        return Ok((zone.to_string(), name));
    }
    Ok((hosted_zone_id(&sc.clients, zone).await?, fqdn(zone)))
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> anyhow::Result<DnsChange> {
    Ok(DnsChange::builder().action(action).resource_record_set(set).build()?)
}

/// The record the stack wants, pointing at its load balancer as it is now.
async fn desired_set(sc: &StepContext, a: &RecordAttrs) -> anyhow::Result<ResourceRecordSet> {
    let lb_arn = sc.ids.id_of(&a.target)?;
    let out = sc
        .clients
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send()
        .await
        .map_err(|e| err("reading the record's load balancer", e))?;
    let lb = out.load_balancers().first().ok_or_else(|| anyhow::anyhow!("load balancer {lb_arn} not found"))?;
    let dns = lb.dns_name().unwrap_or_default().to_string();
    let alias = (a.r#type != "CNAME").then(|| {
        (
            lb.canonical_hosted_zone_id().unwrap_or_default().to_string(),
            dns.clone(),
            a.evaluate_target_health.unwrap_or(true),
        )
    });
    rrset(&a.name, &a.r#type, a.set_identifier.as_deref(), a.weight, a.ttl, &[dns], alias)
}

fn entry(c: &Change, a: &RecordAttrs) -> IndexEntry {
    IndexEntry {
        address: c.address.to_string(),
        name: a.name.clone(),
        kind: a.r#type.clone(),
        set: a.set_identifier.clone(),
    }
}

/// The same record: name, type, set identifier, weight, TTL, values and alias target.
fn same_record(a: &ResourceRecordSet, b: &ResourceRecordSet) -> bool {
    let name = |r: &ResourceRecordSet| fqdn(r.name());
    let values = |r: &ResourceRecordSet| {
        let mut v: Vec<String> = r.resource_records().iter().map(|x| x.value().to_string()).collect();
        v.sort();
        v
    };
    let alias = |r: &ResourceRecordSet| {
        r.alias_target().map(|t| (t.hosted_zone_id().to_string(), fqdn(t.dns_name()), t.evaluate_target_health()))
    };
    name(a) == name(b)
        && a.r#type() == b.r#type()
        && a.set_identifier() == b.set_identifier()
        && a.weight() == b.weight()
        && a.ttl() == b.ttl()
        && values(a) == values(b)
        && alias(a) == alias(b)
}

/// Which record changes are still to do, after a batch was refused: a CREATE whose record is
/// there as wanted, or a DELETE whose record is gone, was done by an attempt whose answer was
/// lost. A CREATE that meets a different record is someone else's.
async fn still_to_do(sc: &StepContext, zone_id: &str, changes: &[DnsChange]) -> anyhow::Result<Vec<DnsChange>> {
    let mut out = Vec::new();
    for ch in changes {
        let want = ch.resource_record_set().expect("changes carry a record");
        let found =
            crate::live::route53::record_sets(&sc.clients, zone_id, &fqdn(want.name()), want.r#type().as_str()).await?;
        let existing = found.iter().find(|r| r.set_identifier() == want.set_identifier());
        match (ch.action(), existing) {
            (ChangeAction::Create, Some(r)) if same_record(r, want) => {}
            (ChangeAction::Create, Some(_)) => {
                anyhow::bail!(
                    "{} {} exists with other values and is not this stack's; run plan again",
                    want.name(),
                    want.r#type().as_str()
                )
            }
            (ChangeAction::Delete, None) => {}
            _ => out.push(ch.clone()),
        }
    }
    Ok(out)
}

/// Submit `record_changes` with the index edited by `edit`, in one batch.
async fn write(
    sc: &StepContext,
    zone: &str,
    record_changes: Vec<DnsChange>,
    edit: impl Fn(&mut Vec<IndexEntry>),
) -> anyhow::Result<()> {
    let (zone_id, zone_name) = resolve_zone(sc, zone).await?;
    let lock = zone_lock(sc, &zone_id);
    let _guard = lock.lock().await;
    let refused = std::sync::atomic::AtomicBool::new(false);
    let attempt = || async {
        let (entries, current) = read_index(&sc.clients, &zone_id, &zone_name, &sc.stack).await?;
        let mut wanted = entries.clone();
        edit(&mut wanted);
        wanted.sort();
        wanted.dedup();
        // After a refusal, what the batch asked may be done already (its answer was lost) or the
        // index may have moved under another writer: both show in a fresh read.
        let mut changes = if refused.load(std::sync::atomic::Ordering::SeqCst) {
            still_to_do(sc, &zone_id, &record_changes).await?
        } else {
            record_changes.clone()
        };
        if wanted != entries {
            if let Some(current) = current {
                changes.push(change(ChangeAction::Delete, current)?);
            }
            if !wanted.is_empty() {
                let values: Vec<String> = wanted.iter().map(IndexEntry::to_txt).collect();
                changes.push(change(
                    ChangeAction::Create,
                    rrset(&index_name(&sc.stack, &zone_name), "TXT", None, None, Some(300), &values, None)?,
                )?);
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        let batch =
            ChangeBatch::builder().set_changes(Some(changes)).comment(format!("lbstack stack {}", sc.stack)).build()?;
        let sent =
            sc.clients.route53.change_resource_record_sets().hosted_zone_id(&zone_id).change_batch(batch).send().await;
        if sent.as_ref().is_err_and(|e| matches!(class_of(e), Class::Conflict | Class::Invalid)) {
            refused.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        sent.map(|_| ()).map_err(|e| err(&format!("changing records in {zone_name}"), e))
    };
    // InvalidChangeBatch (the emulator: InvalidInput) when the index or a record moved: read
    // again, a few times (a refusal for a reason of its own stays refused).
    let retries = std::sync::atomic::AtomicU32::new(0);
    let passing = |e: &anyhow::Error| {
        retry::is(&[Class::Conflict, Class::Invalid])(e)
            && retries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 4
    };
    retry::retry(Backoff::RACE, attempt, passing).await
}

pub async fn create_record(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<RecordAttrs>()?;
    let set = desired_set(sc, &a).await?;
    let e = entry(c, &a);
    // CREATE, not UPSERT: a record that appeared since the plan is not ours to overwrite.
    write(sc, &a.zone, vec![change(ChangeAction::Create, set)?], move |entries| entries.push(e.clone())).await?;
    sc.ids.set(&c.address, format!("{}|{}", a.zone, a.name));
    Ok(())
}

pub async fn update_record(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<RecordAttrs>()?;
    // An adopted record joins the index; its values are written only when they change.
    let adopting = c.before_as::<RecordAttrs>()?.is_some_and(|b| !b.indexed);
    let records = if c.diffs.iter().any(|d| d.path != "indexed") {
        vec![change(ChangeAction::Upsert, desired_set(sc, &a).await?)?]
    } else {
        Vec::new()
    };
    let e = entry(c, &a);
    write(sc, &a.zone, records, move |entries| {
        if adopting {
            entries.push(e.clone());
        }
    })
    .await
}

/// Take a record out of the stack's index without touching the record (`forget`).
pub async fn leave_index(sc: &StepContext, zone: &str, address: &str) -> anyhow::Result<()> {
    let address = address.to_string();
    write(sc, zone, Vec::new(), move |entries| entries.retain(|e| e.address != address)).await
}

pub async fn delete_record(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let b = c.before_as::<RecordAttrs>()?.ok_or_else(|| anyhow::anyhow!("{} has no live attributes", c.address))?;
    let raw = b.raw.clone().ok_or_else(|| anyhow::anyhow!("{} was read without its record", c.address))?;
    let alias = raw.alias.map(|a| (a.zone, a.dns, a.evaluate));
    let set = rrset(&b.name, &b.r#type, b.set_identifier.as_deref(), b.weight, raw.ttl, &raw.values, alias)?;
    let address = c.address.to_string();
    let (name, kind) = (b.name.clone(), b.r#type.clone());
    write(sc, &b.zone, vec![change(ChangeAction::Delete, set)?], move |entries| {
        entries.retain(|e| !(e.address == address || (e.name == name && e.kind == kind)));
    })
    .await
}
