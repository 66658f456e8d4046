//! Auto scaling against the emulator: launch templates, groups, instance refreshes, every policy
//! type, scheduled actions and alarms; created, updated, replaced and deleted, each apply ending
//! with an empty re-plan.

use crate::support::{actions, apply_converges, clients, destroy_converges, load, plan, unique};
use lbstack::plan::Action::*;
use lbstack::plan::{Change, Plan};

fn find<'a>(p: &'a Plan, address: &str) -> &'a Change {
    p.changes
        .iter()
        .find(|c| c.address.to_string() == address)
        .unwrap_or_else(|| panic!("{address} is not in the plan"))
}

/// A user-data file next to where `load` puts the stack (the temporary folder); its name.
fn user_data(name: &str, text: &str) -> String {
    let file = format!("lbstack-ud-{name}.sh");
    std::fs::write(std::env::temp_dir().join(&file), text).unwrap();
    file
}

/// A group of `desired` instances behind a target group, with `group_extra` and `lt_extra` lines.
fn group_stack(name: &str, instance_type: &str, ud: &str, group_extra: &str, lt_extra: &str) -> String {
    format!(
        r#"version: 1
stack: {name}
target_groups:
  app: {{protocol: HTTP, port: 8080, health_check: {{path: /health}}}}
  spare: {{protocol: HTTP, port: 8081}}
load_balancers:
  web:
    listeners:
      http: {{port: 80, protocol: HTTP, default_action: {{forward: {{app: 1, spare: 1}}}}}}
launch_templates:
  app:
    image: {{name: "al2023-ami-2023.*-x86_64", owner: amazon}}
    instance_type: {instance_type}
    user_data: {ud}
{lt_extra}
autoscaling_groups:
  app:
    min: 1
    max: 4
    desired: 2
    launch_template: app
    target_groups: [app]
{group_extra}
"#
    )
}

async fn group(c: &lbstack::live::Clients, name: &str) -> aws_sdk_autoscaling::types::AutoScalingGroup {
    let out = c
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(format!("{name}-app"))
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups().first().cloned().expect("the group exists")
}

#[tokio::test]
async fn launch_template_and_group_lifecycle() {
    let c = clients().await;
    let name = unique("asg");
    let ud1 = user_data(&name, "#!/bin/bash\necho one\nsystemctl start app\n");

    // Create: the group starts at its declared capacity, registered in its target group.
    let s = load(&group_stack(&name, "t3.micro", &ud1, "", ""));
    let p = apply_converges(&c, &s).await;
    assert!(actions(&p).contains(&("autoscaling_group.app".into(), Create)), "{:?}", actions(&p));
    let g = group(&c, &name).await;
    assert_eq!((g.min_size(), g.max_size(), g.desired_capacity(), g.instances().len()), (Some(1), Some(4), Some(2), 2));
    assert_eq!(g.target_group_arns().len(), 1);
    let lt = &c
        .ec2
        .describe_launch_templates()
        .launch_template_names(format!("{name}-app"))
        .send()
        .await
        .unwrap()
        .launch_templates()[0]
        .clone();
    let version = c
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(lt.launch_template_id().unwrap())
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    let data = version.launch_template_versions()[0].launch_template_data().unwrap().clone();
    assert_eq!(
        data.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()),
        Some("required"),
        "IMDSv2 is required by default"
    );

    // Scaling by hand (what a policy does) is not drift: desired is not pinned.
    c.autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(format!("{name}-app"))
        .desired_capacity(3)
        .send()
        .await
        .unwrap();
    assert!(!plan(&c, &s).await.has_changes(), "a scaled group must not plan a change back");

    // Pinned: apply enforces it, and the plan warns that capacity drops.
    let s = load(&group_stack(&name, "t3.micro", &ud1, "    pin_desired: true", ""));
    let p = plan(&c, &s).await;
    let d = &find(&p, "autoscaling_group.app").diffs;
    assert!(d.iter().any(|x| x.path == "desired"), "{d:?}");
    assert!(
        p.warnings.iter().any(|w| w.contains("pinned desired capacity 2 is below the current 3")),
        "{:?}",
        p.warnings
    );
    apply_converges(&c, &s).await;
    assert_eq!(group(&c, &name).await.desired_capacity(), Some(2));

    // A new template version and an instance refresh, in one apply. The plan shows the user data
    // as a text diff and says how many instances are replaced.
    let old_instances: Vec<String> =
        group(&c, &name).await.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect();
    let ud2 = user_data(&name, "#!/bin/bash\necho two\nsystemctl start app\n");
    let s = load(&group_stack(
        &name,
        "t3.small",
        &ud2,
        "    pin_desired: true\n    instance_refresh: {min_healthy_percentage: 50, instance_warmup: 30}",
        "",
    ));
    let p = plan(&c, &s).await;
    assert_eq!(find(&p, "launch_template.app").action, Update);
    let g = find(&p, "autoscaling_group.app");
    assert_eq!(g.action, Update);
    assert!(
        g.reason
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("launch_template.app gets a new version"),
        "{:?}",
        g.reason
    );
    assert!(p.warnings.iter().any(|w| w.contains("an instance refresh replaces 2 instances")), "{:?}", p.warnings);
    let text = lbstack::plan::render::human(&p, false);
    assert!(
        text.contains("          - echo one") && text.contains("          + echo two"),
        "user data is diffed as text:\n{text}"
    );
    assert!(!text.contains("IyEvYmlu"), "no base64 in the plan:\n{text}");
    apply_converges(&c, &s).await;
    let g = group(&c, &name).await;
    assert_eq!(g.instances().len(), 2);
    assert!(
        g.instances().iter().all(|i| !old_instances.contains(&i.instance_id().unwrap().to_string())),
        "every instance was replaced"
    );
    assert!(g.instances().iter().all(|i| i.instance_type() == Some("t3.small")));
    let lt = &c
        .ec2
        .describe_launch_templates()
        .launch_template_names(format!("{name}-app"))
        .send()
        .await
        .unwrap()
        .launch_templates()[0]
        .clone();
    assert_eq!(
        (lt.latest_version_number(), lt.default_version_number()),
        (Some(2), Some(2)),
        "a change is a new default version"
    );

    // A refresh on the group's tags, with rollback, a stopping alarm and what to do with
    // protected and standby instances: the tags change alone starts it, with those preferences.
    let prefs = "    pin_desired: true\n    instance_refresh: {min_healthy_percentage: 50, auto_rollback: true, alarms: [refresh-guard], scale_in_protected_instances: ignore, standby_instances: wait, triggers: [tags]}\n    tags: {release: r2}";
    let s = load(&group_stack(&name, "t3.small", &ud2, prefs, ""));
    let p = plan(&c, &s).await;
    let g = find(&p, "autoscaling_group.app");
    assert!(
        g.reason.as_ref().map(ToString::to_string).unwrap_or_default().contains("the group's tags change"),
        "{:?}",
        g.reason
    );
    apply_converges(&c, &s).await;
    let out = c
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(format!("{name}-app"))
        .send()
        .await
        .unwrap();
    let sent = out.instance_refreshes()[0].preferences().cloned().expect("the preferences are kept");
    assert_eq!(
        (sent.auto_rollback(), sent.scale_in_protected_instances().map(|x| x.as_str())),
        (Some(true), Some("Ignore"))
    );
    assert_eq!(sent.standby_instances().map(|x| x.as_str()), Some("Wait"));
    assert_eq!(sent.alarm_specification().map(|a| a.alarms().to_vec()), Some(vec!["refresh-guard".to_string()]));

    // Settings in place: sizes, health check, termination policies, a second target group, tags.
    let s = load(
        &group_stack(
            &name,
            "t3.small",
            &ud2,
            "    health_check: {type: elb, grace_period: 90}\n    termination_policies: [OldestInstance]\n    default_instance_warmup: 60\n    tags: {team: web}",
            "    tags: {team: web}",
        )
        .replace("max: 4", "max: 6")
        .replace("target_groups: [app]", "target_groups: [app, spare]"),
    );
    let p = plan(&c, &s).await;
    assert_eq!(
        actions(&p),
        vec![("launch_template.app".into(), Update), ("autoscaling_group.app".into(), Update)],
        "tags only: no new version, no refresh"
    );
    assert!(!find(&p, "autoscaling_group.app").diffs.iter().any(|d| d.path == "instance_refresh"));
    apply_converges(&c, &s).await;
    let g = group(&c, &name).await;
    assert_eq!((g.max_size(), g.health_check_type(), g.health_check_grace_period()), (Some(6), Some("ELB"), Some(90)));
    assert_eq!(g.target_group_arns().len(), 2);
    assert_eq!(g.termination_policies(), ["OldestInstance"]);

    // Mixed instances: the instance types change, so instances are refreshed.
    let s = load(
        &group_stack(
            &name,
            "t3.small",
            &ud2,
            "    mixed_instances: {types: [t3.small, t3a.small], on_demand_base: 1, on_demand_percentage: 50}",
            "",
        )
        .replace("max: 4", "max: 6"),
    );
    let p = plan(&c, &s).await;
    assert!(
        find(&p, "autoscaling_group.app").diffs.iter().any(|d| d.path == "instance_refresh"),
        "{:?}",
        find(&p, "autoscaling_group.app").diffs
    );
    apply_converges(&c, &s).await;
    // Weighted: each type counts as its units of capacity; then the weights are removed again.
    let weighted = "    mixed_instances: {types: [t3.small, t3a.small], on_demand_base: 1, on_demand_percentage: 50, weighted_capacity: {t3.small: 1, t3a.small: 2}}";
    let s = load(&group_stack(&name, "t3.small", &ud2, weighted, "").replace("max: 4", "max: 6"));
    assert_eq!(actions(&plan(&c, &s).await), vec![("autoscaling_group.app".into(), Update)]);
    apply_converges(&c, &s).await;
    let weights = |g: aws_sdk_autoscaling::types::AutoScalingGroup| -> Vec<Option<String>> {
        let policy = g
            .mixed_instances_policy()
            .and_then(|m| m.launch_template())
            .map(|l| l.overrides().to_vec())
            .unwrap_or_default();
        policy.iter().map(|o| o.weighted_capacity().map(str::to_string)).collect()
    };
    assert_eq!(weights(group(&c, &name).await), [Some("1".to_string()), Some("2".to_string())]);
    let s = load(
        &group_stack(
            &name,
            "t3.small",
            &ud2,
            "    mixed_instances: {types: [t3.small, t3a.small], on_demand_base: 1, on_demand_percentage: 50}",
            "",
        )
        .replace("max: 4", "max: 6"),
    );
    apply_converges(&c, &s).await;
    assert_eq!(weights(group(&c, &name).await), [None, None]);

    // Delete: the group is drained (scaled to zero, instances waited out), then the template goes.
    let before = c.calls.by_operation();
    let s = load(&format!("version: 1\nstack: {name}\n"));
    let p = apply_converges(&c, &s).await;
    assert!(
        actions(&p).contains(&("autoscaling_group.app".into(), Delete))
            && actions(&p).contains(&("launch_template.app".into(), Delete))
    );
    assert!(p.warnings.iter().any(|w| w.contains("running instances will be terminated")), "{:?}", p.warnings);
    let after = c.calls.by_operation();
    let updates = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().filter(|(k, _)| k.ends_with("UpdateAutoScalingGroup")).map(|(_, v)| *v).sum::<u64>()
    };
    assert_eq!(updates(&after) - updates(&before), 1, "scaled to zero before the delete");
    let out = c
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(format!("{name}-app"))
        .send()
        .await
        .unwrap();
    assert!(out.auto_scaling_groups().is_empty());
}

