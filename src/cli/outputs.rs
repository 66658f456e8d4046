//! `lbstack output`: the stack's outputs read from what exists.

use super::*;

pub(super) async fn run_output(args: &OutputArgs, ui: Ui) -> Outcome {
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
    let view = super::views::outputs::outputs_view(args.output == Output::Json);
    if stack.outputs.is_empty() {
        view.none_declared();
        return Ok(Exit::Success);
    }
    let clients = crate::ops::connect(&args.aws.options(), Some(&stack)).await?;
    let (_, live) = crate::live::read(&clients, &stack).await?;
    let outputs = crate::ops::outputs(&stack, &live);
    if let Some(name) = &args.name {
        return match outputs.iter().find(|o| &o.name == name).and_then(|o| o.value.as_deref()) {
            Some(v) => {
                view.one(v);
                Ok(Exit::Success)
            }
            None => Err(Failed::Line(format!(
                "output `{name}` has no value: `{}` does not exist\nhint: apply the stack first",
                stack.outputs[name].value
            ))),
        };
    }
    view.all(&outputs);
    Ok(Exit::Success)
}
