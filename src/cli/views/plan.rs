//! What `plan` and `show` show: the plan for people, as the JSON plan, or as Markdown for a pull
//! request.

use crate::cli::PlanOutput;
use crate::plan::json::Meta;
use crate::plan::{Plan, render};

pub trait PlanView {
    fn plan(&self, plan: &Plan, meta: Meta);
}

/// The view `--output` asks for.
pub fn plan_view(output: PlanOutput, color: bool) -> Box<dyn PlanView> {
    match output {
        PlanOutput::Human => Box::new(Human { color }),
        PlanOutput::Json => Box::new(Json),
        PlanOutput::Markdown => Box::new(Markdown),
    }
}

struct Human {
    color: bool,
}

struct Json;

struct Markdown;

impl PlanView for Human {
    fn plan(&self, plan: &Plan, _meta: Meta) {
        print!("{}", render::human(plan, self.color));
    }
}

impl PlanView for Json {
    fn plan(&self, plan: &Plan, meta: Meta) {
        println!("{}", serde_json::to_string_pretty(&render::json(plan, meta)).expect("json"));
    }
}

impl PlanView for Markdown {
    fn plan(&self, plan: &Plan, _meta: Meta) {
        print!("{}", render::markdown(plan));
    }
}
