//! The pure diff: desired resources and live state in, an ordered plan out. No I/O.

use super::model::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What live reading found: owned resources and name conflicts.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LiveState {
    pub resources: Vec<Live>,
    pub conflicts: Vec<Conflict>,
}

/// The plan from what the stack wants to what AWS has. The attributes are compared as JSON
/// leaves: this is the one place (with the serialisers) where resource values are JSON.
pub fn diff(stack: &str, desired: &[Desired], live: &LiveState) -> Plan {
    let live_by: HashMap<&Address, &Live> = live.resources.iter().map(|l| (&l.address, l)).collect();
    let conflicted: BTreeSet<&Address> = live.conflicts.iter().map(|c| &c.address).collect();
    let mut changes: BTreeMap<Address, Change> = BTreeMap::new();
    let (mut refused, mut warnings) = (Vec::new(), Vec::new());

    for d in desired {
        if conflicted.contains(&d.address) {
            continue;
        }
        let change = match live_by.get(&d.address) {
            None => Change {
                address: d.address.clone(),
                action: Action::Create,
                reason: None,
                name: d.name.clone(),
                id: None,
                before: None,
                after: Some(d.attrs.clone()),
                diffs: Vec::new(),
                deps: d.deps.clone(),
                parent: d.parent.clone(),
                inputs: d.inputs.clone(),
                adopting: false,
            },
            Some(l) => {
                let before = managed(&d.attrs, &l.attrs);
                let (want, have) = (d.attrs.to_value(), before.to_value());
                let mut diffs = Vec::new();
                if d.fixed_name && l.name != d.name {
                    // AWS renames none of these: another name is another resource.
                    diffs.push(AttrDiff {
                        forces_replacement: true,
                        ..AttrDiff::new("name", Some(Value::from(l.name.clone())), Some(Value::from(d.name.clone())))
                    });
                }
                compare("", &want, Some(&have), d.address.kind, &mut diffs);
                let forces = diffs.iter().any(|x| x.forces_replacement);
                let mut before_destroy = d.address.kind.create_before_destroy();
                let kept = kept_addresses(&d.attrs, &before);
                if forces && before_destroy && !kept.is_empty() {
                    warnings.push(format!(
                        "{}: its fixed addresses ({}) go to the replacement, so it is deleted before the replacement is created: it serves no traffic in between",
                        d.address,
                        kept.join(", ")
                    ));
                    before_destroy = false;
                }
                if forces && before_destroy && d.fixed_name && l.name == d.name {
                    match fixed_name_replacement(d, l) {
                        Ok(warning) => {
                            warnings.push(warning);
                            before_destroy = false;
                        }
                        Err(conflict) => {
                            refused.push(conflict);
                            continue;
                        }
                    }
                }
                let action = if diffs.is_empty() {
                    Action::NoOp
                } else if forces {
                    if before_destroy { Action::CreateDelete } else { Action::DeleteCreate }
                } else {
                    Action::Update
                };
                let reason = forces.then(|| Reason::CannotUpdate {
                    paths: diffs.iter().filter(|x| x.forces_replacement).map(|x| x.path.clone()).collect(),
                });
                Change {
                    address: d.address.clone(),
                    action,
                    reason,
                    name: if action.is_replace() { d.name.clone() } else { l.name.clone() },
                    id: Some(l.id.clone()),
                    before: Some(before),
                    after: Some(d.attrs.clone()),
                    diffs,
                    deps: d.deps.clone(),
                    parent: d.parent.clone(),
                    inputs: d.inputs.clone(),
                    adopting: false,
                }
            }
        };
        changes.insert(d.address.clone(), change);
    }

    let create_first = replace_load_balancers_create_first(desired, &mut changes, &mut warnings);

    // Replacing a parent replaces what lives inside it; replacing anything repoints its users.
    let order = topological(&changes);
    for addr in &order {
        let (parent_replaced, replaced_deps) = {
            let c = &changes[addr];
            let parent_replaced = c.parent.as_ref().and_then(|p| changes.get(p)).is_some_and(|p| p.action.is_replace());
            let replaced: Vec<Address> =
                c.deps.iter().filter(|d| changes.get(*d).is_some_and(|x| x.action.is_replace())).cloned().collect();
            (parent_replaced, replaced)
        };
        let c = changes.get_mut(addr).expect("ordered from the same map");
        if parent_replaced && matches!(c.action, Action::NoOp | Action::Update) && c.id.is_some() {
            // Inside a load balancer replaced create-first, its listeners and rules are made on
            // the replacement before the old ones go; otherwise they go first.
            let first = c.parent.as_ref().is_some_and(|p| create_first.contains(p));
            c.action = if first { Action::CreateDelete } else { Action::DeleteCreate };
            c.reason = Some(Reason::ParentReplaced { parent: c.parent.as_ref().expect("has parent").to_string() });
        } else if !replaced_deps.is_empty() && c.id.is_some() && !c.action.is_replace() {
            // Every value naming a replaced resource changes (same reference, new id): shown in
            // the plan, and seen by the executors that act on changed paths.
            let mut repoints = Vec::new();
            if let Some(after) = &c.after {
                repointed("", &after.to_value(), &replaced_deps, &mut repoints);
            }
            repoints.retain(|r| !c.diffs.iter().any(|d| d.path == r.path));
            c.diffs.extend(repoints);
            if c.action == Action::NoOp {
                c.action = Action::Update;
                c.reason = Some(Reason::Repoint { replaced: replaced_deps.iter().map(ToString::to_string).collect() });
            }
        }
    }

    // Owned resources the stack no longer declares.
    let mut deletes: Vec<Change> = live
        .resources
        .iter()
        .filter(|l| !changes.contains_key(&l.address))
        .map(|l| Change {
            address: l.address.clone(),
            action: Action::Delete,
            reason: Some(Reason::NotInStack),
            name: l.name.clone(),
            id: Some(l.id.clone()),
            before: Some(l.attrs.clone()),
            after: None,
            diffs: Vec::new(),
            deps: Vec::new(),
            parent: None,
            inputs: Default::default(),
            adopting: false,
        })
        .collect();
    // Delete dependents before what they depend on: children (rules, listeners) before parents.
    deletes.sort_by_key(|c| std::cmp::Reverse(c.address.kind.rank()));

    let mut ordered: Vec<Change> = order.iter().map(|a| changes.remove(a).expect("present")).collect();
    ordered.extend(deletes);
    let mut conflicts = live.conflicts.clone();
    conflicts.extend(refused);
    Plan { stack: stack.to_string(), changes: ordered, conflicts, warnings, outputs: vec![] }
}

