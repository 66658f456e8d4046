//! The README and the guide are tested like code: every whole stack they show validates, every
//! `lbstack` command they show names a real subcommand and real flags, and every relative link
//! points at a file that exists; every path the architecture page names exists.

use crate::support::{lbstack, repo_root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// README.md and the guide's pages (the generated field reference is checked by its own test).
fn pages() -> Vec<PathBuf> {
    let mut out = vec![repo_root().join("README.md")];
    let mut guide: Vec<PathBuf> = std::fs::read_dir(repo_root().join("docs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("stack-format.md"))
        .collect();
    guide.sort();
    out.extend(guide);
    out
}

/// Fenced code blocks: (language, first line number, body).
fn blocks(text: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, Vec<&str>, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None if trimmed.starts_with("```") => {
                open = Some((
                    trimmed.trim_start_matches('`').trim().to_string(),
                    n + 2,
                    Vec::new(),
                    line.len() - trimmed.len(),
                ))
            }
            Some((lang, start, body, _)) if trimmed.starts_with("```") => {
                out.push((lang.clone(), *start, body.join("\n")));
                open = None;
            }
            Some((_, _, body, indent)) => body.push(line.get(*indent..).unwrap_or(line.trim_start())),
            None => {}
        }
    }
    out
}

/// `lbstack` commands shown: lines of shell blocks (which must be commands) and inline code
/// spans that start with it (prose also quotes lbstack's output, `lbstack will change ...`).
fn commands(text: &str) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    for (lang, start, body) in blocks(text) {
        if matches!(lang.as_str(), "sh" | "bash" | "console" | "") {
            // A transcript (no language, or `console`) marks its commands with `$ `; the rest is output.
            let transcript = matches!(lang.as_str(), "console" | "");
            for (i, line) in body.lines().enumerate() {
                if transcript && !line.trim_start().starts_with("$ ") {
                    continue;
                }
                let line = line.split(" #").next().unwrap_or_default().trim().trim_start_matches("$ ");
                for part in line.split("&&").map(str::trim).filter(|p| p.starts_with("lbstack ")) {
                    out.push((start + i, part.to_string(), true));
                }
            }
        }
    }
    for (n, line) in text.lines().enumerate() {
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1 && span.starts_with("lbstack ") {
                out.push((n + 1, span.to_string(), false));
            }
        }
    }
    out
}

#[test]
fn every_stack_shown_validates() {
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (lang, line, body) in blocks(&text) {
            if lang != "yaml" || !body.lines().any(|l| l.starts_with("version: 1")) {
                continue;
            }
            let loaded = lbstack::stack_format::load_str("shown.yaml", &body, Some(&repo_root()), &[]);
            assert!(
                !loaded.report.has_errors(),
                "{}:{line}: the stack shown does not validate:\n{}",
                page.display(),
                loaded.report.render_short()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "the README's first stack and the guide's stack are checked ({checked})");
}

#[test]
fn every_command_shown_exists_with_its_flags() {
    let mut help: BTreeMap<String, String> = BTreeMap::new();
    let mut checked = 0;
    let top = String::from_utf8(lbstack().arg("--help").output().unwrap().stdout).unwrap();
    let subcommands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap_or_default()
        .split("Options:")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(subcommands.contains(&"plan".to_string()), "{top}");
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (line, command, in_block) in commands(&text) {
            let words: Vec<&str> = command.split_whitespace().collect();
            // `plan\|apply` in a table: each alternative is a command.
            for sub in words[1].replace("\\|", "|").split('|') {
                if sub.starts_with('-')
                    || sub.chars().all(|c| c.is_ascii_uppercase())
                    || (!in_block && !subcommands.contains(&sub.to_string()))
                {
                    continue;
                }
                let text = help.entry(sub.to_string()).or_insert_with(|| {
                    let o = lbstack().args([sub, "--help"]).output().unwrap();
                    assert!(o.status.success(), "{}:{line}: `lbstack {sub}` is not a command", page.display());
                    String::from_utf8(o.stdout).unwrap()
                });
                for flag in words.iter().filter(|w| w.starts_with("--")) {
                    let flag = flag.split(['=', '|', '\\', ']', ')', '`', ',']).next().unwrap();
                    if flag.len() > 2 {
                        assert!(
                            text.contains(flag),
                            "{}:{line}: `{command}`: `lbstack {sub}` has no `{flag}`",
                            page.display()
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "commands checked: {checked}");
}

#[test]
fn every_relative_link_points_at_a_file() {
    let link = regex_lite_links;
    for page in pages().into_iter().chain([repo_root().join("docs/SUMMARY.md")]) {
        let text = std::fs::read_to_string(&page).unwrap();
        for target in link(&text) {
            if target.starts_with("http") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let path = target.split('#').next().unwrap();
            let resolved = page.parent().unwrap_or(Path::new(".")).join(path);
            assert!(resolved.exists(), "{}: the link `{target}` points at nothing", page.display());
        }
    }
}

/// The targets of `[text](target)` links.
fn regex_lite_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            let target = &rest[..end];
            if !target.contains(' ') && !target.is_empty() {
                out.push(target.to_string());
            }
        }
    }
    out
}

/// The contributor's map names files and folders; each named by a path (one with a `/`, not a
/// `<service>` pattern) exists, under the repository, one of the crates' `src/`, or the folder
/// its table row is about.
#[test]
fn every_path_the_architecture_page_names_exists() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let bases = [root.clone(), root.join("src"), root.join("crates/lbstack-core/src")];
    let (mut named, mut missing) = (0, Vec::new());
    for line in text.lines() {
        let quoted: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
        let row = line.starts_with("| `").then(|| quoted.first().copied()).flatten().filter(|r| r.ends_with('/'));
        for path in quoted.into_iter().filter(|t| {
            t.contains('/') && !t.contains(['<', '*', ' ', ':']) && (t.ends_with(".rs") || t.ends_with('/'))
        }) {
            named += 1;
            let under_row = row.is_some_and(|r| root.join(r).join(path).exists());
            if !under_row && !bases.iter().any(|b| b.join(path).exists()) {
                missing.push(path);
            }
        }
    }
    assert!(named > 40, "the page names fewer paths than it did: {named}");
    assert!(missing.is_empty(), "docs/architecture.md names paths that do not exist: {missing:?}");
}
