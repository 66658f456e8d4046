//! Variables: `${var.NAME}` in any string of the file, defaults from `variables:`, values from
//! `--var NAME=VALUE`. Substitution works on the node tree, before types are checked, so
//! `port: ${var.port}` is a number when the variable holds one.
//!
//! A variable's value may use other variables (`domain: shop.${var.zone}`); a variable that
//! refers to itself, directly or through others, is an error at its declaration. What
//! substitution adds counts against the same text budget as aliases (`yaml::MAX_EXPANDED_BYTES`).

use super::yaml::{MAX_EXPANDED_BYTES, Node, NodeKind};
use crate::diag::{Diagnostic, Span};
use std::collections::BTreeMap;
use std::rc::Rc;

struct Declared {
    value: Option<String>,
    allowed: Vec<String>,
    span: Span,
    /// Where the value is written (the default's scalar), for errors inside it.
    value_span: Span,
    /// Set on the command line: not in the file, so errors inside it have no position there.
    from_cli: bool,
}

/// Resolve every variable and substitute it in place. `overrides` come from the command line.
pub fn apply(root: &mut Node, overrides: &[(String, String)], source: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut declared: BTreeMap<String, Declared> = BTreeMap::new();
    if let Some(NodeKind::Map(entries)) = root.get("variables").map(|n| &*n.kind) {
        for (key, value) in entries {
            let scalar = |n: &Node| match &*n.kind {
                NodeKind::Scalar { value, .. } => Some((value.clone(), n.span)),
                _ => None,
            };
            let (default, allowed) = match &*value.kind {
                NodeKind::Scalar { .. } => (scalar(value), vec![]),
                NodeKind::Map(_) => {
                    let default = value.get("default").and_then(scalar);
                    let allowed = match value.get("allowed").map(|n| &*n.kind) {
                        Some(NodeKind::Seq(items)) => items.iter().filter_map(scalar).map(|(v, _)| v).collect(),
                        _ => vec![],
                    };
                    (default, allowed)
                }
                _ => (None, vec![]), // shape errors are reported by the schema check
            };
            let value_span = default.as_ref().map_or(key.span, |(_, s)| *s);
            declared.insert(
                key.name.clone(),
                Declared { value: default.map(|(v, _)| v), allowed, span: key.span, value_span, from_cli: false },
            );
        }
    }
    for (name, value) in overrides {
        match declared.get_mut(name) {
            Some(d) => {
                d.value = Some(value.clone());
                d.from_cli = true;
            }
            None => {
                let known: Vec<&str> = declared.keys().map(String::as_str).collect();
                let mut d = Diagnostic::error(format!(
                    "`--var {}=...` sets a variable the stack does not declare",
                    crate::diag::truncate(name, 60)
                ));
                d = match super::check::did_you_mean(name, &known) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint("declare it under `variables:` first"),
                };
                diags.push(d);
            }
        }
    }
    let budget = Budget { left: std::cell::Cell::new(MAX_EXPANDED_BYTES), exhausted: std::cell::Cell::new(false) };
    let resolved = resolve_all(&declared, source, &mut diags, &budget);
    for (name, d) in &declared {
        if let Some(Resolved::Value(v)) = resolved.get(name)
            && !d.allowed.is_empty()
            && !d.allowed.contains(v)
        {
            diags.push(
                Diagnostic::error(format!(
                    "variable `{name}` is `{}`, which is not allowed",
                    crate::diag::truncate(v, 60)
                ))
                .at(d.span)
                .hint(format!("allowed values: {}", d.allowed.join(", "))),
            );
        }
    }
    substitute(root, &resolved, source, &mut diags, &budget, true);
    diags
}

/// Bytes substitution may still add (shared by nested resolutions, hence cells).
struct Budget {
    left: std::cell::Cell<usize>,
    exhausted: std::cell::Cell<bool>,
}

/// Every variable's final value, its own references resolved first; a cycle is an error at
/// each variable in it.
fn resolve_all(
    declared: &BTreeMap<String, Declared>,
    source: &str,
    diags: &mut Vec<Diagnostic>,
    budget: &Budget,
) -> BTreeMap<String, Resolved> {
    let mut done: BTreeMap<String, Resolved> = BTreeMap::new();
    for name in declared.keys() {
        let mut path = Vec::new();
        resolve_one(name, declared, source, diags, budget, &mut done, &mut path);
    }
    done
}

