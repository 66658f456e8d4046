//! Executing a plan: each change becomes one or two steps (a replacement creates and deletes),
//! steps wait for the steps they depend on, independent ones run in parallel (bounded), and a
//! failure skips only what depends on it while in-flight steps finish.
//!
//! It writes only what the plan holds: every call belongs to a planned change (tests audit each
//! one), and it never touches a resource without this stack's ownership tags.

mod acm;
mod autoscaling;
mod cloudwatch;
mod ec2;
mod elbv2;
pub(crate) mod route53;
mod shield;
mod sns;
mod wafv2;

use crate::attrs::elbv2::ListenerAttrs;
use crate::attrs::{Ref, RefOrId, TagMap};
use crate::live::Clients;
use crate::plan::desired::collect_refs;
use crate::plan::{Action, Address, Change, Kind, Plan};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::JoinSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    /// Security-group rules, after every group exists (groups may reference each other).
    SyncRules,
    /// Revoke a security group's rules before it is deleted, so that groups referencing each
    /// other can all be deleted (AWS refuses to delete a group another group's rule names).
    ClearRules,
    /// A listener steps aside to a free port so listeners can swap ports (see `plan::ports`).
    Stage,
    Delete,
}

#[derive(Debug, Clone)]
struct Step {
    change: usize,
    op: Op,
    deps: Vec<usize>,
}

/// Ids (ARNs, group ids) by address: live ones at the start, new ones as they are created.
/// The ids at the start are kept apart: a resource's `before` refers to what its references were
/// then, so a repoint to a replacement shows up as a change.
#[derive(Debug, Default, Clone)]
pub struct Ids {
    current: Arc<Mutex<HashMap<Address, String>>>,
    initial: Arc<Mutex<HashMap<Address, String>>>,
}

impl Ids {
    pub fn get(&self, a: &Address) -> Option<String> {
        self.current.lock().expect("ids lock").get(a).cloned()
    }
    fn set(&self, a: &Address, id: String) {
        self.current.lock().expect("ids lock").insert(a.clone(), id);
    }
    fn set_initial(&self, a: &Address, id: String) {
        self.initial.lock().expect("ids lock").insert(a.clone(), id.clone());
        self.set(a, id);
    }
    /// The id a typed reference names now: the referenced resource's, or the literal one.
    pub fn id_of(&self, r: &RefOrId) -> anyhow::Result<String> {
        match r {
            RefOrId::Id(id) => Ok(id.clone()),
            RefOrId::Ref(r) => self.id_of_ref(r),
        }
    }
    /// The id of a resource of the stack now.
    pub fn id_of_ref(&self, Ref(a): &Ref) -> anyhow::Result<String> {
        self.get(a).ok_or_else(|| anyhow::anyhow!("{a} has no id yet"))
    }
    /// The ids a list of references names now.
    pub fn ids_of(&self, list: &[RefOrId]) -> anyhow::Result<Vec<String>> {
        list.iter().map(|r| self.id_of(r)).collect()
    }
    /// The ids a list of live references named when the plan was made.
    pub fn ids_before(&self, list: &[RefOrId]) -> anyhow::Result<Vec<String>> {
        list.iter().map(|r| self.id_before(r)).collect()
    }
    /// The same with the ids references had when the plan was made (for live attributes).
    pub fn id_before(&self, r: &RefOrId) -> anyhow::Result<String> {
        match r {
            RefOrId::Id(id) => Ok(id.clone()),
            RefOrId::Ref(Ref(a)) => self
                .initial
                .lock()
                .expect("ids lock")
                .get(a)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{a} has no id yet")),
        }
    }
}

/// What a step needs besides its change.
#[derive(Clone)]
pub struct StepContext {
    pub clients: Clients,
    pub ids: Ids,
    pub stack: String,
    /// Progress lines for long waits (certificate validation, instance refreshes).
    pub progress: Arc<dyn Fn(String) + Send + Sync>,
    /// Keys of auto-scaling groups the stack deletes with `force_delete` (a deleted group's
    /// change has no desired attributes to carry it).
    pub force_delete: Arc<HashSet<String>>,
    /// What files the stack may read (certificates to import), as when it was planned.
    pub files: crate::stack_format::files::FileAccess,
    /// Subscription endpoints plans show as a hash, by how they show them: what to send.
    pub endpoints: Arc<std::collections::BTreeMap<String, String>>,
    /// One writer at a time per hosted zone among this run's steps (see `route53::write`).
    pub zone_locks: route53::ZoneLocks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Done,
    Failed(String),
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub address: Address,
    pub op: Op,
    pub status: StepStatus,
    pub seconds: f64,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub steps: Vec<StepReport>,
    /// Why nothing was done at all (a plan with conflicts is not applyable).
    pub refused: Option<String>,
    /// Why the outputs the plan changed were not published, after every step succeeded.
    pub outputs_failed: Option<String>,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        self.refused.is_some()
            || self.outputs_failed.is_some()
            || self.steps.iter().any(|s| !matches!(s.status, StepStatus::Done))
    }
}

