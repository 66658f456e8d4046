//! Loading a stack file: YAML with spans → variables → structural checks against the JSON Schema
//! → typed model → checks on meaning. Every step adds to one list of diagnostics.
//!
//! It never reads the network or AWS (`validate` runs offline, on untrusted files), and the only
//! files it reads are the stack's own, through the file fence (`files.rs`).

pub mod check;
pub mod constraints;
pub mod cron;
pub mod files;
pub mod model;
pub mod pem;
pub mod repeat;
pub mod validate;
pub mod values;
pub mod vars;
pub mod yaml;

use crate::diag::{Diagnostic, Report, SourceFile, Span};
pub use model::Stack;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;
pub use values::SpanIndex;

/// Sections whose entries are keyed (the registry's resource sections, and `variables`). A
/// structural error inside one entry drops only that entry, so the rest of the file still gets
/// its semantic checks.
fn keyed_sections() -> impl Iterator<Item = &'static str> {
    crate::kinds::Kind::ALL.iter().filter_map(|k| k.section()).chain(["variables"])
}

/// A problem with a value of the stack file found after validation: while reading AWS (an image
/// that does not exist, a subnet group that matches nothing) or planning. It carries the value's
/// JSON pointer, so it is reported at its line and column like a validation error.
#[derive(Debug, Clone)]
pub struct At {
    pub pointer: String,
    pub message: String,
}

impl At {
    pub fn error(pointer: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(At { pointer: pointer.into(), message: message.into() })
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for At {}

impl Loaded {
    /// A report of `at` against this file: the position of its value, or the file alone.
    pub fn report_at(&self, at: &At) -> Report {
        let mut d = Diagnostic::error(at.message.clone()).path(at.pointer.as_str());
        if let Some(span) = self.index.value(&at.pointer) {
            d = d.at(span);
        }
        Report { file: self.report.file.clone(), diagnostics: vec![d] }
    }
}

pub struct Loaded {
    /// The model, when the file's structure allowed building one (possibly without broken entries).
    pub stack: Option<Stack>,
    pub report: Report,
    pub index: SpanIndex,
}

/// The JSON Schema of the stack format (draft 2020-12), computed once.
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::to_value(schemars::schema_for!(Stack)).expect("schema serializes"))
}

/// The schema editors get (`lbstack schema`, docs/stack-schema.json): the model's schema, for the
/// file as written rather than as resolved. A number or boolean may be a whole `${var.x}` (it
/// keeps its type when substituted); a string may be written as a number (`matcher: 200`), as
/// `validate` reads it; `version` is 1; the stack's name and region have the shape `validate`
/// requires, with `${...}` allowed in them. What needs more than a shape (a region lbstack does
/// not know, a name past its length once variables are substituted) stays with `validate`.
pub fn editor_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = json_schema().clone();
        for_editors(&mut schema);
        let var = "\\$\\{[^}]+\\}";
        let props = &mut schema["properties"];
        props["version"]["const"] = 1.into();
        props["stack"]["type"] = "string".into();
        props["stack"]["pattern"] = format!("^([A-Za-z]|{var})([A-Za-z0-9]|{var}|-([A-Za-z0-9]|{var}))*$").into();
        props["region"]["pattern"] = format!("^([a-z]{{2,4}}(-[a-z]+)+-[0-9]+|{var})$").into();
        schema["patternProperties"] = serde_json::json!({ format!("^{EXTENSION_PREFIX}"): {} });
        schema
    })
}

fn for_editors(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                for_editors(child);
            }
            let types: Vec<String> = match m.get("type") {
                Some(Value::String(t)) => vec![t.clone()],
                Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
                _ => return,
            };
            let scalar = types.iter().any(|t| matches!(t.as_str(), "integer" | "number" | "boolean"));
            if types.iter().any(|t| t == "string") && !m.contains_key("enum") && !m.contains_key("const") {
                let mut widened = types.clone();
                widened.push("number".into());
                m.insert("type".into(), Value::from(widened));
            }
            if scalar {
                // `${var.x}` alone in a number field: its value comes in with its type.
                let inner = Value::Object(std::mem::take(m));
                let description = inner.get("description").cloned();
                let mut wrapped = serde_json::Map::new();
                if let Some(d) = description {
                    wrapped.insert("description".into(), d);
                }
                let variable = serde_json::json!({ "type": "string", "pattern": "^\\$\\{[^}]+\\}$" });
                wrapped.insert("anyOf".into(), Value::Array(vec![inner, variable]));
                *m = wrapped;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(for_editors),
        _ => {}
    }
}

/// How a stack is loaded: variables from the command line, what files it may read, how large
/// it may be.
#[derive(Debug, Clone)]
pub struct Options {
    pub vars: Vec<(String, String)>,
    /// `--allow-files-outside`: the stack may read files outside its folder.
    pub files_outside: bool,
    /// `--max-stack-bytes`: larger stack files are refused before they are parsed.
    pub max_bytes: u64,
}

/// Top-level keys with this prefix are ignored (docker-compose's extension fields).
pub const EXTENSION_PREFIX: &str = "x-";

