//! Command-line definitions and the mapping of outcomes to exit codes; the work happens elsewhere
//! (`ops`, `swap`, `status`): this module parses, asks, prints, and holds no AWS logic of its own.

mod apply;
mod check;
pub mod exit;
mod forget;
mod graph;
mod import;
mod outputs;
mod plan;
mod progress;
mod simulate;
mod status;
mod swap;
mod views;

use apply::{confirm, run_apply};
use check::{lint, validate};
use exit::{Exit, Failed, Outcome};
use forget::run_forget;
use graph::graph;
use import::run_import;
use outputs::run_output;
use plan::{load_and_plan, plan_failed, print_stats, run_plan, saved_plan, show};

use crate::stack_format;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "lbstack",
    version,
    about = "Declarative AWS load balancing and auto scaling from one YAML stack file"
)]
pub struct Cli {
    /// Colour in human output: auto (a terminal, unless NO_COLOR, CLICOLOR=0 or TERM=dumb;
    /// CLICOLOR_FORCE colours anywhere), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Let stacks read files (user data, PEM) outside their own folder. Only for trusted stacks:
    /// a stack from a pull request could name any file the run can read.
    #[arg(long, global = true, env = "LBSTACK_ALLOW_FILES_OUTSIDE")]
    pub allow_files_outside: bool,
    /// Refuse stack files larger than this many bytes, before parsing them.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = stack_format::MAX_STACK_BYTES)]
    pub max_stack_bytes: u64,
    /// Variables from a YAML file of `name: value` lines, e.g. one per environment (repeatable;
    /// later files win, and `--var` wins over every file).
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Log each AWS call, retry and wait on stderr with its timing (`-vv`: also the rate limit's
    /// waits). Never a body, header or secret. `LBSTACK_LOG=debug` (or `trace`) does the same.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check stack files offline (no AWS call, no credentials) and report every problem at once.
    #[command(
        after_help = "Examples:\n  lbstack validate stacks/shop.yaml\n  lbstack validate stacks/*.yaml --var color=green --strict\n  lbstack validate stack.yaml --output json"
    )]
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
    /// Show what apply would change: read live AWS state and diff it against the stack.
    #[command(
        after_help = "Examples:\n  lbstack plan stack.yaml\n  lbstack plan stack.yaml --var-file prod.yaml --detailed-exitcode   # 0 in sync, 2 changes, 1 error\n  lbstack plan stack.yaml --out plan.json -o markdown > plan.md     # save for apply, comment on a pull request"
    )]
    Plan {
        /// The stack file.
        file: PathBuf,
        /// Set a variable: `--var color=green` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        #[command(flatten)]
        aws: AwsArgs,
        /// human (Terraform's symbols), json (the format `lbstack schema --plan` describes), or
        /// markdown (for a pull-request comment or $GITHUB_STEP_SUMMARY).
        #[arg(long, short, value_enum, default_value_t = PlanOutput::Human)]
        output: PlanOutput,
        /// Exit 0 when there are no changes, 2 when there are (1 on errors).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Save the plan; `lbstack apply FILE` executes exactly it, refusing if live state moved.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Plan the removal of everything the stack owns.
        #[arg(long)]
        destroy: bool,
        /// Print the AWS API calls made, by operation.
        #[arg(long)]
        stats: bool,
        #[command(flatten)]
        adopt: AdoptArgs,
    },
    /// Make live AWS match the stack (or execute a plan saved with `plan --out`).
    #[command(
        after_help = "Examples:\n  lbstack apply stack.yaml\n  lbstack apply stack.yaml --auto-approve -o json | tee apply.jsonl\n  lbstack apply plan.json                    # a saved plan: applied as shown, no prompt"
    )]
    Apply(ApplyArgs),
    /// Render a plan saved with `plan --out` (from any folder).
    Show {
        /// The saved plan.
        plan: PathBuf,
        /// human, json or markdown.
        #[arg(long, short, value_enum, default_value_t = PlanOutput::Human)]
        output: PlanOutput,
    },
    /// Delete everything the stack owns, in reverse dependency order.
    #[command(
        after_help = "Examples:\n  lbstack plan stack.yaml --destroy          # what destroy would delete\n  lbstack destroy stack.yaml --auto-approve"
    )]
    Destroy(ApplyArgs),
    /// Let resources leave the stack without deleting them: remove lbstack's tags (a load
    /// balancer takes its listeners and rules along), for another tool or stack to take over.
    Forget(ForgetArgs),
    /// Print the stack's outputs from what exists: `name = value` lines, one value alone when
    /// named (for scripts: `$(lbstack output stack.yaml web_url)`), or a JSON object.
    Output(OutputArgs),
    /// Write a stack file from load balancers and auto-scaling groups that already run (it only
    /// reads AWS); `lbstack plan FILE --adopt-all` then takes them over in place.
    Import(ImportArgs),
    /// Point a Route 53 name at this stack's load balancer (blue-green), after a health gate; at
    /// once or in weighted steps watched by alarms. Exit 3 when an alarm rolled the shift back.
    Swap(swap::SwapArgs),
    /// A stack's load balancers, target health, group capacity, alarm states and live colour.
    Status(status::StatusArgs),
    /// Replay a demand curve through a group's scaling configuration, minute by minute (offline).
    Simulate(simulate::SimulateArgs),
    /// Best-practice rules for load balancing and auto scaling (offline). Exit 1 on errors, and on
    /// warnings with --strict.
    Lint {
        /// Stack files.
        #[arg(required_unless_present = "rules")]
        files: Vec<PathBuf>,
        /// Set a variable: `--var color=green` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// human, json, or sarif (SARIF 2.1.0 for code scanning).
        #[arg(long, short, value_enum, default_value_t = LintOutput::Human)]
        output: LintOutput,
        /// Warnings fail too.
        #[arg(long)]
        strict: bool,
        /// List the rules and exit.
        #[arg(long)]
        rules: bool,
    },
    /// The least IAM policy a CI role needs to plan, or to apply, the stack (offline): print it,
    /// then attach it to the role that runs lbstack.
    #[command(
        after_help = "Examples:\n  lbstack policy stack.yaml --for plan > plan-role.json\n  lbstack policy stack.yaml --for apply > apply-role.json"
    )]
    Policy {
        /// The stack file.
        file: PathBuf,
        /// Set a variable: `--var color=green` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// plan (reads only) or apply (reads and writes; destroy included).
        #[arg(long = "for", value_enum, default_value_t = crate::policy::PolicyFor::Apply)]
        purpose: crate::policy::PolicyFor,
    },
    /// Draw the stack (Mermaid, or Graphviz DOT); with `--plan`, mark what a plan would change.
    Graph {
        /// The stack file.
        file: PathBuf,
        /// Set a variable: `--var color=green` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// mermaid or dot.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Read live AWS and mark created, changed, replaced and deleted resources.
        #[arg(long)]
        plan: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the JSON Schema of the stack format (for editors: yaml-language-server), or with
    /// `--plan` of the JSON plan format.
    Schema {
        /// The schema of `plan -o json` and saved plans instead.
        #[arg(long)]
        plan: bool,
    },
    /// Print the field reference of the stack format as Markdown.
    Docs,
    /// Print a shell completion script: `lbstack completions bash > /etc/bash_completion.d/lbstack`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `lbstack man > /usr/local/share/man/man1/lbstack.1`; with
    /// `--out DIR`, write a page for lbstack and one for each command (`lbstack-plan.1`, ...).
    Man {
        /// Write every page into this folder instead of printing lbstack's.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug, Clone)]
pub struct ApplyArgs {
    /// A stack file (for apply, also a plan file written by `plan --out`).
    pub file: PathBuf,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Do not ask for confirmation (required when not run from a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Most changes in flight at once.
    #[arg(long, default_value_t = 8)]
    pub parallelism: usize,
    /// Print the AWS API calls made, by operation.
    #[arg(long)]
    pub stats: bool,
    /// Remove the stack's lock left by a run that crashed (it says who held it), then stop.
    #[arg(long)]
    pub break_lock: bool,
    /// human: the plan, then progress (a live view on a terminal, lines with a heartbeat
    /// elsewhere); json: one JSON object per line on stdout (planned changes, each step's start,
    /// progress and end, the summary), like Terraform's `-json`.
    #[arg(long, short, value_enum, default_value_t = Output::Human)]
    pub output: Output,
    #[command(flatten)]
    pub adopt: AdoptArgs,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// The stack file.
    pub file: PathBuf,
    /// One output: its value alone, nothing else on the line.
    pub name: Option<String>,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// human: `name = value` lines; json: one object of name to value (null when its resource
    /// does not exist).
    #[arg(long, short, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The stack's name in the file written (letters, digits and hyphens).
    #[arg(long)]
    pub stack: String,
    /// A load balancer by name or ARN, with its listeners, rules, target groups and security
    /// groups (repeatable).
    #[arg(long = "load-balancer", value_name = "NAME|ARN")]
    pub load_balancers: Vec<String>,
    /// An auto-scaling group by name, with its launch template, policies, scheduled actions and
    /// the alarms that drive its policies (repeatable).
    #[arg(long = "autoscaling-group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// Every load balancer and group carrying this tag (repeatable: all must match).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub tags: Vec<(String, String)>,
    /// Also write the targets registered in target groups no auto-scaling group fills.
    #[arg(long)]
    pub targets: bool,
    /// Write the stack to FILE (user data beside it, under `files/`) instead of standard output.
    /// An existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct ForgetArgs {
    /// The stack file.
    pub file: PathBuf,
    /// Addresses as the plan names them (`load_balancer.web`, `target_group.api`).
    #[arg(required = true, value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// Set a variable: `--var color=green` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Do not ask for confirmation (required when not run from a terminal).
    #[arg(long)]
    pub auto_approve: bool,
}

/// Taking over resources that exist without lbstack's tags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AdoptArgs {
    /// Take over the resource the plan shows as a conflict at ADDRESS (`load_balancer.web`):
    /// it gets the stack's tags and settings in place (repeatable). Never another stack's.
    #[arg(long = "adopt", value_name = "ADDRESS")]
    pub adopt: Vec<String>,
    /// Take over every conflict that carries no lbstack tags.
    #[arg(long)]
    pub adopt_all: bool,
}

impl AdoptArgs {
    pub fn choice(&self) -> crate::live::Adopt {
        if self.adopt_all {
            crate::live::Adopt::All
        } else if self.adopt.is_empty() {
            crate::live::Adopt::None
        } else {
            crate::live::Adopt::Only(self.adopt.iter().cloned().collect())
        }
    }
}

/// Where AWS is: the SDK's usual environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...) unless set here.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// Send every AWS call to this endpoint (LocalStack, the embedded emulator, ...).
    #[arg(long, env = "LBSTACK_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (default: the stack's `region`, then the SDK's lookup).
    #[arg(long, value_parser = parse_region)]
    pub region: Option<String>,
    /// AWS profile.
    #[arg(long)]
    pub profile: Option<String>,
}

impl AwsArgs {
    fn options(&self) -> crate::live::AwsOptions {
        crate::live::AwsOptions {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum PlanOutput {
    Human,
    Json,
    /// GitHub-flavoured Markdown: summary, table of changes, the full plan folded.
    Markdown,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum LintOutput {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning in CI.
    Sarif,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid flowchart (renders in GitHub markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Which stream a text goes to (colour is decided per stream).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

impl Color {
    /// Whether to colour text for `stream`. Auto follows anstream's rules: a terminal, and none of
    /// NO_COLOR, CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE colours anywhere.
    fn enabled(self, stream: Stream) -> bool {
        let choice = match self {
            Color::Always => return true,
            Color::Never => return false,
            Color::Auto => match stream {
                Stream::Out => anstream::AutoStream::choice(&std::io::stdout()),
                Stream::Err => anstream::AutoStream::choice(&std::io::stderr()),
            },
        };
        choice != anstream::ColorChoice::Never
    }
}

/// A region name: refused when of the wrong shape, warned about when AWS does not have it (yet).
fn parse_region(s: &str) -> Result<String, String> {
    match stack_format::validate::region_problem(s) {
        Some((true, why)) => Err(why),
        Some((false, why)) => {
            eprintln!("warning: {why}");
            Ok(s.to_string())
        }
        None => Ok(s.to_string()),
    }
}

impl Command {
    /// The variables a command loads its stack with.
    fn vars_mut(&mut self) -> Option<&mut Vec<(String, String)>> {
        match self {
            Command::Validate { vars, .. }
            | Command::Plan { vars, .. }
            | Command::Lint { vars, .. }
            | Command::Graph { vars, .. }
            | Command::Policy { vars, .. } => Some(vars),
            Command::Apply(args) | Command::Destroy(args) => Some(&mut args.vars),
            Command::Forget(args) => Some(&mut args.vars),
            Command::Output(args) => Some(&mut args.vars),
            Command::Swap(args) => Some(&mut args.vars),
            Command::Status(args) => Some(&mut args.vars),
            Command::Simulate(args) => Some(&mut args.vars),
            _ => None,
        }
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

/// How this run speaks to its user and reads stacks, from the global flags: handed to every
/// command, so nothing about a run lives in process-global state.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    color: Color,
    /// `--output json`: every error is also one `diagnostic` event on stdout (as Terraform's
    /// machine UI), before the plan as after it.
    json_diagnostics: bool,
    /// stdout is a stream of JSON events (apply, destroy), where warnings are events too; a single
    /// JSON document (a plan, outputs) gets only the errors that replace it.
    json_stream: bool,
    /// `--allow-files-outside`.
    files_outside: bool,
    /// `--max-stack-bytes`.
    max_stack_bytes: u64,
}

impl Ui {
    fn of(cli: &Cli) -> Ui {
        let json = match &cli.command {
            Command::Plan { output, .. } => *output == PlanOutput::Json,
            Command::Apply(args) | Command::Destroy(args) => args.output == Output::Json,
            Command::Output(args) => args.output == Output::Json,
            _ => false,
        };
        Ui {
            color: cli.color,
            json_diagnostics: json,
            json_stream: json && matches!(cli.command, Command::Apply(_) | Command::Destroy(_)),
            files_outside: cli.allow_files_outside,
            max_stack_bytes: cli.max_stack_bytes,
        }
    }

    /// Before the command line parsed: plain text.
    fn of_nothing() -> Ui {
        Ui {
            color: Color::Auto,
            json_diagnostics: false,
            json_stream: false,
            files_outside: false,
            max_stack_bytes: stack_format::MAX_STACK_BYTES,
        }
    }
}

/// Load a stack file with this run's file access and size limit.
fn load_file(ui: Ui, file: &std::path::Path, vars: &[(String, String)]) -> stack_format::Loaded {
    let options =
        stack_format::Options { vars: vars.to_vec(), files_outside: ui.files_outside, max_bytes: ui.max_stack_bytes };
    stack_format::load_file_with(file, &options)
}

/// A Terraform-style option (one dash, a long name) and what lbstack takes instead.
fn terraform_habit(arg: &str) -> Option<String> {
    let rest = arg.strip_prefix('-').filter(|r| !r.starts_with('-'))?;
    let name = rest.split('=').next().unwrap_or_default();
    let known = [
        "var",
        "var-file",
        "auto-approve",
        "out",
        "destroy",
        "detailed-exitcode",
        "json",
        "parallelism",
        "help",
        "version",
    ];
    if !known.contains(&name) {
        return None;
    }
    let ours = if name == "json" { "--output json".to_string() } else { format!("--{name}") };
    Some(format!(
        "lbstack takes `{ours}` (two dashes), not Terraform's `-{name}`\nhint: for example `lbstack plan stack.yaml --var env=prod --out plan.json`"
    ))
}

pub fn main() -> ExitCode {
    // A closed pipe (`lbstack schema | head`) ends the process quietly, as it does other tools,
    // instead of a panic from the next print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let (outcome, ui) = match parse() {
        Ok(cli) => {
            let ui = Ui::of(&cli);
            (run(cli, ui), ui)
        }
        Err(ended) => (ended, Ui::of_nothing()),
    };
    // Errors are printed here, once, whichever command failed.
    match outcome {
        Ok(exit) => exit.into(),
        Err(Failed::Line(message)) => {
            report_error(ui, &message);
            Exit::Failure.into()
        }
        Err(Failed::Shown) => Exit::Failure.into(),
        Err(Failed::Panicked(message)) => {
            report_error(ui, &message);
            Exit::Panicked.into()
        }
    }
}

/// The command line, or how the run ends without a command: help, the version, a usage error.
fn parse() -> Result<Cli, Outcome> {
    // Usage errors exit 1: clap's own 2 would read as "changes present" to a CI gate.
    command().try_get_matches().and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m)).map_err(|e| {
        // Terraform's single-dash long options (`-var`, `-auto-approve`, `-out=FILE`): clap
        // would suggest `-- -v`; say what lbstack takes instead.
        if let Some(habit) = std::env::args().skip(1).find_map(|a| terraform_habit(&a)) {
            return Err(Failed::Line(habit));
        }
        let _ = e.print();
        match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => Ok(Exit::Success),
            _ => Ok(Exit::Failure),
        }
    })
}

/// Run the command the line names.
fn run(cli: Cli, ui: Ui) -> Outcome {
    match crate::logging::level(cli.verbose, std::env::var("LBSTACK_LOG").ok().as_deref()) {
        Ok(level) => crate::logging::init(level),
        Err(e) => return Err(Failed::Line(e.to_string())),
    }
    let mut cli = cli;
    if !cli.var_files.is_empty() {
        let mut from_files = Vec::new();
        for file in &cli.var_files {
            match stack_format::vars::read_file(file, cli.max_stack_bytes) {
                Ok(vars) => from_files.extend(vars),
                Err(e) => return Err(Failed::Line(e.to_string())),
            }
        }
        match cli.command.vars_mut() {
            // Files first: a later `--var` of the same name wins.
            Some(vars) => {
                vars.splice(0..0, from_files);
            }
            None => return Err("this command takes no variables (`--var-file`)".into()),
        }
    }
    match cli.command {
        Command::Validate { files, vars, output, strict } => validate(&files, &vars, output, strict, ui),
        Command::Plan { file, vars, aws, output, detailed_exitcode, out, destroy, stats, adopt } => {
            runtime().block_on(run_plan(
                &file,
                &vars,
                &aws,
                output,
                detailed_exitcode,
                out.as_deref(),
                destroy,
                stats,
                &adopt.choice(),
                ui,
            ))
        }
        Command::Apply(args) => runtime().block_on(run_apply(&args, false, ui)),
        Command::Destroy(args) => runtime().block_on(run_apply(&args, true, ui)),
        Command::Forget(args) => runtime().block_on(run_forget(&args, ui)),
        Command::Output(args) => runtime().block_on(run_output(&args, ui)),
        Command::Import(args) => runtime().block_on(run_import(&args, ui)),
        Command::Swap(args) => runtime().block_on(swap::run_swap(&args, ui)),
        Command::Status(args) => runtime().block_on(status::run_status(&args, ui)),
        Command::Simulate(args) => simulate::run(&args, ui),
        Command::Lint { files, vars, output, strict, rules } => lint(&files, &vars, output, strict, rules, ui),
        Command::Graph { file, vars, format, plan, aws } => {
            runtime().block_on(graph(&file, &vars, format, plan, &aws, ui))
        }
        Command::Policy { file, vars, purpose } => {
            let stack = load_checked(&file, &vars, ui)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::policy::document(&stack, purpose)).expect("policy serializes")
            );
            Ok(Exit::Success)
        }
        Command::Schema { plan } => {
            let schema = if plan { crate::plan::json::schema() } else { stack_format::editor_schema().clone() };
            println!("{}", serde_json::to_string_pretty(&schema).expect("schema serializes"));
            Ok(Exit::Success)
        }
        Command::Show { plan, output } => show(&plan, output, ui),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "lbstack", &mut std::io::stdout());
            Ok(Exit::Success)
        }
        Command::Man { out } => match man_pages(out.as_deref()) {
            Ok(()) => Ok(Exit::Success),
            Err(e) => Err(Failed::from(anyhow::Error::new(e))),
        },
        Command::Docs => {
            print!("{}", crate::docs::stack_format_markdown());
            Ok(Exit::Success)
        }
    }
}

