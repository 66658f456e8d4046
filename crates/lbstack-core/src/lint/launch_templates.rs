//! Launch template rules: instance metadata and disk encryption.

use super::{Rule, rule};
use crate::diag::Severity::Warning;
use crate::stack_format::model::*;
use crate::stack_format::values::pointer as p;

pub const IMDSV1_ALLOWED: Rule = rule(
    "LT001",
    "imdsv1-allowed",
    Warning,
    "IMDSv1 lets SSRF bugs read instance credentials; require IMDSv2 tokens",
    |s, out| {
        for (k, _) in s.launch_templates.iter().filter(|(_, lt)| lt.imds == Imds::Optional) {
            out.fire(p(&["launch_templates", k, "imds"]), format!("launch template `{k}` allows IMDSv1"));
        }
    },
);

pub const UNENCRYPTED_ROOT_VOLUME: Rule = rule(
    "LT002",
    "unencrypted-root-volume",
    Warning,
    "unencrypted EBS volumes fail most compliance baselines",
    |s, out| {
        for (k, _) in
            s.launch_templates.iter().filter(|(_, lt)| lt.root_volume.as_ref().is_some_and(|rv| !rv.encrypted))
        {
            out.fire(
                p(&["launch_templates", k, "root_volume", "encrypted"]),
                format!("launch template `{k}` has an unencrypted root volume"),
            );
        }
    },
);
