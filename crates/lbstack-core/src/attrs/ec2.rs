//! Security groups.

use super::{RefOrId, TagMap};
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    SecurityGroup => pub struct SecurityGroupAttrs {
        pub description: String => replace,
        pub vpc: String => replace,
        /// A set: see `super::set_of`.
        pub ingress: Vec<Permission>,
        pub egress: Vec<Permission>,
        pub tags: TagMap,
        /// Read from AWS for outputs, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub arn: Option<String>,
    }
}

/// One rule: a port range and one source (AWS groups several sources under one permission;
/// lbstack compares them one by one). `S` is how the source is named: in plans a `RefOrId`,
/// when sent to AWS its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission<S = RefOrId> {
    /// `tcp`, `udp`, `icmp` or `all`.
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    /// `cidr:10.0.0.0/8`, `cidr6:::/0`, a group of the stack, or a group's `sg-` id.
    pub source: S,
    pub description: String,
}

impl<S> Permission<S> {
    pub fn new(protocol: &str, from: i64, to: i64, source: S, description: &str) -> Permission<S> {
        Permission { protocol: protocol.into(), from, to, source, description: description.into() }
    }

    /// The same rule with its source named another way.
    pub fn with_source<T>(&self, source: T) -> Permission<T> {
        Permission::new(&self.protocol, self.from, self.to, source, &self.description)
    }
}

impl Permission {
    /// The rule of a new group: all outbound traffic allowed.
    pub fn all_outbound() -> Permission {
        Permission::new("all", 0, 65535, RefOrId::Id("cidr:0.0.0.0/0".into()), "")
    }
}
