//! The plan, built in one place: what the stack wants (`desired`), diffed against what AWS has
//! (`diff`), then the passes that finish it — adoption, destroy reasons, refusals, names for
//! replacements that live beside their original, port swaps, instance refreshes and outputs.
//! Pure: live state and the published outputs come in, a plan comes out. `ops` only reads and
//! writes AWS around it.

use super::model::{Action, Address, Attrs, Change, Kind, Live, Plan, Reason};
use super::{LiveState, desired::Context};
use crate::ownership::{OWNER_STACK_TAG, names};
use crate::stack_format::model::Stack;
use std::collections::{BTreeMap, BTreeSet};

/// What a plan is asked to do beyond "make AWS match the stack".
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Plan the removal of everything the stack owns.
    pub destroy: bool,
    /// The addresses `--adopt` named (None: all, or adoption is off; the live readers already
    /// read accordingly). Each must hold a resource to adopt, so a typo never passes silently.
    pub adopt_only: Option<&'a BTreeSet<String>>,
}

/// An address `--adopt` cannot name, before anything is read: not an address, or of a kind
/// that cannot be adopted.
pub fn check_adoptable(asked: &BTreeSet<String>) -> Result<(), String> {
    match asked.iter().find(|a| !Address::parse(a).is_some_and(|a| a.kind.adoptable())) {
        Some(bad) => {
            let kinds: Vec<&str> = Kind::ALL.iter().filter(|k| k.adoptable()).map(|k| k.as_str()).collect();
            Err(format!(
                "cannot adopt `{bad}`: adoption takes the address of a {} (as the plan names it)",
                kinds.join(", ")
            ))
        }
        None => Ok(()),
    }
}

/// The plan that makes `live` what `stack` says (or removes it all, `destroy`).
pub fn build(
    stack: &Stack,
    context: &Context,
    live: &LiveState,
    published: Option<&BTreeMap<String, String>>,
    options: Options,
) -> Result<Plan, String> {
    let mut wanted = if options.destroy { Vec::new() } else { super::desired::build(stack, context)? };
    super::autoscaling::keep_scheduled_sizes(stack, &mut wanted, &live.resources);
    let mut plan = super::diff(&stack.stack, &wanted, live);
    mark_adopted(&mut plan, live);
    if let Some(asked) = options.adopt_only
        && let Some(missing) = asked.iter().find(|a| !live.resources.iter().any(|l| l.address.to_string() == **a))
    {
        let why = plan
            .conflicts
            .iter()
            .find(|c| c.address.to_string() == *missing)
            .map_or("no resource without lbstack tags holds its name".to_string(), |c| c.reason.clone());
        return Err(format!("cannot adopt `{missing}`: {why}"));
    }
    if options.destroy {
        for c in plan.changes.iter_mut() {
            c.reason = Some(Reason::Destroying);
        }
        // Destroy takes no name, so a name held by someone else stands in its way no more: what it
        // leaves alone is said, not refused.
        for c in std::mem::take(&mut plan.conflicts) {
            plan.warnings.push(format!("{}: left alone: {} ({})", c.address, c.reason, c.id));
        }
    }
    super::diff::refuse_protected(&mut plan);
    super::diff::refuse_names_still_held(&mut plan);
    name_replacements(&mut plan, live, stack);
    super::ports::stage_port_swaps(&mut plan);
    super::autoscaling::annotate(&mut plan);
    plan.outputs = super::outputs::changes(stack, &plan, live, published, options.destroy);
    Ok(plan)
}

/// Whether a live resource was read as the stack's without carrying its ownership: an untagged
/// resource `--adopt` took, or a record not yet in the zone's index.
fn adopting(l: &Live) -> bool {
    match &l.attrs {
        Attrs::Record(r) => !r.indexed,
        _ => l.tags().is_some_and(|t| !t.contains_key(OWNER_STACK_TAG)),
    }
}

/// Adopted resources are updates with the reason `Adopting` (with an adopted load balancer, its
/// listeners too); one that the stack would replace is said, since adopting it deletes it.
fn mark_adopted(plan: &mut Plan, live: &LiveState) {
    let adopted: Vec<&Address> = live.resources.iter().filter(|l| adopting(l)).map(|l| &l.address).collect();
    for c in plan.changes.iter_mut().filter(|c| adopted.contains(&&c.address)) {
        if c.reason.is_none() {
            c.adopting = true;
            c.reason = Some(Reason::Adopting);
        } else if c.action.is_replace() && c.address.kind.adoptable() {
            plan.warnings.push(format!(
                "{}: adopting it replaces it ({}): the existing one is deleted",
                c.address,
                c.reason.as_ref().map(ToString::to_string).unwrap_or_default()
            ));
        }
    }
}

/// A replacement created before its original is deleted needs a name of its own. A fixed name
/// (`name:`) is kept: the plan replaced it delete-first, or refused it.
fn name_replacements(plan: &mut Plan, live: &LiveState, stack: &Stack) {
    let generated =
        |c: &Change| c.action == Action::CreateDelete && stack.given_name(c.address.kind, &c.address.key).is_none();
    for c in plan.changes.iter_mut().filter(|c| generated(c)) {
        let Some(max) = c.address.kind.name_max() else { continue };
        let current =
            live.resources.iter().find(|l| l.address == c.address).map(|l| l.name.as_str()).unwrap_or_default();
        if c.name == current || names::physical(&stack.stack, &c.address.key, max) == current {
            let salt = serde_json::to_string(&c.after).unwrap_or_default();
            c.name = names::replacement(&stack.stack, &c.address.key, max, current, &salt);
        }
    }
}
