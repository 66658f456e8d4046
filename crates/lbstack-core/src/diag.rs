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
    /// A stable code for the kind of problem: the lint rule's id, or the check that found it
    /// (`yaml`, `schema`, `variable`, `reference`, a section such as `load-balancer`). SARIF's
    /// `ruleId` and the JSON output carry it.
    pub code: Option<&'static str>,
}

/// Most diagnostics shown per file; the rest are counted ("and 12 more").
pub const MAX_SHOWN: usize = 100;
/// Longest summary or hint: messages quote what the file says, and a file is untrusted input.
const MAX_MESSAGE: usize = 400;
/// Lines longer than this are shown as a window around the problem.
const MAX_SNIPPET_LINE: usize = 160;

/// `text` cut to `max` characters, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: truncate(&summary.into(), MAX_MESSAGE),
            label: None,
            hint: None,
            path: None,
            span: None,
            code: None,
        }
    }
    pub fn warning(summary: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(truncate(&hint.into(), MAX_MESSAGE));
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
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
    /// Give every diagnostic of `diags` without a code this one.
    pub fn coded(mut diags: Vec<Diagnostic>, code: &'static str) -> Vec<Diagnostic> {
        diags.iter_mut().for_each(|d| {
            d.code.get_or_insert(code);
        });
        diags
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
        // Lines end at LF, CRLF or a lone CR (YAML takes all three).
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        SourceFile { name: name.into(), text, line_starts }
    }

    pub fn position(&self, byte: usize) -> Position {
        let mut byte = byte.min(self.text.len());
        // A span may end inside a character (a syntax error one byte past a multi-byte one).
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..byte].chars().count() + 1;
        Position { line: line + 1, column, byte }
    }
}