/// EXIT STATUS and ENVIRONMENT, the same on every page (roff).
const MAN_COMMON: &str = r#".SH "EXIT STATUS"
.TP
0
Success; with \fB--detailed-exitcode\fR, no changes.
.TP
1
Any error (usage errors included), or a plan apply would refuse.
.TP
2
Changes (\fBplan --detailed-exitcode\fR), or a broken \fBsimulate --fail-if\fR threshold.
.TP
3
A swap rolled back by an alarm.
.TP
130
An apply interrupted with Ctrl-C.
.TP
101
An apply step that panicked (the lock is released).
.SH ENVIRONMENT
.TP
AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
Credentials and region, read as the AWS CLI reads them.
.TP
AWS_ENDPOINT_URL, LBSTACK_ENDPOINT_URL
Send every AWS call to this endpoint (an emulator).
.TP
LBSTACK_LOG
debug (as \fB-v\fR) or trace (as \fB-vv\fR): log each AWS call, retry and wait on stderr. Never a body or secret.
.TP
LBSTACK_ACTOR
Who holds the apply lock, as the lock names the holder.
.TP
NO_COLOR, CLICOLOR_FORCE, TERM
Colour, unless \fB--color\fR says otherwise.
.SH "SEE ALSO"
The guide: https://github.com/lbstack/lbstack/tree/main/docs
"#;

