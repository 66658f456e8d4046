//! The least IAM policy a role needs to plan or to apply a stack (`lbstack policy`).
//!
//! Plan reads every kind lbstack manages, whatever the stack declares, because owned resources
//! the stack no longer declares are found (and deleted) by their tags; apply also writes them.
//! SSM is scoped to the stack's own parameters (its apply lock and published outputs, and the
//! outputs of the stacks it reads with `from_stack`). ELBv2, EC2, Auto Scaling and the other
//! services are granted on `*`: lbstack finds its resources by tags, and the conditions AWS
//! offers per action differ too much to scope creates and tag writes safely. GetCallerIdentity
//! needs no permission.

use crate::stack_format::Stack;
use serde_json::{Value, json};

/// What the policy is for: `plan` (reads only) or `apply` (reads and writes, destroy included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyFor {
    Plan,
    Apply,
}

/// IAM prefix, read actions, write actions, per service lbstack calls.
const ACTIONS: &[(&str, &[&str], &[&str])] = &[
    (
        "elasticloadbalancing",
        &[
            "DescribeLoadBalancers",
            "DescribeLoadBalancerAttributes",
            "DescribeListeners",
            "DescribeListenerAttributes",
            "DescribeListenerCertificates",
            "DescribeRules",
            "DescribeTags",
            "DescribeTargetGroups",
            "DescribeTargetGroupAttributes",
            "DescribeTargetHealth",
            "DescribeTrustStores",
            "DescribeAccountLimits",
        ],
        &[
            "CreateLoadBalancer",
            "DeleteLoadBalancer",
            "ModifyLoadBalancerAttributes",
            "SetSecurityGroups",
            "SetSubnets",
            "SetIpAddressType",
            "CreateListener",
            "DeleteListener",
            "ModifyListener",
            "ModifyListenerAttributes",
            "AddListenerCertificates",
            "RemoveListenerCertificates",
            "CreateRule",
            "DeleteRule",
            "ModifyRule",
            "SetRulePriorities",
            "CreateTargetGroup",
            "DeleteTargetGroup",
            "ModifyTargetGroup",
            "ModifyTargetGroupAttributes",
            "RegisterTargets",
            "DeregisterTargets",
            "CreateTrustStore",
            "DeleteTrustStore",
            "ModifyTrustStore",
            "AddTags",
            "RemoveTags",
        ],
    ),
    (
        "ec2",
        &[
            "DescribeVpcs",
            "DescribeSubnets",
            "DescribeSecurityGroups",
            "DescribeSecurityGroupRules",
            "DescribeLaunchTemplates",
            "DescribeLaunchTemplateVersions",
            "DescribeImages",
            "DescribeAvailabilityZones",
            "DescribeInstances",
            "DescribeAccountAttributes",
        ],
        &[
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "UpdateSecurityGroupRuleDescriptionsIngress",
            "UpdateSecurityGroupRuleDescriptionsEgress",
            "CreateLaunchTemplate",
            "CreateLaunchTemplateVersion",
            "ModifyLaunchTemplate",
            "DeleteLaunchTemplate",
            "DeleteLaunchTemplateVersions",
            "RunInstances",
            "CreateTags",
            "DeleteTags",
        ],
    ),
    (
        "acm",
        &["DescribeCertificate", "GetCertificate", "ListCertificates", "ListTagsForCertificate"],
        &[
            "RequestCertificate",
            "ImportCertificate",
            "DeleteCertificate",
            "AddTagsToCertificate",
            "RemoveTagsFromCertificate",
        ],
    ),
    (
        "route53",
        &["ListHostedZones", "ListHostedZonesByName", "GetHostedZone", "ListResourceRecordSets", "GetChange"],
        &["ChangeResourceRecordSets"],
    ),
    (
        "wafv2",
        &[
            "ListWebACLs",
            "GetWebACL",
            "ListIPSets",
            "GetIPSet",
            "GetWebACLForResource",
            "ListTagsForResource",
            "ListResourcesForWebACL",
        ],
        &[
            "CreateWebACL",
            "UpdateWebACL",
            "DeleteWebACL",
            "CreateIPSet",
            "UpdateIPSet",
            "DeleteIPSet",
            "AssociateWebACL",
            "DisassociateWebACL",
            "TagResource",
            "UntagResource",
        ],
    ),
    (
        "autoscaling",
        &[
            "DescribeAutoScalingGroups",
            "DescribeInstanceRefreshes",
            "DescribeLifecycleHooks",
            "DescribeNotificationConfigurations",
            "DescribePolicies",
            "DescribeScheduledActions",
            "DescribeWarmPool",
            "DescribeTags",
            "DescribeLoadBalancerTargetGroups",
            "DescribeTrafficSources",
        ],
        &[
            "CreateAutoScalingGroup",
            "UpdateAutoScalingGroup",
            "DeleteAutoScalingGroup",
            "CreateOrUpdateTags",
            "DeleteTags",
            "PutScalingPolicy",
            "DeletePolicy",
            "PutScheduledUpdateGroupAction",
            "DeleteScheduledAction",
            "PutLifecycleHook",
            "DeleteLifecycleHook",
            "PutNotificationConfiguration",
            "DeleteNotificationConfiguration",
            "PutWarmPool",
            "DeleteWarmPool",
            "EnableMetricsCollection",
            "DisableMetricsCollection",
            "SuspendProcesses",
            "ResumeProcesses",
            "AttachLoadBalancerTargetGroups",
            "DetachLoadBalancerTargetGroups",
            "StartInstanceRefresh",
            "CancelInstanceRefresh",
            "SetInstanceProtection",
        ],
    ),
    (
        "cloudwatch",
        &["DescribeAlarms", "ListTagsForResource"],
        &["PutMetricAlarm", "PutCompositeAlarm", "DeleteAlarms", "TagResource", "UntagResource"],
    ),
    (
        "sns",
        &["ListTopics", "GetTopicAttributes", "ListSubscriptionsByTopic", "ListTagsForResource"],
        &[
            "CreateTopic",
            "DeleteTopic",
            "SetTopicAttributes",
            "Subscribe",
            "Unsubscribe",
            "TagResource",
            "UntagResource",
        ],
    ),
    (
        "shield",
        &["DescribeProtection", "DescribeSubscription", "ListTagsForResource", "ListProtections"],
        &["CreateProtection", "DeleteProtection", "TagResource", "UntagResource"],
    ),
];

