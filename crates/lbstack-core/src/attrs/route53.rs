//! Route 53 records pointing at the stack's load balancers.

use super::RefOrId;
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    Record => pub struct RecordAttrs {
        /// A hosted zone id, or its name with the trailing dot.
        pub zone: String => replace,
        /// Lower case, with the trailing dot.
        pub name: String => replace,
        /// `A`, `AAAA` (aliases) or `CNAME`.
        pub r#type: String => replace,
        /// A load balancer of the stack, or the DNS name a record points at outside it.
        pub target: RefOrId,
        /// CNAMEs only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ttl: Option<i64>,
        /// Aliases only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub evaluate_target_health: Option<bool>,
        pub weight: Option<i64>,
        pub set_identifier: Option<String> => replace,
        /// Listed in the zone's lbstack index (records carry no tags): false only on a record
        /// being adopted.
        pub indexed: bool,
        /// The record exactly as it is, for an exact DELETE: read from AWS, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub raw: Option<RawRecord>,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawRecord {
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    pub alias: Option<RawAlias>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawAlias {
    pub zone: String,
    pub dns: String,
    pub evaluate: bool,
}