/// Whether the run is a CI job (`CI` set to anything but empty or `false`, as CI services set
/// it): no prompts, no live view. Read once.
fn in_ci() -> bool {
    static CI: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CI.get_or_init(|| std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false"))
}

/// The command line as parsed, completed and documented: clap's definitions, with the global
/// options hidden from the help of the commands they mean nothing to (they are still accepted
/// there, as globals are). Stack options show where a stack is read (the command takes `--var`),
/// `--verbose` where AWS is called (it takes `--region`), `--color` where something is coloured.
pub fn command() -> clap::Command {
    command_with(true)
}

/// `command`, with or without the `help` subcommand (`lbstack help plan`; a man page has none).
fn command_with(help_subcommand: bool) -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(!help_subcommand);
    let globals: Vec<clap::Arg> = cmd.get_arguments().filter(|a| a.is_global_set()).cloned().collect();
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |mut sub| {
            let has = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
            let (reads_stack, calls_aws) = (has("vars"), has("region"));
            let uncoloured = matches!(sub.get_name(), "schema" | "docs" | "completions" | "man");
            for global in &globals {
                let hide = match global.get_id().as_str() {
                    "var_files" | "allow_files_outside" | "max_stack_bytes" => !reads_stack,
                    "verbose" => !calls_aws,
                    "color" => uncoloured,
                    _ => false,
                };
                // A subcommand's own copy of a global is kept when globals are propagated:
                // the same option, accepted as before, left out of this command's help.
                if hide {
                    sub = sub.arg(global.clone().hide(true));
                }
            }
            sub
        });
    }
    cmd.build();
    cmd
}

