//! `lbstack apply` and `lbstack destroy`: under the stack's lock, the plan made again (or a
//! saved one checked against live state), approved, executed, reported through an `ApplyView`.

use super::*;

/// How an apply runs and reports.
struct Settings {
    adopt: crate::live::Adopt,
    auto_approve: bool,
    parallelism: usize,
    stats: bool,
    json: bool,
}

pub(super) fn confirm(question: &str) -> bool {
    eprint!("{question} Only 'yes' will be accepted: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

pub(super) async fn run_apply(args: &ApplyArgs, destroy: bool, ui: Ui) -> Outcome {
    let ApplyArgs { file, vars, aws, auto_approve, parallelism, stats, break_lock, output, adopt } = args;
    let (auto_approve, parallelism, stats) = (*auto_approve, *parallelism, *stats);
    // The event stream starts with the version (Terraform's machine UI), before any diagnostic.
    views::apply_view(*output == Output::Json, false).start();
    let verb = if destroy { "destroy" } else { "apply" };
    if destroy && adopt.choice() != crate::live::Adopt::None {
        return Err("destroy does not adopt: it deletes only what the stack owns".into());
    }
    // A saved plan: re-plan from the same file and variables and refuse if live state moved. As
    // in Terraform, the saved plan was the approval: applying it asks nothing.
    let saved = saved_plan(file);
    let auto_approve = auto_approve || saved.is_some();
    let interactive = std::io::stdin().is_terminal() && !in_ci();
    if !auto_approve && !interactive && !break_lock {
        return Err(Failed::Line(format!("not running in a terminal: pass --auto-approve to {verb} without a prompt")));
    }
    let (stack_file, vars) = match &saved {
        Some(s) => (PathBuf::from(s.stack_file.clone().unwrap_or_default()), s.vars.clone()),
        None => (file.to_path_buf(), vars.to_vec()),
    };
    let stack = load_checked(&stack_file, &vars, ui)?;
    let clients = crate::ops::connect(&aws.options(), Some(&stack)).await?;
    if *break_lock {
        return match crate::lock::break_lock(&clients, &stack.stack).await {
            Ok(Some(h)) => {
                eprintln!("Removed the lock of stack `{}`, held by {h}.", stack.stack);
                Ok(Exit::Success)
            }
            Ok(None) => {
                eprintln!("Stack `{}` was not locked.", stack.stack);
                Ok(Exit::Success)
            }
            Err(e) => Err(Failed::from(e)),
        };
    }
    // One apply or destroy of a stack at a time: taken before the first read, released on every
    // way out, Ctrl-C included.
    let lock = match crate::lock::acquire(&clients, &stack.stack, verb).await {
        Ok(lock) => lock,
        Err(e) if e.is::<crate::lock::Locked>() => {
            let hint = format!(
                "wait for that run to finish; if it crashed, remove its lock with `lbstack {verb} {} --break-lock`",
                stack_file.display()
            );
            return Err(Failed::Line(format!("{e}\nhint: {hint}")));
        }
        Err(e) => return Err(Failed::Line(e.to_string())),
    };
    let json = *output == Output::Json;
    let run = locked_apply(
        &clients,
        &stack,
        (&stack_file, &vars),
        saved,
        destroy,
        Settings { adopt: adopt.choice(), auto_approve, parallelism, stats, json },
        ui,
    );
    let interruptible = async {
        tokio::select! {
            code = run => code,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("\nInterrupted: steps in flight may have finished. Run {verb} again: it continues from what exists.");
                Ok(Exit::Interrupted)
            }
        }
    };
    let (outcome, released) = lock.around(interruptible).await;
    if let Err(e) = released {
        eprintln!("warning: {e:#}; remove the lock with `lbstack {verb} {} --break-lock`", stack_file.display());
    }
    outcome.unwrap_or_else(|panicked| {
        Err(Failed::Panicked(format!("{panicked}. Hint: the lock is released; run {verb} again, it continues from what exists (and please report this)")))
    })
}

#[allow(clippy::too_many_arguments)]
async fn locked_apply(
    clients: &crate::live::Clients,
    stack: &stack_format::Stack,
    (stack_file, vars): (&std::path::Path, &[(String, String)]),
    saved: Option<crate::plan::json::JsonPlan>,
    destroy: bool,
    Settings { adopt, auto_approve, parallelism, stats, json }: Settings,
    ui: Ui,
) -> Outcome {
    let verb = if destroy { "Destroy" } else { "Apply" };
    // A saved plan adopts what it shows as adopted: read live state the way it was read then.
    let adopt = match saved.as_ref().and_then(|s| s.plan().ok()) {
        Some(p) => {
            let asked: std::collections::BTreeSet<String> = p
                .changes
                .iter()
                .filter(|c| c.adopting && c.address.kind.adoptable())
                .map(|c| c.address.to_string())
                .collect();
            if asked.is_empty() { crate::live::Adopt::None } else { crate::live::Adopt::Only(asked) }
        }
        None => adopt,
    };
    let planned = match crate::ops::plan_adopting(clients, stack, destroy, &adopt).await {
        Ok(p) => p,
        Err(e) => return Err(plan_failed(stack_file, vars, e, ui)),
    };
    let plan = match saved {
        Some(s) if s.fingerprint != planned.fingerprint => {
            return Err("the plan is stale: live state changed since it was made. Run `lbstack plan` again.".into());
        }
        Some(s) => match s.plan() {
            Ok(p) => p,
            Err(e) => return Err(Failed::from(e)),
        },
        None => planned.plan,
    };
    let operation = verb.to_lowercase();
    let summary = plan.summary();
    let view = views::apply_view(json, ui.color.enabled(Stream::Out));
    view.plan(&plan);
    // A conflict makes the plan unapplyable: nothing is written, not even what does not depend on it.
    if !plan.conflicts.is_empty() {
        let n = plan.conflicts.len();
        let why = format!(
            "{verb} refused: {n} name{} the stack needs {} taken; nothing was changed",
            plural(n),
            if n == 1 { "is" } else { "are" }
        );
        let hint = "delete or rename the resource holding the name, or give the stack's resource another key; resources of another stack stay theirs";
        view.refused(&plan, &why, hint);
        if stats {
            print_stats(clients);
        }
        return Ok(Exit::Failure);
    }
    if !plan.has_changes() {
        if stats {
            print_stats(clients);
        }
        if !destroy {
            show_outputs(clients, stack, view.as_ref()).await;
        }
        return Ok(Exit::Success);
    }
    if !auto_approve && !confirm(&format!("\nDo you want to perform these actions on stack `{}`?", stack.stack)) {
        eprintln!("{verb} cancelled.");
        return Ok(Exit::Failure);
    }
    // A live view on a terminal; lines with a heartbeat in logs; JSON events with -o json.
    let live = !crate::logging::verbose() && std::io::stderr().is_terminal() && !in_ci();
    let progress = std::sync::Arc::new(view.progress(live));
    let shown = progress.clone();
    let outcome = crate::ops::apply(clients, stack, &plan, parallelism, move |e| shown.event(&e)).await;
    if stats {
        print_stats(clients);
    }
    if outcome.failed() {
        view.failed(verb, &operation, &summary, &outcome);
        return Ok(Exit::Failure);
    }
    let done = format!(
        "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
        summary.add, summary.change, summary.destroy
    );
    view.done(&done, &operation, &summary);
    if !destroy {
        show_outputs(clients, stack, view.as_ref()).await;
    }
    Ok(Exit::Success)
}

/// After an apply that left the published outputs as they were: the stack's outputs, read from
/// what exists (one read, only when the stack declares outputs), shown. A failed read is a
/// warning: the apply itself succeeded.
async fn show_outputs(
    clients: &crate::live::Clients,
    stack: &crate::stack_format::Stack,
    view: &(dyn views::ApplyView + Send + Sync),
) {
    if stack.outputs.is_empty() {
        return;
    }
    match crate::live::read(clients, stack).await {
        Ok((_, live)) => view.outputs(&crate::ops::outputs(stack, &live)),
        Err(e) => eprintln!("warning: reading the outputs: {e:#}"),
    }
}
