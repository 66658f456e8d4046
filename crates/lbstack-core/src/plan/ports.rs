//! Listener ports that change hands within one apply. AWS refuses a listener on a port another
//! listener of the load balancer holds (DuplicateListener), so a listener arriving on a port
//! waits until the listener there has moved off or gone; when listeners swap ports (a cycle), one
//! of them first steps aside to a port nobody uses, and the plan says so.

use super::model::{Action, Address, Change, Plan};
use crate::attrs::elbv2::{ListenerAttrs, ListenerInputs};
use crate::kinds::Kind;
use std::collections::{BTreeMap, BTreeSet};

/// A listener change's load balancer and port, before and after.
struct Move {
    lb: Address,
    from: Option<i64>,
    to: Option<i64>,
}

fn move_of(c: &Change) -> Option<Move> {
    if c.address.kind != Kind::Listener {
        return None;
    }
    let before = c.before_as::<ListenerAttrs>().ok().flatten();
    let after = c.after.as_ref().and_then(|_| c.after_as::<ListenerAttrs>().ok());
    let lb = after.as_ref().or(before.as_ref())?.load_balancer.0.clone();
    let to = match c.action {
        Action::Create | Action::Update => after.and_then(|a| a.port),
        _ => None,
    };
    Some(Move { lb, from: before.and_then(|b| b.port), to })
}

/// For each listener change that takes a port (created there, or moved there), the change whose
/// listener holds that port now: `(arriving, holding)`, by index into `plan.changes`.
pub fn holders(plan: &Plan) -> Vec<(usize, usize)> {
    let moves: Vec<Option<Move>> = plan.changes.iter().map(move_of).collect();
    let mut held: BTreeMap<(Address, i64), usize> = BTreeMap::new();
    for (i, m) in moves.iter().enumerate() {
        if let Some(Move { lb, from: Some(p), .. }) = m {
            held.insert((lb.clone(), *p), i);
        }
    }
    let mut out = Vec::new();
    for (i, m) in moves.iter().enumerate() {
        let Some(Move { lb, from, to: Some(to) }) = m else { continue };
        if *from == Some(*to) {
            continue;
        }
        if let Some(&h) = held.get(&(lb.clone(), *to)).filter(|h| **h != i) {
            out.push((i, h));
        }
    }
    out
}

/// Break every cycle of listeners taking each other's ports (a swap, a rotation): the first
/// listener of each cycle steps aside to a free port before the others move, and a warning says
/// which. Call after the plan's changes are final.
pub fn stage_port_swaps(plan: &mut Plan) {
    let waits: BTreeMap<usize, usize> = holders(plan).into_iter().collect();
    let mut staged: BTreeSet<usize> = BTreeSet::new();
    for &start in waits.keys() {
        // Follow who waits for whom; each listener waits for at most one other.
        let mut path = vec![start];
        let mut at = start;
        while let Some(&next) = waits.get(&at) {
            if next == start {
                if !path.iter().any(|i| staged.contains(i)) {
                    staged.insert(*path.iter().min().expect("a cycle has members"));
                }
                break;
            }
            if path.contains(&next) {
                break;
            }
            path.push(next);
            at = next;
        }
    }
    for i in staged {
        let Some(m) = move_of(&plan.changes[i]) else { continue };
        let used: BTreeSet<i64> = plan
            .changes
            .iter()
            .filter_map(move_of)
            .filter(|o| o.lb == m.lb)
            .flat_map(|o| [o.from, o.to])
            .flatten()
            .collect();
        let Some(free) = (1024..=65535).rev().find(|p| !used.contains(p)) else { continue };
        let c = &mut plan.changes[i];
        c.inputs = ListenerInputs { stage_port: Some(free) }.into();
        plan.warnings.push(format!(
            "{}: listeners of {} swap ports: it steps aside to port {free} until the port it takes is free, then moves to {}",
            c.address,
            m.lb,
            m.to.map_or("its port".to_string(), |p| p.to_string())
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Inputs;
    use serde_json::json;

    fn listener(key: &str, action: Action, from: Option<i64>, to: Option<i64>) -> Change {
        let side = |port: Option<i64>| {
            port.map(|p| crate::attrs::sample::attrs(Kind::Listener, json!({"load_balancer": {"$ref": "load_balancer.web"}, "port": p, "protocol": "HTTP", "default_action": {"type": "fixed-response", "status": "404", "content_type": "text/plain", "body": "", "authenticate": null}})))
        };
        Change {
            address: Address::new(Kind::Listener, format!("web.{key}")),
            action,
            reason: None,
            name: key.into(),
            id: None,
            before: side(from),
            after: if action == Action::Delete { None } else { side(to) },
            diffs: vec![],
            deps: vec![],
            parent: None,
            inputs: Default::default(),
            adopting: false,
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan { stack: "s".into(), changes, conflicts: vec![], warnings: vec![], outputs: vec![] }
    }

    #[test]
    fn a_port_freed_by_a_delete_or_a_move_is_waited_for() {
        let p = plan(vec![
            listener("a", Action::Delete, Some(80), None),
            listener("b", Action::Create, None, Some(80)),
            listener("c", Action::Update, Some(81), Some(82)),
            listener("d", Action::Update, Some(83), Some(81)),
        ]);
        assert_eq!(holders(&p), vec![(1, 0), (3, 2)]);
        let mut staged = p.clone();
        stage_port_swaps(&mut staged);
        assert!(staged.warnings.is_empty(), "no cycle: {:?}", staged.warnings);
    }

    #[test]
    fn a_swap_steps_one_listener_aside_to_a_free_port() {
        let mut p = plan(vec![
            listener("a", Action::Update, Some(80), Some(81)),
            listener("b", Action::Update, Some(81), Some(80)),
        ]);
        assert_eq!(holders(&p), vec![(0, 1), (1, 0)]);
        stage_port_swaps(&mut p);
        assert_eq!(p.changes[0].inputs, ListenerInputs { stage_port: Some(65535) }.into());
        assert_eq!(p.changes[1].inputs, Inputs::None);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("steps aside to port 65535"), "{}", p.warnings[0]);
    }

    #[test]
    fn a_rotation_of_three_stages_one() {
        let mut p = plan(vec![
            listener("a", Action::Update, Some(80), Some(81)),
            listener("b", Action::Update, Some(81), Some(82)),
            listener("c", Action::Update, Some(82), Some(80)),
        ]);
        stage_port_swaps(&mut p);
        let staged: Vec<usize> = (0..3).filter(|i| p.changes[*i].inputs != Inputs::None).collect();
        assert_eq!(staged, vec![0]);
    }
}
