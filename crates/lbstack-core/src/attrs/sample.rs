//! Whole attribute structs for tests: each kind's fewest required fields, with the fields a test
//! is about laid over them. Tests of the diff, the renderer and the executors say only what they
//! are about and still hold what a reader or the builder would make.

use crate::kinds::{Attrs, Kind};
use serde_json::{Value, json};

/// The fewest fields a `kind`'s struct takes.
fn skeleton(kind: Kind) -> Value {
    let tagged = |mut v: Value| {
        v["tags"] = json!({});
        v
    };
    match kind {
        Kind::SecurityGroup => tagged(json!({ "description": "", "vpc": "vpc-1", "ingress": [], "egress": [] })),
        Kind::Certificate => tagged(json!({ "type": "AMAZON_ISSUED" })),
        Kind::TrustStore => tagged(json!({ "bundle": null })),
        Kind::TargetGroup => {
            tagged(json!({ "target_type": "instance", "health_check": { "enabled": true }, "attributes": {} }))
        }
        Kind::LoadBalancer => {
            tagged(json!({ "type": "application", "subnets": [], "ip_address_type": "ipv4", "attributes": {} }))
        }
        Kind::Listener => json!({
            "load_balancer": { "$ref": "load_balancer.web" },
            "default_action": { "type": "forward", "target_groups": [], "stickiness": null, "authenticate": null, "jwt": null }
        }),
        Kind::ListenerRules => json!({ "listener": { "$ref": "listener.web.http" }, "rules": [] }),
        Kind::SharedListener => json!({ "listener": "arn:listener", "rules": [] }),
        Kind::IpSet => tagged(json!({ "ip_version": "IPV4", "addresses": [], "description": "" })),
        Kind::WebAcl => tagged(json!({ "default_action": "allow", "description": "", "metrics": false, "rules": [] })),
        Kind::WebAclAssociation => {
            json!({ "load_balancer": { "$ref": "load_balancer.web" }, "web_acl": { "$ref": "web_acl.edge" } })
        }
        Kind::LaunchTemplate => tagged(json!({ "security_groups": [], "imds": "required", "monitoring": false })),
        Kind::AutoScalingGroup => tagged(json!({
            "min": 1, "max": 1, "subnets": [],
            "launch_template": { "template": { "$ref": "launch_template.web" }, "version": "$Latest" },
            "target_groups": [], "termination_policies": [], "capacity_rebalance": false,
            "max_instance_lifetime": 0, "lifecycle_hooks": [], "notifications": [],
            "capacity_reservations": { "preference": "default", "ids": [], "groups": [] },
            "metrics": [], "suspended_processes": []
        })),
        Kind::ScalingPolicy => {
            json!({ "group": { "$ref": "autoscaling_group.web" }, "enabled": true, "type": "SimpleScaling" })
        }
        Kind::ScheduledAction => json!({ "group": { "$ref": "autoscaling_group.web" } }),
        Kind::Topic => tagged(json!({ "display_name": "", "subscriptions": [] })),
        Kind::Alarm => tagged(json!({
            "dimensions": [], "queries": [], "evaluation_periods": 1, "missing_data": "missing",
            "actions": [], "ok_actions": [], "insufficient_data_actions": [], "description": ""
        })),
        Kind::CompositeAlarm => tagged(json!({
            "rule": "ALARM(a)", "actions": [], "ok_actions": [], "insufficient_data_actions": [], "description": ""
        })),
        Kind::Record => json!({
            "zone": "Z1", "name": "www.example.com", "type": "CNAME", "target": "example.net", "indexed": true
        }),
        Kind::ShieldProtection => tagged(json!({ "load_balancer": { "$ref": "load_balancer.web" } })),
    }
}

/// A `kind`'s struct with `fields` laid over its skeleton (objects merged key by key). Panics
/// when a field is not the struct's, so a test cannot compare a field that does not exist.
pub fn attrs(kind: Kind, fields: Value) -> Attrs {
    let mut v = skeleton(kind);
    merge(&mut v, &fields);
    let attrs = Attrs::from_value(kind, &v).unwrap_or_else(|e| panic!("not a {}'s attributes: {e}", kind.noun()));
    let kept = attrs.to_value();
    let mut lost = Vec::new();
    missing("", &fields, &kept, &mut lost);
    assert!(lost.is_empty(), "a {} has no field {}", kind.noun(), lost.join(", "));
    attrs
}

fn merge(into: &mut Value, over: &Value) {
    match (into, over) {
        (Value::Object(a), Value::Object(b)) if !b.contains_key("$ref") => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// The object keys of `asked` that the struct dropped (a null asked may be left out).
fn missing(path: &str, asked: &Value, kept: &Value, out: &mut Vec<String>) {
    let (Value::Object(a), Value::Object(k)) = (asked, kept) else { return };
    for (key, v) in a {
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match k.get(key) {
            Some(kv) => missing(&at, v, kv, out),
            None if v.is_null() => {}
            None => out.push(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_skeleton_its_struct_reads() {
        for kind in Kind::ALL {
            assert_eq!(attrs(*kind, json!({})).kind(), *kind);
        }
    }

    #[test]
    fn fields_are_laid_over_and_a_stray_one_is_refused() {
        let Attrs::TargetGroup(tg) = attrs(Kind::TargetGroup, json!({ "port": 80, "health_check": { "interval": 5 } }))
        else {
            panic!("a target group")
        };
        assert_eq!((tg.port, tg.health_check.interval, tg.health_check.enabled), (Some(80), Some(5), true));
        let stray = std::panic::catch_unwind(|| attrs(Kind::TargetGroup, json!({ "interval": 5 })));
        assert!(stray.is_err(), "a target group has no top-level interval");
    }
}