#[tokio::test]
async fn force_delete_skips_the_drain() {
    let c = clients().await;
    let name = unique("fd");
    let ud = user_data(&name, "#!/bin/bash\n");
    let s = load(&group_stack(&name, "t3.micro", &ud, "    force_delete: true", ""));
    apply_converges(&c, &s).await;
    let before = c.calls.by_operation();
    destroy_converges(&c, &s).await;
    let after = c.calls.by_operation();
    let updates = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().filter(|(k, _)| k.ends_with("UpdateAutoScalingGroup")).map(|(_, v)| *v).sum::<u64>()
    };
    assert_eq!(updates(&after), updates(&before), "no scale-to-zero with force_delete");
}

#[tokio::test]
async fn a_cancelled_refresh_fails_the_apply_and_the_next_plan_refreshes_again() {
    let c = clients().await;
    let name = unique("rf");
    let ud = user_data(&name, "#!/bin/bash\n");
    let s = load(&group_stack(&name, "t3.micro", &ud, "    pin_desired: true", "").replace("desired: 2", "desired: 4"));
    apply_converges(&c, &s).await;

    let s = load(&group_stack(&name, "t3.small", &ud, "    pin_desired: true", "").replace("desired: 2", "desired: 4"));
    let planned = lbstack::ops::plan(&c, &s, false).await.unwrap();
    let group_name = format!("{name}-app");
    let canceller = {
        let c = c.clone();
        tokio::spawn(async move {
            for _ in 0..100 {
                let out = c
                    .autoscaling
                    .describe_instance_refreshes()
                    .auto_scaling_group_name(&group_name)
                    .send()
                    .await
                    .unwrap();
                if out.instance_refreshes().first().and_then(|r| r.status()).map(|s| s.as_str()) == Some("InProgress") {
                    c.autoscaling.cancel_instance_refresh().auto_scaling_group_name(&group_name).send().await.unwrap();
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            false
        })
    };
    let outcome = lbstack::ops::apply(&c, &s, &planned.plan, 4, |_| {}).await;
    assert!(canceller.await.unwrap(), "the refresh was seen in progress and cancelled");
    let failed: Vec<String> = outcome
        .steps
        .iter()
        .filter_map(|s| if let lbstack::apply::StepStatus::Failed(e) = &s.status { Some(e.clone()) } else { None })
        .collect();
    assert!(failed.iter().any(|e| e.contains("ended Cancelled")), "{failed:?}");

    let p = plan(&c, &s).await;
    let g = find(&p, "autoscaling_group.app");
    assert!(
        g.reason
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("the last instance refresh ended Cancelled"),
        "{:?}",
        g.reason
    );
    apply_converges(&c, &s).await;
    destroy_converges(&c, &s).await;
}

fn policies_stack(name: &str, body: &str) -> String {
    format!(
        r#"version: 1
stack: {name}
target_groups:
  app: {{protocol: HTTP, port: 8080}}
load_balancers:
  web:
    listeners:
      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}
launch_templates:
  app:
    image: {{name: "al2023-ami-2023.*-x86_64", owner: amazon}}
    instance_type: t3.micro
autoscaling_groups:
  app:
    min: 1
    max: 10
    launch_template: app
    target_groups: [app]
{body}
"#
    )
}

const POLICIES_V1: &str = r#"scaling_policies:
  cpu:
    group: app
    target_tracking: {metric: cpu, target: 50, warmup: 60}
  requests:
    group: app
    target_tracking: {metric: alb_requests_per_target, target_group: app, target: 1000}
  queue:
    group: app
    target_tracking:
      custom: {namespace: Jobs, name: Backlog, statistic: Average, dimensions: {Queue: jobs}}
      target: 100
      disable_scale_in: true
  out:
    group: app
    step:
      adjustment_type: change_in_capacity
      steps:
        - {lower: 0, upper: 20, adjust: 1}
        - {lower: 20, adjust: 3}
  in:
    group: app
    simple: {adjust: -1, cooldown: 300}
  forecast:
    group: app
    predictive: {metric: cpu, target: 50, mode: forecast_only}
scheduled_actions:
  morning:
    group: app
    recurrence: "0 8 * * 1-5"
    time_zone: Europe/Paris
    min: 3
  launch-day:
    group: app
    start: 2030-01-15T08:00:00Z
    end: 2030-01-16T08:00:00Z
    min: 5
    max: 10
alarms:
  cpu-high:
    metric: CPUUtilization
    dimensions: {autoscaling_group: app}
    period: 60
    evaluation_periods: 3
    threshold: 75
    comparison: ">"
    actions: [out]
  cpu-low:
    metric: CPUUtilization
    dimensions: {autoscaling_group: app}
    period: 300
    evaluation_periods: 2
    threshold: 20
    comparison: "<"
    actions: [in]
  slow:
    metric: TargetResponseTime
    dimensions: {load_balancer: web, target_group: app}
    statistic: p99
    period: 60
    evaluation_periods: 5
    datapoints_to_alarm: 3
    threshold: 1.5
    comparison: ">"
    missing_data: not_breaching
    actions: ["arn:aws:sns:us-east-1:000000000000:oncall"]
"#;

#[tokio::test]
async fn every_policy_type_scheduled_actions_and_alarms() {
    let c = clients().await;
    let name = unique("pol");

    // Create all of them; alarms point at the policies' ARNs and at the group, load balancer and
    // target group by their CloudWatch dimension names.
    let s = load(&policies_stack(&name, POLICIES_V1));
    let p = apply_converges(&c, &s).await;
    assert_eq!(p.summary().add, 16, "{:?}", actions(&p));
    let alarm =
        c.cloudwatch.describe_alarms().alarm_names(format!("{name}-cpu-high")).send().await.unwrap().metric_alarms()[0]
            .clone();
    let out_arn = c
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(format!("{name}-app"))
        .policy_names(format!("{name}-out"))
        .send()
        .await
        .unwrap()
        .scaling_policies()[0]
        .policy_arn()
        .unwrap()
        .to_string();
    assert_eq!(alarm.alarm_actions(), [out_arn]);
    let slow = c.cloudwatch.describe_alarms().alarm_names(format!("{name}-slow")).send().await.unwrap().metric_alarms()
        [0]
    .clone();
    let dims: Vec<String> =
        slow.dimensions().iter().map(|d| format!("{}={}", d.name().unwrap(), d.value().unwrap())).collect();
    assert!(
        dims.iter().any(|d| d.starts_with("LoadBalancer=app/") && d.contains(&format!("/{name}-web/"))),
        "{dims:?}"
    );
    assert!(dims.iter().any(|d| d.starts_with("TargetGroup=targetgroup/")), "{dims:?}");
    assert_eq!(slow.extended_statistic(), Some("p99"));
    let requests = c
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(format!("{name}-app"))
        .policy_names(format!("{name}-requests"))
        .send()
        .await
        .unwrap()
        .scaling_policies()[0]
        .clone();
    let label = requests
        .target_tracking_configuration()
        .unwrap()
        .predefined_metric_specification()
        .unwrap()
        .resource_label()
        .unwrap()
        .to_string();
    assert!(label.starts_with("app/") && label.contains("/targetgroup/"), "{label}");

    // Update every kind in place.
    let v2 = POLICIES_V1
        .replace("target: 50, warmup: 60", "target: 40, warmup: 90")
        .replace("target: 1000", "target: 1200")
        .replace("{lower: 20, adjust: 3}", "{lower: 20, upper: 40, adjust: 3}\n        - {lower: 40, adjust: 5}")
        .replace("simple: {adjust: -1, cooldown: 300}", "simple: {adjust: -2, cooldown: 600}")
        .replace("mode: forecast_only", "mode: forecast_and_scale, buffer_time: 600")
        .replace("\"0 8 * * 1-5\"", "\"30 7 * * 1-5\"")
        .replace("max: 10\nalarms", "max: 8\nalarms")
        .replace("threshold: 75", "threshold: 80\n    tags: {severity: page}");
    let s = load(&policies_stack(&name, &v2));
    let p = plan(&c, &s).await;
    let mut changed: Vec<String> = actions(&p).into_iter().map(|(a, act)| format!("{a}:{act:?}")).collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "alarm.cpu-high:Update",
            "scaling_policy.cpu:Update",
            "scaling_policy.forecast:Update",
            "scaling_policy.in:Update",
            "scaling_policy.out:Update",
            "scaling_policy.requests:Update",
            "scheduled_action.launch-day:Update",
            "scheduled_action.morning:Update",
        ]
    );
    apply_converges(&c, &s).await;

    // A policy moves to another type: replaced under the same name. Remove a schedule and an alarm.
    let queue_v1 = "  queue:\n    group: app\n    target_tracking:\n      custom: {namespace: Jobs, name: Backlog, statistic: Average, dimensions: {Queue: jobs}}\n      target: 100\n      disable_scale_in: true\n";
    let launch_day = "  launch-day:\n    group: app\n    start: 2030-01-15T08:00:00Z\n    end: 2030-01-16T08:00:00Z\n    min: 5\n    max: 8\n";
    assert!(v2.contains(queue_v1) && v2.contains(launch_day));
    let v3 = v2.replace(queue_v1, "  queue:\n    group: app\n    simple: {adjust: 1}\n").replace(launch_day, "");
    let v3 = v3[..v3.find("  slow:").unwrap()].to_string()
        + "  queue-high:\n    metric: Backlog\n    namespace: Jobs\n    period: 60\n    threshold: 500\n    comparison: \">\"\n    actions: [queue]\n";
    let s = load(&policies_stack(&name, &v3));
    let p = plan(&c, &s).await;
    assert_eq!(
        find(&p, "scaling_policy.queue").action,
        DeleteCreate,
        "type changes replace: {:?}",
        find(&p, "scaling_policy.queue").diffs
    );
    assert_eq!(find(&p, "scheduled_action.launch-day").action, Delete);
    assert_eq!(find(&p, "alarm.slow").action, Delete);
    apply_converges(&c, &s).await;

    // Destroy: alarms, then policies and schedules, then the group.
    let p = destroy_converges(&c, &s).await;
    let order: Vec<String> = p.changes.iter().map(|c| c.address.to_string()).collect();
    let pos = |a: &str| order.iter().position(|x| x == a).unwrap();
    assert!(
        pos("alarm.cpu-high") < pos("scaling_policy.out") && pos("scaling_policy.out") < pos("autoscaling_group.app"),
        "{order:?}"
    );
}

