//! Plans for people (Terraform's symbols and summary line) and for machines (versioned JSON).

use super::model::*;
use crate::attrs::autoscaling::{AutoScalingGroupAttrs, GroupInputs, LaunchTemplateInputs};
use serde_json::Value;
use std::fmt::Write as _;

struct Style {
    color: bool,
}

impl Style {
    /// `s` in the colour of an SGR code (`32` green, `1;31` bold red), through anstyle.
    fn paint(&self, code: &str, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        let mut style = anstyle::Style::new();
        for part in code.split(';') {
            style = match part {
                "1" => style.bold(),
                "31" => style.fg_color(Some(anstyle::AnsiColor::Red.into())),
                "32" => style.fg_color(Some(anstyle::AnsiColor::Green.into())),
                "33" => style.fg_color(Some(anstyle::AnsiColor::Yellow.into())),
                _ => style,
            };
        }
        format!("{}{s}{}", style.render(), style.render_reset())
    }
    fn symbol(&self, a: Action) -> String {
        match a {
            Action::Create => self.paint("32", "+"),
            Action::Update => self.paint("33", "~"),
            Action::Delete => self.paint("31", "-"),
            Action::DeleteCreate => format!("{}/{}", self.paint("31", "-"), self.paint("32", "+")),
            Action::CreateDelete => format!("{}/{}", self.paint("32", "+"), self.paint("31", "-")),
            Action::NoOp => " ".into(),
        }
    }
    /// The symbol right-aligned in three columns; padded by what shows, not by the escape codes
    /// (which made headers drift right with `--color always`).
    fn symbol_column(&self, a: Action) -> String {
        let shown = if a.is_replace() { 3 } else { 1 };
        format!("{}{}", " ".repeat(3 - shown), self.symbol(a))
    }
}

/// A value as it reads in a plan: strings quoted, references by address.
pub fn show(v: &Value) -> String {
    if let Some(a) = as_reference(v) {
        return a.to_string();
    }
    match v {
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => {
            format!("{{{}}}", m.iter().map(|(k, v)| format!("{k} = {}", show(v))).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// Leaves of an attribute map as `path = value` pairs, in the map's own order.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if as_reference(v).is_none() && !m.is_empty() => {
            // `_` keys are inputs for apply, not state; two of them explain a value.
            for (k, x) in m.iter().filter(|(k, _)| !k.starts_with('_')) {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&p, x, out);
            }
        }
        Value::Null => {}
        // Multi-line text (user data) reads as a heredoc, as Terraform shows it.
        Value::String(text) if text.contains('\n') => {
            let body: String = text.lines().map(|l| format!("          {l}\n")).collect();
            out.push((prefix.to_string(), format!("<<EOT\n{body}        EOT")));
        }
        // A list of several structured elements (security group rules) reads one per line.
        Value::Array(items) if items.len() > 1 && items.iter().any(|i| i.is_object() && as_reference(i).is_none()) => {
            let body: String = items.iter().map(|i| format!("          {},\n", show(i))).collect();
            out.push((prefix.to_string(), format!("[\n{body}        ]")));
        }
        other => out.push((prefix.to_string(), show(other))),
    }
}

/// The tags lbstack keeps on what it owns (`lbstack:stack`, `lbstack:address`, ...): said once
/// at the top of a plan, not on every resource.
fn internal_tag(path: &str) -> bool {
    path.starts_with("tags.lbstack:")
}

/// A value a create shows nothing by: empty text, an empty list or map.
fn empty_default(value: &str) -> bool {
    matches!(value, "\"\"" | "[]" | "{}")
}

/// A comment after an attribute's value: the AMI a lookup resolved to.
fn annotation(c: &Change, path: &str) -> String {
    match path {
        "image" if c.address.kind == Kind::LaunchTemplate => {
            c.inputs_as::<LaunchTemplateInputs>().map(|i| format!("  # {}", i.image)).unwrap_or_default()
        }
        _ => String::new(),
    }
}

fn count_leaves(v: &Value) -> usize {
    let mut out = Vec::new();
    leaves("", v, &mut out);
    out.len()
}

