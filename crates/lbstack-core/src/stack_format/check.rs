//! Structural checks against the JSON Schema derived from the model: unknown keys (with "did you
//! mean"), wrong types, missing fields, enum values and ranges. Every problem is collected.
//!
//! Walking the schema (rather than relying on serde's first error) means the schema that editors
//! get from `lbstack schema` is exactly what `validate` enforces.

use super::values::{SpanIndex, escape};
use crate::diag::Diagnostic;
use serde_json::{Map, Value};

pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

pub struct Checker<'a> {
    root: &'a Value,
    index: &'a SpanIndex,
    /// The definition name of each object schema (by address), for the AWS constraints table.
    defs: std::collections::HashMap<*const Value, &'a str>,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub fn new(root_schema: &'a Value, index: &'a SpanIndex) -> Self {
        let mut defs: std::collections::HashMap<*const Value, &'a str> = std::collections::HashMap::new();
        defs.insert(root_schema as *const Value, "Stack");
        for (name, def) in root_schema.get("$defs").and_then(Value::as_object).into_iter().flatten() {
            defs.insert(def as *const Value, name.as_str());
        }
        Checker { root: root_schema, index, defs, diags: Vec::new() }
    }

    pub fn check(&mut self, value: &mut Value) {
        let root = self.root;
        self.walk(root, value, "");
    }

    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or("");
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(s) => schema = s,
                None => break,
            }
        }
        schema
    }

    fn error(&mut self, pointer: &str, summary: String, hint: Option<String>) {
        let mut d = Diagnostic::error(summary).path(pointer);
        if let Some(span) = self.index.value(pointer) {
            d = d.at(span);
        }
        if let Some(h) = hint {
            d = d.hint(h);
        }
        self.diags.push(d);
    }

    fn walk(&mut self, schema: &'a Value, value: &mut Value, pointer: &str) {
        let schema = self.resolve(schema);
        // `port:` with nothing after it: a forgotten value, never a way to ask for the default.
        if value.is_null() && !pointer.is_empty() {
            let mut d = Diagnostic::error(format!("{} has no value", field(pointer)))
                .path(pointer)
                .hint("give it a value, or remove the key to use the default");
            if let Some(span) = self.index.key(pointer) {
                d = d.at(span);
            }
            self.diags.push(d);
            return;
        }
        if let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
            self.walk_alternatives(schema, branches, value, pointer);
            return;
        }
        if let Some(c) = schema.get("const") {
            if value != c {
                self.error(pointer, format!("{} must be {c}, found {}", field(pointer), describe(value)), None);
            }
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            self.check_enum(options, value, pointer);
            return;
        }
        if !self.check_type(schema, value, pointer) {
            return;
        }
        match value {
            Value::Object(map) => self.walk_object(schema, map, pointer),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.walk(item_schema, item, &format!("{pointer}/{i}"));
                    }
                }
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    self.error(pointer, format!("{} needs at least {min} item(s)", field(pointer)), None);
                }
            }
            Value::Number(n) => self.check_range(schema, n.as_f64().unwrap_or(0.0), pointer),
            Value::String(s) => {
                let len = s.chars().count() as u64;
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                    && len > max
                {
                    self.error(
                        pointer,
                        format!("{} is {len} characters long; the limit is {max}", field(pointer)),
                        None,
                    );
                }
                if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                    && len < min
                {
                    self.error(pointer, format!("{} must not be empty", field(pointer)), None);
                }
            }
            _ => {}
        }
    }

    fn walk_alternatives(&mut self, schema: &'a Value, branches: &'a [Value], value: &mut Value, pointer: &str) {
        let branches: Vec<&'a Value> = branches.iter().map(|b| self.resolve(b)).collect();
        // Enums whose variants carry docs come out as `oneOf` of `const`s.
        if branches.iter().all(|b| b.get("const").is_some() || b.get("enum").is_some()) {
            let options: Vec<Value> = branches
                .iter()
                .flat_map(|b| match (b.get("const"), b.get("enum")) {
                    (Some(c), _) => vec![c.clone()],
                    (_, Some(Value::Array(e))) => e.clone(),
                    _ => vec![],
                })
                .collect();
            self.check_enum(&options, value, pointer);
            return;
        }
        let mut best: Option<(usize, Vec<Diagnostic>, Value)> = None;
        for branch in &branches {
            let mut sub = Checker { root: self.root, index: self.index, defs: self.defs.clone(), diags: Vec::new() };
            let mut candidate = value.clone();
            sub.walk(branch, &mut candidate, pointer);
            if sub.diags.is_empty() {
                *value = candidate;
                return;
            }
            // Prefer the branch whose type fits the value: its errors say what is wrong inside.
            let score = if type_fits(branch, value) { 0 } else { 1000 } + sub.diags.len();
            if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                best = Some((score, sub.diags, candidate));
            }
        }
        match best {
            Some((score, diags, _)) if score < 1000 => self.diags.extend(diags),
            _ => {
                let expected = describe_schema(self, &branches);
                let hint = schema.get("description").and_then(Value::as_str).map(first_sentence);
                self.error(pointer, format!("{} must be {expected}, found {}", field(pointer), describe(value)), hint);
            }
        }
    }

    fn check_enum(&mut self, options: &[Value], value: &Value, pointer: &str) {
        if options.contains(value) {
            return;
        }
        let names: Vec<String> =
            options.iter().map(|o| o.as_str().map(str::to_string).unwrap_or_else(|| o.to_string())).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let hint = match did_you_mean(&found, &refs) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("one of: {}", names.join(", ")),
        };
        self.error(pointer, format!("`{found}` is not a valid {}", field(pointer).trim_matches('`')), Some(hint));
    }

    /// Checks the JSON type, turning unquoted numbers and booleans into strings where a string is
    /// expected (`matcher: 200`). Returns whether the walk should continue.
    fn check_type(&mut self, schema: &Value, value: &mut Value, pointer: &str) -> bool {
        let Some(types) = schema_types(schema) else { return true };
        if types.iter().any(|t| type_matches(t, value)) {
            return true;
        }
        if types.contains(&"string") && matches!(value, Value::Number(_) | Value::Bool(_)) {
            let text = match &*value {
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            *value = Value::String(text);
            return true;
        }
        let expected = types.iter().filter(|t| **t != "null").map(|t| article(t)).collect::<Vec<_>>().join(" or ");
        let hint = match (types.as_slice(), &*value) {
            (t, Value::String(s)) if t.contains(&"boolean") && matches!(s.as_str(), "yes" | "no" | "on" | "off") => {
                Some("write `true` or `false`".to_string())
            }
            (t, Value::Number(_)) if t.contains(&"integer") => Some("use a whole number".to_string()),
            (_, Value::Null) => Some("the key is present but has no value".to_string()),
            _ => schema.get("description").and_then(Value::as_str).map(first_sentence),
        };
        self.error(pointer, format!("{} must be {expected}, found {}", field(pointer), describe(value)), hint);
        false
    }

    fn check_range(&mut self, schema: &Value, n: f64, pointer: &str) {
        let (mut min, mut max) =
            (schema.get("minimum").and_then(Value::as_f64), schema.get("maximum").and_then(Value::as_f64));
        if let Some(fmt) = schema.get("format").and_then(Value::as_str) {
            let (lo, hi) = match fmt {
                "uint8" => (0.0, u8::MAX as f64),
                "uint16" => (0.0, u16::MAX as f64),
                "uint32" | "uint" => (0.0, u32::MAX as f64),
                "uint64" => (0.0, u64::MAX as f64),
                "int32" => (i32::MIN as f64, i32::MAX as f64),
                _ => (f64::MIN, f64::MAX),
            };
            min = Some(min.map_or(lo, |m| m.max(lo)));
            max = Some(max.map_or(hi, |m| m.min(hi)));
        }
        let out_of_range = min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m);
        if out_of_range {
            let bounds = match (min, max) {
                (Some(lo), Some(hi)) if hi < 1e15 => format!("between {lo} and {hi}"),
                (Some(0.0), _) => "zero or more".to_string(),
                (Some(lo), _) => format!("at least {lo}"),
                (_, Some(hi)) => format!("at most {hi}"),
                _ => unreachable!(),
            };
            self.error(pointer, format!("{} must be {bounds}, found {n}", field(pointer)), None);
        }
    }

    fn walk_object(&mut self, schema: &'a Value, map: &mut Map<String, Value>, pointer: &str) {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let props = schema.get("properties").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let additional = schema.get("additionalProperties");
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let child = format!("{pointer}/{}", escape(&key));
            let value = map.get_mut(&key).expect("key listed above");
            if let Some(prop_schema) = props.get(&key) {
                let before = self.diags.len();
                self.walk(prop_schema, value, &child);
                // What AWS takes in this field (from its API models), once the shape is right.
                if self.diags.len() == before
                    && let Some(def) = self.defs.get(&(schema as *const Value))
                    && let Some(why) = super::constraints::of(def, &key).and_then(|c| c.problem(value))
                {
                    self.error(&child, format!("{} {why}", field(&child)), None);
                }
            } else {
                match additional {
                    Some(Value::Bool(false)) => {
                        let known: Vec<&str> = props.keys().map(String::as_str).collect();
                        let hint = match did_you_mean(&key, &known) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None if known.is_empty() => "this object takes no keys".to_string(),
                            None => format!("known keys: {}", known.join(", ")),
                        };
                        let mut d = Diagnostic::error(format!(
                            "unknown key `{}`{}",
                            crate::diag::truncate(&key, 60),
                            context(pointer)
                        ))
                        .path(child.as_str())
                        .hint(hint);
                        if let Some(span) = self.index.key(&child) {
                            d = d.at(span);
                        }
                        self.diags.push(d);
                    }
                    Some(s @ Value::Object(_)) => self.walk(s, value, &child),
                    _ => {}
                }
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    let doc = props
                        .get(name)
                        .map(|p| self.resolve(p))
                        .and_then(|p| p.get("description"))
                        .and_then(Value::as_str);
                    let summary = format!("missing required key `{name}`{}", context(pointer));
                    let mut d = Diagnostic::error(summary).path(pointer);
                    if let Some(span) = self.index.key(pointer) {
                        d = d.at(span);
                    }
                    if let Some(doc) = doc {
                        d = d.hint(format!("`{name}`: {}", first_sentence(doc)));
                    }
                    self.diags.push(d);
                }
            }
        }
    }
}