#[tokio::test]
async fn a_foreign_group_with_the_stacks_name_is_a_conflict() {
    let c = clients().await;
    let name = unique("fg");
    let s = load(&policies_stack(&name, ""));
    let lt = c
        .ec2
        .create_launch_template()
        .launch_template_name(format!("{name}-foreign"))
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-03c3da4cfa8e8943a")
                .instance_type("t3.micro".into())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let subnets = c.ec2.describe_subnets().send().await.unwrap();
    c.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(format!("{name}-app"))
        .min_size(0)
        .max_size(1)
        .vpc_zone_identifier(subnets.subnets()[0].subnet_id().unwrap())
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_id(lt.launch_template().unwrap().launch_template_id().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let p = plan(&c, &s).await;
    assert!(p.conflicts.iter().any(|x| x.address.to_string() == "autoscaling_group.app"), "{:?}", p.conflicts);
    assert!(!p.changes.iter().any(|x| x.address.to_string() == "autoscaling_group.app"));
    // Destroying the stack leaves the foreign group alone.
    destroy_converges(&c, &s).await;
    assert_eq!(group(&c, &name).await.max_size(), Some(1));
}

#[tokio::test]
async fn kitchen_sink_of_auto_scaling_settings_converges_changed_everywhere() {
    let c = clients().await;
    let name = unique("sinkasg");
    let dir = crate::support::repo_root().join("tests/fixtures/valid");
    let read = |f: &str| {
        let text = std::fs::read_to_string(dir.join(f)).unwrap().replace("stack: sink-asg", &format!("stack: {name}"));
        let loaded = lbstack::stack_format::load_str(f, &text, Some(&dir), &[]);
        assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
        loaded.stack.unwrap()
    };
    let s = read("kitchen-sink-asg.yaml");
    apply_converges(&c, &s).await;
    let s = read("kitchen-sink-asg-changed.yaml");
    let p = plan(&c, &s).await;
    assert_eq!(p.summary().change, 11, "{:?}", actions(&p));
    // The spot group moves to the template's version 2, which the same apply creates.
    assert!(find(&p, "autoscaling_group.spot").diffs.iter().any(|d| d.path == "launch_template.version"));
    apply_converges(&c, &s).await;
    destroy_converges(&c, &s).await;
}

#[tokio::test]
async fn deleting_a_group_of_protected_instances_says_why_instead_of_waiting() {
    let c = clients().await;
    let name = unique("prot");
    let ud = user_data(&name, "#!/bin/bash\n");
    let s = load(&group_stack(&name, "t3.micro", &ud, "", ""));
    apply_converges(&c, &s).await;
    let ids: Vec<String> =
        group(&c, &name).await.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect();
    c.autoscaling
        .set_instance_protection()
        .auto_scaling_group_name(format!("{name}-app"))
        .set_instance_ids(Some(ids))
        .protected_from_scale_in(true)
        .send()
        .await
        .unwrap();

    let planned = lbstack::ops::plan(&c, &s, true).await.unwrap();
    let outcome = lbstack::ops::apply(&c, &s, &planned.plan, 4, |_| {}).await;
    let failed: Vec<String> = outcome
        .steps
        .iter()
        .filter_map(|s| if let lbstack::apply::StepStatus::Failed(e) = &s.status { Some(e.clone()) } else { None })
        .collect();
    assert!(failed.iter().any(|e| e.contains("protected from scale-in") && e.contains("force_delete")), "{failed:?}");

    // With force_delete the stack can go.
    let s = load(&group_stack(&name, "t3.micro", &ud, "    force_delete: true", ""));
    destroy_converges(&c, &s).await;
}

/// Group metrics and suspended processes: created with the group, changed as sets (added ones
/// enabled or suspended, removed ones disabled or resumed), removed entirely, each apply ending
/// with an empty re-plan. An alarm on a group metric lands in AWS/AutoScaling without a namespace.
#[tokio::test]
async fn group_metrics_and_suspended_processes_are_sets_kept_in_step() {
    let c = clients().await;
    let name = unique("gmetrics");
    let ud = user_data(&name, "#!/bin/sh\n");
    let alarm = "alarms:\n  crowded:\n    metric: GroupTotalInstances\n    dimensions: {autoscaling_group: app}\n    threshold: 3\n    comparison: \">\"\n";
    let stack = |extra: &str| load(&format!("{}{alarm}", group_stack(&name, "t3.micro", &ud, extra, "")));
    let live = |g: aws_sdk_autoscaling::types::AutoScalingGroup| {
        let mut metrics: Vec<String> =
            g.enabled_metrics().iter().filter_map(|m| m.metric().map(str::to_string)).collect();
        let mut processes: Vec<String> =
            g.suspended_processes().iter().filter_map(|p| p.process_name().map(str::to_string)).collect();
        metrics.sort();
        processes.sort();
        (metrics, processes)
    };

    apply_converges(
        &c,
        &stack("    metrics: [GroupTotalInstances, GroupInServiceInstances]\n    suspended_processes: [AZRebalance]\n"),
    )
    .await;
    assert_eq!(
        live(group(&c, &name).await),
        (vec!["GroupInServiceInstances".to_string(), "GroupTotalInstances".into()], vec!["AZRebalance".to_string()])
    );
    let alarms = c.cloudwatch.describe_alarms().alarm_names(format!("{name}-crowded")).send().await.unwrap();
    assert_eq!(alarms.metric_alarms()[0].namespace(), Some("AWS/AutoScaling"), "a group metric is not in AWS/EC2");

    // `all` adds the other 19; one process more.
    let s = stack("    metrics: all\n    suspended_processes: [AZRebalance, ScheduledActions]\n");
    let p = plan(&c, &s).await;
    assert_eq!(actions(&p), vec![("autoscaling_group.app".to_string(), Update)]);
    let paths: Vec<&str> = find(&p, "autoscaling_group.app").diffs.iter().map(|d| d.path.as_str()).collect();
    assert!(paths.iter().all(|p| p.starts_with("metrics") || p.starts_with("suspended_processes")), "{paths:?}");
    apply_converges(&c, &s).await;
    let (metrics, processes) = live(group(&c, &name).await);
    assert_eq!((metrics.len(), processes), (21, vec!["AZRebalance".to_string(), "ScheduledActions".into()]));

    // A smaller list disables the rest; no processes resumes them all.
    apply_converges(&c, &stack("    metrics: [GroupTotalInstances]\n")).await;
    assert_eq!(live(group(&c, &name).await), (vec!["GroupTotalInstances".to_string()], vec![]));
    // Off: the alarm would get no data, and validate says so.
    let loaded = lbstack::stack_format::load_str(
        "test.yaml",
        &format!("{}{alarm}", group_stack(&name, "t3.micro", &ud, "", "")),
        Some(&std::env::temp_dir()),
        &[],
    );
    assert!(
        loaded.report.render_short().contains("does not collect GroupTotalInstances"),
        "{}",
        loaded.report.render_short()
    );
    apply_converges(&c, &loaded.stack.unwrap()).await;
    assert_eq!(live(group(&c, &name).await), (vec![], vec![]));
    destroy_converges(&c, &stack("")).await;
}

/// Lifecycle hooks (given to the create call, so the first instances already meet a launch
/// hook), a warm pool, SNS notifications and the maintenance policy: created with the group,
/// changed in place, removed, each apply ending with an empty re-plan. A hook another tool put on
/// the group is left alone throughout.
#[tokio::test]
async fn hooks_warm_pool_notifications_and_maintenance_round_trip() {
    let c = clients().await;
    let name = unique("hooks");
    let ud = user_data(&name, "#!/bin/sh\n");
    let topic = "arn:aws:sns:us-east-1:000000000000:asg-events";
    let stack = |extra: &str| load(&group_stack(&name, "t3.micro", &ud, extra, ""));
    let first = format!(
        "    lifecycle_hooks:\n      drain: {{transition: terminate, heartbeat: 300, default_result: continue}}\n    warm_pool: {{min_size: 1, state: stopped}}\n    notifications:\n      - {{topic: \"{topic}\", events: [launch_error, terminate_error]}}\n    instance_maintenance: {{min_healthy_percentage: 90, max_healthy_percentage: 120}}\n"
    );
    apply_converges(&c, &stack(&first)).await;
    let group_name = format!("{name}-app");
    let hooks = |c: &lbstack::live::Clients| {
        let group_name = group_name.clone();
        let c = c.clone();
        async move {
            let out =
                c.autoscaling.describe_lifecycle_hooks().auto_scaling_group_name(&group_name).send().await.unwrap();
            let mut hooks: Vec<(String, i32, String)> = out
                .lifecycle_hooks()
                .iter()
                .map(|h| {
                    (
                        h.lifecycle_hook_name().unwrap().to_string(),
                        h.heartbeat_timeout().unwrap(),
                        h.default_result().unwrap().to_string(),
                    )
                })
                .collect();
            hooks.sort();
            hooks
        }
    };
    assert_eq!(hooks(&c).await, vec![(format!("{name}-drain"), 300, "CONTINUE".to_string())]);
    let g = group(&c, &name).await;
    let policy = g.instance_maintenance_policy().expect("the maintenance policy is set");
    assert_eq!((policy.min_healthy_percentage(), policy.max_healthy_percentage()), (Some(90), Some(120)));
    let pool = c.autoscaling.describe_warm_pool().auto_scaling_group_name(&group_name).send().await.unwrap();
    assert_eq!(pool.warm_pool_configuration().and_then(|w| w.min_size()), Some(1));
    let notes = c
        .autoscaling
        .describe_notification_configurations()
        .auto_scaling_group_names(&group_name)
        .send()
        .await
        .unwrap();
    assert_eq!(notes.notification_configurations().len(), 2);

    // Another tool's hook on the group, named outside the stack's prefix: never touched.
    c.autoscaling
        .put_lifecycle_hook()
        .auto_scaling_group_name(&group_name)
        .lifecycle_hook_name("platform-audit")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .send()
        .await
        .unwrap();

    let second = first
        .replace("heartbeat: 300", "heartbeat: 600")
        .replace(
            "default_result: continue}",
            "default_result: continue}\n      warmup: {transition: launch}\n      ready: {name: ops-ready, transition: launch}",
        )
        .replace("min_size: 1, state: stopped", "min_size: 2, max_prepared: 4, state: hibernated, reuse_on_scale_in: true")
        .replace(", events: [launch_error, terminate_error]", "")
        .replace("max_healthy_percentage: 120", "max_healthy_percentage: 150");
    let s = stack(&second);
    let p = plan(&c, &s).await;
    assert_eq!(actions(&p), vec![("autoscaling_group.app".to_string(), Update)]);
    apply_converges(&c, &s).await;
    assert_eq!(
        hooks(&c).await,
        vec![
            (format!("{name}-drain"), 600, "CONTINUE".to_string()),
            (format!("{name}-warmup"), 3600, "ABANDON".into()),
            ("ops-ready".into(), 3600, "ABANDON".into()),
            ("platform-audit".into(), 3600, "ABANDON".into())
        ]
    );
    // The hook named as given is recorded on the group, so it is known as the stack's when its
    // entry goes (below) as well as while it is declared.
    let tags = group(&c, &name)
        .await
        .tags()
        .iter()
        .find(|t| t.key() == Some("lbstack:hooks"))
        .and_then(|t| t.value().map(str::to_string));
    assert_eq!(tags.as_deref(), Some("ops-ready"));
    let pool = c.autoscaling.describe_warm_pool().auto_scaling_group_name(&group_name).send().await.unwrap();
    let w = pool.warm_pool_configuration().unwrap();
    assert_eq!(
        (w.min_size(), w.max_group_prepared_capacity(), w.pool_state().map(|s| s.as_str())),
        (Some(2), Some(4), Some("Hibernated"))
    );
    let notes = c
        .autoscaling
        .describe_notification_configurations()
        .auto_scaling_group_names(&group_name)
        .send()
        .await
        .unwrap();
    assert_eq!(notes.notification_configurations().len(), 4, "no events listed means all four");

    // Removed: the stack's hooks go, the other tool's stays; no pool, no notifications, no policy.
    // Spot capacity arrives in the same apply: AWS refuses a mixed instances policy beside a warm
    // pool, so the pool leaves first.
    apply_converges(&c, &stack("    mixed_instances: {types: [t3.micro, t3a.micro], on_demand_percentage: 50}\n"))
        .await;
    assert!(group(&c, &name).await.mixed_instances_policy().is_some());
    assert_eq!(hooks(&c).await, vec![("platform-audit".to_string(), 3600, "ABANDON".to_string())]);
    let pool = c.autoscaling.describe_warm_pool().auto_scaling_group_name(&group_name).send().await.unwrap();
    assert!(pool.warm_pool_configuration().is_none());
    let notes = c
        .autoscaling
        .describe_notification_configurations()
        .auto_scaling_group_names(&group_name)
        .send()
        .await
        .unwrap();
    assert!(notes.notification_configurations().is_empty());
    assert!(group(&c, &name).await.instance_maintenance_policy().is_none());

    // Destroy with hooks and a pool in place: they go first, the group after.
    apply_converges(&c, &stack(&first)).await;
    destroy_converges(&c, &stack(&first)).await;
}

/// Metric math (an error rate rather than a count) and an anomaly band: created, changed in
/// place, the band alarm turned into a threshold alarm, each apply ending with an empty re-plan.
#[tokio::test]
async fn metric_math_and_anomaly_band_alarms_round_trip() {
    let c = clients().await;
    let name = unique("mathalarm");
    let stack = |rate: &str, latency: &str| {
        load(&format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 80}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\nalarms:\n  error-rate:\n{rate}    metrics:\n      errors: {{metric: HTTPCode_Target_5XX_Count, statistic: Sum, dimensions: {{load_balancer: web}}}}\n      requests: {{metric: RequestCount, statistic: Sum, dimensions: {{load_balancer: web}}}}\n    comparison: \">\"\n    evaluation_periods: 3\n  latency:\n    metric: TargetResponseTime\n    dimensions: {{load_balancer: web}}\n{latency}"
        ))
    };
    let alarm = |suffix: &str| {
        let (c, name) = (c.clone(), name.clone());
        let suffix = suffix.to_string();
        async move {
            c.cloudwatch.describe_alarms().alarm_names(format!("{name}-{suffix}")).send().await.unwrap().metric_alarms()
                [0]
            .clone()
        }
    };
    let s = stack(
        "    expression: \"100 * errors / requests\"\n    threshold: 1\n",
        "    anomaly_band: 2\n    comparison: above\n",
    );
    apply_converges(&c, &s).await;
    let rate = alarm("error-rate").await;
    let ids: Vec<&str> = rate.metrics().iter().filter_map(|q| q.id()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let expression = rate.metrics().iter().find_map(|q| q.expression()).unwrap();
    assert_eq!((expression, rate.threshold()), ("100 * errors / requests", Some(1.0)));
    let errors = rate.metrics().iter().find(|q| q.id() == Some("errors")).and_then(|q| q.metric_stat()).unwrap();
    assert_eq!(errors.metric().and_then(|m| m.namespace()), Some("AWS/ApplicationELB"));
    let dimension = errors.metric().unwrap().dimensions()[0].value().unwrap();
    assert!(dimension.starts_with("app/"), "CloudWatch names the load balancer by its ARN's tail: {dimension}");
    let latency = alarm("latency").await;
    assert_eq!(latency.threshold_metric_id(), Some("band"));
    assert_eq!(latency.comparison_operator().map(|c| c.as_str()), Some("GreaterThanUpperThreshold"));
    assert_eq!(latency.metrics().iter().find_map(|q| q.expression()), Some("ANOMALY_DETECTION_BAND(m1, 2)"));

    // Changed in place.
    let s = stack(
        "    expression: \"errors / requests\"\n    threshold: 0.01\n",
        "    anomaly_band: 3\n    comparison: outside\n",
    );
    let p = plan(&c, &s).await;
    assert_eq!(actions(&p), vec![("alarm.error-rate".to_string(), Update), ("alarm.latency".to_string(), Update)]);
    apply_converges(&c, &s).await;
    assert_eq!(
        alarm("latency").await.metrics().iter().find_map(|q| q.expression()),
        Some("ANOMALY_DETECTION_BAND(m1, 3)")
    );

    // The band gives way to a threshold: the queries go.
    let s = stack(
        "    expression: \"errors / requests\"\n    threshold: 0.01\n",
        "    threshold: 0.5\n    comparison: \">\"\n",
    );
    apply_converges(&c, &s).await;
    let latency = alarm("latency").await;
    assert!(latency.metrics().is_empty() && latency.threshold_metric_id().is_none());
    assert_eq!((latency.metric_name(), latency.threshold()), (Some("TargetResponseTime"), Some(0.5)));
    destroy_converges(&c, &s).await;
}

