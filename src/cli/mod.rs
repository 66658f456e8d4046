//! Command-line definitions and the mapping of outcomes to exit codes; the work happens elsewhere
//! (`ops`, `swap`, `status`): this module parses, asks, prints, and holds no AWS logic of its own.

pub mod exit;
mod progress;
mod simulate;
mod status;
mod swap;
mod views;

use exit::{Exit, Failed, Outcome};

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

fn validate(files: &[PathBuf], vars: &[(String, String)], output: Output, strict: bool, ui: Ui) -> Outcome {
    let mut failed = false;
    let mut json_reports = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let use_color = ui.color.enabled(Stream::Out);
    for file in files {
        let loaded = load_file(ui, file, vars);
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
    if failed { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}

fn lint(files: &[PathBuf], vars: &[(String, String)], output: LintOutput, strict: bool, list: bool, ui: Ui) -> Outcome {
    if list {
        for r in crate::lint::RULES {
            let sev = if r.severity == crate::diag::Severity::Error { "error" } else { "warning" };
            let scope = if r.production_only { " (production)" } else { "" };
            println!("{:<9} {:<7} {:<36} {}{scope}", r.id, sev, r.name, r.why);
        }
        return Ok(Exit::Success);
    }
    let mut failed = false;
    let mut docs = Vec::new();
    let use_color = ui.color.enabled(Stream::Out);
    for file in files {
        let loaded = load_file(ui, file, vars);
        let Some(stack) = loaded.stack.as_ref().filter(|_| !loaded.report.has_errors()) else {
            eprint!("{}", loaded.report.render_human(ui.color.enabled(Stream::Err)));
            eprintln!("{}: the stack has errors; run `lbstack validate` first", file.display());
            failed = true;
            continue;
        };
        let (findings, problems, silenced) = crate::lint::apply_ignores(stack, crate::lint::check(stack));
        let report = crate::lint::to_report(loaded.report.clone(), &findings, problems, &loaded.index);
        let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = report.diagnostics.len() - errors;
        failed |= errors > 0 || (strict && warnings > 0);
        match output {
            LintOutput::Human => {
                print!("{}", report.render_human(use_color));
                println!(
                    "{}: {errors} error{}, {warnings} warning{}, {silenced} silenced",
                    file.display(),
                    plural(errors),
                    plural(warnings)
                );
            }
            LintOutput::Json => {
                let mut doc = report.to_json();
                doc["silenced"] = serde_json::json!(silenced);
                docs.push(doc);
            }
            LintOutput::Sarif => docs.push(crate::lint::sarif_run(&report)),
        }
    }
    match output {
        LintOutput::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "format_version": "1.0", "files": docs })).expect("json")
        ),
        // One SARIF log with one run per file.
        LintOutput::Sarif => println!("{}", serde_json::to_string_pretty(&crate::lint::sarif_log(docs)).expect("json")),
        LintOutput::Human => {}
    }
    if failed { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}

async fn graph(
    file: &std::path::Path,
    vars: &[(String, String)],
    format: GraphFormat,
    with_plan: bool,
    aws: &AwsArgs,
    ui: Ui,
) -> Outcome {
    let g = if with_plan {
        let (stack, _, planned) = load_and_plan(file, vars, aws, false, &crate::live::Adopt::None, ui).await?;
        let mut g = crate::graph::Graph::from_stack(&stack);
        g.mark(&planned.plan);
        g
    } else {
        let stack = load_checked(file, vars, ui)?;
        crate::graph::Graph::from_stack(&stack)
    };
    let text = match format {
        GraphFormat::Mermaid => g.mermaid(),
        GraphFormat::Dot => g.dot(),
    };
    print!("{text}");
    Ok(Exit::Success)
}

/// How an apply runs and reports.
struct Settings {
    adopt: crate::live::Adopt,
    auto_approve: bool,
    parallelism: usize,
    stats: bool,
    json: bool,
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
        for d in loaded.report.to_json()["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| stream || d["severity"] == "error")
        {
            let level = if d["severity"] == "error" { "error" } else { "warn" };
            println!(
                "{}",
                progress::json_line(
                    level,
                    "diagnostic",
                    d["summary"].as_str().unwrap_or_default(),
                    serde_json::json!({ "diagnostic": d })
                )
            );
        }
    }
    if errors {
        eprintln!("{}: the stack has errors; nothing was read or changed in AWS", file.display());
        return Err(Failed::Shown);
    }
    loaded.stack.ok_or(Failed::Shown)
}

