//! `lbstack simulate`: replay a demand curve through a group's scaling configuration, minute by
//! minute, before anything is deployed. The model is documented in the README ("Simulate").

pub mod chart;
pub mod curve;

use crate::spec::model::*;
use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
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

struct Instance {
    ready_at: usize,
}

/// Per-minute metric series the alarms read.
#[derive(Default)]
struct Series {
    cpu: Vec<f64>,
    rpt: Vec<f64>,
    requests: Vec<f64>,
}

impl Series {
    fn metric(&self, name: &str) -> Option<&[f64]> {
        match name {
            "CPUUtilization" => Some(&self.cpu),
            "RequestCountPerTarget" => Some(&self.rpt),
            "RequestCount" => Some(&self.requests),
            _ => None,
        }
    }
}

fn breaches(c: Comparison, v: f64, threshold: f64) -> bool {
    match c {
        Comparison::Greater => v > threshold,
        Comparison::GreaterOrEqual => v >= threshold,
        Comparison::Less => v < threshold,
        Comparison::LessOrEqual => v <= threshold,
        // Bands are not modelled: such alarms are listed as not simulated.
        Comparison::OutsideBand | Comparison::AboveBand | Comparison::BelowBand => false,
    }
}

fn statistic(stat: &str, values: &[f64]) -> f64 {
    match stat {
        "Sum" => values.iter().sum(),
        "Maximum" => values.iter().copied().fold(f64::MIN, f64::max),
        "Minimum" => values.iter().copied().fold(f64::MAX, f64::min),
        "SampleCount" => values.len() as f64,
        _ => values.iter().sum::<f64>() / values.len().max(1) as f64,
    }
}

/// An alarm driving step or simple policies, evaluated at the end of each of its periods.
struct AlarmModel<'a> {
    name: &'a str,
    alarm: &'a Alarm,
    period: usize,
    in_alarm: bool,
}

impl AlarmModel<'_> {
    /// Re-evaluate at the end of minute `t`; returns the latest datapoint when the alarm is in ALARM.
    fn evaluate(&mut self, t: usize, s: &Series) -> Option<f64> {
        if !(t + 1).is_multiple_of(self.period) {
            return None;
        }
        let series = s.metric(self.alarm.metric.as_deref()?)?;
        let periods = (t + 1) / self.period;
        let n = self.alarm.evaluation_periods as usize;
        let m = self.alarm.datapoints_to_alarm.unwrap_or(self.alarm.evaluation_periods) as usize;
        let stat = self.alarm.statistic.as_deref().unwrap_or("Average");
        let points: Vec<f64> = (periods.saturating_sub(n)..periods).map(|k| statistic(stat, &series[k * self.period..(k + 1) * self.period])).collect();
        let breaching = points.iter().filter(|v| breaches(self.alarm.comparison, **v, self.alarm.threshold.unwrap_or_default())).count();
        // Missing data (the first periods) counts as not breaching.
        self.in_alarm = breaching >= m;
        self.in_alarm.then(|| *points.last().unwrap_or(&0.0))
    }
}

fn adjusted(kind: AdjustmentType, adjust: i32, current: u32, min_magnitude: Option<i32>) -> i64 {
    match kind {
        AdjustmentType::ChangeInCapacity => current as i64 + adjust as i64,
        AdjustmentType::ExactCapacity => adjust as i64,
        AdjustmentType::PercentChangeInCapacity => {
            // AWS rounds away from zero, to at least the minimum magnitude.
            let raw = current as f64 * adjust as f64 / 100.0;
            let mut step = if raw >= 0.0 { raw.ceil() } else { raw.floor() } as i64;
            if let Some(min) = min_magnitude
                && step.abs() < min as i64
            {
                step = min as i64 * step.signum().max(if adjust < 0 { -1 } else { 1 });
            }
            current as i64 + step
        }
    }
}

