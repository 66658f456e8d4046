//! Plan vocabulary: addresses, resources as normalised attribute maps, changes and plans.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The resource kinds the plan engine manages: one table in `crate::kinds`.
pub use crate::attrs::{Inputs, InputsOf};
pub use crate::kinds::{Attrs, Kind, Variant};
/// Addresses and references are the ownership vocabulary (`crate::ownership`).
pub use crate::ownership::{Address, as_reference};

/// A resource as the stack wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub address: Address,
    /// The physical name lbstack gives it (`shop-api`), not compared: identity is the address tag.
    pub name: String,
    /// Normalised attributes: every managed field, declared or defaulted, as its kind's struct.
    pub attrs: Attrs,
    /// Resources it references (must exist before it).
    pub deps: Vec<Address>,
    /// The resource it lives inside (a listener's load balancer): replacing the parent replaces it.
    pub parent: Option<Address>,
    /// What apply needs but nobody compares: file names relative to the stack, the zone that
    /// validates a certificate, the initial capacity of a group, the AMI's name. Kept out of the
    /// attributes, so they never show as state nor travel in the JSON plan.
    pub inputs: Inputs,
    /// The name comes from `name:` in the stack: the user's contract. A live name that differs
    /// is drift (a replacement), and no replacement takes a generated name instead.
    pub fixed_name: bool,
}

impl Desired {
    /// A desired resource from its typed attributes; what it references (its dependencies) is
    /// read from them.
    pub fn new<A: crate::attrs::Attributes + Clone + Into<Attrs>>(
        address: Address,
        name: String,
        attrs: &A,
        parent: Option<Address>,
    ) -> Desired {
        let mut deps = Vec::new();
        super::desired::collect_refs(&attrs.to_value(), &mut deps);
        deps.sort();
        deps.dedup();
        Desired { address, name, attrs: attrs.clone().into(), deps, parent, inputs: Inputs::None, fixed_name: false }
    }

    /// With the apply-only inputs of its kind.
    pub fn with_inputs<I: Into<Inputs>>(mut self, inputs: I) -> Desired {
        self.inputs = inputs.into();
        self
    }
}

/// A resource as AWS has it, found through this stack's ownership tags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    pub address: Address,
    /// ARN or id.
    pub id: String,
    pub name: String,
    /// What the reader read, as its kind's struct.
    pub attrs: Attrs,
}

impl Live {
    /// Its tags, for the kinds that carry them.
    pub fn tags(&self) -> Option<&crate::attrs::TagMap> {
        self.attrs.tags()
    }
}

/// A resource that holds a name this stack would use but lacks its ownership tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conflict {
    pub address: Address,
    pub name: String,
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete, then create (`-/+`).
    DeleteCreate,
    /// Create the replacement, repoint dependents, then delete (`+/-`).
    CreateDelete,
    Delete,
}

impl Action {
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::DeleteCreate => &["delete", "create"],
            Action::CreateDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteCreate | Action::CreateDelete)
    }
}

/// One changed leaf attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttrDiff {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub forces_replacement: bool,
    /// The value names a resource that is being replaced: the same reference, a new id.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repoint: bool,
}

impl AttrDiff {
    pub fn new(path: impl Into<String>, before: Option<Value>, after: Option<Value>) -> Self {
        AttrDiff { path: path.into(), before, after, forces_replacement: false, repoint: false }
    }
}

