//! `lbstack simulate`: flags in, the model in `crate::simulate`.

use super::exit::{Exit, Failed, Outcome};
use super::{Output, Ui, load_checked, parse_var};
use crate::simulate::{self, Inputs, chart, curve};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// The stack file.
    pub file: PathBuf,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// The demand: a CSV of `minute,rps` (or `minute,cpu`), or a shape: `steady:rps=300`,
    /// `spike:base=200,peak=2000,at=60,for=30`, `ramp:from=100,to=2000,over=120`,
    /// `diurnal:low=200,high=2000`, `business-hours:low=100,high=1500,from=9,to=17`.
    #[arg(long)]
    pub load: String,
    /// The auto-scaling group (default: the stack's `simulate.group`, or its only group).
    #[arg(long)]
    pub group: Option<String>,
    /// Requests per second one instance serves at 100% CPU (default: the stack's `simulate.capacity`).
    #[arg(long)]
    pub capacity: Option<f64>,
    /// Price of one instance-hour in USD (default: the stack's `simulate.price`).
    #[arg(long)]
    pub price: Option<f64>,
    /// Length in minutes (default: the CSV's, or the shape's: 2-3 hours, 3 days for diurnal, a week for business hours).
    #[arg(long)]
    pub minutes: Option<usize>,
    /// When minute 0 is (RFC 3339); default 2026-01-05T00:00:00Z, a Monday.
    #[arg(long)]
    pub start: Option<String>,
    /// Time zone of the shapes' clock (diurnal, business hours), e.g. `Europe/Paris`.
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// Write a chart: `.svg`, or `.png`.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Timeline rows: every N minutes besides the ones where something happens (default: by length).
    #[arg(long)]
    pub every: Option<usize>,
    /// Exit 2 when a summary number breaks this, e.g. `underprovisioned_minutes > 5` (repeatable).
    #[arg(long = "fail-if", value_name = "EXPR")]
    pub fail_if: Vec<String>,
    /// human (events and a table) or json (every minute).
    #[arg(long, short, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

pub fn run(a: &SimulateArgs, ui: Ui) -> Outcome {
    let stack = load_checked(&a.file, &a.vars, ui)?;
    let settings = stack.simulate.clone();
    let group = match a.group.clone().or_else(|| settings.as_ref().and_then(|s| s.group.clone())) {
        Some(g) => g,
        None if stack.autoscaling_groups.len() == 1 => {
            stack.autoscaling_groups.keys().next().cloned().unwrap_or_default()
        }
        None if stack.autoscaling_groups.is_empty() => {
            return Err(Failed::from(anyhow::anyhow!("stack {} has no auto-scaling group to simulate", stack.stack)));
        }
        None => {
            return Err(Failed::from(anyhow::anyhow!(
                "choose a group with --group (the stack has {} auto-scaling groups)",
                stack.autoscaling_groups.len()
            )));
        }
    };
    let start = match &a.start {
        Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(d) => d.with_timezone(&chrono::Utc),
            Err(e) => return Err(Failed::from(anyhow::anyhow!("--start `{s}`: {e}"))),
        },
        None => simulate::default_start(),
    };
    let tz: chrono_tz::Tz = match a.tz.parse() {
        Ok(tz) => tz,
        Err(_) => return Err(Failed::from(anyhow::anyhow!("--tz `{}` is not an IANA time zone", a.tz))),
    };
    let clock = simulate::local_clock(start, tz);
    let curve = match curve::parse(&a.load, a.minutes, &clock) {
        Ok(c) => c,
        Err(e) => return Err(Failed::from(anyhow::anyhow!("--load: {e}"))),
    };
    // A CPU curve is in percent of one instance: one instance serves 100 of it.
    let capacity = if curve.cpu { Some(100.0) } else { a.capacity.or(settings.as_ref().map(|s| s.capacity)) };
    let Some(capacity) = capacity.filter(|c| *c > 0.0) else {
        return Err(Failed::from(
            "how much does one instance serve? give --capacity RPS or `simulate: {capacity: RPS}` in the stack",
        ));
    };
    let price = a.price.or(settings.as_ref().and_then(|s| s.price));
    let outcome = simulate::run(&Inputs { stack: &stack, group: &group, capacity, price, load: &curve.load, start })?;
    if let Some(path) = &a.chart {
        let title = format!("{} / {}: {}", stack.stack, group, curve.description);
        let svg = chart::svg(&outcome, &title);
        let written = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
            chart::png(&svg, path)
        } else {
            std::fs::write(path, svg).map_err(|e| format!("writing {}: {e}", path.display()))
        };
        if let Err(e) = written {
            return Err(Failed::from(e));
        }
    }
    let mut broken = Vec::new();
    for expr in &a.fail_if {
        match simulate::threshold_broken(&outcome.summary, expr) {
            Ok((true, actual)) => broken.push(format!("{} (actual {})", expr.trim(), (actual * 100.0).round() / 100.0)),
            Ok((false, _)) => {}
            Err(e) => return Err(Failed::from(anyhow::anyhow!("--fail-if {e}"))),
        }
    }
    match a.output {
        Output::Json => {
            let doc = serde_json::json!({ "format_version": "1.0", "stack": stack.stack, "load": curve.description, "start": start.to_rfc3339(), "outcome": outcome, "failed_thresholds": broken });
            println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        }
        Output::Human => print!("{}", human(&stack.stack, &curve.description, &outcome, a.every)),
    }
    if !broken.is_empty() {
        eprintln!("thresholds broken: {}", broken.join("; "));
        return Ok(Exit::ThresholdBroken);
    }
    Ok(Exit::Success)
}

