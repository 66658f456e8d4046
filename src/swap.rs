//! Blue-green: move a Route 53 name between two colours of a stack, at once or in weighted steps,
//! behind a health gate, with a history and a lock that live in the zone beside the name.
//!
//! - The history is a TXT record `_lbstack-swap.<name>`: one string per swap or step (newest
//!   last, the last 20 kept), written in the same change batch as the record it describes.
//! - The lock is a TXT record `_lbstack-swap-lock.<name>`, taken with a Route 53 `CREATE` (which
//!   fails when it exists, so two machines cannot both take it) and deleted when the swap ends.

use crate::attrs::RefOrId;
use crate::attrs::elbv2::{ListenerAction, MainAction};
use crate::aws_error::err;
use crate::live::Clients;
use crate::live::route53::{hosted_zone_id, rrset};
use crate::lock::actor;
use crate::ownership::fqdn;
use crate::plan::{Address, Attrs, Kind};
use crate::stack_format::model::{LbType, Scheme, Stack};
use aws_sdk_route53::client::Waiters;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

const HISTORY_KEEP: usize = 20;

/// Where the name lives and how the record is written.
#[derive(Debug, Clone)]
pub struct SwapRecord {
    pub zone: String,
    pub name: String,
    /// `CNAME`, or `A` for an alias record.
    pub kind: String,
    pub ttl: i64,
}

/// A colour's load balancer as the health gate saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub stack: String,
    pub load_balancer: String,
    pub arn: String,
    pub dns: String,
    pub alias_zone: String,
    pub state: String,
    pub target_groups: Vec<GroupHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupHealth {
    pub name: String,
    pub arn: String,
    pub healthy: usize,
    /// Targets by state (`healthy`, `unhealthy`, `initial`, `draining`, ...).
    pub states: BTreeMap<String, usize>,
}

impl Target {
    /// Why the gate refuses this target, one line per reason; empty when it passes.
    pub fn gate(&self, min_healthy: usize) -> Vec<String> {
        let mut why = Vec::new();
        if self.state != "active" {
            why.push(format!("load balancer {} is {}, not active", self.load_balancer, self.state));
        }
        if self.target_groups.is_empty() {
            why.push(format!("load balancer {} forwards to no target group", self.load_balancer));
        }
        for g in &self.target_groups {
            if g.healthy < min_healthy {
                let states: Vec<String> = g.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
                let seen = if states.is_empty() { "no targets".to_string() } else { states.join(", ") };
                why.push(format!(
                    "target group {} has {} healthy target{} (needs {min_healthy}): {seen}",
                    g.name,
                    g.healthy,
                    if g.healthy == 1 { "" } else { "s" }
                ));
            }
        }
        why
    }
}

/// The load balancer of `stack` that a swap points at: `key`, or the stack's only internet-facing one.
pub fn choose_load_balancer<'a>(stack: &'a Stack, key: Option<&'a str>) -> anyhow::Result<&'a str> {
    if let Some(k) = key {
        anyhow::ensure!(stack.load_balancers.contains_key(k), "stack {} has no load balancer `{k}`", stack.stack);
        return Ok(k);
    }
    let public: Vec<&str> = stack
        .load_balancers
        .iter()
        .filter(|(_, lb)| lb.scheme == Scheme::InternetFacing && lb.kind != LbType::Gateway)
        .map(|(k, _)| k.as_str())
        .collect();
    match public.as_slice() {
        [one] => Ok(one),
        [] => anyhow::bail!("stack {} has no internet-facing load balancer to swap to", stack.stack),
        many => anyhow::bail!(
            "stack {} has several internet-facing load balancers ({}); choose one with --load-balancer",
            stack.stack,
            many.join(", ")
        ),
    }
}

