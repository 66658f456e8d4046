//! The `lbstack` binary: everything lives in the library (`lbstack::cli`).

use std::process::ExitCode;

fn main() -> ExitCode {
    lbstack::cli::main()
}
