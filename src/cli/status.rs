//! `lbstack status`: flags in, the report from `crate::status`.

use super::exit::{Exit, Failed, Outcome};
use super::{AwsArgs, Output, Ui, load_checked, parse_var};
use crate::swap::SwapRecord;
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct StatusArgs {
    /// The stack file.
    pub file: PathBuf,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Also show which colour a swap name points at (with `--name`).
    #[arg(long, requires = "name")]
    pub zone: Option<String>,
    /// The swap name to report on (with `--zone`).
    #[arg(long, requires = "zone")]
    pub name: Option<String>,
    /// human or json.
    #[arg(long, short, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

pub async fn run_status(a: &StatusArgs, ui: Ui) -> Outcome {
    let stack = load_checked(&a.file, &a.vars, ui)?;
    let clients = crate::ops::connect(&a.aws.options(), Some(&stack)).await?;
    let rec = match (&a.zone, &a.name) {
        (Some(zone), Some(name)) => Some(SwapRecord {
            zone: zone.clone(),
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            kind: "ANY".into(),
            ttl: 60,
        }),
        _ => None,
    };
    match crate::status::read(&clients, &stack, rec.as_ref()).await {
        Ok(s) => {
            match a.output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&s).expect("json")),
                Output::Human => print!("{}", crate::status::human(&s)),
            }
            Ok(Exit::Success)
        }
        Err(e) => Err(Failed::from(e)),
    }
}
