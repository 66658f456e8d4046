//! lbstack: declarative AWS load balancing and auto scaling from one YAML stack file.
//!
//! The pipeline (see the README's design notes): `stack_format` loads and checks a stack file offline
//! (it never reads the network); `live` reads what the stack owns in AWS; `plan` diffs the two
//! without calling AWS; `apply` executes a plan's changes in dependency order. `cli` is thin.
//! The health server on the instances is the `lbstack-target` crate, apart, without the AWS SDK.

pub mod apply;
pub mod attrs;
pub mod aws_error;
pub mod cli;
pub mod clock;
pub mod diag;
pub mod docs;
pub mod graph;
pub mod import;
pub mod kinds;
pub mod lint;
pub mod live;
pub mod lock;
pub mod logging;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod retry;
pub mod simulate;
pub mod stack_format;
pub mod status;
pub mod swap;