fn op_word(op: Op, done: bool) -> &'static str {
    match (op, done) {
        (Op::Create, false) => "creating",
        (Op::Create, true) => "created",
        (Op::Update, false) => "updating",
        (Op::Update, true) => "updated",
        (Op::SyncRules, false) => "setting rules",
        (Op::SyncRules, true) => "rules set",
        (Op::ClearRules, false) => "clearing rules",
        (Op::ClearRules, true) => "rules cleared",
        (Op::Stage, false) => "stepping aside to a free port",
        (Op::Stage, true) => "stepped aside",
        (Op::Delete, false) => "destroying",
        (Op::Delete, true) => "destroyed",
    }
}

fn steps_for(plan: &Plan) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut by_change: HashMap<usize, Vec<usize>> = HashMap::new();
    let index: HashMap<&Address, usize> = plan.changes.iter().enumerate().map(|(i, c)| (&c.address, i)).collect();
    let mut push = |change: usize, op: Op| {
        steps.push(Step { change, op, deps: Vec::new() });
        by_change.entry(change).or_default().push(steps.len() - 1);
        steps.len() - 1
    };
    for (i, c) in plan.changes.iter().enumerate() {
        match c.action {
            Action::NoOp => {}
            Action::Create => {
                push(i, Op::Create);
            }
            Action::Update => {
                if matches!(&c.inputs, crate::plan::Inputs::Listener(i) if i.stage_port.is_some()) {
                    push(i, Op::Stage);
                }
                push(i, Op::Update);
            }
            Action::Delete => {
                if c.address.kind == Kind::SecurityGroup && references_a_group(c) {
                    push(i, Op::ClearRules);
                }
                push(i, Op::Delete);
            }
            Action::CreateDelete => {
                push(i, Op::Create);
                push(i, Op::Delete);
            }
            Action::DeleteCreate => {
                push(i, Op::Delete);
                push(i, Op::Create);
            }
        }
        if c.address.kind == Kind::SecurityGroup
            && matches!(c.action, Action::Create | Action::CreateDelete | Action::DeleteCreate)
        {
            push(i, Op::SyncRules);
        }
    }
    let op_of = |steps: &Vec<Step>, change: usize, op: Op| {
        by_change.get(&change).into_iter().flatten().copied().find(|s| steps[*s].op == op)
    };
    // Who references whom, in live state (for deletes) and desired state (for creates).
    let live_refs: Vec<Vec<Address>> = plan
        .changes
        .iter()
        .map(|c| {
            let mut v = Vec::new();
            if let Some(b) = &c.before {
                collect_refs(&b.to_value(), &mut v);
            }
            v
        })
        .collect();
    let port_holders = crate::plan::ports::holders(plan);
    let all_sg_creates: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.op == Op::Create && plan.changes[s.change].address.kind == Kind::SecurityGroup)
        .map(|(i, _)| i)
        .collect();
    for s in 0..steps.len() {
        let (ci, op) = (steps[s].change, steps[s].op);
        let c = &plan.changes[ci];
        let mut deps = Vec::new();
        match op {
            Op::Create | Op::Update => {
                for d in c.deps.iter().chain(c.parent.iter()) {
                    if let Some(&di) = index.get(d) {
                        // Creating a group needs no other group (its rules come in SyncRules, after
                        // every create, so groups may reference each other); updating its rules
                        // needs the groups they name to exist.
                        if c.address.kind == Kind::SecurityGroup && d.kind == Kind::SecurityGroup {
                            if op == Op::Update {
                                deps.extend(op_of(&steps, di, Op::Create));
                            }
                            continue;
                        }
                        deps.extend(op_of(&steps, di, Op::Create));
                        deps.extend(op_of(&steps, di, Op::SyncRules));
                        deps.extend(op_of(&steps, di, Op::Update));
                    }
                }
                if c.action == Action::DeleteCreate && op == Op::Create {
                    deps.extend(op_of(&steps, ci, Op::Delete));
                }
                // What points at a load balancer replaced create-first (a record) moves once the
                // replacement has its listeners and rules, not when it merely exists.
                for d in &c.deps {
                    if let Some(&di) = index.get(d).filter(|di| {
                        create_first(&plan.changes[**di]) && !inside(plan, &index, c, &plan.changes[**di].address)
                    }) {
                        for (oi, _) in plan
                            .changes
                            .iter()
                            .enumerate()
                            .filter(|(_, o)| inside(plan, &index, o, &plan.changes[di].address))
                        {
                            deps.extend(op_of(&steps, oi, Op::Create));
                        }
                    }
                }
                // A listener leaving a load balancer frees its port for one arriving (a renamed
                // key). Not when the load balancer is replaced: the new one starts empty.
                let parent_replaced = c
                    .parent
                    .as_ref()
                    .and_then(|p| index.get(p))
                    .is_some_and(|pi| plan.changes[*pi].action.is_replace());
                if c.address.kind == Kind::Listener && op == Op::Create && !parent_replaced {
                    let lb = c.after_as::<ListenerAttrs>().ok().map(|l| l.load_balancer);
                    for (oi, other) in plan.changes.iter().enumerate() {
                        if oi != ci
                            && other.address.kind == Kind::Listener
                            && lb.is_some()
                            && other.before_as::<ListenerAttrs>().ok().flatten().map(|l| l.load_balancer) == lb
                        {
                            deps.extend(op_of(&steps, oi, Op::Delete));
                        }
                    }
                }
                // A listener arriving on a port waits for the one there to step aside, move off
                // or go (AWS refuses two listeners on one port).
                if c.address.kind == Kind::Listener && !parent_replaced {
                    for &(_, holder) in port_holders.iter().filter(|(arriving, _)| *arriving == ci) {
                        let first =
                            [Op::Stage, Op::Update, Op::Delete].into_iter().find_map(|o| op_of(&steps, holder, o));
                        deps.extend(first);
                    }
                }
            }
            Op::Stage => {}
            Op::SyncRules => {
                deps.extend(all_sg_creates.iter().copied());
                deps.extend(op_of(&steps, ci, Op::Create));
            }
            Op::Delete | Op::ClearRules => {
                // Everything that uses this resource now must stop first: repointed, replaced or gone.
                // A group that names it only has to clear its rules (it may be deleted later).
                for (oi, other) in plan.changes.iter().enumerate() {
                    if oi == ci {
                        continue;
                    }
                    let uses_now = live_refs[oi].contains(&c.address) || other.parent.as_ref() == Some(&c.address);
                    if !uses_now {
                        continue;
                    }
                    let group_referrer = other.address.kind == Kind::SecurityGroup;
                    // A user stops using it by moving off (update) or going (delete); the copy a
                    // replaced user gets is made for the replacement, so its create is not waited
                    // for. Deleted before its replacement exists (`-/+`), it cannot wait for users
                    // to move: they move to the replacement after it is made.
                    let moves = if c.action == Action::DeleteCreate {
                        &[Op::Delete][..]
                    } else {
                        &[Op::Update, Op::Delete][..]
                    };
                    match op_of(&steps, oi, Op::ClearRules) {
                        Some(clear) if group_referrer && op == Op::Delete => deps.push(clear),
                        _ if group_referrer && op == Op::ClearRules => {}
                        _ => {
                            for o in moves {
                                deps.extend(op_of(&steps, oi, *o));
                            }
                        }
                    }
                }
                if op == Op::Delete {
                    deps.extend(op_of(&steps, ci, Op::ClearRules));
                }
                // The old listeners of a load balancer replaced create-first serve until what
                // points at it (records) has moved to the replacement.
                if op == Op::Delete && c.action == Action::CreateDelete {
                    let lb = plan
                        .changes
                        .iter()
                        .find(|p| create_first(p) && inside(plan, &index, c, &p.address))
                        .map(|p| p.address.clone());
                    if let Some(lb) = lb {
                        for (oi, other) in plan.changes.iter().enumerate() {
                            if oi != ci && live_refs[oi].contains(&lb) && !inside(plan, &index, other, &lb) {
                                deps.extend(op_of(&steps, oi, Op::Update));
                                deps.extend(op_of(&steps, oi, Op::Delete));
                            }
                        }
                    }
                }
                // Instances keep a security group until an instance refresh replaces them: a group
                // goes only after the auto-scaling groups' changes (refreshes included) are done.
                if op == Op::Delete && c.address.kind == Kind::SecurityGroup {
                    for (gi, _) in
                        plan.changes.iter().enumerate().filter(|(_, g)| g.address.kind == Kind::AutoScalingGroup)
                    {
                        for o in [Op::Update, Op::Create, Op::Delete] {
                            deps.extend(op_of(&steps, gi, o));
                        }
                    }
                }
                if c.action == Action::CreateDelete {
                    deps.extend(op_of(&steps, ci, Op::Create));
                    deps.extend(op_of(&steps, ci, Op::SyncRules));
                }
            }
        }
        deps.retain(|d| *d != s);
        deps.sort();
        deps.dedup();
        steps[s].deps = deps;
    }
    steps
}

