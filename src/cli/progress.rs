//! How an apply reports while it runs: lines with a heartbeat (CI logs), one JSON object per line
//! (`apply -o json`, like Terraform's machine-readable UI), or on a terminal a live view with
//! one line per step in flight.

use crate::apply::{Event, EventKind};
use std::collections::HashMap;
use std::sync::Mutex;

pub enum View {
    Lines,
    Json,
    Live { bars: indicatif::MultiProgress, steps: Mutex<HashMap<String, indicatif::ProgressBar>> },
}

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// One line of the machine-readable stream.
pub fn json_line(level: &str, kind: &str, message: &str, extra: serde_json::Value) -> String {
    let mut doc = serde_json::json!({ "@level": level, "@message": message, "@timestamp": now(), "type": kind });
    if let (Some(d), serde_json::Value::Object(e)) = (doc.as_object_mut(), extra) {
        d.extend(e);
    }
    doc.to_string()
}

impl View {
    pub fn new(json: bool, live: bool) -> View {
        if json {
            View::Json
        } else if live {
            View::Live {
                bars: indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr()),
                steps: Mutex::new(HashMap::new()),
            }
        } else {
            View::Lines
        }
    }

    pub fn event(&self, e: &Event) {
        match self {
            View::Lines => {
                if !e.message.is_empty() {
                    eprintln!(
                        "{}",
                        if e.kind == EventKind::Waiting { format!("  {}", e.message) } else { e.message.clone() }
                    );
                }
            }
            View::Json => {
                let kind = match e.kind {
                    EventKind::Started => "apply_start",
                    EventKind::Waiting | EventKind::StillRunning => "apply_progress",
                    EventKind::Done => "apply_complete",
                    EventKind::Failed => "apply_errored",
                };
                let level = if e.kind == EventKind::Failed { "error" } else { "info" };
                let hook = serde_json::json!({ "hook": { "resource": { "addr": e.address }, "action": e.action, "elapsed_seconds": e.elapsed_seconds } });
                println!("{}", json_line(level, kind, &e.message, hook));
            }
            View::Live { bars, steps } => {
                let mut steps = steps.lock().expect("view lock");
                match e.kind {
                    EventKind::Started => {
                        let bar = bars.add(indicatif::ProgressBar::new_spinner());
                        bar.set_style(
                            indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("template"),
                        );
                        bar.enable_steady_tick(std::time::Duration::from_millis(120));
                        bar.set_message(e.message.clone());
                        steps.insert(e.address.clone(), bar);
                    }
                    EventKind::Waiting => {
                        if let Some(bar) = steps.get(&e.address) {
                            bar.set_message(format!(
                                "{}: {}",
                                e.address,
                                e.message.trim_start_matches(&format!("{}: ", e.address))
                            ));
                        }
                    }
                    EventKind::StillRunning => {}
                    EventKind::Done | EventKind::Failed => {
                        if let Some(bar) = steps.remove(&e.address) {
                            bar.finish_and_clear();
                            bars.remove(&bar);
                        }
                        let _ = bars.println(&e.message);
                    }
                }
            }
        }
    }
}
