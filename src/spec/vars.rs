//! Variables: `${var.NAME}` in any string of the file, defaults from `variables:`, values from
//! `--var NAME=VALUE`. Substitution works on the node tree, before types are checked, so
//! `port: ${var.port}` is a number when the variable holds one.

use super::yaml::{Node, NodeKind};
use crate::diag::{Diagnostic, Span};
use std::collections::BTreeMap;

struct Declared {
    value: Option<String>,
    allowed: Vec<String>,
    span: Span,
}

/// Resolve every variable and substitute it in place. `overrides` come from the command line.
pub fn apply(root: &mut Node, overrides: &[(String, String)], source: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut declared: BTreeMap<String, Declared> = BTreeMap::new();
    if let Some(NodeKind::Map(entries)) = root.get("variables").map(|n| &n.kind) {
        for (key, value) in entries {
            let (default, allowed) = match &value.kind {
                NodeKind::Scalar { value, .. } => (Some(value.clone()), vec![]),
                NodeKind::Map(_) => {
                    let default = match value.get("default").map(|n| &n.kind) {
                        Some(NodeKind::Scalar { value, .. }) => Some(value.clone()),
                        _ => None,
                    };
                    let allowed = match value.get("allowed").map(|n| &n.kind) {
                        Some(NodeKind::Seq(items)) => items
                            .iter()
                            .filter_map(|i| match &i.kind {
                                NodeKind::Scalar { value, .. } => Some(value.clone()),
                                _ => None,
                            })
                            .collect(),
                        _ => vec![],
                    };
                    (default, allowed)
                }
                _ => (None, vec![]), // shape errors are reported by the schema check
            };
            declared.insert(key.name.clone(), Declared { value: default, allowed, span: key.span });
        }
    }
    for (name, value) in overrides {
        match declared.get_mut(name) {
            Some(d) => d.value = Some(value.clone()),
            None => {
                let known: Vec<&str> = declared.keys().map(String::as_str).collect();
                let mut d = Diagnostic::error(format!("`--var {name}=...` sets a variable the stack does not declare"));
                d = match super::check::did_you_mean(name, &known) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint("declare it under `variables:` first"),
                };
                diags.push(d);
            }
        }
    }
    for (name, d) in &declared {
        if let Some(v) = &d.value
            && !d.allowed.is_empty()
            && !d.allowed.contains(v)
        {
            diags.push(
                Diagnostic::error(format!("variable `{name}` is `{v}`, which is not allowed"))
                    .at(d.span)
                    .hint(format!("allowed values: {}", d.allowed.join(", "))),
            );
        }
    }
    substitute(root, &declared, source, &mut diags, true);
    diags
}

fn substitute(node: &mut Node, vars: &BTreeMap<String, Declared>, source: &str, diags: &mut Vec<Diagnostic>, top: bool) {
    match &mut node.kind {
        NodeKind::Scalar { value, plain } => {
            if value.contains('$') {
                // A value that is exactly one `${var.X}` takes the variable's type, quoted or not,
                // so `port: "${var.port}"` (quoting needed inside `{...}`) is still a number.
                let whole = value.trim().strip_prefix("${").and_then(|r| r.strip_suffix('}')).is_some_and(|inner| !inner.contains(['{', '}', '$']));
                *value = interpolate(value, node.span, vars, source, diags);
                if whole {
                    *plain = true;
                }
            }
        }
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| substitute(n, vars, source, diags, false)),
        NodeKind::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                // Variable declarations are not themselves interpolated.
                if !(top && key.name == "variables") {
                    substitute(value, vars, source, diags, false);
                }
            }
        }
        NodeKind::Null => {}
    }
}

fn interpolate(text: &str, span: Span, vars: &BTreeMap<String, Declared>, source: &str, diags: &mut Vec<Diagnostic>) -> String {
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
                diags.push(Diagnostic::error("unterminated `${`").at(span).hint("write `${var.NAME}`, or `$${` for a literal `${`"));
                out.push_str(after);
                return out;
            };
            let expr = tail[..end].trim();
            let whole = &after[..end + 3];
            let at = locate(source, span, whole);
            match expr.strip_prefix("var.") {
                Some(name) => match vars.get(name) {
                    Some(Declared { value: Some(v), .. }) => out.push_str(v),
                    Some(Declared { value: None, .. }) => {
                        diags.push(
                            Diagnostic::error(format!("variable `{name}` has no value")).at(at).hint(format!("pass `--var {name}=...` or give it a default")),
                        );
                    }
                    None => {
                        let known: Vec<&str> = vars.keys().map(String::as_str).collect();
                        let hint = match super::check::did_you_mean(name, &known) {
                            Some(s) => format!("did you mean `${{var.{s}}}`?"),
                            None => format!("declare `{name}` under `variables:`"),
                        };
                        diags.push(Diagnostic::error(format!("undefined variable `{name}`")).at(at).hint(hint));
                    }
                },
                None => {
                    diags.push(Diagnostic::error(format!("unknown expression `${{{expr}}}`")).at(at).hint("only variables can be interpolated: `${var.NAME}`"));
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
