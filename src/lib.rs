//! lbstack: declarative AWS load balancing and auto scaling from one YAML stack file.
//!
//! The pipeline (see the README's design notes): `spec` loads and checks a stack file offline,
//! `target` is the health-endpoint server that runs behind the load balancer.

pub mod apply;
pub mod aws_error;
pub mod cli;
pub mod diag;
pub mod docs;
pub mod graph;
pub mod lint;
pub mod live;
pub mod lock;
pub mod ops;
pub mod plan;
pub mod retry;
pub mod simulate;
pub mod spec;
pub mod status;
pub mod swap;
pub mod target;
