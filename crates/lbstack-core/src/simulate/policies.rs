//! Scaling policies in the simulation: target tracking (scale out after 3 minutes above the
//! target, proportionally; scale in after 15 minutes below 90% of it, when every policy that may
//! scale in agrees, by at most 10% of the group), step and simple policies behind their alarms
//! (cooldowns and warm-ups included), and predictive scaling from the same minute of the days before.

use super::alarms::{AlarmModel, MODELLED, Series};
use super::schedules::Sizes;
use crate::stack_format::model::*;

pub(super) struct Tracking<'a> {
    pub name: &'a str,
    pub cpu: bool,
    pub target: f64,
    pub disable_scale_in: bool,
}

/// The policies of a group the model simulates.
pub(super) struct Policies<'a> {
    pub tracking: Vec<Tracking<'a>>,
    pub predictive: Vec<(&'a str, &'a PredictiveScaling)>,
    /// Alarms and the step and simple policies each drives.
    pub alarms: Vec<(AlarmModel<'a>, Vec<(&'a str, &'a ScalingPolicy)>)>,
    /// Seconds a new instance warms up: the group's setting, else its target tracking policy's.
    pub warmup_secs: Option<u32>,
}

/// The minute being decided: its index, the metrics up to it, and the instances running and
/// in service.
pub(super) struct Tick<'a> {
    pub t: usize,
    pub series: &'a Series,
    pub running: u32,
    pub in_service: u32,
}

/// What the policies ask for in one minute: a desired capacity and why.
pub(super) type Want = Option<(i64, String)>;

/// The larger of what is asked and `n`.
fn propose(want: &mut Want, n: i64, why: String) {
    *want = Some(match want.take() {
        Some((m, w)) if m >= n => (m, w),
        _ => (n, why),
    });
}

/// Cooldowns and warm-ups holding policies back, as minutes until which they hold.
#[derive(Default)]
pub(super) struct Holds {
    simple_until: usize,
    scale_in_until: usize,
    step_warm_until: usize,
}

impl<'a> Policies<'a> {
    /// What the model simulates of `group`, saying in `simulated` and `not_simulated` (with why) which is which.
    pub fn of_group(
        s: &'a Stack,
        g: &AutoScalingGroup,
        group: &str,
        simulated: &mut Vec<String>,
        not_simulated: &mut Vec<String>,
    ) -> Self {
        let mut p = Policies {
            tracking: Vec::new(),
            predictive: Vec::new(),
            alarms: Vec::new(),
            warmup_secs: g.default_instance_warmup,
        };
        for (name, pol) in s.scaling_policies.iter().filter(|(_, pol)| pol.group == group) {
            if pol.enabled == Some(false) {
                not_simulated.push(format!("{name}: disabled"));
                continue;
            }
            if let Some(tt) = &pol.target_tracking {
                match tt.metric {
                    Some(PredefinedMetric::Cpu) | Some(PredefinedMetric::AlbRequestsPerTarget) => {
                        p.tracking.push(Tracking {
                            name,
                            cpu: tt.metric == Some(PredefinedMetric::Cpu),
                            target: tt.target,
                            disable_scale_in: tt.disable_scale_in,
                        });
                        p.warmup_secs = p.warmup_secs.or(tt.warmup);
                        simulated.push(format!("{name}: target tracking"));
                    }
                    _ => not_simulated.push(format!("{name}: the model has no network or custom metrics")),
                }
            }
            if let Some(pr) = &pol.predictive {
                match pr.metric {
                    Some(PredefinedMetric::Cpu | PredefinedMetric::AlbRequestsPerTarget) => {
                        simulated.push(format!(
                            "{name}: predictive ({})",
                            if pr.mode == PredictiveMode::ForecastAndScale {
                                "forecast and scale"
                            } else {
                                "forecast only"
                            }
                        ));
                        p.predictive.push((name.as_str(), pr));
                    }
                    _ => not_simulated.push(format!("{name}: the model has no network or custom metrics")),
                }
            }
        }
        for (name, a) in &s.alarms {
            let driven: Vec<(&str, &ScalingPolicy)> = a
                .actions
                .iter()
                .filter_map(|act| s.scaling_policies.get_key_value(act))
                .filter(|(_, pol)| pol.group == group && (pol.step.is_some() || pol.simple.is_some()))
                .map(|(k, pol)| (k.as_str(), pol))
                .collect();
            if driven.is_empty() {
                continue;
            }
            let Some(metric) = a.metric.as_deref().filter(|_| a.threshold.is_some() && !a.comparison.is_band()) else {
                not_simulated.push(format!("alarm {name}: metric math and anomaly bands are not modelled"));
                continue;
            };
            if !MODELLED.contains(&metric) {
                not_simulated.push(format!("alarm {name}: the model has no `{metric}`"));
                continue;
            }
            for (pk, pol) in &driven {
                simulated
                    .push(format!("{pk}: {} via alarm {name}", if pol.step.is_some() { "step" } else { "simple" }));
            }
            p.alarms.push((AlarmModel::new(name, a), driven));
        }
        for (name, _) in s
            .scaling_policies
            .iter()
            .filter(|(_, pol)| pol.group == group && (pol.step.is_some() || pol.simple.is_some()))
        {
            if !p.alarms.iter().any(|(_, ps)| ps.iter().any(|(k, _)| k == name))
                && !not_simulated.iter().any(|x| x.starts_with(&format!("{name}:")))
            {
                not_simulated.push(format!("{name}: no alarm triggers it"));
            }
        }
        p
    }

