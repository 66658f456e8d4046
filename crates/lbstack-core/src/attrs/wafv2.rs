//! WAFv2 IP sets, web ACLs and the association of a load balancer with its web ACL.

use super::{Ref, RefOrId, TagMap};
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    IpSet => pub struct IpSetAttrs {
        /// `IPV4` or `IPV6`.
        pub ip_version: String => replace,
        /// A set of CIDRs.
        pub addresses: Vec<String>,
        pub description: String,
        pub tags: TagMap,
    }
}

attributes! {
    WebAcl => pub struct WebAclAttrs {
        /// `allow` or `block`.
        pub default_action: String,
        pub description: String,
        pub metrics: bool,
        /// By priority.
        pub rules: Vec<WafRule>,
        pub tags: TagMap,
    }
}

/// One rule of a web ACL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WafRule {
    pub name: String,
    pub priority: i64,
    /// `allow`, `block`, `count`, `captcha` or `challenge`; none for a managed rule group.
    pub action: Option<String>,
    /// A managed rule group's: `none` or `count`.
    pub override_action: Option<String>,
    pub statement: Statement,
}

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statement {
    Managed(ManagedGroup),
    RateLimit(RateLimit),
    /// An IP set of the stack, or one outside it by ARN.
    IpSet(RefOrId),
    /// Country codes, sorted.
    Geo(Vec<String>),
    /// A statement the stack format has no words for (read from AWS only).
    Unsupported(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedGroup {
    pub vendor: String,
    pub name: String,
    pub version: Option<String>,
    /// Sorted.
    pub excluded_rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub limit: i64,
    pub window: i64,
    /// `IP` or `FORWARDED_IP`.
    pub aggregate: String,
}

attributes! {
    WebAclAssociation => pub struct WebAclAssociationAttrs {
        pub load_balancer: Ref => replace,
        /// A web ACL of the stack, or one outside it by ARN.
        pub web_acl: RefOrId,
    }
}
