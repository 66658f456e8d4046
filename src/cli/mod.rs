//! Command-line definitions and the mapping of outcomes to exit codes; the work happens elsewhere.

use crate::spec;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "lbstack", version, about = "Declarative AWS load balancing and auto scaling from one YAML stack file")]
pub struct Cli {
    /// Colour in human output: auto (terminals without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check stack files offline (no AWS call, no credentials) and report every problem at once.
    Validate {
        /// Stack files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Set a variable: `--var color=green` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Human)]
        output: Output,
        /// Treat warnings as errors (exit 1).
        #[arg(long)]
        strict: bool,
    },
    /// Print the JSON Schema of the stack format (for editors: yaml-language-server).
    Schema,
    /// Print the field reference of the stack format as Markdown.
    Docs,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn enabled(self, stream_is_terminal: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { files, vars, output, strict } => validate(&files, &vars, output, strict, cli.color),
        Command::Schema => {
            let text = serde_json::to_string_pretty(spec::json_schema()).expect("schema serializes");
            println!("{text}");
            ExitCode::SUCCESS
        }
        Command::Docs => {
            print!("{}", crate::docs::stack_format_markdown());
            ExitCode::SUCCESS
        }
    }
}

fn validate(files: &[PathBuf], vars: &[(String, String)], output: Output, strict: bool, color: Color) -> ExitCode {
    let mut failed = false;
    let mut json_reports = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let use_color = color.enabled(std::io::stdout().is_terminal());
    for file in files {
        let loaded = spec::load_file(file, vars);
        let report = &loaded.report;
        let has_warnings = report.diagnostics.iter().any(|d| !d.is_error());
        failed |= report.has_errors() || (strict && has_warnings);
        match output {
            Output::Json => json_reports.push(report.to_json()),
            Output::Human => {
                let _ = write!(out, "{}", report.render_human(use_color));
                let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
                let warnings = report.diagnostics.len() - errors;
                let status = match (errors, warnings) {
                    (0, 0) => format!("{}: valid", file.display()),
                    (0, w) => format!("{}: valid, {w} warning{}", file.display(), plural(w)),
                    (e, w) => format!("{}: {e} error{}, {w} warning{}", file.display(), plural(e), plural(w)),
                };
                let _ = writeln!(out, "{status}");
            }
        }
    }
    if output == Output::Json {
        let doc = serde_json::json!({ "format_version": "1.0", "valid": !failed, "files": json_reports });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).expect("json"));
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
