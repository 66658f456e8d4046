//! `lbstack import` against the emulator: what was built without lbstack is written as a stack,
//! validates clean, plans as nothing but adoptions (tags added), applies, and re-plans empty,
//! with nothing replaced.

use crate::support::{clients, default_subnets, output_text as text, run_aws as run, unique};
use aws_sdk_autoscaling::types as asg;
use aws_sdk_ec2::types as ec2;
use aws_sdk_elasticloadbalancingv2::types as elb;
use lbstack::live::Adopt;

fn cidr(protocol: &str, from: i32, to: i32, cidr: &str, description: Option<&str>) -> ec2::IpPermission {
    ec2::IpPermission::builder()
        .ip_protocol(protocol)
        .from_port(from)
        .to_port(to)
        .ip_ranges(ec2::IpRange::builder().cidr_ip(cidr).set_description(description.map(str::to_string)).build())
        .build()
}

fn condition(field: &str) -> elb::builders::RuleConditionBuilder {
    elb::RuleCondition::builder().field(field)
}

fn forward(arn: &str) -> elb::Action {
    elb::Action::builder().r#type(elb::ActionTypeEnum::Forward).target_group_arn(arn).build()
}

async fn tg_attributes(c: &lbstack::live::Clients, arn: &str, pairs: &[(&str, &str)]) {
    let attrs = pairs.iter().map(|(k, v)| elb::TargetGroupAttribute::builder().key(*k).value(*v).build()).collect();
    c.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(attrs)).send().await.unwrap();
}

