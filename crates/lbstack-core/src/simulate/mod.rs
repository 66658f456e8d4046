//! `lbstack simulate`: replay a demand curve through a group's scaling configuration, minute by
//! minute, before anything is deployed. The model is documented in the README ("Simulate"): its
//! parts are the schedules (`schedules.rs`), the alarms (`alarms.rs`), the policies
//! (`policies.rs`) and the fleet of instances (`fleet.rs`); `run` steps them through each minute.

mod alarms;
pub mod chart;
pub mod curve;
mod fleet;
mod policies;
mod schedules;

use crate::stack_format::model::*;
use alarms::Series;
use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use fleet::Fleet;
use policies::{Holds, Policies};
use schedules::{Schedule, Sizes};
use serde::Serialize;

/// What the simulation is asked to do.
pub struct Inputs<'a> {
    pub stack: &'a Stack,
    pub group: &'a str,
    /// Requests per second one instance serves at 100% CPU.
    pub capacity: f64,
    pub price: Option<f64>,
    pub load: &'a [f64],
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Minute {
    pub minute: usize,
    pub time: String,
    pub load: f64,
    pub in_service: u32,
    pub pending: u32,
    pub desired: u32,
    /// Average CPU of in-service instances, percent (capped at 100).
    pub cpu: f64,
    /// ALB requests per target in the minute.
    pub requests_per_target: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub minutes: usize,
    pub peak_load: f64,
    pub peak_in_service: u32,
    /// CPU target the group aims at (its target tracking policy's, else 70).
    pub target_cpu: f64,
    pub minutes_over_target: usize,
    /// Minutes in which demand exceeded what in-service instances serve at 100%.
    pub underprovisioned_minutes: usize,
    /// Requests that found no capacity.
    pub unserved_requests: f64,
    pub peak_utilization: f64,
    /// 1 / (1 - utilisation), capped at 100: how much slower than idle the slowest minute answered.
    pub peak_latency_factor: f64,
    pub instance_hours: f64,
    pub cost: Option<f64>,
    pub scaling_actions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub group: String,
    pub capacity: f64,
    /// Policies that take part, and those the model cannot simulate (with why).
    pub simulated: Vec<String>,
    pub not_simulated: Vec<String>,
    pub timeline: Vec<Minute>,
    pub summary: Summary,
}

