//! `lbstack lint`: every rule fires on its fixture (the clean stack with one thing changed) and is
//! silent on the clean stack; silencing needs a known rule and a reason; SARIF for code scanning.

use crate::support::{lbstack, repo_root};
use lbstack::lint;
use serde_json::Value;

fn findings(path: &std::path::Path) -> Vec<&'static str> {
    let loaded = lbstack::stack_format::load_file(path, &[]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let stack = loaded.stack.unwrap();
    let (kept, problems, _) = lint::apply_ignores(&stack, lint::check(&stack));
    assert!(problems.is_empty());
    let mut ids: Vec<&str> = kept.iter().map(|f| f.rule.id).collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn the_clean_stack_is_silent_for_every_rule() {
    let path = repo_root().join("tests/fixtures/lint/clean.yaml");
    let s = lbstack::stack_format::load_file(&path, &[]).stack.unwrap();
    assert!(lint::is_production(&s), "production rules are on for the clean stack");
    assert_eq!(findings(&path), Vec::<&str>::new());
}

#[test]
fn every_rule_fires_on_its_fixture_and_nothing_else_does() {
    assert!(lint::RULES.len() >= 20);
    for rule in lint::RULES {
        let path = repo_root().join(format!("tests/fixtures/lint/fires/{}.yaml", rule.id));
        assert!(path.exists(), "{} has no firing fixture", rule.id);
        assert_eq!(findings(&path), vec![rule.id], "{}", path.display());
    }
    insta::glob!("../fixtures/lint/fires", "*.yaml", |path| {
        let rel = path.strip_prefix(repo_root()).unwrap();
        let out = lbstack().args(["lint", &rel.display().to_string()]).output().unwrap();
        insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    });
}

fn with_ignore(fixture: &str, ignore: &str) -> Vec<&'static str> {
    let text = std::fs::read_to_string(repo_root().join(format!("tests/fixtures/lint/fires/{fixture}.yaml"))).unwrap()
        + ignore;
    let loaded = lbstack::stack_format::load_str("t.yaml", &text, None, &[]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let stack = loaded.stack.unwrap();
    let (kept, _, _) = lint::apply_ignores(&stack, lint::check(&stack));
    kept.iter().map(|f| f.rule.id).collect()
}

#[test]
fn findings_are_silenced_with_a_reason_per_rule_or_resource() {
    assert_eq!(
        with_ignore("LB004", "lint:\n  ignore:\n    - {rule: LB004, reason: \"internal users only, behind a VPN\"}\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        with_ignore("LB004", "lint:\n  ignore:\n    - {rule: LB004, reason: test, resource: load_balancers.web}\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        with_ignore("LB004", "lint:\n  ignore:\n    - {rule: LB004, reason: test, resource: load_balancers.other}\n"),
        vec!["LB004"],
        "another resource's silence"
    );

    // A silence without a reason, or of an unknown rule, is an error with a position.
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/lint/clean.yaml")).unwrap();
    let loaded = lbstack::stack_format::load_str(
        "t.yaml",
        &(text.clone() + "lint:\n  ignore:\n    - {rule: LB004, reason: \"\"}\n"),
        None,
        &[],
    );
    assert!(loaded.report.has_errors(), "an empty reason is refused");
    let loaded = lbstack::stack_format::load_str(
        "t.yaml",
        &(text + "lint:\n  ignore:\n    - {rule: LB04, reason: typo}\n"),
        None,
        &[],
    );
    let stack = loaded.stack.unwrap();
    let (_, problems, _) = lint::apply_ignores(&stack, lint::check(&stack));
    let report = lint::to_report(loaded.report.clone(), &[], problems, &loaded.index);
    let short = report.render_short();
    assert!(
        short.contains("t.yaml:")
            && short.contains("`LB04` is not a lint rule")
            && short.contains("did you mean `LB004`?"),
        "{short}"
    );
}

#[test]
fn exit_codes_json_and_sarif() {
    let warn = "tests/fixtures/lint/fires/LB004.yaml";
    let err = "tests/fixtures/lint/fires/SG001.yaml";
    assert_eq!(lbstack().args(["lint", warn]).output().unwrap().status.code(), Some(0));
    assert_eq!(lbstack().args(["lint", warn, "--strict"]).output().unwrap().status.code(), Some(1));
    assert_eq!(lbstack().args(["lint", err]).output().unwrap().status.code(), Some(1));

    let out = lbstack().args(["lint", warn, "--output", "json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(d["path"], "/load_balancers/web");
    assert_eq!(d["range"]["start"]["line"], 26, "at the key `web:`");

    let out = lbstack().args(["lint", warn, err, "--output", "sarif"]).output().unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
    assert!(sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len() >= 20);
    // Each rule says how to read it: help text and the guide's page.
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["help"]["text"].as_str().is_some_and(|t| t.len() > 20), "{rule}");
        assert_eq!(rule["helpUri"], lbstack::lint::LINT_GUIDE);
    }
    assert!(std::path::Path::new(&crate::support::repo_root().join("docs/lint.md")).exists(), "the page helpUri names");
    let result = &sarif["runs"][1]["results"][0];
    assert_eq!(result["ruleId"], "SG001");
    assert_eq!(result["level"], "error");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], err);
    assert!(result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() > 1);
}

#[test]
fn reference_stack_and_examples() {
    let mut files = vec!["stacks/shop.yaml".to_string()];
    let mut examples: Vec<String> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    examples.sort();
    files.extend(examples);
    let out = lbstack().arg("lint").args(&files).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
