//! Diagnostics: every problem found in a stack file, with its position, rendered for people
//! (annotated source snippets) or as JSON with ranges.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    /// Label shown under the highlighted source.
    pub label: Option<String>,
    /// A `help:` line: how to fix it.
    pub hint: Option<String>,
    /// The JSON pointer of the offending value in the stack (e.g. `/load_balancers/web/listeners/https/port`).
    pub path: Option<String>,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, summary: summary.into(), label: None, hint: None, path: None, span: None }
    }
    pub fn warning(summary: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A source file and the line index needed to turn byte offsets into line/column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// 0-based byte offset.
    pub byte: usize,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { name: name.into(), text, line_starts }
    }

    pub fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..byte].chars().count() + 1;
        Position { line: line + 1, column, byte }
    }
}

/// All diagnostics of one file.
#[derive(Debug, Clone)]
pub struct Report {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Sort by position so output reads top to bottom; positionless diagnostics come first.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by_key(|d| (d.span.map(|s| s.start), d.severity));
    }

    pub fn render_human(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let mut out = String::new();
        for d in &self.diagnostics {
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let title = level.clone().primary_title(d.summary.as_str());
            let text = self.file.text.as_str();
            let first = match d.span {
                Some(span) => {
                    // Only the lines the span covers: handing the whole file to every diagnostic
                    // made rendering quadratic in big files.
                    let range = clamp_to_char_boundaries(text, span);
                    // A span at the very end, after the final newline, belongs to the last line.
                    let anchor = if range.start == text.len() && text.ends_with('\n') { range.start - 1 } else { range.start };
                    let from = text[..anchor].rfind('\n').map_or(0, |i| i + 1);
                    // Through the line after the span, as the renderer would see in the whole file.
                    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                    let to = line_end(line_end(range.end).min(text.len()));
                    let line = self.file.position(from).line;
                    let mut ann = AnnotationKind::Primary.span(range.start - from..range.end - from);
                    if let Some(label) = &d.label {
                        ann = ann.label(label.as_str());
                    }
                    title.element(Snippet::source(&text[from..to]).line_start(line).path(self.file.name.as_str()).annotation(ann))
                }
                None => title.element(annotate_snippets::Origin::path(self.file.name.as_str())),
            };
            let mut groups = vec![first];
            if let Some(hint) = &d.hint {
                groups.push(Group::with_title(Level::HELP.secondary_title(hint.as_str())));
            }
            let _ = writeln!(out, "{}", renderer.render(&groups));
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        let diagnostics: Vec<_> = self
            .diagnostics
            .iter()
            .map(|d| {
                let range = d.span.map(|s| {
                    serde_json::json!({
                        "filename": self.file.name,
                        "start": self.file.position(s.start),
                        "end": self.file.position(s.end),
                    })
                });
                serde_json::json!({
                    "severity": d.severity,
                    "summary": d.summary,
                    "detail": d.label,
                    "hint": d.hint,
                    "path": d.path,
                    "range": range,
                })
            })
            .collect();
        serde_json::json!({
            "file": self.file.name,
            "valid": !self.has_errors(),
            "error_count": self.diagnostics.iter().filter(|d| d.is_error()).count(),
            "warning_count": self.diagnostics.iter().filter(|d| !d.is_error()).count(),
            "diagnostics": diagnostics,
        })
    }

    /// One line per diagnostic: `file:line:col: severity: summary`. Used in snapshots and CI logs.
    pub fn render_short(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            match d.span {
                Some(s) => {
                    let p = self.file.position(s.start);
                    let _ = write!(out, "{}:{}:{}: {sev}: {}", self.file.name, p.line, p.column, d.summary);
                }
                None => {
                    let _ = write!(out, "{}: {sev}: {}", self.file.name, d.summary);
                }
            }
            if let Some(h) = &d.hint {
                let _ = write!(out, " (help: {h})");
            }
            out.push('\n');
        }
        out
    }
}

fn clamp_to_char_boundaries(text: &str, span: Span) -> std::ops::Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.min(text.len()).max(start);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("s.yaml", "a: 1\nbé: 2\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1, byte: 0 });
        assert_eq!(f.position(5), Position { line: 2, column: 1, byte: 5 });
        // `:` after the two-byte é is the third character of line 2.
        assert_eq!(f.position(8).column, 3);
    }
}
