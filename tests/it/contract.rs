//! The plan is the contract: apply does what the plan showed, recognises its own resources after
//! a lost answer, refuses conflicts before any write, and never runs twice at once.

use crate::faults::{self, FaultProxy};
use crate::inventory;
use crate::support::{clients, repo_root, unique};

/// The reference stack as its own stack (`shop-<colour>` with a colour no other run uses) in a
/// zone of its own, so runs can go side by side. `drop_zone` removes the zone afterwards (plans
/// read every zone of the account).
async fn reference(c: &lbstack::live::Clients) -> lbstack::stack_format::Stack {
    let color = unique("f").replace('-', "");
    let zone = format!("{color}.example.com");
    c.route53.create_hosted_zone().name(&zone).caller_reference(&zone).send().await.unwrap();
    let text = std::fs::read_to_string(repo_root().join("stacks/shop.yaml"))
        .unwrap()
        .replace("    allowed: [blue, green]\n", "");
    let vars = vec![
        ("color".to_string(), color),
        ("zone".to_string(), zone.clone()),
        ("domain".to_string(), format!("shop.{zone}")),
    ];
    let loaded = lbstack::stack_format::load_str("shop.yaml", &text, Some(&repo_root().join("stacks")), &vars);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    loaded.stack.unwrap()
}

/// Plan and apply through `c` (one step at a time, so the n-th write is the same call every run).
async fn apply(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack, destroy: bool) -> Result<(), String> {
    apply_with(c, s, destroy, 1).await
}

