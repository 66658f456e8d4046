//! lbstack's offline half, with no AWS SDK: everything between a stack file and a plan that
//! does not read the network.
//!
//! `stack_format` loads and checks a stack file (model, validation, constraints, schema);
//! `ownership` is the vocabulary every stage speaks (addresses, ownership tags, physical names);
//! `defaults` holds AWS's defaults, read by every stage; `kinds` is the one table of resource kinds and `attrs` their typed attributes; `plan` diffs
//! what the stack wants against what AWS has, orders and renders the changes; `lint`,
//! `simulate` and `graph` read a stack; `diag` reports a mistake at its file, line and column.
//! The `lbstack` crate reads AWS (`live`), executes plans (`apply`) and holds the CLI.

pub mod attrs;
pub mod defaults;
pub mod diag;
pub mod docs;
pub mod graph;
pub mod kinds;
pub mod lint;
pub mod ownership;
pub mod plan;
pub mod simulate;
pub mod stack_format;