/// Load and check the stack, read live AWS and diff.
async fn load_and_plan(
    file: &std::path::Path,
    vars: &[(String, String)],
    aws: &AwsArgs,
    destroy: bool,
    adopt: &crate::live::Adopt,
    ui: Ui,
) -> Result<(stack_format::Stack, crate::live::Clients, crate::ops::Planned), Failed> {
    let stack = load_checked(file, vars, ui)?;
    let clients = crate::ops::connect(&aws.options(), Some(&stack)).await?;
    match crate::ops::plan_adopting(&clients, &stack, destroy, adopt).await {
        Ok(planned) => Ok((stack, clients, planned)),
        Err(e) => Err(plan_failed(file, vars, e, ui)),
    }
}

/// Say why a plan failed: at the value's line and column when it is about a value of the stack
/// (an image that does not exist, a subnet group that matches nothing), else as one line.
fn plan_failed(file: &std::path::Path, vars: &[(String, String)], e: anyhow::Error, ui: Ui) -> Failed {
    if let Some(at) = e.downcast_ref::<stack_format::At>() {
        let report = load_file(ui, file, vars).report_at(at);
        eprint!("{}", report.render_human(ui.color.enabled(Stream::Err)));
        return Failed::Shown;
    }
    e.into()
}

fn print_stats(clients: &crate::live::Clients) {
    let ops = clients.calls.by_operation();
    eprintln!("AWS API calls: {} ({} writes)", clients.calls.total(), clients.calls.writes());
    for (op, n) in ops {
        eprintln!("  {n:>5}  {op}");
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_plan(
    file: &std::path::Path,
    vars: &[(String, String)],
    aws: &AwsArgs,
    output: PlanOutput,
    detailed: bool,
    out: Option<&std::path::Path>,
    destroy: bool,
    stats: bool,
    adopt: &crate::live::Adopt,
    ui: Ui,
) -> Outcome {
    let (_, clients, planned) = load_and_plan(file, vars, aws, destroy, adopt, ui).await?;
    let api_calls =
        crate::plan::json::ApiCallCount { total: clients.calls.total(), by_operation: clients.calls.by_operation() };
    let meta = crate::plan::json::Meta {
        fingerprint: planned.fingerprint.clone(),
        api_calls: Some(api_calls),
        ..Default::default()
    };
    show_plan(&planned.plan, output, meta, ui);
    if stats {
        print_stats(&clients);
    }
    if let Some(path) = out {
        // The stack file by its absolute path: `apply PLAN` works from any folder.
        let stack_file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()).display().to_string();
        let meta = crate::plan::json::Meta {
            fingerprint: planned.fingerprint.clone(),
            stack_file: Some(stack_file),
            vars: vars.to_vec(),
            api_calls: None,
            with_inputs: true,
        };
        let saved = crate::plan::json::JsonPlan::new(&planned.plan, meta);
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&saved).expect("json")) {
            return Err(Failed::Line(format!("cannot write {}: {e}", path.display())));
        }
        eprintln!(
            "Saved the plan to {}. Run `lbstack apply {}` to perform exactly these actions.",
            path.display(),
            path.display()
        );
    }
    // A plan apply would refuse is neither "in sync" nor "changes to apply" for CI.
    if detailed && !planned.plan.applyable() {
        Ok(Exit::Failure)
    } else if detailed && planned.plan.has_changes() {
        Ok(Exit::Changes)
    } else {
        Ok(Exit::Success)
    }
}

fn show_plan(plan: &crate::plan::Plan, output: PlanOutput, meta: crate::plan::json::Meta, ui: Ui) {
    match output {
        PlanOutput::Human => print!("{}", crate::plan::render::human(plan, ui.color.enabled(Stream::Out))),
        PlanOutput::Json => {
            println!("{}", serde_json::to_string_pretty(&crate::plan::render::json(plan, meta)).expect("json"))
        }
        PlanOutput::Markdown => print!("{}", crate::plan::render::markdown(plan)),
    }
}