/// Read a colour's load balancer (found by ownership tags), the target groups its listeners
/// forward to, and their target health.
pub async fn inspect(clients: &Clients, stack: &Stack, lb_key: &str) -> anyhow::Result<Target> {
    let (owned, _) = crate::live::elbv2::read(clients, stack, &crate::live::Adopt::None).await?;
    let address = Address::new(Kind::LoadBalancer, lb_key);
    let lb = owned
        .iter()
        .find(|r| r.address == address)
        .ok_or_else(|| anyhow::anyhow!("stack {} has not been applied: {address} does not exist", stack.stack))?;
    let out = clients
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb.id)
        .send()
        .await
        .map_err(|e| err("reading the load balancer", e))?;
    let desc = out.load_balancers().first().ok_or_else(|| anyhow::anyhow!("load balancer {} disappeared", lb.name))?;
    // The listeners and rules were read with the load balancer: the target groups they forward
    // to (with weight) come from their attributes, owned ones as references.
    let prefix = format!("{lb_key}.");
    let mut arns: Vec<String> = Vec::new();
    let mut forwarded = |action: &ListenerAction| {
        let MainAction::Forward { target_groups, .. } = &action.main else { return };
        for g in target_groups.iter().filter(|g| g.weight > 0) {
            let arn = match &g.target_group {
                RefOrId::Ref(tg) => owned.iter().find(|r| r.address == tg.0).map(|r| r.id.clone()),
                RefOrId::Id(arn) => Some(arn.clone()),
            };
            arns.extend(arn);
        }
    };
    for r in owned.iter().filter(|r| r.address.key.starts_with(&prefix)) {
        match &r.attrs {
            Attrs::Listener(l) => forwarded(&l.default_action),
            Attrs::ListenerRules(set) => set.rules.iter().for_each(|rule| forwarded(&rule.action)),
            _ => {}
        }
    }
    arns.sort();
    arns.dedup();
    let owned = &owned;
    let groups = futures_util::future::try_join_all(arns.iter().map(|arn| async move {
        let states = target_states(clients, arn).await?;
        let name = owned
            .iter()
            .find(|r| &r.id == arn)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| arn.rsplit(':').next().unwrap_or(arn).to_string());
        Ok::<_, anyhow::Error>(GroupHealth {
            name,
            arn: arn.clone(),
            healthy: states.get("healthy").copied().unwrap_or(0),
            states,
        })
    }))
    .await?;
    Ok(Target {
        stack: stack.stack.clone(),
        load_balancer: lb.name.clone(),
        arn: lb.id.clone(),
        dns: desc.dns_name().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase(),
        alias_zone: desc.canonical_hosted_zone_id().unwrap_or_default().to_string(),
        state: desc.state().and_then(|s| s.code()).map(|c| c.as_str().to_string()).unwrap_or_else(|| "unknown".into()),
        target_groups: groups,
    })
}

/// A target group's targets counted by health state (`healthy`, `unhealthy`, `draining`, ...).
pub async fn target_states(clients: &Clients, arn: &str) -> anyhow::Result<BTreeMap<String, usize>> {
    let health = clients
        .elbv2
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| err("reading target health", e))?;
    let mut states = BTreeMap::new();
    for t in health.target_health_descriptions() {
        let s = t
            .target_health()
            .and_then(|h| h.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".into());
        *states.entry(s).or_insert(0) += 1;
    }
    Ok(states)
}

// ------------------------------------------------------------------ history

/// One swap or step, as kept in the history TXT record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub at: String,
    /// The colour (stack) that now takes traffic, or the one gaining it during a shift.
    pub live: String,
    pub target: String,
    pub alias_zone: String,
    /// Share of traffic `live` gets, in percent.
    pub weight: u32,
    pub by: String,
    /// `swap`, `shift`, `rollback`, `alarm:<name>`.
    pub event: String,
}

impl Entry {
    fn text(&self) -> String {
        format!(
            "at={} live={} weight={} target={} alias_zone={} by={} event={}",
            self.at, self.live, self.weight, self.target, self.alias_zone, self.by, self.event
        )
    }
    fn parse(s: &str) -> Option<Entry> {
        let fields: BTreeMap<&str, &str> = s.split(' ').filter_map(|kv| kv.split_once('=')).collect();
        Some(Entry {
            at: fields.get("at")?.to_string(),
            live: fields.get("live")?.to_string(),
            weight: fields.get("weight").and_then(|w| w.parse().ok()).unwrap_or(100),
            target: fields.get("target")?.to_string(),
            alias_zone: fields.get("alias_zone").unwrap_or(&"").to_string(),
            by: fields.get("by").unwrap_or(&"").to_string(),
            event: fields.get("event").unwrap_or(&"swap").to_string(),
        })
    }
}

fn now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

fn history_name(name: &str) -> String {
    format!("_lbstack-swap.{name}")
}

fn lock_name(name: &str) -> String {
    format!("_lbstack-swap-lock.{name}")
}

fn txt(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "'"))
}

fn untxt(value: &str) -> String {
    value.trim_matches('"').to_string()
}

