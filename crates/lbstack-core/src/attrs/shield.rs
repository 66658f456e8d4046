//! Shield Advanced protections of the stack's load balancers.

use super::{Ref, TagMap};
use crate::attributes;

attributes! {
    ShieldProtection => pub struct ShieldProtectionAttrs {
        pub load_balancer: Ref => replace,
        pub tags: TagMap,
        /// The protection's ARN (tags are set through it): read from AWS, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub arn: Option<String>,
    }
}
