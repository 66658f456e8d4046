//! The plan as JSON: one typed, versioned format for `plan -o json`, for plans saved with
//! `plan --out` (which `apply PLAN` executes and `show PLAN` renders), with its JSON Schema
//! (`lbstack schema --plan`). A saved plan also carries what apply needs and nobody compares
//! (`inputs`: file names relative to the stack, a validation zone), the stack file's absolute
//! path and the variables, so it applies from any folder.

use super::model::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const FORMAT_VERSION: &str = "2.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JsonPlan {
    /// `2.0`: this layout. Readers refuse a major version they do not know.
    pub format_version: String,
    pub stack: String,
    /// The stack file, absolute (saved plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_file: Option<String>,
    /// `--var` values the plan was made with (saved plans).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vars: Vec<(String, String)>,
    /// Identifies the live state the plan was computed from: `apply PLAN` refuses when it moved.
    pub fingerprint: String,
    pub has_changes: bool,
    /// Whether apply may execute it (false with conflicts), as Terraform's `applyable`.
    pub applyable: bool,
    pub summary: Summary,
    pub resource_changes: Vec<JsonChange>,
    pub conflicts: Vec<Conflict>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The outputs whose published value apply changes (`/lbstack/outputs/<stack>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_changes: Vec<OutputChange>,
    /// AWS calls made to plan, by operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<ApiCallCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApiCallCount {
    pub total: u64,
    pub by_operation: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JsonChange {
    /// `target_group.api`.
    pub address: String,
    pub kind: Kind,
    /// The physical name.
    pub name: String,
    /// ARN or id of the live resource (absent for creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `["create"]`, `["update"]`, `["delete"]`, `["create","delete"]` (the replacement first),
    /// `["delete","create"]`, `["no-op"]`.
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The reason in words, as the human plan says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_text: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub diffs: Vec<AttrDiff>,
    pub replace_paths: Vec<String>,
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Apply-only inputs (saved plans only).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub inputs: Map<String, Value>,
}

/// What a JSON plan says besides the changes.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub fingerprint: String,
    pub stack_file: Option<String>,
    pub vars: Vec<(String, String)>,
    pub api_calls: Option<ApiCallCount>,
    /// Keep apply-only inputs (for a saved plan, never for `-o json`).
    pub with_inputs: bool,
}

fn action_of(actions: &[String]) -> Option<Action> {
    Some(match actions.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["no-op"] => Action::NoOp,
        ["create"] => Action::Create,
        ["update"] => Action::Update,
        ["delete"] => Action::Delete,
        ["delete", "create"] => Action::DeleteCreate,
        ["create", "delete"] => Action::CreateDelete,
        _ => return None,
    })
}

impl JsonPlan {
    pub fn new(plan: &Plan, meta: Meta) -> Self {
        let resource_changes = plan
            .changes
            .iter()
            .map(|c| JsonChange {
                address: c.address.to_string(),
                kind: c.address.kind,
                name: c.name.clone(),
                id: c.id.clone(),
                actions: c.action.json_actions().iter().map(|a| a.to_string()).collect(),
                reason_text: c.reason.as_ref().map(ToString::to_string),
                reason: c.reason.clone(),
                before: c.before.as_ref().map(Attrs::to_value),
                after: c.after.as_ref().map(Attrs::to_value),
                diffs: c.diffs.clone(),
                replace_paths: c.diffs.iter().filter(|d| d.forces_replacement).map(|d| d.path.clone()).collect(),
                depends_on: c.deps.iter().map(ToString::to_string).collect(),
                parent: c.parent.as_ref().map(ToString::to_string),
                inputs: if meta.with_inputs { c.inputs.to_map() } else { Map::new() },
            })
            .collect();
        JsonPlan {
            format_version: FORMAT_VERSION.into(),
            stack: plan.stack.clone(),
            stack_file: meta.stack_file,
            vars: meta.vars,
            fingerprint: meta.fingerprint,
            has_changes: plan.has_changes(),
            applyable: plan.applyable(),
            summary: plan.summary(),
            resource_changes,
            conflicts: plan.conflicts.clone(),
            warnings: plan.warnings.clone(),
            output_changes: plan.outputs.clone(),
            api_calls: meta.api_calls,
        }
    }

    /// The plan back, to apply or show it.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let major = self.format_version.split('.').next().unwrap_or_default();
        if major != FORMAT_VERSION.split('.').next().unwrap_or_default() {
            anyhow::bail!(
                "this plan has format {}; this lbstack reads {FORMAT_VERSION}: make the plan again",
                self.format_version
            );
        }
        let address = |s: &str| Address::parse(s).ok_or_else(|| anyhow::anyhow!("`{s}` is not a resource address"));
        let changes = self
            .resource_changes
            .iter()
            .map(|c| {
                let at = address(&c.address)?;
                let attrs = |side: &Option<Value>| {
                    side.as_ref()
                        .map(|v| Attrs::from_value(at.kind, v))
                        .transpose()
                        .map_err(|e| anyhow::anyhow!("{}: the plan's attributes do not read: {e}", c.address))
                };
                Ok(Change {
                    before: attrs(&c.before)?,
                    after: attrs(&c.after)?,
                    address: at.clone(),
                    action: action_of(&c.actions)
                        .ok_or_else(|| anyhow::anyhow!("{}: unknown actions {:?}", c.address, c.actions))?,
                    reason: c.reason.clone(),
                    name: c.name.clone(),
                    id: c.id.clone(),
                    diffs: c.diffs.clone(),
                    deps: c.depends_on.iter().map(|d| address(d)).collect::<anyhow::Result<_>>()?,
                    parent: c.parent.as_deref().map(address).transpose()?,
                    inputs: Inputs::from_map(at.kind, &c.inputs)
                        .map_err(|e| anyhow::anyhow!("{}: the plan's apply inputs do not read: {e}", c.address))?,
                    adopting: c.reason == Some(Reason::Adopting),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Plan {
            stack: self.stack.clone(),
            changes,
            conflicts: self.conflicts.clone(),
            warnings: self.warnings.clone(),
            outputs: self.output_changes.clone(),
        })
    }
}

/// The JSON Schema of the plan format.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(JsonPlan)).expect("schema serializes")
}
