//! Demand curves: requests per second for every minute, from a CSV file or a built-in shape.
//!
//! Shapes take `name:key=value,...`, every key optional:
//! - `steady:rps=300`
//! - `spike:base=200,peak=2000,at=60,for=30`
//! - `ramp:from=100,to=2000,over=120` (then flat)
//! - `diurnal:low=200,high=2000` (sine over the day, lowest at 04:00, highest at 16:00, local to the start time)
//! - `business-hours:low=100,high=1500,from=9,to=17` (weekdays high between the hours, else low)

use std::f64::consts::PI;

/// The longest simulation: a year of minutes.
pub const MAX_MINUTES: usize = 366 * 1440;

/// Load per minute, and the default length of the simulation for the shape.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Requests per second (or, for a CPU curve, percent of one instance at 100%).
    pub load: Vec<f64>,
    /// Whether `load` is CPU demand rather than requests.
    pub cpu: bool,
    pub description: String,
}

fn params(spec: &str) -> Result<std::collections::BTreeMap<String, f64>, String> {
    let mut out = std::collections::BTreeMap::new();
    for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| format!("`{part}`: expected key=value"))?;
        let v: f64 = v.trim().parse().map_err(|_| format!("`{part}`: `{v}` is not a number"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!("`{part}`: values are non-negative numbers"));
        }
        out.insert(k.trim().to_string(), v);
    }
    Ok(out)
}

/// `minutes`: length when the caller asks for one; each shape has its own default otherwise.
/// `start_weekday_hour`: for each minute, (weekday 0 = Monday, hour of day) at the simulation's time zone.
pub fn parse(spec: &str, minutes: Option<usize>, local: &dyn Fn(usize) -> (u32, f64)) -> Result<Curve, String> {
    if let Some(m) = minutes.filter(|m| *m == 0 || *m > MAX_MINUTES) {
        return Err(format!("{m} minutes: simulate from 1 minute to a year ({MAX_MINUTES})"));
    }
    let (name, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let known = ["steady", "spike", "ramp", "diurnal", "business-hours"];
    if !known.contains(&name) {
        return from_csv(spec, minutes);
    }
    let p = params(rest)?;
    let allowed: &[&str] = match name {
        "steady" => &["rps"],
        "spike" => &["base", "peak", "at", "for"],
        "ramp" => &["from", "to", "over"],
        "diurnal" => &["low", "high"],
        _ => &["low", "high", "from", "to"],
    };
    if let Some(bad) = p.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("`{name}` takes {}; not `{bad}`", allowed.join(", ")));
    }
    let get = |k: &str, d: f64| p.get(k).copied().unwrap_or(d);
    let (default_minutes, f): (usize, Box<dyn Fn(usize) -> f64>) = match name {
        "steady" => (120, Box::new(move |_| get("rps", 300.0))),
        "spike" => {
            let (base, peak, at, len) = (get("base", 200.0), get("peak", 2000.0), get("at", 60.0), get("for", 30.0));
            (180, Box::new(move |m| if (m as f64) >= at && (m as f64) < at + len { peak } else { base }))
        }
        "ramp" => {
            let (from, to, over) = (get("from", 100.0), get("to", 2000.0), get("over", 120.0).max(1.0));
            (180, Box::new(move |m| from + (to - from) * ((m as f64) / over).min(1.0)))
        }
        "diurnal" => {
            let (low, high) = (get("low", 200.0), get("high", 2000.0));
            (
                3 * 1440,
                Box::new(move |m| {
                    let (_, hour) = local(m);
                    low + (high - low) * (0.5 - 0.5 * ((hour - 4.0) / 24.0 * 2.0 * PI).cos())
                }),
            )
        }
        _ => {
            let (low, high, from, to) = (get("low", 100.0), get("high", 1500.0), get("from", 9.0), get("to", 17.0));
            (
                7 * 1440,
                Box::new(move |m| {
                    let (weekday, hour) = local(m);
                    if weekday < 5 && hour >= from && hour < to { high } else { low }
                }),
            )
        }
    };
    let n = minutes.unwrap_or(default_minutes);
    Ok(Curve { load: (0..n).map(f).collect(), cpu: false, description: spec.to_string() })
}

