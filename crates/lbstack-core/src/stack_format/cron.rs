//! The five-field cron of scheduled actions (minute hour day-of-month month day-of-week), as Auto
//! Scaling takes it: one parser for `validate` (is it valid?) and `simulate` (when does it fire?),
//! so the two never disagree. Day-of-month and day-of-week restrict together as in Unix cron: when
//! both are restricted, either may match.

use chrono::{Datelike, Timelike};

pub struct Cron {
    minute: Vec<bool>,
    hour: Vec<bool>,
    dom: Vec<bool>,
    month: Vec<bool>,
    dow: Vec<bool>,
    dom_any: bool,
    dow_any: bool,
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field: its name in messages, its range, and the names its values may take.
struct Field {
    what: &'static str,
    lo: u32,
    hi: u32,
    names: &'static [&'static str],
    first_name: u32,
}

impl Field {
    fn value(&self, s: &str) -> Option<u32> {
        match self.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            Some(i) => Some(i as u32 + self.first_name),
            None => s.parse().ok(),
        }
    }

    fn parse(&self, s: &str) -> Result<Vec<bool>, String> {
        let mut set = vec![false; self.hi as usize + 1];
        for part in s.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, st)) => match st.parse::<u32>() {
                    Ok(n) if n > 0 => (r, n),
                    _ => return Err(format!("bad step `{st}` in the {} field", self.what)),
                },
                None => (part, 1),
            };
            let bounds = if range == "*" {
                Some((self.lo, self.hi))
            } else if let Some((a, b)) = range.split_once('-') {
                self.value(a).zip(self.value(b))
            } else {
                // `5/15`: from 5, every 15, to the end of the range.
                self.value(range).map(|v| (v, if step > 1 { self.hi } else { v }))
            };
            let Some((a, b)) = bounds.filter(|(a, b)| *a >= self.lo && *b <= self.hi && a <= b) else {
                return Err(format!("`{part}` is out of range for the {} field ({}–{})", self.what, self.lo, self.hi));
            };
            let mut v = a;
            while v <= b {
                set[v as usize] = true;
                v += step;
            }
        }
        Ok(set)
    }
}

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!("{} fields instead of 5", f.len()));
        }
        let field =
            |what, lo, hi, names: &'static [&'static str], first_name| Field { what, lo, hi, names, first_name };
        let mut dow = field("day of week", 0, 7, &DAYS, 0).parse(f[4])?;
        if dow[7] {
            dow[0] = true; // 7 is Sunday too
        }
        Ok(Cron {
            minute: field("minute", 0, 59, &[], 0).parse(f[0])?,
            hour: field("hour", 0, 23, &[], 0).parse(f[1])?,
            dom: field("day of month", 1, 31, &[], 0).parse(f[2])?,
            month: field("month", 1, 12, &MONTHS, 1).parse(f[3])?,
            dow,
            dom_any: f[2] == "*",
            dow_any: f[4] == "*",
        })
    }

    pub fn matches<T: Datelike + Timelike>(&self, t: &T) -> bool {
        let dom = self.dom[t.day() as usize];
        let dow = self.dow[t.weekday().num_days_from_sunday() as usize];
        let day = match (self.dom_any, self.dow_any) {
            (true, true) => true,
            (false, true) => dom,
            (true, false) => dow,
            (false, false) => dom || dow,
        };
        self.minute[t.minute() as usize] && self.hour[t.hour() as usize] && self.month[t.month() as usize] && day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fields_names_steps_and_days() {
        let c = Cron::parse("30 8 * * MON-FRI").unwrap();
        let paris = chrono_tz::Europe::Paris;
        assert!(c.matches(&paris.with_ymd_and_hms(2026, 3, 27, 8, 30, 0).unwrap()), "a Friday");
        assert!(!c.matches(&paris.with_ymd_and_hms(2026, 3, 28, 8, 30, 0).unwrap()), "a Saturday");
        let every = Cron::parse("*/15 * * * *").unwrap();
        assert!(every.matches(&chrono::Utc.with_ymd_and_hms(2026, 1, 1, 3, 45, 0).unwrap()));
        assert!(!every.matches(&chrono::Utc.with_ymd_and_hms(2026, 1, 1, 3, 46, 0).unwrap()));
        let sunday = Cron::parse("0 0 * * 7").unwrap();
        assert!(sunday.matches(&chrono::Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap()));
        assert!(Cron::parse("*/15 9-17 * JAN-MAR MON-FRI").is_ok());
    }

    #[test]
    fn mistakes_are_named() {
        let err = |e: &str| Cron::parse(e).err().unwrap_or_default();
        assert_eq!(err("0 8 * *"), "4 fields instead of 5");
        assert_eq!(err("60 8 * * *"), "`60` is out of range for the minute field (0–59)");
        assert_eq!(err("0 8 * * 1-9"), "`1-9` is out of range for the day of week field (0–7)");
        assert_eq!(err("0 8 * FOO *"), "`FOO` is out of range for the month field (1–12)");
        // validate and simulate once disagreed here: a step of 0 is refused, never clamped.
        assert_eq!(err("0 8 * * */0"), "bad step `0` in the day of week field");
        assert_eq!(err("*/x 8 * * *"), "bad step `x` in the minute field");
    }
}
