//! The five-field cron of scheduled actions (minute hour day-of-month month day-of-week), matched
//! against a local time. Day-of-month and day-of-week restrict together as in Unix cron: when both
//! are restricted, either may match.

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

fn value(s: &str, names: &[&str], offset: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + offset);
    }
    s.parse().map_err(|_| format!("`{s}` is not a number"))
}

fn field(s: &str, lo: u32, hi: u32, names: &[&str], name_offset: u32) -> Result<Vec<bool>, String> {
    let mut set = vec![false; hi as usize + 1];
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<u32>().map_err(|_| format!("bad step in `{part}`"))?.max(1)),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, name_offset)?, value(b, names, name_offset)?)
        } else {
            let v = value(range, names, name_offset)?;
            (v, if step > 1 { hi } else { v })
        };
        if a < lo || b > hi || a > b {
            return Err(format!("`{part}` is outside {lo}-{hi}"));
        }
        let mut v = a;
        while v <= b {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok(set)
}

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!("`{expr}` has {} fields, not 5", f.len()));
        }
        let mut dow = field(f[4], 0, 7, &DAYS, 0)?;
        if dow[7] {
            dow[0] = true; // 7 is Sunday too
        }
        Ok(Cron {
            minute: field(f[0], 0, 59, &[], 0)?,
            hour: field(f[1], 0, 23, &[], 0)?,
            dom: field(f[2], 1, 31, &[], 0)?,
            month: field(f[3], 1, 12, &MONTHS, 1)?,
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
        assert!(Cron::parse("0 8 * *").is_err() && Cron::parse("61 8 * * *").is_err());
        let sunday = Cron::parse("0 0 * * 7").unwrap();
        assert!(sunday.matches(&chrono::Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap()));
    }
}