/// `minute,rps` (or `minute,cpu`) rows; a header line is optional. Minutes without a row repeat
/// the previous value.
fn from_csv(path: &str, minutes: Option<usize>) -> Result<Curve, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("`{path}` is neither a built-in shape (steady, spike, ramp, diurnal, business-hours) nor a readable CSV file: {e}"))?;
    let mut points: Vec<(usize, f64)> = Vec::new();
    let mut cpu = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split(',').map(str::trim);
        let (Some(a), Some(b)) = (cols.next(), cols.next()) else {
            return Err(format!("{path}:{}: expected `minute,load`", i + 1));
        };
        match (a.parse::<usize>(), b.parse::<f64>()) {
            (Ok(m), Ok(v)) if v >= 0.0 && v.is_finite() => points.push((m, v)),
            _ if points.is_empty() && a.parse::<f64>().is_err() => cpu = b.eq_ignore_ascii_case("cpu"),
            _ => return Err(format!("{path}:{}: `{line}` is not `minute,load` with a non-negative load", i + 1)),
        }
    }
    if points.is_empty() {
        return Err(format!("{path}: no data rows"));
    }
    points.sort_by_key(|p| p.0);
    let last = points.last().map(|p| p.0).unwrap_or(0) + 1;
    if minutes.is_none() && last > MAX_MINUTES {
        return Err(format!("{path}: minute {} is beyond a year; pass --minutes to cut the curve", last - 1));
    }
    let n = minutes.unwrap_or(last);
    let mut load = Vec::with_capacity(n);
    let mut j = 0;
    let mut current = points[0].1;
    for m in 0..n {
        while j < points.len() && points[j].0 <= m {
            current = points[j].1;
            j += 1;
        }
        load.push(current);
    }
    Ok(Curve { load, cpu, description: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(m: usize) -> (u32, f64) {
        (((m / 1440) % 7) as u32, (m % 1440) as f64 / 60.0)
    }

    #[test]
    fn shapes() {
        let c = parse("spike:base=100,peak=900,at=10,for=5", Some(20), &utc).unwrap();
        assert_eq!((c.load[9], c.load[10], c.load[14], c.load[15]), (100.0, 900.0, 900.0, 100.0));
        let c = parse("ramp:from=0,to=100,over=10", Some(20), &utc).unwrap();
        assert_eq!((c.load[0], c.load[5], c.load[15]), (0.0, 50.0, 100.0));
        let c = parse("diurnal:low=0,high=100", None, &utc).unwrap();
        assert_eq!(c.load.len(), 3 * 1440);
        assert!(c.load[4 * 60] < 0.001 && (c.load[16 * 60] - 100.0).abs() < 0.001);
        let c = parse("business-hours", None, &utc).unwrap();
        assert_eq!((c.load[10 * 60], c.load[5 * 1440 + 10 * 60]), (1500.0, 100.0), "Monday 10:00 high, Saturday low");
        assert!(parse("spike:peek=3", None, &utc).unwrap_err().contains("not `peek`"));
    }

    #[test]
    fn csv_rows_hold_until_the_next_and_a_cpu_header_marks_cpu_demand() {
        let path = std::env::temp_dir().join(format!("lbstack-curve-{}.csv", std::process::id()));
        std::fs::write(&path, "minute,cpu\n0,50\n# a comment\n3,250\n5,100\n").unwrap();
        let c = parse(path.to_str().unwrap(), None, &utc).unwrap();
        assert!(c.cpu);
        assert_eq!(c.load, vec![50.0, 50.0, 50.0, 250.0, 250.0, 100.0]);
        std::fs::write(&path, "0,10\n2,-5\n").unwrap();
        assert!(parse(path.to_str().unwrap(), None, &utc).unwrap_err().contains(":2:"));
    }
}