/// A plan saved with `plan --out`, if `file` is one.
fn saved_plan(file: &std::path::Path) -> Option<crate::plan::json::JsonPlan> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str::<crate::plan::json::JsonPlan>(&text).ok().filter(|p| p.stack_file.is_some())
}

fn show(file: &std::path::Path, output: PlanOutput, ui: Ui) -> Outcome {
    let Some(saved) = saved_plan(file) else {
        return Err(Failed::Line(format!("{} is not a plan saved with `lbstack plan --out`", file.display())));
    };
    match saved.plan() {
        Ok(plan) => {
            let meta = crate::plan::json::Meta {
                fingerprint: saved.fingerprint.clone(),
                stack_file: saved.stack_file.clone(),
                vars: saved.vars.clone(),
                ..Default::default()
            };
            show_plan(&plan, output, meta, ui);
            Ok(Exit::Success)
        }
        Err(e) => Err(Failed::from(e)),
    }
}

fn confirm(question: &str) -> bool {
    eprint!("{question} Only 'yes' will be accepted: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

async fn run_import(args: &ImportArgs, ui: Ui) -> Outcome {
    if args.load_balancers.is_empty() && args.groups.is_empty() && args.tags.is_empty() {
        return Err("nothing to import\nhint: name what runs: --load-balancer NAME, --autoscaling-group NAME or --tag KEY=VALUE".into());
    }
    if let Some(out) = &args.out
        && out.exists()
    {
        return Err(Failed::Line(format!(
            "{} exists; import never overwrites a file\nhint: choose another --out, or move the file away",
            out.display()
        )));
    }
    let clients = crate::ops::connect(&args.aws.options(), None).await?;
    let request = crate::import::Request {
        stack: args.stack.clone(),
        load_balancers: args.load_balancers.clone(),
        groups: args.groups.clone(),
        tags: args.tags.clone(),
        targets: args.targets,
    };
    let imported = crate::import::run(&clients, &request).await?;
    let header = "# Written by `lbstack import` from what runs in AWS. Every resource keeps its name (`name:`):\n\
                  # `lbstack plan THIS_FILE --adopt-all` takes them over in place, adding lbstack's tags.\n";
    let text = format!("{header}{}", imported.yaml);
    let loaded = match &args.out {
        Some(out) => {
            if !imported.files.is_empty()
                && let Some(taken) = imported
                    .files
                    .iter()
                    .map(|(p, _)| out.parent().unwrap_or(std::path::Path::new(".")).join(p))
                    .find(|p| p.exists())
            {
                return Err(Failed::Line(format!("{} exists; import never overwrites a file", taken.display())));
            }
            let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let written = (|| -> std::io::Result<()> {
                for (path, bytes) in &imported.files {
                    let at = dir.join(path);
                    if let Some(parent) = at.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(at, bytes)?;
                }
                std::fs::write(out, &text)
            })();
            if let Err(e) = written {
                return Err(Failed::Line(format!("writing {}: {e}", out.display())));
            }
            load_file(ui, out, &[])
        }
        None => {
            if let Some((path, _)) = imported.files.first() {
                return Err(Failed::Line(format!(
                    "a launch template has user data, which is written to a file beside the stack ({path})\nhint: pass --out FILE"
                )));
            }
            print!("{text}");
            stack_format::load_str("import", &text, None, &[])
        }
    };
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    // The file is checked as `validate` would: anything it says is import's to fix.
    if !loaded.report.diagnostics.is_empty() {
        eprint!("{}", loaded.report.render_human(ui.color.enabled(Stream::Err)));
    }
    let counts: Vec<String> = imported
        .counts
        .iter()
        .map(|(section, n)| {
            let noun = crate::kinds::Kind::of_section(section).map_or(section.as_str(), |k| k.noun());
            format!("{n} {noun}{}", if *n == 1 { "" } else { "s" })
        })
        .collect();
    let target = args.out.as_ref().map_or("the file".to_string(), |p| p.display().to_string());
    eprintln!("Imported {}. Next: lbstack plan {target} --adopt-all", counts.join(", "));
    if loaded.report.has_errors() { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}

async fn run_output(args: &OutputArgs, ui: Ui) -> Outcome {
    let stack = load_checked(&args.file, &args.vars, ui)?;
    if let Some(name) = &args.name
        && !stack.outputs.contains_key(name)
    {
        let known: Vec<&str> = stack.outputs.keys().map(String::as_str).collect();
        let hint = match crate::stack_format::check::did_you_mean(name, &known) {
            Some(s) => format!("did you mean `{s}`?"),
            None if known.is_empty() => "the stack declares no `outputs:`".to_string(),
            None => format!("outputs of this stack: {}", crate::diag::truncate(&known.join(", "), 200)),
        };
        return Err(Failed::Line(format!(
            "the stack has no output `{}`\nhint: {hint}",
            crate::diag::truncate(name, 60)
        )));
    }
    // Nothing to read: said, rather than an empty answer a script takes for one.
    if stack.outputs.is_empty() {
        if args.output == Output::Json {
            println!("{{}}");
        }
        eprintln!(
            "The stack declares no `outputs:`; add them to read values such as a load balancer's DNS name (see `lbstack docs`)."
        );
        return Ok(Exit::Success);
    }
    let clients = crate::ops::connect(&args.aws.options(), Some(&stack)).await?;
    let (_, live) = crate::live::read(&clients, &stack).await?;
    let outputs = crate::ops::outputs(&stack, &live);
    if let Some(name) = &args.name {
        let found = outputs.iter().find(|o| &o.name == name).and_then(|o| o.value.clone());
        return match (found, args.output) {
            (Some(v), Output::Human) => {
                println!("{v}");
                Ok(Exit::Success)
            }
            (Some(v), Output::Json) => {
                println!("{}", serde_json::Value::from(v));
                Ok(Exit::Success)
            }
            (None, _) => Err(Failed::Line(format!(
                "output `{name}` has no value: `{}` does not exist\nhint: apply the stack first",
                stack.outputs[name].value
            ))),
        };
    }
    print_outputs(&outputs, args.output == Output::Json, false);
    Ok(Exit::Success)
}

/// Outputs as `name = value` lines (after apply, under a heading), or one JSON object.
fn print_outputs(outputs: &[crate::ops::OutputValue], json: bool, heading: bool) {
    if json {
        let doc: serde_json::Map<String, serde_json::Value> =
            outputs.iter().map(|o| (o.name.clone(), serde_json::json!(o.value))).collect();
        println!("{}", serde_json::Value::Object(doc));
        return;
    }
    if heading && !outputs.is_empty() {
        println!("\nOutputs:\n");
    }
    for o in outputs {
        println!("{} = {}", o.name, o.value.as_deref().map_or("(not created)".to_string(), |v| format!("{v:?}")));
    }
}

async fn run_forget(args: &ForgetArgs, ui: Ui) -> Outcome {
    let interactive = std::io::stdin().is_terminal() && !in_ci();
    if !args.auto_approve && !interactive {
        return Err("not running in a terminal: pass --auto-approve to forget without a prompt".into());
    }
    let stack = load_checked(&args.file, &args.vars, ui)?;
    let clients = crate::ops::connect(&args.aws.options(), Some(&stack)).await?;
    let lock = crate::lock::acquire(&clients, &stack.stack, "forget").await?;
    let work = async {
        let (_, live) = crate::live::read(&clients, &stack).await?;
        let targets = crate::ops::forgettable(&live, &args.addresses)?;
        for crate::ops::Forgotten { address, id, .. } in &targets {
            eprintln!("  {address} ({id}) leaves stack `{}`; it is not deleted", stack.stack);
        }
        if !args.auto_approve && !confirm("Remove lbstack's tags from these resources?") {
            anyhow::bail!("forget cancelled");
        }
        crate::ops::forget(&clients, &stack, &targets).await?;
        anyhow::Ok(targets.len())
    };
    let (outcome, released) = lock.around(work).await;
    if let Err(e) = released {
        eprintln!("warning: {e:#}");
    }
    match outcome.map_err(anyhow::Error::msg).and_then(|r| r) {
        Ok(n) => {
            eprintln!(
                "Forgot {n} resource{}. A stack that declares them again sees conflicts it can `--adopt`.",
                if n == 1 { "" } else { "s" }
            );
            Ok(Exit::Success)
        }
        Err(e) => Err(Failed::from(e)),
    }
}

async fn run_apply(args: &ApplyArgs, destroy: bool, ui: Ui) -> Outcome {
    let ApplyArgs { file, vars, aws, auto_approve, parallelism, stats, break_lock, output, adopt } = args;
    let (auto_approve, parallelism, stats) = (*auto_approve, *parallelism, *stats);
    // The event stream starts with the version (Terraform's machine UI), before any diagnostic.
    views::apply_view(*output == Output::Json, false).start();
    let verb = if destroy { "destroy" } else { "apply" };
    if destroy && adopt.choice() != crate::live::Adopt::None {
        return Err("destroy does not adopt: it deletes only what the stack owns".into());
    }
    // A saved plan: re-plan from the same file and variables and refuse if live state moved. As
    // in Terraform, the saved plan was the approval: applying it asks nothing.
    let saved = saved_plan(file);
    let auto_approve = auto_approve || saved.is_some();
    let interactive = std::io::stdin().is_terminal() && !in_ci();
    if !auto_approve && !interactive && !break_lock {
        return Err(Failed::Line(format!("not running in a terminal: pass --auto-approve to {verb} without a prompt")));
    }
    let (stack_file, vars) = match &saved {
        Some(s) => (PathBuf::from(s.stack_file.clone().unwrap_or_default()), s.vars.clone()),
        None => (file.to_path_buf(), vars.to_vec()),
    };
    let stack = load_checked(&stack_file, &vars, ui)?;
    let clients = crate::ops::connect(&aws.options(), Some(&stack)).await?;
    if *break_lock {
        return match crate::lock::break_lock(&clients, &stack.stack).await {
            Ok(Some(h)) => {
                eprintln!("Removed the lock of stack `{}`, held by {h}.", stack.stack);
                Ok(Exit::Success)
            }
            Ok(None) => {
                eprintln!("Stack `{}` was not locked.", stack.stack);
                Ok(Exit::Success)
            }
            Err(e) => Err(Failed::from(e)),
        };
    }
    // One apply or destroy of a stack at a time: taken before the first read, released on every
    // way out, Ctrl-C included.
    let lock = match crate::lock::acquire(&clients, &stack.stack, verb).await {
        Ok(lock) => lock,
        Err(e) if e.is::<crate::lock::Locked>() => {
            let hint = format!(
                "wait for that run to finish; if it crashed, remove its lock with `lbstack {verb} {} --break-lock`",
                stack_file.display()
            );
            return Err(Failed::Line(format!("{e}\nhint: {hint}")));
        }
        Err(e) => return Err(Failed::Line(e.to_string())),
    };
    let json = *output == Output::Json;
    let run = locked_apply(
        &clients,
        &stack,
        (&stack_file, &vars),
        saved,
        destroy,
        Settings { adopt: adopt.choice(), auto_approve, parallelism, stats, json },
        ui,
    );
    let interruptible = async {
        tokio::select! {
            code = run => code,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("\nInterrupted: steps in flight may have finished. Run {verb} again: it continues from what exists.");
                Ok(Exit::Interrupted)
            }
        }
    };
    let (outcome, released) = lock.around(interruptible).await;
    if let Err(e) = released {
        eprintln!("warning: {e:#}; remove the lock with `lbstack {verb} {} --break-lock`", stack_file.display());
    }
    outcome.unwrap_or_else(|panicked| {
        Err(Failed::Panicked(format!("{panicked}. Hint: the lock is released; run {verb} again, it continues from what exists (and please report this)")))
    })
}

#[allow(clippy::too_many_arguments)]
async fn locked_apply(
    clients: &crate::live::Clients,
    stack: &stack_format::Stack,
    (stack_file, vars): (&std::path::Path, &[(String, String)]),
    saved: Option<crate::plan::json::JsonPlan>,
    destroy: bool,
    Settings { adopt, auto_approve, parallelism, stats, json }: Settings,
    ui: Ui,
) -> Outcome {
    let verb = if destroy { "Destroy" } else { "Apply" };
    // A saved plan adopts what it shows as adopted: read live state the way it was read then.
    let adopt = match saved.as_ref().and_then(|s| s.plan().ok()) {
        Some(p) => {
            let asked: std::collections::BTreeSet<String> = p
                .changes
                .iter()
                .filter(|c| c.adopting && c.address.kind.adoptable())
                .map(|c| c.address.to_string())
                .collect();
            if asked.is_empty() { crate::live::Adopt::None } else { crate::live::Adopt::Only(asked) }
        }
        None => adopt,
    };
    let planned = match crate::ops::plan_adopting(clients, stack, destroy, &adopt).await {
        Ok(p) => p,
        Err(e) => return Err(plan_failed(stack_file, vars, e, ui)),
    };
    let plan = match saved {
        Some(s) if s.fingerprint != planned.fingerprint => {
            return Err("the plan is stale: live state changed since it was made. Run `lbstack plan` again.".into());
        }
        Some(s) => match s.plan() {
            Ok(p) => p,
            Err(e) => return Err(Failed::from(e)),
        },
        None => planned.plan,
    };
    let operation = verb.to_lowercase();
    let summary = plan.summary();
    let view = views::apply_view(json, ui.color.enabled(Stream::Out));
    view.plan(&plan);
    // A conflict makes the plan unapplyable: nothing is written, not even what does not depend on it.
    if !plan.conflicts.is_empty() {
        let n = plan.conflicts.len();
        let why = format!(
            "{verb} refused: {n} name{} the stack needs {} taken; nothing was changed",
            plural(n),
            if n == 1 { "is" } else { "are" }
        );
        let hint = "delete or rename the resource holding the name, or give the stack's resource another key; resources of another stack stay theirs";
        view.refused(&plan, &why, hint);
        if stats {
            print_stats(clients);
        }
        return Ok(Exit::Failure);
    }
    if !plan.has_changes() {
        if stats {
            print_stats(clients);
        }
        if !destroy {
            show_outputs(clients, stack, view.as_ref()).await;
        }
        return Ok(Exit::Success);
    }
    if !auto_approve && !confirm(&format!("\nDo you want to perform these actions on stack `{}`?", stack.stack)) {
        eprintln!("{verb} cancelled.");
        return Ok(Exit::Failure);
    }
    // A live view on a terminal; lines with a heartbeat in logs; JSON events with -o json.
    let live = !crate::logging::verbose() && std::io::stderr().is_terminal() && !in_ci();
    let progress = std::sync::Arc::new(view.progress(live));
    let shown = progress.clone();
    let outcome = crate::ops::apply(clients, stack, &plan, parallelism, move |e| shown.event(&e)).await;
    if stats {
        print_stats(clients);
    }
    if outcome.failed() {
        view.failed(verb, &operation, &summary, &outcome);
        return Ok(Exit::Failure);
    }
    let done = format!(
        "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
        summary.add, summary.change, summary.destroy
    );
    view.done(&done, &operation, &summary);
    if !destroy {
        show_outputs(clients, stack, view.as_ref()).await;
    }
    Ok(Exit::Success)
}

/// After an apply that left the published outputs as they were: the stack's outputs, read from
/// what exists (one read, only when the stack declares outputs), shown. A failed read is a
/// warning: the apply itself succeeded.
async fn show_outputs(
    clients: &crate::live::Clients,
    stack: &crate::stack_format::Stack,
    view: &(dyn views::ApplyView + Send + Sync),
) {
    if stack.outputs.is_empty() {
        return;
    }
    match crate::live::read(clients, stack).await {
        Ok((_, live)) => view.outputs(&crate::ops::outputs(stack, &live)),
        Err(e) => eprintln!("warning: reading the outputs: {e:#}"),
    }
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