/// A launch template's image from an SSM parameter, as AWS publishes the latest images: applied,
/// then the parameter moves to another image and the plan makes a new template version; a
/// parameter that does not exist stops the plan at the template's `image`.
#[tokio::test]
async fn an_image_from_an_ssm_parameter_follows_the_parameter() {
    let c = clients().await;
    let name = unique("paramami");
    let public = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    let published =
        c.ssm.get_parameter().name(public).send().await.unwrap().parameter().unwrap().value().unwrap().to_string();
    let own = format!("/{name}/ami");
    c.ssm
        .put_parameter()
        .name(&own)
        .value(&published)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let stack = |parameter: &str| {
        load(&format!(
            "version: 1\nstack: {name}\nlaunch_templates:\n  web:\n    image: {{ssm: \"{parameter}\"}}\n    instance_type: t3.micro\n"
        ))
    };
    let p = apply_converges(&c, &stack(public)).await;
    assert_eq!(find(&p, "launch_template.web").after.as_ref().unwrap().to_value()["image"], published.as_str());

    // Another parameter, same image: nothing to do. Then the parameter moves on.
    assert!(!plan(&c, &stack(&own)).await.has_changes());
    let images = c.ec2.describe_images().owners("amazon").send().await.unwrap();
    let other = images
        .images()
        .iter()
        .filter_map(|i| i.image_id())
        .find(|id| *id != published)
        .expect("another image")
        .to_string();
    c.ssm
        .put_parameter()
        .name(&own)
        .value(&other)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let p = plan(&c, &stack(&own)).await;
    let change = find(&p, "launch_template.web");
    assert_eq!(change.action, Update);
    assert!(
        change
            .diffs
            .iter()
            .any(|d| d.path == "image" && d.after.as_ref().and_then(|v| v.as_str()) == Some(other.as_str())),
        "{:?}",
        change.diffs
    );
    apply_converges(&c, &stack(&own)).await;

    let refused =
        lbstack::ops::plan(&c, &stack(&format!("/{name}/missing")), false).await.err().expect("refused").to_string();
    assert!(refused.contains("does not exist"), "{refused}");
    destroy_converges(&c, &stack(&own)).await;
    c.ssm.delete_parameter().name(&own).send().await.unwrap();
}