fn resolve_one(
    name: &str,
    declared: &BTreeMap<String, Declared>,
    source: &str,
    diags: &mut Vec<Diagnostic>,
    budget: &Budget,
    done: &mut BTreeMap<String, Resolved>,
    path: &mut Vec<String>,
) -> Resolved {
    if let Some(v) = done.get(name) {
        return v.clone();
    }
    let Some(d) = declared.get(name) else { return Resolved::NoValue };
    if let Some(at) = path.iter().position(|p| p == name) {
        let cycle: Vec<&str> = path[at..].iter().map(String::as_str).chain([name]).collect();
        diags.push(
            Diagnostic::error(format!(
                "variable `{name}` refers to itself: {}",
                cycle.iter().map(|c| format!("${{var.{c}}}")).collect::<Vec<_>>().join(" -> ")
            ))
            .at(d.span)
            .hint("give one of them a plain value"),
        );
        done.insert(name.to_string(), Resolved::Failed);
        return Resolved::Failed;
    }
    let Some(raw) = d.value.clone() else {
        done.insert(name.to_string(), Resolved::NoValue);
        return Resolved::NoValue;
    };
    path.push(name.to_string());
    // References inside the value are resolved first; `$${` stays an escape.
    let used_failed = std::cell::Cell::new(false);
    let mut lookup = |other: &str| -> Lookup {
        match declared.get(other) {
            None => Lookup::Undefined,
            Some(_) => {
                let found = resolve_one(other, declared, source, diags, budget, done, path).lookup();
                used_failed.set(used_failed.get() || matches!(found, Lookup::Failed));
                found
            }
        }
    };
    let span = if d.from_cli { None } else { Some(d.value_span) };
    let mut local = Vec::new();
    let known: Vec<&str> = declared.keys().map(String::as_str).collect();
    let place = Place { span, source, context: &format!("in the value of variable `{name}`"), known: &known };
    let value = interpolate(&raw, &place, &mut lookup, &mut local, budget);
    path.pop();
    let failed = used_failed.get() || local.iter().any(Diagnostic::is_error);
    diags.extend(local);
    // Part of a cycle found deeper: that variable's error says it.
    let value = if failed || done.get(name).is_some_and(|r| matches!(r, Resolved::Failed)) {
        Resolved::Failed
    } else {
        Resolved::Value(value)
    };
    done.insert(name.to_string(), value.clone());
    value
}

enum Lookup {
    Value(String),
    /// Declared, but without a value.
    Missing,
    /// Its value has an error, already reported: uses of it stay silent.
    Failed,
    Undefined,
}

/// A variable once resolved.
#[derive(Debug, Clone)]
enum Resolved {
    Value(String),
    NoValue,
    Failed,
}

impl Resolved {
    fn lookup(&self) -> Lookup {
        match self {
            Resolved::Value(v) => Lookup::Value(v.clone()),
            Resolved::NoValue => Lookup::Missing,
            Resolved::Failed => Lookup::Failed,
        }
    }
}

/// Whether anything under `node` may hold a `${`.
fn has_dollar(node: &Node) -> bool {
    match &*node.kind {
        NodeKind::Scalar { value, .. } => value.contains('$'),
        NodeKind::Seq(items) => items.iter().any(has_dollar),
        NodeKind::Map(entries) => entries.iter().any(|(_, v)| has_dollar(v)),
        NodeKind::Null => false,
    }
}

fn substitute(
    node: &mut Node,
    vars: &BTreeMap<String, Resolved>,
    source: &str,
    diags: &mut Vec<Diagnostic>,
    budget: &Budget,
    top: bool,
) {
    // Shared (aliased) nodes are copied only when something in them changes.
    if budget.exhausted.get() || !has_dollar(node) {
        return;
    }
    let span = node.span;
    match Rc::make_mut(&mut node.kind) {
        NodeKind::Scalar { value, plain } => {
            // A value that is exactly one `${var.X}` takes the variable's type, quoted or not,
            // so `port: "${var.port}"` (quoting needed inside `{...}`) is still a number.
            let whole = value
                .trim()
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .is_some_and(|inner| !inner.contains(['{', '}', '$']));
            let mut lookup = |name: &str| vars.get(name).map_or(Lookup::Undefined, Resolved::lookup);
            let known: Vec<&str> = vars.keys().map(String::as_str).collect();
            let place = Place { span: Some(span), source, context: "", known: &known };
            *value = interpolate(value, &place, &mut lookup, diags, budget);
            if whole {
                *plain = true;
            }
        }
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| substitute(n, vars, source, diags, budget, false)),
        NodeKind::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                // Variable declarations are not themselves interpolated (they resolve above).
                if !(top && key.name == "variables") {
                    substitute(value, vars, source, diags, budget, false);
                }
            }
        }
        NodeKind::Null => {}
    }
}

/// Where a text being interpolated is: its span in the file (None for a value from the command
/// line), the file, what to say when it is not the file, and the variables there are.
struct Place<'a> {
    span: Option<Span>,
    source: &'a str,
    context: &'a str,
    known: &'a [&'a str],
}

