//! The `lbstack-target` binary: everything lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    lbstack_target::main()
}
