//! The simulation as a chart: demand and in-service capacity (requests/s, left axis) and CPU
//! utilisation (percent, right axis) over time. SVG written directly; PNG rendered from it.

use super::Outcome;
use std::fmt::Write as _;

const W: f64 = 960.0;
const H: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 60.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// A round step for about `ticks` ticks up to `max`.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

fn polyline(points: &[(f64, f64)], color: &str, width: f64, dash: &str) -> String {
    let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"{dash} points=\"{}\"/>\n",
        pts.join(" ")
    )
}

pub fn svg(o: &Outcome, title: &str) -> String {
    let n = o.timeline.len().max(2);
    let peak = o.timeline.iter().map(|m| m.load.max(m.in_service as f64 * o.capacity)).fold(1.0, f64::max) * 1.1;
    let step = nice_step(peak, 5.0);
    let top = (peak / step).ceil() * step;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |m: usize| LEFT + pw * m as f64 / (n - 1) as f64;
    let y = |v: f64| TOP + ph * (1.0 - v / top);
    let yp = |pct: f64| TOP + ph * (1.0 - pct / 100.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(s, "<text x=\"{LEFT}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>", escape(title));
    // Grid and left axis (requests/s).
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let yy = y(v);
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e5e5\"/>",
            W - RIGHT
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            LEFT - 8.0,
            yy + 4.0,
            v.round()
        );
        v += step;
    }
    // Right axis (CPU %).
    for pct in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c0661a\">{pct:.0}%</text>",
            W - RIGHT + 8.0,
            yp(pct) + 4.0
        );
    }
    // Time axis: hours, or minutes for short runs.
    let tick = if n > 2 * 1440 {
        720
    } else if n > 720 {
        120
    } else if n > 180 {
        30
    } else {
        10
    };
    let mut m = 0;
    while m < n {
        let xx = x(m);
        let label = if tick >= 60 { format!("{}h", m / 60) } else { format!("{m}m") };
        let _ = writeln!(
            s,
            "<line x1=\"{xx:.1}\" y1=\"{:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>",
            H - BOTTOM,
            H - BOTTOM + 5.0
        );
        let _ = writeln!(
            s,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{label}</text>",
            H - BOTTOM + 18.0
        );
        m += tick;
    }
    let _ =
        writeln!(s, "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>");
    // Capacity as a step line, demand, utilisation.
    // Capacity changes in steps: a point pair per change. Demand and CPU are sampled to about one
    // point per pixel, so a week-long run stays a small file.
    let mut cap: Vec<(f64, f64)> = Vec::new();
    let mut last_cap = None;
    for (i, m) in o.timeline.iter().enumerate() {
        let c = y(m.in_service as f64 * o.capacity);
        if last_cap != Some(c) {
            if let Some(prev) = last_cap {
                cap.push((x(i), prev));
            }
            cap.push((x(i), c));
            last_cap = Some(c);
        }
    }
    cap.push((x(n - 1), last_cap.unwrap_or(y(0.0))));
    s.push_str(&polyline(&cap, "#2a8a2a", 2.0, ""));
    let every = o.timeline.len().div_ceil(pw as usize).max(1);
    let sampled = |f: &dyn Fn(&super::Minute) -> f64| -> Vec<(f64, f64)> {
        o.timeline
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0 || i + 1 == o.timeline.len())
            .map(|(i, m)| (x(i), f(m)))
            .collect()
    };
    let load = sampled(&|m| y(m.load));
    s.push_str(&polyline(&load, "#1f5fbf", 1.6, ""));
    let cpu = sampled(&|m| yp(m.cpu));
    s.push_str(&polyline(&cpu, "#c0661a", 1.2, " stroke-dasharray=\"4 3\""));
    // Scaling actions as ticks on the time axis (unless there are too many to tell apart).
    let eventful = o.timeline.iter().filter(|m| !m.events.is_empty()).count();
    for (i, m) in o.timeline.iter().enumerate().filter(|(_, m)| !m.events.is_empty() && eventful <= 400) {
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#555\"><title>{}</title></circle>",
            x(i),
            H - BOTTOM,
            escape(&m.events.join("; "))
        );
    }
    // Legend.
    let ly = H - 12.0;
    for (i, (color, label, dash)) in [
        ("#1f5fbf", "demand (requests/s)", ""),
        ("#2a8a2a", "in-service capacity (requests/s)", ""),
        ("#c0661a", "CPU (right axis)", " stroke-dasharray=\"4 3\""),
    ]
    .iter()
    .enumerate()
    {
        let lx = LEFT + i as f64 * 250.0;
        let _ = writeln!(
            s,
            "<line x1=\"{lx}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>",
            ly - 4.0,
            lx + 24.0,
            ly - 4.0
        );
        let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{ly:.1}\" fill=\"#333\">{label}</text>", lx + 30.0);
    }
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Rasterise the SVG (text with the system's fonts).
pub fn png(svg: &str, path: &std::path::Path) -> Result<(), String> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("chart: empty image")?;
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.save_png(path).map_err(|e| format!("writing {}: {e}", path.display()))
}
