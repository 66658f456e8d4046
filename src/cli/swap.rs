//! `lbstack swap`: flags in, the work in `crate::swap`.

use super::exit::{Exit, Outcome};
use super::views::swap::{Ending, Gate, swap_view};
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

pub async fn run_swap(a: &SwapArgs, ui: Ui) -> Outcome {
    let rec = a.name.record();
    let view = swap_view(a.output == Output::Json);
    let progress = |line: String| view.progress(line);
    if a.rollback || a.break_lock {
        let clients = crate::ops::connect(&a.aws.options(), None).await?;
        if a.break_lock {
            let removed = swap::break_lock(&clients, &rec.zone, &rec).await?;
            eprintln!(
                "{}",
                if removed { format!("lock on {} removed", rec.name) } else { format!("{} is not locked", rec.name) }
            );
            return Ok(Exit::Success);
        }
        let outcome = swap::rollback(&clients, &rec, &progress).await?;
        view.ended(&Ending::Returned { record: &rec, outcome: &outcome });
        return Ok(Exit::Success);
    }
    let file = a.file.as_ref().expect("clap requires the file");
    let stack = load_checked(file, &a.vars, ui)?;
    let clients = crate::ops::connect(&a.aws.options(), Some(&stack)).await?;
    let lb_key = swap::choose_load_balancer(&stack, a.load_balancer.as_deref())?;
    let target = swap::inspect(&clients, &stack, lb_key).await?;
    let refusals = target.gate(a.min_healthy);
    let gate = || Gate { target: &target, refusals: &refusals };
    view.gate(&target);
    if !refusals.is_empty() {
        view.ended(&Ending::Refused { gate: gate() });
        return Ok(Exit::Failure);
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
        let steps = a.steps.clone().map(|s| s.0).unwrap_or_else(|| vec![100]);
        view.ended(&Ending::DryRun { gate: gate(), record: &rec, current: &current, steps: &steps, alarms: &alarms });
        return Ok(Exit::Success);
    }
    let shift =
        a.steps.clone().map(|steps| ShiftPlan { steps: steps.0, interval: a.interval, rollback_alarms: alarms });
    let outcome = swap::swap(&clients, &rec, &target, shift.as_ref(), &progress).await?;
    view.ended(&Ending::Moved { gate: gate(), record: &rec, outcome: &outcome });
    Ok(if outcome.rolled_back.is_some() { Exit::RolledBack } else { Exit::Success })
}
