//! Node tree to JSON values, keeping a span for every JSON pointer so that later checks on the
//! typed model can still point at the right line.

use super::yaml::{Node, NodeKind};
use crate::diag::Span;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Where each value (and each mapping key) of the file is, by JSON pointer. Pointers are kept
/// as 64-bit hashes built segment by segment, not as strings: a deep file with long keys would
/// otherwise store its whole path once per value.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    values: HashMap<u64, Span>,
    keys: HashMap<u64, Span>,
}

const ROOT: u64 = 0xcbf29ce484222325;

/// The hash of `parent` + `/` + `segment` (an escaped pointer segment).
fn child(parent: u64, segment: &str) -> u64 {
    let mut h = parent ^ 0x2f; // the `/`
    h = h.wrapping_mul(0x100000001b3);
    for b in segment.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The hashes of a pointer and of each of its ancestors, root first.
fn prefixes(pointer: &str) -> Vec<u64> {
    let mut out = vec![ROOT];
    if let Some(rest) = pointer.strip_prefix('/') {
        for segment in rest.split('/') {
            let last = *out.last().expect("root is in");
            out.push(child(last, segment));
        }
    }
    out
}

impl SpanIndex {
    /// The value at `pointer`, or failing that its nearest ancestor in the file (a defaulted field
    /// is reported at the object that omits it).
    pub fn value(&self, pointer: &str) -> Option<Span> {
        prefixes(pointer).iter().rev().find_map(|h| self.values.get(h).copied())
    }

    /// The key naming the value at `pointer` (for maps), else the value itself.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        let h = *prefixes(pointer).last().expect("root is in");
        self.keys.get(&h).copied().or_else(|| self.value(pointer))
    }

    pub fn has(&self, pointer: &str) -> bool {
        self.values.contains_key(prefixes(pointer).last().expect("root is in"))
    }
}

pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The JSON pointer of a path: `["load_balancers", "web"]` is `/load_balancers/web`.
pub fn pointer(parts: &[&str]) -> String {
    parts.iter().map(|s| format!("/{}", escape(s))).collect()
}

pub fn to_json(node: &Node, index: &mut SpanIndex) -> Value {
    convert(node, ROOT, index)
}

fn convert(node: &Node, pointer: u64, index: &mut SpanIndex) -> Value {
    let value = match &*node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Scalar { value, plain: true } => resolve_plain(value),
        NodeKind::Scalar { value, plain: false } => Value::String(value.clone()),
        NodeKind::Seq(items) => Value::Array(
            items.iter().enumerate().map(|(i, item)| convert(item, child(pointer, &i.to_string()), index)).collect(),
        ),
        NodeKind::Map(entries) => {
            let mut map = Map::new();
            for (key, v) in entries {
                let child = child(pointer, &escape(&key.name));
                index.keys.insert(child, key.span);
                map.insert(key.name.clone(), convert(v, child, index));
            }
            Value::Object(map)
        }
    };
    index.values.insert(pointer, node.span);
    value
}

/// YAML 1.2 core schema resolution of an unquoted scalar. `yes`/`no`/`on`/`off` stay strings.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = |t: &str, radix| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = s.strip_prefix("0x").filter(|t| digits(t, 16))
        && let Ok(n) = u64::from_str_radix(hex, 16)
    {
        return Value::Number(n.into());
    }
    if let Some(oct) = s.strip_prefix("0o").filter(|t| digits(t, 8))
        && let Ok(n) = u64::from_str_radix(oct, 8)
    {
        return Value::Number(n.into());
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits(unsigned, 10) {
        if let Ok(n) = s.parse::<i64>() {
            return Value::Number(n.into());
        }
        if let Ok(n) = s.trim_start_matches('+').parse::<u64>() {
            return Value::Number(n.into());
        }
    }
    if looks_like_float(unsigned)
        && let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(s.to_string())
}

fn looks_like_float(s: &str) -> bool {
    // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit in the mantissa
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let ok_mantissa = int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
        && !(int.is_empty() && frac.is_empty());
    let ok_exp = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    ok_mantissa && ok_exp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_yaml_1_2() {
        assert_eq!(resolve_plain("80"), Value::from(80));
        assert_eq!(resolve_plain("-3"), Value::from(-3));
        assert_eq!(resolve_plain("0x1F"), Value::from(31));
        assert_eq!(resolve_plain("2.5"), Value::from(2.5));
        assert_eq!(resolve_plain("1e3"), Value::from(1000.0));
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("yes"), Value::from("yes"));
        assert_eq!(resolve_plain("200-299"), Value::from("200-299"));
        assert_eq!(resolve_plain("1.2.3"), Value::from("1.2.3"));
        assert_eq!(resolve_plain("~"), Value::Null);
    }
}