/// What a zone holds at the swap name: the record(s) and the history.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Current {
    /// Where the name points now: (set identifier, target DNS, weight).
    pub records: Vec<(Option<String>, String, Option<i64>)>,
    pub history: Vec<Entry>,
    #[serde(skip)]
    raw: Vec<ResourceRecordSet>,
    #[serde(skip)]
    history_raw: Option<ResourceRecordSet>,
}

impl Current {
    pub fn weighted(&self) -> bool {
        self.raw.iter().any(|r| r.set_identifier().is_some())
    }
    /// The colour taking all (or most) traffic, by the history.
    pub fn live(&self) -> Option<&Entry> {
        self.history.last()
    }
}

pub async fn read_current(clients: &Clients, zone_id: &str, rec: &SwapRecord) -> anyhow::Result<Current> {
    let name = fqdn(&rec.name);
    let hist = fqdn(&history_name(&rec.name));
    let mut out = Current::default();
    // `ANY` (status) shows whatever answers at the name.
    let record_kinds: Vec<&str> = if rec.kind == "ANY" { vec!["CNAME", "A", "AAAA"] } else { vec![rec.kind.as_str()] };
    for (start, kinds) in [(&name, &record_kinds[..]), (&hist, &["TXT"][..])] {
        let page = clients
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(start.as_str())
            .send()
            .await
            .map_err(|e| err("reading the swap record", e))?;
        for r in page.resource_record_sets() {
            if r.name().to_ascii_lowercase() != *start || !kinds.contains(&r.r#type().as_str()) {
                continue;
            }
            if start == &hist {
                out.history = r.resource_records().iter().filter_map(|v| Entry::parse(&untxt(v.value()))).collect();
                out.history_raw = Some(r.clone());
            } else {
                let dest = r
                    .alias_target()
                    .map(|a| a.dns_name().to_string())
                    .or_else(|| r.resource_records().first().map(|v| v.value().to_string()))
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                out.records.push((r.set_identifier().map(str::to_string), dest, r.weight()));
                out.raw.push(r.clone());
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ changes

fn change(action: ChangeAction, set: ResourceRecordSet) -> anyhow::Result<Change> {
    Ok(Change::builder().action(action).resource_record_set(set).build()?)
}

fn pointing(
    rec: &SwapRecord,
    dns: &str,
    alias_zone: &str,
    set: Option<&str>,
    weight: Option<i64>,
) -> anyhow::Result<ResourceRecordSet> {
    let name = fqdn(&rec.name);
    if rec.kind == "CNAME" {
        rrset(&name, "CNAME", set, weight, Some(rec.ttl), &[dns.to_string()], None)
    } else {
        rrset(&name, &rec.kind, set, weight, None, &[], Some((alias_zone.to_string(), dns.to_string(), true)))
    }
}

fn history_change(rec: &SwapRecord, current: &Current, entry: &Entry) -> anyhow::Result<Change> {
    let mut values: Vec<String> = current.history.iter().map(|e| txt(&e.text())).collect();
    values.push(txt(&entry.text()));
    let skip = values.len().saturating_sub(HISTORY_KEEP);
    let values: Vec<String> = values.into_iter().skip(skip).collect();
    change(ChangeAction::Upsert, rrset(&fqdn(&history_name(&rec.name)), "TXT", None, None, Some(60), &values, None)?)
}

async fn submit(clients: &Clients, zone_id: &str, changes: Vec<Change>, comment: &str) -> anyhow::Result<String> {
    let batch = ChangeBatch::builder().comment(comment).set_changes(Some(changes)).build()?;
    let out = clients
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| err("changing the swap record", e))?;
    Ok(out.change_info().map(|c| c.id().to_string()).unwrap_or_default())
}

async fn wait_insync(clients: &Clients, change_id: &str) -> anyhow::Result<()> {
    let wait = clients
        .route53
        .wait_until_resource_record_sets_changed()
        .id(change_id.trim_start_matches("/change/"))
        .wait(crate::clock::scaled(Duration::from_secs(600)));
    crate::logging::waiting(&format!("for Route 53 change {change_id} to be INSYNC"), wait)
        .await
        .map_err(|e| err("waiting for the change to be INSYNC", e))?;
    Ok(())
}

/// Point the name at `to` with `weight` percent (100 for a plain swap). The record keeps its
/// style: weighted records when it is weighted or a shift is under way, a plain record otherwise.
/// `from` is the colour losing traffic (for weighted records).
#[allow(clippy::too_many_arguments)]
async fn point(
    clients: &Clients,
    zone_id: &str,
    rec: &SwapRecord,
    current: &Current,
    to: &Entry,
    from: Option<&Entry>,
    weighted: bool,
) -> anyhow::Result<String> {
    let mut changes = Vec::new();
    if weighted {
        // A plain record and weighted ones cannot share a name: replace it in the same batch.
        for r in current.raw.iter().filter(|r| r.set_identifier().is_none()) {
            changes.push(change(ChangeAction::Delete, r.clone())?);
        }
        changes.push(change(
            ChangeAction::Upsert,
            pointing(rec, &to.target, &to.alias_zone, Some(&to.live), Some(to.weight as i64))?,
        )?);
        if let Some(f) = from.filter(|f| f.live != to.live) {
            changes.push(change(
                ChangeAction::Upsert,
                pointing(rec, &f.target, &f.alias_zone, Some(&f.live), Some(100 - to.weight as i64))?,
            )?);
        }
        // Weighted records of other colours get nothing.
        for r in current
            .raw
            .iter()
            .filter(|r| r.set_identifier().is_some_and(|s| s != to.live && Some(s) != from.map(|f| f.live.as_str())))
        {
            let mut zeroed = r.clone();
            zeroed.weight = Some(0);
            changes.push(change(ChangeAction::Upsert, zeroed)?);
        }
    } else {
        changes.push(change(ChangeAction::Upsert, pointing(rec, &to.target, &to.alias_zone, None, None)?)?);
    }
    changes.push(history_change(rec, current, to)?);
    let id =
        submit(clients, zone_id, changes, &format!("lbstack swap: {} {}% ({})", to.live, to.weight, to.event)).await?;
    wait_insync(clients, &id).await?;
    Ok(id)
}

// ------------------------------------------------------------------ the lock

pub struct Lock<'a> {
    clients: &'a Clients,
    zone_id: String,
    set: ResourceRecordSet,
}

impl Lock<'_> {
    pub async fn release(self) -> anyhow::Result<()> {
        submit(self.clients, &self.zone_id, vec![change(ChangeAction::Delete, self.set)?], "lbstack swap: unlock")
            .await?;
        Ok(())
    }
}

/// Take the swap lock, or say who holds it.
pub async fn lock<'a>(clients: &'a Clients, zone_id: &str, rec: &SwapRecord, what: &str) -> anyhow::Result<Lock<'a>> {
    let value = txt(&format!("at={} by={} doing={}", now(), actor(), what.replace(' ', "_")));
    let set = rrset(&fqdn(&lock_name(&rec.name)), "TXT", None, None, Some(60), &[value], None)?;
    let batch = ChangeBatch::builder()
        .comment("lbstack swap: lock")
        .changes(change(ChangeAction::Create, set.clone())?)
        .build()?;
    match clients.route53.change_resource_record_sets().hosted_zone_id(zone_id).change_batch(batch).send().await {
        Ok(_) => Ok(Lock { clients, zone_id: zone_id.to_string(), set }),
        // A CREATE of a record that exists is an InvalidChangeBatch: the lock is held.
        Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::Conflict => {
            let holder = read_lock(clients, zone_id, rec).await.unwrap_or_default();
            anyhow::bail!(
                "another swap of {} is in progress ({holder}); wait for it to finish. If it died, remove the lock with `lbstack swap --break-lock`",
                rec.name
            )
        }
        Err(e) => Err(err("taking the swap lock", e)),
    }
}

