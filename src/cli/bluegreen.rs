//! `lbstack swap` and `lbstack status`: flags in, the work in `crate::swap` and `crate::status`.

use super::exit::Exit;
use super::{AwsArgs, Color, Output, fail, load_checked, parse_var};
use crate::swap::{self, ShiftPlan, SwapRecord};
use clap::ValueEnum;
use std::path::PathBuf;
use std::process::ExitCode;

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

#[derive(clap::Args, Debug, Clone)]
pub struct StatusArgs {
    /// The stack file.
    pub file: PathBuf,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Also show which colour a swap name points at (with `--name`).
    #[arg(long, requires = "name")]
    pub zone: Option<String>,
    /// The swap name to report on (with `--zone`).
    #[arg(long, requires = "zone")]
    pub name: Option<String>,
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

pub async fn run_swap(a: &SwapArgs, color: Color) -> ExitCode {
    let rec = a.name.record();
    let progress = say(a.output);
    if a.rollback || a.break_lock {
        let clients = match crate::ops::connect(&a.aws.options(), None).await {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        if a.break_lock {
            return match swap::break_lock(&clients, &rec.zone, &rec).await {
                Ok(true) => {
                    eprintln!("lock on {} removed", rec.name);
                    Exit::Success.into()
                }
                Ok(false) => {
                    eprintln!("{} is not locked", rec.name);
                    Exit::Success.into()
                }
                Err(e) => fail(e),
            };
        }
        return match swap::rollback(&clients, &rec, &progress).await {
            Ok(o) => report(a.output, &serde_json::json!({ "outcome": o }), &format!("{}: live colour is {} again", rec.name, o.to.live), Exit::Success.into()),
            Err(e) => fail(e),
        };
    }
    let file = a.file.as_ref().expect("clap requires the file");
    let Some(stack) = load_checked(file, &a.vars, color) else { return Exit::Failure.into() };
    let clients = match crate::ops::connect(&a.aws.options(), Some(&stack)).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let lb_key = match swap::choose_load_balancer(&stack, a.load_balancer.as_deref()) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let target = match swap::inspect(&clients, &stack, lb_key).await {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let refused = target.gate(a.min_healthy);
    let gate_json = serde_json::json!({ "passed": refused.is_empty(), "refusals": refused, "target": target });
    if a.output == Output::Human {
        eprintln!("health gate for {} ({}):", target.stack, target.load_balancer);
        eprintln!("  load balancer {}: {}", target.load_balancer, target.state);
        for g in &target.target_groups {
            let states: Vec<String> = g.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
            eprintln!("  target group {}: {}", g.name, if states.is_empty() { "no targets".into() } else { states.join(", ") });
        }
    }
    if !refused.is_empty() {
        let text = format!("refused: nothing was changed\n{}", refused.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n"));
        return report(a.output, &serde_json::json!({ "gate": gate_json, "changed": false }), &text, Exit::Failure.into());
    }
    let alarms: Vec<String> = a
        .rollback_alarms
        .iter()
        .map(|n| if stack.alarms.contains_key(n) { crate::plan::names::given(&stack, crate::kinds::Kind::Alarm, n, 255) } else { n.clone() })
        .collect();
    if a.dry_run {
        let zone_id = match crate::apply::route53::hosted_zone_id(&clients, &rec.zone).await {
            Ok(z) => z,
            Err(e) => return fail(e),
        };
        let current = match swap::read_current(&clients, &zone_id, &rec).await {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        let now = current.records.iter().map(|(_, dns, w)| format!("{dns}{}", w.map(|w| format!(" (weight {w})")).unwrap_or_default())).collect::<Vec<_>>();
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
        return report(a.output, &serde_json::json!({ "gate": gate_json, "changed": false, "current": current, "steps": steps }), &text, Exit::Success.into());
    }
    let shift = a.steps.clone().map(|steps| ShiftPlan { steps: steps.0, interval: a.interval, rollback_alarms: alarms });
    match swap::swap(&clients, &rec, &target, shift.as_ref(), &progress).await {
        Ok(o) if o.rolled_back.is_some() => {
            let text = format!("rolled back: alarm {} fired; {} points at {} again", o.rolled_back.clone().unwrap_or_default(), rec.name, o.to.live);
            report(a.output, &serde_json::json!({ "gate": gate_json, "changed": true, "outcome": o }), &text, Exit::RolledBack.into())
        }
        Ok(o) => {
            let text = format!("{} now points at {} ({})", rec.name, o.to.live, o.to.target);
            report(a.output, &serde_json::json!({ "gate": gate_json, "changed": true, "outcome": o }), &text, Exit::Success.into())
        }
        Err(e) => fail(e),
    }
}

fn report(output: Output, json: &serde_json::Value, text: &str, code: ExitCode) -> ExitCode {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(json).expect("json")),
        Output::Human => println!("{text}"),
    }
    code
}

pub async fn run_status(a: &StatusArgs, color: Color) -> ExitCode {
    let Some(stack) = load_checked(&a.file, &a.vars, color) else { return Exit::Failure.into() };
    let clients = match crate::ops::connect(&a.aws.options(), Some(&stack)).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let rec = match (&a.zone, &a.name) {
        (Some(zone), Some(name)) => Some(SwapRecord { zone: zone.clone(), name: name.trim_end_matches('.').to_ascii_lowercase(), kind: "ANY".into(), ttl: 60 }),
        _ => None,
    };
    match crate::status::read(&clients, &stack, rec.as_ref()).await {
        Ok(s) => {
            match a.output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&s).expect("json")),
                Output::Human => print!("{}", crate::status::human(&s)),
            }
            Exit::Success.into()
        }
        Err(e) => fail(e),
    }
}
