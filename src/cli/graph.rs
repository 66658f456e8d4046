//! `lbstack graph`: the stack (and with `--plan`, what a plan changes) as Mermaid or DOT.

use super::*;

pub(super) async fn graph(
    file: &std::path::Path,
    vars: &[(String, String)],
    format: GraphFormat,
    with_plan: bool,
    aws: &AwsArgs,
    ui: Ui,
) -> Outcome {
    let g = if with_plan {
        let (stack, _, planned) = load_and_plan(file, vars, aws, false, &crate::live::Adopt::None, ui).await?;
        let mut g = crate::graph::Graph::from_stack(&stack);
        g.mark(&planned.plan);
        g
    } else {
        let stack = load_checked(file, vars, ui)?;
        crate::graph::Graph::from_stack(&stack)
    };
    let text = match format {
        GraphFormat::Mermaid => g.mermaid(),
        GraphFormat::Dot => g.dot(),
    };
    print!("{text}");
    Ok(Exit::Success)
}
