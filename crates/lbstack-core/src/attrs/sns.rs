//! SNS topics and their subscriptions.

use super::TagMap;
use crate::attributes;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

attributes! {
    Topic => pub struct TopicAttrs {
        pub display_name: String,
        /// A set.
        pub subscriptions: Vec<Subscription>,
        pub tags: TagMap,
        /// Each subscription's ARN by `protocol endpoint`, for apply to unsubscribe what leaves
        /// the stack: read from AWS, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subscription_arns: Option<IndexMap<String, String>>,
    }
}

/// A subscription as plans show it: an HTTP(S) endpoint's path and query only as a hash (see
/// `ownership::shown_endpoint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub protocol: String,
    pub endpoint: String,
}

impl Subscription {
    /// How apply and the live reader key a subscription: `protocol endpoint`.
    pub fn key(&self) -> String {
        format!("{} {}", self.protocol, self.endpoint)
    }
}
