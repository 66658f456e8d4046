//! What `output` shows: every output, or one by name, as text or JSON.

use crate::ops::OutputValue;

pub trait OutputsView {
    /// Every output: a line each, or one JSON object.
    fn all(&self, outputs: &[OutputValue]);
    /// One output's value alone (`lbstack output FILE NAME`), for a script.
    fn one(&self, value: &str);
    /// The stack declares none: said, rather than an empty answer a script takes for one.
    fn none_declared(&self);
}

/// The view `--output` asks for.
pub fn outputs_view(json: bool) -> Box<dyn OutputsView> {
    if json { Box::new(Json) } else { Box::new(Human) }
}

struct Human;

struct Json;

const NONE_DECLARED: &str = "The stack declares no `outputs:`; add them to read values such as a load balancer's DNS name (see `lbstack docs`).";

/// Outputs as `name = value` lines (after an apply, under a heading).
pub fn lines(outputs: &[OutputValue], heading: bool) {
    if heading && !outputs.is_empty() {
        println!("\nOutputs:\n");
    }
    for o in outputs {
        println!("{} = {}", o.name, o.value.as_deref().map_or("(not created)".to_string(), |v| format!("{v:?}")));
    }
}

impl OutputsView for Human {
    fn all(&self, outputs: &[OutputValue]) {
        lines(outputs, false);
    }

    fn one(&self, value: &str) {
        println!("{value}");
    }

    fn none_declared(&self) {
        eprintln!("{NONE_DECLARED}");
    }
}

impl OutputsView for Json {
    fn all(&self, outputs: &[OutputValue]) {
        let doc: serde_json::Map<String, serde_json::Value> =
            outputs.iter().map(|o| (o.name.clone(), serde_json::json!(o.value))).collect();
        println!("{}", serde_json::Value::Object(doc));
    }

    fn one(&self, value: &str) {
        println!("{}", serde_json::Value::from(value));
    }

    fn none_declared(&self) {
        println!("{{}}");
        eprintln!("{NONE_DECLARED}");
    }
}
