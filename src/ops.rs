//! The operations behind the commands: plan a stack against live AWS, apply a plan, destroy.
//! The CLI parses flags and prints; this module holds the sequence.

use crate::live::{self, AwsOptions, Clients};
use crate::plan::desired::{self, Context};
use crate::plan::{self, Action, Kind, LiveState, Plan, names};
use crate::spec::model::Stack;

/// A computed plan and the fingerprint of the live state it was computed from.
pub struct Planned {
    pub plan: Plan,
    pub fingerprint: String,
}

pub async fn clients(opts: &AwsOptions, stack: &Stack) -> Clients {
    let mut opts = opts.clone();
    if opts.region.is_none() {
        opts.region = stack.region.clone();
    }
    Clients::new(&live::sdk_config(&opts).await)
}

/// The clients of a run, after `live::preflight` checked region, endpoint and credentials.
pub async fn connect(opts: &AwsOptions, stack: Option<&Stack>) -> anyhow::Result<Clients> {
    let mut opts = opts.clone();
    if opts.region.is_none() {
        opts.region = stack.and_then(|s| s.region.clone());
    }
    if let Some(profile) = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty())) {
        live::check_profile(&profile).await?;
    }
    let config = live::sdk_config(&opts).await;
    live::preflight(&config).await?;
    Ok(Clients::new(&config))
}

/// Read live state and diff. `destroy` plans the removal of everything the stack owns.
pub async fn plan(clients: &Clients, stack: &Stack, destroy: bool) -> anyhow::Result<Planned> {
    let (context, live) = live::read(clients, stack).await?;
    let mut wanted = if destroy { Vec::new() } else { desired::build(stack, &context).map_err(anyhow::Error::msg)? };
    plan::autoscaling::keep_scheduled_sizes(stack, &mut wanted, &live.resources);
    let mut plan = plan::diff(&stack.stack, &wanted, &live);
    if destroy {
        for c in plan.changes.iter_mut() {
            c.reason = Some(plan::Reason::Destroying);
        }
        // Destroy takes no name, so a name held by someone else stands in its way no more: what it
        // leaves alone is said, not refused.
        for c in std::mem::take(&mut plan.conflicts) {
            plan.warnings.push(format!("{}: left alone: {} ({})", c.address, c.reason, c.id));
        }
    }
    name_replacements(&mut plan, &live, &stack.stack);
    plan::autoscaling::annotate(&mut plan);
    let fingerprint = fingerprint(&context, &live);
    Ok(Planned { plan, fingerprint })
}

/// A replacement created before its original is deleted needs a name of its own.
fn name_replacements(plan: &mut Plan, live: &LiveState, stack: &str) {
    for c in plan.changes.iter_mut().filter(|c| c.action == Action::CreateDelete) {
        let max = match c.address.kind {
            Kind::TargetGroup | Kind::LoadBalancer => 32,
            Kind::SecurityGroup => 255,
            Kind::IpSet => 128,
            _ => continue,
        };
        let current = live.resources.iter().find(|l| l.address == c.address).map(|l| l.name.as_str()).unwrap_or_default();
        if c.name == current || names::physical(stack, &c.address.key, max) == current {
            let salt = serde_json::to_string(&c.after).unwrap_or_default();
            c.name = names::replacement(stack, &c.address.key, max, current, &salt);
        }
    }
}

/// Identifies the live state a plan was computed from (order-independent: resources are sorted).
pub fn fingerprint(context: &Context, live: &LiveState) -> String {
    let text = serde_json::to_string(&(context, live)).unwrap_or_default();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

pub async fn apply(
    clients: &Clients,
    stack: &Stack,
    planned: &Plan,
    parallelism: usize,
    progress: impl Fn(crate::apply::Event) + Send + Sync + 'static,
) -> crate::apply::Outcome {
    let force_delete = stack.autoscaling_groups.iter().filter(|(_, g)| g.force_delete).map(|(k, _)| k.clone()).collect();
    let sc = crate::apply::StepContext {
        clients: clients.clone(),
        ids: Default::default(),
        stack: stack.stack.clone(),
        progress: std::sync::Arc::new(|_| {}),
        force_delete: std::sync::Arc::new(force_delete),
        files: stack.files.clone(),
    };
    crate::apply::run(planned, sc, parallelism, progress).await
}
