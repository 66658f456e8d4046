//! Shared load balancers: a platform's listener (made outside lbstack, with rules of its own)
//! carries the rules of two stacks; each owns only its rules.

use crate::support::{clients, load, unique};
use aws_sdk_elasticloadbalancingv2::types as elb;

fn fixed(status: &str) -> elb::Action {
    let config = elb::FixedResponseActionConfig::builder().status_code(status).content_type("text/plain").build();
    elb::Action::builder().r#type(elb::ActionTypeEnum::FixedResponse).fixed_response_config(config).build()
}

fn path(pattern: &str) -> elb::RuleCondition {
    elb::RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(elb::PathPatternConditionConfig::builder().values(pattern).build())
        .build()
}

/// Priorities and paths of the rules on the listener, sorted by priority.
async fn rules_on(c: &lbstack::live::Clients, listener: &str) -> Vec<(u32, String)> {
    let out = c.elbv2.describe_rules().listener_arn(listener).send().await.unwrap();
    let mut rules: Vec<(u32, String)> = out
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let p = r.priority().unwrap().parse().unwrap();
            let cond = r
                .conditions()
                .first()
                .map(|c| c.path_pattern_config().map(|x| x.values().join(",")).unwrap_or_default())
                .unwrap_or_default();
            (p, cond)
        })
        .collect();
    rules.sort();
    rules
}

/// The priorities a plan gives the rule set at `address`, in order.
fn planned_priorities(p: &lbstack::plan::Plan, address: &str) -> Vec<u64> {
    let change =
        p.changes.iter().find(|c| c.address.to_string() == address).unwrap_or_else(|| panic!("{address} in the plan"));
    change.after.as_ref().unwrap().to_value()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["priority"].as_u64().unwrap())
        .collect()
}

/// A platform's load balancer made outside lbstack, named `name`, with an HTTP listener on port
/// 80 answering 404: (load balancer ARN, listener ARN).
async fn platform_listener(c: &lbstack::live::Clients, name: &str) -> (String, String) {
    let subnets: Vec<String> = crate::support::default_subnets(c).await.into_iter().take(2).collect();
    let lb = c.elbv2.create_load_balancer().name(name).set_subnets(Some(subnets)).send().await.unwrap();
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let listener = c
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(elb::ProtocolEnum::Http)
        .port(80)
        .default_actions(fixed("404"))
        .send()
        .await
        .unwrap();
    (lb_arn, listener.listeners()[0].listener_arn().unwrap().to_string())
}