/// A composite alarm over two of the stack's alarms: created after them with their AWS names in
/// its rule, changed in place, and deleted before the alarms it names (AWS refuses the other
/// order), each apply ending with an empty re-plan.
#[tokio::test]
async fn composite_alarms_combine_the_stacks_alarms() {
    let c = clients().await;
    let name = unique("composite");
    let topic = "arn:aws:sns:us-east-1:000000000000:pager";
    let stack = |composite: &str| {
        load(&format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 80}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\nalarms:\n  errors: {{metric: HTTPCode_Target_5XX_Count, statistic: Sum, dimensions: {{load_balancer: web}}, threshold: 10, comparison: \">\"}}\n  latency: {{metric: TargetResponseTime, dimensions: {{load_balancer: web}}, threshold: 1, comparison: \">\"}}\n{composite}"
        ))
    };
    let with = |rule: &str| {
        format!(
            "composite_alarms:\n  incident:\n    rule: \"{rule}\"\n    actions: [\"{topic}\"]\n    description: one page per incident\n"
        )
    };
    let p = apply_converges(&c, &stack(&with("ALARM(errors) AND ALARM(latency)"))).await;
    let incident = find(&p, "composite_alarm.incident");
    assert!(incident.deps.iter().any(|d| d.to_string() == "alarm.errors"), "created after the alarms it names");
    let read = c
        .cloudwatch
        .describe_alarms()
        .alarm_names(format!("{name}-incident"))
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    let composite = read.composite_alarms().first().expect("the composite alarm exists");
    assert_eq!(
        composite.alarm_rule(),
        Some(format!("ALARM(\"{name}-errors\") AND ALARM(\"{name}-latency\")").as_str())
    );
    assert_eq!(composite.alarm_actions(), [topic.to_string()]);

    let s = stack(&with("ALARM(errors) OR ALARM(latency)"));
    assert_eq!(actions(&plan(&c, &s).await), vec![("composite_alarm.incident".to_string(), Update)]);
    apply_converges(&c, &s).await;
    let p = apply_converges(&c, &stack("")).await;
    assert_eq!(actions(&p), vec![("composite_alarm.incident".to_string(), Delete)]);
    apply_converges(&c, &stack(&with("ALARM(errors)"))).await;
    destroy_converges(&c, &stack(&with("ALARM(errors)"))).await;
}

