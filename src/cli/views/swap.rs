//! What `swap` shows: its progress and the health gate for people, and how it ended, as text or
//! one JSON document.

use crate::swap::{Current, Outcome, SwapRecord, Target};
use serde_json::json;

pub trait SwapView: Send + Sync {
    /// A step as it happens (a weight moved, an alarm watched).
    fn progress(&self, line: String);
    /// The health gate's reading of the colour traffic would go to.
    fn gate(&self, target: &Target);
    /// How it ended.
    fn ended(&self, ending: &Ending<'_>);
}

/// The view `--output` asks for.
pub fn swap_view(json: bool) -> Box<dyn SwapView> {
    if json { Box::new(Json) } else { Box::new(Human) }
}

/// The health gate's verdict: the refusals, none when it passed.
pub struct Gate<'a> {
    pub target: &'a Target,
    pub refusals: &'a [String],
}

pub enum Ending<'a> {
    /// `--rollback`: the name is on the colour before again.
    Returned { record: &'a SwapRecord, outcome: &'a Outcome },
    /// The gate refused: nothing changed.
    Refused { gate: Gate<'a> },
    /// `--dry-run`: where the name points, and where it would.
    DryRun { gate: Gate<'a>, record: &'a SwapRecord, current: &'a Current, steps: &'a [u32], alarms: &'a [String] },
    /// The name moved (or an alarm sent it back: `outcome.rolled_back`).
    Moved { gate: Gate<'a>, record: &'a SwapRecord, outcome: &'a Outcome },
}

struct Human;

struct Json;

impl SwapView for Human {
    fn progress(&self, line: String) {
        eprintln!("{line}");
    }

    fn gate(&self, target: &Target) {
        eprintln!("health gate for {} ({}):", target.stack, target.load_balancer);
        eprintln!("  load balancer {}: {}", target.load_balancer, target.state);
        for g in &target.target_groups {
            let states: Vec<String> = g.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
            eprintln!(
                "  target group {}: {}",
                g.name,
                if states.is_empty() { "no targets".into() } else { states.join(", ") }
            );
        }
    }

    fn ended(&self, ending: &Ending<'_>) {
        let text = match ending {
            Ending::Returned { record, outcome } => {
                format!("{}: live colour is {} again", record.name, outcome.to.live)
            }
            Ending::Refused { gate } => format!(
                "refused: nothing was changed\n{}",
                gate.refusals.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n")
            ),
            Ending::DryRun { gate, record, current, steps, alarms } => {
                let now: Vec<String> = current
                    .records
                    .iter()
                    .map(|(_, dns, w)| format!("{dns}{}", w.map(|w| format!(" (weight {w})")).unwrap_or_default()))
                    .collect();
                format!(
                    "dry run: {} ({}) now points at {}; would point at {} ({}) in steps {:?}{}",
                    record.name,
                    record.kind,
                    if now.is_empty() { "nothing".into() } else { now.join(", ") },
                    gate.target.dns,
                    gate.target.stack,
                    steps,
                    if alarms.is_empty() { String::new() } else { format!(", watching {}", alarms.join(", ")) }
                )
            }
            Ending::Moved { record, outcome, .. } => match &outcome.rolled_back {
                Some(alarm) => {
                    format!("rolled back: alarm {alarm} fired; {} points at {} again", record.name, outcome.to.live)
                }
                None => format!("{} now points at {} ({})", record.name, outcome.to.live, outcome.to.target),
            },
        };
        println!("{text}");
    }
}

fn gate_json(gate: &Gate<'_>) -> serde_json::Value {
    json!({ "passed": gate.refusals.is_empty(), "refusals": gate.refusals, "target": gate.target })
}

impl SwapView for Json {
    fn progress(&self, _line: String) {}

    fn gate(&self, _target: &Target) {}

    fn ended(&self, ending: &Ending<'_>) {
        let doc = match ending {
            Ending::Returned { outcome, .. } => json!({ "outcome": outcome }),
            Ending::Refused { gate } => json!({ "gate": gate_json(gate), "changed": false }),
            Ending::DryRun { gate, current, steps, .. } => {
                json!({ "gate": gate_json(gate), "changed": false, "current": current, "steps": steps })
            }
            Ending::Moved { gate, outcome, .. } => {
                json!({ "gate": gate_json(gate), "changed": true, "outcome": outcome })
            }
        };
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    }
}