/// A load balancer replaced with its replacement made first.
fn create_first(c: &Change) -> bool {
    c.address.kind == Kind::LoadBalancer && c.action == Action::CreateDelete
}

/// Whether `c` lives inside `parent` (a listener of it, or a listener's rules); `index` finds a
/// change by address.
fn inside(plan: &Plan, index: &HashMap<&Address, usize>, c: &Change, parent: &Address) -> bool {
    match &c.parent {
        Some(p) if p == parent => true,
        Some(p) => index.get(p).is_some_and(|i| plan.changes[*i].parent.as_ref() == Some(parent)),
        None => false,
    }
}

/// Whether a security group's live rules name another group of the stack.
fn references_a_group(c: &Change) -> bool {
    let mut refs = Vec::new();
    if let Some(b) = &c.before {
        collect_refs(&b.to_value(), &mut refs);
    }
    refs.iter().any(|a| a.kind == Kind::SecurityGroup && *a != c.address)
}

/// What happens during an apply, step by step, for the views (lines, JSON events, a live view).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The plan address of the step.
    pub address: String,
    /// `create`, `update`, `delete`, `set_rules`, `clear_rules`.
    pub action: &'static str,
    /// Seconds since the step started.
    pub elapsed_seconds: f64,
    /// The line for people: `target_group.api: creating...`.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Started,
    /// Something the step waits for (a load balancer provisioning, a certificate's validation).
    Waiting,
    /// Every 10 s of a step that is still running.
    StillRunning,
    Done,
    Failed,
}