/// Capacity reservations: a group launched only into named reservations, then first into a
/// resource group's, then back to AWS's default, each apply ending with an empty re-plan.
#[tokio::test]
async fn capacity_reservations_of_a_group_round_trip() {
    let c = clients().await;
    let name = unique("reserve");
    let ud = user_data(&name, "#!/bin/sh\n");
    let stack = |extra: &str| load(&group_stack(&name, "t3.micro", &ud, extra, ""));
    let preference = |g: aws_sdk_autoscaling::types::AutoScalingGroup| {
        let spec = g.capacity_reservation_specification().cloned();
        let ids = spec
            .as_ref()
            .and_then(|s| s.capacity_reservation_target())
            .map(|t| t.capacity_reservation_ids().to_vec())
            .unwrap_or_default();
        (spec.and_then(|s| s.capacity_reservation_preference().map(|p| p.as_str().to_string())), ids)
    };
    apply_converges(&c, &stack("    capacity_reservations: {preference: only, ids: [cr-0123456789abcdef0]}\n")).await;
    assert_eq!(
        preference(group(&c, &name).await),
        (Some("capacity-reservations-only".to_string()), vec!["cr-0123456789abcdef0".to_string()])
    );
    let s = stack(
        "    capacity_reservations: {groups: [\"arn:aws:resource-groups:us-east-1:123456789012:group/reserved\"]}\n",
    );
    assert_eq!(actions(&plan(&c, &s).await), vec![("autoscaling_group.app".to_string(), Update)]);
    apply_converges(&c, &s).await;
    assert_eq!(preference(group(&c, &name).await).0.as_deref(), Some("capacity-reservations-first"));
    apply_converges(&c, &stack("")).await;
    assert_eq!(preference(group(&c, &name).await).0.as_deref(), Some("default"));
    destroy_converges(&c, &stack("")).await;
}

/// SNS topics declared in the stack and named by key: an alarm's actions, a composite alarm's
/// and a group's notifications reach them; subscriptions are added and removed, the display
/// name and tags change in place; a webhook URL's path never shows in a plan; deleting the
/// topic from the stack deletes it once nothing names it.
#[tokio::test]
async fn topics_are_named_by_key_and_keep_their_subscriptions_in_step() {
    let c = clients().await;
    let name = unique("topics");
    let hook = "https://hooks.example.com/services/T000/B000/SECRETTOKEN";
    let stack = |topics: &str, uses: bool| {
        let wiring = if uses {
            "    notifications: [{topic: pager, events: [launch_error]}]\nalarms:\n  cpu: {metric: CPUUtilization, dimensions: {autoscaling_group: app}, threshold: 90, comparison: \">\", actions: [pager], ok_actions: [pager]}\ncomposite_alarms:\n  incident: {rule: \"ALARM(cpu)\", actions: [pager]}\n"
        } else {
            ""
        };
        load(&policies_stack(&name, &format!("{wiring}{topics}")))
    };
    let v1 = format!(
        "topics:\n  pager:\n    display_name: Pager\n    subscriptions:\n      - {{protocol: email, endpoint: ops@example.com}}\n      - {{protocol: https, endpoint: \"{hook}\"}}\n"
    );
    let p = apply_converges(&c, &stack(&v1, true)).await;
    let shown = lbstack::plan::render::human(&p, false);
    assert!(
        !shown.contains("SECRETTOKEN") && shown.contains("https://hooks.example.com/…"),
        "the URL's path is masked:\n{shown}"
    );
    let saved =
        lbstack::plan::json::JsonPlan::new(&p, lbstack::plan::json::Meta { with_inputs: true, ..Default::default() });
    assert!(
        !serde_json::to_string(&saved).unwrap().contains("SECRETTOKEN"),
        "nor in a saved plan, apply inputs included"
    );
    let topic_arn = format!("arn:aws:sns:us-east-1:000000000000:{name}-pager");
    let alarms = c.cloudwatch.describe_alarms().alarm_names(format!("{name}-cpu")).send().await.unwrap();
    assert_eq!(
        alarms.metric_alarms()[0].alarm_actions(),
        std::slice::from_ref(&topic_arn),
        "the alarm acts on the topic by its ARN"
    );
    let subs = c.sns.list_subscriptions_by_topic().topic_arn(&topic_arn).send().await.unwrap();
    let mut endpoints: Vec<&str> = subs.subscriptions().iter().filter_map(|s| s.endpoint()).collect();
    endpoints.sort();
    assert_eq!(endpoints, [hook, "ops@example.com"], "subscribed with the real URL");

    // The URL from the run's environment instead: the same subscription (no change); a rotated
    // token is planned as one subscription out and one in, and sent, never shown.
    let variable = format!("LBSTACK_TEST_HOOK_{}", name.replace('-', "_").to_uppercase());
    unsafe { std::env::set_var(&variable, hook) };
    let from_env = |v: &str| {
        format!(
            "topics:\n  pager:\n    display_name: Pager\n    subscriptions:\n      - {{protocol: email, endpoint: ops@example.com}}\n      - {{protocol: https, endpoint: {{env: {v}}}}}\n"
        )
    };
    assert!(
        !plan(&c, &stack(&from_env(&variable), true)).await.has_changes(),
        "the same URL from the environment is no change"
    );
    let rotated = "https://hooks.example.com/services/T000/B000/ROTATEDTOKEN";
    unsafe { std::env::set_var(&variable, rotated) };
    let p = apply_converges(&c, &stack(&from_env(&variable), true)).await;
    let saved = serde_json::to_string(&lbstack::plan::json::JsonPlan::new(
        &p,
        lbstack::plan::json::Meta { with_inputs: true, ..Default::default() },
    ))
    .unwrap();
    assert!(!saved.contains("ROTATEDTOKEN") && !saved.contains("SECRETTOKEN"), "{saved}");
    let subs = c.sns.list_subscriptions_by_topic().topic_arn(&topic_arn).send().await.unwrap();
    assert!(subs.subscriptions().iter().any(|s| s.endpoint() == Some(rotated)), "the rotated URL is subscribed");

    // Update in place: display name, a subscription swapped, a tag.
    let v2 = "topics:\n  pager:\n    display_name: Paging\n    subscriptions:\n      - {protocol: email, endpoint: oncall@example.com}\n    tags: {team: ops}\n";
    let s = stack(v2, true);
    assert_eq!(actions(&plan(&c, &s).await), vec![("topic.pager".to_string(), Update)]);
    apply_converges(&c, &s).await;
    let subs = c.sns.list_subscriptions_by_topic().topic_arn(&topic_arn).send().await.unwrap();
    assert_eq!(subs.subscriptions().iter().filter_map(|s| s.endpoint()).collect::<Vec<_>>(), ["oncall@example.com"]);

    // Nothing names it any more, then it leaves the stack: deleted after what used it.
    apply_converges(&c, &stack(v2, false)).await;
    let p = apply_converges(&c, &stack("", false)).await;
    assert_eq!(actions(&p), vec![("topic.pager".to_string(), Delete)]);
    let left = c.sns.list_topics().send().await.unwrap();
    assert!(!left.topics().iter().any(|t| t.topic_arn() == Some(topic_arn.as_str())), "the topic is deleted");
    destroy_converges(&c, &stack("", false)).await;
}