/// Default largest stack file: far above any real stack (the 35-resource reference stack is 7 KB).
pub const MAX_STACK_BYTES: u64 = 4 * 1024 * 1024;

impl Options {
    pub fn with_vars(vars: &[(String, String)]) -> Self {
        Options { vars: vars.to_vec(), files_outside: false, max_bytes: MAX_STACK_BYTES }
    }
}

pub fn load_file(path: &Path, vars: &[(String, String)]) -> Loaded {
    load_file_with(path, &Options::with_vars(vars))
}

/// Load a stack file. Anything but a regular file (a FIFO, `/dev/zero`) and anything over the size
/// limit is refused before a byte is parsed.
pub fn load_file_with(path: &Path, opts: &Options) -> Loaded {
    let name = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return failed(&name, Diagnostic::error(format!("cannot read the file: {e}"))),
    };
    if !meta.is_file() {
        return failed(
            &name,
            Diagnostic::error("not a regular file (a device, a pipe or a folder): lbstack reads stacks from files"),
        );
    }
    let bytes = match files::read_bounded(path, opts.max_bytes) {
        Ok(b) => b,
        Err(files::FileError::TooLarge { limit }) => {
            return failed(
                &name,
                Diagnostic::error(format!("the file is larger than {limit} bytes")).hint(
                    "a stack this large is likely not a stack; raise the limit with `--max-stack-bytes` if it is",
                ),
            );
        }
        Err(e) => return failed(&name, Diagnostic::error(format!("cannot read the file: {e}"))),
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            let mut loaded = load_text(&name, &text, path.parent(), opts);
            if let Some(stack) = loaded.stack.as_mut() {
                stack.files.outside = opts.files_outside;
            }
            loaded
        }
        Err(e) => {
            // Where the bad byte is, as a position: everything before it is text.
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.into_bytes()[..at]).into_owned();
            let file = SourceFile::new(&name, text.as_str());
            let p = file.position(at);
            let d = Diagnostic::error(format!(
                "the file is not UTF-8 text: invalid byte at line {}, column {} (byte {at})",
                p.line, p.column
            ));
            Loaded {
                stack: None,
                report: Report { file, diagnostics: vec![d.at(Span::new(at, at))] },
                index: SpanIndex::default(),
            }
        }
    }
}

fn failed(name: &str, d: Diagnostic) -> Loaded {
    Loaded {
        stack: None,
        report: Report { file: SourceFile::new(name, ""), diagnostics: vec![d] },
        index: SpanIndex::default(),
    }
}

/// Load from text. `base` is the folder relative file references (user data, PEM files) resolve
/// against; None skips those file checks.
pub fn load_str(name: &str, text: &str, base: Option<&Path>, vars: &[(String, String)]) -> Loaded {
    load_text(name, text, base, &Options::with_vars(vars))
}