pub fn run(inp: &Inputs) -> Result<Outcome, String> {
    let s = inp.stack;
    let g = s
        .autoscaling_groups
        .get(inp.group)
        .ok_or_else(|| format!("stack {} has no auto-scaling group `{}`", s.stack, inp.group))?;
    let capacity = inp.capacity;
    let mut simulated = Vec::new();
    let mut not_simulated = Vec::new();
    let mut policies = Policies::of_group(s, g, inp.group, &mut simulated, &mut not_simulated);
    let warmup = (policies.warmup_secs.unwrap_or(crate::defaults::INSTANCE_WARMUP) as usize).div_ceil(60).max(1);
    let schedules = Schedule::of_group(s, inp.group)?;
    for schedule in &schedules {
        simulated.push(format!("{}: scheduled action", schedule.key));
    }

    let target_cpu = policies.target_cpu();
    let mut sizes = Sizes { min: g.min, max: g.max, desired: g.desired.unwrap_or(g.min).clamp(g.min, g.max) };
    // The group starts at its desired capacity, warm.
    let mut fleet = Fleet::warm(sizes.desired);
    let mut series = Series::default();
    let mut timeline = Vec::with_capacity(inp.load.len());
    let mut holds = Holds::default();
    let mut actions = 0usize;
    let mut summary = Summary {
        minutes: inp.load.len(),
        peak_load: 0.0,
        peak_in_service: 0,
        target_cpu,
        minutes_over_target: 0,
        underprovisioned_minutes: 0,
        unserved_requests: 0.0,
        peak_utilization: 0.0,
        peak_latency_factor: 1.0,
        instance_hours: 0.0,
        cost: None,
        scaling_actions: 0,
    };

    for (t, &load) in inp.load.iter().enumerate() {
        let now = inp.start + chrono::Duration::minutes(t as i64);
        let mut events = Vec::new();

        for schedule in schedules.iter().filter(|sc| sc.due(now)) {
            let (after, event) = schedule.run(now, sizes);
            sizes = after;
            events.push(event);
            actions += 1;
        }

        // Metrics of this minute, from in-service instances.
        let in_service = fleet.in_service(t);
        let served_capacity = in_service as f64 * capacity;
        let utilisation = if served_capacity > 0.0 {
            load / served_capacity
        } else if load > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        let cpu = (utilisation * 100.0).min(100.0);
        let rpt = if in_service > 0 { load * 60.0 / in_service as f64 } else { load * 60.0 };
        series.cpu.push(cpu);
        series.rpt.push(rpt);
        series.requests.push(load * 60.0);

        let mut want: policies::Want = None;
        let tick = policies::Tick { t, series: &series, running: fleet.len(), in_service };
        policies.track(&tick, sizes, &mut holds, &mut want);
        policies.alarmed(&tick, warmup, &mut holds, &mut want, &mut events);
        policies.forecast(t, inp.load, capacity, sizes, &mut want);
        if let Some((n, why)) = want {
            let new = (n.max(sizes.min as i64) as u32).min(sizes.max);
            if new != sizes.desired {
                events.push(format!("{why}: desired {} -> {new}", sizes.desired));
                sizes.desired = new;
                actions += 1;
            }
        }
        fleet.settle(t, sizes.desired, warmup);

        let pending = fleet.pending(t);
        summary.peak_load = summary.peak_load.max(load);
        summary.peak_in_service = summary.peak_in_service.max(in_service);
        if cpu > target_cpu {
            summary.minutes_over_target += 1;
        }
        if load > served_capacity + 1e-9 {
            summary.underprovisioned_minutes += 1;
            summary.unserved_requests += (load - served_capacity) * 60.0;
        }
        let util = if utilisation.is_finite() { utilisation * 100.0 } else { 100.0 };
        summary.peak_utilization = summary.peak_utilization.max(util.min(1000.0));
        summary.peak_latency_factor = summary.peak_latency_factor.max(1.0 / (1.0 - utilisation.min(0.99)));
        summary.instance_hours += (in_service + pending) as f64 / 60.0;
        timeline.push(Minute {
            minute: t,
            time: now.format("%Y-%m-%dT%H:%MZ").to_string(),
            load,
            in_service,
            pending,
            desired: sizes.desired,
            cpu: (cpu * 10.0).round() / 10.0,
            requests_per_target: rpt.round(),
            events,
        });
    }
    summary.scaling_actions = actions;
    summary.instance_hours = (summary.instance_hours * 100.0).round() / 100.0;
    summary.unserved_requests = summary.unserved_requests.round();
    summary.peak_utilization = (summary.peak_utilization * 10.0).round() / 10.0;
    summary.peak_latency_factor = (summary.peak_latency_factor * 100.0).round() / 100.0;
    summary.cost = inp.price.map(|p| (summary.instance_hours * p * 100.0).round() / 100.0);
    Ok(Outcome { group: inp.group.to_string(), capacity, simulated, not_simulated, timeline, summary })
}

/// Weekday (0 = Monday) and fractional hour of minute `m` in `tz`, for the curve shapes.
pub fn local_clock(start: DateTime<Utc>, tz: chrono_tz::Tz) -> impl Fn(usize) -> (u32, f64) {
    move |m| {
        let t = (start + chrono::Duration::minutes(m as i64)).with_timezone(&tz);
        (t.weekday().num_days_from_monday(), t.hour() as f64 + t.minute() as f64 / 60.0)
    }
}

/// `underprovisioned_minutes > 5`: true when the summary breaks the threshold.
/// Whether `metric OP number` holds for the summary (the gate is broken when it does), with the
/// metric's actual value.
pub fn threshold_broken(summary: &Summary, expr: &str) -> Result<(bool, f64), String> {
    let ops = [">=", "<=", "==", "!=", ">", "<"];
    let (name, op, value) = ops
        .iter()
        .find_map(|op| expr.split_once(op).map(|(a, b)| (a.trim(), *op, b.trim())))
        .ok_or_else(|| format!("`{expr}`: expected `metric OP number`, e.g. `underprovisioned_minutes > 5`"))?;
    let doc = serde_json::to_value(summary).map_err(|e| e.to_string())?;
    let actual = doc.get(name).and_then(serde_json::Value::as_f64).ok_or_else(|| {
        let names: Vec<&String> = doc.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        format!(
            "`{name}` is not a summary number; one of {}",
            names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )
    })?;
    let v: f64 = value.parse().map_err(|_| format!("`{value}` is not a number"))?;
    let holds = match op {
        ">=" => actual >= v,
        "<=" => actual <= v,
        "==" => (actual - v).abs() < 1e-9,
        "!=" => (actual - v).abs() >= 1e-9,
        ">" => actual > v,
        _ => actual < v,
    };
    Ok((holds, actual))
}

/// The default start: a Monday at midnight UTC, so weekday shapes line up.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().expect("a valid date")
}
