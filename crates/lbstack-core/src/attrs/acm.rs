//! ACM certificates: requested (DNS-validated) or imported from PEM files.

use super::TagMap;
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    Certificate => pub struct CertificateAttrs {
        /// `requested` or `imported`.
        pub r#type: String => replace,
        /// A requested certificate's names, lower case.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub domain: Option<String> => replace,
        /// Sorted, without the domain.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub alternative_names: Option<Vec<String>> => replace,
        /// An imported certificate's identity: see `ownership::pem_fingerprint`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fingerprint: Option<String>,
        /// Read from AWS (`ISSUED`, `PENDING_VALIDATION`), never declared, so never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        pub tags: TagMap,
    }
}

/// What apply needs besides the attributes: the zone to write validation records into, or the
/// PEM files to import (relative to the stack, read again through its file fence).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateInputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_file: Option<String>,
}