/// A resource with a fixed name (`name:`) that must be replaced: no second resource can hold its
/// name while the first lives. A load balancer is replaced delete-first, and the plan says what
/// that costs; anything else is refused (others use it: it cannot go first).
/// A load balancer replaced create-first keeps serving until its replacement has listeners and
/// the stack's records point at it. Its listeners and rules are then made on the replacement
/// first; the target groups they forward to are replaced with it, since a target group serves one
/// load balancer (TargetGroupAssociationLimit). Where a target group's name is fixed (`name:`)
/// that cannot be, and its listeners go before their replacements are made, as the plan warns.
/// Returns the parents (load balancers, and their listeners) whose children are made first.
fn replace_load_balancers_create_first(
    desired: &[Desired],
    changes: &mut BTreeMap<Address, Change>,
    warnings: &mut Vec<String>,
) -> BTreeSet<Address> {
    let mut first = BTreeSet::new();
    let replaced: Vec<Address> = changes
        .values()
        .filter(|c| c.address.kind == Kind::LoadBalancer && c.action == Action::CreateDelete)
        .map(|c| c.address.clone())
        .collect();
    for lb in replaced {
        let listeners: Vec<Address> =
            changes.values().filter(|c| c.parent.as_ref() == Some(&lb)).map(|c| c.address.clone()).collect();
        let inside: Vec<Address> = changes
            .values()
            .filter(|c| c.parent.as_ref().is_some_and(|p| *p == lb || listeners.contains(p)))
            .map(|c| c.address.clone())
            .collect();
        let groups: BTreeSet<Address> = inside
            .iter()
            .flat_map(|a| changes[a].deps.iter())
            .filter(|d| d.kind == Kind::TargetGroup)
            .cloned()
            .collect();
        let fixed: Vec<&Address> =
            groups.iter().filter(|g| desired.iter().any(|d| &d.address == *g && d.fixed_name)).collect();
        if !fixed.is_empty() {
            let names: Vec<String> = fixed.iter().map(ToString::to_string).collect();
            warnings.push(format!(
                "{lb} is replaced: its listeners are deleted before the replacement's are made, because {} keep{} a fixed name (`name:`) and a target group serves one load balancer: it serves no traffic in between",
                names.join(", "),
                if names.len() == 1 { "s" } else { "" }
            ));
            continue;
        }
        for g in &groups {
            if let Some(c) =
                changes.get_mut(g).filter(|c| matches!(c.action, Action::NoOp | Action::Update) && c.id.is_some())
            {
                c.action = Action::CreateDelete;
                c.reason = Some(Reason::ServesReplacement { load_balancer: lb.to_string() });
            }
        }
        warnings.push(format!(
            "{lb} is replaced: traffic moves to a new DNS name. The replacement and its listeners are made first, the stack's records then point at it, and the old one is deleted last; clients that use the old DNS name directly must move"
        ));
        first.insert(lb.clone());
        first.extend(listeners);
    }
    first
}