fn action_name(op: Op) -> &'static str {
    match op {
        Op::Create => "create",
        Op::Update => "update",
        Op::Delete => "delete",
        Op::SyncRules => "set_rules",
        Op::ClearRules => "clear_rules",
        Op::Stage => "stage",
    }
}

/// `1m0s`, `45s`: elapsed time as Terraform prints it.
pub fn elapsed_text(secs: u64) -> String {
    if secs >= 60 { format!("{}m{}s", secs / 60, secs % 60) } else { format!("{secs}s") }
}

/// How often a running step says it still is.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

/// Run every step of the plan. `progress` receives every event.
pub async fn run(
    plan: &Plan,
    mut sc: StepContext,
    parallelism: usize,
    progress: impl Fn(Event) + Send + Sync + 'static,
) -> Outcome {
    if !plan.applyable() {
        let names: Vec<String> = plan.conflicts.iter().map(|c| c.address.to_string()).collect();
        return Outcome {
            steps: Vec::new(),
            refused: Some(format!("the plan has conflicts ({}): nothing was changed", names.join(", "))),
            outputs_failed: None,
        };
    }
    for c in &plan.changes {
        if let Some(id) = &c.id {
            sc.ids.set_initial(&c.address, id.clone());
        }
    }
    let steps = steps_for(plan);
    let progress: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(progress);
    // What a step says while it waits: an event of the step running on this task.
    let waits = progress.clone();
    sc.progress = Arc::new(move |message: String| {
        let address = crate::live::STEP.try_with(Clone::clone).unwrap_or_default();
        waits(Event {
            kind: EventKind::Waiting,
            address,
            action: "wait",
            elapsed_seconds: 0.0,
            message: message.trim().to_string(),
        });
    });
    let changes: Arc<Vec<Change>> = Arc::new(plan.changes.clone());
    let mut started: HashMap<usize, Instant> = HashMap::new();
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut status: Vec<Option<StepStatus>> = vec![None; steps.len()];
    let mut seconds = vec![0.0; steps.len()];
    let mut running: HashSet<usize> = HashSet::new();
    let mut set: JoinSet<(usize, anyhow::Result<()>, f64)> = JoinSet::new();
    let parallelism = parallelism.max(1);
    loop {
        // Skip what depends on a failure; start what is ready.
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..steps.len() {
                if status[i].is_some() || running.contains(&i) {
                    continue;
                }
                if let Some(bad) = steps[i]
                    .deps
                    .iter()
                    .find(|d| matches!(status[**d], Some(StepStatus::Failed(_) | StepStatus::Skipped(_))))
                {
                    let why = format!("{} did not complete", changes[steps[*bad].change].address);
                    status[i] = Some(StepStatus::Skipped(why));
                    changed = true;
                }
            }
        }
        for i in 0..steps.len() {
            if running.len() >= parallelism {
                break;
            }
            if status[i].is_some()
                || running.contains(&i)
                || !steps[i].deps.iter().all(|d| status[*d] == Some(StepStatus::Done))
            {
                continue;
            }
            running.insert(i);
            started.insert(i, Instant::now());
            let (change, op) = (steps[i].change, steps[i].op);
            let sc = sc.clone();
            let changes = changes.clone();
            let progress = progress.clone();
            let address = changes[change].address.to_string();
            set.spawn(crate::live::STEP.scope(address.clone(), async move {
                let c = &changes[change];
                progress(Event {
                    kind: EventKind::Started,
                    address,
                    action: action_name(op),
                    elapsed_seconds: 0.0,
                    message: format!("{}: {}...", c.address, op_word(op, false)),
                });
                let start = Instant::now();
                let result = execute(&sc, c, op).await;
                (i, result, start.elapsed().as_secs_f64())
            }));
        }
        if set.is_empty() {
            break;
        }
        // A step finishing, or the heartbeat: every 10 s each running step says it still runs.
        let joined = tokio::select! {
            j = set.join_next() => j,
            _ = heartbeat.tick() => {
                for (&i, t) in &started {
                    let secs = t.elapsed().as_secs();
                    if running.contains(&i) && secs >= HEARTBEAT.as_secs() {
                        let c = &changes[steps[i].change];
                        let word = op_word(steps[i].op, false);
                        let message = format!("{}: still {word}... [{} elapsed]", c.address, elapsed_text(secs));
                        progress(Event { kind: EventKind::StillRunning, address: c.address.to_string(), action: action_name(steps[i].op), elapsed_seconds: secs as f64, message });
                    }
                }
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (i, result, secs) = match joined {
            Ok(r) => r,
            Err(e) => panic!("an apply step panicked: {e}"),
        };
        running.remove(&i);
        seconds[i] = secs;
        let c = &changes[steps[i].change];
        started.remove(&i);
        let (address, action) = (c.address.to_string(), action_name(steps[i].op));
        match result {
            Ok(()) => {
                let message = format!("{}: {} [{secs:.1}s]", c.address, op_word(steps[i].op, true));
                progress(Event { kind: EventKind::Done, address, action, elapsed_seconds: secs, message });
                status[i] = Some(StepStatus::Done);
            }
            Err(e) => {
                let line = crate::aws_error::one_line_with_hint(&e);
                let message = format!("{}: FAILED {}: {line}", c.address, op_word(steps[i].op, false));
                progress(Event { kind: EventKind::Failed, address, action, elapsed_seconds: secs, message });
                status[i] = Some(StepStatus::Failed(line));
            }
        }
    }
    let steps_report = steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepReport {
            address: changes[s.change].address.clone(),
            op: s.op,
            status: status[i].clone().unwrap_or_else(|| StepStatus::Skipped("never became ready".into())),
            seconds: seconds[i],
        })
        .collect();
    Outcome { steps: steps_report, refused: None, outputs_failed: None }
}