/// The lock record, when a swap holds it.
async fn find_lock(clients: &Clients, zone_id: &str, rec: &SwapRecord) -> anyhow::Result<Option<ResourceRecordSet>> {
    let name = fqdn(&lock_name(&rec.name));
    let out = clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(&name)
        .max_items(1)
        .send()
        .await
        .map_err(|e| err("reading the lock", e))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|r| r.name().eq_ignore_ascii_case(&name) && r.r#type().as_str() == "TXT")
        .cloned())
}

/// Who holds the lock and since when (the lock record's text).
async fn read_lock(clients: &Clients, zone_id: &str, rec: &SwapRecord) -> anyhow::Result<String> {
    let set = find_lock(clients, zone_id, rec).await?;
    Ok(set.as_ref().and_then(|r| r.resource_records().first()).map(|v| untxt(v.value())).unwrap_or_default())
}

pub async fn break_lock(clients: &Clients, zone: &str, rec: &SwapRecord) -> anyhow::Result<bool> {
    let zone_id = hosted_zone_id(clients, zone).await?;
    let Some(set) = find_lock(clients, &zone_id, rec).await? else { return Ok(false) };
    submit(clients, &zone_id, vec![change(ChangeAction::Delete, set)?], "lbstack swap: lock broken").await?;
    Ok(true)
}

