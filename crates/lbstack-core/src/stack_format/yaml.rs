//! YAML to a tree of nodes that remember where they came from.
//!
//! Built on saphyr-parser's event stream rather than a serde deserializer so that every value
//! keeps its byte span, every problem is collected (not just the first), and hostile input is
//! refused: duplicate keys, alias bombs, non-string keys and multi-document files.

use crate::diag::{Diagnostic, Span};
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};
use std::collections::HashMap;
use std::rc::Rc;

/// Upper bound on nodes after alias expansion: far above any real stack, far below a "billion laughs".
const MAX_NODES: usize = 200_000;
/// Upper bound on the text (scalars and keys) after alias expansion and variable substitution:
/// an alias of a long string repeated thousands of times is small on disk and huge in memory.
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    /// `plain` is true for unquoted scalars, whose type (number, bool, null) is resolved later.
    Scalar {
        value: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys are strings; their spans are kept for "unknown key" errors.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
    /// Came from a `<<` merge: an explicit key of the same name replaces it.
    pub merged: bool,
}

/// A value of the file and where it is. Aliases share the anchored node's contents (`Rc`)
/// instead of copying them.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Rc<NodeKind>,
    pub span: Span,
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node { kind: Rc::new(kind), span }
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &*self.kind {
            NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// What a node costs once expanded: values and bytes of text.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
}

/// Translates the parser's character offsets into byte offsets.
struct Offsets {
    byte_of_char: Vec<usize>,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let mut byte_of_char: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        byte_of_char.push(text.len());
        Offsets { byte_of_char }
    }
    fn byte(&self, char_index: usize) -> usize {
        *self.byte_of_char.get(char_index).unwrap_or(self.byte_of_char.last().unwrap())
    }
    fn span(&self, s: &YSpan) -> Span {
        Span::new(self.byte(s.start.index()), self.byte(s.end.index()))
    }
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    /// `positions`: where each key sits in `entries`, so duplicate checks stay linear overall.
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        positions: HashMap<String, usize>,
        pending_key: Option<Node>,
    },
}

/// Parse one YAML document. Returns the root (None when the file is empty or unreadable)
/// and every problem found.
pub fn parse(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
    let offsets = Offsets::new(text);
    let mut diags = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, Size)> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    let mut bytes = 0usize;

    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, yspan) = match parser.next_event() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(err)) => {
                let at = offsets.byte(err.marker().index());
                let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[at.min(text.len())..].find('\n').map_or(text.len(), |i| at + i);
                let hint = if text[line_start..line_end].contains("${") && err.info().contains("flow") {
                    "inside `{...}` or `[...]`, quote a value that uses a variable: `port: \"${var.port}\"` (it keeps the variable's type)"
                } else if err.info().contains("tab") {
                    "YAML indents with spaces; replace the tab characters"
                } else {
                    "check indentation, quoting and `key: value` spacing near this point"
                };
                diags.push(
                    Diagnostic::error(format!("YAML syntax error: {}", err.info()))
                        .at(Span::new(at, at + 1))
                        .hint(hint),
                );
                return (None, diags);
            }
        };
        let span = offsets.span(&yspan);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents == 2 {
                    diags.push(
                        Diagnostic::error("a stack file holds exactly one YAML document")
                            .at(span)
                            .hint("move the second document into a file of its own"),
                    );
                }
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    diags.push(Diagnostic::error(format!("nesting deeper than {MAX_DEPTH} levels")).at(span));
                    return (None, diags);
                }
                stack.push(Frame::Seq { start: span, anchor, items: Vec::new() });
                continue;
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    diags.push(Diagnostic::error(format!("nesting deeper than {MAX_DEPTH} levels")).at(span));
                    return (None, diags);
                }
                stack.push(Frame::Map {
                    start: span,
                    anchor,
                    entries: Vec::new(),
                    positions: HashMap::new(),
                    pending_key: None,
                });
                continue;
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq { start, anchor, items }) = stack.pop() else {
                    unreachable!("parser balances sequences")
                };
                let node = Node::new(NodeKind::Seq(items), Span::new(start.start, span.end));
                remember(&mut anchors, anchor, &node);
                node
            }
            Event::MappingEnd => {
                let Some(Frame::Map { start, anchor, entries, .. }) = stack.pop() else {
                    unreachable!("parser balances mappings")
                };
                let node = Node::new(NodeKind::Map(entries), Span::new(start.start, span.end));
                remember(&mut anchors, anchor, &node);
                node
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let plain = matches!(style, ScalarStyle::Plain);
                bytes += value.len();
                let kind = if plain && is_null(&value) {
                    NodeKind::Null
                } else {
                    NodeKind::Scalar { value: value.into_owned(), plain }
                };
                let node = Node::new(kind, span);
                remember(&mut anchors, anchor, &node);
                node
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((target, size)) => {
                    nodes += size.nodes;
                    bytes += size.bytes;
                    if nodes > MAX_NODES {
                        diags.push(
                            Diagnostic::error("aliases expand to too many values")
                                .at(span)
                                .hint(format!("a stack may hold at most {MAX_NODES} values after expanding aliases")),
                        );
                        return (None, diags);
                    }
                    if bytes > MAX_EXPANDED_BYTES {
                        diags.push(Diagnostic::error("aliases expand to too much text").at(span).hint(format!(
                            "a stack may hold at most {} MiB of text after expanding aliases",
                            MAX_EXPANDED_BYTES >> 20
                        )));
                        return (None, diags);
                    }
                    // The alias shares the anchored node's contents; only the position is its own.
                    Node { kind: target.kind.clone(), span }
                }
                None => {
                    diags.push(Diagnostic::error("alias to an unknown anchor").at(span));
                    Node::new(NodeKind::Null, span)
                }
            },
        };
        nodes += 1;
        if nodes > MAX_NODES {
            diags.push(Diagnostic::error(format!("the file holds more than {MAX_NODES} values")).at(span));
            return (None, diags);
        }
        // Attach the finished node to its parent.
        match stack.last_mut() {
            None => {
                if documents <= 1 {
                    root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, positions, pending_key, .. }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key_node) => add_entry(entries, positions, key_node, node, &mut diags),
            },
        }
    }
    (root, diags)
}