async fn execute(sc: &StepContext, c: &Change, op: Op) -> anyhow::Result<()> {
    match (c.address.kind, op) {
        (Kind::SecurityGroup, Op::Create) => ec2::create_group(sc, c).await,
        (Kind::SecurityGroup, Op::SyncRules) => ec2::sync_security_group_rules(sc, c, true).await,
        (Kind::SecurityGroup, Op::Update) => ec2::update_group(sc, c).await,
        (Kind::SecurityGroup, Op::Delete) => ec2::delete_group(sc, c).await,
        (Kind::SecurityGroup, Op::ClearRules) => ec2::clear_rules(sc, c).await,
        (Kind::Certificate, Op::Create) => acm::create_certificate(sc, c).await,
        (Kind::Certificate, Op::Update) => acm::update_certificate(sc, c).await,
        (Kind::Certificate, Op::Delete) => acm::delete_certificate(sc, c).await,
        (Kind::IpSet, Op::Create) => wafv2::create_ip_set(sc, c).await,
        (Kind::IpSet, Op::Update) => wafv2::update_ip_set(sc, c).await,
        (Kind::IpSet, Op::Delete) => wafv2::delete_ip_set(sc, c).await,
        (Kind::WebAcl, Op::Create) => wafv2::create_web_acl(sc, c).await,
        (Kind::WebAcl, Op::Update) => wafv2::update_web_acl(sc, c).await,
        (Kind::WebAcl, Op::Delete) => wafv2::delete_web_acl(sc, c).await,
        (Kind::WebAclAssociation, Op::Create | Op::Update) => wafv2::associate(sc, c).await,
        (Kind::WebAclAssociation, Op::Delete) => wafv2::disassociate(sc, c).await,
        (Kind::Record, Op::Create) => route53::create_record(sc, c).await,
        (Kind::Record, Op::Update) => route53::update_record(sc, c).await,
        (Kind::Record, Op::Delete) => route53::delete_record(sc, c).await,
        (Kind::TargetGroup, Op::Create) => elbv2::create_target_group(sc, c).await,
        (Kind::TargetGroup, Op::Update) => elbv2::update_target_group(sc, c).await,
        (Kind::TargetGroup, Op::Delete) => elbv2::delete_target_group(sc, c).await,
        (Kind::LoadBalancer, Op::Create) => elbv2::create_load_balancer(sc, c).await,
        (Kind::LoadBalancer, Op::Update) => elbv2::update_load_balancer(sc, c).await,
        (Kind::LoadBalancer, Op::Delete) => elbv2::delete_load_balancer(sc, c).await,
        (Kind::Listener, Op::Create) => elbv2::create_listener(sc, c).await,
        (Kind::Listener, Op::Update) => elbv2::update_listener(sc, c).await,
        (Kind::Listener, Op::Stage) => elbv2::stage_listener(sc, c).await,
        (Kind::Listener, Op::Delete) => elbv2::delete_listener(sc, c).await,
        (Kind::ShieldProtection, Op::Create) => shield::create_protection(sc, c).await,
        (Kind::ShieldProtection, Op::Update) => shield::update_protection(sc, c).await,
        (Kind::ShieldProtection, Op::Delete) => shield::delete_protection(sc, c).await,
        (Kind::TrustStore, Op::Create) => elbv2::create_trust_store(sc, c).await,
        (Kind::TrustStore, Op::Update) => elbv2::update_trust_store(sc, c).await,
        (Kind::TrustStore, Op::Delete) => elbv2::delete_trust_store(sc, c).await,
        (Kind::Topic, Op::Create) => sns::create_topic(sc, c).await,
        (Kind::Topic, Op::Update) => sns::update_topic(sc, c).await,
        (Kind::Topic, Op::Delete) => sns::delete_topic(sc, c).await,
        (Kind::ListenerRules | Kind::SharedListener, Op::Create) => elbv2::sync_listener_rules(sc, c, true).await,
        (Kind::ListenerRules | Kind::SharedListener, Op::Update) => elbv2::sync_listener_rules(sc, c, false).await,
        (Kind::ListenerRules | Kind::SharedListener, Op::Delete) => elbv2::delete_rules(sc, c).await,
        (Kind::LaunchTemplate, Op::Create) => autoscaling::create_template(sc, c).await,
        (Kind::LaunchTemplate, Op::Update) => autoscaling::update_template(sc, c).await,
        (Kind::LaunchTemplate, Op::Delete) => autoscaling::delete_template(sc, c).await,
        (Kind::AutoScalingGroup, Op::Create) => autoscaling::create_group(sc, c).await,
        (Kind::AutoScalingGroup, Op::Update) => autoscaling::update_group(sc, c).await,
        (Kind::AutoScalingGroup, Op::Delete) => autoscaling::delete_group(sc, c).await,
        (Kind::ScalingPolicy, Op::Create | Op::Update) => autoscaling::put_policy(sc, c).await,
        (Kind::ScalingPolicy, Op::Delete) => autoscaling::delete_policy(sc, c).await,
        (Kind::ScheduledAction, Op::Create | Op::Update) => autoscaling::put_schedule(sc, c).await,
        (Kind::ScheduledAction, Op::Delete) => autoscaling::delete_schedule(sc, c).await,
        (Kind::Alarm, Op::Create) => cloudwatch::create_alarm(sc, c).await,
        (Kind::Alarm, Op::Update) => cloudwatch::update_alarm(sc, c).await,
        (Kind::Alarm, Op::Delete) | (Kind::CompositeAlarm, Op::Delete) => cloudwatch::delete_alarm(sc, c).await,
        (Kind::CompositeAlarm, Op::Create) => cloudwatch::create_composite_alarm(sc, c).await,
        (Kind::CompositeAlarm, Op::Update) => cloudwatch::update_composite_alarm(sc, c).await,
        (_, Op::SyncRules | Op::ClearRules | Op::Stage) => Ok(()),
    }
}