fn human(stack: &str, load: &str, o: &simulate::Outcome, every: Option<usize>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Simulating group `{}` of stack {stack}: {} requests/s per instance, load {load}",
        o.group, o.capacity
    );
    for p in &o.simulated {
        let _ = writeln!(out, "  simulated:     {p}");
    }
    for p in &o.not_simulated {
        let _ = writeln!(out, "  not simulated: {p}");
    }
    let n = o.timeline.len();
    let every = every
        .unwrap_or(if n <= 240 {
            10
        } else if n <= 1440 {
            60
        } else {
            360
        })
        .max(1);
    let _ = writeln!(
        out,
        "\n{:>6}  {:<17} {:>9} {:>7} {:>7} {:>7} {:>6}  events",
        "minute", "time", "load/s", "in svc", "pending", "desired", "cpu%"
    );
    for m in o.timeline.iter().filter(|m| !m.events.is_empty() || m.minute % every == 0 || m.minute + 1 == n) {
        let _ = writeln!(
            out,
            "{:>6}  {:<17} {:>9.0} {:>7} {:>7} {:>7} {:>6.1}  {}",
            m.minute,
            m.time,
            m.load,
            m.in_service,
            m.pending,
            m.desired,
            m.cpu,
            m.events.join("; ")
        );
    }
    let s = &o.summary;
    let _ = writeln!(out, "\nSummary over {} minutes:", s.minutes);
    let _ = writeln!(out, "  peak load {:.0} requests/s, peak {} instances in service", s.peak_load, s.peak_in_service);
    let _ = writeln!(
        out,
        "  {} minutes above the {}% CPU target, {} minutes under-provisioned ({:.0} requests unserved)",
        s.minutes_over_target, s.target_cpu, s.underprovisioned_minutes, s.unserved_requests
    );
    let _ = writeln!(
        out,
        "  peak utilisation {:.1}%, peak latency x{:.2} of idle",
        s.peak_utilization, s.peak_latency_factor
    );
    let cost = s.cost.map(|c| format!(", ${c:.2}")).unwrap_or_default();
    let _ = writeln!(out, "  {} scaling actions, {:.2} instance-hours{cost}", s.scaling_actions, s.instance_hours);
    out
}