/// Why a change is what it is, beyond "the stack says so" (Terraform's action reasons). Stable
/// in the JSON plan (`{"kind": "cannot_update", "paths": [...]}`), words in the human plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// These attributes cannot change in place: the resource is replaced.
    CannotUpdate { paths: Vec<String> },
    /// The resource it lives in is replaced, so it is too.
    ParentReplaced { parent: String },
    /// It names resources that are replaced: it moves to the replacements.
    Repoint { replaced: Vec<String> },
    /// A target group serves one load balancer: the replacement of this one needs its own.
    ServesReplacement { load_balancer: String },
    /// The stack no longer declares it.
    NotInStack,
    /// `destroy`.
    Destroying,
    /// Its instances run an old configuration: an instance refresh replaces them.
    InstanceRefresh { why: Vec<String>, replaces: u64 },
    /// It exists without lbstack's tags and the plan takes it over (`--adopt`): the tags are
    /// added and the stack's settings applied in place.
    Adopting,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::CannotUpdate { paths } => write!(f, "{} cannot change in place", paths.join(", ")),
            Reason::ParentReplaced { parent } => write!(f, "{parent} is replaced"),
            Reason::Repoint { replaced } => write!(f, "repoint to the replacement of {}", replaced.join(", ")),
            Reason::ServesReplacement { load_balancer } => {
                write!(
                    f,
                    "the replacement of {load_balancer} needs a target group of its own (a target group serves one load balancer)"
                )
            }
            Reason::NotInStack => write!(f, "not in the stack any more"),
            Reason::Destroying => write!(f, "the stack is being destroyed"),
            Reason::Adopting => write!(f, "adopted: it gets the stack's ownership tags"),
            Reason::InstanceRefresh { why, replaces } => {
                write!(
                    f,
                    "{}: an instance refresh replaces {replaces} instance{}",
                    why.join("; "),
                    if *replaces == 1 { "" } else { "s" }
                )
            }
        }
    }
}

/// One resource's change. Its values are its kind's struct; the JSON plan (`plan::json`) is
/// their one serialised form.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Why, for replacements, deletes and dependent updates.
    pub reason: Option<Reason>,
    pub name: String,
    /// Id of the live resource (absent for creates).
    pub id: Option<String>,
    /// What AWS has, with only the tags lbstack manages (absent for creates).
    pub before: Option<Attrs>,
    /// What the stack wants (absent for deletes).
    pub after: Option<Attrs>,
    pub diffs: Vec<AttrDiff>,
    pub deps: Vec<Address>,
    pub parent: Option<Address>,
    /// Apply-only inputs of the desired resource (see `Desired::inputs`); in saved plans, not in
    /// the JSON plan.
    pub inputs: Inputs,
    /// It exists without lbstack's tags and this change takes it over (`--adopt`): apply adds the
    /// tags, and a saved plan re-reads it as adopted. Shown as the reason `Adopting`.
    pub adopting: bool,
}

impl Change {
    /// The desired attributes (creates and updates) as the kind's struct.
    pub fn after_as<A: Variant + Clone>(&self) -> anyhow::Result<A> {
        let after = self
            .after
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{} has no desired attributes in the plan", self.address))?;
        self.side_as(after)
    }

    /// The live attributes, when there were any, as the kind's struct.
    pub fn before_as<A: Variant + Clone>(&self) -> anyhow::Result<Option<A>> {
        self.before.as_ref().map(|b| self.side_as(b)).transpose()
    }

    fn side_as<A: Variant + Clone>(&self, attrs: &Attrs) -> anyhow::Result<A> {
        A::of(attrs)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the plan's attributes of {} are not a {}'s", self.address, A::KIND.noun()))
    }

    /// Apply-only inputs (file names, the zone validating a certificate) as the kind's struct;
    /// none recorded reads as an empty record does (every optional input absent).
    pub fn inputs_as<T: InputsOf>(&self) -> anyhow::Result<T> {
        match &self.inputs {
            Inputs::None => serde_json::from_value(Value::Object(Map::new()))
                .map_err(|e| anyhow::anyhow!("the plan's apply inputs of {} do not read: {e}", self.address)),
            given => T::of(given)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("the plan's apply inputs of {} are another kind's", self.address)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub stack: String,
    /// Every declared or owned resource, creates and updates in dependency order, then deletes.
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
    /// Things to know before applying (capacity that would drop, instances to be replaced).
    pub warnings: Vec<String>,
    /// Changes to the outputs the stack publishes (`/lbstack/outputs/<stack>`).
    pub outputs: Vec<OutputChange>,
}

/// One output whose published value apply changes: added (`before` None), changed, or removed
/// (`after` None). A value apply cannot know before it runs (the ARN of a resource it creates) is
/// `known_after_apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known_after_apply: bool,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::NoOp => {}
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
                Action::DeleteCreate | Action::CreateDelete => {
                    s.add += 1;
                    s.destroy += 1;
                }
            }
        }
        s
    }

    /// Whether apply writes anything: a resource change, or the published outputs.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp) || !self.outputs.is_empty()
    }

    /// Whether apply may execute it: a name the stack needs held by someone else stops everything
    /// (even the changes that do not depend on it), as Terraform's `applyable`.
    pub fn applyable(&self) -> bool {
        self.conflicts.is_empty()
    }
}
