//! `validate` on every fixture: invalid stacks produce exactly the snapshotted diagnostics (with
//! positions); the reference stack and every example are clean.

use crate::support::repo_root;
use lbstack::stack_format;

#[test]
fn invalid_fixtures_report_their_mistakes() {
    insta::glob!("../fixtures/invalid", "*.yaml", |path| {
        let rel = path.strip_prefix(repo_root()).unwrap();
        let loaded = stack_format::load_file(rel, &[]);
        assert!(loaded.report.has_errors(), "{} should not validate", rel.display());
        let text = format!("{}\n{}", loaded.report.render_short(), loaded.report.render_human(false));
        insta::assert_snapshot!(text);
    });
}

#[test]
fn reference_stack_and_examples_are_clean() {
    let mut files = vec![repo_root().join("stacks/shop.yaml")];
    let dirs = [repo_root().join("examples"), repo_root().join("tests/fixtures/valid")];
    for entry in dirs.iter().flat_map(|d| std::fs::read_dir(d).unwrap()) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    assert!(files.len() >= 5, "the reference stack and at least four examples");
    for file in files {
        let loaded = stack_format::load_file(&file, &[]);
        assert!(loaded.stack.is_some(), "{} loads", file.display());
        // Only the kitchen sink may warn (it declares an unused group on purpose).
        let errors_or_unexpected =
            loaded.report.diagnostics.iter().any(|d| d.is_error() || !file.to_string_lossy().contains("kitchen-sink"));
        assert!(!errors_or_unexpected, "{}:\n{}", file.display(), loaded.report.render_short());
    }
}

#[test]
fn both_colours_of_the_reference_stack_are_clean() {
    for color in ["blue", "green"] {
        let loaded = stack_format::load_file(&repo_root().join("stacks/shop.yaml"), &[("color".into(), color.into())]);
        let stack = loaded.stack.expect("loads");
        assert_eq!(stack.stack, format!("shop-{color}"));
        assert!(loaded.report.diagnostics.is_empty(), "{}", loaded.report.render_short());
    }
}

#[test]
fn variables_keep_their_types() {
    let text = "version: 1\nstack: v-${var.port}\nvariables:\n  port: 8080\n  tls: \"443\"\ntarget_groups:\n  a:\n    protocol: HTTP\n    port: ${var.port}\n  b: {protocol: HTTP, port: \"${var.tls}\"}\n";
    let loaded = stack_format::load_str("v.yaml", text, None, &[("port".into(), "9090".into())]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let stack = loaded.stack.expect("loads");
    // Unquoted in block style, and quoted alone inside a flow map: both keep the number type.
    assert_eq!(stack.target_groups["a"].port, Some(9090));
    assert_eq!(stack.target_groups["b"].port, Some(443));
    // Inside a longer string, the value is text.
    assert_eq!(stack.stack, "v-9090");

    let unquoted_in_flow =
        "version: 1\nstack: v\nvariables: {p: 1}\ntarget_groups:\n  a: {protocol: HTTP, port: ${var.p}}\n";
    let loaded = stack_format::load_str("flow.yaml", unquoted_in_flow, None, &[]);
    let d = &loaded.report.diagnostics[0];
    assert!(d.summary.starts_with("YAML syntax error"));
    assert!(d.hint.as_deref().unwrap().contains("quote a value that uses a variable"), "{d:?}");
}

#[test]
fn a_cooldown_shorter_than_the_warmup_is_a_warning_at_the_cooldown() {
    let text = "version: 1\nstack: w\nlaunch_templates:\n  lt: {image: ami-0123456789abcdef0, instance_type: t3.micro}\nautoscaling_groups:\n  app: {min: 1, max: 4, launch_template: lt, default_instance_warmup: 300}\nscaling_policies:\n  in:\n    group: app\n    simple: {adjust: -1, cooldown: 60}\nalarms:\n  low: {metric: CPUUtilization, dimensions: {autoscaling_group: app}, threshold: 10, comparison: \"<\", actions: [in]}\n";
    let loaded = stack_format::load_str("w.yaml", text, None, &[]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    let d = &loaded.report.diagnostics;
    assert_eq!(d.len(), 1, "{}", loaded.report.render_short());
    assert!(d[0].summary.contains("cooldown 60 s is shorter than the 300 s"), "{:?}", d[0]);
    assert!(loaded.report.render_short().contains("w.yaml:10:"), "{}", loaded.report.render_short());
}

#[test]
fn top_level_x_keys_hold_anchors_and_are_ignored() {
    let loaded = stack_format::load_file(&repo_root().join("tests/fixtures/valid/extension-fields.yaml"), &[]);
    assert!(loaded.report.diagnostics.is_empty(), "{}", loaded.report.render_short());
    let stack = loaded.stack.expect("loads");
    let (api, web) = (&stack.target_groups["api"], &stack.target_groups["web"]);
    assert_eq!((api.port, web.port), (Some(8080), Some(8081)));
    let paths = [api, web].map(|g| g.health_check.as_ref().and_then(|h| h.path.clone()));
    assert_eq!(paths, [Some("/health".to_string()), Some("/".to_string())]);
    // Only at the top level: elsewhere an `x-` key is as unknown as any other.
    let nested = "version: 1\nstack: n\ntarget_groups:\n  a: {protocol: HTTP, port: 80, x-note: hi}\n";
    let loaded = stack_format::load_str("n.yaml", nested, None, &[]);
    assert!(loaded.report.render_short().contains("x-note"), "{}", loaded.report.render_short());
}