/// The SDK's service name (as call records and `--stats` show it) to its IAM prefix.
pub fn iam_prefix(sdk_service: &str) -> Option<&'static str> {
    Some(match sdk_service.to_ascii_lowercase().as_str() {
        "elasticloadbalancingv2" | "elastic load balancing v2" => "elasticloadbalancing",
        "ec2" => "ec2",
        "acm" => "acm",
        "route53" | "route 53" => "route53",
        "wafv2" => "wafv2",
        "autoscaling" | "auto scaling" => "autoscaling",
        "cloudwatch" => "cloudwatch",
        "sns" => "sns",
        "shield" => "shield",
        "lambda" => "lambda",
        "ssm" => "ssm",
        "sts" => "sts",
        _ => return None,
    })
}

/// The policy document for `stack`.
pub fn document(stack: &Stack, purpose: PolicyFor) -> Value {
    let write = purpose == PolicyFor::Apply;
    let mut actions: Vec<String> = Vec::new();
    for (prefix, reads, writes) in ACTIONS {
        actions.extend(reads.iter().map(|a| format!("{prefix}:{a}")));
        if write {
            actions.extend(writes.iter().map(|a| format!("{prefix}:{a}")));
        }
    }
    // Creating a load balancer (and WAF's association with it) creates the service-linked role
    // the first time in an account.
    if write {
        actions.push("iam:CreateServiceLinkedRole".into());
    }
    let parameter = |path: &str| format!("arn:aws:ssm:*:*:parameter{path}");
    let mut read_parameters = vec![parameter(&format!("/lbstack/outputs/{}", stack.stack))];
    for other in stack.shared_listeners.values().filter_map(|l| l.from_stack.as_ref()) {
        read_parameters.push(parameter(&format!("/lbstack/outputs/{other}")));
    }
    read_parameters.dedup();
    let mut statements = vec![
        json!({ "Sid": if write { "ManageStackResources" } else { "ReadStackResources" }, "Effect": "Allow", "Action": actions, "Resource": "*" }),
        json!({ "Sid": "ReadPublishedOutputs", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": read_parameters }),
    ];
    if write {
        let own = vec![
            parameter(&format!("/lbstack/locks/{}", stack.stack)),
            parameter(&format!("/lbstack/outputs/{}", stack.stack)),
        ];
        statements.push(
            json!({ "Sid": "LockAndPublish", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"], "Resource": own }),
        );
        // A Lambda target's function lets its target group invoke it; apply adds and removes
        // only the statement it names after the group.
        statements.push(json!({
            "Sid": "LambdaTargetPermissions",
            "Effect": "Allow",
            "Action": ["lambda:AddPermission", "lambda:RemovePermission"],
            "Resource": "arn:aws:lambda:*:*:function:*"
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// Whether `document` allows `action` (`prefix:Name`) on some resource.
pub fn allows(document: &Value, action: &str) -> bool {
    document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["Action"].as_array().into_iter().flatten().any(|a| a.as_str() == Some(action)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> Stack {
        crate::stack_format::load_str("s.yaml", "version: 1\nstack: shop\n", None, &[]).stack.expect("loads")
    }

    #[test]
    fn plan_reads_and_apply_writes() {
        let plan = document(&stack(), PolicyFor::Plan);
        let apply = document(&stack(), PolicyFor::Apply);
        assert!(
            allows(&plan, "elasticloadbalancing:DescribeLoadBalancers")
                && allows(&apply, "elasticloadbalancing:DescribeLoadBalancers")
        );
        assert!(
            allows(&apply, "elasticloadbalancing:CreateLoadBalancer")
                && !allows(&plan, "elasticloadbalancing:CreateLoadBalancer")
        );
        let writes = |d: &Value| {
            d["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["Action"].as_array().unwrap())
                .filter_map(|a| a.as_str())
                .filter(|a| {
                    let name = a.split(':').nth(1).unwrap();
                    !["Describe", "List", "Get"].iter().any(|p| name.starts_with(p))
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(writes(&plan), Vec::<String>::new(), "plan's policy has no write");
        assert_eq!(apply["Statement"][2]["Resource"][0], "arn:aws:ssm:*:*:parameter/lbstack/locks/shop");
    }
}
