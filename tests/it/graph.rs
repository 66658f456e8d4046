//! `lbstack graph`: snapshots of the reference stack and every example, Mermaid and DOT, and a
//! plan drawn with created, changed, replaced and deleted nodes.

use crate::support::{lbstack, repo_root};
use lbstack::graph::Graph;
use lbstack::plan::{Action, Address, Change, Kind, Plan};

fn stack(path: &std::path::Path) -> lbstack::spec::Stack {
    let loaded = lbstack::spec::load_file(path, &[]);
    loaded.stack.unwrap_or_else(|| panic!("{} loads", path.display()))
}

#[test]
fn reference_stack_and_examples() {
    insta::assert_snapshot!("shop_mermaid", Graph::from_stack(&stack(&repo_root().join("stacks/shop.yaml"))).mermaid());
    insta::assert_snapshot!("shop_dot", Graph::from_stack(&stack(&repo_root().join("stacks/shop.yaml"))).dot());
    insta::glob!("../../examples", "*.yaml", |path| {
        insta::assert_snapshot!(Graph::from_stack(&stack(path)).mermaid());
    });
}

fn change(kind: Kind, key: &str, action: Action) -> Change {
    Change {
        address: Address::new(kind, key),
        action,
        reason: None,
        name: key.into(),
        id: None,
        before: None,
        after: None,
        diffs: vec![],
        deps: vec![],
        parent: None,
        inputs: Default::default(),
    }
}

#[test]
fn a_plan_marks_its_nodes() {
    let s = stack(&repo_root().join("examples/minimal-alb.yaml"));
    let mut g = Graph::from_stack(&s);
    let first_tg = s.target_groups.keys().next().unwrap().clone();
    let first_lb = s.load_balancers.keys().next().unwrap().clone();
    g.mark(&Plan {
        stack: s.stack.clone(),
        changes: vec![
            change(Kind::LoadBalancer, &first_lb, Action::Update),
            change(Kind::TargetGroup, &first_tg, Action::CreateDelete),
            change(Kind::TargetGroup, "retired", Action::Delete),
        ],
        conflicts: vec![],
        warnings: vec![],
    });
    let text = g.mermaid();
    assert!(text.contains(&format!("class lb_{} update", first_lb.replace('-', "_"))), "{text}");
    assert!(text.contains("class tg_retired delete") && text.contains("target_group.retired (deleted)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_cli_draws_dot() {
    let out = lbstack().args(["graph", "stacks/shop.yaml", "--format", "dot", "--var", "color=green"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("digraph stack {") && text.contains("lb_public -> listener_public_https"), "{text}");
}
