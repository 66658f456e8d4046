//! A mutation fuzzer of lbstack's own, on stable: every stack in the repository is a seed, each
//! mutated again and again (bytes flipped, lines cut, duplicated and swapped, YAML's and lbstack's
//! special tokens spliced in), then loaded and checked as `validate` does. No input may panic,
//! end in an "internal error", or take long. The run is bounded (`LBSTACK_FUZZ_SECONDS`, default
//! 30) and seeded (`LBSTACK_FUZZ_SEED`), so a failure names the input to reproduce it.
//!
//! Longer runs: `LBSTACK_FUZZ_SECONDS=3600 cargo test --test it mutated_stacks`. Every crasher
//! found becomes a file in `tests/fixtures/fuzz/`, loaded here first on every run.

use crate::support::repo_root;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Tokens that exercise YAML and lbstack: anchors and aliases, merge keys, variables and their
/// escapes, flow collections, quoting, numbers at the edges, documents, tabs, keys with dots and
/// slashes, key material, long runs.
const TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "<<: *a",
    "${var.",
    "${var.x}",
    "$${",
    "}",
    "{",
    "[",
    "]",
    ",",
    ": ",
    "- ",
    "\"",
    "'",
    "|",
    ">",
    "\n",
    "\t",
    "---\n",
    "...\n",
    "~",
    "null",
    "true",
    "yes",
    "0x",
    "1e999",
    "-1",
    "99999999999999999999",
    "0.5",
    "NaN",
    ".inf",
    "a.b",
    "a/b",
    "~1",
    "é",
    "\u{feff}",
    "\r",
    "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n",
    "arn:aws:acm:us-east-1:123456789012:certificate/x",
    "/proc/self/environ",
    "../../etc/passwd",
    "10.0.0.0/+8",
    "2027-02-29T08:00:00Z",
    "load_balancers",
    "target_groups",
    "listeners",
    "rules",
    "forward",
    "priority",
];

/// xorshift: small, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn seeds() -> Vec<(String, String)> {
    let root = repo_root();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "stacks",
        "examples",
        "tests/fixtures/invalid",
        "tests/fixtures/valid",
        "tests/fixtures/lint/fires",
        "tests/fixtures/fuzz",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|p| Some((p.strip_prefix(&root).ok()?.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if !bytes.is_empty() => {
                let end = (at + 1 + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, t.iter().copied());
            }
            3 => {
                // Duplicate a line (duplicate keys, repeated entries).
                let s = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    let mut out: Vec<&str> = lines.clone();
                    out.insert(i, lines[i]);
                    bytes = out.join("\n").into_bytes();
                }
            }
            4 => {
                // Swap two lines (indentation changes meaning).
                let s = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 1 {
                    let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(i, j);
                    bytes = lines.join("\n").into_bytes();
                }
            }
            5 => {
                let n = 1 + rng.below(300);
                let c = b"[{&*x-: $"[rng.below(9)];
                bytes.splice(at..at, std::iter::repeat_n(c, n));
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, t.repeat(1 + rng.below(5)).into_bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Load and check `text` as `validate` does; the problem, if there is one.
fn check(name: &str, text: &str, base: &std::path::Path) -> Option<String> {
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| {
        let loaded = lbstack::stack_format::load_str(name, text, Some(base), &[("color".into(), "blue".into())]);
        // Render as validate does: the renderer meets the same input.
        let human = loaded.report.render_human(false);
        let json = loaded.report.to_json().to_string();
        (human, json, loaded.report.diagnostics.iter().any(|d| d.summary.contains("internal error")))
    });
    let took = start.elapsed();
    match result {
        Err(_) => Some("panicked".into()),
        Ok((_, _, true)) => Some("reported an internal error".into()),
        Ok((human, _, _)) if human.len() > 512 * 1024 => Some(format!("printed {} bytes", human.len())),
        Ok(_) if took > Duration::from_secs(5) => Some(format!("took {took:?}")),
        Ok(_) => None,
    }
}

#[test]
fn mutated_stacks_never_panic_or_hang() {
    let seconds: u64 = std::env::var("LBSTACK_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let seed: u64 = std::env::var("LBSTACK_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1b57);
    let seeds = seeds();
    assert!(seeds.len() > 50, "the seeds are the repository's stacks");
    let base = repo_root().join("tests/fixtures/invalid");
    // Earlier crashers and every seed as it is, first.
    for (name, text) in &seeds {
        if let Some(problem) = check(name, text, &base) {
            panic!("{name} {problem}");
        }
    }
    // Quiet panics: a failing input is reported below with its seed.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed | 1);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    let mut failure = None;
    while Instant::now() < deadline {
        let (name, text) = &seeds[rng.below(seeds.len())];
        let state = rng.0;
        let input = mutate(text, &mut rng);
        if let Some(problem) = check(name, &input, &base) {
            failure = Some((name.clone(), state, problem, input));
            break;
        }
        runs += 1;
    }
    std::panic::set_hook(hook);
    if let Some((name, state, problem, input)) = failure {
        let dir = std::env::temp_dir().join("lbstack-fuzz");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("crash-{state:x}.yaml"));
        std::fs::write(&file, &input).unwrap();
        panic!(
            "a mutation of {name} {problem}; input saved to {} (copy it to tests/fixtures/fuzz/ once fixed)",
            file.display()
        );
    }
    eprintln!("fuzz: {runs} mutated stacks in {seconds} s (seed {seed:#x}), none failed");
    assert!(runs > 100, "only {runs} inputs in {seconds} s");
}
