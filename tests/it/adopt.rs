//! Bringing what already runs under a stack (`--adopt`), and letting it go (`forget`).

use crate::support::{apply_converges, clients, load, run_aws, unique};
use lbstack::live::Adopt;
use lbstack::plan::{Action, Reason};

/// A load balancer, its listener and a target group made outside lbstack under the names the
/// stack uses are conflicts; adopted, they get the ownership tags and the stack's settings in
/// place (nothing replaced, same ARNs), and the re-plan is empty. A resource of another stack is
/// never adopted.
#[tokio::test]
async fn existing_resources_are_adopted_in_place() {
    let c = clients().await;
    let name = unique("adopt");
    let subnets = crate::support::default_subnets(&c).await;
    let lb =
        c.elbv2.create_load_balancer().name(format!("{name}-web")).set_subnets(Some(subnets)).send().await.unwrap();
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let vpc = lb.load_balancers()[0].vpc_id().unwrap().to_string();
    let tg = c
        .elbv2
        .create_target_group()
        .name(format!("{name}-app"))
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_string();
    // A tag of its own, which adoption keeps.
    c.elbv2
        .add_tags()
        .resource_arns(&tg_arn)
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .unwrap();
    let forward = aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .target_group_arn(&tg_arn)
        .build();
    c.elbv2
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(forward)
        .send()
        .await
        .unwrap();

    let yaml = format!(
        "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080, deregistration_delay: 30}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
    );
    let s = load(&yaml);
    // Without asking: conflicts, and apply would refuse.
    let p = lbstack::ops::plan(&c, &s, false).await.unwrap().plan;
    let mut conflicted: Vec<String> = p.conflicts.iter().map(|x| x.address.to_string()).collect();
    conflicted.sort();
    assert_eq!(conflicted, ["load_balancer.web", "target_group.app"]);
    assert!(p.conflicts.iter().all(|x| x.reason.contains("--adopt")), "{:?}", p.conflicts);

    // Adopting one leaves the other a conflict.
    let only = Adopt::Only(["target_group.app".to_string()].into());
    let p = lbstack::ops::plan_adopting(&c, &s, false, &only).await.unwrap().plan;
    assert_eq!(p.conflicts.iter().map(|x| x.address.to_string()).collect::<Vec<_>>(), ["load_balancer.web"]);

    let p = lbstack::ops::plan_adopting(&c, &s, false, &Adopt::All).await.unwrap().plan;
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let adopted: Vec<String> = p
        .changes
        .iter()
        .filter(|ch| matches!(ch.reason, Some(Reason::Adopting)))
        .map(|ch| ch.address.to_string())
        .collect();
    assert!(
        adopted.contains(&"load_balancer.web".to_string()) && adopted.contains(&"target_group.app".to_string()),
        "{adopted:?}\n{}",
        lbstack::plan::render::human(&p, false)
    );
    assert!(
        p.changes.iter().all(|ch| !matches!(
            ch.action,
            Action::Create | Action::Delete | Action::DeleteCreate | Action::CreateDelete
        )),
        "adoption replaces nothing"
    );
    let rendered = lbstack::plan::render::human(&p, false);
    assert!(
        rendered.contains("# target_group.app will be adopted")
            && rendered.contains("deregistration_delay.timeout_seconds"),
        "{rendered}"
    );
    let outcome = lbstack::ops::apply(&c, &s, &p, 4, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);

    // Now the stack's: no conflict, same ARNs, the foreign tag kept, nothing more to do.
    let again = apply_converges(&c, &s).await;
    assert!(!again.has_changes());
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    let id = |a: &str| live.resources.iter().find(|r| r.address.to_string() == a).map(|r| r.id.clone());
    assert_eq!(id("load_balancer.web").as_deref(), Some(lb_arn.as_str()));
    assert_eq!(id("target_group.app").as_deref(), Some(tg_arn.as_str()));
    let tags = c.elbv2.describe_tags().resource_arns(&tg_arn).send().await.unwrap();
    assert!(tags.tag_descriptions()[0].tags().iter().any(|t| t.key() == Some("team")));

    // Forget the target group: it leaves the stack, untouched in AWS. The stack then sees a name
    // it uses held by an untagged resource again.
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let o = run_aws(&["forget", file.to_str().unwrap(), "target_group.app", "--auto-approve"]);
    assert!(o.status.success(), "{}", crate::support::output_text(&o));
    let tags = c.elbv2.describe_tags().resource_arns(&tg_arn).send().await.unwrap();
    let keys: Vec<&str> = tags.tag_descriptions()[0].tags().iter().filter_map(|t| t.key()).collect();
    assert!(keys.iter().all(|k| !k.starts_with("lbstack:")) && keys.contains(&"team"), "{keys:?}");
    let p = lbstack::ops::plan(&c, &s, false).await.unwrap().plan;
    assert_eq!(p.conflicts.iter().map(|x| x.address.to_string()).collect::<Vec<_>>(), ["target_group.app"]);

    // The rest goes with destroy; the forgotten group is not the stack's to delete.
    let o = run_aws(&["destroy", file.to_str().unwrap(), "--auto-approve"]);
    assert!(o.status.success(), "{}", crate::support::output_text(&o));
    c.elbv2
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .expect("the forgotten group is still there");
    c.elbv2.delete_target_group().target_group_arn(&tg_arn).send().await.unwrap();
}

