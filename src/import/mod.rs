//! `lbstack import`: a stack file written from load balancers and auto-scaling groups that
//! already run, so they come under a stack with `--adopt-all` and plan to nothing but the tags
//! adoption adds. It only reads: it never tags, changes or deletes anything in AWS.
//!
//! Reads are in `read.rs` (found by name, ARN or tag, the way an operator names what they run;
//! read and shaped by the plan's own readers, `live::*`), the stack format is built in `build.rs`
//! (pure: the plan's structs in, stack values out, AWS's defaults left out, references by key
//! wherever the referenced resource is imported too) and written as YAML by `emit.rs`.

mod build;
pub mod emit;
mod read;

pub use read::Request;

/// What `import` writes: the stack file, the files it refers to (user data), and what it could
/// not express, to be said beside the file.
#[derive(Debug)]
pub struct Imported {
    pub yaml: String,
    /// Paths relative to the stack file, and their contents.
    pub files: Vec<(String, Vec<u8>)>,
    pub notes: Vec<String>,
    /// Resources written, by section (`load_balancers: 1`).
    pub counts: Vec<(String, usize)>,
}

pub async fn run(clients: &crate::live::Clients, request: &Request) -> anyhow::Result<Imported> {
    let found = read::read(clients, request).await?;
    build::stack(request, &found)
}
