//! Lists longer than one page: every list lbstack reads follows its pages, so what sits on the
//! second page is neither created twice nor forgotten. The emulator pages every list at AWS's page
//! sizes (load balancers, rules and groups at 50, WAF lists at the `Limit` asked), and in pages of
//! one item on demand.

use crate::support::{
    apply_converges, clients, clients_at, destroy_converges, emulator_control, imported_certificate, load,
    own_emulator_endpoint, repo_root, unique,
};
use aws_sdk_wafv2::types::Scope;
use futures_util::future::join_all;

/// 60 rules on one listener (DescribeRules pages at 50), the stack's load balancer behind 50 others
/// (DescribeLoadBalancers pages at 50) and its IP set behind 100 others (ListIPSets, 100 a page).
#[tokio::test]
async fn second_pages_are_read() {
    let c = clients().await;
    let name = unique("pages");
    let subnets: Vec<String> = crate::support::default_subnets(&c).await.into_iter().take(2).collect();
    let others: Vec<String> = join_all((0..51).map(|i| {
        let (c, subnets, name) = (&c, subnets.clone(), &name);
        async move {
            let out = c
                .elbv2
                .create_load_balancer()
                .name(format!("{name}-o{i}"))
                .set_subnets(Some(subnets))
                .send()
                .await
                .unwrap();
            out.load_balancers()[0].load_balancer_arn().unwrap().to_string()
        }
    }))
    .await;
    let ip_sets: Vec<(String, String, String)> = join_all((0..101).map(|i| {
        let (c, name) = (&c, &name);
        async move {
            let n = format!("{name}-ip{i}");
            let s = crate::support::foreign_ip_set(c, &n).await;
            (n, s.id().unwrap().to_string(), s.lock_token().unwrap().to_string())
        }
    }))
    .await;

    let rules: String = (1..=60)
        .map(|i| format!("          - {{priority: {i}, path: /r{i}/*, fixed_response: {{status: 200, body: r{i}}}}}\n"))
        .collect();
    let yaml = format!(
        "version: 1\nstack: {name}\nip_sets:\n  blocked: {{addresses: [198.51.100.0/24]}}\nload_balancers:\n  web:\n    listeners:\n      http:\n        port: 80\n        protocol: HTTP\n        default_action: {{fixed_response: {{status: 404}}}}\n        rules:\n{rules}"
    );
    let s = load(&yaml);
    let first = apply_converges(&c, &s).await;
    let rules_change = first
        .changes
        .iter()
        .find(|ch| ch.address.to_string() == "listener_rules.web.http")
        .expect("the rules are planned");
    assert_eq!(rules_change.after.as_ref().unwrap().to_value()["rules"].as_array().unwrap().len(), 60);
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    let read =
        live.resources.iter().find(|r| r.address.to_string() == "listener_rules.web.http").expect("the rules are read");
    let lbstack::plan::Attrs::ListenerRules(rules) = &read.attrs else { panic!("{} is not a rule set", read.address) };
    assert_eq!(rules.rules.len(), 60, "all 60 rules read, past the first page of 50");
    assert!(
        live.resources.iter().any(|r| r.address.to_string() == "ip_set.blocked"),
        "the IP set on the second page is read"
    );
    destroy_converges(&c, &s).await;

    for arn in others {
        c.elbv2.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
    }
    for (n, id, token) in ip_sets {
        c.wafv2.delete_ip_set().name(n).id(id).scope(Scope::Regional).lock_token(token).send().await.unwrap();
    }
}

/// Every list call lbstack makes, by the operation's name.
const LIST_CALLS: [&str; 16] = [
    "DescribeLoadBalancers",
    "DescribeTargetGroups",
    "DescribeListeners",
    "DescribeListenerCertificates",
    "DescribeRules",
    "DescribeSecurityGroups",
    "DescribeSubnets",
    "DescribeLaunchTemplates",
    "DescribeAutoScalingGroups",
    "DescribePolicies",
    "DescribeScheduledActions",
    "DescribeAlarms",
    "ListCertificates",
    "ListHostedZones",
    "ListIPSets",
    "ListWebACLs",
];