pub fn human(plan: &Plan, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let acting: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    if !plan.conflicts.is_empty() {
        let _ = writeln!(out, "{}", st.paint("1;31", "Conflicts: apply changes nothing until these are resolved:"));
        for c in &plan.conflicts {
            let _ = writeln!(out, "  ! {} \"{}\" ({}): {}", c.address, c.name, c.id, c.reason);
        }
        out.push('\n');
    }
    if acting.is_empty() && plan.outputs.is_empty() {
        if plan.conflicts.is_empty() {
            let _ = writeln!(out, "No changes. Live AWS matches stack `{}`.", plan.stack);
        } else {
            let _ = writeln!(out, "Apply would refuse this plan: resolve the conflicts above first.");
        }
        warnings(&st, plan, &mut out);
        return out;
    }
    if acting.is_empty() {
        let _ = writeln!(out, "lbstack will change the outputs of stack `{}`; no resource changes.", plan.stack);
        output_lines(&st, plan, &mut out);
        warnings(&st, plan, &mut out);
        let _ = writeln!(out, "\n{} 0 to add, 0 to change, 0 to destroy.", st.paint("1", "Plan:"));
        return out;
    }
    let _ = writeln!(
        out,
        "lbstack will change stack `{}`. Resource actions are indicated with the following symbols:",
        plan.stack
    );
    let legend = [
        (Action::Create, "create"),
        (Action::Update, "update in-place"),
        (Action::DeleteCreate, "destroy and then create replacement"),
        (Action::CreateDelete, "create replacement and then destroy"),
        (Action::Delete, "destroy"),
    ];
    for (a, text) in legend {
        if acting.iter().any(|c| c.action == a) {
            let _ = writeln!(out, "  {} {text}", st.symbol(a));
        }
    }
    if acting.iter().any(|c| matches!(c.action, Action::Create | Action::CreateDelete | Action::DeleteCreate)) {
        out.push_str("\nWhat lbstack creates carries its `lbstack:stack` and `lbstack:address` tags (and `lbstack:tags`, the\ntags it manages): that is how it finds what the stack owns. They are not repeated below.\n");
    }
    out.push_str("\nlbstack will perform the following actions:\n");
    for c in acting {
        out.push('\n');
        let what = match c.action {
            Action::Create => "will be created",
            Action::Update if c.adopting => "will be adopted",
            Action::Update => "will be updated in-place",
            Action::Delete => "will be destroyed",
            Action::DeleteCreate | Action::CreateDelete => "must be replaced",
            Action::NoOp => unreachable!(),
        };
        let _ = writeln!(out, "  {} {what}", st.paint("1", &format!("# {}", c.address)));
        if let Some(r) = &c.reason {
            let _ = writeln!(out, "  # ({r})");
        }
        let _ = writeln!(out, "{} {} \"{}\" {{", st.symbol_column(c.action), c.address, c.name);
        match c.action {
            Action::Create => {
                let mut ls = Vec::new();
                leaves("", &c.after.as_ref().map_or(Value::Null, Attrs::to_value), &mut ls);
                ls.retain(|(p, v)| !internal_tag(p) && !empty_default(v));
                // A group's capacity at creation is an input, shown because it matters.
                if c.address.kind == Kind::AutoScalingGroup
                    && c.after_as::<AutoScalingGroupAttrs>().is_ok_and(|a| a.desired.is_none())
                    && let Ok(inputs) = c.inputs_as::<GroupInputs>()
                {
                    ls.push((
                        "desired".into(),
                        format!("{}  # at creation; scaling owns it afterwards", show(&Value::from(inputs.desired))),
                    ));
                }
                for (p, v) in ls {
                    let note = annotation(c, &p);
                    let _ = writeln!(out, "      {} {p} = {v}{note}", st.paint("32", "+"));
                }
            }
            Action::Delete => {
                if let Some(id) = &c.id {
                    let _ = writeln!(out, "      {} id = {}", st.paint("31", "-"), show(&Value::from(id.as_str())));
                }
            }
            _ => {
                // lbstack's own tags change with the others (a tag declared, a resource adopted):
                // shown only when nothing else changes.
                let shown: Vec<&AttrDiff> = c.diffs.iter().filter(|d| !internal_tag(&d.path)).collect();
                let diffs: Vec<&AttrDiff> = if shown.is_empty() { c.diffs.iter().collect() } else { shown };
                for d in diffs {
                    if d.path == "rules" && d.repoint {
                        let _ = writeln!(out, "      {} rules: forward to the replacement", st.paint("33", "~"));
                        continue;
                    }
                    if d.path == "rules" {
                        rule_lines(&st, c.address.kind, d, &mut out);
                        continue;
                    }
                    if let (Some(Value::String(b)), Some(Value::String(a))) = (&d.before, &d.after)
                        && (b.contains('\n') || a.contains('\n'))
                    {
                        text_lines(&st, &d.path, b, a, &mut out);
                        continue;
                    }
                    // A set of plain values or references: what joins it and what leaves it.
                    if let (Some(Value::Array(b)), Some(Value::Array(a))) = (&d.before, &d.after)
                        && a.iter().chain(b).all(|v| !v.is_object() || super::model::as_reference(v).is_some())
                    {
                        let added: Vec<String> = a.iter().filter(|v| !b.contains(v)).map(show).collect();
                        let removed: Vec<String> = b.iter().filter(|v| !a.contains(v)).map(show).collect();
                        if !added.is_empty() || !removed.is_empty() {
                            let forces = if d.forces_replacement {
                                st.paint("31", " # forces replacement")
                            } else {
                                String::new()
                            };
                            let parts: Vec<String> = removed
                                .iter()
                                .map(|r| format!("{} {r}", st.paint("31", "-")))
                                .chain(added.iter().map(|x| format!("{} {x}", st.paint("32", "+"))))
                                .collect();
                            let _ =
                                writeln!(out, "      {} {}: {}{forces}", st.paint("33", "~"), d.path, parts.join(", "));
                            continue;
                        }
                    }
                    // A client secret's digest tells a change, never a value worth reading.
                    if d.path.ends_with("client_secret") {
                        let _ = writeln!(out, "      {} {} (changed)", st.paint("33", "~"), d.path);
                        continue;
                    }
                    let forces =
                        if d.forces_replacement { st.paint("31", " # forces replacement") } else { String::new() };
                    let note = annotation(c, &d.path);
                    match (&d.before, &d.after) {
                        (Some(b), None) => {
                            let _ = writeln!(out, "      {} {} = {}{forces}", st.paint("31", "-"), d.path, show(b));
                        }
                        (None, Some(a)) if d.path.starts_with("tags.") => {
                            let _ =
                                writeln!(out, "      {} {} = {}{forces}{note}", st.paint("32", "+"), d.path, show(a));
                        }
                        (Some(b), Some(_)) if d.repoint => {
                            let _ = writeln!(
                                out,
                                "      {} {} = {} -> {} (the replacement)",
                                st.paint("33", "~"),
                                d.path,
                                show(b),
                                show(b)
                            );
                        }
                        _ => {
                            let before = d.before.as_ref().map_or("null".to_string(), show);
                            let after = d.after.as_ref().map_or("null".to_string(), show);
                            let _ = writeln!(
                                out,
                                "      {} {} = {before} -> {after}{forces}{note}",
                                st.paint("33", "~"),
                                d.path
                            );
                        }
                    }
                }
                let total = c.after.as_ref().map_or(0, |a| count_leaves(&a.to_value()));
                let hidden = total.saturating_sub(c.diffs.len());
                if hidden > 0 {
                    let _ = writeln!(
                        out,
                        "        # ({hidden} unchanged attribute{} hidden)",
                        if hidden == 1 { "" } else { "s" }
                    );
                }
            }
        }
        out.push_str("    }\n");
    }
    output_lines(&st, plan, &mut out);
    warnings(&st, plan, &mut out);
    let s = plan.summary();
    let _ = writeln!(
        out,
        "\n{} {} to add, {} to change, {} to destroy.",
        st.paint("1", "Plan:"),
        s.add,
        s.change,
        s.destroy
    );
    out
}

