//! What a user sees when something is wrong outside the stack: one line each, within seconds,
//! with what lbstack was doing, the AWS code and message (and request id), and a hint. Never the
//! SDK's Debug dump.

use crate::faults::{self, FaultProxy};
use crate::support::{lbstack, unique};
use std::time::{Duration, Instant};

/// `lbstack plan|apply` of a small stack with this environment; stderr, checked to be fast and one line.
fn failing(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = lbstack();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", std::env::temp_dir().join("lbstack-no-home"))
        .env("NO_COLOR", "1");
    cmd.env("AWS_EC2_METADATA_DISABLED", "true").current_dir(crate::support::repo_root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let o = cmd.args(args).stdin(std::process::Stdio::null()).output().unwrap();
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(3), "took {took:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    for dump in ["ServiceError {", "DispatchFailure(", "ErrorMetadata", "SdkBody", "headers:"] {
        assert!(!err.contains(dump), "a Debug dump: {err}");
    }
    lines[0].to_string()
}

const KEYS: [(&str, &str); 2] = [("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "example")];

#[test]
fn the_endpoint_is_down() {
    let env = [KEYS[0], KEYS[1], ("AWS_REGION", "us-east-1"), ("LBSTACK_ENDPOINT_URL", "http://127.0.0.1:9")];
    insta::assert_snapshot!(failing(&["plan", "examples/minimal-alb.yaml"], &env));
}

#[test]
fn the_endpoint_does_not_resolve() {
    let env =
        [KEYS[0], KEYS[1], ("AWS_REGION", "us-east-1"), ("LBSTACK_ENDPOINT_URL", "http://no-such-host.invalid:4566")];
    insta::assert_snapshot!(failing(&["plan", "examples/minimal-alb.yaml"], &env));
}

#[test]
fn there_are_no_credentials() {
    let env = [("AWS_REGION", "us-east-1"), ("LBSTACK_ENDPOINT_URL", crate::support::emulator_endpoint())];
    insta::assert_snapshot!(failing(&["plan", "examples/minimal-alb.yaml"], &env));
}

#[test]
fn there_is_no_region() {
    let env = [KEYS[0], KEYS[1], ("LBSTACK_ENDPOINT_URL", crate::support::emulator_endpoint())];
    insta::assert_snapshot!(failing(&["plan", "examples/nlb.yaml"], &env));
}

/// A proxy that refuses one operation: the error line from a real-shaped AWS answer.
fn refused_by(operation: &'static str, code: &'static str, args: &[&str]) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt.block_on(FaultProxy::start(crate::support::emulator_endpoint(), faults::refuse(operation, code)));
    let env = [KEYS[0], KEYS[1], ("AWS_REGION", "us-east-1"), ("LBSTACK_ENDPOINT_URL", proxy.url.as_str())];
    let line = failing(args, &env);
    line.replace(&proxy.url, "http://[PROXY]")
}

#[test]
fn the_session_token_expired() {
    insta::assert_snapshot!(refused_by("GetCallerIdentity", "ExpiredToken", &["plan", "examples/minimal-alb.yaml"]));
}

#[test]
fn access_is_denied() {
    insta::assert_snapshot!(refused_by(
        "DescribeLoadBalancers",
        "AccessDenied",
        &["plan", "examples/minimal-alb.yaml"]
    ));
}

/// A failing step of an apply: its line in the report says the same, and nothing more.
#[test]
fn a_step_that_aws_refuses() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt.block_on(FaultProxy::start(
        crate::support::emulator_endpoint(),
        faults::refuse("CreateTargetGroup", "AccessDenied"),
    ));
    let name = unique("denied");
    let dir = std::env::temp_dir().join(format!("lbstack-errors-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!("version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\n"),
    )
    .unwrap();
    let mut cmd = lbstack();
    crate::support::lbstack_aws(&mut cmd).env("LBSTACK_ENDPOINT_URL", &proxy.url);
    let o = cmd.args(["apply", file.to_str().unwrap(), "--auto-approve"]).output().unwrap();
    let out = crate::support::output_text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let failed: Vec<&str> = out.lines().filter(|l| l.contains("FAILED")).collect();
    assert!(!failed.is_empty(), "{out}");
    for line in &failed {
        assert!(
            line.contains("AccessDenied: User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized")
                && line.contains("(request id req-fault-1)"),
            "{line}"
        );
        assert!(line.contains("Hint: the credentials in use lack permission"), "{line}");
    }
    assert!(!out.contains("ErrorMetadata") && !out.contains("SdkBody"), "{out}");
}

/// A step that takes long says so every 10 s, in lines and in JSON events.
#[test]
fn a_long_step_says_it_still_runs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy =
        rt.block_on(FaultProxy::start(crate::support::emulator_endpoint(), faults::delay("CreateTargetGroup", 11)));
    let name = unique("slow");
    let dir = std::env::temp_dir().join(format!("lbstack-errors-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!("version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let mut cmd = lbstack();
    crate::support::lbstack_aws(&mut cmd).env("LBSTACK_ENDPOINT_URL", &proxy.url);
    let o = cmd.args(["apply", f, "--auto-approve", "-o", "json"]).output().unwrap();
    assert!(o.status.success(), "{}", crate::support::output_text(&o));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"version"));
    assert_eq!(kinds.last(), Some(&"change_summary"));
    let beat = events.iter().find(|e| {
        e["type"] == "apply_progress"
            && e["@message"].as_str().unwrap_or_default().contains("still creating... [10s elapsed]")
    });
    assert!(beat.is_some_and(|b| b["hook"]["resource"]["addr"] == "target_group.app"), "{kinds:?}");
    assert!(
        events.iter().any(|e| e["type"] == "apply_complete" && e["hook"]["resource"]["addr"] == "target_group.app")
    );
    assert!(crate::support::run_aws(&["destroy", f, "--auto-approve"]).status.success());
}

#[test]
fn a_region_that_is_no_region_name_fails_at_once() {
    let env =
        [KEYS[0], KEYS[1], ("AWS_REGION", "mars-1"), ("LBSTACK_ENDPOINT_URL", crate::support::emulator_endpoint())];
    insta::assert_snapshot!(failing(&["plan", "examples/nlb.yaml"], &env));
}

/// A region of the right shape that the endpoint does not serve fails in seconds, as a region
/// problem (not a server fault to retry).
#[test]
fn a_region_the_endpoint_does_not_serve_is_named() {
    let env = [KEYS[0], KEYS[1], ("LBSTACK_ENDPOINT_URL", crate::support::emulator_endpoint())];
    insta::assert_snapshot!(failing(&["plan", "examples/nlb.yaml", "--region", "us-est-1"], &env));
}

/// `-v` shows what a slow run is doing: each AWS call with its status and time, the SDK's retry
/// of a throttled call, and each wait, on stderr; never the credentials or a request body.
#[test]
fn verbose_logs_calls_retries_and_waits_and_no_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The first CreateTargetGroup is throttled; the SDK's retry goes through.
    let throttle_once: faults::Schedule = Box::new(|log, op, _| {
        if op == "CreateTargetGroup" && !log.iter().any(|c| c.operation == op) {
            faults::Fault::Throttle
        } else {
            faults::Fault::Pass
        }
    });
    let proxy = rt.block_on(FaultProxy::start(crate::support::emulator_endpoint(), throttle_once));
    let name = unique("verbose");
    let dir = std::env::temp_dir().join(format!("lbstack-errors-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!(
            "version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
        ),
    )
    .unwrap();
    let (secret, token) = ("verbose-secret-key-7f3a", "verbose-session-token-91c2");
    let run = |args: &[&str]| {
        let mut cmd = lbstack();
        crate::support::lbstack_aws(&mut cmd)
            .env("LBSTACK_ENDPOINT_URL", &proxy.url)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", token);
        cmd.args(args).arg(file.to_str().unwrap()).output().unwrap()
    };
    let o = run(&["apply", "-v", "--auto-approve"]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.lines().any(|l| l.contains("DEBUG lbstack::aws: STS.GetCallerIdentity HTTP 200 in ")), "{err}");
    let retried = err
        .lines()
        .find(|l| l.contains("CreateTargetGroup [target_group.app] retry, attempt 2, after HTTP 400 in "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(retried.contains("Throttling"), "{retried}");
    assert!(
        err.lines()
            .any(|l| l.contains("CreateTargetGroup [target_group.app] HTTP 200 in ") && l.ends_with("ms (2 attempts)")),
        "{err}"
    );
    assert!(err.contains(&format!("waiting until {name}-web is active [load_balancer.web]")), "{err}");
    assert!(
        err.lines().any(|l| l.contains(&format!("done waiting until {name}-web is active [load_balancer.web] after "))),
        "{err}"
    );
    for hidden in [secret, token, "Authorization", "x-amz-security-token", "Action="] {
        assert!(!err.contains(hidden), "{hidden} in the log: {err}");
    }
    // Without -v, none of it; and the retried apply converged.
    let o = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}", crate::support::output_text(&o));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("DEBUG"), "{}", String::from_utf8_lossy(&o.stderr));
    // LBSTACK_LOG takes a level, and only a level: the SDK's own trace events print requests.
    let mut cmd = lbstack();
    crate::support::lbstack_aws(&mut cmd).env("LBSTACK_LOG", "aws_smithy_runtime=trace");
    let o = cmd.args(["plan", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a level"));
    let o = run(&["destroy", "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}