#[tokio::test]
async fn two_stacks_share_a_platform_listener_and_own_only_their_rules() {
    let c = clients().await;
    let tail = unique("share");
    let tail = &tail[tail.len() - 5..];
    let platform = format!("platform-{tail}");
    let (lb_arn, listener) = platform_listener(&c, &platform).await;
    // The platform's own rules, at the lowest priorities.
    for (priority, pattern) in [(1, "/ping"), (2, "/status")] {
        c.elbv2
            .create_rule()
            .listener_arn(&listener)
            .priority(priority)
            .conditions(path(pattern))
            .actions(fixed("200"))
            .send()
            .await
            .unwrap();
    }

    let orders = |rules: &str| {
        load(&format!(
            "version: 1\nstack: orders-{tail}\ntarget_groups:\n  orders: {{protocol: HTTP, port: 8080}}\nshared_listeners:\n  platform:\n    load_balancer: {platform}\n    port: 80\n    rules:\n{rules}"
        ))
    };
    let a = orders("      - {path: /orders/*, forward: orders}\n      - {path: /cart/*, forward: orders}\n");
    let plan = crate::support::plan(&c, &a).await;
    assert_eq!(
        planned_priorities(&plan, "shared_listener.platform"),
        [3, 4],
        "the lowest priorities nobody holds, shown in the plan"
    );
    crate::support::apply_converges(&c, &a).await;

    // The second stack names the listener by ARN, with one priority of its own choosing.
    let b = load(&format!(
        "version: 1\nstack: billing-{tail}\ntarget_groups:\n  billing: {{protocol: HTTP, port: 8080}}\nshared_listeners:\n  edge:\n    listener: {listener}\n    rules:\n      - {{path: /billing/*, forward: billing}}\n      - {{priority: 500, path: /invoices/*, forward: billing}}\n"
    ));
    let plan = crate::support::plan(&c, &b).await;
    assert_eq!(planned_priorities(&plan, "shared_listener.edge"), [5, 500]);
    crate::support::apply_converges(&c, &b).await;
    assert!(!crate::support::plan(&c, &a).await.has_changes(), "the other stack's rules are not the first stack's");

    // A rule added in front takes a free priority: the rules that exist keep theirs.
    let a = orders(
        "      - {path: /returns/*, forward: orders}\n      - {path: /orders/*, forward: orders}\n      - {path: /cart/*, forward: orders}\n",
    );
    let plan = crate::support::plan(&c, &a).await;
    assert_eq!(planned_priorities(&plan, "shared_listener.platform"), [3, 4, 6]);
    crate::support::apply_converges(&c, &a).await;
    let expected: Vec<(u32, String)> = [
        (1, "/ping"),
        (2, "/status"),
        (3, "/orders/*"),
        (4, "/cart/*"),
        (5, "/billing/*"),
        (6, "/returns/*"),
        (500, "/invoices/*"),
    ]
    .iter()
    .map(|(p, s)| (*p, s.to_string()))
    .collect();
    assert_eq!(rules_on(&c, &listener).await, expected);

    // A priority another's rule holds is refused when planning, before anything is sent.
    let taken = orders("      - {priority: 2, path: /orders/*, forward: orders}\n");
    let refused = lbstack::ops::plan(&c, &taken, false).await.err().expect("refused").to_string();
    assert!(refused.contains("priority 2 is held by a rule this stack does not own"), "{refused}");

    // Destroy removes only the stack's rules: the platform's and the other stack's stay.
    crate::support::destroy_converges(&c, &a).await;
    let left: Vec<u32> = rules_on(&c, &listener).await.into_iter().map(|(p, _)| p).collect();
    assert_eq!(left, [1, 2, 5, 500]);
    crate::support::destroy_converges(&c, &b).await;
    assert_eq!(rules_on(&c, &listener).await.len(), 2, "the platform's rules stay");
    c.elbv2.delete_load_balancer().load_balancer_arn(&lb_arn).send().await.unwrap();
}

/// A shared listener that cannot be found stops the plan with what is missing.
#[tokio::test]
async fn a_missing_shared_listener_is_named() {
    let c = clients().await;
    let s = load(
        "version: 1\nstack: lost\ntarget_groups:\n  app: {protocol: HTTP, port: 80}\nshared_listeners:\n  edge:\n    load_balancer: no-such-platform-lb\n    port: 443\n    rules: [{path: /x/*, forward: app}]\n",
    );
    let refused = lbstack::ops::plan(&c, &s, false).await.err().expect("refused").to_string();
    assert!(refused.contains("shared listener `edge`: no load balancer is named `no-such-platform-lb`"), "{refused}");
}

