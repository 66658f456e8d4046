//! The stack's outputs: their values read from what exists, and the change to the published copy
//! (`/lbstack/outputs/<stack>`) that apply will write. Publishing is a write like any other, so
//! it is planned: an output added, changed or removed is in the plan, and apply publishes only
//! when the plan says so.

use super::diff::LiveState;
use super::model::{Action, OutputChange, Plan};
use crate::kinds::{Attrs, Kind};
use crate::stack_format::Stack;
use std::collections::BTreeMap;

/// One output of the stack, from live state: None when its resource does not exist (yet).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutputValue {
    pub name: String,
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The stack's outputs (validated `KIND.KEY.ATTRIBUTE`) read from what exists.
pub fn values(stack: &Stack, live: &LiveState) -> Vec<OutputValue> {
    stack
        .outputs
        .iter()
        .map(|(name, out)| {
            let (kind, key, attribute) = crate::stack_format::model::output_parts(&out.value).unwrap_or_default();
            let found = Kind::parse(kind)
                .and_then(|k| live.resources.iter().find(|r| r.address.kind == k && r.address.key == key));
            let value = found.and_then(|r| match attribute {
                "id" => Some(r.id.clone()),
                "arn" if r.id.starts_with("arn:") => Some(r.id.clone()),
                // A security group's id is not its ARN: the reader keeps the ARN beside it.
                "arn" => match &r.attrs {
                    Attrs::SecurityGroup(sg) => sg.arn.clone(),
                    _ => None,
                },
                // What CloudWatch's LoadBalancer and TargetGroup dimensions take: `app/NAME/ID`.
                "arn_suffix" => arn_suffix(&r.id).map(str::to_string),
                "name" => Some(r.name.clone()),
                "dns_name" | "canonical_zone" => match &r.attrs {
                    Attrs::LoadBalancer(lb) if attribute == "dns_name" => lb.dns_name.clone(),
                    Attrs::LoadBalancer(lb) => lb.canonical_zone.clone(),
                    _ => None,
                },
                _ => None,
            });
            OutputValue { name: name.clone(), value, description: out.description.clone() }
        })
        .collect()
}

/// The part of a load balancer's or target group's ARN after `loadbalancer/` (`app/web/50dc6c49...`)
/// or from `targetgroup/` on (`targetgroup/api/73e2d6bc...`), as CloudWatch dimensions name them.
pub fn arn_suffix(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.strip_prefix("loadbalancer/").or_else(|| resource.starts_with("targetgroup/").then_some(resource))
}

