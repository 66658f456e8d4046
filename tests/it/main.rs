//! All integration tests live in this one binary (each extra test binary re-links the AWS SDK).

mod acceptance;
mod adopt;
mod apply;
mod ci_example;
mod cli;
mod cli_aws;
mod contract;
mod emulator;
mod errors;
mod faults;
mod fuzz;
mod generative;
mod graph;
mod hostile;
mod import;
mod inventory;
mod lint;
mod reference;
mod scale;
mod scaling;
mod shared;
mod signin;
mod simulate;
mod support;
mod swap;
mod validate;
