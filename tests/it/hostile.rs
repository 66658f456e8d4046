//! Stacks as an attacker or a careless user writes them: no secret leaves through lbstack, and
//! time, memory and output stay bounded. (Speed itself is measured by `bench/hostile.sh`; the
//! limits here are guards against blow-ups, far above what a release build takes.)

use crate::support::{lbstack, lbstack_aws, output_text, unique};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CANARY_SECRET: &str = "canarySecretQ9tXz7wLmN3vRb5";
const CANARY_TOKEN: &str = "canaryTokenK8sDf2GhJ4pWq6";

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lbstack-hostile-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A stack that tries every way to get the process's environment or a key into lbstack's output.
fn leaky_stack(dir: &Path, name: &str) -> PathBuf {
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("environ-link")).ok();
    std::fs::write(
        dir.join("key-in-user-data.sh"),
        "#!/bin/sh\ncat <<K\n-----BEGIN RSA PRIVATE KEY-----\nMIIBsecret\n-----END RSA PRIVATE KEY-----\nK\n",
    )
    .unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!(
            r#"version: 1
stack: {name}
tags:
  leaked: |
    -----BEGIN EC PRIVATE KEY-----
    MHcCAQEEIcanaryKeyMaterial
    -----END EC PRIVATE KEY-----
launch_templates:
  direct:
    image: ami-0123456789abcdef0
    instance_type: t3.micro
    user_data: /proc/self/environ
  linked:
    image: ami-0123456789abcdef0
    instance_type: t3.micro
    user_data: environ-link
  escaped:
    image: ami-0123456789abcdef0
    instance_type: t3.micro
    user_data: ../../../../../../proc/self/environ
  keyed:
    image: ami-0123456789abcdef0
    instance_type: t3.micro
    user_data: key-in-user-data.sh
"#
        ),
    )
    .unwrap();
    file
}

/// Every command a CI pipeline runs on a stack from a pull request, with credentials in the
/// environment: none of them prints the credentials, a key, or the process environment.
#[test]
fn no_secret_reaches_any_output() {
    let name = unique("leak");
    let dir = folder(&name);
    let file = leaky_stack(&dir, &name);
    let f = file.to_str().unwrap();
    let saved = dir.join("plan.json");
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate", f],
        vec!["validate", f, "--output", "json"],
        vec!["lint", f, "--output", "sarif"],
        vec!["graph", f],
        vec!["plan", f],
        vec!["plan", f, "--output", "json", "--out", saved.to_str().unwrap()],
        vec!["apply", f, "--auto-approve"],
        vec!["destroy", f, "--auto-approve"],
        vec!["status", f],
        vec!["simulate", f, "--load", "steady:rps=10"],
        // Also with the files fence opened: /proc stays closed.
        vec!["--allow-files-outside", "plan", f, "--output", "json"],
    ];
    for args in &runs {
        let mut cmd = lbstack();
        lbstack_aws(&mut cmd).env("AWS_SECRET_ACCESS_KEY", CANARY_SECRET).env("AWS_SESSION_TOKEN", CANARY_TOKEN);
        let o = cmd.args(args).output().unwrap();
        let text = output_text(&o);
        for secret in [CANARY_SECRET, CANARY_TOKEN, "canaryKeyMaterial", "MIIBsecret", "AWS_SECRET_ACCESS_KEY="] {
            assert!(!text.contains(secret), "`lbstack {}` printed {secret}:\n{text}", args.join(" "));
        }
        assert_eq!(o.status.code(), Some(1), "`lbstack {}` accepted the stack:\n{text}", args.join(" "));
    }
    assert!(!saved.exists() || !std::fs::read_to_string(&saved).unwrap().contains(CANARY_SECRET));
    // An endpoint that is down: the failure says so without a dump of the request (which would
    // carry the session token header).
    let mut cmd = lbstack();
    lbstack_aws(&mut cmd)
        .env("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
        .env("AWS_SESSION_TOKEN", CANARY_TOKEN)
        .env("LBSTACK_ENDPOINT_URL", "http://127.0.0.1:9");
    let o = cmd.args(["plan", "examples/minimal-alb.yaml"]).output().unwrap();
    let text = output_text(&o);
    assert!(!text.contains(CANARY_TOKEN) && !text.contains(CANARY_SECRET), "{text}");
    // A stack file that is itself a key is refused without showing it.
    let o = lbstack().args(["validate", "tests/fixtures/invalid/files/site.key"]).output().unwrap();
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(text.contains("PEM material") && !text.contains("MII"), "{text}");
}

/// Run `cmd` to the end and return its output with its own peak memory in MiB. Measured one
/// process down: on Linux a child spawned from this test process shares its memory until exec
/// and starts with its peak (which grows over a long `cargo test`), so python, small, runs the
/// command and reports its children's peak (RUSAGE_CHILDREN) into a file.
fn output_and_peak_mib(cmd: &mut std::process::Command) -> (std::process::Output, u64) {
    const MEASURE: &str = "import resource, subprocess, sys\nrc = subprocess.call(sys.argv[2:])\nopen(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\nsys.exit(rc)";
    let report =
        std::env::temp_dir().join(format!("lbstack-peak-{}-{:?}", std::process::id(), std::thread::current().id()));
    let mut measured = std::process::Command::new("python3");
    measured.arg("-c").arg(MEASURE).arg(&report).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        measured.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => measured.env(k, v),
            None => measured.env_remove(k),
        };
    }
    let output = measured.output().unwrap();
    let kib: u64 = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("the peak was not reported ({e}): {}", output_text(&output)))
        .trim()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&report);
    (output, kib / 1024)
}

