//! `lbstack simulate`: the model pinned against hand-worked cases, and the command's outputs.

use crate::support::{lbstack, load};
use lbstack::simulate::{Inputs, Outcome, default_start, run};

fn simulate(yaml: &str, capacity: f64, load_curve: &[f64], start: chrono::DateTime<chrono::Utc>) -> Outcome {
    let s = load(yaml);
    let group = s.autoscaling_groups.keys().next().unwrap().clone();
    run(&Inputs { stack: &s, group: &group, capacity, price: Some(0.1), load: load_curve, start }).unwrap()
}

/// Minutes at which the desired capacity changed (from the group's start), and to what.
fn changes(o: &Outcome) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    // The group starts warm: everything at minute 0 is in service.
    let mut last = o.timeline[0].in_service;
    for m in &o.timeline {
        if m.desired != last {
            out.push((m.minute, m.desired));
            last = m.desired;
        }
    }
    out
}

const GROUP: &str =
    "version: 1\nstack: sim\nlaunch_templates:\n  lt: {image: ami-0123456789abcdef0, instance_type: t3.micro}\n";

#[test]
fn target_tracking_converges_after_a_step_in_load() {
    // 2 instances of 100 requests/s, CPU target 50%, 2 minutes of warmup. Load steps from 50 to
    // 400 requests/s at minute 10:
    // - minutes 10-12 read 100% CPU (capped): at minute 12, ceil(2 x 100/50) = 4; ready at 15;
    // - minutes 13-15 still 100% (15: 400 over 4): at 15, ceil(4 x 100/50) = 8; ready at 18;
    // - minute 18: 400 over 8 = 50%, not above the target: settled at 8, as 400 / (100 x 50%) says.
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 2, max: 20, launch_template: lt, default_instance_warmup: 120}}\nscaling_policies:\n  cpu: {{group: web, target_tracking: {{metric: cpu, target: 50}}}}\n"
    );
    let load: Vec<f64> = (0..40).map(|m| if m < 10 { 50.0 } else { 400.0 }).collect();
    let o = simulate(&yaml, 100.0, &load, default_start());
    assert_eq!(changes(&o), vec![(12, 4), (15, 8)]);
    assert_eq!((o.timeline[17].in_service, o.timeline[18].in_service, o.timeline[18].cpu), (4, 8, 50.0));
    assert_eq!(o.timeline.last().unwrap().in_service, 8);
    // Minutes 10-14 (2 instances, 200 requests/s) served less than demanded; 15-17 ran at 100%.
    assert_eq!(o.summary.underprovisioned_minutes, 5);
    assert_eq!(o.summary.minutes_over_target, 8);
}

#[test]
fn scale_in_waits_15_minutes_and_goes_gently() {
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 2, max: 40, desired: 20, launch_template: lt, default_instance_warmup: 60}}\nscaling_policies:\n  cpu: {{group: web, target_tracking: {{metric: cpu, target: 50}}}}\n"
    );
    // 20 instances at 10% CPU: low for 15 minutes (0-14), then at most 10% of the group (2) at a time.
    let o = simulate(&yaml, 100.0, &[200.0; 30], default_start());
    let first = changes(&o)[0];
    assert_eq!(first, (14, 18));
}

#[test]
fn cooldown_blocks_a_second_simple_scaling_action() {
    // CPU stays at 100% (new instances take 10 minutes to warm up): the alarm is in ALARM every
    // minute, but the 5-minute cooldown lets the policy act only at minutes 0 and 5.
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 2, max: 20, launch_template: lt, default_instance_warmup: 600}}\nscaling_policies:\n  out: {{group: web, simple: {{adjust: 1, cooldown: 300}}}}\nalarms:\n  hot: {{metric: CPUUtilization, dimensions: {{autoscaling_group: web}}, threshold: 70, comparison: \">\", actions: [out]}}\n"
    );
    let o = simulate(&yaml, 100.0, &[1000.0; 9], default_start());
    assert_eq!(changes(&o), vec![(0, 3), (5, 4)]);
    assert!(o.timeline[1].events.iter().any(|e| e.contains("in cooldown")), "{:?}", o.timeline[1]);
}

