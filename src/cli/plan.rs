//! `lbstack plan` and `lbstack show`: read, plan, show; a plan saved with `--out`.

use super::*;

/// Load and check the stack, read live AWS and diff.
pub(super) async fn load_and_plan(
    file: &std::path::Path,
    vars: &[(String, String)],
    aws: &AwsArgs,
    destroy: bool,
    adopt: &crate::live::Adopt,
    ui: Ui,
) -> Result<(stack_format::Stack, crate::live::Clients, crate::ops::Planned), Failed> {
    let stack = load_checked(file, vars, ui)?;
    let clients = crate::ops::connect(&aws.options(), Some(&stack)).await?;
    match crate::ops::plan_adopting(&clients, &stack, destroy, adopt).await {
        Ok(planned) => Ok((stack, clients, planned)),
        Err(e) => Err(plan_failed(file, vars, e, ui)),
    }
}

/// Say why a plan failed: at the value's line and column when it is about a value of the stack
/// (an image that does not exist, a subnet group that matches nothing), else as one line.
pub(super) fn plan_failed(file: &std::path::Path, vars: &[(String, String)], e: anyhow::Error, ui: Ui) -> Failed {
    if let Some(at) = e.downcast_ref::<stack_format::At>() {
        let report = load_file(ui, file, vars).report_at(at);
        eprint!("{}", report.render_human(ui.color.enabled(Stream::Err)));
        return Failed::Shown;
    }
    e.into()
}

pub(super) fn print_stats(clients: &crate::live::Clients) {
    let ops = clients.calls.by_operation();
    eprintln!("AWS API calls: {} ({} writes)", clients.calls.total(), clients.calls.writes());
    for (op, n) in ops {
        eprintln!("  {n:>5}  {op}");
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn run_plan(
    file: &std::path::Path,
    vars: &[(String, String)],
    aws: &AwsArgs,
    output: PlanOutput,
    detailed: bool,
    out: Option<&std::path::Path>,
    destroy: bool,
    stats: bool,
    adopt: &crate::live::Adopt,
    ui: Ui,
) -> Outcome {
    let (_, clients, planned) = load_and_plan(file, vars, aws, destroy, adopt, ui).await?;
    let api_calls =
        crate::plan::json::ApiCallCount { total: clients.calls.total(), by_operation: clients.calls.by_operation() };
    let meta = crate::plan::json::Meta {
        fingerprint: planned.fingerprint.clone(),
        api_calls: Some(api_calls),
        ..Default::default()
    };
    show_plan(&planned.plan, output, meta, ui);
    if stats {
        print_stats(&clients);
    }
    if let Some(path) = out {
        // The stack file by its absolute path: `apply PLAN` works from any folder.
        let stack_file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()).display().to_string();
        let meta = crate::plan::json::Meta {
            fingerprint: planned.fingerprint.clone(),
            stack_file: Some(stack_file),
            vars: vars.to_vec(),
            api_calls: None,
            with_inputs: true,
        };
        let saved = crate::plan::json::JsonPlan::new(&planned.plan, meta);
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&saved).expect("json")) {
            return Err(Failed::Line(format!("cannot write {}: {e}", path.display())));
        }
        eprintln!(
            "Saved the plan to {}. Run `lbstack apply {}` to perform exactly these actions.",
            path.display(),
            path.display()
        );
    }
    // A plan apply would refuse is neither "in sync" nor "changes to apply" for CI.
    if detailed && !planned.plan.applyable() {
        Ok(Exit::Failure)
    } else if detailed && planned.plan.has_changes() {
        Ok(Exit::Changes)
    } else {
        Ok(Exit::Success)
    }
}

fn show_plan(plan: &crate::plan::Plan, output: PlanOutput, meta: crate::plan::json::Meta, ui: Ui) {
    super::views::plan::plan_view(output, ui.color.enabled(Stream::Out)).plan(plan, meta);
}

/// A plan saved with `plan --out`, if `file` is one.
pub(super) fn saved_plan(file: &std::path::Path) -> Option<crate::plan::json::JsonPlan> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str::<crate::plan::json::JsonPlan>(&text).ok().filter(|p| p.stack_file.is_some())
}

pub(super) fn show(file: &std::path::Path, output: PlanOutput, ui: Ui) -> Outcome {
    let Some(saved) = saved_plan(file) else {
        return Err(Failed::Line(format!("{} is not a plan saved with `lbstack plan --out`", file.display())));
    };
    match saved.plan() {
        Ok(plan) => {
            let meta = crate::plan::json::Meta {
                fingerprint: saved.fingerprint.clone(),
                stack_file: saved.stack_file.clone(),
                vars: saved.vars.clone(),
                ..Default::default()
            };
            show_plan(&plan, output, meta, ui);
            Ok(Exit::Success)
        }
        Err(e) => Err(Failed::from(e)),
    }
}
