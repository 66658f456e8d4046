//! Alarms in the simulation: per-minute metric series, CloudWatch's statistics over a period, and
//! an alarm's M-of-N evaluation at the end of each of its periods.

use crate::stack_format::model::{Alarm, Comparison};

/// Per-minute metric series the alarms read.
#[derive(Default)]
pub(super) struct Series {
    pub cpu: Vec<f64>,
    pub rpt: Vec<f64>,
    pub requests: Vec<f64>,
}

/// The metrics the model produces.
pub(super) const MODELLED: [&str; 3] = ["CPUUtilization", "RequestCountPerTarget", "RequestCount"];

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
pub(super) struct AlarmModel<'a> {
    pub name: &'a str,
    pub alarm: &'a Alarm,
    pub period: usize,
    pub in_alarm: bool,
}

impl<'a> AlarmModel<'a> {
    pub fn new(name: &'a str, alarm: &'a Alarm) -> Self {
        AlarmModel { name, alarm, period: (alarm.period as usize / 60).max(1), in_alarm: false }
    }

    /// Re-evaluate at the end of minute `t`; returns the latest datapoint when the alarm is in ALARM.
    pub fn evaluate(&mut self, t: usize, s: &Series) -> Option<f64> {
        if !(t + 1).is_multiple_of(self.period) {
            return None;
        }
        let series = s.metric(self.alarm.metric.as_deref()?)?;
        let periods = (t + 1) / self.period;
        let n = self.alarm.evaluation_periods as usize;
        let m = self.alarm.datapoints_to_alarm.unwrap_or(self.alarm.evaluation_periods) as usize;
        let stat = self.alarm.statistic.as_deref().unwrap_or(crate::defaults::STATISTIC);
        let points: Vec<f64> = (periods.saturating_sub(n)..periods)
            .map(|k| statistic(stat, &series[k * self.period..(k + 1) * self.period]))
            .collect();
        let breaching = points
            .iter()
            .filter(|v| breaches(self.alarm.comparison, **v, self.alarm.threshold.unwrap_or_default()))
            .count();
        // Missing data (the first periods) counts as not breaching.
        self.in_alarm = breaching >= m;
        self.in_alarm.then(|| *points.last().unwrap_or(&0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(text: &str) -> Alarm {
        serde_json::from_value(serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn statistics_are_cloudwatchs() {
        let v = [1.0, 5.0, 3.0];
        assert_eq!((statistic("Sum", &v), statistic("Maximum", &v), statistic("Minimum", &v)), (9.0, 5.0, 1.0));
        assert_eq!((statistic("SampleCount", &v), statistic("Average", &v)), (3.0, 3.0));
    }

    #[test]
    fn an_alarm_fires_on_m_of_n_periods_at_the_end_of_a_period() {
        let a = alarm(
            r#"{"metric": "CPUUtilization", "period": 120, "evaluation_periods": 3, "datapoints_to_alarm": 2, "threshold": 50, "comparison": ">"}"#,
        );
        let mut model = AlarmModel::new("cpu", &a);
        let series = Series { cpu: vec![10.0, 10.0, 90.0, 90.0, 10.0, 10.0, 80.0, 80.0], ..Series::default() };
        assert_eq!(model.evaluate(0, &series), None, "mid-period: not evaluated");
        assert_eq!(model.evaluate(3, &series), None, "one breaching period of two so far");
        assert!(!model.in_alarm);
        assert_eq!(model.evaluate(7, &series), Some(80.0), "two of the last three periods breach");
        assert!(model.in_alarm);
    }

    #[test]
    fn unmodelled_metrics_and_bands_never_fire() {
        let a = alarm(r#"{"metric": "NetworkIn", "threshold": 1, "comparison": ">"}"#);
        assert_eq!(AlarmModel::new("net", &a).evaluate(0, &Series { cpu: vec![100.0], ..Series::default() }), None);
        assert!(!breaches(Comparison::OutsideBand, 1e9, 0.0));
    }
}