fn schema_types(schema: &Value) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => true,
    }
}

fn type_fits(schema: &Value, v: &Value) -> bool {
    match schema_types(schema) {
        Some(types) => types.iter().any(|t| type_matches(t, v) || (*t == "number" && v.is_number())),
        None => true,
    }
}

fn describe_schema(checker: &Checker, branches: &[&Value]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for b in branches {
        let b = checker.resolve(b);
        for t in schema_types(b).unwrap_or_default() {
            if t != "null" {
                let a = article(t);
                if !parts.contains(&a) {
                    parts.push(a);
                }
            }
        }
    }
    if parts.is_empty() { "a valid value".into() } else { parts.join(" or ") }
}

fn article(t: &str) -> String {
    match t {
        "object" => "a map".into(),
        "array" => "a list".into(),
        "string" => "a string".into(),
        "boolean" => "true or false".into(),
        "integer" => "a whole number".into(),
        "number" => "a number".into(),
        other => other.into(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("a string \"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn first_sentence(doc: &str) -> String {
    let line = doc.split("\n\n").next().unwrap_or(doc).replace('\n', " ");
    match line.find(". ") {
        Some(i) => line[..=i].to_string(),
        None => line,
    }
}

/// `/load_balancers/web/listeners/https/port` → `load_balancers.web.listeners.https.port`
pub fn display_path(pointer: &str) -> String {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect::<Vec<_>>().join(".")
}

fn field(pointer: &str) -> String {
    let segs: Vec<String> = pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    match segs.as_slice() {
        [] => "the stack".into(),
        [.., parent, last] if last.parse::<usize>().is_ok() => format!("`{parent}[{last}]`"),
        [.., last] => format!("`{last}`"),
    }
}

fn context(pointer: &str) -> String {
    if pointer.is_empty() { " at the top level".into() } else { format!(" in `{}`", display_path(pointer)) }
}
