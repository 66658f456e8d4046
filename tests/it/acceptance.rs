//! Acceptance on a real AWS account, opt-in as Terraform providers do with `TF_ACC`: these tests
//! run only with `LBSTACK_ACC=1` and credentials for a test account (`AWS_PROFILE` or the usual
//! variables, `AWS_REGION`), and are skipped otherwise. They drive the `lbstack` binary as a user
//! does, never the embedded emulator.
//!
//! What they create: per test, one internet-facing application load balancer in the default VPC,
//! one target group and one or two listeners, named `acc-<random>-...` and tagged with the stack.
//! Cost: a load balancer-hour is about 0.0225 USD (us-east-1); a run lasts 5-10 minutes, so
//! well under 0.05 USD. Every exit path destroys the stack (a guard runs `lbstack destroy`
//! even when an assertion fails); `lbstack plan --destroy` on the printed stack name finds
//! anything left by a killed run.
//!
//!   LBSTACK_ACC=1 AWS_PROFILE=sandbox AWS_REGION=us-east-1 cargo test --test it acceptance -- --test-threads=1

use crate::support::{lbstack, output_text, unique};
use std::path::PathBuf;
use std::process::{Command, Output};

/// Whether acceptance tests run: `LBSTACK_ACC=1`.
fn enabled() -> bool {
    std::env::var("LBSTACK_ACC").is_ok_and(|v| v == "1")
}

/// `lbstack` against the real account: the emulator's endpoint and fast clock removed.
fn real(args: &[&str]) -> Output {
    let mut cmd: Command = lbstack();
    cmd.env_remove("LBSTACK_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("LBSTACK_TIME_SCALE")
        .env("LBSTACK_ACTOR", "acceptance");
    cmd.args(args).stdin(std::process::Stdio::null()).output().expect("lbstack runs")
}

/// Destroys the stack on every way out of a test, a failed assertion included.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let o = real(&["destroy", self.0.to_str().unwrap(), "--auto-approve"]);
        if !o.status.success() {
            eprintln!("acceptance: destroying {} failed; run it by hand:\n{}", self.0.display(), output_text(&o));
        }
    }
}

fn stack(name: &str, interval: u32) -> String {
    format!(
        "version: 1\nstack: {name}\ntarget_groups:\n  app:\n    protocol: HTTP\n    port: 8080\n    health_check: {{path: /health, interval: {interval}}}\nload_balancers:\n  web:\n    listeners:\n      http: {{port: 80, protocol: HTTP, default_action: {{forward: app}}}}\n"
    )
}

/// Create, re-plan (empty), change in place, re-plan (empty), destroy, and nothing is left.
#[test]
fn acceptance_load_balancer_lifecycle() {
    if !enabled() {
        eprintln!("skipped: set LBSTACK_ACC=1 (and credentials for a test account) to run acceptance tests");
        return;
    }
    let name = unique("acc");
    let dir = std::env::temp_dir().join(format!("lbstack-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    let f = file.to_str().unwrap().to_string();
    std::fs::write(&file, stack(&name, 30)).unwrap();
    eprintln!("acceptance: stack {name} ({f})");
    let _cleanup = Cleanup(file.clone());

    let o = real(&["apply", &f, "--auto-approve"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = real(&["plan", &f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "the re-plan is empty:\n{}", output_text(&o));

    std::fs::write(&file, stack(&name, 15)).unwrap();
    let o = real(&["plan", &f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    let o = real(&["apply", &f, "--auto-approve"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = real(&["plan", &f, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "the re-plan is empty:\n{}", output_text(&o));

    let o = real(&["destroy", &f, "--auto-approve"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = real(&["plan", &f, "--destroy", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "nothing of the stack is left:\n{}", output_text(&o));
}