/// The fixed addresses (Elastic IPs, private and IPv6 addresses) a load balancer holds now and its
/// replacement would take: one address cannot be on both at once.
fn kept_addresses(want: &Attrs, have: &Attrs) -> Vec<String> {
    let values = |a: &Attrs| -> Vec<String> {
        let Attrs::LoadBalancer(lb) = a else { return Vec::new() };
        lb.addresses
            .iter()
            .flat_map(|by_subnet| by_subnet.values())
            .flat_map(|s| [&s.elastic_ip, &s.private_ipv4, &s.ipv6])
            .flatten()
            .cloned()
            .collect()
    };
    let held = values(have);
    values(want).into_iter().filter(|a| held.contains(a)).collect()
}

fn fixed_name_replacement(d: &Desired, l: &Live) -> Result<String, Conflict> {
    if d.address.kind == Kind::LoadBalancer {
        return Ok(format!(
            "{}: its name `{}` is fixed (`name:`), so it is deleted before its replacement is created: it serves no traffic in between, and the replacement has a new DNS name",
            d.address, d.name
        ));
    }
    Err(Conflict {
        address: d.address.clone(),
        name: l.name.clone(),
        id: l.id.clone(),
        reason: format!(
            "it must be replaced, but its name `{}` is fixed (`name:`) and a {} in use cannot be deleted before its replacement exists: remove `name:` to let lbstack name the replacement, or give a new name",
            d.name,
            d.address.kind.noun()
        ),
    })
}

/// Refuse, before any write, a plan that deletes a load balancer with deletion protection on
/// (removed from the stack, replaced, or destroyed): AWS would refuse the delete only after its
/// listeners and target groups were gone.
pub fn refuse_protected(plan: &mut Plan) {
    for c in plan.changes.iter().filter(|c| {
        c.address.kind == Kind::LoadBalancer
            && matches!(c.action, Action::Delete | Action::DeleteCreate | Action::CreateDelete)
    }) {
        let protected = matches!(&c.before, Some(Attrs::LoadBalancer(lb))
            if lb.attributes.get("deletion_protection.enabled").map(String::as_str) == Some("true"));
        if protected {
            plan.conflicts.push(Conflict {
                address: c.address.clone(),
                name: c.name.clone(),
                id: c.id.clone().unwrap_or_default(),
                reason:
                    "deletion protection is on: set `attributes: {deletion_protection: false}` on it in the stack and apply, then remove, replace or destroy it"
                        .into(),
            });
        }
    }
}

/// A resource created under a name that a resource the plan deletes still holds (a key renamed
/// while `name:` stays): AWS would refuse the create, or (load balancers, target groups) hand back
/// the existing resource, which the delete then removes. Refused in the plan.
pub fn refuse_names_still_held(plan: &mut Plan) {
    let deleted: Vec<(Kind, &str, &Address)> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| (c.address.kind, c.name.as_str(), &c.address))
        .collect();
    let mut refused = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action == Action::Create) {
        if let Some((_, _, holder)) =
            deleted.iter().find(|(k, n, a)| *k == c.address.kind && *n == c.name && **a != c.address)
        {
            refused.push(Conflict {
                address: c.address.clone(),
                name: c.name.clone(),
                id: String::new(),
                reason: format!(
                    "the name is fixed (`name:`) and still held by {holder}, which this plan deletes: AWS cannot have both at once. Keep the old key, or remove `name:` for one apply (the new one is then made beside the old)"
                ),
            });
        }
    }
    plan.conflicts.extend(refused);
}