/// What a snippet shows: the text, its first line number, the span inside it, and for a window
/// of a long line the real line and column.
type Shown<'t> = (std::borrow::Cow<'t, str>, usize, std::ops::Range<usize>, Option<(usize, usize)>);

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

    /// Diagnostics shown (at most `MAX_SHOWN`) and how many more there are.
    /// Past `MAX_SHOWN`, errors come first (each severity in file order): a file with thousands
    /// of warnings still shows its errors.
    fn shown(&self) -> (Vec<&Diagnostic>, usize) {
        let n = self.diagnostics.len().min(MAX_SHOWN);
        let mut all: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        if self.diagnostics.len() > MAX_SHOWN {
            all.sort_by_key(|d| d.severity != Severity::Error);
        }
        all.truncate(n);
        (all, self.diagnostics.len() - n)
    }

    pub fn render_human(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let mut out = String::new();
        let (shown, more) = self.shown();
        for d in shown {
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let title = level.clone().primary_title(d.summary.as_str());
            let text = self.file.text.as_str();
            let mut windowed = false;
            let first = match d.span {
                Some(span) => {
                    let (source, line, range, origin) = self.snippet(text, span);
                    let mut ann = AnnotationKind::Primary.span(range);
                    if let Some(label) = &d.label {
                        ann = ann.label(label.as_str());
                    }
                    let snippet = Snippet::source(source).line_start(line).annotation(ann);
                    match origin {
                        // A window of a long line: the origin says where, the window shows what.
                        Some((line, column)) => {
                            windowed = true;
                            title
                                .element(
                                    annotate_snippets::Origin::path(self.file.name.as_str())
                                        .line(line)
                                        .char_column(column),
                                )
                                .element(snippet)
                        }
                        None => title.element(snippet.path(self.file.name.as_str())),
                    }
                }
                None => title.element(annotate_snippets::Origin::path(self.file.name.as_str())),
            };
            let mut groups = vec![first];
            if let Some(hint) = &d.hint {
                groups.push(Group::with_title(Level::HELP.secondary_title(hint.as_str())));
            }
            let mut rendered = renderer.render(&groups);
            // A window's snippet has no path of its own: drop the empty `:::` line the renderer
            // gives a pathless snippet after an origin.
            if let Some(at) = rendered.find(":::").filter(|_| windowed) {
                let start = rendered[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = rendered[at..].find('\n').map_or(rendered.len(), |i| at + i + 1);
                rendered.replace_range(start..end, "");
            }
            let _ = writeln!(out, "{rendered}");
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "… and {more} more diagnostic{} in {} (fix these first)",
                if more == 1 { "" } else { "s" },
                self.file.name
            );
        }
        out
    }

    /// The source to show for a span: the lines it covers (through the next line, as the
    /// renderer would show in the whole file), or for a long line a window of it. Returns the
    /// text, its first line number, the span within it, and for a window the real line:column.
    fn snippet<'t>(&self, text: &'t str, span: Span) -> Shown<'t> {
        // Only the lines the span covers: handing the whole file to every diagnostic made
        // rendering quadratic in big files.
        let range = clamp_to_char_boundaries(text, span);
        let starts = &self.file.line_starts;
        // A span at the very end, after the final line break, belongs to the last line.
        let anchor = if range.start == text.len() && range.start > 0 && starts.last() == Some(&range.start) {
            range.start - 1
        } else {
            range.start
        };
        let line_of = |at: usize| starts.partition_point(|&s| s <= at) - 1;
        let first = line_of(anchor);
        let from = starts[first];
        // The end of a line, line break included.
        let line_end = |l: usize| starts.get(l + 1).copied().unwrap_or(text.len());
        let first_line_end = line_end(first);
        let line = first + 1;
        if first_line_end - from <= MAX_SNIPPET_LINE {
            // Through the line after the span, as the renderer would show in the whole file.
            let to = line_end((line_of(range.end.min(text.len().saturating_sub(1))) + 1).min(starts.len() - 1));
            let to = to.max(first_line_end);
            // The renderer knows LF only: a lone CR becomes one (same length, same offsets).
            let shown = lone_cr_to_lf(&text[from..to]);
            return (std::borrow::Cow::Owned(shown), line, range.start - from..range.end - from, None);
        }
        // A long line (minified YAML, generated files): the window around the span, so a file
        // with thousands of problems on one line renders in linear time.
        let line_text = text[from..first_line_end].trim_end_matches(['\n', '\r']);
        let offset = range.start - from;
        let mut start = offset.saturating_sub(MAX_SNIPPET_LINE / 2);
        while !line_text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (offset + MAX_SNIPPET_LINE / 2).min(line_text.len()).max(start);
        while !line_text.is_char_boundary(end) {
            end += 1;
        }
        let prefix = if start > 0 { "…" } else { "" };
        let window = format!("{prefix}{}{}", &line_text[start..end], if end < line_text.len() { "…" } else { "" });
        let shift = prefix.len();
        let span_end = (range.end - from).min(end).max(offset);
        let position = self.file.position(range.start);
        (
            std::borrow::Cow::Owned(window),
            line,
            offset - start + shift..span_end - start + shift,
            Some((position.line, position.column)),
        )
    }

    /// The diagnostics shown (errors first when there are more than `MAX_SHOWN`), each with its
    /// JSON form.
    pub fn shown_json(&self) -> Vec<(&Diagnostic, serde_json::Value)> {
        let json = |d: &Diagnostic| {
            let range = d.span.map(|s| {
                serde_json::json!({
                    "filename": self.file.name,
                    "start": self.file.position(s.start),
                    "end": self.file.position(s.end),
                })
            });
            serde_json::json!({
                "severity": d.severity,
                "code": d.code,
                "summary": d.summary,
                "detail": d.label,
                "hint": d.hint,
                "path": d.path,
                "range": range,
            })
        };
        self.shown().0.into_iter().map(|d| (d, json(d))).collect()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let more = self.shown().1;
        let diagnostics: Vec<_> = self.shown_json().into_iter().map(|(_, json)| json).collect();
        serde_json::json!({
            "file": self.file.name,
            "valid": !self.has_errors(),
            "error_count": self.diagnostics.iter().filter(|d| d.is_error()).count(),
            "warning_count": self.diagnostics.iter().filter(|d| !d.is_error()).count(),
            "diagnostics": diagnostics,
            "not_shown": more,
        })
    }

    /// One line per diagnostic: `file:line:col: severity: summary`. Used in snapshots and CI logs.
    pub fn render_short(&self) -> String {
        let mut out = String::new();
        let (shown, more) = self.shown();
        for d in shown {
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
        if more > 0 {
            let _ = writeln!(out, "{}: … and {more} more", self.file.name);
        }
        out
    }
}

/// `text` with every CR that is not followed by LF made an LF.
fn lone_cr_to_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(if c == '\r' && chars.peek() != Some(&'\n') { '\n' } else { c });
    }
    out
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

    /// Past the number shown, errors come first: warnings never hide an error.
    #[test]
    fn errors_are_shown_before_warnings_when_there_are_too_many() {
        let mut text = String::from("version: 1\nstack: many\ntarget_groups:\n");
        for i in 0..150 {
            text.push_str(&format!("  tg{i}: {{protocol: HTTP, port: 80}}\n"));
        }
        text.push_str("  last: {protocol: HTTP, port: 80, health_check: {path: health}}\n");
        let loaded = crate::stack_format::load_str("many.yaml", &text, None, &[]);
        let short = loaded.report.render_short();
        assert!(
            short.lines().next().unwrap().contains("error: health check path `health` must start with `/`"),
            "{short}"
        );
        assert!(short.contains("… and"), "{short}");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("s.yaml", "a: 1\nbé: 2\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1, byte: 0 });
        assert_eq!(f.position(5), Position { line: 2, column: 1, byte: 5 });
        // `:` after the two-byte é is the third character of line 2.
        assert_eq!(f.position(8).column, 3);
        // Old Mac line ends (CR only) are lines too.
        let f = SourceFile::new("s.yaml", "a: 1\rb: 2\r\nc: 3");
        assert_eq!(f.position(5), Position { line: 2, column: 1, byte: 5 });
        assert_eq!(f.position(11), Position { line: 3, column: 1, byte: 11 });
    }
}