pub fn run(inp: &Inputs) -> Result<Outcome, String> {
    let s = inp.stack;
    let g = s.autoscaling_groups.get(inp.group).ok_or_else(|| format!("stack {} has no auto-scaling group `{}`", s.stack, inp.group))?;
    let capacity = inp.capacity;
    let mut simulated = Vec::new();
    let mut not_simulated = Vec::new();

    // Target tracking on CPU or requests per target.
    struct Tracking<'a> {
        name: &'a str,
        cpu: bool,
        target: f64,
        disable_scale_in: bool,
    }
    let mut tracking = Vec::new();
    let mut predictive = Vec::new();
    let mut warmup_secs = g.default_instance_warmup;
    for (name, p) in s.scaling_policies.iter().filter(|(_, p)| p.group == inp.group) {
        if p.enabled == Some(false) {
            not_simulated.push(format!("{name}: disabled"));
            continue;
        }
        if let Some(tt) = &p.target_tracking {
            match tt.metric {
                Some(PredefinedMetric::Cpu) | Some(PredefinedMetric::AlbRequestsPerTarget) => {
                    tracking.push(Tracking { name, cpu: tt.metric == Some(PredefinedMetric::Cpu), target: tt.target, disable_scale_in: tt.disable_scale_in });
                    warmup_secs = warmup_secs.or(tt.warmup);
                    simulated.push(format!("{name}: target tracking"));
                }
                _ => not_simulated.push(format!("{name}: the model has no network or custom metrics")),
            }
        }
        if let Some(pr) = &p.predictive {
            match pr.metric {
                PredefinedMetric::Cpu | PredefinedMetric::AlbRequestsPerTarget => {
                    simulated.push(format!(
                        "{name}: predictive ({})",
                        if pr.mode == PredictiveMode::ForecastAndScale { "forecast and scale" } else { "forecast only" }
                    ));
                    predictive.push((name.as_str(), pr));
                }
                _ => not_simulated.push(format!("{name}: the model has no network metrics")),
            }
        }
    }
    let warmup = (warmup_secs.unwrap_or(300) as usize).div_ceil(60).max(1);

    // Alarms that drive step and simple policies of this group.
    let mut alarms: Vec<(AlarmModel, Vec<(&str, &ScalingPolicy)>)> = Vec::new();
    for (name, a) in &s.alarms {
        let policies: Vec<(&str, &ScalingPolicy)> = a
            .actions
            .iter()
            .filter_map(|act| s.scaling_policies.get_key_value(act))
            .filter(|(_, p)| p.group == inp.group && (p.step.is_some() || p.simple.is_some()))
            .map(|(k, p)| (k.as_str(), p))
            .collect();
        if policies.is_empty() {
            continue;
        }
        let Some(metric) = a.metric.as_deref().filter(|_| a.threshold.is_some() && !a.comparison.is_band()) else {
            not_simulated.push(format!("alarm {name}: metric math and anomaly bands are not modelled"));
            continue;
        };
        if !["CPUUtilization", "RequestCountPerTarget", "RequestCount"].contains(&metric) {
            not_simulated.push(format!("alarm {name}: the model has no `{metric}`"));
            continue;
        }
        for (pk, p) in &policies {
            simulated.push(format!("{pk}: {} via alarm {name}", if p.step.is_some() { "step" } else { "simple" }));
        }
        alarms.push((AlarmModel { name, alarm: a, period: (a.period as usize / 60).max(1), in_alarm: false }, policies));
    }
    for (name, _) in s.scaling_policies.iter().filter(|(_, p)| p.group == inp.group && (p.step.is_some() || p.simple.is_some())) {
        if !alarms.iter().any(|(_, ps)| ps.iter().any(|(k, _)| k == name)) && !not_simulated.iter().any(|x| x.starts_with(&format!("{name}:"))) {
            not_simulated.push(format!("{name}: no alarm triggers it"));
        }
    }
    let schedules: Vec<(&str, &ScheduledAction, Option<crate::spec::cron::Cron>, chrono_tz::Tz)> = s
        .scheduled_actions
        .iter()
        .filter(|(_, a)| a.group == inp.group)
        .map(|(k, a)| {
            let cron = a.recurrence.as_deref().map(crate::spec::cron::Cron::parse).transpose().map_err(|e| format!("scheduled action `{k}`: {e}"))?;
            let tz: chrono_tz::Tz = a.time_zone.as_deref().unwrap_or("UTC").parse().map_err(|_| format!("scheduled action `{k}`: unknown time zone"))?;
            Ok((k.as_str(), a, cron, tz))
        })
        .collect::<Result<_, String>>()?;
    for (k, _, _, _) in &schedules {
        simulated.push(format!("{k}: scheduled action"));
    }
    let parse_time = |t: &Option<String>| t.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|d| d.with_timezone(&Utc));

    let target_cpu = tracking.iter().find(|t| t.cpu).map(|t| t.target).unwrap_or(70.0);
    let (mut min, mut max) = (g.min, g.max);
    let mut desired = g.desired.unwrap_or(g.min).clamp(min, max);
    // The group starts at its desired capacity, warm.
    let mut instances: Vec<Instance> = (0..desired).map(|_| Instance { ready_at: 0 }).collect();
    let mut series = Series::default();
    let mut timeline = Vec::with_capacity(inp.load.len());
    let mut simple_cooldown_until = 0usize;
    let mut scale_in_cooldown_until = 0usize;
    let mut step_warm_until = 0usize;
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
        let mut want: Option<(i64, String)> = None;
        let propose = |want: &mut Option<(i64, String)>, n: i64, why: String| {
            *want = Some(match want.take() {
                Some((m, w)) if m >= n => (m, w),
                _ => (n, why),
            });
        };

        // Scheduled actions at their local minute.
        for (k, a, cron, tz) in &schedules {
            let local = now.with_timezone(tz);
            let started = parse_time(&a.start).is_none_or(|st| now >= st);
            let ended = parse_time(&a.end).is_some_and(|e| now >= e);
            let due = match cron {
                Some(c) => started && !ended && c.matches(&local),
                None => parse_time(&a.start).is_some_and(|st| st.timestamp() / 60 == now.timestamp() / 60),
            };
            if due {
                min = a.min.unwrap_or(min);
                max = a.max.unwrap_or(max);
                if let Some(d) = a.desired {
                    desired = d;
                }
                desired = desired.clamp(min, max);
                events.push(format!("{k}: min {min} max {max} desired {desired} ({} {})", local.format("%a %H:%M"), tz.name()));
                actions += 1;
            }
        }

        // Metrics of this minute, from in-service instances.
        let in_service = instances.iter().filter(|i| i.ready_at <= t).count() as u32;
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

        // Target tracking: scale out after 3 minutes above the target, proportionally, when any
        // policy asks; scale in after 15 minutes below 90% of the target only when every policy
        // that may scale in agrees, by at most 10% of the group at a time.
        let mut ins: Vec<(i64, String)> = Vec::new();
        let mut voters = 0;
        for tt in &tracking {
            let series_v = if tt.cpu { &series.cpu } else { &series.rpt };
            let last = |n: usize| (t + 1 >= n).then(|| &series_v[t + 1 - n..=t]);
            let value = series_v[t];
            if last(3).is_some_and(|w| w.iter().all(|v| *v > tt.target)) && in_service > 0 {
                let n = (in_service as f64 * value / tt.target).ceil() as i64;
                if n > desired as i64 {
                    propose(&mut want, n, format!("{}: {:.0} > target {} for 3 min", tt.name, value, tt.target));
                }
            }
            if tt.disable_scale_in {
                continue;
            }
            voters += 1;
            if last(15).is_some_and(|w| w.iter().all(|v| *v < 0.9 * tt.target)) {
                ins.push(((in_service as f64 * value / tt.target).ceil() as i64, format!("{}: {:.0} < {:.0} for 15 min", tt.name, value, 0.9 * tt.target)));
            }
        }
        if want.is_none() && voters > 0 && ins.len() == voters && t >= scale_in_cooldown_until && instances.len() as u32 == in_service {
            let (proportional, why) = ins.into_iter().max_by_key(|(n, _)| *n).expect("every voter");
            let floor = desired as i64 - ((desired as f64 * 0.1).floor() as i64).max(1);
            let n = proportional.max(floor).max(min as i64);
            if n < desired as i64 {
                want = Some((n, why));
                scale_in_cooldown_until = t + 5;
            }
        }

        // Alarm-driven step and simple policies.
        for (model, policies) in alarms.iter_mut() {
            let Some(value) = model.evaluate(t, &series) else { continue };
            for (pk, p) in policies.iter() {
                let current = instances.len() as u32;
                if let Some(si) = &p.simple {
                    if t < simple_cooldown_until {
                        events.push(format!("{pk}: in cooldown (alarm {})", model.name));
                        continue;
                    }
                    let n = adjusted(si.adjustment_type, si.adjust, current, si.min_adjustment_magnitude);
                    simple_cooldown_until = t + (si.cooldown.unwrap_or(300) as usize).div_ceil(60);
                    want = Some((n, format!("{pk}: alarm {} ({value:.0}), adjust {}", model.name, si.adjust)));
                } else if let Some(st) = &p.step {
                    let breach = value - model.alarm.threshold.unwrap_or_default();
                    let step = st.steps.iter().find(|x| x.lower.is_none_or(|l| breach >= l) && x.upper.is_none_or(|u| breach < u));
                    let Some(step) = step else { continue };
                    // Instances launched by an earlier step still warming up count as added.
                    if step.adjust > 0 && t < step_warm_until {
                        continue;
                    }
                    let n = adjusted(st.adjustment_type, step.adjust, current, st.min_adjustment_magnitude);
                    if step.adjust > 0 {
                        step_warm_until = t + (st.warmup.map(|w| w as usize).unwrap_or(warmup * 60)).div_ceil(60);
                    }
                    want = Some((n, format!("{pk}: alarm {} ({value:.0}), step {:+}", model.name, step.adjust)));
                }
            }
        }

        // Predictive (forecast and scale): the same minute of the previous days, `buffer` ahead.
        for (pk, pr) in &predictive {
            let ahead = t + (pr.buffer_time.unwrap_or(300) as usize).div_ceil(60);
            let days: Vec<f64> = (1..=2).filter_map(|d| ahead.checked_sub(d * 1440)).filter_map(|m| inp.load.get(m).copied()).collect();
            if days.is_empty() || pr.mode != PredictiveMode::ForecastAndScale {
                continue;
            }
            let forecast = days.iter().sum::<f64>() / days.len() as f64;
            let needed = if pr.metric == PredefinedMetric::Cpu { forecast / (capacity * pr.target / 100.0) } else { forecast * 60.0 / pr.target };
            let mut cap = max as f64;
            if pr.max_capacity_behavior == MaxCapacityBehavior::IncreaseMaxCapacity {
                cap *= 1.0 + pr.max_capacity_buffer.unwrap_or(0) as f64 / 100.0;
            }
            let n = needed.ceil().min(cap.floor()) as i64;
            if n > desired as i64 && n > want.as_ref().map_or(0, |w| w.0) {
                propose(&mut want, n, format!("{pk}: forecast {forecast:.0} rps"));
            }
        }

        if let Some((n, why)) = want {
            let new = (n.max(min as i64) as u32).min(max);
            if new != desired {
                events.push(format!("{why}: desired {desired} -> {new}"));
                desired = new;
                actions += 1;
            }
        }
        // Launch or remove to match desired: new instances warm up; pending ones go first.
        while (instances.len() as u32) < desired {
            instances.push(Instance { ready_at: t + 1 + warmup });
        }
        while (instances.len() as u32) > desired {
            let pos = instances.iter().enumerate().max_by_key(|(_, i)| i.ready_at).map(|(i, _)| i).unwrap_or(0);
            instances.remove(pos);
        }

        let pending = instances.iter().filter(|i| i.ready_at > t).count() as u32;
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
            desired,
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
pub fn threshold_broken(summary: &Summary, expr: &str) -> Result<bool, String> {
    let ops = [">=", "<=", "==", "!=", ">", "<"];
    let (name, op, value) = ops
        .iter()
        .find_map(|op| expr.split_once(op).map(|(a, b)| (a.trim(), *op, b.trim())))
        .ok_or_else(|| format!("`{expr}`: expected `metric OP number`, e.g. `underprovisioned_minutes > 5`"))?;
    let doc = serde_json::to_value(summary).map_err(|e| e.to_string())?;
    let actual = doc.get(name).and_then(serde_json::Value::as_f64).ok_or_else(|| {
        let names: Vec<&String> = doc.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        format!("`{name}` is not a summary number; one of {}", names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
    })?;
    let v: f64 = value.parse().map_err(|_| format!("`{value}` is not a number"))?;
    Ok(match op {
        ">=" => actual >= v,
        "<=" => actual <= v,
        "==" => (actual - v).abs() < 1e-9,
        "!=" => (actual - v).abs() >= 1e-9,
        ">" => actual > v,
        _ => actual < v,
    })
}

/// The default start: a Monday at midnight UTC, so weekday shapes line up.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().expect("a valid date")
}
