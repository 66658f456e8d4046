//! The outputs a stack publishes after each apply, read back: one SSM parameter per stack
//! holding a JSON object, for other stacks (`shared_listeners.*.from_stack`) and other tools.
//! Publishing them is apply's (`ops::publish_outputs`).

use super::Clients;

/// The SSM parameter that holds a stack's outputs after each apply, for other stacks to read
/// (`shared_listeners.*.from_stack`) and other tools (`aws ssm get-parameter`).
pub fn outputs_parameter(stack: &str) -> String {
    format!("/lbstack/outputs/{stack}")
}

/// What the stack has published, as `name -> value` (None: nothing is published).
pub async fn read_published(
    clients: &Clients,
    stack: &str,
) -> anyhow::Result<Option<std::collections::BTreeMap<String, String>>> {
    match published_outputs(clients, stack).await {
        Ok(map) => Ok(Some(
            map.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect(),
        )),
        Err(e) if e.downcast_ref::<NothingPublished>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A stack has published no outputs.
#[derive(Debug)]
pub struct NothingPublished(String);

impl std::fmt::Display for NothingPublished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stack `{}` has published no outputs (they are published when it is applied with `outputs:`)", self.0)
    }
}

impl std::error::Error for NothingPublished {}

/// The outputs another stack published, by name.
pub async fn published_outputs(
    clients: &Clients,
    stack: &str,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let out = match clients.ssm.get_parameter().name(outputs_parameter(stack)).send().await {
        Ok(out) => out,
        Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound => {
            return Err(NothingPublished(stack.to_string()).into());
        }
        Err(e) => return Err(super::err(&format!("reading the outputs of stack `{stack}`"), e)),
    };
    let text = out.parameter().and_then(|p| p.value()).unwrap_or_default();
    serde_json::from_str(text).map_err(|_| {
        anyhow::anyhow!(
            "the outputs stack `{stack}` published are not lbstack's (parameter {})",
            outputs_parameter(stack)
        )
    })
}
