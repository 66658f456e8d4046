//! `lbstack swap`: flags in, the work in `crate::swap`.

use super::exit::{Exit, Failed, Outcome};
use super::{AwsArgs, Output, Ui, load_checked, parse_var};
use crate::swap::{self, ShiftPlan, SwapRecord};
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum RecordType {
    /// A CNAME to the load balancer's DNS name.
    Cname,
    /// An alias A record (works at a zone apex).
    Alias,
}

/// The name that moves between colours.
#[derive(clap::Args, Debug, Clone)]
pub struct SwapName {
    /// Hosted zone of the name (domain or zone id).
    #[arg(long)]
    pub zone: String,
    /// The name users reach, e.g. `shop.example.com`.
    #[arg(long)]
    pub name: String,
    /// cname (a CNAME to the load balancer), or alias (an alias A record; works at a zone apex).
    #[arg(long = "type", value_enum, default_value_t = RecordType::Cname)]
    pub record_type: RecordType,
    /// TTL of a CNAME, seconds.
    #[arg(long, default_value_t = 60)]
    pub ttl: i64,
}

impl SwapName {
    fn record(&self) -> SwapRecord {
        SwapRecord {
            zone: self.zone.clone(),
            name: self.name.trim_end_matches('.').to_ascii_lowercase(),
            kind: if self.record_type == RecordType::Alias { "A".into() } else { "CNAME".into() },
            ttl: self.ttl,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct SwapArgs {
    /// The stack (colour) to send traffic to, e.g. `stacks/shop.yaml --var color=green`.
    #[arg(required_unless_present_any = ["rollback", "break_lock"])]
    pub file: Option<PathBuf>,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub name: SwapName,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The stack's load balancer to point at (default: its only internet-facing one).
    #[arg(long)]
    pub load_balancer: Option<String>,
    /// Healthy targets every forwarded-to target group needs before traffic moves.
    #[arg(long, default_value_t = 1)]
    pub min_healthy: usize,
    /// Shift traffic in steps of weighted records, e.g. `10,50,100` (percent to the new colour).
    #[arg(long, value_parser = parse_steps)]
    pub steps: Option<Steps>,
    /// Time between steps (`30s`, `5m`).
    #[arg(long, default_value = "5m", value_parser = swap::parse_duration)]
    pub interval: std::time::Duration,
    /// Alarms watched between steps: one in ALARM sends all traffic back (alarm name, or a key of
    /// the stack's `alarms`). Repeatable.
    #[arg(long = "rollback-alarm", value_name = "NAME")]
    pub rollback_alarms: Vec<String>,
    /// Run the health gate and show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Return the name to the colour that was live before, at once.
    #[arg(long, conflicts_with_all = ["file", "steps", "dry_run"])]
    pub rollback: bool,
    /// Remove the lock a crashed swap left behind.
    #[arg(long, conflicts_with_all = ["file", "steps", "dry_run", "rollback"])]
    pub break_lock: bool,
    /// human or json.
    #[arg(long, short, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

/// Percentages for a weighted shift (one flag value, `10,50,100`).
#[derive(Debug, Clone)]
pub struct Steps(pub Vec<u32>);

fn parse_steps(s: &str) -> Result<Steps, String> {
    swap::parse_steps(s).map(Steps)
}

fn say(output: Output) -> impl Fn(String) + Send + Sync {
    move |line| {
        if output == Output::Human {
            eprintln!("{line}");
        }
    }
}

pub async fn run_swap(a: &SwapArgs, ui: Ui) -> Outcome {
    let rec = a.name.record();
    let progress = say(a.output);
    if a.rollback || a.break_lock {
        let clients = crate::ops::connect(&a.aws.options(), None).await?;
        if a.break_lock {
            return match swap::break_lock(&clients, &rec.zone, &rec).await {
                Ok(true) => {
                    eprintln!("lock on {} removed", rec.name);
                    Ok(Exit::Success)
                }
                Ok(false) => {
                    eprintln!("{} is not locked", rec.name);
                    Ok(Exit::Success)
                }
                Err(e) => Err(Failed::from(e)),
            };
        }
        return match swap::rollback(&clients, &rec, &progress).await {
            Ok(o) => report(
                a.output,
                &serde_json::json!({ "outcome": o }),
                &format!("{}: live colour is {} again", rec.name, o.to.live),
                Exit::Success,
            ),
            Err(e) => Err(Failed::from(e)),
        };
    }
    let file = a.file.as_ref().expect("clap requires the file");
    let stack = load_checked(file, &a.vars, ui)?;
    let clients = crate::ops::connect(&a.aws.options(), Some(&stack)).await?;
    let lb_key = swap::choose_load_balancer(&stack, a.load_balancer.as_deref())?;
    let target = swap::inspect(&clients, &stack, lb_key).await?;
    let refused = target.gate(a.min_healthy);
    let gate_json = serde_json::json!({ "passed": refused.is_empty(), "refusals": refused, "target": target });
    if a.output == Output::Human {
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
    if !refused.is_empty() {
        let text = format!(
            "refused: nothing was changed\n{}",
            refused.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n")
        );
        return report(a.output, &serde_json::json!({ "gate": gate_json, "changed": false }), &text, Exit::Failure);
    }
    let alarms: Vec<String> = a
        .rollback_alarms
        .iter()
        .map(|n| {
            if stack.alarms.contains_key(n) {
                crate::ownership::names::given(&stack, crate::kinds::Kind::Alarm, n)
            } else {
                n.clone()
            }
        })
        .collect();
    if a.dry_run {
        let zone_id = crate::live::route53::hosted_zone_id(&clients, &rec.zone).await?;
        let current = swap::read_current(&clients, &zone_id, &rec).await?;
        let now = current
            .records
            .iter()
            .map(|(_, dns, w)| format!("{dns}{}", w.map(|w| format!(" (weight {w})")).unwrap_or_default()))
            .collect::<Vec<_>>();
        let steps = a.steps.clone().map(|s| s.0).unwrap_or_else(|| vec![100]);
        let text = format!(
            "dry run: {} ({}) now points at {}; would point at {} ({}) in steps {:?}{}",
            rec.name,
            rec.kind,
            if now.is_empty() { "nothing".into() } else { now.join(", ") },
            target.dns,
            target.stack,
            steps,
            if alarms.is_empty() { String::new() } else { format!(", watching {}", alarms.join(", ")) }
        );
        return report(
            a.output,
            &serde_json::json!({ "gate": gate_json, "changed": false, "current": current, "steps": steps }),
            &text,
            Exit::Success,
        );
    }
    let shift =
        a.steps.clone().map(|steps| ShiftPlan { steps: steps.0, interval: a.interval, rollback_alarms: alarms });
    match swap::swap(&clients, &rec, &target, shift.as_ref(), &progress).await {
        Ok(o) if o.rolled_back.is_some() => {
            let text = format!(
                "rolled back: alarm {} fired; {} points at {} again",
                o.rolled_back.clone().unwrap_or_default(),
                rec.name,
                o.to.live
            );
            report(
                a.output,
                &serde_json::json!({ "gate": gate_json, "changed": true, "outcome": o }),
                &text,
                Exit::RolledBack,
            )
        }
        Ok(o) => {
            let text = format!("{} now points at {} ({})", rec.name, o.to.live, o.to.target);
            report(
                a.output,
                &serde_json::json!({ "gate": gate_json, "changed": true, "outcome": o }),
                &text,
                Exit::Success,
            )
        }
        Err(e) => Err(Failed::from(e)),
    }
}

fn report(output: Output, json: &serde_json::Value, text: &str, code: Exit) -> Outcome {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(json).expect("json")),
        Output::Human => println!("{text}"),
    }
    Ok(code)
}
