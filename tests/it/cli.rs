//! The `lbstack` binary: exit codes, JSON diagnostics with ranges, schema and docs output.

use crate::support::{lbstack, output_text, repo_root};
use serde_json::Value;

#[test]
fn validate_exit_codes() {
    let ok = lbstack().args(["validate", "stacks/shop.yaml", "examples/nlb.yaml"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let bad = lbstack()
        .args(["validate", "stacks/shop.yaml", "tests/fixtures/invalid/08-unknown-reference.yaml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(text.contains("stacks/shop.yaml: valid"), "{text}");
    assert!(text.contains("08-unknown-reference.yaml:14:35"), "{text}");
    assert!(text.contains("help: did you mean `app`?") || text.contains("unknown target group `ap`"), "{text}");
}

#[test]
fn validate_json_has_ranges() {
    let out = lbstack()
        .args(["validate", "--output", "json", "tests/fixtures/invalid/11-port-out-of-range.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["valid"], false);
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "/load_balancers/web/listeners/http/port", "a JSON pointer");
    assert_eq!(d["range"]["start"]["line"], 12);
    assert_eq!(d["range"]["start"]["column"], 15);
    assert_eq!(d["range"]["end"]["column"], 20);
    assert_eq!(d["code"], "schema", "the check that found it");

    // Every diagnostic carries a stable code: the check, or the kind of resource it is about.
    let out = lbstack()
        .args(["validate", "--output", "json", "tests/fixtures/invalid/85-output-names.yaml"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = doc["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().expect("a code"))
        .collect();
    assert!(codes.contains(&"output") && codes.contains(&"reference"), "{codes:?}");
}

#[test]
fn strict_turns_warnings_into_failure() {
    let dir = tempdir();
    let file = dir.join("unused.yaml");
    std::fs::write(&file, "version: 1\nstack: u\ntarget_groups:\n  lonely: {protocol: HTTP, port: 80}\n").unwrap();
    let relaxed = lbstack().args(["validate"]).arg(&file).output().unwrap();
    assert_eq!(relaxed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&relaxed.stdout).contains("1 warning"));
    let strict = lbstack().args(["validate", "--strict"]).arg(&file).output().unwrap();
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn unreadable_file_is_a_clear_error() {
    let out = lbstack().args(["validate", "does/not/exist.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot read the file"));
}

#[test]
fn schema_is_valid_json_and_describes_the_format() {
    let out = lbstack().arg("schema").output().unwrap();
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(schema["properties"]["load_balancers"].is_object());
    assert!(schema["$defs"]["TargetGroup"]["properties"]["health_check"].is_object());
    // A number field also takes a whole `${var.x}`; its range stays.
    assert_eq!(schema["$defs"]["HealthCheck"]["properties"]["interval"]["anyOf"][0]["maximum"], 300);
}

#[test]
fn committed_docs_and_schema_are_current() {
    let docs = lbstack().arg("docs").output().unwrap();
    let committed = std::fs::read_to_string(repo_root().join("docs/stack-format.md")).unwrap();
    assert!(
        committed == String::from_utf8(docs.stdout).unwrap(),
        "docs/stack-format.md is stale: run `cargo run -- docs > docs/stack-format.md`"
    );
    let schema = lbstack().arg("schema").output().unwrap();
    let committed = std::fs::read_to_string(repo_root().join("docs/stack-schema.json")).unwrap();
    assert!(
        committed == String::from_utf8(schema.stdout).unwrap(),
        "docs/stack-schema.json is stale: run `cargo run -- schema > docs/stack-schema.json`"
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lbstack-cli-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = lbstack().args(["completions", shell]).output().unwrap();
        assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("apply"), "{shell}");
    }
    let man = lbstack().arg("man").output().unwrap();
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(man.status.success() && text.contains(".TH lbstack 1") && text.contains("destroy"), "{text}");
}

/// `--var-file`: values from per-environment files, later files over earlier ones, `--var` over
/// every file; a broken file is one line naming its file, line and column, without quoting it.
#[test]
fn var_files_set_variables_and_var_wins() {
    let dir = tempdir();
    let stack = dir.join("vars.yaml");
    std::fs::write(&stack, "version: 1\nstack: vars-${var.env}\nvariables:\n  env: {allowed: [dev, prod]}\n  port: 80\ntarget_groups:\n  web: {protocol: HTTP, port: \"${var.port}\"}\n").unwrap();
    std::fs::write(dir.join("dev.yaml"), "env: dev\nport: 8080\n").unwrap();
    std::fs::write(dir.join("prod.yaml"), "env: prod\n").unwrap();
    std::fs::write(dir.join("nested.yaml"), "env: dev\nport: {secret-looking: hunter2}\n").unwrap();
    let plan_json = |args: &[&str]| {
        let out = lbstack().arg("validate").arg(&stack).args(args).args(["-o", "json"]).output().unwrap();
        (out.status.code(), output_text(&out))
    };
    let dev = dir.join("dev.yaml");
    let prod = dir.join("prod.yaml");
    assert_eq!(plan_json(&["--var-file", dev.to_str().unwrap()]).0, Some(0));
    let (code, text) = plan_json(&[]);
    assert_eq!(code, Some(1), "`env` has no default: {text}");
    // The later file wins: its port is the one checked.
    std::fs::write(dir.join("far.yaml"), "port: 70000\n").unwrap();
    let far = dir.join("far.yaml");
    let (code, text) = plan_json(&["--var-file", dev.to_str().unwrap(), "--var-file", far.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(text.contains("70000"), "{text}");
    assert_eq!(plan_json(&["--var-file", far.to_str().unwrap(), "--var-file", dev.to_str().unwrap()]).0, Some(0));
    assert_eq!(plan_json(&["--var-file", prod.to_str().unwrap()]).0, Some(0));
    // `--var` wins over the files.
    let (code, text) = plan_json(&["--var-file", dev.to_str().unwrap(), "--var", "env=staging"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("`staging`, which is not allowed"), "{text}");

    let nested = dir.join("nested.yaml");
    let out = lbstack().arg("validate").arg(&stack).arg("--var-file").arg(&nested).output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains(&format!("{}:2:7: variable `port` is not a string, number or boolean", nested.display())),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "the file is never quoted: {text}");
    let out = lbstack().args(["schema", "--var-file"]).arg(&dev).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a command without variables refuses the file");
}

/// Terraform's single-dash options get a plain answer, not clap's `-- -v` tip; and `output` on a
/// stack without outputs says so instead of printing nothing.
#[test]
fn terraform_habits_and_a_stack_without_outputs_are_answered_plainly() {
    for (arg, ours) in [("-var", "--var"), ("-auto-approve", "--auto-approve"), ("-out=plan.json", "--out")] {
        let o = lbstack().args(["plan", "examples/minimal-alb.yaml", arg, "x=1"]).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("lbstack takes `{ours}` (two dashes)")) && !err.contains("-- -"), "{err}");
    }
    let o = lbstack().args(["output", "examples/minimal-alb.yaml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("declares no `outputs:`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The editor schema (`lbstack schema`) agrees with `validate`, checked with a JSON Schema
/// validator of its own: every valid stack of the repository passes it as written (variables,
/// numbers written for strings and all), and invalid fixtures whose mistake is one of shape fail.
#[test]
fn the_editor_schema_agrees_with_validate() {
    let out = lbstack().arg("schema").output().unwrap();
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let as_written = |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let (node, _) = lbstack::stack_format::yaml::parse(&text);
        lbstack::stack_format::values::to_json(&node.expect("parses"), &mut Default::default())
    };
    let mut valid = vec![repo_root().join("stacks/shop.yaml")];
    for dir in ["examples", "tests/fixtures/valid"] {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                valid.push(path);
            }
        }
    }
    for path in &valid {
        let errors: Vec<String> =
            validator.iter_errors(&as_written(path)).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{} fails the editor schema: {errors:#?}", path.display());
    }
    // Shapes validate refuses, the editor refuses too.
    for yaml in [
        "version: 2\nstack: shop\n",
        "version: 1\nstack: \"bad name!\"\n",
        "version: 1\nstack: shop\nregion: mars\n",
        "version: 1\nstack: shop\ntarget_groups:\n  app: {protocol: HTTP, port: eighty}\n",
        "version: 1\nstack: shop\ntarget_grups: {}\n",
    ] {
        let (node, _) = lbstack::stack_format::yaml::parse(yaml);
        let doc = lbstack::stack_format::values::to_json(&node.unwrap(), &mut Default::default());
        assert!(!validator.is_valid(&doc), "the editor schema accepts:\n{yaml}");
        assert!(
            lbstack::stack_format::load_str("s.yaml", yaml, None, &[]).report.has_errors(),
            "validate accepts:\n{yaml}"
        );
    }
}

/// The main commands' help ends with examples, and every flag an example uses exists.
#[test]
fn help_has_examples_that_work() {
    for sub in ["validate", "plan", "apply", "destroy", "policy"] {
        let help = String::from_utf8(lbstack().args([sub, "--help"]).output().unwrap().stdout).unwrap();
        let examples =
            help.split("Examples:").nth(1).unwrap_or_else(|| panic!("`lbstack {sub} --help` has no examples:\n{help}"));
        for line in examples.lines().map(str::trim).filter(|l| l.starts_with("lbstack ")) {
            let words: Vec<&str> = line.split(" #").next().unwrap().split_whitespace().collect();
            let help_of = String::from_utf8(lbstack().args([words[1], "--help"]).output().unwrap().stdout).unwrap();
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                assert!(help_of.contains(flag), "`{line}`: `lbstack {}` has no `{flag}`", words[1]);
            }
        }
    }
}

/// `lbstack man --out DIR` writes every page lbstack's own page names (`lbstack-plan(1)`, ...),
/// each with its exit status and environment.
#[test]
fn man_pages_exist_for_every_command() {
    let dir = std::env::temp_dir().join(format!("lbstack-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = lbstack().args(["man", "--out", dir.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let main = std::fs::read_to_string(dir.join("lbstack.1")).unwrap();
    let help = String::from_utf8(lbstack().arg("--help").output().unwrap().stdout).unwrap();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(commands.len() > 10, "{commands:?}");
    for sub in commands.iter().filter(|c| **c != "help") {
        let page = std::fs::read_to_string(dir.join(format!("lbstack-{sub}.1")))
            .unwrap_or_else(|e| panic!("lbstack-{sub}.1: {e}"));
        assert!(page.contains(".SH \"EXIT STATUS\"") && page.contains(".SH ENVIRONMENT"), "lbstack-{sub}.1");
        assert!(main.contains(&format!("lbstack\\-{sub}(1)")), "lbstack.1 names lbstack-{sub}(1)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