/// An attribute's integer as the SDK takes it.
pub(crate) fn int(n: Option<i64>) -> Option<i32> {
    n.map(|n| n as i32)
}

/// The id of the change's resource now: live, or set by its create step.
fn id(sc: &StepContext, c: &Change) -> anyhow::Result<String> {
    sc.ids.get(&c.address).ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))
}

/// Whether an attribute at or under `prefix` changes.
fn changed(c: &Change, prefix: &str) -> bool {
    c.diffs.iter().any(|d| {
        d.path == prefix || d.path.starts_with(&format!("{prefix}.")) || d.path.starts_with(&format!("{prefix}["))
    })
}

/// Whether tags say a resource belongs to this stack at this address: how a create whose
/// response was lost is recognised when its retry meets AlreadyExists.
pub(crate) fn owned_by(tags: &[(&str, &str)], stack: &str, address: &Address) -> bool {
    let get = |key: &str| tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    get(crate::ownership::OWNER_STACK_TAG) == Some(stack)
        && get(crate::ownership::OWNER_ADDRESS_TAG) == Some(address.to_string().as_str())
}

/// Set-difference of two lists: (to add, to remove).
pub fn set_diff<T: PartialEq + Clone>(want: &[T], have: &[T]) -> (Vec<T>, Vec<T>) {
    let add = want.iter().filter(|w| !have.contains(w)).cloned().collect();
    let remove = have.iter().filter(|h| !want.contains(h)).cloned().collect();
    (add, remove)
}