/// Everything built by hand, as an account is before lbstack: two security groups referring to
/// each other with a custom egress, three target groups (one sticky with a custom health check,
/// one NLB group with proxy protocol), an ALB whose listener has a fixed-response default and
/// rules on paths, methods, hosts, headers, query strings and source addresses with plain,
/// weighted and redirect actions, an NLB with a TCP idle timeout, a launch template with user
/// data and a root volume, and a group with metrics, a suspended process, tags, three kinds of
/// policy, a schedule and the alarms that drive its step and simple policies.
#[tokio::test]
async fn an_account_built_by_hand_is_imported_adopted_and_plans_to_nothing() {
    let c = clients().await;
    let name = unique("import");
    let tail = &name[name.len() - 5..];
    let vpc = c
        .ec2
        .describe_vpcs()
        .filters(ec2::Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpcs()[0].vpc_id().unwrap().to_string();
    let subnets: Vec<String> = default_subnets(&c).await.into_iter().take(2).collect();

    let lb_sg = c
        .ec2
        .create_security_group()
        .group_name(format!("edge-{tail}"))
        .description("edge")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let lb_sg = lb_sg.group_id().unwrap().to_string();
    c.ec2
        .authorize_security_group_ingress()
        .group_id(&lb_sg)
        .ip_permissions(cidr("tcp", 80, 80, "0.0.0.0/0", None))
        .ip_permissions(cidr("tcp", 443, 443, "0.0.0.0/0", None))
        .send()
        .await
        .unwrap();
    let app_sg = c
        .ec2
        .create_security_group()
        .group_name(format!("App Servers {tail}"))
        .description("app")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let app_sg = app_sg.group_id().unwrap().to_string();
    let from_lb = ec2::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(8080)
        .to_port(8080)
        .user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id(&lb_sg).build())
        .build();
    c.ec2.authorize_security_group_ingress().group_id(&app_sg).ip_permissions(from_lb).send().await.unwrap();
    c.ec2
        .revoke_security_group_egress()
        .group_id(&app_sg)
        .ip_permissions(cidr("-1", -1, -1, "0.0.0.0/0", None))
        .send()
        .await
        .unwrap();
    c.ec2
        .authorize_security_group_egress()
        .group_id(&app_sg)
        .ip_permissions(cidr("tcp", 443, 443, "0.0.0.0/0", None))
        .ip_permissions(cidr("tcp", 5432, 5432, "10.0.0.0/16", Some("db")))
        .send()
        .await
        .unwrap();

    let web = c
        .elbv2
        .create_target_group()
        .name(format!("web-{tail}"))
        .protocol(elb::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&vpc)
        .health_check_path("/health")
        .health_check_interval_seconds(15)
        .matcher(elb::Matcher::builder().http_code("200-299").build())
        .send()
        .await
        .unwrap();
    let web = web.target_groups()[0].target_group_arn().unwrap().to_string();
    tg_attributes(
        &c,
        &web,
        &[
            ("deregistration_delay.timeout_seconds", "30"),
            ("stickiness.enabled", "true"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "3600"),
            ("slow_start.duration_seconds", "60"),
        ],
    )
    .await;
    let api = c
        .elbv2
        .create_target_group()
        .name(format!("api-{tail}"))
        .protocol(elb::ProtocolEnum::Http)
        .port(9090)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let api = api.target_groups()[0].target_group_arn().unwrap().to_string();
    let tcp = c
        .elbv2
        .create_target_group()
        .name(format!("tcp-{tail}"))
        .protocol(elb::ProtocolEnum::Tcp)
        .port(5000)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let tcp = tcp.target_groups()[0].target_group_arn().unwrap().to_string();
    tg_attributes(&c, &tcp, &[("proxy_protocol_v2.enabled", "true")]).await;

    let alb_name = format!("shop-{tail}");
    let alb = c
        .elbv2
        .create_load_balancer()
        .name(&alb_name)
        .set_subnets(Some(subnets.clone()))
        .security_groups(&lb_sg)
        .send()
        .await
        .unwrap();
    let alb = alb.load_balancers()[0].clone();
    let alb_arn = alb.load_balancer_arn().unwrap().to_string();
    c.elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(&alb_arn)
        .attributes(elb::LoadBalancerAttribute::builder().key("idle_timeout.timeout_seconds").value("120").build())
        .send()
        .await
        .unwrap();
    let not_here = elb::FixedResponseActionConfig::builder()
        .status_code("404")
        .content_type("text/plain")
        .message_body("not here")
        .build();
    let listener = c
        .elbv2
        .create_listener()
        .load_balancer_arn(&alb_arn)
        .protocol(elb::ProtocolEnum::Http)
        .port(80)
        .default_actions(
            elb::Action::builder().r#type(elb::ActionTypeEnum::FixedResponse).fixed_response_config(not_here).build(),
        )
        .send()
        .await
        .unwrap();
    let listener = listener.listeners()[0].listener_arn().unwrap().to_string();
    c.elbv2
        .create_rule()
        .listener_arn(&listener)
        .priority(10)
        .conditions(
            condition("path-pattern")
                .path_pattern_config(elb::PathPatternConditionConfig::builder().values("/api/*").build())
                .build(),
        )
        .conditions(
            condition("http-request-method")
                .http_request_method_config(
                    elb::HttpRequestMethodConditionConfig::builder().values("GET").values("POST").build(),
                )
                .build(),
        )
        .actions(forward(&api))
        .send()
        .await
        .unwrap();
    let weighted = elb::ForwardActionConfig::builder()
        .target_groups(elb::TargetGroupTuple::builder().target_group_arn(&web).weight(80).build())
        .target_groups(elb::TargetGroupTuple::builder().target_group_arn(&api).weight(20).build())
        .target_group_stickiness_config(
            elb::TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(300).build(),
        )
        .build();
    c.elbv2
        .create_rule()
        .listener_arn(&listener)
        .priority(20)
        .conditions(
            condition("host-header")
                .host_header_config(elb::HostHeaderConditionConfig::builder().values("*.example.com").build())
                .build(),
        )
        .conditions(
            condition("http-header")
                .http_header_config(
                    elb::HttpHeaderConditionConfig::builder().http_header_name("X-Env").values("blue").build(),
                )
                .build(),
        )
        .actions(elb::Action::builder().r#type(elb::ActionTypeEnum::Forward).forward_config(weighted).build())
        .send()
        .await
        .unwrap();
    let to_https = elb::RedirectActionConfig::builder()
        .protocol("HTTPS")
        .port("443")
        .status_code(elb::RedirectActionStatusCodeEnum::Http302)
        .build();
    c.elbv2
        .create_rule()
        .listener_arn(&listener)
        .priority(30)
        .conditions(
            condition("query-string")
                .query_string_config(
                    elb::QueryStringConditionConfig::builder()
                        .values(elb::QueryStringKeyValuePair::builder().key("debug").value("1").build())
                        .build(),
                )
                .build(),
        )
        .conditions(
            condition("source-ip")
                .source_ip_config(elb::SourceIpConditionConfig::builder().values("10.0.0.0/8").build())
                .build(),
        )
        .actions(elb::Action::builder().r#type(elb::ActionTypeEnum::Redirect).redirect_config(to_https).build())
        .send()
        .await
        .unwrap();

    // A web ACL on the ALB: a managed rule group and a block list from an IP set.
    Box::pin(web_acl_on(&c, tail, &alb_arn)).await;

    // A name in a zone of its own pointing at the ALB.
    let zone = format!("{name}.example.com");
    Box::pin(cname_to(&c, &zone, alb.dns_name().unwrap())).await;

    let nlb = c
        .elbv2
        .create_load_balancer()
        .name(format!("edge-{tail}"))
        .r#type(elb::LoadBalancerTypeEnum::Network)
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .unwrap();
    let nlb_arn = nlb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let nlb_listener = c
        .elbv2
        .create_listener()
        .load_balancer_arn(&nlb_arn)
        .protocol(elb::ProtocolEnum::Tcp)
        .port(5000)
        .default_actions(forward(&tcp))
        .send()
        .await
        .unwrap();
    c.elbv2
        .modify_listener_attributes()
        .listener_arn(nlb_listener.listeners()[0].listener_arn().unwrap())
        .attributes(elb::ListenerAttribute::builder().key("tcp.idle_timeout.seconds").value("600").build())
        .send()
        .await
        .unwrap();

    let image = c.ec2.describe_images().image_ids("ami-12c6146b").send().await.unwrap();
    let root_device = image.images()[0].root_device_name().unwrap().to_string();
    let lt_name = format!("app-{tail}");
    let data = ec2::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(ec2::InstanceType::T3Micro)
        .security_group_ids(&app_sg)
        .user_data(aws_smithy_types::base64::encode("#!/bin/sh\necho ready\n"))
        .block_device_mappings(
            ec2::LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(&root_device)
                .ebs(
                    ec2::LaunchTemplateEbsBlockDeviceRequest::builder()
                        .volume_size(20)
                        .volume_type(ec2::VolumeType::Gp3)
                        .encrypted(true)
                        .build(),
                )
                .build(),
        )
        .build();
    c.ec2.create_launch_template().launch_template_name(&lt_name).launch_template_data(data).send().await.unwrap();

    let group = format!("app-{tail}");
    c.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .min_size(1)
        .max_size(4)
        .desired_capacity(2)
        .vpc_zone_identifier(subnets.join(","))
        .launch_template(
            asg::LaunchTemplateSpecification::builder().launch_template_name(&lt_name).version("$Latest").build(),
        )
        .target_group_arns(&web)
        .health_check_type("ELB")
        .health_check_grace_period(120)
        .tags(
            asg::Tag::builder()
                .key("Team")
                .value("payments")
                .propagate_at_launch(true)
                .resource_id(&group)
                .resource_type("auto-scaling-group")
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.autoscaling
        .enable_metrics_collection()
        .auto_scaling_group_name(&group)
        .metrics("GroupInServiceInstances")
        .granularity("1Minute")
        .send()
        .await
        .unwrap();
    c.autoscaling
        .suspend_processes()
        .auto_scaling_group_name(&group)
        .scaling_processes("AZRebalance")
        .send()
        .await
        .unwrap();
    let cpu = asg::TargetTrackingConfiguration::builder()
        .predefined_metric_specification(
            asg::PredefinedMetricSpecification::builder()
                .predefined_metric_type(asg::MetricType::AsgAverageCpuUtilization)
                .build(),
        )
        .target_value(50.0)
        .build();
    c.autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&group)
        .policy_name("keep-cpu-at-50")
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(cpu)
        .send()
        .await
        .unwrap();
    c.autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&group)
        .policy_name("burst")
        .policy_type("StepScaling")
        .adjustment_type("ChangeInCapacity")
        .step_adjustments(
            asg::StepAdjustment::builder()
                .metric_interval_lower_bound(0.0)
                .metric_interval_upper_bound(20.0)
                .scaling_adjustment(1)
                .build(),
        )
        .step_adjustments(
            asg::StepAdjustment::builder().metric_interval_lower_bound(20.0).scaling_adjustment(3).build(),
        )
        .send()
        .await
        .unwrap();
    c.autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&group)
        .policy_name("trim")
        .policy_type("SimpleScaling")
        .adjustment_type("ChangeInCapacity")
        .scaling_adjustment(-1)
        .cooldown(600)
        .send()
        .await
        .unwrap();
    c.autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(&group)
        .scheduled_action_name("weekday-mornings")
        .recurrence("0 6 * * 1-5")
        .min_size(2)
        .send()
        .await
        .unwrap();
    let policies = c.autoscaling.describe_policies().auto_scaling_group_name(&group).send().await.unwrap();
    let arn_of = |name: &str| {
        policies
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == Some(name))
            .unwrap()
            .policy_arn()
            .unwrap()
            .to_string()
    };
    for (alarm, threshold, comparison, policy) in [
        ("cpu high", 75.0, aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold, "burst"),
        ("cpu low", 10.0, aws_sdk_cloudwatch::types::ComparisonOperator::LessThanOrEqualToThreshold, "trim"),
    ] {
        c.cloudwatch
            .put_metric_alarm()
            .alarm_name(format!("app-{tail} {alarm}"))
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder().name("AutoScalingGroupName").value(&group).build(),
            )
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(60)
            .evaluation_periods(3)
            .datapoints_to_alarm(2)
            .threshold(threshold)
            .comparison_operator(comparison)
            .alarm_actions(arn_of(policy))
            .send()
            .await
            .unwrap();
    }

    // What pages people: an alarm on the load balancer's metric telling a topic (an e-mail and a
    // webhook subscriber), and a lifecycle hook on the group, both made by hand.
    let topic =
        c.sns.create_topic().name(format!("pager-{tail}")).send().await.unwrap().topic_arn().unwrap().to_string();
    c.sns.subscribe().topic_arn(&topic).protocol("email").endpoint("oncall@example.com").send().await.unwrap();
    let webhook = format!("https://hooks.example.com/services/T000/{tail}/secret-token");
    c.sns.subscribe().topic_arn(&topic).protocol("https").endpoint(&webhook).send().await.unwrap();
    let alb_suffix = alb_arn.split(":loadbalancer/").nth(1).unwrap().to_string();
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name(format!("edge-{tail} 5xx"))
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_ELB_5XX_Count")
        .dimensions(aws_sdk_cloudwatch::types::Dimension::builder().name("LoadBalancer").value(&alb_suffix).build())
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .alarm_actions(&topic)
        .send()
        .await
        .unwrap();
    c.autoscaling
        .put_lifecycle_hook()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name(format!("drain-{tail}"))
        .lifecycle_transition("autoscaling:EC2_INSTANCE_TERMINATING")
        .heartbeat_timeout(300)
        .send()
        .await
        .unwrap();

    // A target registered by hand in a group no auto-scaling group fills.
    let groups = c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&group).send().await.unwrap();
    let instance = groups.auto_scaling_groups()[0].instances()[0].instance_id().unwrap().to_string();
    c.elbv2
        .register_targets()
        .target_group_arn(&api)
        .targets(elb::TargetDescription::builder().id(&instance).port(9091).build())
        .send()
        .await
        .unwrap();

    // Import: by name, and the NLB by ARN, with registered targets.
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    let f = file.to_str().unwrap();
    let args = [
        "import",
        "--stack",
        &name,
        "--load-balancer",
        &alb_name,
        "--load-balancer",
        &nlb_arn,
        "--autoscaling-group",
        &group,
        "--targets",
        "--out",
        f,
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("Next: lbstack plan {f} --adopt-all")), "{}", text(&o));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains(&format!("name: {alb_name}")), "{written}");
    assert!(
        written.contains(&format!("groups: [edge-{tail}]")),
        "security groups refer to each other by key:\n{written}"
    );
    assert!(
        written.contains(&format!("web_acl: edge-{tail}")) && written.contains(&format!("ip_set: blocked-{tail}")),
        "{written}"
    );
    assert!(
        written.contains(&format!("name: shop.{zone}\n    target: shop-{tail}\n    ttl: 300")),
        "the record, by its load balancer's key:\n{written}"
    );
    assert!(written.contains(&format!("targets: [{{id: {instance}, port: 9091}}]")), "{written}");
    assert_eq!(
        std::fs::read_to_string(dir.join(format!("files/app-{tail}-user-data.sh"))).unwrap(),
        "#!/bin/sh\necho ready\n"
    );
    assert!(
        written.contains(&format!("name: pager-{tail}")) && written.contains("endpoint: oncall@example.com"),
        "the topic:\n{written}"
    );
    assert!(!written.contains("secret-token"), "a webhook URL is never written:\n{written}");
    assert!(written.contains(&format!("name: drain-{tail}")), "the hook, by its name:\n{written}");
    let variable = text(&o)
        .split('`')
        .find(|w| w.ends_with("_ENDPOINT_2") || w.ends_with("_ENDPOINT_1"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{}", text(&o)));
    // SAFETY: a variable only this test reads, set before anything reads it.
    unsafe { std::env::set_var(&variable, &webhook) };

    let loaded = lbstack::stack_format::load_file(&file, &[]);
    assert!(loaded.report.diagnostics.is_empty(), "{}\n{written}", loaded.report.render_short());
    let s = loaded.stack.unwrap();
    let planned = Box::pin(lbstack::ops::plan_adopting(&c, &s, false, &Adopt::All)).await.unwrap().plan;
    assert!(planned.conflicts.is_empty(), "{:?}", planned.conflicts);
    let shown = lbstack::plan::render::human(&planned, false);
    for change in &planned.changes {
        let action = change.action;
        assert!(
            matches!(action, lbstack::plan::Action::Update | lbstack::plan::Action::NoOp),
            "{}: {action:?}, only updates\n{shown}\n{written}",
            change.address
        );
        let paths: Vec<&str> = change.diffs.iter().map(|d| d.path.as_str()).collect();
        // Records carry no tags: an adopted one joins the zone's lbstack index.
        let ownership = |p: &&str| p.starts_with("tags") || *p == "indexed";
        assert!(
            paths.iter().all(ownership),
            "{}: nothing but ownership changes ({paths:?})\n{shown}\n{written}",
            change.address
        );
    }
    let adopted = planned.changes.iter().filter(|c| c.reason == Some(lbstack::plan::Reason::Adopting)).count();
    // 2 security groups, 3 target groups, 2 load balancers, the web ACL and its IP set, the
    // template, the group, 3 alarms, the topic and the record.
    assert_eq!(adopted, 16, "{shown}");
    let outcome = Box::pin(lbstack::ops::apply(&c, &s, &planned, 4, |_| {})).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
    let again = crate::support::plan(&c, &s).await;
    assert!(!again.has_changes(), "{}", lbstack::plan::render::human(&again, false));
    // Nothing was replaced: the same load balancer, under the same DNS name.
    let now = c.elbv2.describe_load_balancers().names(&alb_name).send().await.unwrap();
    assert_eq!(now.load_balancers()[0].load_balancer_arn(), Some(alb_arn.as_str()));
    assert_eq!(now.load_balancers()[0].dns_name(), alb.dns_name());

    // A second import never overwrites the file.
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("never overwrites"), "{}", text(&o));
    crate::support::destroy_converges(&c, &s).await;
    crate::support::drop_zone(&c, &zone).await;
}

