//! The embedded emulator answers lbstack's own AWS clients.

use crate::support::emulator_config;
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;

#[tokio::test]
async fn elbv2_and_ec2_reach_the_emulator() {
    let config = emulator_config().await;
    let clients = lbstack::live::Clients::new(&config);
    let vpcs = clients.ec2.describe_vpcs().filters(Filter::builder().name("is-default").values("true").build()).send().await.expect("DescribeVpcs answers");
    let vpc = vpcs.vpcs()[0].vpc_id().expect("the default VPC has an id").to_string();

    let name = format!("smoke-{}", std::process::id());
    clients.elbv2.create_target_group().name(&name).protocol(ProtocolEnum::Http).port(80).vpc_id(&vpc).send().await.expect("CreateTargetGroup");
    let found = clients.elbv2.describe_target_groups().names(&name).send().await.expect("DescribeTargetGroups");
    assert_eq!(found.target_groups().len(), 1);
    assert_eq!(found.target_groups()[0].port(), Some(80));
    assert_eq!(found.target_groups()[0].vpc_id(), Some(vpc.as_str()));
    let arn = found.target_groups()[0].target_group_arn().unwrap().to_string();
    clients.elbv2.delete_target_group().target_group_arn(arn).send().await.expect("DeleteTargetGroup");
    let after = clients.elbv2.describe_target_groups().names(&name).send().await;
    assert!(after.is_err() || after.unwrap().target_groups().is_empty(), "the target group is gone");
}

/// The emulator answers repeated creates like AWS, which lbstack's recognition of lost answers
/// relies on (each fix is in localstack/moto_server.py).
#[tokio::test]
async fn repeated_creates_answer_like_aws() {
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, FixedResponseActionConfig, LoadBalancerTypeEnum};
    let clients = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("emu");
    let subnets: Vec<String> = clients
        .ec2
        .describe_subnets()
        .filters(Filter::builder().name("default-for-az").values("true").build())
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .take(2)
        .map(|s| s.subnet_id().unwrap().to_string())
        .collect();
    // An identical CreateLoadBalancer returns the load balancer that exists; another type is refused.
    let create = |kind: LoadBalancerTypeEnum| clients.elbv2.create_load_balancer().name(&name).set_subnets(Some(subnets.clone())).r#type(kind).send();
    let first = create(LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let again = create(LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0].load_balancer_arn().unwrap().to_string();
    assert_eq!(first, again);
    let other = create(LoadBalancerTypeEnum::Network).await.unwrap_err();
    assert_eq!(lbstack::aws_error::class_of(&other), lbstack::aws_error::Class::AlreadyExists);
    // An identical CreateListener returns the listener on that port.
    let fixed =
        Action::builder().r#type(ActionTypeEnum::FixedResponse).fixed_response_config(FixedResponseActionConfig::builder().status_code("404").build()).build();
    let listener = || clients.elbv2.create_listener().load_balancer_arn(&first).port(80).protocol(ProtocolEnum::Http).default_actions(fixed.clone()).send();
    let l1 = listener().await.unwrap().listeners()[0].listener_arn().unwrap().to_string();
    let l2 = listener().await.unwrap().listeners()[0].listener_arn().unwrap().to_string();
    assert_eq!(l1, l2);
    clients.elbv2.delete_load_balancer().load_balancer_arn(&first).send().await.unwrap();
    // A taken IP set name is WAFDuplicateItemException.
    let ip_set = || {
        clients
            .wafv2
            .create_ip_set()
            .name(&name)
            .scope(aws_sdk_wafv2::types::Scope::Regional)
            .ip_address_version(aws_sdk_wafv2::types::IpAddressVersion::Ipv4)
            .addresses("203.0.113.0/24")
            .send()
    };
    let set = ip_set().await.unwrap();
    let dup = ip_set().await.unwrap_err();
    assert_eq!(aws_sdk_wafv2::error::ProvideErrorMetadata::code(&dup), Some("WAFDuplicateItemException"));
    let s = set.summary().unwrap();
    clients
        .wafv2
        .delete_ip_set()
        .name(&name)
        .id(s.id().unwrap())
        .lock_token(s.lock_token().unwrap())
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await
        .unwrap();
    // CreateAutoScalingGroup with a taken name is AlreadyExists.
    let lt = clients
        .ec2
        .create_launch_template()
        .launch_template_name(&name)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id("ami-12c6146b").instance_type(aws_sdk_ec2::types::InstanceType::T3Micro).build(),
        )
        .send()
        .await
        .unwrap();
    let lt_id = lt.launch_template().unwrap().launch_template_id().unwrap().to_string();
    let group = || {
        clients
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .min_size(0)
            .max_size(1)
            .vpc_zone_identifier(subnets[0].clone())
            .launch_template(aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_id(&lt_id).build())
            .send()
    };
    group().await.unwrap();
    let taken = group().await.unwrap_err();
    assert_eq!(aws_sdk_autoscaling::error::ProvideErrorMetadata::code(&taken), Some("AlreadyExists"));
    clients.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&name).force_delete(true).send().await.unwrap();
    clients.ec2.delete_launch_template().launch_template_id(&lt_id).send().await.unwrap();
    // Concurrent RequestCertificate calls with one idempotency token make one certificate.
    let token = name.replace('-', "");
    let request = || clients.acm.request_certificate().domain_name(format!("{token}.example.com")).idempotency_token(&token).send();
    let arns = futures_util::future::join_all((0..8).map(|_| request())).await;
    let arns: std::collections::BTreeSet<String> = arns.into_iter().map(|r| r.unwrap().certificate_arn().unwrap().to_string()).collect();
    assert_eq!(arns.len(), 1, "{arns:?}");
    clients.acm.delete_certificate().certificate_arn(arns.first().unwrap()).send().await.unwrap();
}

/// moto cut DescribeLaunchTemplates at 15 templates without a marker, so a stack with a 16th
/// planned it again; the emulator pages it as AWS does and every template is found.
#[tokio::test]
async fn launch_templates_are_listed_past_fifteen() {
    use aws_sdk_ec2::types::RequestLaunchTemplateData;
    let clients = lbstack::live::Clients::new(&emulator_config().await);
    let prefix = crate::support::unique("lt15");
    for i in 0..20 {
        let data = RequestLaunchTemplateData::builder().image_id("ami-12c6146b").build();
        clients.ec2.create_launch_template().launch_template_name(format!("{prefix}-{i}")).launch_template_data(data).send().await.unwrap();
    }
    let named = Filter::builder().name("launch-template-name").values(format!("{prefix}-*")).build();
    let one_call = clients.ec2.describe_launch_templates().filters(named.clone()).send().await.unwrap();
    assert_eq!(one_call.launch_templates().len(), 20, "without MaxResults AWS answers every template at once");
    let paged: Vec<_> = clients.ec2.describe_launch_templates().filters(named).max_results(6).into_paginator().items().send().try_collect().await.unwrap();
    assert_eq!(paged.len(), 20, "pages of 6 reach all 20");
    for i in 0..20 {
        clients.ec2.delete_launch_template().launch_template_name(format!("{prefix}-{i}")).send().await.unwrap();
    }
}