/// The published outputs as the plan leaves them, compared with what is published now (`None`:
/// nothing is). A value whose resource this plan creates or replaces is known after apply (its
/// name excepted: the plan chose it); an in-place update keeps ids, names and DNS names.
pub fn changes(
    stack: &Stack,
    plan: &Plan,
    live: &LiveState,
    published: Option<&BTreeMap<String, String>>,
    destroy: bool,
) -> Vec<OutputChange> {
    let empty = BTreeMap::new();
    let published = published.unwrap_or(&empty);
    let mut wanted: BTreeMap<String, (Option<String>, bool)> = BTreeMap::new();
    if !destroy {
        let now = values(stack, live);
        for (name, out) in &stack.outputs {
            let (kind, key, attribute) = crate::stack_format::model::output_parts(&out.value).unwrap_or_default();
            let change = Kind::parse(kind)
                .and_then(|k| plan.changes.iter().find(|c| c.address.kind == k && c.address.key == key));
            let current = now.iter().find(|v| &v.name == name).and_then(|v| v.value.clone());
            let after = match change.map(|c| c.action) {
                Some(Action::Create | Action::CreateDelete | Action::DeleteCreate) if attribute == "name" => {
                    (change.map(|c| c.name.clone()), false)
                }
                Some(Action::Create | Action::CreateDelete | Action::DeleteCreate) => (None, true),
                _ => (current, false),
            };
            wanted.insert(name.clone(), after);
        }
    }
    let mut out = Vec::new();
    for (name, (after, known_after_apply)) in &wanted {
        let before = published.get(name).cloned();
        if *known_after_apply || before != *after {
            out.push(OutputChange {
                name: name.clone(),
                before,
                after: after.clone(),
                known_after_apply: *known_after_apply,
            });
        }
    }
    for (name, value) in published.iter().filter(|(n, _)| !wanted.contains_key(*n)) {
        out.push(OutputChange {
            name: name.clone(),
            before: Some(value.clone()),
            after: None,
            known_after_apply: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::{Address, Change, Live};
    use serde_json::json;

    #[test]
    fn arn_suffixes_are_what_cloudwatch_dimensions_take() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067";
        assert_eq!(arn_suffix(lb), Some("app/web/50dc6c495c0c9188"));
        assert_eq!(arn_suffix(tg), Some("targetgroup/api/73e2d6bc24d8a067"));
        assert_eq!(arn_suffix("sg-0123"), None);
    }

    fn stack() -> Stack {
        let text = "version: 1\nstack: s\ntarget_groups:\n  api: {protocol: HTTP, port: 80}\n  web: {protocol: HTTP, port: 80}\nload_balancers:\n  edge:\n    listeners:\n      http: {port: 80, protocol: HTTP, default_action: {forward: api}}\n      alt: {port: 81, protocol: HTTP, default_action: {forward: web}}\noutputs:\n  dns: {value: load_balancer.edge.dns_name}\n  api_name: {value: target_group.api.name}\n  web_arn: {value: target_group.web.arn}\n";
        let loaded = crate::stack_format::load_str("s.yaml", text, None, &[]);
        loaded.stack.expect("the stack loads")
    }

    fn change(kind: Kind, key: &str, action: Action, name: &str) -> Change {
        Change {
            address: Address::new(kind, key),
            action,
            reason: None,
            name: name.into(),
            id: None,
            before: None,
            after: None,
            diffs: vec![],
            deps: vec![],
            parent: None,
            inputs: Default::default(),
            adopting: false,
        }
    }

    fn group() -> Attrs {
        Attrs::TargetGroup(
            serde_json::from_value(
                json!({"target_type": "instance", "health_check": {"enabled": true}, "attributes": {}, "tags": {}}),
            )
            .unwrap(),
        )
    }

    fn live() -> LiveState {
        let lb = Live {
            address: Address::new(Kind::LoadBalancer, "edge"),
            id: "arn:lb".into(),
            name: "s-edge".into(),
            attrs: Attrs::LoadBalancer(
                serde_json::from_value(json!({
                    "type": "application", "subnets": [], "ip_address_type": "ipv4", "attributes": {}, "tags": {},
                    "dns_name": "edge.example"
                }))
                .unwrap(),
            ),
        };
        let api = Live {
            address: Address::new(Kind::TargetGroup, "api"),
            id: "arn:api".into(),
            name: "s-api".into(),
            attrs: group(),
        };
        let web = Live {
            address: Address::new(Kind::TargetGroup, "web"),
            id: "arn:web".into(),
            name: "s-web".into(),
            attrs: group(),
        };
        LiveState { resources: vec![lb, api, web], conflicts: vec![] }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan { stack: "s".into(), changes, conflicts: vec![], warnings: vec![], outputs: vec![] }
    }

    fn published(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Each attribute `output_attributes` lets a stack name has a value once its resource is read.
    #[test]
    fn every_attribute_an_output_may_name_is_read() {
        use crate::attrs::sample;
        use crate::stack_format::model::{Output, output_attributes};
        let mut s = stack();
        s.outputs.clear();
        let mut resources = Vec::new();
        for &kind in Kind::ALL {
            let (id, fields) = match kind {
                Kind::LoadBalancer => (
                    "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1",
                    json!({"dns_name": "x.elb.amazonaws.com", "canonical_zone": "Z35SXDOTRQ7X7K"}),
                ),
                Kind::TargetGroup => ("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1", json!({})),
                Kind::SecurityGroup => ("sg-1", json!({"arn": "arn:aws:ec2:us-east-1:1:security-group/sg-1"})),
                _ if output_attributes(kind).contains(&"arn") => ("arn:aws:service:us-east-1:1:x", json!({})),
                _ => ("x-1", json!({})),
            };
            let key = format!("{}-x", kind.as_str());
            resources.push(Live {
                address: Address::new(kind, &key),
                id: id.into(),
                name: "s-x".into(),
                attrs: sample::attrs(kind, fields),
            });
            for attribute in output_attributes(kind) {
                let value = format!("{}.{key}.{attribute}", kind.as_str());
                s.outputs.insert(value.clone(), Output { value, description: None });
            }
        }
        let read = values(&s, &LiveState { resources, conflicts: vec![] });
        let unread: Vec<&str> = read.iter().filter(|o| o.value.is_none()).map(|o| o.name.as_str()).collect();
        assert!(unread.is_empty(), "no value for {unread:?}");
        assert!(read.len() > 40, "every kind's attributes are asked: {}", read.len());
    }

    #[test]
    fn published_outputs_that_match_plan_nothing() {
        let p = plan(vec![change(Kind::LoadBalancer, "edge", Action::Update, "s-edge")]);
        let now = published(&[("dns", "edge.example"), ("api_name", "s-api"), ("web_arn", "arn:web")]);
        assert_eq!(changes(&stack(), &p, &live(), Some(&now), false), vec![]);
    }

    #[test]
    fn an_output_added_changed_or_removed_is_planned() {
        let now = published(&[("dns", "old.example"), ("gone", "x")]);
        let p = plan(vec![change(Kind::TargetGroup, "web", Action::CreateDelete, "s-web-1a2b3c4")]);
        let out = changes(&stack(), &p, &live(), Some(&now), false);
        let row = |name: &str| out.iter().find(|c| c.name == name).cloned().unwrap();
        assert_eq!(row("dns").after.as_deref(), Some("edge.example"));
        assert_eq!(
            row("api_name"),
            OutputChange {
                name: "api_name".into(),
                before: None,
                after: Some("s-api".into()),
                known_after_apply: false
            }
        );
        assert!(row("web_arn").known_after_apply, "a replaced resource's ARN is known after apply");
        assert_eq!(row("gone").after, None);
        // A replacement's name is chosen by the plan.
        let p = plan(vec![change(Kind::TargetGroup, "api", Action::CreateDelete, "s-api-9f8e7d6")]);
        let out = changes(&stack(), &p, &live(), Some(&now), false);
        assert_eq!(out.iter().find(|c| c.name == "api_name").unwrap().after.as_deref(), Some("s-api-9f8e7d6"));
    }

    #[test]
    fn destroy_removes_every_published_output() {
        let now = published(&[("dns", "edge.example")]);
        let out = changes(&stack(), &plan(vec![]), &live(), Some(&now), true);
        assert_eq!(
            out,
            vec![OutputChange {
                name: "dns".into(),
                before: Some("edge.example".into()),
                after: None,
                known_after_apply: false
            }]
        );
        assert_eq!(changes(&stack(), &plan(vec![]), &live(), None, true), vec![]);
    }
}
