//! Each resource kind's attributes as a typed struct: the contract between the plan's builder
//! (`plan::desired`), the live readers (`live`) and the executors (`apply`). The builder and the
//! reader produce the struct, the diff compares its JSON (the generic `Value` diff stays the core),
//! and the executor reads the struct back from the plan, so a key spelled differently on one side
//! is a compile error, not a silent difference. The fields that cannot change in place are marked
//! `=> replace` beside the field; `kinds` reads them from here.
//!
//! This module only describes shapes: it never calls AWS and never reads the stack.

pub mod acm;
pub mod autoscaling;
pub mod cloudwatch;
pub mod ec2;
pub mod elbv2;
pub mod route53;
#[doc(hidden)]
pub mod sample;
pub mod shield;
pub mod sns;
pub mod wafv2;

pub use acm::CertificateAttrs;
pub use autoscaling::{AutoScalingGroupAttrs, LaunchTemplateAttrs, ScalingPolicyAttrs, ScheduledActionAttrs};
pub use cloudwatch::{AlarmAttrs, CompositeAlarmAttrs};
pub use ec2::SecurityGroupAttrs;
pub use elbv2::{
    ListenerAttrs, ListenerRulesAttrs, LoadBalancerAttrs, SharedListenerAttrs, TargetGroupAttrs, TrustStoreAttrs,
};
pub use route53::RecordAttrs;
pub use shield::ShieldProtectionAttrs;
pub use sns::TopicAttrs;
pub use wafv2::{IpSetAttrs, WebAclAssociationAttrs, WebAclAttrs};

use crate::kinds::Kind;
use crate::ownership::Address;
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Tags as AWS holds them, in the order lbstack writes them.
pub type TagMap = IndexMap<String, String>;

/// AWS's key-value attributes of a load balancer, target group or listener, in the order the
/// stack format lists them.
pub type AttributeMap = IndexMap<String, String>;

/// A reference to another resource of the stack, `{"$ref": "target_group.api"}` in JSON: the
/// same reference whatever id the resource has, so a replacement is a repoint, not a new value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref(pub Address);

impl Serialize for Ref {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("$ref", &self.0)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            #[serde(rename = "$ref")]
            address: Address,
        }
        Ok(Ref(Wire::deserialize(d)?.address))
    }
}

impl Ref {
    pub fn to(kind: Kind, key: &str) -> Ref {
        Ref(Address::new(kind, key))
    }
}

/// A resource of the stack by reference, or one outside it by its id or ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RefOrId {
    Ref(Ref),
    Id(String),
}

impl RefOrId {
    /// `kind.key` when `name` is a key of the stack, the literal when it is an id (`looks_like_id`).
    pub fn named(kind: Kind, name: &str, looks_like_id: bool) -> RefOrId {
        if looks_like_id { RefOrId::Id(name.to_string()) } else { RefOrId::Ref(Ref::to(kind, name)) }
    }

    /// The id, or the referenced resource's key.
    pub fn as_str(&self) -> &str {
        match self {
            RefOrId::Id(id) => id,
            RefOrId::Ref(r) => &r.0.key,
        }
    }
}

/// A kind's attribute struct.
pub trait Attributes: Serialize + DeserializeOwned {
    const KIND: Kind;
    /// Top-level attributes whose change cannot be made in place.
    const REPLACE: &'static [&'static str];

    /// The JSON the diff compares.
    fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("attribute structs serialise to JSON")
    }

    /// Its `tags` field, when the struct has one (the kinds AWS tags on the resource itself).
    fn tags(&self) -> Option<&TagMap>;

    fn tags_mut(&mut self) -> Option<&mut TagMap>;
}