fn remember(anchors: &mut HashMap<usize, (Node, Size)>, anchor: usize, node: &Node) {
    if anchor != 0 {
        anchors.insert(anchor, (node.clone(), size(node)));
    }
}

/// Values and text of a node, once: anchors remember it, so each alias adds it in O(1).
fn size(node: &Node) -> Size {
    match &*node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .map(size)
            .fold(Size { nodes: 1, bytes: 0 }, |a, b| Size { nodes: a.nodes + b.nodes, bytes: a.bytes + b.bytes }),
        NodeKind::Map(entries) => entries.iter().fold(Size { nodes: 1, bytes: 0 }, |a, (k, v)| {
            let b = size(v);
            Size { nodes: a.nodes + 1 + b.nodes, bytes: a.bytes + k.name.len() + b.bytes }
        }),
        NodeKind::Scalar { value, .. } => Size { nodes: 1, bytes: value.len() },
        NodeKind::Null => Size { nodes: 1, bytes: 0 },
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn add_entry(
    entries: &mut Vec<(Key, Node)>,
    positions: &mut HashMap<String, usize>,
    key_node: Node,
    value: Node,
    diags: &mut Vec<Diagnostic>,
) {
    let name = match &*key_node.kind {
        NodeKind::Scalar { value, .. } => value.clone(),
        NodeKind::Null => {
            diags.push(Diagnostic::error("empty mapping key").at(key_node.span));
            return;
        }
        _ => {
            diags.push(Diagnostic::error("mapping keys must be plain strings, not lists or maps").at(key_node.span));
            return;
        }
    };
    // Merge key (`<<: *defaults`): entries of the merged map(s) that are not set explicitly.
    if name == "<<" && matches!(*key_node.kind, NodeKind::Scalar { plain: true, .. }) {
        let sources: Vec<&Node> = match &*value.kind {
            NodeKind::Map(_) => vec![&value],
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![],
        };
        if sources.is_empty() || sources.iter().any(|s| !matches!(*s.kind, NodeKind::Map(_))) {
            diags.push(Diagnostic::error("`<<` merges a map or a list of maps").at(value.span));
            return;
        }
        for source in sources {
            if let NodeKind::Map(src) = &*source.kind {
                for (k, v) in src {
                    if !positions.contains_key(&k.name) {
                        positions.insert(k.name.clone(), entries.len());
                        entries.push((Key { merged: true, ..k.clone() }, v.clone()));
                    }
                }
            }
        }
        return;
    }
    if let Some(slot) = positions.get(&name).map(|i| &mut entries[*i]) {
        if slot.0.merged {
            *slot = (Key { name, span: key_node.span, merged: false }, value);
        } else {
            let hint = format!("`{name}` is already set above; YAML keeps one value per key, so remove one of them");
            diags.push(
                Diagnostic::error(format!("duplicate key `{name}`"))
                    .at(key_node.span)
                    .hint(hint)
                    .label("set again here"),
            );
        }
        return;
    }
    positions.insert(name.clone(), entries.len());
    entries.push((Key { name, span: key_node.span, merged: false }, value));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Node {
        let (node, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        node.unwrap()
    }

    #[test]
    fn spans_point_at_values() {
        let text = "a:\n  b: hello\n";
        let root = ok(text);
        let b = root.get("a").unwrap().get("b").unwrap();
        assert_eq!(&text[b.span.start..b.span.end], "hello");
    }

    #[test]
    fn merge_keys_fill_missing_entries_only() {
        let root = ok("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n");
        let thing = root.get("thing").unwrap();
        let NodeKind::Scalar { value, .. } = &*thing.get("y").unwrap().kind else { panic!() };
        assert_eq!(value, "3");
        assert!(thing.get("x").is_some());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let (_, diags) = parse("a: 1\na: 2\n");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].summary.contains("duplicate key"));
        assert_eq!(diags[0].span.unwrap().start, 5);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, diags) = parse(&text);
        assert!(diags.iter().any(|d| d.summary.contains("too many")), "{diags:?}");
    }

    #[test]
    fn second_document_is_refused() {
        let (_, diags) = parse("a: 1\n---\nb: 2\n");
        assert!(diags[0].summary.contains("one YAML document"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (root, diags) = parse("a: [1, 2\nb: 3\n");
        assert!(root.is_none());
        assert!(diags[0].summary.starts_with("YAML syntax error"));
        assert!(diags[0].span.is_some());
    }
}
