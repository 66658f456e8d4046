//! The reference stack (`stacks/shop.yaml`) end to end on the emulator.

use crate::support::{clients, repo_root};

#[tokio::test]
async fn reference_stack_applies_converges_and_destroys() {
    let _only_user = crate::support::reference_stack_lock().await;
    let c = clients().await;
    // A zone of its own, so runs against a long-lived emulator do not meet each other.
    let zone = format!("{}.example.com", crate::support::unique("shop"));
    c.route53.create_hosted_zone().name(&zone).caller_reference(&zone).send().await.unwrap();
    let vars = vec![
        ("color".to_string(), "green".to_string()),
        ("zone".to_string(), zone.clone()),
        ("domain".to_string(), format!("shop.{zone}")),
    ];
    let loaded = lbstack::stack_format::load_file(&repo_root().join("stacks/shop.yaml"), &vars);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let s = loaded.stack.unwrap();
    // An earlier run that stopped halfway may have left `shop-green` resources: start clean.
    let leftovers = lbstack::ops::plan(&c, &s, true).await.expect("destroy plan");
    assert!(!lbstack::ops::apply(&c, &s, &leftovers.plan, 8, |_| {}).await.failed());

    let first = lbstack::ops::plan(&c, &s, false).await.expect("plan");
    let summary = first.plan.summary();
    // Load balancing: 3 security groups, a certificate, an IP set, a web ACL and its association,
    // 5 target groups, 2 load balancers, 3 listeners, 1 rule set and 1 record (19). Auto scaling:
    // 2 launch templates, 2 groups, 5 policies, 2 scheduled actions and 5 alarms (16).
    assert_eq!(summary.add, 35, "{:?}", crate::support::actions(&first.plan));
    assert_eq!((summary.change, summary.destroy), (0, 0));
    let outcome = lbstack::ops::apply(&c, &s, &first.plan, 8, |_| {}).await;
    assert!(
        !outcome.failed(),
        "{:#?}",
        outcome.steps.iter().filter(|s| s.status != lbstack::apply::StepStatus::Done).collect::<Vec<_>>()
    );
    let groups =
        c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names("shop-green-web").send().await.unwrap();
    let web = &groups.auto_scaling_groups()[0];
    assert_eq!((web.instances().len(), web.target_group_arns().len(), web.health_check_type()), (2, 4, Some("ELB")));

    // Empty re-plan, and a second apply that writes nothing.
    let again = lbstack::ops::plan(&c, &s, false).await.expect("re-plan");
    assert!(!again.plan.has_changes(), "{}", lbstack::plan::render::human(&again.plan, false));
    let writes = c.calls.writes();
    let outcome = lbstack::ops::apply(&c, &s, &again.plan, 8, |_| {}).await;
    assert!(outcome.steps.is_empty());
    assert_eq!(c.calls.writes(), writes, "the second apply makes no write call");

    // Destroy leaves nothing the stack owns.
    let gone = lbstack::ops::plan(&c, &s, true).await.expect("destroy plan");
    let outcome = lbstack::ops::apply(&c, &s, &gone.plan, 8, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
    let (_, live) = lbstack::live::read(&c, &s).await.unwrap();
    assert!(
        live.resources.is_empty(),
        "owned after destroy: {:?}",
        live.resources.iter().map(|r| r.address.to_string()).collect::<Vec<_>>()
    );
    crate::support::drop_zone(&c, &zone).await;
}