/// Tags to add (changed or new) and keys to remove, lbstack's own included in both maps.
pub fn tags_changed(want: &TagMap, have: Option<&TagMap>) -> (Vec<(String, String)>, Vec<String>) {
    let empty = TagMap::new();
    let have = have.unwrap_or(&empty);
    let add = want.iter().filter(|(k, v)| have.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use serde_json::json;

    fn delete(kind: Kind, key: &str, before: Value) -> Change {
        let before = crate::attrs::sample::attrs(kind, before);
        Change {
            address: Address::new(kind, key),
            action: Action::Delete,
            reason: None,
            name: key.into(),
            id: Some(format!("id-{key}")),
            before: Some(before),
            after: None,
            diffs: vec![],
            deps: vec![],
            parent: None,
            inputs: Default::default(),
            adopting: false,
        }
    }

    /// Every step's dependencies come earlier in some order: no cycle.
    fn acyclic(steps: &[Step]) -> bool {
        let mut done = vec![false; steps.len()];
        for _ in 0..steps.len() {
            for i in 0..steps.len() {
                if !done[i] && steps[i].deps.iter().all(|d| done[*d]) {
                    done[i] = true;
                }
            }
        }
        done.iter().all(|d| *d)
    }

    /// A load balancer replaced create-first: the record moves only once the replacement has its
    /// listener, and the old listener goes only after the record moved; no cycle.
    #[test]
    fn a_replaced_load_balancer_serves_until_its_records_moved() {
        let lb = Address::new(Kind::LoadBalancer, "web");
        let tg = Address::new(Kind::TargetGroup, "app");
        let replace = |kind: Kind, key: &str, before: Value, deps: Vec<Address>, parent: Option<Address>| Change {
            action: Action::CreateDelete,
            after: Some(crate::attrs::sample::attrs(kind, json!({}))),
            deps,
            parent,
            ..delete(kind, key, before)
        };
        let listener = replace(
            Kind::Listener,
            "web.http",
            json!({
                "load_balancer": lb.reference(),
                "default_action": { "type": "forward", "target_groups": [{ "target_group": tg.reference(), "weight": 1 }] }
            }),
            vec![lb.clone(), tg.clone()],
            Some(lb.clone()),
        );
        let record = Change {
            action: Action::Update,
            after: Some(crate::attrs::sample::attrs(Kind::Record, json!({ "target": lb.reference() }))),
            deps: vec![lb.clone()],
            ..delete(Kind::Record, "www", json!({ "target": lb.reference() }))
        };
        let plan = Plan {
            stack: "s".into(),
            changes: vec![
                replace(Kind::TargetGroup, "app", json!({}), vec![], None),
                replace(Kind::LoadBalancer, "web", json!({}), vec![], None),
                listener,
                record,
            ],
            conflicts: vec![],
            warnings: vec![],
            outputs: vec![],
        };
        let steps = steps_for(&plan);
        assert!(acyclic(&steps));
        let find = |change: usize, op: Op| steps.iter().position(|s| s.change == change && s.op == op).unwrap();
        assert!(
            steps[find(3, Op::Update)].deps.contains(&find(2, Op::Create)),
            "the record waits for the new listener"
        );
        assert!(
            steps[find(2, Op::Delete)].deps.contains(&find(3, Op::Update)),
            "the old listener waits for the record"
        );
        assert!(steps[find(1, Op::Delete)].deps.contains(&find(2, Op::Delete)), "the old load balancer goes last");
        assert!(
            steps[find(0, Op::Delete)].deps.contains(&find(2, Op::Delete)),
            "the old target group after the old listener"
        );
    }

    #[test]
    fn a_security_group_outlives_the_instance_refresh_that_moves_instances_off_it() {
        let old = Address::new(Kind::SecurityGroup, "app");
        let lt = Address::new(Kind::LaunchTemplate, "web");
        let update = |kind: Kind, key: &str, before: Value| Change {
            action: Action::Update,
            after: Some(crate::attrs::sample::attrs(kind, json!({}))),
            ..delete(kind, key, before)
        };
        let plan = Plan {
            stack: "s".into(),
            changes: vec![
                update(Kind::LaunchTemplate, "web", json!({ "security_groups": [old.reference()] })),
                update(Kind::AutoScalingGroup, "web", json!({ "launch_template": { "template": lt.reference() } })),
                delete(Kind::SecurityGroup, "app", json!({})),
            ],
            conflicts: vec![],
            warnings: vec![],
            outputs: vec![],
        };
        let steps = steps_for(&plan);
        let find = |change: usize, op: Op| steps.iter().position(|s| s.change == change && s.op == op).unwrap();
        let del = find(2, Op::Delete);
        assert!(steps[del].deps.contains(&find(0, Op::Update)), "after the template stops naming it");
        assert!(steps[del].deps.contains(&find(1, Op::Update)), "after the group's refresh");
    }

    #[test]
    fn groups_naming_each_other_clear_their_rules_before_either_is_deleted() {
        let a = Address::new(Kind::SecurityGroup, "a");
        let b = Address::new(Kind::SecurityGroup, "b");
        let plan = Plan {
            stack: "s".into(),
            changes: vec![
                delete(Kind::LoadBalancer, "web", json!({ "security_groups": [a.reference()] })),
                delete(
                    Kind::SecurityGroup,
                    "a",
                    json!({ "egress": [{ "protocol": "tcp", "from": 443, "to": 443, "source": b.reference(), "description": "" }] }),
                ),
                delete(
                    Kind::SecurityGroup,
                    "b",
                    json!({ "ingress": [{ "protocol": "tcp", "from": 443, "to": 443, "source": a.reference(), "description": "" }] }),
                ),
            ],
            conflicts: vec![],
            warnings: vec![],
            outputs: vec![],
        };
        let steps = steps_for(&plan);
        assert!(acyclic(&steps), "{steps:?}");
        let find = |change: usize, op: Op| steps.iter().position(|s| s.change == change && s.op == op).unwrap();
        let (lb, clear_a, del_a, clear_b, del_b) = (
            find(0, Op::Delete),
            find(1, Op::ClearRules),
            find(1, Op::Delete),
            find(2, Op::ClearRules),
            find(2, Op::Delete),
        );
        // a's rules stay until the load balancer using a is gone; each group goes after the other's
        // rules that name it are cleared.
        assert!(steps[clear_a].deps.contains(&lb));
        assert!(steps[del_a].deps.contains(&clear_b) && steps[del_a].deps.contains(&lb));
        assert!(steps[del_b].deps.contains(&clear_a));
    }
}