async fn apply_with(
    c: &lbstack::live::Clients,
    s: &lbstack::stack_format::Stack,
    destroy: bool,
    parallelism: usize,
) -> Result<(), String> {
    let planned = lbstack::ops::plan(c, s, destroy).await.map_err(|e| format!("{e:#}"))?;
    let outcome = lbstack::ops::apply(c, s, &planned.plan, parallelism, |_| {}).await;
    if outcome.failed() {
        return Err(format!(
            "{:#?}",
            outcome.steps.iter().filter(|s| s.status != lbstack::apply::StepStatus::Done).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

/// Apply with the answer of write `n` dropped; then destroy with the answer of its write `n`
/// dropped. Both must succeed, the re-plan must be empty, and the emulator must hold exactly one
/// tagged resource per address, then nothing.
async fn lose_answer(direct: &lbstack::live::Clients, n: usize) -> (bool, bool) {
    let proxy = FaultProxy::start(crate::support::spare_emulator_endpoint(), faults::drop_nth_write(n)).await;
    let c = proxy.clients().await;
    let s = reference(direct).await;
    let lost = |log: Vec<faults::Call>| {
        log.into_iter().find(|x| x.fault == faults::Fault::DropAnswer).map(|x| x.operation).unwrap_or_default()
    };
    apply(&c, &s, false)
        .await
        .unwrap_or_else(|e| panic!("apply with write {n}'s answer ({}) lost failed: {e}", lost(proxy.log())));
    let dropped = lost(proxy.log());
    let dropped_apply = !dropped.is_empty();
    let again = lbstack::ops::plan(direct, &s, false).await.unwrap();
    assert!(
        !again.plan.has_changes(),
        "write {n} ({dropped}) lost: the re-plan is not empty:\n{}",
        lbstack::plan::render::human(&again.plan, false)
    );
    inventory::assert_clean(&inventory::of(direct, &s.stack).await, &s.stack);
    proxy.set_schedule(faults::drop_nth_write(n));
    apply(&c, &s, true)
        .await
        .unwrap_or_else(|e| panic!("destroy with write {n}'s answer ({}) lost failed: {e}", lost(proxy.log())));
    let dropped = lost(proxy.log());
    let dropped_destroy = !dropped.is_empty();
    let left = inventory::of(direct, &s.stack).await;
    assert!(
        left.is_empty(),
        "write {n} ({dropped}) lost in destroy: left {:?}",
        left.iter().map(|i| format!("{} {}", i.kind, i.name)).collect::<Vec<_>>()
    );
    crate::support::drop_zone(direct, &s.records["colour"].zone).await;
    (dropped_apply, dropped_destroy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_answer_to_any_write_of_the_reference_stack_is_recognised() {
    // On an emulator of its own: it is most of the suite's work.
    let direct = crate::support::clients_at(crate::support::spare_emulator_endpoint()).await;
    // How many writes a clean apply and destroy make (one step at a time: the same order each run).
    let proxy = FaultProxy::start(crate::support::spare_emulator_endpoint(), faults::pass()).await;
    let c = proxy.clients().await;
    let s = reference(&direct).await;
    apply(&c, &s, false).await.unwrap();
    let writes_apply = proxy.log().iter().filter(|x| x.write && x.accepted).count();
    proxy.set_schedule(faults::pass());
    apply(&c, &s, true).await.unwrap();
    let writes_destroy = proxy.log().iter().filter(|x| x.write && x.accepted).count();
    crate::support::drop_zone(&direct, &s.records["colour"].zone).await;
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

fn tagged_stack(name: &str, tags: &str) -> String {
    format!(
        r#"version: 1
stack: {name}
tags: {{{tags}}}
security_groups:
  web: {{ingress: [{{ports: 80, cidrs: [10.0.0.0/8]}}]}}
target_groups:
  app: {{protocol: HTTP, port: 8080}}
ip_sets:
  blocked: {{addresses: [203.0.113.0/24]}}
launch_templates:
  app:
    image: {{name: "al2023-ami-2023.*-x86_64", owner: amazon}}
    instance_type: t3.micro
autoscaling_groups:
  app: {{min: 0, max: 2, launch_template: app}}
alarms:
  busy:
    metric: CPUUtilization
    namespace: AWS/EC2
    dimensions: {{autoscaling_group: app}}
    period: 60
    evaluation_periods: 1
    threshold: 90
    comparison: ">"
"#
    )
}

/// Adds `outsider=hand` to every resource of the stack, the way a person or another tool would.
async fn tag_by_hand(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) {
    let (_, live) = lbstack::live::read(c, s).await.unwrap();
    for r in &live.resources {
        let id = r.id.as_str();
        match r.address.kind {
            lbstack::plan::Kind::SecurityGroup | lbstack::plan::Kind::LaunchTemplate => {
                c.ec2
                    .create_tags()
                    .resources(id)
                    .tags(aws_sdk_ec2::types::Tag::builder().key("outsider").value("hand").build())
                    .send()
                    .await
                    .unwrap();
            }
            lbstack::plan::Kind::TargetGroup => {
                let t = aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("outsider").value("hand").build();
                c.elbv2.add_tags().resource_arns(id).tags(t).send().await.unwrap();
            }
            lbstack::plan::Kind::IpSet => {
                let t = aws_sdk_wafv2::types::Tag::builder().key("outsider").value("hand").build().unwrap();
                c.wafv2.tag_resource().resource_arn(id).tags(t).send().await.unwrap();
            }
            lbstack::plan::Kind::AutoScalingGroup => {
                let t = aws_sdk_autoscaling::types::Tag::builder()
                    .resource_id(id)
                    .resource_type("auto-scaling-group")
                    .key("outsider")
                    .value("hand")
                    .build();
                c.autoscaling.create_or_update_tags().tags(t).send().await.unwrap();
            }
            lbstack::plan::Kind::Alarm => {
                let t = aws_sdk_cloudwatch::types::Tag::builder().key("outsider").value("hand").build();
                c.cloudwatch.tag_resource().resource_arn(id).tags(t).send().await.unwrap();
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn tags_added_outside_are_never_shown_or_removed_and_removed_tags_are_shown() {
    let c = clients().await;
    let name = unique("tags");
    let s = crate::support::load(&tagged_stack(&name, "team: web, env: test"));
    crate::support::apply_converges(&c, &s).await;
    tag_by_hand(&c, &s).await;
    // Someone else's tag is not drift.
    let p = crate::support::plan(&c, &s).await;
    assert!(!p.has_changes(), "{}", lbstack::plan::render::human(&p, false));

    // A changed value and a removed key: every resource shows `~ tags.team` and `- tags.env`;
    // apply (audited: it removes no tag the plan did not show) keeps the outsider's tag.
    let s = crate::support::load(&tagged_stack(&name, "team: platform"));
    let p = crate::support::plan(&c, &s).await;
    let text = lbstack::plan::render::human(&p, false);
    let tagged = p.changes.iter().filter(|c| c.action == lbstack::plan::Action::Update).count();
    assert_eq!(tagged, 6, "{text}");
    for ch in p.changes.iter().filter(|c| c.action == lbstack::plan::Action::Update) {
        assert!(
            ch.diffs.iter().any(|d| d.path == "tags.env" && d.after.is_none()),
            "{} does not show env removed:\n{text}",
            ch.address
        );
        assert!(ch.diffs.iter().all(|d| d.path != "tags.outsider"), "{text}");
    }
    assert!(text.contains("- tags.env = \"test\""), "{text}");
    crate::support::apply_converges(&c, &s).await;
    let (_, live) = lbstack::live::read(&c, &s).await.unwrap();
    for (r, tags) in live.resources.iter().filter_map(|r| Some((r, r.tags()?))) {
        assert_eq!(tags.get("outsider").map(String::as_str), Some("hand"), "{} lost the outsider's tag", r.address);
        assert!(!tags.contains_key("env"), "{} kept env", r.address);
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    }
    crate::support::destroy_converges(&c, &s).await;
}

/// Changes `address` in `s` so that it must be replaced; None for kinds that are never replaced
/// (a listener is replaced with its load balancer).
fn force_replacement(
    s: &mut lbstack::stack_format::Stack,
    address: &lbstack::plan::Address,
    round: usize,
) -> Option<()> {
    use lbstack::plan::Kind;
    let key = address.key.as_str();
    match address.kind {
        Kind::SecurityGroup => s.security_groups.get_mut(key)?.description = Some(format!("replaced in round {round}")),
        Kind::Certificate => {
            let c = s.certificates.get_mut(key)?;
            let domain = c.domain.clone()?;
            c.alternative_names.push(format!("r{round}.{domain}"));
        }
        Kind::IpSet => {
            let set = s.ip_sets.get_mut(key)?;
            set.addresses = if set.addresses.iter().any(|a| a.contains(':')) {
                vec!["203.0.113.0/24".into()]
            } else {
                vec!["2001:db8::/32".into()]
            };
        }
        Kind::TargetGroup => {
            let tg = s.target_groups.get_mut(key)?;
            tg.port = Some(tg.port.unwrap_or(80) + 1);
        }
        Kind::LoadBalancer => {
            let lb = s.load_balancers.get_mut(key)?;
            lb.scheme = match lb.scheme {
                lbstack::stack_format::model::Scheme::Internal => lbstack::stack_format::model::Scheme::InternetFacing,
                _ => lbstack::stack_format::model::Scheme::Internal,
            };
        }
        Kind::ScalingPolicy => {
            let p = s.scaling_policies.get_mut(key)?;
            if p.step.is_some() {
                p.step = None;
                p.simple = Some(serde_json::from_value(serde_json::json!({"adjust": 1})).unwrap());
            } else {
                p.simple = None;
                p.step =
                    Some(serde_json::from_value(serde_json::json!({"steps": [{"upper": 0, "adjust": -1}]})).unwrap());
            }
        }
        _ => return None,
    }
    Some(())
}

/// Every reference edge of the reference stack, walked: each resource something refers to is
/// replaced in turn, the plan shows every referrer changing, apply rewrites them all (audited),
/// and the re-plan is empty (an alarm still watching the deleted target group would show).
#[tokio::test]
async fn replacing_any_referenced_resource_reaches_every_user() {
    use lbstack::plan::{Action, Address, Kind};
    let c = clients().await;
    let mut s = reference(&c).await;
    let zone = s.records["colour"].zone.clone();
    crate::support::apply_converges(&c, &s).await;
    let p = crate::support::plan(&c, &s).await;
    // Edges from the plan's dependencies: referrer -> referenced.
    let mut referenced: std::collections::BTreeMap<Address, Vec<Address>> = Default::default();
    for ch in &p.changes {
        for d in ch.deps.iter().chain(ch.parent.iter()) {
            referenced.entry(d.clone()).or_default().push(ch.address.clone());
        }
    }
    let mut walked = 0;
    for (round, (target, users)) in referenced.iter().enumerate() {
        if force_replacement(&mut s, target, round).is_none() {
            assert!(
                target.kind.replace_paths().is_empty() || target.kind == Kind::Listener,
                "{target} can be replaced but the test has no way to force it: add it to force_replacement"
            );
            continue;
        }
        let p = crate::support::plan(&c, &s).await;
        let text = lbstack::plan::render::human(&p, false);
        let change = p.changes.iter().find(|x| x.address == *target).unwrap();
        assert!(change.action.is_replace(), "{target} is not replaced:\n{text}");
        for user in users {
            let u = p.changes.iter().find(|x| x.address == *user).unwrap();
            assert_ne!(
                u.action,
                Action::NoOp,
                "{user} refers to {target}, which is replaced, but the plan leaves it alone:\n{text}"
            );
        }
        crate::support::apply_converges(&c, &s).await;
        walked += 1;
    }
    assert!(walked >= 12, "only {walked} referenced resources were replaced");
    crate::support::destroy_converges(&c, &s).await;
    crate::support::drop_zone(&c, &zone).await;
}

/// The reference stack applied and destroyed through throttling, server errors, connection
/// resets and lost answers on a fifth of the calls (a seeded mix): it converges, nothing is duplicated or
/// left untagged, and destroy leaves nothing.
#[tokio::test]
async fn the_reference_stack_converges_through_throttling_errors_resets_and_lost_answers() {
    let direct = clients().await;
    for seed in [7] {
        let proxy = FaultProxy::start(crate::support::emulator_endpoint(), faults::chaos(seed, 20)).await;
        let c = proxy.clients().await;
        let s = reference(&direct).await;
        let start = std::time::Instant::now();
        apply_with(&c, &s, false, 8).await.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        eprintln!("apply through faults: {:.1?}", start.elapsed());
        let log = proxy.log();
        for fault in
            [faults::Fault::Throttle, faults::Fault::ServerError, faults::Fault::Reset, faults::Fault::DropAnswer]
        {
            assert!(log.iter().any(|c| c.fault == fault), "seed {seed} never injected {fault:?}");
        }
        let again = lbstack::ops::plan(&direct, &s, false).await.unwrap();
        assert!(!again.plan.has_changes(), "seed {seed}:\n{}", lbstack::plan::render::human(&again.plan, false));
        inventory::assert_clean(&inventory::of(&direct, &s.stack).await, &s.stack);
        proxy.set_schedule(faults::chaos(seed + 1, 20));
        apply_with(&c, &s, true, 8).await.unwrap_or_else(|e| panic!("seed {seed}, destroy: {e}"));
        assert!(inventory::of(&direct, &s.stack).await.is_empty());
        crate::support::drop_zone(&direct, &s.records["colour"].zone).await;
    }
}

fn write_stack(name: &str, body: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lbstack-contract-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stack.yaml");
    std::fs::write(&path, format!("version: 1\nstack: {name}\n{body}")).unwrap();
    path
}

const TWO_GROUPS: &str = "security_groups:\n  web: {ingress: [{ports: 80, cidrs: [10.0.0.0/8]}]}\ntarget_groups:\n  app: {protocol: HTTP, port: 8080}\n";

/// A plan with a conflict is not applyable: apply refuses before any write (the security group,
/// which does not depend on the conflict, is not created either) and says what to do.
#[tokio::test]
async fn a_conflict_stops_apply_before_any_write() {
    use crate::support::{output_text, run_aws};
    let c = clients().await;
    let name = unique("conf");
    let file = write_stack(&name, TWO_GROUPS);
    let f = file.to_str().unwrap();
    let s = crate::support::load(&std::fs::read_to_string(&file).unwrap());
    let vpc = lbstack::live::network::resolve(&c, &s).await.unwrap().vpc_id;
    let theirs = c
        .elbv2
        .create_target_group()
        .name(format!("{name}-app"))
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(9999)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let o = run_aws(&["plan", f, "--output", "json"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&o)));
    assert_eq!(doc["applyable"], false);
    assert_eq!(doc["conflicts"][0]["address"], "target_group.app");
    // CI reads a refused plan as a failure: neither "in sync" (0) nor "changes to apply" (2).
    let o = run_aws(&["plan", f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    let o = run_aws(&["apply", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    let text = output_text(&o);
    assert!(
        text.contains("target_group.app") && text.contains("refused") && text.contains("nothing was changed"),
        "{text}"
    );
    let items = inventory::of(&c, &name).await;
    assert!(items.iter().all(|i| i.id == theirs), "apply wrote something: {items:?}");
    c.elbv2.delete_target_group().target_group_arn(theirs).send().await.unwrap();
}

/// A hosted zone the stack names (a record's, a certificate's validation zone) that does not
/// exist fails the plan, and apply, before anything is created.
#[tokio::test]
async fn a_missing_zone_fails_the_plan_before_any_write() {
    use crate::support::{output_text, run_aws};
    let c = clients().await;
    let name = unique("nozone");
    let body = format!(
        "{TWO_GROUPS}load_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\nrecords:\n  www: {{zone: {name}.invalid, name: www.{name}.invalid, target: web}}\n"
    );
    let file = write_stack(&name, &body);
    let f = file.to_str().unwrap();
    for verb in ["plan", "apply"] {
        let o = run_aws(&[verb, f, "--auto-approve"][..if verb == "plan" { 2 } else { 3 }]);
        assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
        let text = output_text(&o);
        assert!(
            text.contains(&format!("record `www`: no Route 53 hosted zone `{name}.invalid` in this account")),
            "{text}"
        );
    }
    assert!(inventory::of(&c, &name).await.is_empty(), "nothing was created");
    // Destroy does not need the zone.
    assert_eq!(run_aws(&["destroy", f, "--auto-approve"]).status.code(), Some(0));
}

/// Two live resources with one address: a conflict naming both ids, neither managed nor deleted.
#[tokio::test]
async fn two_resources_with_one_address_are_a_conflict_naming_both() {
    let c = clients().await;
    let name = unique("dup");
    let s = crate::support::load(&format!("version: 1\nstack: {name}\n{TWO_GROUPS}"));
    crate::support::apply_converges(&c, &s).await;
    // A copy made by hand, carrying the same ownership tags under another name.
    let vpc = lbstack::live::network::resolve(&c, &s).await.unwrap().vpc_id;
    let tag = |k: &str, v: &str| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build();
    let copy = c
        .elbv2
        .create_target_group()
        .name(format!("{name}-copy"))
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&vpc)
        .tags(tag("lbstack:stack", &name))
        .tags(tag("lbstack:address", "target_group.app"))
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let p = crate::support::plan(&c, &s).await;
    let conflict = p.conflicts.iter().find(|x| x.address.to_string() == "target_group.app").expect("a conflict");
    assert!(conflict.id.contains(&copy) && conflict.id.split(", ").count() == 2, "{conflict:?}");
    assert!(!p.applyable());
    assert!(p.changes.iter().all(|x| x.address.to_string() != "target_group.app"), "neither copy is managed");
    // Destroy leaves both alone too.
    let d = lbstack::ops::plan(&c, &s, true).await.unwrap();
    assert!(d.plan.changes.iter().all(|x| x.address.to_string() != "target_group.app"));
    c.elbv2.delete_target_group().target_group_arn(&copy).send().await.unwrap();
    crate::support::destroy_converges(&c, &s).await;
}

/// A step that panics while the lock is held does not leave the lock behind: the next apply
/// takes it without `--break-lock`.
#[tokio::test]
async fn a_panicking_step_releases_the_lock() {
    let c = clients().await;
    let name = unique("panic");
    let lock = lbstack::lock::acquire(&c, &name, "apply").await.unwrap();
    let (outcome, released) = lock.around(async { panic!("a step broke") }).await;
    released.unwrap();
    let panicked = outcome.unwrap_err();
    assert_eq!(panicked.to_string(), "lbstack stopped on an internal error: a step broke");
    assert!(lbstack::lock::holder(&c, &name).await.unwrap().is_none(), "the lock is released");
    let again = lbstack::lock::acquire(&c, &name, "apply").await.unwrap();
    let (outcome, released) = again.around(async { 7 }).await;
    assert_eq!((outcome.unwrap(), released.is_ok()), (7, true));
    assert!(lbstack::lock::holder(&c, &name).await.unwrap().is_none());
}

/// One apply at a time: a second apply or destroy refuses at once, naming the holder; a crashed
/// holder's lock is broken explicitly; two applies started together never duplicate anything.
#[tokio::test]
async fn one_apply_at_a_time() {
    use crate::support::{lbstack_aws, output_text};
    let c = clients().await;
    let name = unique("lock");
    let file = write_stack(&name, TWO_GROUPS);
    let f = file.to_str().unwrap();
    let held = lbstack::lock::acquire(&c, &name, "apply").await.unwrap();
    for verb in ["apply", "destroy"] {
        let o = lbstack_aws(&mut crate::support::lbstack())
            .env("LBSTACK_ACTOR", "second")
            .args([verb, f, "--auto-approve"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let text = output_text(&o);
        assert!(
            text.contains(&format!("stack `{name}` is locked by"))
                && text.contains("(apply)")
                && text.contains("--break-lock"),
            "{text}"
        );
    }
    assert!(inventory::of(&c, &name).await.is_empty(), "a refused apply wrote nothing");
    // The holder crashed: break its lock, then apply works.
    std::mem::forget(held);
    let o = crate::support::run_aws(&["apply", f, "--break-lock"]);
    assert!(o.status.success() && output_text(&o).contains("Removed the lock"), "{}", output_text(&o));
    // Two at once: one applies, the other refuses or finds nothing left to do.
    let start = || {
        let mut cmd = crate::support::lbstack();
        lbstack_aws(&mut cmd)
            .args(["apply", f, "--auto-approve"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() || b.status.success(), "{}\n{}", output_text(&a), output_text(&b));
    for o in [&a, &b] {
        assert!(o.status.success() || output_text(o).contains("is locked by"), "{}", output_text(o));
    }
    inventory::assert_clean(&inventory::of(&c, &name).await, &name);
    assert!(lbstack::lock::holder(&c, &name).await.unwrap().is_none(), "both runs released the lock");
    // A run killed on this machine left its lock: the next run sees the process is gone and takes over.
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    dead.wait().unwrap();
    let host =
        std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "localhost".into());
    let stale = serde_json::json!({"who": "killed", "host": host, "pid": dead.id(), "since": "2026-01-01T00:00:00Z", "operation": "apply", "token": "old"});
    c.ssm
        .put_parameter()
        .name(lbstack::lock::parameter_name(&name))
        .value(stale.to_string())
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let o = crate::support::run_aws(&["apply", f, "--auto-approve"]);
    assert!(
        o.status.success() && output_text(&o).contains("which no longer runs: taking it over"),
        "{}",
        output_text(&o)
    );
    // Nothing to do: --stats still says what reading cost.
    let o = crate::support::run_aws(&["apply", f, "--auto-approve", "--stats"]);
    assert!(
        o.status.success() && output_text(&o).contains("No changes.") && output_text(&o).contains("AWS API calls:"),
        "{}",
        output_text(&o)
    );
    let o = crate::support::run_aws(&["destroy", f, "--auto-approve"]);
    assert!(o.status.success(), "{}", output_text(&o));
}

/// A destroy that fails says so as a destroy, step by step: here a security group another
/// group's rule still names (outside the stack) cannot go. A protected load balancer is refused
/// before anything is deleted.
#[tokio::test]
async fn a_failed_destroy_is_reported_as_one() {
    use crate::support::{output_text, run_aws};
    let c = clients().await;
    let name = unique("faildestroy");
    let body = |on: bool| {
        format!(
            "security_groups:\n  lb: {{ingress: [{{ports: 80, cidrs: [0.0.0.0/0]}}]}}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nload_balancers:\n  web:\n    security_groups: [lb]\n    attributes: {{deletion_protection: {on}}}\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
        )
    };
    let file = write_stack(&name, &body(true));
    let f = file.to_str().unwrap();
    assert!(run_aws(&["apply", f, "--auto-approve"]).status.success());
    let o = run_aws(&["destroy", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(1));
    let text = output_text(&o);
    assert!(text.contains("deletion protection is on") && text.contains("nothing was changed"), "{text}");
    write_stack(&name, &body(false));
    assert!(run_aws(&["apply", f, "--auto-approve"]).status.success());

    // A group outside the stack lets the stack's group in: AWS keeps the stack's group.
    let s = crate::support::load(&std::fs::read_to_string(&file).unwrap());
    let vpc = lbstack::live::network::resolve(&c, &s).await.unwrap().vpc_id;
    let ours = c
        .ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values(format!("{name}-lb")).build())
        .send()
        .await
        .unwrap();
    let ours = ours.security_groups()[0].group_id().unwrap().to_string();
    let theirs = c
        .ec2
        .create_security_group()
        .group_name(format!("{name}-theirs"))
        .description("outside the stack")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let theirs = theirs.group_id().unwrap().to_string();
    let pair = aws_sdk_ec2::types::UserIdGroupPair::builder().group_id(&ours).build();
    let rule = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(8080)
        .to_port(8080)
        .user_id_group_pairs(pair)
        .build();
    c.ec2.authorize_security_group_ingress().group_id(&theirs).ip_permissions(rule.clone()).send().await.unwrap();
    let o = run_aws(&["destroy", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(1));
    let text = output_text(&o);
    assert!(
        text.contains("Destroy failed.") && text.contains("DependencyViolation") && text.contains("run destroy again"),
        "{text}"
    );
    c.ec2.revoke_security_group_ingress().group_id(&theirs).ip_permissions(rule).send().await.unwrap();
    assert!(run_aws(&["destroy", f, "--auto-approve"]).status.success());
    c.ec2.delete_security_group().group_id(&theirs).send().await.unwrap();
}

/// A scheduled action of the stack changed the group's sizes: that is not drift, and apply does
/// not undo it. A size edited in the stack is planned.
#[tokio::test]
async fn the_stacks_own_schedules_are_not_drift() {
    let c = clients().await;
    let name = unique("sched");
    let body = |min: u32| {
        format!(
            "launch_templates:\n  app:\n    image: {{name: \"al2023-ami-2023.*-x86_64\", owner: amazon}}\n    instance_type: t3.micro\nautoscaling_groups:\n  app: {{min: {min}, max: 6, launch_template: app}}\nscheduled_actions:\n  morning: {{group: app, recurrence: \"0 8 * * *\", min: 3}}\n"
        )
    };
    let s = crate::support::load(&format!("version: 1\nstack: {name}\n{}", body(1)));
    crate::support::apply_converges(&c, &s).await;
    // The morning schedule fires.
    let group = format!("{name}-app");
    c.autoscaling.update_auto_scaling_group().auto_scaling_group_name(&group).min_size(3).send().await.unwrap();
    let p = crate::support::plan(&c, &s).await;
    assert!(!p.has_changes(), "{}", lbstack::plan::render::human(&p, false));
    let min = || async {
        c.autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&group)
            .send()
            .await
            .unwrap()
            .auto_scaling_groups()[0]
            .min_size()
    };
    // The stack's min changes from 1 to 2: planned and applied.
    let s = crate::support::load(&format!("version: 1\nstack: {name}\n{}", body(2)));
    let p = crate::support::plan(&c, &s).await;
    let g = p.changes.iter().find(|x| x.address.to_string() == "autoscaling_group.app").unwrap();
    assert!(
        g.diffs.iter().any(|d| d.path == "min"
            && d.before == Some(serde_json::json!(3))
            && d.after == Some(serde_json::json!(2))),
        "{:?}",
        g.diffs
    );
    crate::support::apply_converges(&c, &s).await;
    assert_eq!(min().await, Some(2));
    // Fires again, and a change elsewhere in the group (a tag) leaves the schedule's size alone.
    c.autoscaling.update_auto_scaling_group().auto_scaling_group_name(&group).min_size(3).send().await.unwrap();
    let s = crate::support::load(&format!("version: 1\nstack: {name}\ntags: {{team: web}}\n{}", body(2)));
    crate::support::apply_converges(&c, &s).await;
    assert_eq!(min().await, Some(3), "apply undid the schedule");
    crate::support::destroy_converges(&c, &s).await;
}

/// A fixed name (`name:`) is the user's contract. A target group in use that must be replaced
/// cannot keep it (AWS holds one name once, and a group in use cannot go first): the plan is
/// refused with the way out. A new `name:` is drift: the replacement takes it. A load balancer
/// with a fixed name is replaced delete-first, and the plan says what that costs.
#[tokio::test]
async fn a_fixed_name_is_never_dropped_by_a_replacement() {
    let c = clients().await;
    let name = unique("fixed");
    let stack = |tg_name: &str, port: u16, lb: &str| {
        crate::support::load(&format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  api: {{name: {name}-{tg_name}, protocol: HTTP, port: {port}}}\nload_balancers:\n  web:\n    name: {name}-edge\n{lb}    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: api}}}}\n"
        ))
    };
    crate::support::apply_converges(&c, &stack("corp", 8080, "")).await;

    // The port cannot change in place: refused, naming the fixed name and what to do.
    let p = crate::support::plan(&c, &stack("corp", 9090, "")).await;
    let refused = p.conflicts.iter().find(|x| x.address.to_string() == "target_group.api").expect("refused");
    assert!(
        refused.reason.contains(&format!("`{name}-corp` is fixed")) && refused.reason.contains("remove `name:`"),
        "{}",
        refused.reason
    );
    assert!(!p.applyable());

    // A new name is the way: the replacement takes it, the listener moves, the old one goes.
    let p = crate::support::apply_converges(&c, &stack("corp2", 9090, "")).await;
    let tg = p.changes.iter().find(|x| x.address.to_string() == "target_group.api").unwrap();
    assert_eq!(tg.action, lbstack::plan::Action::CreateDelete);
    assert_eq!(tg.name, format!("{name}-corp2"));
    let live = c.elbv2.describe_target_groups().names(format!("{name}-corp2")).send().await.unwrap();
    assert_eq!(live.target_groups()[0].port(), Some(9090));

    // The load balancer, internal now: replaced delete-first under its fixed name, with a warning.
    let internal = stack("corp2", 9090, "    scheme: internal\n");
    let p = crate::support::plan(&c, &internal).await;
    let lb = p.changes.iter().find(|x| x.address.to_string() == "load_balancer.web").unwrap();
    assert_eq!((lb.action, lb.name.as_str()), (lbstack::plan::Action::DeleteCreate, format!("{name}-edge").as_str()));
    assert!(p.warnings.iter().any(|w| w.contains("serves no traffic in between")), "{:?}", p.warnings);
    crate::support::apply_converges(&c, &internal).await;
    let live = c.elbv2.describe_load_balancers().names(format!("{name}-edge")).send().await.unwrap();
    assert_eq!(live.load_balancers()[0].scheme().map(|s| s.as_str()), Some("internal"));
    crate::support::destroy_converges(&c, &internal).await;
}