/// The man pages: lbstack's, printed; or with `out`, lbstack's and one per command, written there.
fn man_pages(out: Option<&std::path::Path>) -> std::io::Result<()> {
    let cmd = command_with(false);
    let page = |c: clap::Command| -> std::io::Result<Vec<u8>> {
        let mut text = Vec::new();
        clap_mangen::Man::new(c).render(&mut text)?;
        text.extend_from_slice(MAN_COMMON.as_bytes());
        Ok(text)
    };
    let Some(dir) = out else {
        return std::io::stdout().write_all(&page(cmd)?);
    };
    std::fs::create_dir_all(dir)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect::<Vec<_>>() {
        let name = clap_mangen::Man::new(sub.clone()).get_filename();
        std::fs::write(dir.join(name), page(sub)?)?;
    }
    std::fs::write(dir.join(clap_mangen::Man::new(cmd.clone()).get_filename()), page(cmd)?)?;
    Ok(())
}

/// An error for the user as one line (what lbstack was doing, the AWS code and message, a
/// hint), exit 1.
/// One error for the user: a line on stderr (with its hint), and under `--output json` a
/// `diagnostic` event on stdout with the same words.
fn report_error(ui: Ui, message: &str) {
    eprintln!("error: {message}");
    if ui.json_diagnostics {
        let (summary, detail) = match message.split_once("\nhint: ") {
            Some((s, h)) => (s, Some(h)),
            None => (message, None),
        };
        let event = serde_json::json!({ "diagnostic": { "severity": "error", "summary": summary, "detail": detail } });
        println!("{}", progress::json_line("error", "diagnostic", summary, event));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

/// Load and check a stack, printing what validation says; with errors nothing touches AWS.
fn load_checked(file: &std::path::Path, vars: &[(String, String)], ui: Ui) -> Result<stack_format::Stack, Failed> {
    let loaded = load_file(ui, file, vars);
    let errors = loaded.report.has_errors();
    let use_color = ui.color.enabled(Stream::Err);
    if errors || !loaded.report.diagnostics.is_empty() {
        eprint!("{}", loaded.report.render_human(use_color));
    }
    if ui.json_diagnostics {
        let stream = ui.json_stream;
        for (d, json) in loaded.report.shown_json() {
            let error = d.severity == crate::diag::Severity::Error;
            if stream || error {
                let level = if error { "error" } else { "warn" };
                let line =
                    progress::json_line(level, "diagnostic", &d.summary, serde_json::json!({ "diagnostic": json }));
                println!("{line}");
            }
        }
    }
    if errors {
        eprintln!("{}: the stack has errors; nothing was read or changed in AWS", file.display());
        return Err(Failed::Shown);
    }
    loaded.stack.ok_or(Failed::Shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command says what it is for (`--help` and the man page show it).
    #[test]
    fn global_options_show_only_where_they_mean_something() {
        let mut cmd = command();
        let mut help =
            |name: &str| cmd.find_subcommand_mut(name).unwrap_or_else(|| panic!("{name}")).render_help().to_string();
        let shown = |text: &str, flag: &str| {
            text.lines().any(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
        };
        let (schema, validate, plan, man, simulate) =
            (help("schema"), help("validate"), help("plan"), help("man"), help("simulate"));
        for flag in ["--var-file", "--allow-files-outside", "--max-stack-bytes", "--verbose", "--color"] {
            assert!(!shown(&schema, flag) && !shown(&man, flag), "{flag} in schema's or man's help");
            assert!(shown(&plan, flag), "{flag} missing from plan's help:\n{plan}");
        }
        for flag in ["--var-file", "--max-stack-bytes", "--color"] {
            assert!(
                shown(&validate, flag) && shown(&simulate, flag),
                "{flag} missing from validate's or simulate's help"
            );
        }
        assert!(
            !shown(&validate, "--verbose") && !shown(&simulate, "--verbose"),
            "offline commands make no AWS call to log"
        );
        // Hidden, not refused: a global still parses anywhere.
        assert!(command().try_get_matches_from(["lbstack", "schema", "--color", "never", "-v"]).is_ok());
        // `lbstack help plan`, as git and cargo take it.
        let e = command().try_get_matches_from(["lbstack", "help", "plan"]).expect_err("help is shown, not run");
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id != "help" && id != "version" && a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&command(), "lbstack", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