/// A topic made outside lbstack is adopted by name (`name:`, `--adopt`), then forgotten: it
/// keeps its subscriptions and leaves the stack without being deleted.
#[tokio::test]
async fn a_topic_is_adopted_by_name_and_forgotten() {
    let c = clients().await;
    let name = unique("topicadopt");
    let legacy = format!("legacy-{}", &name[name.len() - 5..]);
    let arn = c.sns.create_topic().name(&legacy).send().await.unwrap().topic_arn().unwrap().to_string();
    let s = load(&format!("version: 1\nstack: {name}\ntopics:\n  pager: {{name: {legacy}}}\n"));
    let p = plan(&c, &s).await;
    assert_eq!(p.conflicts.iter().map(|x| x.address.to_string()).collect::<Vec<_>>(), ["topic.pager"]);
    let adopted = lbstack::ops::plan_adopting(&c, &s, false, &lbstack::live::Adopt::All).await.unwrap().plan;
    assert_eq!(actions(&adopted), vec![("topic.pager".to_string(), Update)]);
    assert!(!lbstack::ops::apply(&c, &s, &adopted, 4, |_| {}).await.failed());
    assert!(!plan(&c, &s).await.has_changes());
    let (_, live) = lbstack::live::read(&c, &s).await.unwrap();
    let targets = lbstack::ops::forgettable(&live, &["topic.pager".to_string()]).unwrap();
    lbstack::ops::forget(&c, &s, &targets).await.unwrap();
    assert_eq!(plan(&c, &s).await.conflicts.len(), 1, "forgotten: a conflict again, not deleted");
    c.sns.delete_topic().topic_arn(&arn).send().await.unwrap();
}

/// A launch template with what production templates carry besides the basics: extra volumes (one
/// suppressed), network interfaces with EFA and connection tracking, CPU and credit options,
/// placement, maintenance, capacity reservations, metadata hop limit and tags, per-resource
/// tags and a description. Created, changed (a new version), trimmed back, each apply ending
/// with an empty re-plan; instances launch from it.
#[tokio::test]
async fn launch_template_fields_round_trip() {
    let c = clients().await;
    let name = unique("ltfields");
    let stack = |lt_extra: &str, sgs: &str| {
        load(&format!(
            "version: 1\nstack: {name}\nsecurity_groups:\n  app: {{ingress: [{{ports: 80, cidrs: [10.0.0.0/8]}}]}}\n  data: {{}}\nlaunch_templates:\n  app:\n    image: {{name: \"al2023-ami-2023.*-x86_64\", owner: amazon}}\n    instance_type: t3.micro\n{sgs}{lt_extra}autoscaling_groups:\n  app: {{min: 1, max: 2, launch_template: app}}\n"
        ))
    };
    let full = "    description: web tier\n    ebs_optimized: true\n    cpu_credits: unlimited\n    cpu_options: {core_count: 1, threads_per_core: 1}\n    auto_recovery: disabled\n    placement: {tenancy: default}\n    capacity_reservation: none\n    imds_hop_limit: 2\n    imds_tags: true\n    root_volume: {size: 20}\n    volumes:\n      /dev/sdf: {size: 100, type: gp3, throughput: 250}\n      /dev/sdg: {no_device: true}\n    network_interfaces:\n      - {public_ip: true, security_groups: [app], connection_tracking: {tcp_established: 3600, udp: 60}}\n      - {network_card: 0, device_index: 1, interface_type: efa, security_groups: [data]}\n    resource_tags:\n      instance: {team: web}\n      volume: {backup: daily}\n";
    let s = stack(full, "");
    apply_converges(&c, &s).await;
    let data = |c: &lbstack::live::Clients| {
        let (c, template) = (c.clone(), format!("{name}-app"));
        async move {
            let out = c
                .ec2
                .describe_launch_template_versions()
                .launch_template_name(template)
                .versions("$Latest")
                .send()
                .await
                .unwrap();
            let v = out.launch_template_versions()[0].clone();
            (v.version_description().map(str::to_string), v.launch_template_data().cloned().unwrap())
        }
    };
    let (description, d) = data(&c).await;
    assert_eq!(description.as_deref(), Some("web tier"));
    assert_eq!(
        (d.ebs_optimized(), d.credit_specification().and_then(|c| c.cpu_credits())),
        (Some(true), Some("unlimited"))
    );
    assert_eq!(d.cpu_options().and_then(|c| c.threads_per_core()), Some(1));
    assert_eq!(d.metadata_options().and_then(|m| m.http_put_response_hop_limit()), Some(2));
    let devices: Vec<&str> = d.block_device_mappings().iter().filter_map(|b| b.device_name()).collect();
    assert_eq!(devices.len(), 3, "root, /dev/sdf and the suppressed /dev/sdg: {devices:?}");
    assert!(d.block_device_mappings().iter().any(|b| b.device_name() == Some("/dev/sdg") && b.no_device().is_some()));
    let interfaces = d.network_interfaces();
    assert_eq!(interfaces.len(), 2);
    assert_eq!(interfaces[1].interface_type(), Some("efa"));
    assert_eq!(interfaces[0].connection_tracking_specification().and_then(|t| t.tcp_established_timeout()), Some(3600));
    let kinds: Vec<&str> =
        d.tag_specifications().iter().filter_map(|t| t.resource_type()).map(|t| t.as_str()).collect();
    assert_eq!(kinds, ["instance", "volume"]);
    // `import` of the group writes the template's fields back, and what it writes validates.
    let written = crate::support::imported(&name, &["--autoscaling-group", &format!("{name}-app")]);
    for part in [
        "/dev/sdg: {no_device: true}",
        "interface_type: efa",
        "cpu_credits: unlimited",
        "imds_hop_limit: 2",
        "capacity_reservation: none",
        "backup: daily",
    ] {
        assert!(written.contains(part), "{part} not in:\n{written}");
    }

    // Changed: a new version, the group follows it.
    let changed = full
        .replace("imds_hop_limit: 2", "imds_hop_limit: 3")
        .replace("size: 100", "size: 200")
        .replace("backup: daily", "backup: weekly");
    let p = plan(&c, &stack(&changed, "")).await;
    assert!(actions(&p).contains(&("launch_template.app".to_string(), Update)), "{:?}", actions(&p));
    apply_converges(&c, &stack(&changed, "")).await;
    let (_, d) = data(&c).await;
    assert_eq!(d.metadata_options().and_then(|m| m.http_put_response_hop_limit()), Some(3));

    // Trimmed back to the basics: every extra goes with the next version.
    apply_converges(&c, &stack("", "    security_groups: [app]\n")).await;
    let (description, d) = data(&c).await;
    assert!(
        description.is_none()
            && d.network_interfaces().is_empty()
            && d.block_device_mappings().is_empty()
            && d.tag_specifications().is_empty()
    );
    destroy_converges(&c, &stack("", "    security_groups: [app]\n")).await;
}

