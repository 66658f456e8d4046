//! `lbstack validate` and `lbstack lint`: offline, one report per file.

use super::*;

pub(super) fn validate(files: &[PathBuf], vars: &[(String, String)], output: Output, strict: bool, ui: Ui) -> Outcome {
    let mut failed = false;
    let mut json_reports = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let use_color = ui.color.enabled(Stream::Out);
    for file in files {
        let loaded = load_file(ui, file, vars);
        let report = &loaded.report;
        let has_warnings = report.diagnostics.iter().any(|d| !d.is_error());
        failed |= report.has_errors() || (strict && has_warnings);
        match output {
            Output::Json => json_reports.push(report.to_json()),
            Output::Human => {
                let _ = write!(out, "{}", report.render_human(use_color));
                let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
                let warnings = report.diagnostics.len() - errors;
                let status = match (errors, warnings) {
                    (0, 0) => format!("{}: valid", file.display()),
                    (0, w) => format!("{}: valid, {w} warning{}", file.display(), plural(w)),
                    (e, w) => format!("{}: {e} error{}, {w} warning{}", file.display(), plural(e), plural(w)),
                };
                let _ = writeln!(out, "{status}");
            }
        }
    }
    if output == Output::Json {
        let doc = serde_json::json!({ "format_version": "1.0", "valid": !failed, "files": json_reports });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).expect("json"));
    }
    if failed { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}

pub(super) fn lint(
    files: &[PathBuf],
    vars: &[(String, String)],
    output: LintOutput,
    strict: bool,
    list: bool,
    ui: Ui,
) -> Outcome {
    if list {
        for r in crate::lint::RULES {
            let sev = if r.severity == crate::diag::Severity::Error { "error" } else { "warning" };
            let scope = if r.production_only { " (production)" } else { "" };
            println!("{:<9} {:<7} {:<36} {}{scope}", r.id, sev, r.name, r.why);
        }
        return Ok(Exit::Success);
    }
    let mut failed = false;
    let mut docs = Vec::new();
    let use_color = ui.color.enabled(Stream::Out);
    for file in files {
        let loaded = load_file(ui, file, vars);
        let Some(stack) = loaded.stack.as_ref().filter(|_| !loaded.report.has_errors()) else {
            eprint!("{}", loaded.report.render_human(ui.color.enabled(Stream::Err)));
            eprintln!("{}: the stack has errors; run `lbstack validate` first", file.display());
            failed = true;
            continue;
        };
        let (findings, problems, silenced) = crate::lint::apply_ignores(stack, crate::lint::check(stack));
        let report = crate::lint::to_report(loaded.report.clone(), &findings, problems, &loaded.index);
        let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = report.diagnostics.len() - errors;
        failed |= errors > 0 || (strict && warnings > 0);
        match output {
            LintOutput::Human => {
                print!("{}", report.render_human(use_color));
                println!(
                    "{}: {errors} error{}, {warnings} warning{}, {silenced} silenced",
                    file.display(),
                    plural(errors),
                    plural(warnings)
                );
            }
            LintOutput::Json => {
                let mut doc = report.to_json();
                doc["silenced"] = serde_json::json!(silenced);
                docs.push(doc);
            }
            LintOutput::Sarif => docs.push(crate::lint::sarif_run(&report)),
        }
    }
    match output {
        LintOutput::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "format_version": "1.0", "files": docs })).expect("json")
        ),
        // One SARIF log with one run per file.
        LintOutput::Sarif => println!("{}", serde_json::to_string_pretty(&crate::lint::sarif_log(docs)).expect("json")),
        LintOutput::Human => {}
    }
    if failed { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}
