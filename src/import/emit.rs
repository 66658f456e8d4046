//! Writes a stack (as JSON values in the stack format) as YAML a person would write: block style,
//! short maps and lists of scalars on one line, strings quoted only where YAML would read them as
//! something else, and `${` escaped so lbstack never reads an imported value as a variable.

use serde_json::{Map, Value};

/// Lines wider than this are written in block style.
const WIDTH: usize = 100;

pub fn yaml(root: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut first = true;
    for (key, value) in root {
        // A blank line between top-level sections, as stack files are written by hand.
        if !first && (value.is_object() || value.is_array()) {
            out.push('\n');
        }
        first = false;
        entry(&mut out, 0, key, value);
    }
    out
}

fn entry(out: &mut String, indent: usize, key: &str, value: &Value) {
    let pad = " ".repeat(indent);
    let head = format!("{pad}{}:", scalar_text(key));
    match flow(value) {
        Some(text) if head.len() + 1 + text.len() <= WIDTH || !is_collection(value) => {
            out.push_str(&format!("{head} {text}\n"));
        }
        _ => {
            out.push_str(&head);
            out.push('\n');
            block(out, indent + 2, value);
        }
    }
}

fn block(out: &mut String, indent: usize, value: &Value) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                entry(out, indent, k, v);
            }
        }
        Value::Array(items) => {
            let pad = " ".repeat(indent);
            for item in items {
                match (item, flow(item)) {
                    (_, Some(text)) if indent + 2 + text.len() <= WIDTH || !is_collection(item) => {
                        out.push_str(&format!("{pad}- {text}\n"))
                    }
                    (Value::Object(m), _) => {
                        // `- first: ...` then the other keys under it.
                        let mut inner = String::new();
                        block(&mut inner, indent + 2, &Value::Object(m.clone()));
                        let text = inner.strip_prefix(&" ".repeat(indent + 2)).unwrap_or(&inner);
                        out.push_str(&format!("{pad}- {text}"));
                    }
                    (other, _) => {
                        out.push_str(&format!("{pad}-\n"));
                        block(out, indent + 2, other);
                    }
                }
            }
        }
        other => out.push_str(&format!("{}{}\n", " ".repeat(indent), flow(other).unwrap_or_default())),
    }
}

fn is_collection(v: &Value) -> bool {
    v.is_object() || v.is_array()
}

/// The one-line form of a value: scalars, and collections of at most two levels of scalars.
fn flow(v: &Value) -> Option<String> {
    flow_at(v, 0)
}

fn flow_at(v: &Value, depth: usize) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(scalar_text(s)),
        _ if depth >= 2 => None,
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(|i| flow_at(i, depth + 1)).collect();
            Some(format!("[{}]", parts?.join(", ")))
        }
        Value::Object(m) => {
            let parts: Option<Vec<String>> =
                m.iter().map(|(k, v)| Some(format!("{}: {}", scalar_text(k), flow_at(v, depth + 1)?))).collect();
            Some(format!("{{{}}}", parts?.join(", ")))
        }
    }
}

/// A string as a YAML scalar: plain when YAML reads it back as the same string, else quoted.
fn scalar_text(s: &str) -> String {
    let s = s.replace("${", "$${");
    if plain_is_safe(&s) { s } else { serde_json::to_string(&s).unwrap_or_default() }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    const RESERVED: [&str; 16] =
        ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "=", "<<", ".inf", ".nan", "-.inf", "+.inf"];
    !(first.is_ascii_digit()
        || "-+.?:,[]{}#&*!|>'\"%@` ".contains(first)
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || s.chars().any(|c| c.is_control() || "[]{},".contains(c))
        || RESERVED.contains(&s.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_quoted_only_where_yaml_would_misread_them() {
        for (text, plain) in [
            ("app", true),
            ("/api/*", true),
            ("ami-0abc", true),
            ("true", false),
            ("No", false),
            ("8080", false),
            ("0 22 * * *", false),
            (">=", false),
            ("*.example.com", false),
            ("10.0.0.0/8", false),
            ("a: b", false),
            ("", false),
            ("#{host}", false),
            ("x #y", false),
        ] {
            assert_eq!(plain_is_safe(text), plain, "{text}");
        }
        assert_eq!(scalar_text("cost ${x}"), "\"cost $${x}\"", "never read back as a variable");
    }

    /// What YAML reads back from the text: plain scalars typed as the stack loader types them.
    fn read_back(node: &crate::stack_format::yaml::Node) -> Value {
        use crate::stack_format::yaml::NodeKind;
        match &*node.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Scalar { value, plain: false } => Value::from(value.as_str()),
            NodeKind::Scalar { value, plain: true } => serde_json::from_str::<Value>(value)
                .ok()
                .filter(|v| !v.is_string())
                .unwrap_or(Value::from(value.as_str())),
            NodeKind::Seq(items) => Value::Array(items.iter().map(read_back).collect()),
            NodeKind::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.name.clone(), read_back(v))).collect())
            }
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let tricky = [
            "true",
            "No",
            "8080",
            "1.5",
            "0 22 * * *",
            "*.example.com",
            "a: b",
            "#{host}",
            "x #y",
            "-1",
            "[x]",
            "{y}",
            "it's",
            "say \"hi\"",
            "line\nbreak",
            "=",
            "<=",
            "~",
            "@x",
            "%y",
            " padded ",
        ];
        let v = json!({
            "plain": tricky,
            "as_keys": tricky.iter().map(|t| (t.to_string(), json!(1))).collect::<Map<String, Value>>(),
            "nested": [{"a": [1, 2], "b": {"c": null, "d": false}}, [["deep"]], {"wide": "x".repeat(120)}],
            "empty": {"list": [], "map": {}},
        });
        let text = yaml(v.as_object().unwrap());
        let (root, diags) = crate::stack_format::yaml::parse(&text);
        assert!(diags.is_empty(), "{diags:?}\n{text}");
        assert_eq!(read_back(&root.unwrap()), v, "{text}");
    }

    #[test]
    fn a_stack_is_written_as_people_write_them() {
        let v = json!({
            "version": 1,
            "stack": "shop",
            "target_groups": {"app": {"protocol": "HTTP", "port": 8080, "health_check": {"path": "/health"}}},
            "load_balancers": {"web": {
                "security_groups": ["lb"],
                "listeners": {"http": {"port": 80, "protocol": "HTTP", "default_action": {"forward": "app"},
                    "rules": [{"priority": 10, "path": "/api/*", "fixed_response": {"status": 404, "body": "a long body that does not fit on the line with all the rest of it"}}]}},
            }},
        });
        insta::assert_snapshot!(yaml(v.as_object().unwrap()));
    }
}
