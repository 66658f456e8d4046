//! What lbstack's exit status means, in one place (CI gates read it).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; for `plan --detailed-exitcode`, no changes.
    Success,
    /// An error: bad input (usage, stack file), AWS refused, apply failed. Nothing reads 1 as
    /// "changes present".
    Failure,
    /// `plan --detailed-exitcode`: there are changes.
    Changes,
    /// `simulate --fail-if`: a threshold broke (the status a CI gate already treats as "look").
    ThresholdBroken,
    /// `swap`: an alarm rolled the traffic shift back.
    RolledBack,
    /// Ctrl-C during an apply (128 + SIGINT, as shells report it).
    Interrupted,
    /// A step panicked; the lock was released.
    Panicked,
}

/// How a command ends: its exit status, or the error `main` prints (once) and exits 1 for.
pub type Outcome = Result<Exit, Failed>;

/// A command's error. The command returns it; `main` prints it: one line on stderr (what lbstack
/// was doing, the AWS code and message, a hint) and, under `--output json`, a `diagnostic` event.
#[derive(Debug)]
pub enum Failed {
    /// One line for the user, with its hint after `\nhint: `.
    Line(String),
    /// Already shown where it belongs (diagnostics at the stack file's line and column): exit 1.
    Shown,
    /// A step panicked (exit 101); the line says the lock was released.
    Panicked(String),
}

impl From<anyhow::Error> for Failed {
    fn from(e: anyhow::Error) -> Self {
        Failed::Line(crate::aws_error::one_line_with_hint(&e))
    }
}

impl From<String> for Failed {
    fn from(s: String) -> Self {
        Failed::Line(s)
    }
}

impl From<&str> for Failed {
    fn from(s: &str) -> Self {
        Failed::Line(s.to_string())
    }
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Changes | Exit::ThresholdBroken => 2,
            Exit::RolledBack => 3,
            Exit::Interrupted => 130,
            Exit::Panicked => 101,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}