/// `text` with every `${var.X}` replaced.
fn interpolate(
    text: &str,
    place: &Place<'_>,
    lookup: &mut dyn FnMut(&str) -> Lookup,
    diags: &mut Vec<Diagnostic>,
    budget: &Budget,
) -> String {
    let Place { span, source, context, known } = *place;
    let at = |d: Diagnostic, needle: &str| match span {
        Some(s) => d.at(locate(source, s, needle)),
        None => d,
    };
    let suffix = if context.is_empty() { String::new() } else { format!(" ({context})") };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${"); // `$${` escapes a literal `${`
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                diags.push(
                    at(Diagnostic::error(format!("unterminated `${{`{suffix}")), after)
                        .hint("write `${var.NAME}`, or `$${` for a literal `${`"),
                );
                out.push_str(after);
                return out;
            };
            let expr = tail[..end].trim();
            let whole = &after[..end + 3];
            // `${each.key}` and `${each.value}` belong to `for_each`, which expands later.
            if expr.starts_with("each.") {
                out.push_str(whole);
                rest = &tail[end + 1..];
                continue;
            }
            match expr.strip_prefix("var.") {
                Some(name) => match lookup(name) {
                    Lookup::Value(v) => {
                        if v.len() > budget.left.get() {
                            budget.exhausted.set(true);
                            diags.push(
                                at(
                                    Diagnostic::error(format!(
                                        "variables expand to more than {} MiB of text{suffix}",
                                        MAX_EXPANDED_BYTES >> 20
                                    )),
                                    whole,
                                )
                                .hint("a stack may hold at most this much text after substituting variables"),
                            );
                            return out;
                        }
                        budget.left.set(budget.left.get() - v.len());
                        out.push_str(&v);
                    }
                    // Inside another variable's value: that one fails too, and says nothing more.
                    Lookup::Failed if !context.is_empty() => {}
                    Lookup::Failed => {
                        diags.push(at(
                            Diagnostic::error(format!(
                                "variable `{}` has an error in its value (reported at its declaration){suffix}",
                                crate::diag::truncate(name, 60)
                            )),
                            whole,
                        ));
                    }
                    Lookup::Missing => {
                        let name = crate::diag::truncate(name, 60);
                        diags.push(
                            at(Diagnostic::error(format!("variable `{name}` has no value{suffix}")), whole)
                                .hint(format!("pass `--var {name}=...` or give it a default")),
                        );
                    }
                    Lookup::Undefined => {
                        let hint = match super::check::did_you_mean(name, known) {
                            Some(s) => format!("did you mean `${{var.{s}}}`?"),
                            None => format!("declare `{}` under `variables:`", crate::diag::truncate(name, 60)),
                        };
                        diags.push(
                            at(
                                Diagnostic::error(format!(
                                    "undefined variable `{}`{suffix}",
                                    crate::diag::truncate(name, 60)
                                )),
                                whole,
                            )
                            .hint(hint),
                        );
                    }
                },
                None => {
                    diags.push(
                        at(
                            Diagnostic::error(format!(
                                "unknown expression `${{{}}}`{suffix}",
                                crate::diag::truncate(expr, 60)
                            )),
                            whole,
                        )
                        .hint("only variables can be interpolated: `${var.NAME}`"),
                    );
                }
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The exact span of `needle` inside the scalar at `span`, when it appears there verbatim.
fn locate(source: &str, span: Span, needle: &str) -> Span {
    source
        .get(span.start..span.end.max(span.start))
        .and_then(|s| s.find(needle))
        .map(|i| Span::new(span.start + i, span.start + i + needle.len()))
        .unwrap_or(span)
}

/// Variables from a file of `name: value` lines (`--var-file`, e.g. one per environment), in the
/// file's order. Problems name the file, line and column but never quote it: values may be secret.
pub fn read_file(path: &std::path::Path, max_bytes: u64) -> Result<Vec<(String, String)>, String> {
    let name = path.display();
    if !std::fs::metadata(path).map_err(|e| format!("{name}: cannot read the variables file: {e}"))?.is_file() {
        return Err(format!("{name}: not a regular file (a device, a pipe or a folder)"));
    }
    let bytes = super::files::read_bounded(path, max_bytes).map_err(|e| match e {
        super::files::FileError::TooLarge { limit } => {
            format!("{name}: the variables file is larger than {limit} bytes")
        }
        _ => format!("{name}: cannot read the variables file"),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: the variables file is not UTF-8 text"))?;
    let at = |span: Span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{name}:{line}:{column}")
    };
    let (root, diags) = super::yaml::parse(&text);
    if let Some(d) = diags.first() {
        let place = d.span.map_or_else(|| name.to_string(), at);
        return Err(format!("{place}: {}", d.summary));
    }
    let Some(root) = root else { return Ok(Vec::new()) };
    let NodeKind::Map(entries) = &*root.kind else {
        return Err(format!("{}: a variables file is a map of `name: value` lines", at(root.span)));
    };
    let mut out = Vec::new();
    for (key, node) in entries {
        match &*node.kind {
            NodeKind::Scalar { value, .. } => out.push((key.name.clone(), value.clone())),
            NodeKind::Null => out.push((key.name.clone(), String::new())),
            _ => {
                return Err(format!(
                    "{}: variable `{}` is not a string, number or boolean",
                    at(node.span),
                    crate::diag::truncate(&key.name, 60)
                ));
            }
        }
    }
    Ok(out)
}
