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
pub(super) fn print_outputs(outputs: &[crate::ops::OutputValue], json: bool, heading: bool) {
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