/// "Changes to Outputs", as Terraform says it: the published copy apply writes.
fn output_lines(st: &Style, plan: &Plan, out: &mut String) {
    if plan.outputs.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nChanges to Outputs (published to SSM parameter /lbstack/outputs/{}):", plan.stack);
    let shown = |v: &Option<String>| v.as_ref().map_or("null".to_string(), |v| show(&Value::from(v.as_str())));
    for o in &plan.outputs {
        let after = if o.known_after_apply { "(known after apply)".to_string() } else { shown(&o.after) };
        let _ = match (&o.before, &o.after, o.known_after_apply) {
            (None, _, _) => writeln!(out, "  {} {} = {after}", st.paint("32", "+"), o.name),
            (Some(_), None, false) => {
                writeln!(out, "  {} {} = {} -> null", st.paint("31", "-"), o.name, shown(&o.before))
            }
            _ => writeln!(out, "  {} {} = {} -> {after}", st.paint("33", "~"), o.name, shown(&o.before)),
        };
    }
}

/// One line per added, removed, moved or changed rule, paired as apply pairs them: listener rules
/// by their conditions (what they catch), then what is left by priority (a rule whose conditions
/// change is modified in place, keeping its ARN); WAF rules by name.
fn rule_lines(st: &Style, kind: Kind, d: &AttrDiff, out: &mut String) {
    let empty = Vec::new();
    let before = d.before.as_ref().and_then(Value::as_array).unwrap_or(&empty);
    let after = d.after.as_ref().and_then(Value::as_array).unwrap_or(&empty);
    let identity = |r: &Value| if kind == Kind::WebAcl { r["name"].clone() } else { r["conditions"].clone() };
    let label = |r: &Value| {
        if kind == Kind::WebAcl {
            format!("rule {}", show(&r["name"]))
        } else {
            format!("rule {}", conditions_text(&r["conditions"]))
        }
    };
    let what = |r: &Value| if kind == Kind::WebAcl { waf_text(r) } else { rule_text(r) };
    // Pair after with before: same identity first, then (listener rules) same priority.
    let mut unpaired: Vec<&Value> = before.iter().collect();
    let mut pairs: Vec<(&Value, Option<&Value>)> = Vec::new();
    for a in after {
        let found = unpaired.iter().position(|b| identity(b) == identity(a));
        pairs.push((a, found.map(|i| unpaired.remove(i))));
    }
    if kind != Kind::WebAcl {
        for (a, paired) in pairs.iter_mut().filter(|(_, p)| p.is_none()) {
            if let Some(i) = unpaired.iter().position(|b| b["priority"] == a["priority"]) {
                *paired = Some(unpaired.remove(i));
            }
        }
    }
    let _ = writeln!(out, "      {} rules:", st.paint("33", "~"));
    for b in &unpaired {
        let _ = writeln!(out, "          {} {} {}: {}", st.paint("31", "-"), b["priority"], label(b), what(b));
    }
    for (a, paired) in pairs {
        match paired {
            None => {
                let _ = writeln!(out, "          {} {} {}: {}", st.paint("32", "+"), a["priority"], label(a), what(a));
            }
            Some(b) if b != a => {
                let mut parts = Vec::new();
                if identity(b) != identity(a) {
                    parts.push(format!(
                        "{} -> {}",
                        conditions_text(&b["conditions"]),
                        conditions_text(&a["conditions"])
                    ));
                }
                if b["priority"] != a["priority"] {
                    parts.push(format!("priority {} -> {}", b["priority"], a["priority"]));
                }
                if what(b) != what(a) {
                    parts.push(format!("{} -> {}", what(b), what(a)));
                } else if kind != Kind::WebAcl && b["action"]["authenticate"] != a["action"]["authenticate"] {
                    let (sb, sa) = (&b["action"]["authenticate"], &a["action"]["authenticate"]);
                    let mut settings = (sb.clone(), sa.clone());
                    for v in [&mut settings.0, &mut settings.1] {
                        if let Some(m) = v.as_object_mut() {
                            m.remove("client_secret");
                        }
                    }
                    if settings.0 != settings.1 {
                        parts.push("sign-in settings changed".into());
                    }
                    if sb["client_secret"] != sa["client_secret"] {
                        parts.push("client_secret (changed)".into());
                    }
                }
                let shown = if identity(b) != identity(a) { format!("{} rule", a["priority"]) } else { label(a) };
                let _ = writeln!(out, "          {} {shown}: {}", st.paint("33", "~"), parts.join(", "));
            }
            Some(_) => {}
        }
    }
}