#[test]
fn step_scaling_picks_the_step_of_the_breach() {
    // Threshold 60%: 100% CPU is 40 above, in the second step (+3).
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 2, max: 20, launch_template: lt, default_instance_warmup: 600}}\nscaling_policies:\n  out:\n    group: web\n    step: {{steps: [{{lower: 0, upper: 20, adjust: 1}}, {{lower: 20, adjust: 3}}]}}\nalarms:\n  hot: {{metric: CPUUtilization, dimensions: {{autoscaling_group: web}}, threshold: 60, comparison: \">\", period: 120, evaluation_periods: 2, actions: [out]}}\n"
    );
    let o = simulate(&yaml, 100.0, &[1000.0; 6], default_start());
    // Two 2-minute periods must breach: the alarm fires at the end of minute 3.
    assert_eq!(changes(&o), vec![(3, 5)]);
}

#[test]
fn a_scheduled_action_fires_at_its_local_time_across_a_dst_change() {
    // Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026: 08:00 local is 07:00Z on the 27th
    // and 28th, 06:00Z on the 29th and 30th.
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 2, max: 20, launch_template: lt}}\nscheduled_actions:\n  morning: {{group: web, recurrence: \"0 8 * * *\", time_zone: Europe/Paris, min: 5}}\n"
    );
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-27T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let o = simulate(&yaml, 100.0, &vec![10.0; 4 * 1440], start);
    let fired: Vec<String> = o
        .timeline
        .iter()
        .filter(|m| m.events.iter().any(|e| e.starts_with("morning")))
        .map(|m| m.time.clone())
        .collect();
    assert_eq!(fired, ["2026-03-27T07:00Z", "2026-03-28T07:00Z", "2026-03-29T06:00Z", "2026-03-30T06:00Z"]);
}

#[test]
fn predictive_scaling_raises_capacity_ahead_of_yesterdays_peak() {
    // Day 1: a peak at 12:00-13:00. Day 2: the forecast (day 1) raises capacity 10 minutes ahead.
    let yaml = format!(
        "{GROUP}autoscaling_groups:\n  web: {{min: 1, max: 20, launch_template: lt}}\nscaling_policies:\n  forecast: {{group: web, predictive: {{metric: cpu, target: 50, mode: forecast_and_scale, buffer_time: 600}}}}\n"
    );
    let load: Vec<f64> = (0..2 * 1440).map(|m| if (720..780).contains(&(m % 1440)) { 500.0 } else { 20.0 }).collect();
    let o = simulate(&yaml, 100.0, &load, default_start());
    let day2: Vec<(usize, u32)> = changes(&o).into_iter().filter(|(m, _)| *m >= 1440).collect();
    // 500 / (100 x 50%) = 10 instances, from 11:50 on day 2.
    assert_eq!(day2.first(), Some(&(1440 + 710, 10)));
    assert!(changes(&o).iter().all(|(m, _)| *m >= 1440), "no forecast on day 1");
}

#[test]
fn the_command_writes_charts_json_and_gates_on_thresholds() {
    let dir = std::env::temp_dir().join(format!("lbstack-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, png) = (dir.join("c.svg"), dir.join("c.png"));
    let out = lbstack()
        .args([
            "simulate",
            "stacks/shop.yaml",
            "--load",
            "spike:base=40,peak=300,at=20,for=30",
            "--minutes",
            "90",
            "--chart",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("polyline") && text.contains("demand (requests/s)"));
    let out = lbstack()
        .args(["simulate", "stacks/shop.yaml", "--load", "steady:rps=60", "--minutes", "30", "--chart"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");

    let out = lbstack()
        .args([
            "simulate",
            "stacks/shop.yaml",
            "--load",
            "spike:base=40,peak=600,at=20,for=30",
            "--minutes",
            "90",
            "--output",
            "json",
            "--fail-if",
            "underprovisioned_minutes > 5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the spike is more than max capacity serves");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let actual = doc["outcome"]["summary"]["underprovisioned_minutes"].as_u64().unwrap();
    assert!(actual > 5);
    assert_eq!(
        doc["failed_thresholds"][0],
        format!("underprovisioned_minutes > 5 (actual {actual})"),
        "the actual value beside the threshold"
    );
    assert_eq!(doc["outcome"]["timeline"].as_array().unwrap().len(), 90);

    let out = lbstack()
        .args(["simulate", "stacks/shop.yaml", "--load", "steady", "--fail-if", "bogus > 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a summary number"));
}

#[test]
fn reference_stack_and_example_outputs() {
    for (name, args) in [
        (
            "shop_spike",
            vec!["simulate", "stacks/shop.yaml", "--load", "spike:base=40,peak=300,at=30,for=60", "--price", "0.0208"],
        ),
        (
            "asg_policies_ramp",
            vec![
                "simulate",
                "examples/asg-policies.yaml",
                "--load",
                "ramp:from=100,to=1500,over=60",
                "--minutes",
                "120",
            ],
        ),
    ] {
        let out = lbstack().args(&args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}
