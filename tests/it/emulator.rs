//! The embedded emulator answers lbstack's own AWS clients.

use crate::support::emulator_config;
use aws_sdk_acm::client::Waiters as _;
use aws_sdk_autoscaling::client::Waiters as _;
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::client::Waiters as _;
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;

#[tokio::test]
async fn elbv2_and_ec2_reach_the_emulator() {
    let config = emulator_config().await;
    let clients = lbstack::live::Clients::new(&config);
    let vpcs = clients
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .expect("DescribeVpcs answers");
    let vpc = vpcs.vpcs()[0].vpc_id().expect("the default VPC has an id").to_string();

    let name = format!("smoke-{}", std::process::id());
    clients
        .elbv2
        .create_target_group()
        .name(&name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("CreateTargetGroup");
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
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, FixedResponseActionConfig, LoadBalancerTypeEnum,
    };
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
    let create = |kind: LoadBalancerTypeEnum| {
        clients.elbv2.create_load_balancer().name(&name).set_subnets(Some(subnets.clone())).r#type(kind).send()
    };
    let first = create(LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let again = create(LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    assert_eq!(first, again);
    let other = create(LoadBalancerTypeEnum::Network).await.unwrap_err();
    assert_eq!(lbstack::aws_error::class_of(&other), lbstack::aws_error::Class::AlreadyExists);
    // An identical CreateListener returns the listener on that port.
    let fixed = Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(FixedResponseActionConfig::builder().status_code("404").build())
        .build();
    let listener = || {
        clients
            .elbv2
            .create_listener()
            .load_balancer_arn(&first)
            .port(80)
            .protocol(ProtocolEnum::Http)
            .default_actions(fixed.clone())
            .send()
    };
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
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
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
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_id(&lt_id).build(),
            )
            .send()
    };
    group().await.unwrap();
    let taken = group().await.unwrap_err();
    assert_eq!(aws_sdk_autoscaling::error::ProvideErrorMetadata::code(&taken), Some("AlreadyExists"));
    clients
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .force_delete(true)
        .send()
        .await
        .unwrap();
    clients.ec2.delete_launch_template().launch_template_id(&lt_id).send().await.unwrap();
    // Concurrent RequestCertificate calls with one idempotency token make one certificate.
    let token = name.replace('-', "");
    let request = || {
        clients.acm.request_certificate().domain_name(format!("{token}.example.com")).idempotency_token(&token).send()
    };
    let arns = futures_util::future::join_all((0..8).map(|_| request())).await;
    let arns: std::collections::BTreeSet<String> =
        arns.into_iter().map(|r| r.unwrap().certificate_arn().unwrap().to_string()).collect();
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
        clients
            .ec2
            .create_launch_template()
            .launch_template_name(format!("{prefix}-{i}"))
            .launch_template_data(data)
            .send()
            .await
            .unwrap();
    }
    let named = Filter::builder().name("launch-template-name").values(format!("{prefix}-*")).build();
    let one_call = clients.ec2.describe_launch_templates().filters(named.clone()).send().await.unwrap();
    assert_eq!(one_call.launch_templates().len(), 20, "without MaxResults AWS answers every template at once");
    let paged: Vec<_> = clients
        .ec2
        .describe_launch_templates()
        .filters(named)
        .max_results(6)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged.len(), 20, "pages of 6 reach all 20");
    for i in 0..20 {
        clients.ec2.delete_launch_template().launch_template_name(format!("{prefix}-{i}")).send().await.unwrap();
    }
}

// ------------------------------------------------------------------ AWS's rules (localstack/aws_rules.py)

/// The AWS error code of a failed call.
fn code<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> String {
    aws_smithy_types::error::metadata::ProvideErrorMetadata::code(e).unwrap_or("(none)").to_string()
}

/// Two default subnets and the default VPC, for resources the emulator tests make by hand.
async fn network(c: &lbstack::live::Clients) -> (Vec<String>, String) {
    let subnets = crate::support::default_subnets(c).await.into_iter().take(2).collect();
    let vpcs = c
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    (subnets, vpcs.vpcs()[0].vpc_id().unwrap().to_string())
}

