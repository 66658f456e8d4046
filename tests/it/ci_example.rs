//! examples/ci/github-actions.yml, run as GitHub would run its `run:` steps (`bash -e` by default,
//! `bash -eo pipefail` under `shell: bash`; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), against
//! the embedded emulator. Steps that
//! `uses:` an action are GitHub's; `gh` is a stand-in that records what it was asked.

use crate::support::{emulator_endpoint, repo_root, unique};
use std::path::Path;
use std::process::Command;

/// (job, step name, script) of every `run:` step, in order.
fn run_steps(workflow: &str) -> Vec<(String, String, String)> {
    let mut steps = Vec::new();
    let (mut job, mut name) = (String::new(), String::new());
    let lines: Vec<&str> = workflow.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        i += 1;
        if indent == 2 && text.ends_with(':') && !text.starts_with('#') && lines[..i].contains(&"jobs:") {
            job = text.trim_end_matches(':').to_string();
        } else if let Some(n) = text.strip_prefix("- name: ") {
            name = n.to_string();
        } else if text.starts_with("- uses:") {
            name.clear();
        } else if let Some(script) = text.strip_prefix("run: ") {
            if script == "|" {
                let mut body = Vec::new();
                while i < lines.len()
                    && (lines[i].trim().is_empty() || lines[i].len() - lines[i].trim_start().len() > indent)
                {
                    body.push(lines[i].get(indent + 2..).unwrap_or_default());
                    i += 1;
                }
                steps.push((job.clone(), name.clone(), body.join("\n")));
            } else {
                steps.push((job.clone(), name.clone(), script.to_string()));
            }
        }
    }
    steps
}

/// How GitHub runs a `run:` step on Linux: `bash -e {0}` when no shell is named, and
/// `bash --noprofile --norc -eo pipefail {0}` under `shell: bash` (the workflow's defaults here).
fn shell_flags(workflow: &str) -> &'static [&'static str] {
    if workflow.contains("defaults:\n  run:\n    shell: bash\n") {
        &["--noprofile", "--norc", "-eo", "pipefail", "-c"]
    } else {
        &["-e", "-c"]
    }
}

fn run_step(dir: &Path, stack: &Path, flags: &[&str], script: &str, endpoint: &str) -> std::process::Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_lbstack")).parent().unwrap().to_path_buf();
    let path =
        format!("{}:{}:{}", dir.join("bin").display(), bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("bash")
        .args(flags)
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("STACK", stack)
        .env("GITHUB_OUTPUT", dir.join("github_output"))
        .env("GITHUB_STEP_SUMMARY", dir.join("step_summary.md"))
        .env("PR", "7")
        .env("GH_TOKEN", "not-a-token")
        .env("NO_COLOR", "1")
        .env("LBSTACK_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_github_actions_example_runs() {
    let workflow = std::fs::read_to_string(repo_root().join("examples/ci/github-actions.yml")).unwrap();
    let steps = run_steps(&workflow);
    let names: Vec<(&str, &str)> = steps.iter().map(|(j, n, _)| (j.as_str(), n.as_str())).collect();
    assert_eq!(
        names,
        [
            ("plan", "Install lbstack"),
            ("plan", "Validate"),
            ("plan", "Lint"),
            ("plan", "Plan"),
            ("plan", "Comment the plan"),
            ("apply", "Install lbstack"),
            ("apply", "Apply"),
            ("apply", "Re-plan (must be empty)"),
        ]
    );

    let name = unique("ci");
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let stack = dir.join("web.yaml");
    std::fs::write(
        &stack,
        format!("version: 1\nstack: {name}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080, health_check: {{path: /health}}}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"),
    )
    .unwrap();
    // `gh`: records its arguments; `--edit-last` fails as it does before the first comment.
    let gh = dir.join("bin/gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/../gh_calls\"\ncase \"$*\" in *--edit-last*) exit 1;; esac\n",
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let flags = shell_flags(&workflow);
    // A failed apply fails its step (the endpoint is down here): a pipe into `tee` must not hide it.
    let apply = &steps.iter().find(|(_, n, _)| n == "Apply").unwrap().2;
    let o = run_step(&dir, &stack, flags, apply, "http://127.0.0.1:9");
    assert!(!o.status.success(), "the Apply step passed with the endpoint down:\n{}", crate::support::output_text(&o));
    // And the failure before any plan is an event of the JSON log too.
    let log = std::fs::read_to_string(dir.join("apply.jsonl")).unwrap();
    let event: serde_json::Value = serde_json::from_str(log.lines().last().expect("one event")).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["diagnostic"]["severity"].as_str()),
        (Some("diagnostic"), Some("error")),
        "{log}"
    );
    assert!(event["diagnostic"]["summary"].as_str().unwrap().contains("GetCallerIdentity"), "{log}");
    for (job, step, script) in steps.iter().filter(|(_, n, _)| n != "Install lbstack") {
        let o = run_step(&dir, &stack, flags, script, emulator_endpoint());
        assert!(o.status.success(), "{job} / {step} failed:\n{}", crate::support::output_text(&o));
    }

    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let sarif: serde_json::Value = serde_json::from_str(&read("lbstack.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(read("github_output").contains("changes=true"));
    assert!(read("step_summary.md").contains(&format!("### lbstack plan for `{name}`")));
    assert!(read("step_summary.md").contains("to add"));
    let saved: serde_json::Value = serde_json::from_str(&read("plan.json")).unwrap();
    assert!(saved["resource_changes"].as_array().is_some_and(|c| !c.is_empty()), "{saved}");
    assert_eq!(read("gh_calls"), "pr comment 7 --body-file plan.md --edit-last\npr comment 7 --body-file plan.md\n");
    let events: Vec<serde_json::Value> =
        read("apply.jsonl").lines().map(|l| serde_json::from_str(l).expect("one JSON event per line")).collect();
    assert!(events.iter().any(|e| e["type"] == "apply_complete"));
    assert_eq!(events.last().unwrap()["type"], "change_summary");

    let o = crate::support::run_aws(&["destroy", stack.to_str().unwrap(), "--auto-approve"]);
    assert!(o.status.success(), "{}", crate::support::output_text(&o));
}
