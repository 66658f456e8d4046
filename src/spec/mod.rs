//! Loading a stack file: YAML with spans → variables → structural checks against the JSON Schema
//! → typed model → checks on meaning. Every step adds to one list of diagnostics.

pub mod check;
pub mod model;
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

/// Sections whose entries are keyed resources. A structural error inside one entry drops only
/// that entry, so the rest of the file still gets its semantic checks.
const KEYED_SECTIONS: [&str; 13] = [
    "security_groups",
    "certificates",
    "ip_sets",
    "web_acls",
    "target_groups",
    "load_balancers",
    "launch_templates",
    "autoscaling_groups",
    "scaling_policies",
    "scheduled_actions",
    "alarms",
    "records",
    "variables",
];

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

pub fn load_file(path: &Path, vars: &[(String, String)]) -> Loaded {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_str(&name, &text, path.parent(), vars),
            Err(e) => failed(&name, Diagnostic::error(format!("the file is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()))),
        },
        Err(e) => failed(&name, Diagnostic::error(format!("cannot read the file: {e}"))),
    }
}

fn failed(name: &str, d: Diagnostic) -> Loaded {
    Loaded { stack: None, report: Report { file: SourceFile::new(name, ""), diagnostics: vec![d] }, index: SpanIndex::default() }
}

/// Load from text. `base` is the folder relative file references (user data, PEM files) resolve
/// against; None skips those file checks.
pub fn load_str(name: &str, text: &str, base: Option<&Path>, vars: &[(String, String)]) -> Loaded {
    let file = SourceFile::new(name, text);
    let (root, mut diags) = yaml::parse(text);
    let mut index = SpanIndex::default();
    if root.is_none() && diags.is_empty() {
        diags.push(Diagnostic::error("the file is empty").hint("a stack starts with `version: 1` and `stack: NAME`"));
    }
    let stack = root.and_then(|mut root| {
        if !matches!(root.kind, yaml::NodeKind::Map(_)) {
            diags.push(Diagnostic::error("a stack file is a map of keys such as `stack:` and `load_balancers:`").at(root.span));
            return None;
        }
        let var_diags = vars::apply(&mut root, vars, text);
        // A value with a broken `${...}` is already reported; checks of its remains would only echo it.
        let var_errors: Vec<Span> = var_diags.iter().filter_map(|d| d.span).collect();
        diags.extend(var_diags);
        let mut value = values::to_json(&root, &mut index);
        let mut checker = check::Checker::new(json_schema(), &index);
        checker.check(&mut value);
        let structural = without_echoes(checker.diags, &var_errors);
        let broken = drop_broken_entries(&mut value, &structural);
        let top_level_broken = structural.iter().any(|d| !broken.iter().any(|b| d.path.as_deref().is_some_and(|p| p == b || p.starts_with(&format!("{b}.")))));
        diags.extend(structural);
        if top_level_broken {
            return None;
        }
        match serde_json::from_value::<Stack>(value) {
            Ok(mut stack) => {
                stack.base_dir = base.map(Path::to_path_buf);
                diags.extend(without_echoes(validate::validate(&stack, &index, base, &broken), &var_errors));
                Some(stack)
            }
            Err(e) => {
                // The schema check accepted what serde refused: a gap between the two is a bug here.
                diags.push(Diagnostic::error(format!("internal error: the checked stack did not load: {e}")).hint("please report this with the stack file"));
                None
            }
        }
    });
    let mut report = Report { file, diagnostics: diags };
    report.sort();
    Loaded { stack, report, index }
}

fn without_echoes(diags: Vec<Diagnostic>, var_errors: &[Span]) -> Vec<Diagnostic> {
    diags.into_iter().filter(|d| !d.span.is_some_and(|s| var_errors.iter().any(|v| s.start <= v.start && v.end <= s.end))).collect()
}

/// Removes keyed entries that have structural errors and returns their `section.key` paths.
fn drop_broken_entries(value: &mut Value, diags: &[Diagnostic]) -> HashSet<String> {
    let mut broken = HashSet::new();
    for d in diags {
        let Some(path) = &d.path else { continue };
        let mut parts = path.splitn(3, '.');
        if let (Some(section), Some(key)) = (parts.next(), parts.next())
            && KEYED_SECTIONS.contains(&section)
            && let Some(Value::Object(entries)) = value.get_mut(section)
        {
            entries.shift_remove(key);
            broken.insert(format!("{section}.{key}"));
        }
    }
    broken
}