/// A launch template of one AMI, by id.
async fn launch_template(c: &lbstack::live::Clients, name: &str) -> String {
    let data = aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id("ami-12c6146b").build();
    let lt = c.ec2.create_launch_template().launch_template_name(name).launch_template_data(data).send().await.unwrap();
    lt.launch_template().unwrap().launch_template_id().unwrap().to_string()
}

fn forward(tg: &str) -> aws_sdk_elasticloadbalancingv2::types::Action {
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum};
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).build()
}

/// Wait until a load balancer is active, as AWS makes a caller wait (the emulator's clock is fast).
async fn active(c: &lbstack::live::Clients, arn: &str) {
    c.elbv2
        .wait_until_load_balancer_available()
        .load_balancer_arns(arn)
        .wait(std::time::Duration::from_secs(600))
        .await
        .unwrap();
}

/// Load balancers: deletion protection, one listener per port, a certificate on HTTPS, protocols
/// by load balancer type, one load balancer per target group, health-check timeouts and the
/// settings each protocol takes. Each refusal has AWS's code; what AWS accepts is accepted.
#[tokio::test]
async fn load_balancers_refuse_what_aws_refuses() {
    use aws_sdk_elasticloadbalancingv2::types::{
        LoadBalancerAttribute, LoadBalancerTypeEnum, Matcher, ProtocolEnum, TargetGroupAttribute,
    };
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("rules");
    let (subnets, vpc) = network(&c).await;
    let lb = |suffix: &str, kind: LoadBalancerTypeEnum| {
        c.elbv2
            .create_load_balancer()
            .name(format!("{name}-{suffix}"))
            .set_subnets(Some(subnets.clone()))
            .r#type(kind)
            .send()
    };
    let alb = lb("a", LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    // An application load balancer needs subnets in two Availability Zones; a network one does not.
    let one_zone = |kind: LoadBalancerTypeEnum, suffix: &str| {
        c.elbv2.create_load_balancer().name(format!("{name}-{suffix}")).subnets(&subnets[0]).r#type(kind).send()
    };
    assert_eq!(code(&one_zone(LoadBalancerTypeEnum::Application, "z").await.unwrap_err()), "ValidationError");
    let nlb = one_zone(LoadBalancerTypeEnum::Network, "n").await.unwrap();
    c.elbv2
        .delete_load_balancer()
        .load_balancer_arn(nlb.load_balancers()[0].load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let other = lb("b", LoadBalancerTypeEnum::Application).await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let nlb = lb("n", LoadBalancerTypeEnum::Network).await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let tg = |suffix: &str, protocol: ProtocolEnum| {
        c.elbv2.create_target_group().name(format!("{name}-{suffix}")).protocol(protocol).port(80).vpc_id(&vpc).send()
    };
    let web = tg("web", ProtocolEnum::Http).await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    let tcp = tg("tcp", ProtocolEnum::Tcp).await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    let tls = tg("tls", ProtocolEnum::Tls).await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();

    let listener = |lb: &str, port: i32, protocol: ProtocolEnum, tg: &str| {
        c.elbv2
            .create_listener()
            .load_balancer_arn(lb)
            .port(port)
            .protocol(protocol)
            .default_actions(forward(tg))
            .send()
    };
    let http =
        listener(&alb, 80, ProtocolEnum::Http, &web).await.unwrap().listeners()[0].listener_arn().unwrap().to_string();
    let alt = listener(&alb, 8080, ProtocolEnum::Http, &web).await.unwrap().listeners()[0]
        .listener_arn()
        .unwrap()
        .to_string();
    // A port another listener holds: DuplicateListener, on create (other settings) and on modify.
    let spare =
        tg("spare", ProtocolEnum::Http).await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    assert_eq!(code(&listener(&alb, 80, ProtocolEnum::Http, &spare).await.unwrap_err()), "DuplicateListener");
    assert_eq!(
        code(&c.elbv2.modify_listener().listener_arn(&alt).port(80).send().await.unwrap_err()),
        "DuplicateListener"
    );
    // HTTPS needs a certificate; an application load balancer takes no TCP listener, and
    // forwards to no TCP target group.
    assert_eq!(code(&listener(&alb, 443, ProtocolEnum::Https, &web).await.unwrap_err()), "ValidationError");
    assert_eq!(code(&listener(&alb, 9000, ProtocolEnum::Tcp, &tcp).await.unwrap_err()), "UnsupportedProtocol");
    assert_eq!(code(&listener(&alb, 9001, ProtocolEnum::Http, &tcp).await.unwrap_err()), "IncompatibleProtocols");
    // One load balancer per target group: the second one's listener is refused.
    assert_eq!(code(&listener(&other, 80, ProtocolEnum::Http, &web).await.unwrap_err()), "TargetGroupAssociationLimit");
    // A network listener moves to TLS (with a certificate) and UDP: AWS takes both.
    let cert = crate::support::imported_certificate(&c, &format!("{name}.example.com")).await;
    let tcp_listener =
        listener(&nlb, 443, ProtocolEnum::Tcp, &tcp).await.unwrap().listeners()[0].listener_arn().unwrap().to_string();
    let certificate = aws_sdk_elasticloadbalancingv2::types::Certificate::builder().certificate_arn(&cert).build();
    c.elbv2
        .modify_listener()
        .listener_arn(&tcp_listener)
        .protocol(ProtocolEnum::Tls)
        .certificates(certificate)
        .send()
        .await
        .expect("TLS on a network listener");

    // Health checks: a timeout not below an HTTP group's interval, a TCP check of an HTTP group.
    let modify = c.elbv2.modify_target_group().target_group_arn(&web).health_check_timeout_seconds(30).send().await;
    assert_eq!(code(&modify.unwrap_err()), "ValidationError");
    // On create, against AWS's default timeout: 5 s for an HTTP group, so an interval of 5 is refused.
    let fast =
        c.elbv2.create_target_group().name(format!("{name}-fast")).protocol(ProtocolEnum::Http).port(80).vpc_id(&vpc);
    assert_eq!(code(&fast.health_check_interval_seconds(5).send().await.unwrap_err()), "ValidationError");
    let modify =
        c.elbv2.modify_target_group().target_group_arn(&web).health_check_protocol(ProtocolEnum::Tcp).send().await;
    assert_eq!(code(&modify.unwrap_err()), "InvalidConfigurationRequest");
    // A TCP group with an HTTP check keeps its matcher.
    let req = c
        .elbv2
        .modify_target_group()
        .target_group_arn(&tcp)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path("/health");
    req.matcher(Matcher::builder().http_code("200-299").build()).send().await.unwrap();
    let read = c.elbv2.describe_target_groups().target_group_arns(&tcp).send().await.unwrap();
    assert_eq!(read.target_groups()[0].matcher().and_then(|m| m.http_code()), Some("200-299"));
    // source_ip stickiness on a TLS group.
    let sticky = [("stickiness.enabled", "true"), ("stickiness.type", "source_ip")]
        .map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build());
    let attrs = c
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(&tls)
        .set_attributes(Some(sticky.to_vec()))
        .send()
        .await;
    assert_eq!(code(&attrs.unwrap_err()), "InvalidConfigurationRequest");

    // Deletion protection: refused until it is turned off.
    let protect = |on: &str| {
        let attr = LoadBalancerAttribute::builder().key("deletion_protection.enabled").value(on).build();
        c.elbv2.modify_load_balancer_attributes().load_balancer_arn(&alb).attributes(attr).send()
    };
    protect("true").await.unwrap();
    assert_eq!(
        code(&c.elbv2.delete_load_balancer().load_balancer_arn(&alb).send().await.unwrap_err()),
        "OperationNotPermitted"
    );
    protect("false").await.unwrap();
    // A target group in use by a listener is refused; free once the load balancer is gone.
    assert_eq!(code(&c.elbv2.delete_target_group().target_group_arn(&web).send().await.unwrap_err()), "ResourceInUse");
    for lb in [&alb, &other, &nlb] {
        c.elbv2.delete_load_balancer().load_balancer_arn(lb).send().await.unwrap();
    }
    let _ = http;
    for tg in [&web, &spare, &tcp, &tls] {
        c.elbv2.delete_target_group().target_group_arn(tg).send().await.unwrap();
    }
    crate::support::settled("deleting the certificate", &[lbstack::aws_error::Class::InUse], || {
        c.acm.delete_certificate().certificate_arn(&cert).send()
    })
    .await;
}

/// Resources in use: a security group a load balancer uses (and its network interfaces after it
/// is deleted) or another group's rule names, a certificate a listener uses (and for a moment
/// after), a web ACL while associated, an IP set a web ACL names, a group with instances.
#[tokio::test]
async fn resources_in_use_are_refused_until_released() {
    use aws_sdk_elasticloadbalancingv2::types::{Certificate, ProtocolEnum};
    use aws_sdk_wafv2::types::*;
    use lbstack::aws_error::Class;
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("inuse");
    let (subnets, vpc) = network(&c).await;
    let group = |suffix: &str| {
        c.ec2.create_security_group().group_name(format!("{name}-{suffix}")).description("test").vpc_id(&vpc).send()
    };
    let sg = group("lb").await.unwrap().group_id().unwrap().to_string();
    let peer = group("peer").await.unwrap().group_id().unwrap().to_string();
    // `peer` lets `sg` in: `sg` is named by a rule.
    let pair = aws_sdk_ec2::types::UserIdGroupPair::builder().group_id(&sg).build();
    let permission = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .user_id_group_pairs(pair)
        .build();
    c.ec2.authorize_security_group_ingress().group_id(&peer).ip_permissions(permission.clone()).send().await.unwrap();
    let lb = c
        .elbv2
        .create_load_balancer()
        .name(format!("{name}-lb"))
        .set_subnets(Some(subnets))
        .security_groups(&sg)
        .send()
        .await
        .unwrap();
    let lb = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let tg = c
        .elbv2
        .create_target_group()
        .name(format!("{name}-tg"))
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let tg = tg.target_groups()[0].target_group_arn().unwrap().to_string();
    let cert = crate::support::imported_certificate(&c, &format!("{name}.example.com")).await;
    let https = c
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb)
        .port(443)
        .protocol(ProtocolEnum::Https)
        .certificates(Certificate::builder().certificate_arn(&cert).build())
        .default_actions(forward(&tg))
        .send()
        .await
        .unwrap();
    let https = https.listeners()[0].listener_arn().unwrap().to_string();

    // WAF: a load balancer still provisioning is not there yet for WAF, nor a web ACL just made.
    let ip_set = crate::support::foreign_ip_set(&c, &format!("{name}-ips")).await;
    let seen = |metric: &str| {
        VisibilityConfig::builder()
            .sampled_requests_enabled(false)
            .cloud_watch_metrics_enabled(false)
            .metric_name(metric)
            .build()
            .unwrap()
    };
    let block = Rule::builder()
        .name("blocklist")
        .priority(1)
        .statement(
            Statement::builder()
                .ip_set_reference_statement(
                    IpSetReferenceStatement::builder().arn(ip_set.arn().unwrap()).build().unwrap(),
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
        .name(format!("{name}-acl"))
        .scope(Scope::Regional)
        .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
        .visibility_config(seen("acl"))
        .rules(block)
        .send()
        .await
        .unwrap();
    let acl = acl.summary().unwrap().clone();
    let associate = || c.wafv2.associate_web_acl().web_acl_arn(acl.arn().unwrap()).resource_arn(&lb).send();
    assert_eq!(
        code(&associate().await.unwrap_err()),
        "WAFUnavailableEntityException",
        "the load balancer is provisioning"
    );
    active(&c, &lb).await;
    crate::support::settled("associating", &[Class::NotFound], associate).await;
    let read = c
        .wafv2
        .get_web_acl()
        .name(acl.name().unwrap())
        .id(acl.id().unwrap())
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    let delete_acl = |token: String| {
        c.wafv2
            .delete_web_acl()
            .name(acl.name().unwrap())
            .id(acl.id().unwrap())
            .scope(Scope::Regional)
            .lock_token(token)
            .send()
    };
    assert_eq!(
        code(&delete_acl(read.lock_token().unwrap().to_string()).await.unwrap_err()),
        "WAFAssociatedItemException"
    );
    let delete_set = || {
        c.wafv2
            .delete_ip_set()
            .name(ip_set.name().unwrap())
            .id(ip_set.id().unwrap())
            .scope(Scope::Regional)
            .lock_token(ip_set.lock_token().unwrap())
            .send()
    };
    assert_eq!(code(&delete_set().await.unwrap_err()), "WAFAssociatedItemException");
    c.wafv2.disassociate_web_acl().resource_arn(&lb).send().await.unwrap();
    delete_acl(read.lock_token().unwrap().to_string()).await.unwrap();
    delete_set().await.unwrap();

    // The certificate: in use by the listener, and for a moment after the listener goes.
    let delete_cert = || c.acm.delete_certificate().certificate_arn(&cert).send();
    assert_eq!(code(&delete_cert().await.unwrap_err()), "ResourceInUseException");
    c.elbv2.delete_listener().listener_arn(&https).send().await.unwrap();
    assert_eq!(code(&delete_cert().await.unwrap_err()), "ResourceInUseException", "ACM lags the listener");
    crate::support::settled("deleting the certificate", &[Class::InUse], delete_cert).await;

    // The security group: used by the load balancer, then by its network interfaces for a
    // while, and named by `peer`'s rule until that goes.
    let delete_sg = || c.ec2.delete_security_group().group_id(&sg).send();
    assert_eq!(code(&delete_sg().await.unwrap_err()), "DependencyViolation");
    c.elbv2.delete_load_balancer().load_balancer_arn(&lb).send().await.unwrap();
    assert_eq!(code(&delete_sg().await.unwrap_err()), "DependencyViolation", "network interfaces linger");
    let lingering = std::time::Instant::now();
    let still_named = crate::support::settled_error("deleting the group", &[Class::InUse], delete_sg).await;
    assert!(still_named.contains("a rule of security group"), "{still_named} after {:?}", lingering.elapsed());
    c.ec2.revoke_security_group_ingress().group_id(&peer).ip_permissions(permission).send().await.unwrap();
    delete_sg().await.unwrap();
    c.ec2.delete_security_group().group_id(&peer).send().await.unwrap();
    c.elbv2.delete_target_group().target_group_arn(&tg).send().await.unwrap();
}

/// Time passes as on AWS, scaled: a load balancer provisions before it is active, instances boot
/// before they are in service, and ACM validates only once the validation record exists.
#[tokio::test]
async fn time_passes_as_on_aws() {
    use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("clock");
    let (subnets, _) = network(&c).await;
    let lb = c.elbv2.create_load_balancer().name(&name).set_subnets(Some(subnets.clone())).send().await.unwrap();
    let lb = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let state = || async {
        let out = c.elbv2.describe_load_balancers().load_balancer_arns(&lb).send().await.unwrap();
        out.load_balancers()[0].state().and_then(|s| s.code()).map(|c| c.as_str().to_string()).unwrap_or_default()
    };
    assert_eq!(state().await, "provisioning");
    active(&c, &lb).await;
    assert_eq!(state().await, "active");
    c.elbv2.delete_load_balancer().load_balancer_arn(&lb).send().await.unwrap();

    // Instances: Pending, then InService.
    let data = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .build();
    let lt =
        c.ec2.create_launch_template().launch_template_name(&name).launch_template_data(data).send().await.unwrap();
    let lt = lt.launch_template().unwrap().launch_template_id().unwrap().to_string();
    let create = c
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .min_size(1)
        .max_size(1)
        .vpc_zone_identifier(subnets[0].clone());
    create
        .launch_template(LaunchTemplateSpecification::builder().launch_template_id(&lt).build())
        .send()
        .await
        .unwrap();
    let states = || async {
        let out = c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&name).send().await.unwrap();
        out.auto_scaling_groups()[0]
            .instances()
            .iter()
            .map(|i| i.lifecycle_state().unwrap().as_str().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(states().await, ["Pending"]);
    c.autoscaling
        .wait_until_group_in_service()
        .auto_scaling_group_names(&name)
        .wait(std::time::Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(states().await, ["InService"]);
    // A group with instances is deleted only with ForceDelete.
    let delete = |force: bool| {
        c.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&name).force_delete(force).send()
    };
    assert_eq!(code(&delete(false).await.unwrap_err()), "ResourceInUse");
    delete(true).await.unwrap();
    c.ec2.delete_launch_template().launch_template_id(&lt).send().await.unwrap();

    // ACM: no validation record, no certificate.
    let domain = format!("{name}.example.com");
    let arn = c
        .acm
        .request_certificate()
        .domain_name(&domain)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap();
    let arn = arn.certificate_arn().unwrap().to_string();
    let status = || async {
        c.acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .unwrap()
            .certificate()
            .unwrap()
            .status()
            .unwrap()
            .as_str()
            .to_string()
    };
    lbstack::clock::sleep(std::time::Duration::from_secs(300)).await;
    assert_eq!(status().await, "PENDING_VALIDATION", "five minutes without the record");
    let zone = c.route53.create_hosted_zone().name(&domain).caller_reference(&name).send().await.unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    let detail = c.acm.describe_certificate().certificate_arn(&arn).send().await.unwrap();
    let record = detail.certificate().unwrap().domain_validation_options()[0].resource_record().unwrap().clone();
    use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
    let set = ResourceRecordSet::builder()
        .name(record.name())
        .r#type(RrType::Cname)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(record.value()).build().unwrap());
    let change =
        Change::builder().action(ChangeAction::Upsert).resource_record_set(set.build().unwrap()).build().unwrap();
    c.route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
    c.acm
        .wait_until_certificate_validated()
        .certificate_arn(&arn)
        .wait(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(status().await, "ISSUED");
    c.acm.delete_certificate().certificate_arn(&arn).send().await.unwrap();
    crate::support::drop_zone(&c, &domain).await;
}

/// Every request is checked against its API model, in every protocol lbstack speaks: query
/// (ELBv2, Auto Scaling), EC2, JSON (WAF, ACM), Route 53's REST XML and CloudWatch's CBOR, with
/// each service's code and AWS's message.
#[tokio::test]
async fn requests_are_checked_against_the_api_models() {
    use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let (_, vpc) = network(&c).await;
    let e = c
        .elbv2
        .create_target_group()
        .name("model")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .health_check_timeout_seconds(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let message = aws_smithy_types::error::metadata::ProvideErrorMetadata::message(&e).unwrap().to_string();
    assert_eq!(
        message,
        "1 validation error detected: Value '1' at 'healthCheckTimeoutSeconds' failed to satisfy constraint: Member must have value greater than or equal to 2"
    );
    let e = c.ec2.describe_security_groups().max_results(1).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    let e = c.autoscaling.describe_auto_scaling_groups().max_records(500).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = c.acm.describe_certificate().certificate_arn("not-an-arn").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = c.wafv2.list_web_acls().scope(aws_sdk_wafv2::types::Scope::Regional).limit(1000).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    // Route 53 answers with InvalidInput (a zone id is at most 32 characters).
    let e = c.route53.get_hosted_zone().id("Z".repeat(40)).send().await;
    assert_eq!(code(&e.unwrap_err()), "InvalidInput");
    let e = c.cloudwatch.describe_alarms().alarm_names("x".repeat(300)).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
}

/// A rule is turned off by name for a test that needs the lenient behaviour (EMU_LENIENT, or
/// POST /_emulator/lenient), and on again; GET /_emulator/rules lists them.
#[tokio::test]
async fn a_rule_can_be_turned_off_by_name() {
    let Some(endpoint) = crate::support::own_emulator_endpoint() else { return };
    let rules: serde_json::Value =
        serde_json::from_str(&crate::support::emulator_control(endpoint, "GET", "/_emulator/rules", "")).unwrap();
    let names: Vec<&str> = rules["rules"].as_array().unwrap().iter().filter_map(|r| r.as_str()).collect();
    // The guide's table of enforced rules names exactly the emulator's rules.
    let guide = std::fs::read_to_string(crate::support::repo_root().join("docs/emulator.md")).unwrap();
    let table = guide.split("## AWS's rules and AWS's clock").nth(1).unwrap().split("\n\n").nth(2).unwrap();
    let mut documented: Vec<&str> = table
        .lines()
        .skip(2)
        .flat_map(|l| l.split('|').nth(1).unwrap_or_default().split(','))
        .map(|n| n.trim().trim_matches('`'))
        .collect();
    documented.sort();
    let mut served = names.clone();
    served.sort();
    assert_eq!(documented, served, "docs/emulator.md's rule table and GET /_emulator/rules");
    assert_eq!(rules["time_scale"].as_f64(), Some(0.01));
    let c = crate::support::clients_at(endpoint).await;
    let (subnets, _) = network(&c).await;
    let name = crate::support::unique("lenient");
    let lb = c.elbv2.create_load_balancer().name(&name).set_subnets(Some(subnets)).send().await.unwrap();
    let lb = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let attr = aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
        .key("deletion_protection.enabled")
        .value("true")
        .build();
    c.elbv2.modify_load_balancer_attributes().load_balancer_arn(&lb).attributes(attr.clone()).send().await.unwrap();
    crate::support::emulator_control(endpoint, "POST", "/_emulator/lenient", "deletion_protection");
    let deleted = c.elbv2.delete_load_balancer().load_balancer_arn(&lb).send().await;
    crate::support::emulator_control(endpoint, "POST", "/_emulator/lenient", "");
    deleted.expect("with the rule off, a protected load balancer is deleted");
}

/// An alarm's tags go with it: made again under the same name, it has only the tags it is made
/// with (moto kept the deleted alarm's).
#[tokio::test]
async fn a_deleted_alarms_tags_go_with_it() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("alarmtags");
    let put = |tag: Option<Tag>| {
        c.cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(1)
            .threshold(90.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .set_tags(tag.map(|t| vec![t]))
            .send()
    };
    put(Some(Tag::builder().key("env").value("prod").build())).await.unwrap();
    c.cloudwatch.delete_alarms().alarm_names(&name).send().await.unwrap();
    put(None).await.unwrap();
    let arn = c.cloudwatch.describe_alarms().alarm_names(&name).send().await.unwrap().metric_alarms()[0]
        .alarm_arn()
        .unwrap()
        .to_string();
    let tags = c.cloudwatch.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert!(tags.tags().is_empty(), "{:?}", tags.tags());
    c.cloudwatch.delete_alarms().alarm_names(&name).send().await.unwrap();
}

/// AWS refuses to register a Lambda function in a target group the function does not let invoke
/// it; once the permission names the group, the same registration goes through.
#[tokio::test]
async fn a_lambda_target_needs_its_invoke_permission_first() {
    let c = crate::support::clients().await;
    let name = crate::support::unique("fnperm");
    let function = crate::apply::lambda_function(crate::support::emulator_endpoint(), &name);
    let tg = c
        .elbv2
        .create_target_group()
        .name(&name)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Lambda)
        .send()
        .await
        .unwrap();
    let tg = tg.target_groups()[0].target_group_arn().unwrap().to_string();
    let target = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder().id(&function).build();
    let refused = c
        .elbv2
        .register_targets()
        .target_group_arn(&tg)
        .targets(target.clone())
        .send()
        .await
        .expect_err("no permission yet");
    assert_eq!(code(&refused), "AccessDenied");
    c.lambda
        .add_permission()
        .function_name(&function)
        .statement_id("elb")
        .action("lambda:InvokeFunction")
        .principal("elasticloadbalancing.amazonaws.com")
        .source_arn(&tg)
        .send()
        .await
        .unwrap();
    c.elbv2.register_targets().target_group_arn(&tg).targets(target).send().await.expect("registered once permitted");
    c.elbv2.delete_target_group().target_group_arn(&tg).send().await.unwrap();
}

/// A mixed-instances group launches its whole desired capacity, On-Demand and Spot together,
/// whatever the split (moto rounded the shares down apart and launched 1 of 2), and takes no warm
/// pool.
#[tokio::test]
async fn a_mixed_instances_group_launches_its_whole_capacity() {
    use aws_sdk_autoscaling::types as asg;
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("mixed");
    let (subnets, _) = network(&c).await;
    let lt = launch_template(&c, &name).await;
    let overrides = |t: &str| asg::LaunchTemplateOverrides::builder().instance_type(t).build();
    let policy = asg::MixedInstancesPolicy::builder()
        .launch_template(
            asg::LaunchTemplate::builder()
                .launch_template_specification(
                    asg::LaunchTemplateSpecification::builder().launch_template_id(&lt).build(),
                )
                .overrides(overrides("m7g.large"))
                .overrides(overrides("m6g.large"))
                .build(),
        )
        .instances_distribution(
            asg::InstancesDistribution::builder()
                .on_demand_base_capacity(1)
                .on_demand_percentage_above_base_capacity(50)
                .build(),
        )
        .build();
    c.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .min_size(2)
        .max_size(6)
        .vpc_zone_identifier(subnets.join(","))
        .mixed_instances_policy(policy)
        .send()
        .await
        .unwrap();
    let count = || async {
        let out = c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&name).send().await.unwrap();
        out.auto_scaling_groups()[0].instances().len()
    };
    assert_eq!(count().await, 2);
    c.autoscaling.set_desired_capacity().auto_scaling_group_name(&name).desired_capacity(5).send().await.unwrap();
    assert_eq!(count().await, 5);
    // API reference, PutWarmPool: never on a group with a mixed instances policy.
    let pool = c.autoscaling.put_warm_pool().auto_scaling_group_name(&name).min_size(1).send().await;
    assert_eq!(code(&pool.unwrap_err()), "ValidationError");
    c.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&name).force_delete(true).send().await.unwrap();
    c.ec2.delete_launch_template().launch_template_id(&lt).send().await.unwrap();
}

/// AWS refuses to schedule an action in the past (PutScheduledUpdateGroupAction).
#[tokio::test]
async fn a_scheduled_action_in_the_past_is_refused() {
    use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
    let c = lbstack::live::Clients::new(&emulator_config().await);
    let name = crate::support::unique("past");
    let (subnets, _) = network(&c).await;
    let lt = launch_template(&c, &name).await;
    c.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .min_size(0)
        .max_size(1)
        .vpc_zone_identifier(subnets[0].clone())
        .launch_template(LaunchTemplateSpecification::builder().launch_template_id(&lt).build())
        .send()
        .await
        .unwrap();
    let at = |t: &str| aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime).unwrap();
    let put = |start: &str| {
        c.autoscaling
            .put_scheduled_update_group_action()
            .auto_scaling_group_name(&name)
            .scheduled_action_name("launch-day")
            .start_time(at(start))
            .min_size(1)
            .send()
    };
    assert_eq!(code(&put("2020-01-15T08:00:00Z").await.unwrap_err()), "ValidationError");
    put("2099-01-15T08:00:00Z").await.unwrap();
    c.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&name).force_delete(true).send().await.unwrap();
    c.ec2.delete_launch_template().launch_template_id(&lt).send().await.unwrap();
}