macro_rules! inputs {
    ($( $(#[$doc:meta])* $variant:ident($ty:ty), )*) => {
        /// What apply needs besides a resource's attributes, for the kinds that need anything
        /// (file names relative to the stack, a validation zone, a group's first capacity): never
        /// compared, never in the JSON plan, kept in saved plans.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub enum Inputs {
            #[default]
            None,
            $( $(#[$doc])* $variant($ty), )*
        }

        $(
            impl From<$ty> for Inputs {
                fn from(i: $ty) -> Inputs {
                    Inputs::$variant(i)
                }
            }

            impl InputsOf for $ty {
                fn of(i: &Inputs) -> Option<&Self> {
                    match i {
                        Inputs::$variant(x) => Some(x),
                        _ => None,
                    }
                }
            }
        )*

        impl Inputs {
            /// As a saved plan keeps them: one JSON object.
            pub fn to_map(&self) -> serde_json::Map<String, Value> {
                let value = match self {
                    Inputs::None => return serde_json::Map::new(),
                    $( Inputs::$variant(i) => serde_json::to_value(i), )*
                };
                match value.expect("inputs serialise to JSON") {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                }
            }

            /// A saved plan's inputs of a resource of `kind`.
            pub fn from_map(kind: Kind, map: &serde_json::Map<String, Value>) -> Result<Inputs, String> {
                if map.is_empty() {
                    return Ok(Inputs::None);
                }
                let value = Value::Object(map.clone());
                match kind {
                    $( Kind::$variant => serde_json::from_value(value).map(Inputs::$variant).map_err(|e| e.to_string()), )*
                    _ => Err(format!("a {} takes no apply inputs", kind.noun())),
                }
            }
        }
    };
}

inputs! {
    Certificate(acm::CertificateInputs),
    TrustStore(elbv2::TrustStoreInputs),
    /// Only when the plan moves it aside first (a port swap).
    Listener(elbv2::ListenerInputs),
    SharedListener(elbv2::SharedListenerInputs),
    LaunchTemplate(autoscaling::LaunchTemplateInputs),
    AutoScalingGroup(autoscaling::GroupInputs),
}

/// A kind's inputs struct as one variant of `Inputs`.
pub trait InputsOf: DeserializeOwned + Clone {
    fn of(i: &Inputs) -> Option<&Self>;
}

/// A list that is a set: sorted by its JSON text and without repeats, so the builder's and the
/// reader's lists compare equal whatever order AWS answers in.
pub fn set_of<T: Serialize>(mut items: Vec<T>) -> Vec<T> {
    let text = |x: &T| serde_json::to_string(x).expect("attribute structs serialise to JSON");
    items.sort_by_cached_key(text);
    items.dedup_by(|a, b| text(a) == text(b));
    items
}

/// A field name as JSON spells it (`r#type` is `type`).
pub const fn json_name(field: &'static str) -> &'static str {
    match field.as_bytes() {
        [b'r', b'#', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(name) => name,
            Err(_) => panic!("field names are UTF-8"),
        },
        _ => field,
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! tags_field {
    ($self:ident, tags) => {
        return Some(&$self.tags);
    };
    ($self:ident, $other:ident) => {};
    (mut $self:ident, tags) => {
        return Some(&mut $self.tags);
    };
    (mut $self:ident, $other:ident) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! replace_path {
    (replace, $field:ident) => {
        $crate::attrs::json_name(stringify!($field))
    };
}

/// Declares a kind's attribute struct: its fields in the order plans show them, with
/// `=> replace` after the fields that force a replacement.
#[macro_export]
macro_rules! attributes {
    (
        $(#[$meta:meta])*
        $kind:ident => pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty $(=> $replace:ident)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::attrs::Attributes for $name {
            const KIND: $crate::kinds::Kind = $crate::kinds::Kind::$kind;
            const REPLACE: &'static [&'static str] = &[ $( $( $crate::replace_path!($replace, $field), )? )* ];

            #[allow(unreachable_code)]
            fn tags(&self) -> Option<&$crate::attrs::TagMap> {
                $( $crate::tags_field!(self, $field); )*
                None
            }

            #[allow(unreachable_code)]
            fn tags_mut(&mut self) -> Option<&mut $crate::attrs::TagMap> {
                $( $crate::tags_field!(mut self, $field); )*
                None
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_keep_their_json_form() {
        let r = Ref::to(Kind::TargetGroup, "api");
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({ "$ref": "target_group.api" }));
        assert_eq!(serde_json::from_value::<Ref>(json!({ "$ref": "target_group.api" })).unwrap(), r);
        assert!(serde_json::from_value::<Ref>(json!({ "$ref": "nothing.api" })).is_err());
        assert!(serde_json::from_value::<Ref>(json!({ "$ref": "target_group.api", "x": 1 })).is_err());
        let id: RefOrId = serde_json::from_value(json!("sg-123")).unwrap();
        assert_eq!(id, RefOrId::Id("sg-123".into()));
        let by_ref: RefOrId = serde_json::from_value(json!({ "$ref": "security_group.web" })).unwrap();
        assert_eq!(by_ref, RefOrId::Ref(Ref::to(Kind::SecurityGroup, "web")));
    }

    #[test]
    fn raw_field_names_are_json_names() {
        assert_eq!(json_name("r#type"), "type");
        assert_eq!(json_name("protocol"), "protocol");
    }

    #[test]
    fn the_fields_marked_replace_are_the_kinds_replace_paths() {
        assert_eq!(TargetGroupAttrs::REPLACE, ["target_type", "protocol", "port", "vpc", "protocol_version"]);
        assert_eq!(RecordAttrs::REPLACE, ["zone", "name", "type", "set_identifier"]);
        assert_eq!(LoadBalancerAttrs::REPLACE, ["type", "scheme", "addresses"]);
        assert!(WebAclAttrs::REPLACE.is_empty());
        assert_eq!(Kind::Certificate.replace_paths(), CertificateAttrs::REPLACE);
        assert_eq!(Kind::ScalingPolicy.replace_paths(), ["group", "type"]);
    }

    #[test]
    fn an_action_with_its_sign_in_reads_back_as_it_was_written() {
        let action = json!({
            "type": "forward",
            "target_groups": [{ "target_group": { "$ref": "target_group.api" }, "weight": 1 }],
            "stickiness": null,
            "authenticate": {
                "type": "authenticate-oidc", "issuer": "https://idp", "client_id": "app",
                "_client_secret": { "env": "OIDC_SECRET", "file": null },
                "scope": "openid", "session_cookie": "c", "session_timeout": 3600, "on_unauthenticated": "authenticate", "extra_params": {}
            },
            "jwt": null
        });
        let typed: elbv2::ListenerAction = serde_json::from_value(action.clone()).unwrap();
        assert!(
            matches!(&typed.main, elbv2::MainAction::Forward { target_groups, .. } if target_groups[0].target_group == RefOrId::Ref(Ref::to(Kind::TargetGroup, "api")))
        );
        assert_eq!(serde_json::to_value(&typed).unwrap(), action);
        assert_eq!(
            typed.clone().state().authenticate.unwrap().client_secret,
            None,
            "the secret's source is an apply input, not state"
        );
        // An action type the stack format has no words for still reads (from AWS), keeping its name.
        let written = json!({ "type": "weighted-random-fallback", "authenticate": null, "jwt": null });
        let other: elbv2::ListenerAction = serde_json::from_value(written.clone()).unwrap();
        assert_eq!(other.main, elbv2::MainAction::Unsupported { r#type: "weighted-random-fallback".into() });
        assert_eq!(serde_json::to_value(&other).unwrap(), written);
    }

    #[test]
    fn a_null_that_is_compared_stays_apart_from_a_field_left_out() {
        let read = |v: serde_json::Value| serde_json::from_value::<ScalingPolicyAttrs>(v).unwrap().warmup;
        let base = json!({ "group": { "$ref": "autoscaling_group.web" }, "enabled": true, "type": "SimpleScaling" });
        assert_eq!(read(base.clone()), None);
        let mut with_null = base;
        with_null["warmup"] = serde_json::Value::Null;
        assert_eq!(read(with_null.clone()), Some(None));
        assert_eq!(
            serde_json::from_value::<ScalingPolicyAttrs>(with_null).unwrap().to_value()["warmup"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn sets_are_sorted_by_their_json_and_deduplicated() {
        assert_eq!(set_of(vec!["b", "a", "b"]), vec!["a", "b"]);
    }
}