/// `validate` of `text` (written to a file) ends within `limit` with exit 1, bounded output and
/// under 200 MiB of memory.
fn bounded(name: &str, text: &str, limit: Duration) -> String {
    assert!(text.len() < 1024 * 1024, "{name}: hostile inputs stay under 1 MB ({} bytes)", text.len());
    let dir = folder(name);
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).unwrap();
    let start = Instant::now();
    let (o, peak_mib) = output_and_peak_mib(lbstack().args(["validate", file.to_str().unwrap()]));
    let took = start.elapsed();
    let out = output_text(&o);
    assert!(took < limit, "{name}: validate took {took:?}");
    assert!(peak_mib < 200, "{name}: validate took {peak_mib} MiB");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{name}: exit {:?}\n{}",
        o.status.code(),
        &out[..out.len().min(2000)]
    );
    assert!(!out.contains("internal error") && !out.contains("panicked"), "{name}:\n{}", &out[..out.len().min(2000)]);
    assert!(out.len() < 256 * 1024, "{name}: {} bytes of output", out.len());
    out
}

#[test]
fn hostile_inputs_stay_bounded_in_time_memory_and_output() {
    let limit = Duration::from_secs(20);
    let head = "version: 1\nstack: s\n";
    // An alias of a long string, thousands of times.
    let long = "x".repeat(100_000);
    let mut t = format!("{head}a: &a {long}\ntags:\n");
    (0..5_000).for_each(|i| t.push_str(&format!("  k{i}: *a\n")));
    assert!(bounded("alias-of-long-text", &t, limit).contains("too much text"));
    // Nested aliases that multiply text.
    let mut t = format!("{head}l0: &l0 [{}]\n", vec![format!("\"{}\"", "z".repeat(1000)); 10].join(","));
    for i in 1..6 {
        t.push_str(&format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(",")));
    }
    bounded("alias-bomb-by-bytes", &t, limit);
    // A long variable used thousands of times.
    let mut t = format!("{head}variables:\n  v: {}\ntags:\n", "y".repeat(50_000));
    (0..2_000).for_each(|i| t.push_str(&format!("  k{i}: ${{var.v}}\n")));
    assert!(bounded("variable-many-times", &t, limit).contains("variables expand to more than"));
    // Variables doubling each other.
    let mut t = format!("{head}variables:\n  v0: {}\n", "w".repeat(100));
    for i in 1..40 {
        t.push_str(&format!("  v{i}: ${{var.v{}}}${{var.v{}}}\n", i - 1, i - 1));
    }
    t.push_str("tags: {t: \"${var.v39}\"}\n");
    bounded("variables-doubling", &t, limit);
    // Long keys under deep lists.
    let key = "k".repeat(2_000);
    let mut t = format!("{head}tags:\n");
    let mut indent = String::from("  ");
    for _ in 0..60 {
        t.push_str(&format!("{indent}{key}:\n"));
        indent.push_str("  ");
    }
    t.push_str(&format!("{indent}x: 1\n"));
    bounded("long-keys-deep", &t, limit);
    // 50,000 errors on one line.
    let line: Vec<String> = (0..50_000).map(|i| format!("k{i}: 1")).collect();
    let out = bounded("errors-on-one-line", &format!("{head}target_groups: {{{}}}\n", line.join(",")), limit);
    assert!(out.contains("and 49900 more"), "{}", &out[..2000]);
    // Many unknown keys each with a long name and a did-you-mean.
    let mut t = format!("{head}target_groups:\n  app:\n");
    (0..5_000).for_each(|i| t.push_str(&format!("    {}{i}: 1\n", "protoco".repeat(20))));
    bounded("long-unknown-keys", &t, limit);
    // Deep nesting past the limit.
    bounded("deep-nesting", &format!("{head}tags: {}{}\n", "[".repeat(200), "]".repeat(200)), limit);
}

/// A FIFO or a device as the stack file ends at once with a clear error.
#[test]
fn special_files_and_oversized_stacks_are_refused_before_parsing() {
    let dir = folder(&unique("special"));
    let fifo = dir.join("pipe.yaml");
    let _ = std::process::Command::new("mkfifo").arg(&fifo).status();
    for path in [fifo.to_str().unwrap(), "/dev/zero", "/dev/null"] {
        let start = Instant::now();
        let o = lbstack().args(["validate", path]).output().unwrap();
        assert!(start.elapsed() < Duration::from_secs(5), "{path} blocked");
        assert_eq!(o.status.code(), Some(1));
        assert!(output_text(&o).contains("not a regular file"), "{}", output_text(&o));
    }
    let big = dir.join("big.yaml");
    std::fs::write(&big, format!("version: 1\nstack: s\n# {}\n", "x".repeat(5 * 1024 * 1024))).unwrap();
    let o = lbstack().args(["validate", big.to_str().unwrap()]).output().unwrap();
    assert!(
        output_text(&o).contains("larger than 4194304 bytes") && output_text(&o).contains("--max-stack-bytes"),
        "{}",
        output_text(&o)
    );
    let o = lbstack().args(["--max-stack-bytes", "8000000", "validate", big.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
}