/// A resource carrying another stack's tags is never adopted, even with `Adopt::All`.
#[tokio::test]
async fn another_stacks_resource_is_never_adopted() {
    let c = clients().await;
    let name = unique("adopt2");
    // `{name}-x` with key `shared` and `{name}` with key `x-shared` want the same name.
    let theirs =
        load(&format!("version: 1\nstack: {name}-x\ntarget_groups:\n  shared: {{protocol: HTTP, port: 80}}\n"));
    apply_converges(&c, &theirs).await;
    let ours = load(&format!("version: 1\nstack: {name}\ntarget_groups:\n  x-shared: {{protocol: HTTP, port: 80}}\n"));
    let p = lbstack::ops::plan_adopting(&c, &ours, false, &Adopt::All).await.unwrap().plan;
    assert_eq!(p.conflicts.len(), 1);
    assert!(p.conflicts[0].reason.contains(&format!("belongs to lbstack stack `{name}-x`")), "{:?}", p.conflicts);
    crate::support::destroy_converges(&c, &theirs).await;
}

/// Alarms and WAF IP sets made outside lbstack are adopted in place too, and forgotten.
#[tokio::test]
async fn alarms_and_ip_sets_are_adopted_and_forgotten() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    use aws_sdk_wafv2::types::Scope;
    let c = clients().await;
    let name = unique("adopt3");
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name(format!("{name}-cpu"))
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(3)
        .threshold(70.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await
        .unwrap();
    let set = crate::support::foreign_ip_set(&c, &format!("{name}-blocked")).await;
    let set_arn = set.arn().unwrap().to_string();
    let yaml = format!(
        "version: 1\nstack: {name}\nip_sets:\n  blocked: {{addresses: [192.0.2.0/24, 198.51.100.0/24]}}\nalarms:\n  cpu:\n    namespace: AWS/EC2\n    metric: CPUUtilization\n    period: 60\n    evaluation_periods: 2\n    threshold: 80\n    comparison: \">=\"\n"
    );
    let s = load(&yaml);
    let p = lbstack::ops::plan(&c, &s, false).await.unwrap().plan;
    let mut conflicted: Vec<String> = p.conflicts.iter().map(|x| x.address.to_string()).collect();
    conflicted.sort();
    assert_eq!(conflicted, ["alarm.cpu", "ip_set.blocked"]);

    let p = lbstack::ops::plan_adopting(&c, &s, false, &Adopt::All).await.unwrap().plan;
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let mut adopted: Vec<String> =
        p.changes.iter().filter(|ch| ch.reason == Some(Reason::Adopting)).map(|ch| ch.address.to_string()).collect();
    adopted.sort();
    assert_eq!(adopted, ["alarm.cpu", "ip_set.blocked"]);
    let outcome = lbstack::ops::apply(&c, &s, &p, 4, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
    apply_converges(&c, &s).await;
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    assert_eq!(
        live.resources.iter().find(|r| r.address.to_string() == "ip_set.blocked").map(|r| r.id.as_str()),
        Some(set_arn.as_str()),
        "adopted in place"
    );

    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let o = run_aws(&["forget", file.to_str().unwrap(), "alarm.cpu", "ip_set.blocked", "--auto-approve"]);
    assert!(o.status.success(), "{}", crate::support::output_text(&o));
    let p = lbstack::ops::plan(&c, &s, false).await.unwrap().plan;
    assert_eq!(p.conflicts.len(), 2, "both left the stack: {:?}", p.conflicts);

    // Clean up what is nobody's now.
    c.cloudwatch.delete_alarms().alarm_names(format!("{name}-cpu")).send().await.unwrap();
    let got = c
        .wafv2
        .get_ip_set()
        .name(format!("{name}-blocked"))
        .id(set.id().unwrap())
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    c.wafv2
        .delete_ip_set()
        .name(format!("{name}-blocked"))
        .id(set.id().unwrap())
        .scope(Scope::Regional)
        .lock_token(got.lock_token().unwrap())
        .send()
        .await
        .unwrap();
}

/// Without `--adopt` the names the stack gives are taken (exactly `conflicts`, nothing applies);
/// with `--adopt-all` the plan has no conflict, applies, and plans to nothing afterwards.
async fn adopt_all_by_name(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack, conflicts: &[&str]) {
    let p = crate::support::plan(c, s).await;
    let mut taken: Vec<String> = p.conflicts.iter().map(|x| x.address.to_string()).collect();
    taken.sort();
    assert_eq!(taken, conflicts);
    let p = lbstack::ops::plan_adopting(c, s, false, &Adopt::All).await.unwrap().plan;
    assert!(p.conflicts.is_empty());
    let outcome = lbstack::ops::apply(c, s, &p, 4, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
    let again = crate::support::plan(c, s).await;
    assert!(!again.has_changes(), "{}", lbstack::plan::render::human(&again, false));
}

/// Resources whose names do not follow `<stack>-<key>` come under the stack with `name:` and
/// `--adopt`: a load balancer and a target group made outside lbstack keep their names (and the
/// load balancer its DNS name), get the stack's tags and settings, and plan to nothing afterwards;
/// destroy deletes them as the stack's own.
#[tokio::test]
async fn resources_with_their_own_names_are_adopted_by_name() {
    let c = clients().await;
    let name = unique("byname");
    let legacy = format!("legacy-{}", &name[name.len() - 5..]);
    let subnets: Vec<String> = crate::support::default_subnets(&c).await.into_iter().take(2).collect();
    let vpc = c
        .ec2
        .describe_vpcs()
        .filters(aws_sdk_ec2::types::Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpcs()[0].vpc_id().unwrap().to_string();
    let lb = c.elbv2.create_load_balancer().name(&legacy).set_subnets(Some(subnets)).send().await.unwrap();
    let dns = lb.load_balancers()[0].dns_name().unwrap().to_string();
    c.elbv2
        .create_target_group()
        .name(format!("{legacy}-tg"))
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let s = load(&format!(
        "version: 1\nstack: {name}\ntarget_groups:\n  app: {{name: {legacy}-tg, protocol: HTTP, port: 80, deregistration_delay: 30}}\nload_balancers:\n  web:\n    name: {legacy}\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\noutputs:\n  url: {{value: load_balancer.web.dns_name}}\n"
    ));
    adopt_all_by_name(&c, &s, &["load_balancer.web", "target_group.app"]).await;
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    assert_eq!(
        lbstack::ops::outputs(&s, &live)[0].value.as_deref(),
        Some(dns.as_str()),
        "the adopted load balancer keeps its DNS name"
    );
    crate::support::destroy_converges(&c, &s).await;
    let gone = c.elbv2.describe_load_balancers().names(&legacy).send().await;
    assert!(gone.is_err() || gone.unwrap().load_balancers().is_empty(), "destroy deletes what the stack adopted");
}

/// A security group, a launch template and an auto-scaling group with names of their own, and the
/// group's policy, scheduled action and alarm, come under the stack the same way (`name:` and
/// `--adopt`; the policy and the schedule belong to the adopted group), then plan to nothing.
#[tokio::test]
async fn groups_and_templates_with_their_own_names_are_adopted_by_name() {
    let c = clients().await;
    let name = unique("ec2names");
    let suffix = &name[name.len() - 5..];
    let vpc = c
        .ec2
        .describe_vpcs()
        .filters(aws_sdk_ec2::types::Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpcs()[0].vpc_id().unwrap().to_string();
    let sg_name = format!("legacy-sg-{suffix}");
    c.ec2.create_security_group().group_name(&sg_name).description("legacy").vpc_id(&vpc).send().await.unwrap();
    let lt_name = format!("legacy-lt-{suffix}");
    let data = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .build();
    c.ec2.create_launch_template().launch_template_name(&lt_name).launch_template_data(data).send().await.unwrap();
    let asg_name = format!("legacy-asg-{suffix}");
    let subnets = crate::support::default_subnets(&c).await.join(",");
    c.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&asg_name)
        .min_size(0)
        .max_size(2)
        .vpc_zone_identifier(subnets)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(&lt_name)
                .version("$Default")
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A policy, a scheduled action and an alarm of the group, each named as its owner chose.
    let policy_name = format!("legacy-out-{suffix}");
    c.autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&asg_name)
        .policy_name(&policy_name)
        .policy_type("SimpleScaling")
        .adjustment_type("ChangeInCapacity")
        .scaling_adjustment(1)
        .cooldown(120)
        .send()
        .await
        .unwrap();
    let policies = c.autoscaling.describe_policies().auto_scaling_group_name(&asg_name).send().await.unwrap();
    let policy_arn = policies.scaling_policies()[0].policy_arn().unwrap().to_string();
    let schedule_name = format!("legacy-night-{suffix}");
    c.autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(&asg_name)
        .scheduled_action_name(&schedule_name)
        .recurrence("0 22 * * *")
        .min_size(0)
        .send()
        .await
        .unwrap();
    let alarm_name = format!("legacy-cpu-{suffix}");
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm_name)
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder().name("AutoScalingGroupName").value(&asg_name).build(),
        )
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(2)
        .threshold(80.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(&policy_arn)
        .send()
        .await
        .unwrap();
    let s = load(&format!(
        "version: 1\nstack: {name}\nsecurity_groups:\n  app: {{name: {sg_name}, description: legacy, ingress: [{{ports: 8080, cidrs: [10.0.0.0/8]}}]}}\nlaunch_templates:\n  app: {{name: {lt_name}, image: ami-12c6146b, instance_type: t3.micro, security_groups: [app]}}\nautoscaling_groups:\n  app: {{name: {asg_name}, min: 0, max: 2, launch_template: app}}\nscaling_policies:\n  out: {{name: {policy_name}, group: app, simple: {{adjust: 1, cooldown: 120}}}}\nscheduled_actions:\n  night: {{name: {schedule_name}, group: app, recurrence: '0 22 * * *', min: 0}}\nalarms:\n  cpu: {{name: {alarm_name}, metric: CPUUtilization, dimensions: {{autoscaling_group: app}}, period: 60, evaluation_periods: 2, threshold: 80, comparison: '>=', actions: [out]}}\n"
    ));
    adopt_all_by_name(&c, &s, &["alarm.cpu", "autoscaling_group.app", "launch_template.app", "security_group.app"])
        .await;
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    let names: Vec<&str> = live.resources.iter().map(|r| r.name.as_str()).collect();
    for n in [&sg_name, &lt_name, &asg_name, &policy_name, &schedule_name, &alarm_name] {
        assert!(names.contains(&n.as_str()), "{n} is the stack's under its own name: {names:?}");
    }
    crate::support::destroy_converges(&c, &s).await;
}

/// `forget` takes every address a plan names: a certificate, a record (its entry in the zone's
/// index); kinds that belong to another resource (a listener's rules, a policy) are refused with
/// what to forget instead. Forgotten resources stay in AWS; the stack plans conflicts, never deletes.
#[tokio::test]
async fn certificates_and_records_are_forgotten_and_parts_say_what_to_forget() {
    use crate::support::{output_text, run_aws};
    let c = clients().await;
    let name = unique("forget");
    let zone = format!("{name}.example.com");
    c.route53.create_hosted_zone().name(&zone).caller_reference(&name).send().await.unwrap();
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = crate::support::self_signed(&format!("site.{zone}"));
    std::fs::write(dir.join("site.pem"), cert).unwrap();
    std::fs::write(dir.join("site.key"), key).unwrap();
    let yaml = format!(
        "version: 1\nstack: {name}\ncertificates:\n  site: {{import: {{certificate: site.pem, private_key: site.key}}}}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nload_balancers:\n  web:\n    listeners:\n      https:\n        port: 443\n        protocol: HTTPS\n        certificates: [site]\n        default_action: {{forward: app}}\n        rules: [{{path: /api/*, forward: app}}]\nrecords:\n  www: {{zone: {zone}, name: www.{zone}, target: web}}\n"
    );
    let file = dir.join("stack.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let f = file.to_str().unwrap();
    let s = lbstack::stack_format::load_file(&file, &[]).stack.unwrap();
    apply_converges(&c, &s).await;

    let refused = [
        ("scaling_policy.cpu", "belongs to its auto-scaling group"),
        ("web_acl_association.web", "an association has no tags"),
        ("listener_rules.web.https", "belong to their load balancer"),
    ];
    for (address, why) in refused {
        let o = run_aws(&["forget", f, address, "--auto-approve"]);
        assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
        assert!(output_text(&o).contains(why), "{}", output_text(&o));
    }
    let (_, before) = lbstack::live::read(&c, &s).await.unwrap();
    let id_of = |live: &lbstack::plan::diff::LiveState, a: &str| {
        live.resources.iter().find(|r| r.address.to_string() == a).map(|r| r.id.clone())
    };
    let cert_arn = id_of(&before, "certificate.site").expect("the certificate is the stack's");
    let o = run_aws(&["forget", f, "certificate.site", "record.www", "--auto-approve"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let (_, after) = lbstack::live::read(&c, &s).await.unwrap();
    for a in ["certificate.site", "record.www"] {
        assert!(id_of(&after, a).is_none(), "{a} left the stack");
    }
    // Still in AWS: the certificate, and the record (now a name another owner holds).
    c.acm.describe_certificate().certificate_arn(&cert_arn).send().await.expect("the certificate is not deleted");
    let p = lbstack::ops::plan(&c, &s, false).await.unwrap().plan;
    assert!(p.conflicts.iter().any(|x| x.address.to_string() == "record.www"), "{:?}", p.conflicts);
    assert!(p.changes.iter().all(|ch| ch.action != lbstack::plan::Action::Delete), "nothing forgotten is deleted");

    // Clean up: the load balancer and the rest go with destroy; the forgotten ones by hand.
    crate::support::destroy_converges(&c, &s).await;
    crate::support::drop_zone(&c, &zone).await;
    let _ = c.acm.delete_certificate().certificate_arn(&cert_arn).send().await;
}
