//! lbstack: declarative AWS load balancing and auto scaling from one YAML stack file.
//!
//! The pipeline (docs/architecture.md): `stack_format` loads and checks a stack file offline;
//! `live` reads what the stack owns in AWS; `plan` diffs the two without calling AWS; `apply`
//! executes a plan's changes in dependency order. `cli` is thin.
//! The offline stages (`stack_format`, `kinds`, `attrs`, `plan`, `lint`, `simulate`, `graph`,
//! `diag`) are the `lbstack-core` crate, which has no AWS SDK; they are re-exported here under
//! the same paths. The health server on the instances is the `lbstack-target` crate.

pub use lbstack_core::{attrs, defaults, diag, docs, graph, kinds, lint, ownership, plan, simulate, stack_format};

pub mod apply;
pub mod aws_error;
pub mod cli;
pub mod clock;
pub mod import;
pub mod live;
pub mod lock;
pub mod logging;
pub mod ops;
pub mod policy;
pub mod retry;
pub mod status;
pub mod swap;

/// The layers of the AWS-facing half, kept by a test as the crate split keeps the offline half:
/// arrows run from the CLI down (`cli` → `ops` → `apply`/`swap`/`status`/`import` → `live` →
/// `aws_error`), never back up.
#[cfg(test)]
mod layers {
    const ABOVE_LIVE: &[&str] = &["apply", "ops", "cli", "swap", "status", "import", "lock"];

    /// Each module and what it must never use.
    const NEVER: &[(&str, &[&str])] = &[
        ("aws_error", &["live", "apply", "ops", "cli", "swap", "status", "import", "lock", "logging", "retry"]),
        ("clock", &["live", "apply", "ops", "cli", "swap", "status", "import", "lock", "logging", "retry"]),
        ("retry", ABOVE_LIVE),
        ("logging", ABOVE_LIVE),
        ("live", ABOVE_LIVE),
        ("lock", &["apply", "ops", "cli", "swap", "status", "import"]),
        ("apply", &["ops", "cli", "swap", "status", "import"]),
        ("import", &["apply", "ops", "cli", "swap", "status"]),
        ("swap", &["apply", "ops", "cli", "status", "import"]),
        ("status", &["apply", "ops", "cli", "import"]),
        ("ops", &["cli"]),
    ];

    fn sources(module: &str) -> Vec<std::path::PathBuf> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let file = src.join(format!("{module}.rs"));
        if file.exists() {
            return vec![file];
        }
        let mut out: Vec<_> = std::fs::read_dir(src.join(module))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn no_module_reaches_a_layer_above_it() {
        let mut wrong = Vec::new();
        for (module, never) in NEVER {
            for path in sources(module) {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
                    for above in *never {
                        if [format!("crate::{above}::"), format!("crate::{above};"), format!("crate::{above}::{{")]
                            .iter()
                            .any(|p| line.contains(p.as_str()))
                        {
                            wrong.push(format!("{}:{}: {module} uses {above}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "arrows that run the wrong way:\n{}", wrong.join("\n"));
    }
}
