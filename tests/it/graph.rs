//! `lbstack graph`: snapshots of the reference stack and every example, Mermaid and DOT, and a
//! plan drawn with created, changed, replaced and deleted nodes.

use crate::support::{lbstack, repo_root};
use lbstack::graph::Graph;
use lbstack::plan::{Action, Address, Change, Kind, Plan};

fn stack(path: &std::path::Path) -> lbstack::stack_format::Stack {
    let loaded = lbstack::stack_format::load_file(path, &[]);
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
        adopting: false,
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
        outputs: vec![],
    });
    let text = g.mermaid();
    assert!(text.contains(&format!("class lb_{} update", first_lb.replace('-', "_"))), "{text}");
    assert!(text.contains("class tg_retired delete") && text.contains("target_group.retired (deleted)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_cli_draws_dot() {
    let out =
        lbstack().args(["graph", "stacks/shop.yaml", "--format", "dot", "--var", "color=green"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("digraph stack {") && text.contains("lb_public -> listener_public_https"), "{text}");
}

/// Topics, rules on a shared listener, Shield, trust stores and a web ACL by ARN are drawn as
/// what they are: an alarm that notifies a topic points at the topic, not at a policy of that
/// name.
#[test]
fn topics_shared_listeners_and_attachments_are_drawn() {
    let text = r#"version: 1
stack: shop
topics:
  pager: {subscriptions: [{protocol: email, endpoint: ops@example.com}]}
trust_stores:
  clients: {bucket: shop-ca, key: bundle.pem}
target_groups:
  app: {protocol: HTTP, port: 80}
  orders: {protocol: HTTP, port: 8080}
load_balancers:
  web:
    shield: true
    web_acl: "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
    listeners:
      https:
        port: 443
        protocol: HTTPS
        certificates: ["arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"]
        mutual_authentication: {mode: verify, trust_store: clients}
        default_action: {forward: app}
shared_listeners:
  platform:
    load_balancer: platform-public
    port: 443
    rules: [{path: /orders/*, forward: orders}]
alarms:
  errors: {metric: HTTPCode_Target_5XX_Count, statistic: Sum, dimensions: {load_balancer: web}, threshold: 10, comparison: ">", actions: [pager]}
"#;
    let loaded = lbstack::stack_format::load_str("graph.yaml", text, None, &[]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let mermaid = Graph::from_stack(&loaded.stack.unwrap()).mermaid();
    for expected in [
        r#"alarm_errors -.->|"notifies"| topic_pager"#,
        r#"shield_web -.->|"protects"| lb_web"#,
        r#"truststore_clients -.->|"mTLS"| listener_web_https"#,
        r#"shared_platform(["shared listener platform (platform-public:443)"])"#,
        r#"shared_platform_rule1["auto: [path=/orders/*]"]"#,
        "shared_platform_rule1 --> tg_orders",
        r#">"WAF (ARN)"]"#,
    ] {
        assert!(mermaid.contains(expected), "`{expected}` in:\n{mermaid}");
    }
    assert!(!mermaid.contains("policy_pager"), "no policy is made up for a topic:\n{mermaid}");
}