fn load_text(name: &str, text: &str, base: Option<&Path>, opts: &Options) -> Loaded {
    let vars = opts.vars.as_slice();
    // Key material never reaches a message or a snippet: it is masked before anything else
    // reads the text (same length, same lines), and refused.
    if text.trim_start().starts_with("-----BEGIN ") {
        let d = Diagnostic::error("this file holds PEM material (a key or a certificate), not a stack")
            .hint("a stack names PEM files under `certificates.<key>.import`");
        return Loaded {
            stack: None,
            report: Report { file: SourceFile::new(name, ""), diagnostics: vec![d] },
            index: SpanIndex::default(),
        };
    }
    let (masked, keys) = files::mask_private_keys(text);
    let text = masked.as_str();
    let file = SourceFile::new(name, text);
    let (root, diags) = yaml::parse(text);
    let mut diags = Diagnostic::coded(diags, "yaml");
    for k in &keys {
        diags.push(
            Diagnostic::error("this looks like private key material: a stack never holds keys")
                .at(Span::new(k.start, k.start + 10))
                .hint("put the key in a file next to the stack and name it (`certificates.<key>.import.private_key: key.pem`); keep it out of version control"),
        );
    }
    let mut index = SpanIndex::default();
    if root.is_none() && diags.is_empty() {
        diags.push(Diagnostic::error("the file is empty").hint("a stack starts with `version: 1` and `stack: NAME`"));
    }
    let stack = root.and_then(|mut root| {
        if !matches!(*root.kind, yaml::NodeKind::Map(_)) {
            diags.push(
                Diagnostic::error("a stack file is a map of keys such as `stack:` and `load_balancers:`").at(root.span),
            );
            return None;
        }
        // Top-level `x-` keys are the file's own (docker-compose's convention): a place to define
        // YAML anchors once. Their aliases are already resolved; the keys themselves are dropped
        // before anything reads the stack, variables included.
        if let Some(yaml::NodeKind::Map(entries)) = std::rc::Rc::get_mut(&mut root.kind) {
            entries.retain(|(k, _)| !k.name.starts_with(EXTENSION_PREFIX));
        } else if let yaml::NodeKind::Map(entries) = &*root.kind {
            let kept = entries.iter().filter(|(k, _)| !k.name.starts_with(EXTENSION_PREFIX)).cloned().collect();
            root = yaml::Node::new(yaml::NodeKind::Map(kept), root.span);
        }
        let mut var_diags = Diagnostic::coded(vars::apply(&mut root, vars, text), "variable");
        let sections: Vec<&str> = keyed_sections().filter(|s| *s != "variables").collect();
        var_diags.extend(Diagnostic::coded(repeat::expand(&mut root, &sections), "for-each"));
        // A value with a broken `${...}` is already reported; checks of its remains would only echo it.
        let var_errors: Vec<Span> = var_diags.iter().filter_map(|d| d.span).collect();
        diags.extend(var_diags);
        let mut value = values::to_json(&root, &mut index);
        let mut checker = check::Checker::new(json_schema(), &index);
        checker.check(&mut value);
        // Entries with structural errors are dropped (echoes of a broken variable included), so
        // the rest of the file still gets its semantic checks.
        let mut broken = drop_broken_entries(&mut value, &checker.diags);
        let top_level_broken = checker.diags.iter().any(|d| entry_of(d).is_none_or(|e| !broken.contains(&e)));
        diags.extend(without_echoes(Diagnostic::coded(checker.diags, "schema"), &var_errors));
        if top_level_broken {
            return None;
        }
        let stack = match serde_json::from_value::<Stack>(value.clone()) {
            Ok(stack) => stack,
            // What the schema let through but the model refuses: drop those entries too, each
            // with its position, and read the rest.
            Err(_) => {
                let refused = entries_the_model_refuses(&value);
                for (section, key, why) in &refused {
                    let pointer = values::pointer(&[section, key]);
                    let mut d = Diagnostic::error(format!(
                        "`{}` in `{section}` could not be read: {}",
                        crate::diag::truncate(key, 60),
                        crate::diag::truncate(why, 200)
                    ))
                    .path(pointer.as_str());
                    if let Some(span) = index.key(&pointer) {
                        d = d.at(span);
                    }
                    diags.push(d);
                    if let Some(Value::Object(entries)) = value.get_mut(section.as_str()) {
                        entries.shift_remove(key.as_str());
                    }
                    broken.insert((section.clone(), key.clone()));
                }
                match serde_json::from_value::<Stack>(value) {
                    Ok(stack) => stack,
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!(
                                "the stack could not be read: {}",
                                crate::diag::truncate(&e.to_string(), 200)
                            ))
                            .at(root.span),
                        );
                        return None;
                    }
                }
            }
        };
        let mut stack = stack;
        stack.files = files::FileAccess { base: base.map(Path::to_path_buf), outside: opts.files_outside };
        diags.extend(without_echoes(validate::validate(&stack, &index, &broken), &var_errors));
        Some(stack)
    });
    let mut report = Report { file, diagnostics: Diagnostic::coded(diags, "stack") };
    report.sort();
    Loaded { stack, report, index }
}

/// Diagnostics minus those inside a value whose `${...}` is already reported (checks of its
/// remains would only echo it). Linear: `var_errors` sorted once, one binary search each.
fn without_echoes(diags: Vec<Diagnostic>, var_errors: &[Span]) -> Vec<Diagnostic> {
    let mut spans: Vec<Span> = var_errors.to_vec();
    spans.sort_by_key(|s| s.start);
    diags
        .into_iter()
        .filter(|d| {
            let Some(s) = d.span else { return true };
            let first = spans.partition_point(|v| v.start < s.start);
            !spans[first..].iter().take_while(|v| v.start <= s.end).any(|v| v.end <= s.end)
        })
        .collect()
}

/// The keyed entry (`section`, `key`) a diagnostic's pointer falls in, if any.
fn entry_of(d: &Diagnostic) -> Option<(String, String)> {
    let mut parts = d.path.as_deref()?.strip_prefix('/')?.split('/').map(values::unescape);
    let (section, key) = (parts.next()?, parts.next()?);
    keyed_sections().any(|k| k == section).then_some((section, key))
}

/// Removes keyed entries that have structural errors and returns their (section, key).
fn drop_broken_entries(value: &mut Value, diags: &[Diagnostic]) -> HashSet<(String, String)> {
    let broken: HashSet<(String, String)> = diags.iter().filter_map(entry_of).collect();
    for section in keyed_sections() {
        if let Some(Value::Object(entries)) = value.get_mut(section) {
            entries.retain(|key, _| !broken.contains(&(section.to_string(), key.clone())));
        }
    }
    broken
}

/// Entries of keyed sections that the typed model refuses on their own: each is read alone
/// inside an otherwise minimal stack.
fn entries_the_model_refuses(value: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for section in keyed_sections() {
        for (key, entry) in value.get(section).and_then(Value::as_object).into_iter().flatten() {
            let mut alone = serde_json::json!({ "version": 1, "stack": "s" });
            alone[section] = serde_json::json!({ key.clone(): entry.clone() });
            if let Err(e) = serde_json::from_value::<Stack>(alone) {
                out.push((section.to_string(), key.clone(), e.to_string()));
            }
        }
    }
    out
}