fn warnings(st: &Style, plan: &Plan, out: &mut String) {
    for w in &plan.warnings {
        let _ = writeln!(out, "\n{} {w}", st.paint("1;33", "Warning:"));
    }
}

/// Multi-line text (user data) as a line diff, not one long escaped string.
fn text_lines(st: &Style, path: &str, before: &str, after: &str, out: &mut String) {
    let _ = writeln!(out, "      {} {path}:", st.paint("33", "~"));
    let diff = similar::TextDiff::from_lines(before, after);
    for group in diff.grouped_ops(2) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let line = change.value().trim_end_matches('\n');
                let _ = match change.tag() {
                    similar::ChangeTag::Delete => writeln!(out, "          {} {line}", st.paint("31", "-")),
                    similar::ChangeTag::Insert => writeln!(out, "          {} {line}", st.paint("32", "+")),
                    similar::ChangeTag::Equal => writeln!(out, "            {line}"),
                };
            }
        }
    }
}

fn list_text(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| show(i)))
            .collect::<Vec<_>>()
            .join("|"),
        other => other.as_str().map(str::to_string).unwrap_or_else(|| show(other)),
    }
}

pub fn conditions_text(c: &Value) -> String {
    let mut parts = Vec::new();
    for (k, v) in c.as_object().into_iter().flatten() {
        match (k.as_str(), v) {
            ("header", Value::Object(h)) => {
                parts.extend(h.iter().map(|(name, vals)| format!("header {name}={}", list_text(vals))))
            }
            ("query", Value::Array(q)) => {
                parts.extend(q.iter().map(|kv| format!("query {}={}", list_text(&kv["key"]), list_text(&kv["value"]))))
            }
            (k, v) => parts.push(format!("{k}={}", list_text(v))),
        }
    }
    format!("[{}]", parts.join(" "))
}

