use std::process::ExitCode;

fn main() -> ExitCode {
    lbstack::target::main()
}