/// Every list lbstack reads is followed past its first page. The emulator answers each list in
/// pages of one item (AWS may end any page early, so this is a legal answer); the reference stack,
/// with a second certificate on its HTTPS listener and a foreign certificate, zone, IP set and web
/// ACL beside it, applies, plans again to nothing and is destroyed. The emulator counts requests
/// for a later page, by operation: each list call lbstack made asked for one.
#[tokio::test]
async fn every_list_is_followed_past_its_first_page() {
    use aws_sdk_wafv2::types::{AllowAction, DefaultAction, VisibilityConfig};
    let Some(endpoint) = own_emulator_endpoint() else {
        eprintln!("skipped: the user's emulator (LBSTACK_TEST_ENDPOINT) has no small-page mode");
        return;
    };
    let c = clients_at(endpoint).await;
    let zone = format!("{}.example.com", unique("paged"));
    let foreign = unique("foreign");
    for z in [zone.clone(), format!("{foreign}.example.org")] {
        c.route53.create_hosted_zone().name(&z).caller_reference(&z).send().await.unwrap();
    }
    imported_certificate(&c, &format!("{foreign}.example.org")).await;
    crate::support::foreign_ip_set(&c, &foreign).await;
    let visibility = VisibilityConfig::builder()
        .sampled_requests_enabled(false)
        .cloud_watch_metrics_enabled(false)
        .metric_name("x")
        .build()
        .unwrap();
    let allow = DefaultAction::builder().allow(AllowAction::builder().build()).build();
    c.wafv2
        .create_web_acl()
        .name(&foreign)
        .scope(Scope::Regional)
        .default_action(allow)
        .visibility_config(visibility)
        .send()
        .await
        .unwrap();
    emulator_control(endpoint, "POST", "/_emulator/pages", "1");

    let shop = std::fs::read_to_string(repo_root().join("stacks/shop.yaml")).unwrap();
    let text = shop.replace("certificates: [site]", "certificates: [site, www]").replace(
        "certificates:\n  site:",
        "certificates:\n  www:\n    domain: www2.${var.domain}\n    validation_zone: ${var.zone}\n  site:",
    );
    assert_eq!(text.matches("www2.").count(), 1, "the reference stack's certificates moved; update this test");
    assert!(text.contains("certificates: [site, www]"), "the reference stack's listener moved; update this test");
    let vars = vec![
        ("color".to_string(), "green".to_string()),
        ("zone".to_string(), zone.clone()),
        ("domain".to_string(), format!("shop.{zone}")),
    ];
    let loaded = lbstack::stack_format::load_str("shop.yaml", &text, Some(&repo_root().join("stacks")), &vars);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let s = loaded.stack.unwrap();
    let p = apply_converges(&c, &s).await;
    assert_eq!(p.summary().add, 36, "the reference stack and the second certificate");
    destroy_converges(&c, &s).await;

    let continued: std::collections::BTreeMap<String, u64> =
        serde_json::from_str(&emulator_control(endpoint, "GET", "/_emulator/paged", "")).unwrap();
    emulator_control(endpoint, "POST", "/_emulator/pages", "off");
    let made = c.calls.by_operation();
    for op in LIST_CALLS {
        assert!(
            made.keys().any(|k| k.ends_with(&format!(".{op}"))),
            "lbstack never called {op}: this test no longer covers it"
        );
        assert!(
            continued.get(op).copied().unwrap_or(0) > 0,
            "{op} was never asked for a second page; the emulator saw {continued:?}"
        );
    }
    let unlisted: Vec<&String> = made
        .keys()
        .filter(|k| k.contains(".List") || k.contains(".Describe"))
        .filter(|k| !LIST_CALLS.iter().any(|op| k.ends_with(&format!(".{op}"))))
        .collect();
    eprintln!("reads that are not lists (by id or name): {unlisted:?}");
}

/// A no-op plan reads per target group only what the stack declares: attributes where it sets one
/// (or set one at the last apply), targets where it lists them. Describe calls per group stay
/// under 1.1 over 25 groups, and a setting removed from the stack is still put back. Creating a
/// group writes its attributes only when it sets one.
#[tokio::test]
async fn reads_follow_what_the_stack_declares() {
    let c = clients().await;
    let name = unique("reads");
    let groups: String = (0..25).map(|i| format!("  g{i}: {{protocol: HTTP, port: 80}}\n")).collect();
    let stack = |custom: &str| {
        load(&format!(
            "version: 1\nstack: {name}\ntarget_groups:\n{groups}  custom: {{protocol: HTTP, port: 80{custom}}}\n  listed: {{protocol: HTTP, port: 80, targets: []}}\n"
        ))
    };
    let s = stack(", deregistration_delay: 30");
    let writes_before = c.calls.by_operation();
    apply_converges(&c, &s).await;
    let attribute_writes = c
        .calls
        .by_operation()
        .iter()
        .filter(|(k, _)| k.ends_with(".ModifyTargetGroupAttributes"))
        .map(|(k, n)| n - writes_before.get(k).copied().unwrap_or(0))
        .sum::<u64>();
    assert_eq!(attribute_writes, 1, "new groups keep AWS's defaults without a call; only `custom` sets one");

    let before = c.calls.by_operation();
    let p = crate::support::plan(&c, &s).await;
    assert!(!p.has_changes());
    let after = c.calls.by_operation();
    // Operations are counted as `Service.Operation`.
    let made = |op: &str| -> u64 {
        after
            .iter()
            .filter(|(k, _)| k.ends_with(&format!(".{op}")))
            .map(|(k, n)| n - before.get(k).copied().unwrap_or(0))
            .sum()
    };
    assert_eq!(made("DescribeTargetGroupAttributes"), 1, "only the group that sets an attribute");
    assert_eq!(made("DescribeTargetHealth"), 1, "only the group that lists targets");
    // Tags of the 27 groups named like the stack's, 20 a call; the account's other load
    // balancers and groups (other tests make hundreds) cost none.
    assert_eq!(made("DescribeTags"), 2, "tags read only for names the stack could have given");
    let per_group: u64 = after
        .iter()
        .filter(|(k, _)| k.contains(".Describe"))
        .map(|(k, n)| n - before.get(k).copied().unwrap_or(0))
        .sum();
    assert!(per_group as f64 <= 1.1 * 27.0, "{per_group} describe calls for 27 groups");

    // The setting leaves the stack: the plan puts AWS's default back, then reads nothing more.
    let s = stack("");
    let p = apply_converges(&c, &s).await;
    let change =
        p.changes.iter().find(|ch| ch.address.to_string() == "target_group.custom").expect("the group changes");
    let rendered = lbstack::plan::render::human(&p, false);
    assert!(rendered.contains("deregistration_delay.timeout_seconds") && rendered.contains("\"300\""), "{rendered}");
    assert_eq!(change.action, lbstack::plan::Action::Update);
    let live = lbstack::live::read(&c, &s).await.unwrap().1;
    let custom = live.resources.iter().find(|r| r.address.to_string() == "target_group.custom").unwrap();
    let attrs = c.elbv2.describe_target_group_attributes().target_group_arn(&custom.id).send().await.unwrap();
    let delay = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value());
    assert_eq!(delay, Some("300"));
    destroy_converges(&c, &s).await;
}
