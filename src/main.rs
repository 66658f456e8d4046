use std::process::ExitCode;

fn main() -> ExitCode {
    lbstack::cli::main()
}
