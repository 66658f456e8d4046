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
