//! lbstack: declarative AWS load balancing and auto scaling from one YAML stack file.
//!
//! The pipeline (docs/architecture.md): `stack_format` loads and checks a stack file offline;
//! `live` reads what the stack owns in AWS; `plan` diffs the two without calling AWS; `apply`
//! executes a plan's changes in dependency order. `cli` is thin.
//! The offline stages (`stack_format`, `kinds`, `attrs`, `plan`, `lint`, `simulate`, `graph`,
//! `diag`) are the `lbstack-core` crate, which has no AWS SDK; they are re-exported here under
//! the same paths. The health server on the instances is the `lbstack-target` crate.

pub use lbstack_core::{attrs, diag, docs, graph, kinds, lint, plan, simulate, stack_format};

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
