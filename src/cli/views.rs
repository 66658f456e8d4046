//! What the commands show, as Terraform's command views: one interface per command with a human
//! and a machine implementation. The command decides what happened; the view only says it, so no
//! command branches on the output format. `apply` and `destroy` are here; `plan`, `output` and
//! `swap` in the modules below.

pub mod outputs;
pub mod plan;
pub mod swap;

use super::progress::{self, json_line};
use crate::apply::{Outcome, StepStatus};
use crate::ops::OutputValue;
use crate::plan::{Action, Plan, Summary};
use serde_json::json;

/// An apply's or a destroy's report, from the plan to the outputs.
pub trait ApplyView {
    /// The first thing said, before any diagnostic.
    fn start(&self) {}
    /// The plan about to run.
    fn plan(&self, plan: &Plan);
    /// The plan cannot run: names the stack needs are taken (listed with the plan).
    fn refused(&self, plan: &Plan, why: &str, hint: &str);
    /// The view of the steps while they run.
    fn progress(&self, live: bool) -> progress::View;
    /// Some step failed: what happened, step by step.
    fn failed(&self, verb: &str, operation: &str, summary: &Summary, outcome: &Outcome);
    /// Every step succeeded.
    fn done(&self, message: &str, operation: &str, summary: &Summary);
    /// The stack's outputs after it.
    fn outputs(&self, outputs: &[OutputValue]);
}

/// The view `--output` asks for.
pub fn apply_view(json: bool, color: bool) -> Box<dyn ApplyView + Send + Sync> {
    if json { Box::new(JsonView) } else { Box::new(HumanView { color }) }
}

/// Text for people: the plan as `lbstack plan` shows it, errors on stderr.
pub struct HumanView {
    pub color: bool,
}

/// One JSON object per line on stdout (Terraform's machine-readable UI).
pub struct JsonView;

fn counts(summary: &Summary, operation: &str) -> serde_json::Value {
    json!({ "changes": { "add": summary.add, "change": summary.change, "remove": summary.destroy, "operation": operation } })
}

impl ApplyView for HumanView {
    fn plan(&self, plan: &Plan) {
        print!("{}", crate::plan::render::human(plan, self.color));
    }

    fn refused(&self, _plan: &Plan, why: &str, hint: &str) {
        eprintln!("\nerror: {why} (listed above).\nhint: {hint}");
    }

    fn progress(&self, live: bool) -> progress::View {
        println!();
        progress::View::new(false, live)
    }

    fn failed(&self, verb: &str, operation: &str, _summary: &Summary, outcome: &Outcome) {
        println!("\n{verb} failed. What happened, step by step:");
        for s in &outcome.steps {
            let status = match &s.status {
                StepStatus::Done => "done".to_string(),
                StepStatus::Failed(e) => format!("FAILED: {e}"),
                StepStatus::Skipped(why) => format!("skipped: {why}"),
            };
            println!("  {} {:?}: {status}", s.address, s.op);
        }
        if let Some(e) = &outcome.outputs_failed {
            println!("  outputs: FAILED publishing them: {e}");
        }
        println!("Fix the cause and run {operation} again: it continues from what exists.");
    }

    fn done(&self, message: &str, _operation: &str, _summary: &Summary) {
        println!("\n{message}");
    }

    fn outputs(&self, outputs: &[OutputValue]) {
        outputs::lines(outputs, true);
    }
}

impl ApplyView for JsonView {
    fn start(&self) {
        let version = json!({ "lbstack": env!("CARGO_PKG_VERSION") });
        println!("{}", json_line("info", "version", &format!("lbstack {}", env!("CARGO_PKG_VERSION")), version));
    }

    fn plan(&self, plan: &Plan) {
        for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
            let change = json!({ "change": { "resource": { "addr": c.address.to_string() }, "action": c.action.json_actions(), "reason": c.reason } });
            println!(
                "{}",
                json_line(
                    "info",
                    "planned_change",
                    &format!("{}: planned {}", c.address, c.action.json_actions().join("-")),
                    change
                )
            );
        }
        let s = plan.summary();
        let message = format!("Plan: {} to add, {} to change, {} to destroy.", s.add, s.change, s.destroy);
        println!("{}", json_line("info", "change_summary", &message, counts(&s, "plan")));
    }

    fn refused(&self, plan: &Plan, why: &str, hint: &str) {
        let diagnostic = json!({ "diagnostic": { "severity": "error", "summary": why, "detail": hint, "conflicts": plan.conflicts } });
        println!("{}", json_line("error", "diagnostic", why, diagnostic));
    }

    fn progress(&self, _live: bool) -> progress::View {
        progress::View::new(true, false)
    }

    fn failed(&self, verb: &str, operation: &str, summary: &Summary, outcome: &Outcome) {
        for s in &outcome.steps {
            let (level, what) = match &s.status {
                StepStatus::Failed(e) => ("error", format!("{}: {e}", s.address)),
                StepStatus::Skipped(why) => ("warn", format!("{}: skipped: {why}", s.address)),
                StepStatus::Done => continue,
            };
            let diagnostic =
                json!({ "diagnostic": { "severity": level, "summary": what, "address": s.address.to_string() } });
            println!("{}", json_line(level, "diagnostic", &what, diagnostic));
        }
        if let Some(e) = &outcome.outputs_failed {
            let what = format!("publishing the outputs: {e}");
            println!(
                "{}",
                json_line(
                    "error",
                    "diagnostic",
                    &what,
                    json!({ "diagnostic": { "severity": "error", "summary": what } })
                )
            );
        }
        let mut doc = counts(summary, operation);
        doc["outcome"] = json!("failed");
        println!("{}", json_line("error", "change_summary", &format!("{verb} failed."), doc));
    }

    fn done(&self, message: &str, operation: &str, summary: &Summary) {
        let mut doc = counts(summary, operation);
        doc["outcome"] = json!("success");
        println!("{}", json_line("info", "change_summary", message, doc));
    }

    fn outputs(&self, outputs: &[OutputValue]) {
        let doc: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|o| (o.name.clone(), json!({ "value": o.value, "description": o.description })))
            .collect();
        println!("{}", json_line("info", "outputs", "Outputs", json!({ "outputs": doc })));
    }
}
