use std::process::ExitCode;

fn main() -> ExitCode {
    lbstack_target::main()
}