fn action_text(a: &Value) -> String {
    let main = main_action_text(a);
    if let Some(issuer) = a["jwt"]["issuer"].as_str() {
        return format!("jwt from {issuer} then {main}");
    }
    match a["authenticate"]["type"].as_str() {
        Some(kind) => format!("{} then {main}", kind.trim_start_matches("authenticate-")),
        None => main,
    }
}

/// A rule's action, with the rewrites before it.
fn rule_text(r: &Value) -> String {
    let mut rewrites = Vec::new();
    for part in ["host", "url"] {
        let w = &r["rewrite"][part];
        if let (Some(regex), Some(replace)) = (w["regex"].as_str(), w["replace"].as_str()) {
            rewrites.push(format!("rewrite {part} {regex} => {replace}"));
        }
    }
    let action = action_text(&r["action"]);
    if rewrites.is_empty() { action } else { format!("{}, {action}", rewrites.join(", ")) }
}

fn main_action_text(a: &Value) -> String {
    match a["type"].as_str().unwrap_or_default() {
        "forward" => {
            let groups: Vec<String> = a["target_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| format!("{}:{}", show(&g["target_group"]), g["weight"]))
                .collect();
            let sticky = a["stickiness"].as_u64().map(|s| format!(" (sticky {s}s)")).unwrap_or_default();
            format!("forward {}{sticky}", groups.join(" "))
        }
        "redirect" => format!(
            "redirect {}://{}:{}{}?{} {}",
            list_text(&a["protocol"]),
            list_text(&a["host"]),
            list_text(&a["port"]),
            list_text(&a["path"]),
            list_text(&a["query"]),
            list_text(&a["status"])
        ),
        "fixed-response" => format!("fixed-response {} {}", list_text(&a["status"]), list_text(&a["content_type"])),
        other => other.to_string(),
    }
}

fn waf_text(r: &Value) -> String {
    let action = r["action"].as_str().or(r["override_action"].as_str()).unwrap_or("-");
    format!("{} {}", show(&r["statement"]), action)
}

/// The machine-readable plan (see `json::JsonPlan`), without apply-only inputs.
pub fn json(plan: &Plan, meta: super::json::Meta) -> Value {
    serde_json::to_value(super::json::JsonPlan::new(plan, super::json::Meta { with_inputs: false, ..meta }))
        .expect("plans serialize")
}

/// The plan for a pull-request comment or `$GITHUB_STEP_SUMMARY`: the summary, a table of what
/// changes and why, and the full plan as a diff block (cut to fit GitHub's 65,536 characters).
pub fn markdown(plan: &Plan) -> String {
    const LIMIT: usize = 60_000;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let s = plan.summary();
    let _ = writeln!(out, "### lbstack plan for `{}`\n", plan.stack);
    if !plan.conflicts.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Not applyable**: {} conflict{}. Apply changes nothing until they are resolved.\n>",
            plan.conflicts.len(),
            if plan.conflicts.len() == 1 { "" } else { "s" }
        );
        for c in &plan.conflicts {
            let _ = writeln!(out, "> - `{}` `{}`: {}", c.address, cell(&c.name), cell(&c.reason));
        }
        out.push('\n');
    }
    if !plan.has_changes() && plan.conflicts.is_empty() {
        let _ = writeln!(out, "**No changes.** Live AWS matches the stack.");
    } else if !plan.has_changes() {
        let _ = writeln!(out, "**Apply would refuse this plan**: resolve the conflicts first.");
    } else {
        let _ = writeln!(out, "**Plan: {} to add, {} to change, {} to destroy.**\n", s.add, s.change, s.destroy);
        out.push_str("| | resource | action | why |\n|---|---|---|---|\n");
        for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
            let (mark, word) = match c.action {
                Action::Create => ("+", "create"),
                Action::Update => ("~", "update in place"),
                Action::Delete => ("-", "destroy"),
                Action::DeleteCreate => ("-/+", "destroy, then create the replacement"),
                Action::CreateDelete => ("+/-", "create the replacement, then destroy"),
                Action::NoOp => continue,
            };
            let why = c.reason.as_ref().map(ToString::to_string).unwrap_or_default();
            let _ = writeln!(out, "| `{mark}` | `{}` | {word} | {} |", c.address, cell(&why));
        }
        for o in &plan.outputs {
            let (mark, word) = match (&o.before, &o.after) {
                (None, _) => ("+", "publish"),
                (Some(_), None) if !o.known_after_apply => ("-", "unpublish"),
                _ => ("~", "publish the new value"),
            };
            let _ = writeln!(out, "| `{mark}` | output `{}` | {word} | |", cell(&o.name));
        }
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "\n> [!WARNING]\n> {}", cell(w));
    }
    if plan.has_changes() {
        let mut detail = human(plan, false);
        if detail.len() > LIMIT {
            let mut cut = LIMIT;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
            detail.push_str("\n… (cut to fit a comment: the JSON plan has everything)\n");
        }
        let _ = write!(
            out,
            "\n<details><summary>Full plan</summary>\n\n```diff\n{}```\n\n</details>\n",
            diff_columns(&detail).replace("```", "` ` `")
        );
    }
    out
}