/// The leaves of `v` (at the paths `compare` uses) that name one of `replaced`.
fn repointed(path: &str, v: &Value, replaced: &[Address], out: &mut Vec<AttrDiff>) {
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    let names_replaced = |x: &Value| {
        let mut refs = Vec::new();
        super::desired::collect_refs(x, &mut refs);
        refs.iter().any(|r| replaced.contains(r))
    };
    match v {
        Value::Object(m) if as_reference(v).is_none() => {
            for (k, x) in m.iter().filter(|(k, _)| !k.starts_with('_')) {
                repointed(&join(k), x, replaced, out);
            }
        }
        Value::Array(items) if path != "rules" && items.iter().any(Value::is_object) => {
            for (i, x) in items.iter().enumerate() {
                repointed(&format!("{path}[{i}]"), x, replaced, out);
            }
        }
        _ if names_replaced(v) => {
            out.push(AttrDiff { repoint: true, ..AttrDiff::new(path, Some(v.clone()), Some(v.clone())) })
        }
        _ => {}
    }
}

/// Dependencies first; ties by kind order then address, so plans read the same every time.
fn topological(changes: &BTreeMap<Address, Change>) -> Vec<Address> {
    let mut out = Vec::new();
    let mut state: HashMap<&Address, u8> = HashMap::new(); // 1 visiting, 2 done
    let mut keys: Vec<&Address> = changes.keys().collect();
    keys.sort_by_key(|a| (a.kind.rank(), (*a).clone()));
    fn visit<'a>(
        a: &'a Address,
        changes: &'a BTreeMap<Address, Change>,
        state: &mut HashMap<&'a Address, u8>,
        out: &mut Vec<Address>,
    ) {
        match state.get(a) {
            Some(2) => return,
            Some(1) => return, // a cycle cannot come from a validated stack; break it rather than loop
            _ => {}
        }
        state.insert(a, 1);
        if let Some(c) = changes.get(a) {
            for d in c.deps.iter().chain(c.parent.iter()) {
                if changes.contains_key(d) {
                    visit(d, changes, state, out);
                }
            }
        }
        state.insert(a, 2);
        out.push(a.clone());
    }
    for k in keys {
        visit(k, changes, &mut state, &mut out);
    }
    out
}

/// Live attributes with only the tags lbstack manages (see `ownership::managed_view`).
fn managed(want: &Attrs, have: &Attrs) -> Attrs {
    let mut have = have.clone();
    if let (Some(w), Some(h)) = (want.tags(), have.tags_mut()) {
        *h = crate::ownership::managed_view(w, h);
    }
    have
}

/// Compares only what the stack declares: every leaf of `want`. Tags are compared as a whole
/// map (after `managed`): a managed tag the stack no longer declares is a removal.
fn compare(path: &str, want: &Value, have: Option<&Value>, kind: Kind, out: &mut Vec<AttrDiff>) {
    let forces = |p: &str| kind.replace_paths().iter().any(|r| p == *r || p.starts_with(&format!("{r}.")));
    match (want, have) {
        (Value::Object(w), Some(Value::Object(h))) if as_reference(want).is_none() => {
            // `_`-prefixed keys are inputs for apply (file paths, a validation zone), not state.
            for (k, v) in w.iter().filter(|(k, _)| !k.starts_with('_')) {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                compare(&child, v, h.get(k), kind, out);
            }
            if path == "tags" {
                for (k, v) in h.iter().filter(|(k, _)| !w.contains_key(*k)) {
                    out.push(AttrDiff::new(format!("tags.{k}"), Some(v.clone()), None));
                }
            }
        }
        // Rule lists are compared whole: a position is not an identity (the renderer matches
        // listener rules by their conditions and WAF rules by name).
        // Lists of references (a group's target groups) are sets: compared whole, and shown as
        // elements added and removed, never as renames position by position.
        (Value::Array(w), Some(Value::Array(h)))
            if path != "rules"
                && w.len() == h.len()
                && w.iter().any(|x| x.is_object() && as_reference(x).is_none()) =>
        {
            for (i, (wv, hv)) in w.iter().zip(h).enumerate() {
                compare(&format!("{path}[{i}]"), wv, Some(hv), kind, out);
            }
        }
        _ => {
            // What is compared as a whole (a rule list) is compared as state: without the inputs
            // (`_` keys: a sign-in's secret source) it carries for apply.
            let want = state(want);
            if !same(&want, have) {
                out.push(AttrDiff {
                    forces_replacement: forces(path),
                    ..AttrDiff::new(path, have.cloned(), Some(want))
                });
            }
        }
    }
}