/// A web ACL on the load balancer: a managed rule group and a block list from an IP set.
async fn web_acl_on(c: &lbstack::live::Clients, tail: &str, alb_arn: &str) {
    let blocked = crate::support::foreign_ip_set(c, &format!("blocked-{tail}")).await;
    {
        use aws_sdk_wafv2::types::*;
        let seen = |metric: &str| {
            VisibilityConfig::builder()
                .sampled_requests_enabled(true)
                .cloud_watch_metrics_enabled(true)
                .metric_name(metric)
                .build()
                .unwrap()
        };
        let managed = Rule::builder()
            .name("common")
            .priority(0)
            .statement(
                Statement::builder()
                    .managed_rule_group_statement(
                        ManagedRuleGroupStatement::builder()
                            .vendor_name("AWS")
                            .name("AWSManagedRulesCommonRuleSet")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .override_action(OverrideAction::builder().none(NoneAction::builder().build()).build())
            .visibility_config(seen("common"))
            .build()
            .unwrap();
        let block = Rule::builder()
            .name("blocklist")
            .priority(1)
            .statement(
                Statement::builder()
                    .ip_set_reference_statement(
                        IpSetReferenceStatement::builder().arn(blocked.arn().unwrap()).build().unwrap(),
                    )
                    .build(),
            )
            .action(RuleAction::builder().block(BlockAction::builder().build()).build())
            .visibility_config(seen("blocklist"))
            .build()
            .unwrap();
        let acl = c
            .wafv2
            .create_web_acl()
            .name(format!("edge-{tail}"))
            .scope(Scope::Regional)
            .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
            .visibility_config(seen("edge"))
            .rules(managed)
            .rules(block)
            .send()
            .await
            .unwrap();
        // WAF sees a new load balancer once it is active, and a new web ACL once it propagated.
        let acl_arn = acl.summary().unwrap().arn().unwrap().to_string();
        crate::support::settled(
            "associating the web ACL",
            &[lbstack::aws_error::Class::NotReady, lbstack::aws_error::Class::NotFound],
            || c.wafv2.associate_web_acl().web_acl_arn(&acl_arn).resource_arn(alb_arn).send(),
        )
        .await;
    }
}

/// A CNAME `shop.ZONE` to `dns`, in a new hosted zone.
async fn cname_to(c: &lbstack::live::Clients, zone: &str, dns: &str) {
    c.route53.create_hosted_zone().name(zone).caller_reference(zone).send().await.unwrap();
    let zones = c.route53.list_hosted_zones_by_name().dns_name(zone).send().await.unwrap();
    let zone_id = zones.hosted_zones()[0].id().trim_start_matches("/hostedzone/").to_string();
    use aws_sdk_route53::types::*;
    let cname = ResourceRecordSet::builder()
        .name(format!("shop.{zone}"))
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(dns).build().unwrap())
        .build()
        .unwrap();
    let batch = ChangeBatch::builder()
        .changes(Change::builder().action(ChangeAction::Create).resource_record_set(cname).build().unwrap())
        .build()
        .unwrap();
    c.route53.change_resource_record_sets().hosted_zone_id(&zone_id).change_batch(batch).send().await.unwrap();
}

/// Asking for nothing, or for what does not exist, is refused in one line each.
#[test]
fn import_says_what_it_needs() {
    let o = run(&["import", "--stack", "shop"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("nothing to import"), "{}", text(&o));
    let o = run(&["import", "--stack", "shop", "--autoscaling-group", "no-such-group-anywhere"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no auto-scaling group is named `no-such-group-anywhere`"), "{}", text(&o));
}

/// The reference stack, applied, then let go (`forget`) as if another tool had made it, is
/// imported by its tag: the file validates clean, plans as adoptions of the same resources with
/// nothing but tags changing, applies, and re-plans empty.
#[tokio::test]
async fn the_reference_stack_round_trips_through_import() {
    let _only_user = crate::support::reference_stack_lock().await;
    let c = clients().await;
    let zone = format!("{}.example.com", unique("shop"));
    c.route53.create_hosted_zone().name(&zone).caller_reference(&zone).send().await.unwrap();
    let vars = vec![
        ("color".to_string(), "green".to_string()),
        ("zone".to_string(), zone.clone()),
        ("domain".to_string(), format!("shop.{zone}")),
    ];
    let loaded = lbstack::stack_format::load_file(&crate::support::repo_root().join("stacks/shop.yaml"), &vars);
    let green = loaded.stack.unwrap();
    let leftovers = lbstack::ops::plan(&c, &green, true).await.unwrap();
    assert!(!lbstack::ops::apply(&c, &green, &leftovers.plan, 8, |_| {}).await.failed());
    crate::support::apply_converges(&c, &green).await;

    // Everything import brings along leaves the stack; the certificate, the record and the alarms
    // that drive no policy stay (the import uses the certificate by ARN, and leaves the rest).
    let (_, live) = lbstack::live::read(&c, &green).await.unwrap();
    use lbstack::plan::Kind;
    let wired = |key: &str| {
        green.alarms.get(key).is_some_and(|a| a.actions.iter().any(|x| green.scaling_policies.contains_key(x)))
    };
    let leaving: Vec<String> = live
        .resources
        .iter()
        .filter(|r| {
            matches!(
                r.address.kind,
                Kind::LoadBalancer
                    | Kind::TargetGroup
                    | Kind::SecurityGroup
                    | Kind::LaunchTemplate
                    | Kind::AutoScalingGroup
                    | Kind::WebAcl
                    | Kind::IpSet
            ) || r.address.kind == Kind::Alarm && wired(&r.address.key)
        })
        .map(|r| r.address.to_string())
        .collect();
    let targets = lbstack::ops::forgettable(&live, &leaving).unwrap();
    lbstack::ops::forget(&c, &green, &targets).await.unwrap();
    // The listeners went with their load balancers: none still says it is the stack's.
    let listeners: Vec<String> =
        live.resources.iter().filter(|r| r.address.kind == Kind::Listener).map(|r| r.id.clone()).collect();
    assert!(!listeners.is_empty());
    let tags = c.elbv2.describe_tags().set_resource_arns(Some(listeners)).send().await.unwrap();
    for d in tags.tag_descriptions() {
        let own: Vec<&str> = d.tags().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("lbstack:")).collect();
        assert!(own.is_empty(), "{:?} kept {own:?}", d.resource_arn());
    }

    let name = unique("shopimp");
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    let o = run(&["import", "--stack", &name, "--tag", "team=storefront", "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&file).unwrap();
    let loaded = lbstack::stack_format::load_file(&file, &[]);
    assert!(loaded.report.diagnostics.is_empty(), "{}\n{written}", loaded.report.render_short());
    let s = loaded.stack.unwrap();
    assert_eq!(
        (s.load_balancers.len(), s.autoscaling_groups.len(), s.scaling_policies.len(), s.scheduled_actions.len()),
        (2, 2, 5, 2),
        "{written}"
    );
    assert_eq!((s.web_acls.len(), s.ip_sets.len()), (1, 1), "the web ACL with its IP set:\n{written}");

    let planned = lbstack::ops::plan_adopting(&c, &s, false, &Adopt::All).await.unwrap().plan;
    let shown = lbstack::plan::render::human(&planned, false);
    assert!(planned.conflicts.is_empty(), "{:?}", planned.conflicts);
    for change in &planned.changes {
        let paths: Vec<&str> = change.diffs.iter().map(|d| d.path.as_str()).collect();
        let only_tags = paths.iter().all(|p| p.starts_with("tags"));
        assert!(
            matches!(change.action, lbstack::plan::Action::Update | lbstack::plan::Action::NoOp) && only_tags,
            "{}: {paths:?}\n{shown}\n{written}",
            change.address
        );
    }
    let adopted = planned.changes.iter().filter(|c| c.reason == Some(lbstack::plan::Reason::Adopting)).count();
    assert_eq!(adopted, leaving.len(), "every resource that left comes back: {leaving:?}\n{shown}");
    let outcome = lbstack::ops::apply(&c, &s, &planned, 8, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
    let again = crate::support::plan(&c, &s).await;
    assert!(!again.has_changes(), "{}", lbstack::plan::render::human(&again, false));

    crate::support::destroy_converges(&c, &s).await;
    crate::support::destroy_converges(&c, &green).await;
    crate::support::drop_zone(&c, &zone).await;
}

/// Groups with what the reference stack lacks (mixed instances, lifecycle hooks, a warm pool,
/// notifications to a topic, instance maintenance, suspended processes, every metric) are applied,
/// forgotten, imported by name, and adopted with nothing but tags changing; they then re-plan empty.
#[tokio::test]
async fn groups_with_hooks_a_warm_pool_and_notifications_round_trip_through_import() {
    let c = clients().await;
    let name = unique("grp");
    let stack = crate::support::load(&format!(
        r#"
version: 1
stack: {name}
network: {{vpc: default}}
security_groups:
  app: {{ingress: [{{ports: 8080, cidrs: [10.0.0.0/8]}}]}}
target_groups:
  app: {{protocol: HTTP, port: 8080, health_check: {{path: /health}}}}
load_balancers:
  front: {{listeners: {{http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}}}}}
launch_templates:
  worker: {{image: ami-12c6146b, instance_type: m7g.large, security_groups: [app]}}
topics:
  ops: {{display_name: Ops}}
autoscaling_groups:
  workers:
    min: 2
    max: 6
    launch_template: worker
    target_groups: [app]
    mixed_instances: {{types: [m7g.large, m6g.large], on_demand_base: 1, on_demand_percentage: 50}}
    health_check: {{type: elb, grace_period: 120}}
    metrics: all
    lifecycle_hooks:
      drain: {{transition: terminate, heartbeat: 600, default_result: continue}}
    notifications:
      - {{topic: ops, events: [launch_error, terminate_error]}}
    instance_maintenance: {{min_healthy_percentage: 90, max_healthy_percentage: 120}}
    suspended_processes: [AZRebalance]
    tags: {{team: workers}}
  # AWS takes a warm pool only on a group of On-Demand instances of one template.
  pool:
    min: 1
    max: 3
    launch_template: worker
    lifecycle_hooks:
      warm: {{transition: launch}}
    warm_pool: {{min_size: 1, state: hibernated, reuse_on_scale_in: true}}
scaling_policies:
  cpu: {{group: workers, target_tracking: {{metric: cpu, target: 55}}}}
"#
    ));
    crate::support::apply_converges(&c, &stack).await;
    let (_, live) = lbstack::live::read(&c, &stack).await.unwrap();
    // The load balancer stays in the first stack: the group brings its target group, not the
    // load balancer forwarding to it.
    use lbstack::plan::Kind;
    let leaving: Vec<String> = live
        .resources
        .iter()
        .filter(|r| !matches!(r.address.kind, Kind::ScalingPolicy | Kind::LoadBalancer | Kind::Listener))
        .map(|r| r.address.to_string())
        .collect();
    let targets = lbstack::ops::forgettable(&live, &leaving).unwrap();
    lbstack::ops::forget(&c, &stack, &targets).await.unwrap();

    let (workers, pool) = (format!("{name}-workers"), format!("{name}-pool"));
    let written = crate::support::imported(&name, &["--autoscaling-group", &workers, "--autoscaling-group", &pool]);
    let copy = crate::support::load(&written);
    let group = |n: &str| copy.autoscaling_groups.values().find(|g| g.name.as_deref() == Some(n)).expect("written");
    assert_eq!(group(&workers).lifecycle_hooks.len(), 1, "{written}");
    assert!(group(&workers).mixed_instances.is_some() && !group(&workers).notifications.is_empty(), "{written}");
    assert!(group(&pool).warm_pool.is_some(), "{written}");
    assert_eq!(copy.topics.len(), 1, "the topic the group notifies comes along:\n{written}");
    let planned = lbstack::ops::plan_adopting(&c, &copy, false, &Adopt::All).await.unwrap().plan;
    let shown = lbstack::plan::render::human(&planned, false);
    for change in &planned.changes {
        let paths: Vec<&str> = change.diffs.iter().map(|d| d.path.as_str()).collect();
        assert!(
            matches!(change.action, lbstack::plan::Action::Update | lbstack::plan::Action::NoOp)
                && paths.iter().all(|p| p.starts_with("tags")),
            "{}: {paths:?}\n{shown}\n{written}",
            change.address
        );
    }
    assert!(!lbstack::ops::apply(&c, &copy, &planned, 8, |_| {}).await.failed());
    let again = crate::support::plan(&c, &copy).await;
    assert!(!again.has_changes(), "{}\n{written}", lbstack::plan::render::human(&again, false));
    // The load balancer first: its listener uses the target group the copy now owns.
    crate::support::destroy_converges(&c, &stack).await;
    crate::support::destroy_converges(&c, &copy).await;
}