    /// The CPU target the group aims at: its CPU target tracking policy's, else 70.
    pub fn target_cpu(&self) -> f64 {
        self.tracking.iter().find(|t| t.cpu).map(|t| t.target).unwrap_or(70.0)
    }

    /// Target tracking at the end of the minute. Scale-in waits until every running instance is
    /// in service and a 5-minute cooldown has passed.
    pub fn track(&self, now: &Tick, sizes: Sizes, holds: &mut Holds, want: &mut Want) {
        let Tick { t, series, in_service, running } = *now;
        let mut ins: Vec<(i64, String)> = Vec::new();
        let mut voters = 0;
        for tt in &self.tracking {
            let values = if tt.cpu { &series.cpu } else { &series.rpt };
            let last = |n: usize| (t + 1 >= n).then(|| &values[t + 1 - n..=t]);
            let value = values[t];
            if last(3).is_some_and(|w| w.iter().all(|v| *v > tt.target)) && in_service > 0 {
                let n = (in_service as f64 * value / tt.target).ceil() as i64;
                if n > sizes.desired as i64 {
                    propose(want, n, format!("{}: {:.0} > target {} for 3 min", tt.name, value, tt.target));
                }
            }
            if tt.disable_scale_in {
                continue;
            }
            voters += 1;
            if last(15).is_some_and(|w| w.iter().all(|v| *v < 0.9 * tt.target)) {
                ins.push((
                    (in_service as f64 * value / tt.target).ceil() as i64,
                    format!("{}: {:.0} < {:.0} for 15 min", tt.name, value, 0.9 * tt.target),
                ));
            }
        }
        if want.is_none() && voters > 0 && ins.len() == voters && t >= holds.scale_in_until && running == in_service {
            let (proportional, why) = ins.into_iter().max_by_key(|(n, _)| *n).expect("every voter");
            let floor = sizes.desired as i64 - ((sizes.desired as f64 * 0.1).floor() as i64).max(1);
            let n = proportional.max(floor).max(sizes.min as i64);
            if n < sizes.desired as i64 {
                *want = Some((n, why));
                holds.scale_in_until = t + 5;
            }
        }
    }

    /// Step and simple policies whose alarm is in ALARM at the end of the minute; `warmup` is the
    /// minutes a new instance needs.
    pub fn alarmed(&mut self, now: &Tick, warmup: usize, holds: &mut Holds, want: &mut Want, events: &mut Vec<String>) {
        let Tick { t, series, running: current, .. } = *now;
        for (model, policies) in self.alarms.iter_mut() {
            let Some(value) = model.evaluate(t, series) else { continue };
            for (pk, p) in policies.iter() {
                if let Some(si) = &p.simple {
                    if t < holds.simple_until {
                        events.push(format!("{pk}: in cooldown (alarm {})", model.name));
                        continue;
                    }
                    let n = adjusted(si.adjustment_type, si.adjust, current, si.min_adjustment_magnitude);
                    holds.simple_until =
                        t + (si.cooldown.unwrap_or(crate::defaults::SCALING_COOLDOWN) as usize).div_ceil(60);
                    *want = Some((n, format!("{pk}: alarm {} ({value:.0}), adjust {}", model.name, si.adjust)));
                } else if let Some(st) = &p.step {
                    let breach = value - model.alarm.threshold.unwrap_or_default();
                    let step = st
                        .steps
                        .iter()
                        .find(|x| x.lower.is_none_or(|l| breach >= l) && x.upper.is_none_or(|u| breach < u));
                    let Some(step) = step else { continue };
                    // Instances launched by an earlier step still warming up count as added.
                    if step.adjust > 0 && t < holds.step_warm_until {
                        continue;
                    }
                    let n = adjusted(st.adjustment_type, step.adjust, current, st.min_adjustment_magnitude);
                    if step.adjust > 0 {
                        holds.step_warm_until = t + (st.warmup.map(|w| w as usize).unwrap_or(warmup * 60)).div_ceil(60);
                    }
                    *want = Some((n, format!("{pk}: alarm {} ({value:.0}), step {:+}", model.name, step.adjust)));
                }
            }
        }
    }