/// Target tracking over metric math (the queue backlog per instance): created, its expression
/// changed, then turned into a predefined-metric policy, each apply ending with an empty re-plan.
#[tokio::test]
async fn target_tracking_over_metric_math_round_trips() {
    let c = clients().await;
    let name = unique("ttmath");
    let ud = user_data(&name, "#!/bin/sh\n");
    let policy = |tracking: &str| {
        load(&format!(
            "{}scaling_policies:\n  backlog:\n    group: app\n    target_tracking:\n{tracking}",
            group_stack(&name, "t3.micro", &ud, "", "")
        ))
    };
    let math = "      expression: backlog / instances\n      metrics:\n        backlog: {namespace: AWS/SQS, name: ApproximateNumberOfMessagesVisible, statistic: Sum, dimensions: {QueueName: jobs}}\n        instances: {namespace: AWS/AutoScaling, name: GroupInServiceInstances, dimensions: {AutoScalingGroupName: app}}\n      target: 100\n";
    apply_converges(&c, &policy(math)).await;
    let queries = || async {
        let out =
            c.autoscaling.describe_policies().auto_scaling_group_name(format!("{name}-app")).send().await.unwrap();
        let tt = out.scaling_policies()[0].target_tracking_configuration().cloned().unwrap();
        tt.customized_metric_specification().map(|m| m.metrics().to_vec()).unwrap_or_default()
    };
    let sent = queries().await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(
        sent.iter().find(|q| q.return_data() == Some(true)).and_then(|q| q.expression()),
        Some("backlog / instances")
    );
    let group_dim = sent
        .iter()
        .find(|q| q.id() == Some("instances"))
        .and_then(|q| q.metric_stat())
        .and_then(|s| s.metric())
        .map(|m| m.dimensions()[0].value().unwrap_or_default().to_string());
    assert_eq!(group_dim, Some(format!("{name}-app")), "the group's key is given its AWS name");
    let written = crate::support::imported(&name, &["--autoscaling-group", &format!("{name}-app")]);
    assert!(
        written.contains("expression: backlog / instances")
            && written.contains(&format!("AutoScalingGroupName: {name}-app")),
        "{written}"
    );

    let s = policy(&math.replace("backlog / instances", "backlog / (instances + 1)"));
    assert_eq!(actions(&plan(&c, &s).await), vec![("scaling_policy.backlog".to_string(), Update)]);
    apply_converges(&c, &s).await;
    assert!(queries().await.iter().any(|q| q.expression() == Some("backlog / (instances + 1)")));

    let s = policy("      metric: cpu\n      target: 50\n");
    apply_converges(&c, &s).await;
    assert!(queries().await.is_empty());
    destroy_converges(&c, &s).await;
}

/// Attribute-based instance type selection, with sizes counted in vCPUs: created, its
/// requirements changed, then back to listed types counted in instances; each apply ends with an
/// empty re-plan.
#[tokio::test]
async fn attribute_based_instance_selection_round_trips() {
    let c = clients().await;
    let name = unique("abis");
    let ud = user_data(&name, "#!/bin/sh\n");
    let by_attributes = "    desired_capacity_type: vcpu\n    mixed_instances:\n      requirements: {vcpus: {min: 2, max: 8}, memory_mib: {min: 4096}, cpu_manufacturers: [intel, amd], burstable: excluded}\n      on_demand_percentage: 50";
    let s = load(&group_stack(&name, "t3.micro", &ud, by_attributes, ""));
    apply_converges(&c, &s).await;
    let g = group(&c, &name).await;
    assert_eq!(g.desired_capacity_type(), Some("vcpu"));
    let overrides = g
        .mixed_instances_policy()
        .and_then(|m| m.launch_template())
        .map(|l| l.overrides().to_vec())
        .unwrap_or_default();
    let r = overrides[0].instance_requirements().expect("requirements, not types");
    assert_eq!((r.v_cpu_count().and_then(|v| v.min()), r.v_cpu_count().and_then(|v| v.max())), (Some(2), Some(8)));
    assert_eq!(r.memory_mib().and_then(|m| m.max()), None, "an open end stays open");
    let written = crate::support::imported(&name, &["--autoscaling-group", &format!("{name}-app")]);
    assert!(
        written.contains("desired_capacity_type: vcpu") && written.contains("vcpus: {min: 2, max: 8}"),
        "{written}"
    );

    let s = load(&group_stack(&name, "t3.micro", &ud, &by_attributes.replace("max: 8", "max: 16"), ""));
    assert!(actions(&plan(&c, &s).await).contains(&("autoscaling_group.app".to_string(), Update)));
    apply_converges(&c, &s).await;

    let s = load(&group_stack(
        &name,
        "t3.micro",
        &ud,
        "    desired_capacity_type: units\n    mixed_instances: {types: [t3.micro, t3a.micro]}",
        "",
    ));
    apply_converges(&c, &s).await;
    let g = group(&c, &name).await;
    assert_eq!(g.desired_capacity_type(), Some("units"));
    destroy_converges(&c, &s).await;
}

/// Predictive scaling on custom scaling and load metrics: created, a metric changed, then back to
/// a predefined pair; each apply ends with an empty re-plan.
#[tokio::test]
async fn predictive_scaling_on_custom_metrics_round_trips() {
    let c = clients().await;
    let name = unique("predict");
    let ud = user_data(&name, "#!/bin/sh\n");
    let policy = |predictive: &str| {
        load(&format!(
            "{}scaling_policies:\n  forecast:\n    group: app\n    predictive:\n{predictive}",
            group_stack(&name, "t3.micro", &ud, "", "")
        ))
    };
    let custom = "      scaling_metric: {namespace: MyApp, name: RequestsPerInstance, statistic: Average, dimensions: {AutoScalingGroupName: app}}\n      load_metric: {namespace: MyApp, name: Requests, statistic: Sum}\n      target: 1000\n";
    apply_converges(&c, &policy(custom)).await;
    let spec = || async {
        let out =
            c.autoscaling.describe_policies().auto_scaling_group_name(format!("{name}-app")).send().await.unwrap();
        out.scaling_policies()[0].predictive_scaling_configuration().unwrap().metric_specifications()[0].clone()
    };
    let s = spec().await;
    let load_name = s
        .customized_load_metric_specification()
        .and_then(|l| l.metric_data_queries()[0].metric_stat())
        .and_then(|m| m.metric())
        .and_then(|m| m.metric_name().map(str::to_string));
    assert_eq!(load_name.as_deref(), Some("Requests"));
    assert!(s.predefined_metric_pair_specification().is_none());
    let written = crate::support::imported(&name, &["--autoscaling-group", &format!("{name}-app")]);
    assert!(written.contains("load_metric: {namespace: MyApp, name: Requests, statistic: Sum}"), "{written}");

    let changed = policy(&custom.replace("name: Requests,", "name: AllRequests,"));
    assert_eq!(actions(&plan(&c, &changed).await), vec![("scaling_policy.forecast".to_string(), Update)]);
    apply_converges(&c, &changed).await;

    let predefined = policy("      metric: cpu\n      target: 40\n");
    apply_converges(&c, &predefined).await;
    assert!(spec().await.customized_load_metric_specification().is_none());
    destroy_converges(&c, &predefined).await;
}
