//! The plan is the contract: apply does what the plan showed, recognises its own resources after
//! a lost answer, refuses conflicts before any write, and never runs twice at once.

use crate::faults::{self, FaultProxy};
use crate::inventory;
use crate::support::{clients, repo_root, unique};

/// The reference stack as its own stack (`shop-<colour>` with a colour no other run uses) in a
/// zone of its own, so runs can go side by side.
async fn reference(c: &lbstack::live::Clients) -> lbstack::spec::Stack {
    let color = unique("f").replace('-', "");
    let zone = format!("{color}.example.com");
    c.route53.create_hosted_zone().name(&zone).caller_reference(&zone).send().await.unwrap();
    let text = std::fs::read_to_string(repo_root().join("stacks/shop.yaml")).unwrap().replace("    allowed: [blue, green]\n", "");
    let vars = vec![("color".to_string(), color), ("zone".to_string(), zone.clone()), ("domain".to_string(), format!("shop.{zone}"))];
    let loaded = lbstack::spec::load_str("shop.yaml", &text, Some(&repo_root().join("stacks")), &vars);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    loaded.stack.unwrap()
}

/// Plan and apply through `c` (one step at a time, so the n-th write is the same call every run).
async fn apply(c: &lbstack::live::Clients, s: &lbstack::spec::Stack, destroy: bool) -> Result<(), String> {
    let planned = lbstack::ops::plan(c, s, destroy).await.map_err(|e| format!("{e:#}"))?;
    let outcome = lbstack::ops::apply(c, s, &planned.plan, 1, |_| {}).await;
    if outcome.failed() {
        return Err(format!("{:#?}", outcome.steps.iter().filter(|s| s.status != lbstack::apply::StepStatus::Done).collect::<Vec<_>>()));
    }
    Ok(())
}

/// Apply with the answer of write `n` dropped; then destroy with the answer of its write `n`
/// dropped. Both must succeed, the re-plan must be empty, and the emulator must hold exactly one
/// tagged resource per address, then nothing.
async fn lose_answer(direct: &lbstack::live::Clients, n: usize) -> (bool, bool) {
    let proxy = FaultProxy::start(crate::support::emulator_endpoint(), faults::drop_nth_write(n)).await;
    let c = proxy.clients().await;
    let s = reference(direct).await;
    apply(&c, &s, false).await.unwrap_or_else(|e| panic!("apply with write {n}'s answer lost failed: {e}"));
    let dropped_apply = proxy.log().iter().any(|x| x.fault == faults::Fault::DropAnswer);
    let again = lbstack::ops::plan(direct, &s, false).await.unwrap();
    assert!(!again.plan.has_changes(), "write {n} lost: the re-plan is not empty:\n{}", lbstack::plan::render::human(&again.plan, false));
    inventory::assert_clean(&inventory::of(direct, &s.stack).await, &s.stack);
    proxy.set_schedule(faults::drop_nth_write(n));
    apply(&c, &s, true).await.unwrap_or_else(|e| panic!("destroy with write {n}'s answer lost failed: {e}"));
    let dropped_destroy = proxy.log().iter().any(|x| x.fault == faults::Fault::DropAnswer);
    let left = inventory::of(direct, &s.stack).await;
    assert!(left.is_empty(), "write {n} lost in destroy: left {:?}", left.iter().map(|i| format!("{} {}", i.kind, i.name)).collect::<Vec<_>>());
    (dropped_apply, dropped_destroy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_answer_to_any_write_of_the_reference_stack_is_recognised() {
    let direct = clients().await;
    // How many writes a clean apply and destroy make (one step at a time: the same order each run).
    let proxy = FaultProxy::start(crate::support::emulator_endpoint(), faults::pass()).await;
    let c = proxy.clients().await;
    let s = reference(&direct).await;
    apply(&c, &s, false).await.unwrap();
    let writes_apply = proxy.log().iter().filter(|x| x.write).count();
    proxy.set_schedule(faults::pass());
    apply(&c, &s, true).await.unwrap();
    let writes_destroy = proxy.log().iter().filter(|x| x.write).count();
    eprintln!("reference stack: {writes_apply} writes to apply, {writes_destroy} to destroy");
    let runs = writes_apply.max(writes_destroy);
    let start = std::time::Instant::now();
    let mut dropped = (0, 0);
    let mut set = tokio::task::JoinSet::new();
    let direct = std::sync::Arc::new(direct);
    for n in 0..runs {
        if set.len() >= 3 {
            let (a, d) = set.join_next().await.unwrap().unwrap();
            dropped = (dropped.0 + a as usize, dropped.1 + d as usize);
        }
        let direct = direct.clone();
        set.spawn(async move { lose_answer(&direct, n).await });
    }
    while let Some(r) = set.join_next().await {
        let (a, d) = r.unwrap();
        dropped = (dropped.0 + a as usize, dropped.1 + d as usize);
    }
    eprintln!("{runs} runs in {:.0?}", start.elapsed());
    assert_eq!(dropped, (writes_apply, writes_destroy), "every write's answer was lost once");
}