/// A platform stack publishes its listener's ARN as an output when it is applied; a service
/// stack attaches its rules to that listener through the output (`from_stack`), without knowing
/// the platform's names; destroying the platform stack removes what it published.
#[tokio::test]
async fn a_listener_from_another_stacks_outputs() {
    use crate::support::{output_text as text, run_aws as run};
    let c = clients().await;
    let platform = unique("platform");
    let dir = std::env::temp_dir().join(format!("lbstack-{platform}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("platform.yaml");
    std::fs::write(
        &file,
        format!(
            "version: 1\nstack: {platform}\ntarget_groups:\n  home: {{protocol: HTTP, port: 80}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: home}}}}\noutputs:\n  listener: {{value: listener.web.http.arn, description: where services add rules}}\n"
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = run(&["apply", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("Changes to Outputs (published to SSM parameter /lbstack/outputs/{platform}):"))
            && text(&o).contains("+ listener = (known after apply)"),
        "said before it happens:\n{}",
        text(&o)
    );
    let published = c.ssm.get_parameter().name(format!("/lbstack/outputs/{platform}")).send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(published.parameter().unwrap().value().unwrap()).unwrap();
    let listener = doc["listener"].as_str().expect("the listener's ARN is published").to_string();
    assert!(listener.contains(":listener/app/"), "{doc}");

    let service = load(&format!(
        "version: 1\nstack: {platform}-svc\ntarget_groups:\n  orders: {{protocol: HTTP, port: 8080}}\nshared_listeners:\n  edge:\n    from_stack: {platform}\n    output: listener\n    rules: [{{path: /orders/*, forward: orders}}]\n"
    ));
    crate::support::apply_converges(&c, &service).await;
    assert_eq!(rules_on(&c, &listener).await, vec![(1, "/orders/*".to_string())]);
    crate::support::destroy_converges(&c, &service).await;

    let o = run(&["destroy", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        c.ssm.get_parameter().name(format!("/lbstack/outputs/{platform}")).send().await.is_err(),
        "destroy removes the published outputs"
    );
    let missing = lbstack::ops::plan(&c, &service, false).await.err().expect("refused").to_string();
    assert!(missing.contains(&format!("stack `{platform}` has published no outputs")), "{missing}");
}

/// Four stacks add rules without priorities to one platform listener at the same moment, all
/// planned before any applies (so every plan chose the same free priorities): each takes the
/// next free priority when another got there first, every apply succeeds, every re-plan is
/// empty, and no rule is lost. A declared priority taken since the plan is refused by name.
#[tokio::test]
async fn stacks_adding_rules_to_one_listener_at_once_all_succeed() {
    let c = clients().await;
    let tail = unique("race");
    let tail = &tail[tail.len() - 5..];
    let platform = format!("plat-{tail}");
    let (lb_arn, listener) = platform_listener(&c, &platform).await;
    let service = |n: usize, priority: &str| {
        load(&format!(
            "version: 1\nstack: svc{n}-{tail}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nshared_listeners:\n  platform:\n    load_balancer: {platform}\n    port: 80\n    rules:\n      - {{path: /svc{n}/a/*, forward: app{priority}}}\n      - {{path: /svc{n}/b/*, forward: app}}\n"
        ))
    };
    let stacks: Vec<_> = (0..4).map(|n| service(n, "")).collect();
    let mut plans = Vec::new();
    for s in &stacks {
        plans.push(lbstack::ops::plan(&c, s, false).await.unwrap().plan);
    }
    for p in &plans {
        assert_eq!(planned_priorities(p, "shared_listener.platform"), [1, 2], "every plan chose the same priorities");
    }
    let outcomes = futures_util::future::join_all(
        stacks.iter().zip(&plans).map(|(s, p)| lbstack::ops::apply(&c, s, p, 4, |_| {})),
    )
    .await;
    for o in &outcomes {
        assert!(!o.failed(), "{:#?}", o.steps);
    }
    let rules = rules_on(&c, &listener).await;
    assert_eq!(rules.len(), 8, "{rules:?}");
    // Each stack's rules keep their order.
    for n in 0..4 {
        let at = |p: &str| rules.iter().find(|(_, x)| x == &format!("/svc{n}/{p}/*")).unwrap().0;
        assert!(at("a") < at("b"), "{rules:?}");
    }
    for s in &stacks {
        let p = lbstack::ops::plan(&c, s, false).await.unwrap().plan;
        assert!(!p.has_changes(), "{}", lbstack::plan::render::human(&p, false));
    }
    // A declared priority someone took since the plan: refused, saying so.
    let late = service(9, ", priority: 40");
    let p = lbstack::ops::plan(&c, &late, false).await.unwrap().plan;
    c.elbv2
        .create_rule()
        .listener_arn(&listener)
        .priority(40)
        .conditions(path("/theirs"))
        .actions(fixed("200"))
        .send()
        .await
        .unwrap();
    let o = lbstack::ops::apply(&c, &late, &p, 4, |_| {}).await;
    let failed = o.steps.iter().find_map(|s| match &s.status {
        lbstack::apply::StepStatus::Failed(e) => Some(e.clone()),
        _ => None,
    });
    let failed = failed.expect("the taken priority is refused");
    assert!(
        failed.contains("priority 40 is held by a rule this stack does not own, created since the plan"),
        "{failed}"
    );
    for s in stacks.iter().chain([&late]) {
        crate::support::destroy_converges(&c, s).await;
    }
    c.elbv2.delete_load_balancer().load_balancer_arn(&lb_arn).send().await.unwrap();
}
