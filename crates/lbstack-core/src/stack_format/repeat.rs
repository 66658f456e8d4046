//! `for_each`: one entry of a keyed section written once and repeated, so ten target groups that
//! differ by a port are one entry. `for_each: [blue, green]` (items) or `for_each: {blue: 8080,
//! green: 8081}` (keys and values) turns `api:` into `api-blue` and `api-green`, with
//! `${each.key}` and `${each.value}` replaced in every string of the entry (a list item is both).
//!
//! Expansion works on the node tree after variables, before types are checked: `port:
//! ${each.value}` stays a number, and problems inside a repeated entry point at the line of the
//! entry written once. Addresses stay `kind.key-item`, so plans read as if each were written out.

use super::yaml::{Key, Node, NodeKind};
use crate::diag::{Diagnostic, Span};
use std::rc::Rc;

/// Most entries one `for_each` makes: a stack that repeats more is likely a mistake (or hostile).
pub const MAX_ITEMS: usize = 100;

/// Expand every `for_each` in the keyed sections; then refuse `${each...}` anywhere else.
pub fn expand(root: &mut Node, sections: &[&str]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let NodeKind::Map(top) = &*root.kind {
        let mut top = top.clone();
        let mut changed = false;
        for (key, section) in top.iter_mut() {
            if !sections.contains(&key.name.as_str()) {
                continue;
            }
            let NodeKind::Map(entries) = &*section.kind else { continue };
            if !entries.iter().any(|(_, e)| e.get("for_each").is_some()) {
                continue;
            }
            let mut out: Vec<(Key, Node)> = Vec::new();
            for (entry_key, entry) in entries {
                match entry.get("for_each") {
                    Some(items) => out.extend(repeat(entry_key, entry, items, &mut diags)),
                    None => out.push((entry_key.clone(), entry.clone())),
                }
            }
            *section = Node::new(NodeKind::Map(out), section.span);
            changed = true;
        }
        if changed {
            *root = Node::new(NodeKind::Map(top), root.span);
        }
    }
    leftover(root, &mut diags);
    diags
}

/// The entries one `for_each` entry stands for.
fn repeat(key: &Key, entry: &Node, items: &Node, diags: &mut Vec<Diagnostic>) -> Vec<(Key, Node)> {
    let pairs: Vec<(String, String)> = match &*items.kind {
        NodeKind::Seq(list) => list.iter().filter_map(|n| scalar(n).map(|v| (v.clone(), v))).collect(),
        NodeKind::Map(map) => map.iter().filter_map(|(k, n)| scalar(n).map(|v| (k.name.clone(), v))).collect(),
        _ => Vec::new(),
    };
    let count = match &*items.kind {
        NodeKind::Seq(list) => list.len(),
        NodeKind::Map(map) => map.len(),
        _ => {
            diags.push(
                Diagnostic::error("`for_each` is a list of items or a map of keys to values")
                    .at(items.span)
                    .hint("e.g. `for_each: [blue, green]`"),
            );
            return Vec::new();
        }
    };
    if pairs.len() != count {
        diags.push(Diagnostic::error("each item of `for_each` is a string, number or boolean").at(items.span));
        return Vec::new();
    }
    if pairs.is_empty() {
        diags.push(
            Diagnostic::warning(format!("`for_each` of `{}` is empty, so it declares nothing", key.name))
                .at(items.span),
        );
        return Vec::new();
    }
    if pairs.len() > MAX_ITEMS {
        diags.push(
            Diagnostic::error(format!("`for_each` has {} items; at most {MAX_ITEMS}", pairs.len())).at(items.span),
        );
        return Vec::new();
    }
    let body = match &*entry.kind {
        NodeKind::Map(fields) => fields.iter().filter(|(k, _)| k.name != "for_each").cloned().collect::<Vec<_>>(),
        _ => return Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    pairs
        .into_iter()
        .filter(|(item, _)| {
            let fresh = seen.insert(item.clone());
            if !fresh {
                diags.push(
                    Diagnostic::error(format!("`for_each` lists `{}` twice", crate::diag::truncate(item, 60)))
                        .at(items.span),
                );
            }
            fresh
        })
        .map(|(item, value)| {
            let fields = body.iter().map(|(k, v)| (k.clone(), substitute(v, &item, &value))).collect();
            (
                Key { name: format!("{}-{item}", key.name), span: key.span, merged: false },
                Node::new(NodeKind::Map(fields), entry.span),
            )
        })
        .collect()
}

fn scalar(n: &Node) -> Option<String> {
    match &*n.kind {
        NodeKind::Scalar { value, .. } => Some(value.clone()),
        _ => None,
    }
}

/// `node` with `${each.key}` and `${each.value}` replaced (nodes without them are shared).
fn substitute(node: &Node, key: &str, value: &str) -> Node {
    match &*node.kind {
        NodeKind::Scalar { value: text, plain } if text.contains("${each.") => {
            let replaced = text.replace("${each.key}", key).replace("${each.value}", value);
            Node::new(NodeKind::Scalar { value: replaced, plain: *plain }, node.span)
        }
        NodeKind::Seq(items) => {
            Node::new(NodeKind::Seq(items.iter().map(|n| substitute(n, key, value)).collect()), node.span)
        }
        NodeKind::Map(fields) => Node::new(
            NodeKind::Map(fields.iter().map(|(k, n)| (k.clone(), substitute(n, key, value))).collect()),
            node.span,
        ),
        _ => Node { kind: Rc::clone(&node.kind), span: node.span },
    }
}

/// `${each...}` left after expansion: outside a `for_each` entry, or a name other than key/value.
fn leftover(node: &Node, diags: &mut Vec<Diagnostic>) {
    match &*node.kind {
        NodeKind::Scalar { value, .. } => {
            if let Some(at) = value.find("${each.") {
                let span = Span::new(node.span.start, node.span.end.max(node.span.start));
                let shown: String = value[at..].chars().take_while(|c| *c != '}').chain(std::iter::once('}')).collect();
                diags.push(
                    Diagnostic::error(format!("`{}` outside a `for_each` entry", crate::diag::truncate(&shown, 60)))
                        .at(span)
                        .hint("`${each.key}` and `${each.value}` work inside an entry of a keyed section that has `for_each`"),
                );
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| leftover(n, diags)),
        NodeKind::Map(fields) => fields.iter().for_each(|(_, n)| leftover(n, diags)),
        NodeKind::Null => {}
    }
}