/// A plan's lines with their `+`, `-` and `~` moved to column 0 (`~` as `!`), where code hosts'
/// diff highlighting looks for them; the rest of the line keeps its place.
fn diff_columns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        match body.chars().next() {
            // A replacement (`-/+`, `+/-`) is a change: marked `!`, its own symbol kept.
            Some('+' | '-') if indent > 0 && (body.starts_with("-/+") || body.starts_with("+/-")) => {
                out.push('!');
                out.push_str(&line[1..]);
            }
            Some(c @ ('+' | '-' | '~')) if indent > 0 => {
                out.push(if c == '~' { '!' } else { c });
                out.push_str(&line[1..indent]);
                out.push(' ');
                out.push_str(&body[c.len_utf8()..]);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::sample;
    use serde_json::json;

    fn sample() -> Plan {
        let tg = Address::new(Kind::TargetGroup, "api");
        Plan {
            stack: "shop-blue".into(),
            changes: vec![
                Change {
                    address: tg.clone(),
                    action: Action::CreateDelete,
                    reason: Some(Reason::CannotUpdate { paths: vec!["protocol".into()] }),
                    name: "shop-blue-api-0a1b2c3".into(),
                    id: Some("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/shop-blue-api/1".into()),
                    before: Some(sample::attrs(Kind::TargetGroup, json!({"protocol": "HTTP", "port": 8080}))),
                    after: Some(sample::attrs(Kind::TargetGroup, json!({"protocol": "HTTPS", "port": 8080}))),
                    diffs: vec![AttrDiff {
                        forces_replacement: true,
                        ..AttrDiff::new("protocol", Some(json!("HTTP")), Some(json!("HTTPS")))
                    }],
                    deps: vec![],
                    parent: None,
                    inputs: Default::default(),
                    adopting: false,
                },
                Change {
                    address: Address::new(Kind::Listener, "public.http"),
                    action: Action::Create,
                    reason: None,
                    name: "public:80".into(),
                    id: None,
                    before: None,
                    after: Some(sample::attrs(
                        Kind::Listener,
                        json!({"load_balancer": {"$ref": "load_balancer.public"}, "port": 80, "default_action": {"type": "forward", "target_groups": [{"target_group": tg.reference(), "weight": 1}], "stickiness": null}}),
                    )),
                    diffs: vec![],
                    deps: vec![tg],
                    parent: None,
                    inputs: Default::default(),
                    adopting: false,
                },
                Change {
                    address: Address::new(Kind::SecurityGroup, "old"),
                    action: Action::Delete,
                    reason: Some(Reason::NotInStack),
                    name: "shop-blue-old".into(),
                    id: Some("sg-0123".into()),
                    before: Some(sample::attrs(Kind::SecurityGroup, json!({}))),
                    after: None,
                    diffs: vec![],
                    deps: vec![],
                    parent: None,
                    inputs: Default::default(),
                    adopting: false,
                },
            ],
            conflicts: vec![Conflict {
                address: Address::new(Kind::LoadBalancer, "public"),
                name: "shop-blue-public".into(),
                id: "arn:lb".into(),
                reason: "exists without lbstack ownership tags".into(),
            }],
            warnings: vec![
                "autoscaling_group.web: max 2 is below the 4 instances running now; 2 will be terminated".into(),
            ],
            outputs: vec![
                OutputChange {
                    name: "url".into(),
                    before: Some("old.elb.amazonaws.com".into()),
                    after: None,
                    known_after_apply: true,
                },
                OutputChange {
                    name: "api_group".into(),
                    before: None,
                    after: Some("shop-blue-api".into()),
                    known_after_apply: false,
                },
            ],
        }
    }

    #[test]
    fn human_plan() {
        insta::assert_snapshot!(human(&sample(), false));
    }

    #[test]
    fn no_changes() {
        let p = Plan { stack: "s".into(), changes: vec![], conflicts: vec![], warnings: vec![], outputs: vec![] };
        assert_eq!(human(&p, false), "No changes. Live AWS matches stack `s`.\n");
    }

    #[test]
    fn a_plan_of_conflicts_alone_is_not_no_changes() {
        let conflicts = sample().conflicts;
        let p = Plan { stack: "s".into(), changes: vec![], conflicts, warnings: vec![], outputs: vec![] };
        let text = human(&p, false);
        assert!(!text.contains("No changes") && text.contains("Apply would refuse this plan"), "{text}");
        assert!(!markdown(&p).contains("No changes"));
    }

    #[test]
    fn json_plan() {
        let meta = crate::plan::json::Meta { fingerprint: "0123456789abcdef".into(), ..Default::default() };
        insta::assert_json_snapshot!(json(&sample(), meta));
    }

    #[test]
    fn markdown_plan() {
        insta::assert_snapshot!(markdown(&sample()));
    }

    #[test]
    fn json_plans_round_trip_and_keep_inputs_only_when_saved() {
        let mut plan = sample();
        plan.changes.push(Change {
            address: Address::new(Kind::Certificate, "site"),
            action: Action::Create,
            reason: None,
            name: "site.example.com".into(),
            id: None,
            before: None,
            after: Some(sample::attrs(Kind::Certificate, json!({"type": "IMPORTED"}))),
            diffs: vec![],
            deps: vec![],
            parent: None,
            inputs: crate::attrs::acm::CertificateInputs {
                certificate_file: Some("site.pem".into()),
                ..Default::default()
            }
            .into(),
            adopting: false,
        });
        let saved = crate::plan::json::JsonPlan::new(
            &plan,
            crate::plan::json::Meta { with_inputs: true, ..Default::default() },
        );
        let text = serde_json::to_string(&saved).unwrap();
        let back: crate::plan::json::JsonPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back.plan().unwrap(), plan);
        assert!(!json(&plan, Default::default()).to_string().contains("site.pem"), "no local file names in -o json");
    }

    #[test]
    fn rule_lists_render_rule_by_rule() {
        let tg = Address::new(Kind::TargetGroup, "api").reference();
        let fwd = json!({"type": "forward", "target_groups": [{"target_group": tg, "weight": 1}], "stickiness": null});
        let fixed = json!({"type": "fixed-response", "status": "404", "content_type": "text/plain", "body": ""});
        let before = json!([
            {"priority": 10, "conditions": {"path": ["/api/*"]}, "action": fwd},
            {"priority": 20, "conditions": {"host": ["old.example.com"]}, "action": fwd},
            {"priority": 30, "conditions": {"path": ["/static/*"]}, "action": fwd},
            {"priority": 40, "conditions": {"path": ["/old/*"]}, "action": fwd},
        ]);
        let after = json!([
            {"priority": 10, "conditions": {"header": {"x-canary": ["1"]}, "method": ["GET"]}, "action": fixed},
            {"priority": 20, "conditions": {"path": ["/api/*"]}, "action": fwd},
            {"priority": 30, "conditions": {"path": ["/static/*"]}, "action": fixed},
            {"priority": 40, "conditions": {"path": ["/new/*"]}, "action": fwd},
        ]);
        let change = |kind: Kind, before: Value, after: Value| Change {
            address: Address::new(kind, "web.https"),
            action: Action::Update,
            reason: None,
            name: "x".into(),
            id: Some("arn:x".into()),
            before: Some(sample::attrs(kind, json!({ "rules": before }))),
            after: Some(sample::attrs(kind, json!({ "rules": after }))),
            diffs: vec![AttrDiff::new("rules", Some(before.clone()), Some(after.clone()))],
            deps: vec![],
            parent: None,
            inputs: Default::default(),
            adopting: false,
        };
        let waf_before = json!([{"name": "common", "priority": 0, "action": null, "override_action": "none", "statement": {"managed": {"vendor": "AWS", "name": "Common", "version": null, "excluded_rules": []}}}, {"name": "old", "priority": 1, "action": "block", "override_action": null, "statement": {"geo": ["CN"]}}]);
        let waf_after = json!([{"name": "common", "priority": 1, "action": null, "override_action": "count", "statement": {"managed": {"vendor": "AWS", "name": "Common", "version": null, "excluded_rules": []}}}, {"name": "limit", "priority": 0, "action": "block", "override_action": null, "statement": {"rate_limit": {"limit": 100, "window": 300, "aggregate": "IP"}}}]);
        let plan = Plan {
            stack: "s".into(),
            changes: vec![change(Kind::ListenerRules, before, after), change(Kind::WebAcl, waf_before, waf_after)],
            conflicts: vec![],
            warnings: vec![],
            outputs: vec![],
        };
        insta::assert_snapshot!(human(&plan, false));
    }

    #[test]
    fn a_set_shows_what_joins_and_what_leaves() {
        let r = |k: &str| Address::new(Kind::TargetGroup, k).reference();
        let (before, after) = (json!([r("a"), r("b")]), json!([r("b"), r("c")]));
        let change = Change {
            address: Address::new(Kind::AutoScalingGroup, "web"),
            action: Action::Update,
            reason: None,
            name: "s-web".into(),
            id: Some("s-web".into()),
            before: Some(sample::attrs(Kind::AutoScalingGroup, json!({ "target_groups": before }))),
            after: Some(sample::attrs(Kind::AutoScalingGroup, json!({ "target_groups": after }))),
            diffs: vec![AttrDiff::new("target_groups", Some(before.clone()), Some(after.clone()))],
            deps: vec![],
            parent: None,
            inputs: Default::default(),
            adopting: false,
        };
        let plan =
            Plan { stack: "s".into(), changes: vec![change], conflicts: vec![], warnings: vec![], outputs: vec![] };
        let text = human(&plan, false);
        assert!(text.contains("~ target_groups: - target_group.a, + target_group.c\n"), "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!human(&sample(), false).contains('\x1b'));
        assert!(human(&sample(), true).contains("\x1b[32m+\x1b[0m"));
        // Colour adds escape codes and nothing else: the same text, aligned the same.
        assert_eq!(anstream::adapter::strip_str(&human(&sample(), true)).to_string(), human(&sample(), false));
    }
}
