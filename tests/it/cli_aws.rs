//! `lbstack plan/apply/destroy` as a user runs them, against the emulator.

use crate::support::{lbstack, output_text as text, run_aws as run, unique};
use serde_json::Value;

fn stack_file(name: &str, idle: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lbstack-cli-aws-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stack.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nload_balancers:\n  web:\n    attributes: {{idle_timeout: {idle}}}\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn plan_apply_replan_destroy() {
    let name = unique("cli");
    let file = stack_file(&name, 60);
    let f = file.to_str().unwrap();

    let o = run(&["plan", f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Plan: 3 to add, 0 to change, 0 to destroy."), "{}", text(&o));

    let o = run(&["plan", f, "--output", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["format_version"], "2.0");
    assert_eq!(doc["summary"]["add"], 3);
    let actions: Vec<&Value> = doc["resource_changes"].as_array().unwrap().iter().map(|c| &c["actions"]).collect();
    assert!(actions.iter().all(|a| *a == &serde_json::json!(["create"])));
    assert!(doc["api_calls"]["total"].as_u64().unwrap() > 0);
    assert!(doc["fingerprint"].is_string());

    // Not a terminal and no --auto-approve: refuse, change nothing.
    let o = run(&["apply", f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--auto-approve"), "{}", text(&o));
    assert_eq!(run(&["plan", f, "--detailed-exitcode"]).status.code(), Some(2), "nothing was created");

    let o = run(&["apply", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."), "{}", text(&o));
    let o = run(&["plan", f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("No changes."));

    // A saved plan applies exactly, unless live state moved since.
    let saved = file.with_file_name("plan.json");
    let s = saved.to_str().unwrap();
    stack_file(&name, 90);
    assert_eq!(run(&["plan", f, "--out", s]).status.code(), Some(0));
    stack_file(&name, 120);
    assert_eq!(run(&["apply", f, "--auto-approve"]).status.code(), Some(0), "someone else applies 120 meanwhile");
    let o = run(&["apply", s, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("plan is stale"), "{}", text(&o));
    stack_file(&name, 90);
    assert_eq!(run(&["plan", f, "--out", s]).status.code(), Some(0));
    // A saved plan shows and applies from any folder: it records the stack file's absolute path.
    let elsewhere = std::env::temp_dir();
    let o = crate::support::lbstack_aws(&mut lbstack()).current_dir(&elsewhere).args(["show", s]).output().unwrap();
    assert!(
        o.status.success() && text(&o).contains("~ attributes.idle_timeout.timeout_seconds = \"120\" -> \"90\""),
        "{}",
        text(&o)
    );
    let o = crate::support::lbstack_aws(&mut lbstack())
        .current_dir(&elsewhere)
        .args(["show", s, "-o", "markdown"])
        .output()
        .unwrap();
    assert!(
        text(&o).contains("**Plan: 0 to add, 1 to change, 0 to destroy.**") && text(&o).contains("```diff"),
        "{}",
        text(&o)
    );
    let o = crate::support::lbstack_aws(&mut lbstack())
        .current_dir(&elsewhere)
        .args(["show", s, "-o", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((doc["format_version"].as_str(), doc["summary"]["change"].as_u64()), (Some("2.0"), Some(1)));
    // The saved plan was the approval (as Terraform's): applying it asks nothing, even in CI.
    let o = crate::support::lbstack_aws(&mut lbstack()).current_dir(&elsewhere).args(["apply", s]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 added, 1 changed, 0 destroyed"), "{}", text(&o));
    assert_eq!(run(&["plan", f, "--detailed-exitcode"]).status.code(), Some(0));

    let o = run(&["destroy", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Destroy complete! Resources: 0 added, 0 changed, 3 destroyed."), "{}", text(&o));
    assert_eq!(run(&["plan", f, "--destroy", "--detailed-exitcode"]).status.code(), Some(0), "nothing owned is left");
}

/// What CI reads: usage errors exit 1 (never 2, "changes present"), help exits 0, a closed pipe
/// ends quietly, and the plan's JSON Schema describes `plan -o json`.
#[test]
fn exit_codes_ci_can_trust() {
    let o = lbstack().args(["plan", "--no-such-flag", "x.yaml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(lbstack().args(["plan", "--help"]).output().unwrap().status.code(), Some(0));
    assert_eq!(lbstack().args(["frobnicate"]).output().unwrap().status.code(), Some(1));
    // A reader that stops early: no panic message, no error.
    let mut child = lbstack()
        .arg("docs")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&o.stderr));
    let schema: Value = serde_json::from_slice(&lbstack().args(["schema", "--plan"]).output().unwrap().stdout).unwrap();
    for field in ["format_version", "applyable", "resource_changes", "fingerprint"] {
        assert!(schema["properties"].get(field).is_some(), "{field} missing from the plan schema");
    }
}

#[test]
fn an_invalid_stack_never_reaches_aws() {
    // An endpoint where nothing listens: any AWS call would fail with a connection error.
    let o = lbstack()
        .args([
            "apply",
            "tests/fixtures/invalid/08-unknown-reference.yaml",
            "--auto-approve",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("unknown target group `ap`"), "{t}");
    assert!(t.contains("nothing was read or changed in AWS"), "{t}");
    assert!(!t.to_lowercase().contains("connect"), "{t}");
}

/// An error found only when reading AWS (an image that does not exist) is reported at the line
/// and column of the value, like a validation error.
#[test]
fn plan_time_errors_point_at_the_value() {
    let name = unique("noimg");
    let dir = std::env::temp_dir().join(format!("lbstack-cli-aws-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!("version: 1\nstack: {name}\nlaunch_templates:\n  app:\n    image: ami-0123456789abcdef0\n    instance_type: t3.micro\nautoscaling_groups:\n  app: {{min: 0, max: 1, launch_template: app}}\n"),
    )
    .unwrap();
    let o = run(&["plan", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("image ami-0123456789abcdef0 does not exist") && t.contains("stack.yaml:5:12"), "{t}");

    // An application load balancer in one Availability Zone: AWS refuses it, the plan says so first.
    std::fs::write(
        &file,
        format!("version: 1\nstack: {name}\nnetwork:\n  subnet_groups:\n    one: {{zones: [us-east-1a]}}\nload_balancers:\n  web:\n    subnets: one\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{fixed_response: {{status: 404}}}}}}\n"),
    )
    .unwrap();
    let o = run(&["plan", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("needs subnets in two Availability Zones") && t.contains("stack.yaml:8:14"), "{t}");
}

/// Outputs: printed after apply (and after an apply with nothing to do), one value alone for
/// scripts, all of them as JSON; a named output the stack lacks is a clear error, and an output
/// whose resource is gone has no value.
#[test]
fn outputs_after_apply_and_by_name() {
    let name = unique("outputs");
    let dir = std::env::temp_dir().join(format!("lbstack-cli-aws-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nsecurity_groups:\n  web:\n    ingress: [{{ports: 80, cidrs: [0.0.0.0/0]}}]\nload_balancers:\n  web:\n    security_groups: [web]\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\noutputs:\n  web_url: {{value: load_balancer.web.dns_name, description: Where users go}}\n  zone: {{value: load_balancer.web.canonical_zone}}\n  app_arn: {{value: target_group.app.arn}}\n  web_suffix: {{value: load_balancer.web.arn_suffix}}\n  app_suffix: {{value: target_group.app.arn_suffix}}\n  sg_arn: {{value: security_group.web.arn}}\n"
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = run(&["apply", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shown = text(&o);
    assert!(
        shown.contains("Outputs:")
            && shown.contains("web_url = \"")
            && shown.contains("app_arn = \"arn:aws:elasticloadbalancing:"),
        "{shown}"
    );

    let o = run(&["output", f, "web_url"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let url = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(url.trim_end().contains(&format!("{name}-web")) && url.lines().count() == 1, "one bare value: {url:?}");

    let o = run(&["output", f, "-o", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["web_url"].as_str(), Some(url.trim_end()));
    assert!(doc["zone"].as_str().is_some_and(|z| !z.is_empty()));
    // What CloudWatch dimensions take, and a security group's ARN (for IAM conditions, say).
    assert!(doc["web_suffix"].as_str().is_some_and(|s| s.starts_with(&format!("app/{name}-web/"))), "{doc}");
    assert!(doc["app_suffix"].as_str().is_some_and(|s| s.starts_with(&format!("targetgroup/{name}-app/"))), "{doc}");
    assert!(
        doc["sg_arn"]
            .as_str()
            .is_some_and(|s| s.starts_with("arn:aws:ec2:us-east-1:") && s.contains(":security-group/sg-")),
        "{doc}"
    );

    let o = run(&["apply", f, "--auto-approve", "-o", "json"]);
    let events: Vec<Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let outputs = events.iter().find(|e| e["type"] == "outputs").expect("an outputs event when nothing changed");
    assert_eq!(outputs["outputs"]["web_url"]["description"], "Where users go");

    // An output added to a stack that exists is a planned write: shown, counted as a change,
    // published by apply, and then the plan is empty.
    let declared = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{declared}  app_name: {{value: target_group.app.name}}\n")).unwrap();
    let o = run(&["plan", f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("+ app_name = \"{name}-app\"")) && text(&o).contains("no resource changes"),
        "{}",
        text(&o)
    );
    let o = run(&["apply", f, "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("app_name = \"{name}-app\"")), "{}", text(&o));
    assert_eq!(run(&["plan", f, "--detailed-exitcode"]).status.code(), Some(0), "the published outputs match");
    // Outputs removed from the stack leave the published copy: planned, then removed.
    std::fs::write(&file, declared.split("outputs:").next().unwrap()).unwrap();
    let o = run(&["plan", f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("- web_url = \"") && text(&o).contains("-> null"), "{}", text(&o));
    assert_eq!(run(&["apply", f, "--auto-approve"]).status.code(), Some(0));
    assert_eq!(run(&["plan", f, "--detailed-exitcode"]).status.code(), Some(0), "nothing is published any more");
    std::fs::write(&file, &declared).unwrap();

    let o = run(&["output", f, "web_ur1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("did you mean `web_url`?"), "{}", text(&o));
    assert_eq!(run(&["destroy", f, "--auto-approve"]).status.code(), Some(0));
    let o = run(&["output", f, "web_url"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("apply the stack first"), "{}", text(&o));
}