// ------------------------------------------------------------------ the swap

#[derive(Debug, Clone)]
pub struct ShiftPlan {
    /// Percentages of traffic for the new colour, ascending, ending at 100.
    pub steps: Vec<u32>,
    pub interval: Duration,
    /// Alarms that send all traffic back to the old colour when they go into ALARM.
    pub rollback_alarms: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub from: Option<Entry>,
    pub to: Entry,
    pub steps_done: Vec<u32>,
    pub rolled_back: Option<String>,
}

/// The colour traffic comes from: the history's live entry, or the record itself.
fn previous(current: &Current) -> Option<Entry> {
    if let Some(e) = current.live() {
        return Some(e.clone());
    }
    current.records.first().map(|(set, dns, _)| Entry {
        at: String::new(),
        live: set.clone().unwrap_or_else(|| "previous".into()),
        target: dns.clone(),
        alias_zone: current
            .raw
            .first()
            .and_then(|r| r.alias_target())
            .map(|a| a.hosted_zone_id().to_string())
            .unwrap_or_default(),
        weight: 100,
        by: String::new(),
        event: String::new(),
    })
}

/// Move the name to `target`: at once, or through `shift`'s steps while watching alarms.
/// `progress` gets one line per event. The lock is held throughout and released at the end.
pub async fn swap(
    clients: &Clients,
    rec: &SwapRecord,
    target: &Target,
    shift: Option<&ShiftPlan>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> anyhow::Result<Outcome> {
    let zone_id = hosted_zone_id(clients, &rec.zone).await?;
    let lock = lock(clients, &zone_id, rec, &format!("swap to {}", target.stack)).await?;
    let result = run_swap(clients, &zone_id, rec, target, shift, progress).await;
    let released = lock.release().await;
    let outcome = result?;
    released?;
    Ok(outcome)
}

async fn run_swap(
    clients: &Clients,
    zone_id: &str,
    rec: &SwapRecord,
    target: &Target,
    shift: Option<&ShiftPlan>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> anyhow::Result<Outcome> {
    let mut current = read_current(clients, zone_id, rec).await?;
    let from = previous(&current).filter(|p| p.target != target.dns);
    let entry = |weight: u32, event: &str| Entry {
        at: now(),
        live: target.stack.clone(),
        target: target.dns.clone(),
        alias_zone: target.alias_zone.clone(),
        weight,
        by: actor(),
        event: event.into(),
    };
    let steps = shift.map(|s| s.steps.clone()).unwrap_or_else(|| vec![100]);
    let weighted = shift.is_some() || current.weighted();
    let mut done = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let to = entry(*step, if shift.is_some() { "shift" } else { "swap" });
        point(clients, zone_id, rec, &current, &to, from.as_ref(), weighted).await?;
        progress(format!("{} -> {}: {step}% of traffic (INSYNC)", rec.name, target.stack));
        done.push(*step);
        current = read_current(clients, zone_id, rec).await?;
        let last = i + 1 == steps.len();
        if let (Some(s), false) = (shift, last)
            && let Some(alarm) = watch(clients, &s.rollback_alarms, s.interval, progress).await?
        {
            let Some(old) = from.clone() else {
                anyhow::bail!("alarm {alarm} fired, and there is no previous colour to return to")
            };
            let back = Entry { at: now(), weight: 100, by: actor(), event: format!("alarm:{alarm}"), ..old };
            point(clients, zone_id, rec, &current, &back, Some(&to), weighted).await?;
            progress(format!("{}: alarm {alarm} is in ALARM; all traffic returned to {}", rec.name, back.live));
            return Ok(Outcome { from: from.clone(), to: back, steps_done: done, rolled_back: Some(alarm) });
        }
    }
    Ok(Outcome { from, to: entry(100, "swap"), steps_done: done, rolled_back: None })
}

/// Wait `interval`, checking the alarms every few seconds; the first one in ALARM is returned.
async fn watch(
    clients: &Clients,
    alarms: &[String],
    interval: Duration,
    progress: &(dyn Fn(String) + Send + Sync),
) -> anyhow::Result<Option<String>> {
    let started = std::time::Instant::now();
    let tick = interval.min(Duration::from_secs(5)).max(Duration::from_millis(100));
    if !alarms.is_empty() {
        progress(format!("watching {} for {}s", alarms.join(", "), interval.as_secs()));
    }
    loop {
        if !alarms.is_empty() {
            let out = clients
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(alarms.to_vec()))
                .send()
                .await
                .map_err(|e| err("reading the rollback alarms", e))?;
            let found: Vec<&str> = out.metric_alarms().iter().filter_map(|a| a.alarm_name()).collect();
            if let Some(missing) = alarms.iter().find(|a| !found.contains(&a.as_str())) {
                anyhow::bail!("rollback alarm {missing} does not exist");
            }
            if let Some(a) = out.metric_alarms().iter().find(|a| a.state_value().map(|s| s.as_str()) == Some("ALARM")) {
                return Ok(a.alarm_name().map(str::to_string));
            }
        }
        if started.elapsed() >= interval {
            return Ok(None);
        }
        tokio::time::sleep(tick.min(interval.saturating_sub(started.elapsed()))).await;
    }
}