    /// Predictive scaling (forecast and scale): the same minute of the previous two days,
    /// `buffer_time` ahead; `capacity` is what one instance serves at 100% CPU.
    pub fn forecast(&self, t: usize, load: &[f64], capacity: f64, sizes: Sizes, want: &mut Want) {
        for (pk, pr) in &self.predictive {
            let ahead = t + (pr.buffer_time.unwrap_or(crate::defaults::PREDICTIVE_BUFFER_TIME) as usize).div_ceil(60);
            let days: Vec<f64> =
                (1..=2).filter_map(|d| ahead.checked_sub(d * 1440)).filter_map(|m| load.get(m).copied()).collect();
            if days.is_empty() || pr.mode != PredictiveMode::ForecastAndScale {
                continue;
            }
            let forecast = days.iter().sum::<f64>() / days.len() as f64;
            let needed = if pr.metric == Some(PredefinedMetric::Cpu) {
                forecast / (capacity * pr.target / 100.0)
            } else {
                forecast * 60.0 / pr.target
            };
            let mut cap = sizes.max as f64;
            if pr.max_capacity_behavior == MaxCapacityBehavior::IncreaseMaxCapacity {
                cap *= 1.0 + pr.max_capacity_buffer.unwrap_or(0) as f64 / 100.0;
            }
            let n = needed.ceil().min(cap.floor()) as i64;
            if n > sizes.desired as i64 && n > want.as_ref().map_or(0, |w| w.0) {
                propose(want, n, format!("{pk}: forecast {forecast:.0} rps"));
            }
        }
    }
}

/// The capacity a step or simple policy sets from `current`.
pub(super) fn adjusted(kind: AdjustmentType, adjust: i32, current: u32, min_magnitude: Option<i32>) -> i64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_round_away_from_zero_to_the_minimum_magnitude() {
        assert_eq!(adjusted(AdjustmentType::ChangeInCapacity, -1, 4, None), 3);
        assert_eq!(adjusted(AdjustmentType::ExactCapacity, 7, 4, None), 7);
        assert_eq!(adjusted(AdjustmentType::PercentChangeInCapacity, 10, 4, None), 5, "0.4 rounds up to 1");
        assert_eq!(adjusted(AdjustmentType::PercentChangeInCapacity, -10, 4, None), 3);
        assert_eq!(
            adjusted(AdjustmentType::PercentChangeInCapacity, 10, 4, Some(2)),
            6,
            "at least the minimum magnitude"
        );
    }

    fn tracking(target: f64) -> Policies<'static> {
        Policies {
            tracking: vec![Tracking { name: "cpu", cpu: true, target, disable_scale_in: false }],
            predictive: vec![],
            alarms: vec![],
            warmup_secs: None,
        }
    }

    #[test]
    fn target_tracking_scales_out_after_three_minutes_proportionally() {
        let p = tracking(50.0);
        let sizes = Sizes { min: 1, max: 10, desired: 2 };
        let series = Series { cpu: vec![80.0, 80.0, 80.0], ..Series::default() };
        let tick = |t| Tick { t, series: &series, running: 2, in_service: 2 };
        let mut want = None;
        p.track(&tick(1), sizes, &mut Holds::default(), &mut want);
        assert!(want.is_none(), "two minutes above the target are not enough");
        p.track(&tick(2), sizes, &mut Holds::default(), &mut want);
        assert_eq!(want.map(|w| w.0), Some(4), "2 instances at 80% for a 50% target: ceil(3.2)");
    }

    #[test]
    fn target_tracking_scales_in_slowly_after_fifteen_quiet_minutes() {
        let p = tracking(50.0);
        let sizes = Sizes { min: 1, max: 30, desired: 20 };
        let series = Series { cpu: vec![10.0; 16], ..Series::default() };
        let tick = |t, n| Tick { t, series: &series, running: n, in_service: n };
        let (mut want, mut holds) = (None, Holds::default());
        p.track(&tick(13, 20), sizes, &mut holds, &mut want);
        assert!(want.is_none());
        p.track(&tick(14, 20), sizes, &mut holds, &mut want);
        assert_eq!(want.map(|w| w.0), Some(18), "at most 10% of the group at a time");
        let mut again = None;
        p.track(&tick(15, 18), Sizes { desired: 18, ..sizes }, &mut holds, &mut again);
        assert!(again.is_none(), "then a 5-minute cooldown");
    }

    #[test]
    fn predictive_scaling_follows_yesterday_ahead_of_time() {
        let pr: PredictiveScaling =
            serde_json::from_value(serde_json::json!({ "metric": "cpu", "target": 50, "mode": "forecast_and_scale" }))
                .unwrap();
        let p = Policies { tracking: vec![], predictive: vec![("forecast", &pr)], alarms: vec![], warmup_secs: None };
        let mut load = vec![0.0; 1440 + 10];
        load[5 + 5] = 400.0; // yesterday, 5 minutes after minute 1440 + 5 - 1440
        let mut want = None;
        p.forecast(1440 + 5, &load, 100.0, Sizes { min: 1, max: 20, desired: 2 }, &mut want);
        assert_eq!(want.map(|w| w.0), Some(8), "400 rps at 50% of 100 rps per instance");
    }
}