/// A value without its `_`-keyed inputs, at any depth.
fn state(v: &Value) -> Value {
    match v {
        Value::Object(m) if as_reference(v).is_none() => {
            Value::Object(m.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, x)| (k.clone(), state(x))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(state).collect()),
        other => other.clone(),
    }
}

/// Equality that treats `5` and `5.0`, and a missing value and null, as the same.
fn same(want: &Value, have: Option<&Value>) -> bool {
    match (want, have) {
        (Value::Null, None) => true,
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (w, Some(h)) => w == h,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::attrs::sample;

    fn desired(kind: Kind, key: &str, attrs: Value, deps: &[Address], parent: Option<Address>) -> Desired {
        Desired {
            address: Address::new(kind, key),
            name: key.into(),
            attrs: sample::attrs(kind, attrs),
            deps: deps.to_vec(),
            parent,
            inputs: Default::default(),
            fixed_name: false,
        }
    }
    fn live(kind: Kind, key: &str, attrs: Value) -> Live {
        Live {
            address: Address::new(kind, key),
            id: format!("arn:{key}"),
            name: key.into(),
            attrs: sample::attrs(kind, attrs),
        }
    }
    fn state(resources: Vec<Live>, conflicts: Vec<Conflict>) -> LiveState {
        LiveState { resources, conflicts }
    }
    fn actions(p: &Plan) -> Vec<(String, Action)> {
        p.changes.iter().map(|c| (c.address.to_string(), c.action)).collect()
    }

    #[test]
    fn create_update_noop_delete_in_dependency_order() {
        let tg = Address::new(Kind::TargetGroup, "api");
        let lb = Address::new(Kind::LoadBalancer, "web");
        let d = vec![
            desired(
                Kind::Listener,
                "web.http",
                json!({"port": 80, "default_action": {"target_groups": [{"target_group": tg.reference(), "weight": 1}]}}),
                &[tg.clone(), lb.clone()],
                Some(lb.clone()),
            ),
            desired(Kind::TargetGroup, "api", json!({"port": 8080, "health_check": {"interval": 10}}), &[], None),
            desired(Kind::LoadBalancer, "web", json!({"type": "application"}), &[], None),
        ];
        let l = state(
            vec![
                live(Kind::TargetGroup, "api", json!({"port": 8080, "health_check": {"interval": 30, "timeout": 5}})),
                live(Kind::LoadBalancer, "web", json!({"type": "application", "dns_name": "x"})),
                live(Kind::TargetGroup, "old", json!({"port": 81})),
            ],
            vec![],
        );
        let p = diff("s", &d, &l);
        assert_eq!(
            actions(&p),
            vec![
                ("target_group.api".into(), Action::Update),
                ("load_balancer.web".into(), Action::NoOp),
                ("listener.web.http".into(), Action::Create),
                ("target_group.old".into(), Action::Delete),
            ]
        );
        let upd = &p.changes[0];
        assert_eq!(upd.diffs.len(), 1, "only declared leaves are compared: {:?}", upd.diffs);
        assert_eq!(upd.diffs[0].path, "health_check.interval");
        assert_eq!(p.summary(), Summary { add: 1, change: 1, destroy: 1 });
    }

    #[test]
    fn replacing_a_target_group_repoints_its_listener() {
        let tg = Address::new(Kind::TargetGroup, "api");
        let fwd = json!({"default_action": {"target_groups": [{"target_group": tg.reference(), "weight": 1}]}});
        let d = vec![
            desired(Kind::TargetGroup, "api", json!({"protocol": "HTTPS", "port": 8443}), &[], None),
            desired(Kind::Listener, "web.http", fwd.clone(), std::slice::from_ref(&tg), None),
        ];
        let l = state(
            vec![
                live(Kind::TargetGroup, "api", json!({"protocol": "HTTP", "port": 8443})),
                live(Kind::Listener, "web.http", fwd),
            ],
            vec![],
        );
        let p = diff("s", &d, &l);
        assert_eq!(p.changes[0].action, Action::CreateDelete);
        assert_eq!(
            p.changes[0].reason.as_ref().map(ToString::to_string).as_deref(),
            Some("protocol cannot change in place")
        );
        assert!(p.changes[0].diffs[0].forces_replacement);
        assert_eq!(p.changes[1].action, Action::Update);
        assert_eq!(
            p.changes[1].reason.as_ref().map(ToString::to_string).as_deref(),
            Some("repoint to the replacement of target_group.api")
        );
    }

    /// A load balancer replaced create-first: its listeners are made on the replacement first,
    /// with target groups of their own; a fixed-name group makes the listeners go first instead.
    #[test]
    fn replacing_a_load_balancer_replaces_its_listeners_and_their_groups() {
        let lb = Address::new(Kind::LoadBalancer, "web");
        let tg = Address::new(Kind::TargetGroup, "app");
        let d = |fixed: bool| {
            vec![
                Desired { fixed_name: fixed, ..desired(Kind::TargetGroup, "app", json!({"port": 80}), &[], None) },
                desired(Kind::LoadBalancer, "web", json!({"scheme": "internal"}), &[], None),
                desired(Kind::Listener, "web.http", json!({"port": 80}), &[lb.clone(), tg.clone()], Some(lb.clone())),
            ]
        };
        let l = state(
            vec![
                live(Kind::TargetGroup, "app", json!({"port": 80})),
                live(Kind::LoadBalancer, "web", json!({"scheme": "internet-facing"})),
                live(Kind::Listener, "web.http", json!({"port": 80})),
            ],
            vec![],
        );
        let p = diff("s", &d(false), &l);
        let mut got = actions(&p);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("listener.web.http".into(), Action::CreateDelete),
                ("load_balancer.web".into(), Action::CreateDelete),
                ("target_group.app".into(), Action::CreateDelete)
            ]
        );
        let tg_change = p.changes.iter().find(|c| c.address == tg).unwrap();
        assert_eq!(tg_change.reason, Some(Reason::ServesReplacement { load_balancer: "load_balancer.web".into() }));
        assert!(p.warnings[0].contains("traffic moves to a new DNS name"), "{:?}", p.warnings);

        let p = diff("s", &d(true), &l);
        let listener = p.changes.iter().find(|c| c.address.kind == Kind::Listener).unwrap();
        assert_eq!(listener.action, Action::DeleteCreate, "the fixed-name group stays: its listener goes first");
        assert!(p.warnings[0].contains("serves no traffic in between"), "{:?}", p.warnings);
    }

    /// A key renamed while its fixed name stays: the create would meet the old resource.
    #[test]
    fn a_fixed_name_still_held_by_a_deleted_resource_is_refused() {
        let d = vec![Desired {
            fixed_name: true,
            name: "corp-tg".into(),
            ..desired(Kind::TargetGroup, "renamed", json!({"port": 80}), &[], None)
        }];
        let mut old = live(Kind::TargetGroup, "old", json!({"port": 80}));
        old.name = "corp-tg".into();
        let mut p = diff("s", &d, &state(vec![old], vec![]));
        refuse_names_still_held(&mut p);
        assert_eq!(p.conflicts.len(), 1);
        assert_eq!(p.conflicts[0].address, Address::new(Kind::TargetGroup, "renamed"));
        assert!(p.conflicts[0].reason.contains("still held by target_group.old"), "{}", p.conflicts[0].reason);
    }

    #[test]
    fn conflicts_are_left_alone() {
        let d = vec![desired(Kind::TargetGroup, "api", json!({"port": 80}), &[], None)];
        let l = state(
            vec![],
            vec![Conflict {
                address: Address::new(Kind::TargetGroup, "api"),
                name: "s-api".into(),
                id: "arn:x".into(),
                reason: "no ownership tags".into(),
            }],
        );
        let p = diff("s", &d, &l);
        assert!(p.changes.is_empty());
        assert_eq!(p.conflicts.len(), 1);
        assert!(!p.has_changes());
    }

    /// The JSON leaves of the structs compare as values: `5` and `5.0` (a threshold), a null
    /// and a field left out.
    #[test]
    fn numbers_and_missing_nulls_compare_equal() {
        assert!(same(&json!(5), Some(&json!(5.0))));
        assert!(same(&Value::Null, None));
        assert!(!same(&json!(5), None));
        let d = vec![desired(Kind::Alarm, "a", json!({"threshold": 5.0, "datapoints_to_alarm": null}), &[], None)];
        let l = state(vec![live(Kind::Alarm, "a", json!({"threshold": 5.0}))], vec![]);
        assert_eq!(diff("s", &d, &l).changes[0].action, Action::NoOp);
    }
}
