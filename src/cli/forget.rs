//! `lbstack forget`: take resources out of the stack without deleting them.

use super::*;

pub(super) async fn run_forget(args: &ForgetArgs, ui: Ui) -> Outcome {
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
