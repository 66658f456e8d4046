//! Scheduled actions in the simulation: each runs at its cron minute in its own time zone
//! (daylight saving included), or once at its start time, and sets the group's sizes.

use crate::stack_format::cron::Cron;
use crate::stack_format::model::{ScheduledAction, Stack};
use chrono::{DateTime, Utc};

/// The group's sizes as schedules and policies change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sizes {
    pub min: u32,
    pub max: u32,
    pub desired: u32,
}

pub(super) struct Schedule<'a> {
    pub key: &'a str,
    action: &'a ScheduledAction,
    cron: Option<Cron>,
    tz: chrono_tz::Tz,
}

fn parse_time(t: &Option<String>) -> Option<DateTime<Utc>> {
    t.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|d| d.with_timezone(&Utc))
}

impl<'a> Schedule<'a> {
    /// The scheduled actions of `group`, their recurrences and time zones parsed.
    pub fn of_group(s: &'a Stack, group: &str) -> Result<Vec<Schedule<'a>>, String> {
        s.scheduled_actions
            .iter()
            .filter(|(_, a)| a.group == group)
            .map(|(k, a)| {
                let cron = a
                    .recurrence
                    .as_deref()
                    .map(Cron::parse)
                    .transpose()
                    .map_err(|e| format!("scheduled action `{k}`: {e}"))?;
                let tz: chrono_tz::Tz = a
                    .time_zone
                    .as_deref()
                    .unwrap_or("UTC")
                    .parse()
                    .map_err(|_| format!("scheduled action `{k}`: unknown time zone"))?;
                Ok(Schedule { key: k.as_str(), action: a, cron, tz })
            })
            .collect()
    }

    /// Whether the action runs in the minute starting at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        let start = parse_time(&self.action.start);
        match &self.cron {
            Some(c) => {
                start.is_none_or(|st| now >= st)
                    && parse_time(&self.action.end).is_none_or(|e| now < e)
                    && c.matches(&now.with_timezone(&self.tz))
            }
            None => start.is_some_and(|st| st.timestamp() / 60 == now.timestamp() / 60),
        }
    }

    /// Runs the action at `now`: the new sizes, and the line the timeline shows.
    pub fn run(&self, now: DateTime<Utc>, sizes: Sizes) -> (Sizes, String) {
        let a = self.action;
        let (min, max) = (a.min.unwrap_or(sizes.min), a.max.unwrap_or(sizes.max));
        let desired = a.desired.unwrap_or(sizes.desired).clamp(min, max);
        let local = now.with_timezone(&self.tz);
        let event = format!(
            "{}: min {min} max {max} desired {desired} ({} {})",
            self.key,
            local.format("%a %H:%M"),
            self.tz.name()
        );
        (Sizes { min, max, desired }, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn stack(actions: &str) -> Stack {
        let text = format!(
            "version: 1\nstack: s\nlaunch_templates:\n  app: {{image: ami-12345678, instance_type: t3.micro}}\nautoscaling_groups:\n  app: {{min: 1, max: 10, launch_template: app}}\nscheduled_actions:\n{actions}"
        );
        crate::stack_format::load_str("s.yaml", &text, None, &[]).stack.expect("a stack")
    }

    #[test]
    fn a_recurring_action_runs_at_its_local_minute() {
        let s = stack("  morning: {group: app, recurrence: \"30 7 * * 1-5\", time_zone: Europe/Paris, min: 4}\n");
        let schedules = Schedule::of_group(&s, "app").unwrap();
        // 07:30 in Paris on a winter Monday is 06:30 UTC.
        let monday = Utc.with_ymd_and_hms(2026, 1, 5, 6, 30, 0).unwrap();
        assert!(schedules[0].due(monday));
        assert!(!schedules[0].due(monday + chrono::Duration::minutes(1)));
        assert!(!schedules[0].due(monday + chrono::Duration::days(5)), "Saturday");
        let (sizes, event) = schedules[0].run(monday, Sizes { min: 1, max: 10, desired: 2 });
        assert_eq!(sizes, Sizes { min: 4, max: 10, desired: 4 }, "desired follows the new minimum");
        assert_eq!(event, "morning: min 4 max 10 desired 4 (Mon 07:30 Europe/Paris)");
    }

    #[test]
    fn a_one_off_action_runs_once_at_its_start() {
        let s = stack("  sale: {group: app, start: \"2026-11-27T05:00:00Z\", max: 20, desired: 12}\n");
        let schedules = Schedule::of_group(&s, "app").unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap();
        assert!(schedules[0].due(start) && !schedules[0].due(start + chrono::Duration::minutes(1)));
        assert_eq!(
            schedules[0].run(start, Sizes { min: 1, max: 10, desired: 2 }).0,
            Sizes { min: 1, max: 20, desired: 12 }
        );
    }
}
