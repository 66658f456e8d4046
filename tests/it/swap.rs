//! Blue-green with `lbstack swap` and `lbstack status`, as a user runs them, on the emulator.

use crate::support::{
    clients, lbstack, lbstack_aws as aws, load, output_text as text, repo_root, run_aws as run, unique,
};
use serde_json::Value;
use std::process::Stdio;

async fn zone(c: &lbstack::live::Clients, prefix: &str) -> (String, String) {
    let zone = format!("{}.example.com", unique(prefix));
    let out = c.route53.create_hosted_zone().name(&zone).caller_reference(&zone).send().await.unwrap();
    (zone, out.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string())
}

/// The records at `name`: (set identifier, value, weight).
async fn records(c: &lbstack::live::Clients, zone_id: &str, name: &str) -> Vec<(Option<String>, String, Option<i64>)> {
    let want = format!("{name}.");
    let out =
        c.route53.list_resource_record_sets().hosted_zone_id(zone_id).start_record_name(&want).send().await.unwrap();
    let mut v: Vec<_> = out
        .resource_record_sets()
        .iter()
        .filter(|r| r.name() == want && r.r#type().as_str() == "CNAME")
        .map(|r| {
            (
                r.set_identifier().map(str::to_string),
                r.resource_records()[0].value().trim_end_matches('.').to_string(),
                r.weight(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn lb_dns(c: &lbstack::live::Clients, name: &str) -> String {
    let out = c.elbv2.describe_load_balancers().names(name).send().await.unwrap();
    out.load_balancers()[0].dns_name().unwrap().to_ascii_lowercase()
}

async fn apply(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) {
    let planned = lbstack::ops::plan(c, s, false).await.unwrap();
    let outcome = lbstack::ops::apply(c, s, &planned.plan, 8, |_| {}).await;
    assert!(!outcome.failed(), "{:#?} {:?} {:?}", outcome.steps, outcome.refused, outcome.outputs_failed);
}

async fn destroy(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) {
    let planned = lbstack::ops::plan(c, s, true).await.unwrap();
    let outcome = lbstack::ops::apply(c, s, &planned.plan, 8, |_| {}).await;
    assert!(!outcome.failed(), "{:#?}", outcome.steps);
}

#[tokio::test]
async fn reference_stack_blue_green_rollback_cycle() {
    let _only_user = crate::support::reference_stack_lock().await;
    let c = clients().await;
    let (zone, zone_id) = zone(&c, "bg").await;
    let domain = format!("shop.{zone}");
    let shop = repo_root().join("stacks/shop.yaml").display().to_string();
    let vars = |color: &str| {
        vec![
            ("color".to_string(), color.to_string()),
            ("zone".to_string(), zone.clone()),
            ("domain".to_string(), domain.clone()),
        ]
    };
    let blue = lbstack::stack_format::load_file(std::path::Path::new(&shop), &vars("blue")).stack.unwrap();
    let green = lbstack::stack_format::load_file(std::path::Path::new(&shop), &vars("green")).stack.unwrap();
    // Both colours side by side, from one file.
    apply(&c, &blue).await;
    apply(&c, &green).await;
    let (blue_dns, green_dns) = (lb_dns(&c, "shop-blue-public").await, lb_dns(&c, "shop-green-public").await);
    let zone_var = format!("zone={zone}");
    let domain_var = format!("domain={domain}");
    let swap = |color: &str| {
        let color_var = format!("color={color}");
        run(&[
            "swap",
            &shop,
            "--var",
            &color_var,
            "--var",
            &zone_var,
            "--var",
            &domain_var,
            "--zone",
            &zone,
            "--name",
            &domain,
        ])
    };

    let o = swap("blue");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(records(&c, &zone_id, &domain).await, vec![(None, blue_dns.clone(), None)]);

    // A dry run changes nothing.
    let o = run(&[
        "swap",
        &shop,
        "--var",
        "color=green",
        "--var",
        &zone_var,
        "--var",
        &domain_var,
        "--zone",
        &zone,
        "--name",
        &domain,
        "--dry-run",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("dry run"), "{}", text(&o));
    assert_eq!(records(&c, &zone_id, &domain).await, vec![(None, blue_dns.clone(), None)]);

    let o = swap("green");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("health gate for shop-green"), "{}", text(&o));
    assert_eq!(records(&c, &zone_id, &domain).await, vec![(None, green_dns.clone(), None)]);

    // Another machine's `status` sees which colour is live, and the history.
    let o = run(&[
        "status",
        &shop,
        "--var",
        "color=green",
        "--var",
        &zone_var,
        "--var",
        &domain_var,
        "--zone",
        &zone,
        "--name",
        &domain,
        "--output",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["swap"]["live"], "shop-green");
    assert_eq!(s["swap"]["this_stack_is_live"], true);
    assert_eq!(s["swap"]["history"].as_array().unwrap().len(), 2);
    assert_eq!(s["swap"]["history"][1]["by"], "tester");
    assert_eq!(s["load_balancers"].as_array().unwrap().len(), 2);
    assert!(
        s["autoscaling_groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["address"] == "autoscaling_group.web" && g["in_service"] == 2),
        "{s}"
    );
    assert_eq!(s["alarms"].as_array().unwrap().len(), 5);
    let human = run(&[
        "status",
        &shop,
        "--var",
        "color=green",
        "--var",
        &zone_var,
        "--var",
        &domain_var,
        "--zone",
        &zone,
        "--name",
        &domain,
    ]);
    assert!(text(&human).contains("live: shop-green (this stack)"), "{}", text(&human));

    // Rollback returns to blue at once.
    let o = run(&["swap", "--rollback", "--zone", &zone, "--name", &domain]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(records(&c, &zone_id, &domain).await, vec![(None, blue_dns.clone(), None)]);
    let o = run(&[
        "status",
        &shop,
        "--var",
        "color=blue",
        "--var",
        &zone_var,
        "--var",
        &domain_var,
        "--zone",
        &zone,
        "--name",
        &domain,
        "--output",
        "json",
    ]);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (s["swap"]["live"].as_str(), s["swap"]["history"][2]["event"].as_str()),
        (Some("shop-blue"), Some("rollback"))
    );

    destroy(&c, &green).await;
    destroy(&c, &blue).await;
    crate::support::drop_zone(&c, &zone).await;
}

/// A colour with one target group; `targets` decides what the health gate sees.
fn colour(name: &str, targets: &str) -> String {
    format!(
        "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080{targets}}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
    )
}

fn write(name: &str, body: &str) -> String {
    let path = std::env::temp_dir().join(format!("lbstack-swap-{name}.yaml"));
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_health_gate_refuses_a_colour_without_healthy_targets_and_changes_nothing() {
    let c = clients().await;
    let (zone, zone_id) = zone(&c, "gate").await;
    let name = unique("empty");
    let body = colour(&name, "");
    apply(&c, &load(&body)).await;
    let file = write(&name, &body);
    let live = format!("www.{zone}");
    let o = run(&["swap", &file, "--zone", &zone, "--name", &live]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("refused: nothing was changed")
            && text(&o).contains("has 0 healthy targets (needs 1): no targets"),
        "{}",
        text(&o)
    );
    assert!(records(&c, &zone_id, &live).await.is_empty());
    // No lock was left behind: a swap with a lower bar goes through.
    let o = run(&["swap", &file, "--zone", &zone, "--name", &live, "--min-healthy", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    destroy(&c, &load(&body)).await;
    crate::support::drop_zone(&c, &zone).await;
}

#[tokio::test]
async fn weighted_shift_ends_at_100_and_an_alarm_rolls_it_back() {
    let c = clients().await;
    let (zone, zone_id) = zone(&c, "shift").await;
    let live = format!("app.{zone}");
    let (a, b) = (unique("a"), unique("b"));
    let target = ", targets: [{id: i-0123456789abcdef0}]";
    let (body_a, body_b) = (colour(&a, target), colour(&b, target));
    apply(&c, &load(&body_a)).await;
    apply(&c, &load(&body_b)).await;
    let (file_a, file_b) = (write(&a, &body_a), write(&b, &body_b));
    let (dns_a, dns_b) = (lb_dns(&c, &format!("{a}-web")).await, lb_dns(&c, &format!("{b}-web")).await);

    let o = run(&["swap", &file_a, "--zone", &zone, "--name", &live]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["swap", &file_b, "--zone", &zone, "--name", &live, "--steps", "10,50,100", "--interval", "200ms"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("10% of traffic") && text(&o).contains("50% of traffic"), "{}", text(&o));
    assert_eq!(
        records(&c, &zone_id, &live).await,
        vec![(Some(a.clone()), dns_a.clone(), Some(0)), (Some(b.clone()), dns_b.clone(), Some(100))]
    );

    // Back to A in steps, watching an alarm that goes into ALARM after the first step.
    let alarm = format!("{a}-errors");
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm)
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    let child = aws(&mut lbstack())
        .args([
            "swap",
            &file_a,
            "--zone",
            &zone,
            "--name",
            &live,
            "--steps",
            "20,60,100",
            "--interval",
            "30s",
            "--rollback-alarm",
            &alarm,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first step, then try a second swap (refused: one is in progress), then fire the alarm.
    let mut seen = false;
    for _ in 0..200 {
        if records(&c, &zone_id, &live).await.contains(&(Some(a.clone()), dns_a.clone(), Some(20))) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen, "the first step (20%) was written");
    let second = run(&["swap", &file_b, "--zone", &zone, "--name", &live]);
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    assert!(text(&second).contains("another swap of") && text(&second).contains("is in progress"), "{}", text(&second));
    c.cloudwatch
        .set_alarm_state()
        .alarm_name(&alarm)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&format!("alarm {alarm} is in ALARM")), "{}", text(&out));
    assert_eq!(
        records(&c, &zone_id, &live).await,
        vec![(Some(a.clone()), dns_a.clone(), Some(0)), (Some(b.clone()), dns_b.clone(), Some(100))]
    );

    // The lock was released: a plain swap works and keeps the weighted style.
    let o = run(&["swap", &file_a, "--zone", &zone, "--name", &live]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        records(&c, &zone_id, &live).await,
        vec![(Some(a.clone()), dns_a, Some(100)), (Some(b.clone()), dns_b, Some(0))]
    );
    destroy(&c, &load(&body_a)).await;
    destroy(&c, &load(&body_b)).await;
    crate::support::drop_zone(&c, &zone).await;
}

#[tokio::test]
async fn a_lock_left_by_a_crashed_swap_is_reported_and_can_be_broken() {
    let c = clients().await;
    let (zone, zone_id) = zone(&c, "lock").await;
    let live = format!("www.{zone}");
    let name = unique("lk");
    let body = colour(&name, ", targets: [{id: i-0123456789abcdef0}]");
    apply(&c, &load(&body)).await;
    let file = write(&name, &body);
    let lock = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(format!("_lbstack-swap-lock.{live}."))
        .r#type(aws_sdk_route53::types::RrType::Txt)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("\"at=2026-11-23T00:00:00Z by=crashed doing=swap\"")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let change = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Create)
        .resource_record_set(lock)
        .build()
        .unwrap();
    c.route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(aws_sdk_route53::types::ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
    let o = run(&["swap", &file, "--zone", &zone, "--name", &live]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("by=crashed") && text(&o).contains("--break-lock"), "{}", text(&o));
    assert!(records(&c, &zone_id, &live).await.is_empty());
    let o = run(&["swap", "--break-lock", "--zone", &zone, "--name", &live]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["swap", &file, "--zone", &zone, "--name", &live]);
    assert!(o.status.success(), "{}", text(&o));

    // An alias A record at the zone apex (where a CNAME cannot be).
    let o = run(&["swap", &file, "--zone", &zone, "--name", &zone, "--type", "alias"]);
    assert!(o.status.success(), "{}", text(&o));
    let apex = format!("{zone}.");
    let out = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .start_record_name(&apex)
        .start_record_type(aws_sdk_route53::types::RrType::A)
        .send()
        .await
        .unwrap();
    let alias = out
        .resource_record_sets()
        .iter()
        .find(|r| r.name() == apex && r.r#type().as_str() == "A")
        .and_then(|r| r.alias_target())
        .expect("an alias A record");
    assert_eq!(alias.dns_name().trim_end_matches('.').to_ascii_lowercase(), lb_dns(&c, &format!("{name}-web")).await);
    destroy(&c, &load(&body)).await;
    crate::support::drop_zone(&c, &zone).await;
}
