//! What lbstack's exit status means, in one place (CI gates read it).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; for `plan --detailed-exitcode`, no changes.
    Success = 0,
    /// An error: bad input (usage, stack file), AWS refused, apply failed. Nothing reads 1 as
    /// "changes present".
    Failure = 1,
    /// `plan --detailed-exitcode`: there are changes; `simulate --fail-if`: a threshold broke.
    Changes = 2,
    /// `swap`: an alarm rolled the traffic shift back.
    RolledBack = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}