/// Return the name to the colour before the live one, at once.
pub async fn rollback(
    clients: &Clients,
    rec: &SwapRecord,
    progress: &(dyn Fn(String) + Send + Sync),
) -> anyhow::Result<Outcome> {
    let zone_id = hosted_zone_id(clients, &rec.zone).await?;
    let lock = lock(clients, &zone_id, rec, "rollback").await?;
    let result = async {
        let current = read_current(clients, &zone_id, rec).await?;
        let live =
            current.live().cloned().ok_or_else(|| anyhow::anyhow!("{} has no swap history to roll back", rec.name))?;
        let prev =
            current.history.iter().rev().find(|e| e.live != live.live && e.weight == 100).cloned().ok_or_else(
                || anyhow::anyhow!("{} has no earlier colour than {} in its history", rec.name, live.live),
            )?;
        let back = Entry { at: now(), weight: 100, by: actor(), event: "rollback".into(), ..prev };
        point(clients, &zone_id, rec, &current, &back, Some(&live), current.weighted()).await?;
        progress(format!("{}: rolled back to {}", rec.name, back.live));
        Ok::<_, anyhow::Error>(Outcome {
            from: Some(live),
            to: back,
            steps_done: vec![100],
            rolled_back: Some("requested".into()),
        })
    }
    .await;
    let released = lock.release().await;
    let outcome = result?;
    released?;
    Ok(outcome)
}

/// `10,50,100` into ascending percentages ending at 100.
pub fn parse_steps(s: &str) -> Result<Vec<u32>, String> {
    let steps: Vec<u32> = s
        .split(',')
        .map(|x| x.trim().parse::<u32>().map_err(|_| format!("`{x}` is not a percentage")))
        .collect::<Result<_, _>>()?;
    if steps.is_empty()
        || steps.iter().any(|s| *s == 0 || *s > 100)
        || !steps.windows(2).all(|w| w[0] < w[1])
        || steps.last() != Some(&100)
    {
        return Err("steps are ascending percentages from 1 to 100, ending at 100 (e.g. 10,50,100)".into());
    }
    Ok(steps)
}

/// `5m`, `30s`, `1h`, `90` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) =
        s.trim().split_at(s.trim().find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.trim().len()));
    let n: f64 = num.parse().map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 5m, 1h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (ms, s, m, h)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_entries_round_trip() {
        let e = Entry {
            at: "2026-11-23T08:00:00Z".into(),
            live: "shop-green".into(),
            target: "shop-green-public-1.us-east-1.elb.amazonaws.com".into(),
            alias_zone: "Z35SXDOTRQ7X7K".into(),
            weight: 50,
            by: "ci@runner".into(),
            event: "shift".into(),
        };
        assert_eq!(Entry::parse(&e.text()), Some(e.clone()));
        assert!(e.text().len() < 255, "a TXT string holds at most 255 characters");
    }

    #[test]
    fn steps_and_durations() {
        assert_eq!(parse_steps("10,50,100"), Ok(vec![10, 50, 100]));
        assert!(parse_steps("50,10,100").is_err());
        assert!(parse_steps("10,50").is_err());
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert!(parse_duration("5 weeks").is_err());
    }
}
