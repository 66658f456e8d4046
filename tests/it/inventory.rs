//! What the emulator holds for a stack, read straight from the APIs (not through lbstack's
//! readers): every resource whose name carries the stack's prefix or whose tags name the stack,
//! with its tags, so tests can assert there is no duplicate and nothing untagged.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub tags: BTreeMap<String, String>,
}

impl Item {
    pub fn owner(&self) -> Option<&str> {
        self.tags.get("lbstack:stack").map(String::as_str)
    }
    pub fn address(&self) -> Option<&str> {
        self.tags.get("lbstack:address").map(String::as_str)
    }
}

fn map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub async fn of(c: &lbstack::live::Clients, stack: &str) -> Vec<Item> {
    let prefix = format!("{stack}-");
    let mut out = Vec::new();
    // Load balancers, target groups, listeners and rules.
    let lbs =
        c.elbv2.describe_load_balancers().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    let tgs =
        c.elbv2.describe_target_groups().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    // Other tests run beside this one: only what carries the stack's name is read further.
    let lbs: Vec<_> = lbs.into_iter().filter(|l| l.load_balancer_name().unwrap().starts_with(&prefix)).collect();
    let mut arns: Vec<(&'static str, String, String)> = Vec::new();
    for lb in &lbs {
        arns.push((
            "load_balancer",
            lb.load_balancer_name().unwrap().to_string(),
            lb.load_balancer_arn().unwrap().to_string(),
        ));
    }
    for tg in tgs.iter().filter(|t| t.target_group_name().unwrap().starts_with(&prefix)) {
        arns.push((
            "target_group",
            tg.target_group_name().unwrap().to_string(),
            tg.target_group_arn().unwrap().to_string(),
        ));
    }
    let mut listener_arns = Vec::new();
    for lb in &lbs {
        let listeners =
            c.elbv2.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await.unwrap();
        for l in listeners.listeners() {
            let listener = format!("{}:{}", lb.load_balancer_name().unwrap(), l.port().unwrap_or(0));
            arns.push(("listener", listener.clone(), l.listener_arn().unwrap().to_string()));
            listener_arns.push((listener, l.listener_arn().unwrap().to_string()));
        }
    }
    for (listener, l) in &listener_arns {
        let mut marker = None;
        loop {
            let rules = c.elbv2.describe_rules().listener_arn(l).set_marker(marker).send().await.unwrap();
            for r in rules.rules().iter().filter(|r| r.is_default() != Some(true)) {
                arns.push((
                    "rule",
                    format!("{listener}#{}", r.priority().unwrap_or_default()),
                    r.rule_arn().unwrap().to_string(),
                ));
            }
            marker = rules.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
    }
    let mut tags: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for chunk in arns.iter().map(|(_, _, a)| a.clone()).collect::<Vec<_>>().chunks(20) {
        let out = c.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.unwrap();
        for d in out.tag_descriptions() {
            tags.insert(
                d.resource_arn().unwrap().to_string(),
                map(d.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap_or_default()))),
            );
        }
    }
    let lb_of_ours: Vec<String> = lbs
        .iter()
        .filter(|l| l.load_balancer_name().unwrap().starts_with(&prefix))
        .map(|l| l.load_balancer_name().unwrap().to_string())
        .collect();
    for (kind, name, arn) in arns {
        let t = tags.remove(&arn).unwrap_or_default();
        let ours_by_name = match kind {
            "listener" | "rule" => {
                lb_of_ours.iter().any(|lb| name.starts_with(&format!("{lb}:")) || name.starts_with(&format!("{lb}#")))
            }
            _ => name.starts_with(&prefix),
        };
        if ours_by_name || t.get("lbstack:stack").map(String::as_str) == Some(stack) {
            out.push(Item { kind, name, id: arn, tags: t });
        }
    }
    // Security groups and launch templates.
    let sgs =
        c.ec2.describe_security_groups().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    for g in sgs {
        let t = map(g.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap_or_default())));
        if g.group_name().unwrap_or_default().starts_with(&prefix)
            || t.get("lbstack:stack").map(String::as_str) == Some(stack)
        {
            out.push(Item {
                kind: "security_group",
                name: g.group_name().unwrap().to_string(),
                id: g.group_id().unwrap().to_string(),
                tags: t,
            });
        }
    }
    let lts =
        c.ec2.describe_launch_templates().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    for lt in lts {
        let t = map(lt.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap_or_default())));
        if lt.launch_template_name().unwrap_or_default().starts_with(&prefix)
            || t.get("lbstack:stack").map(String::as_str) == Some(stack)
        {
            out.push(Item {
                kind: "launch_template",
                name: lt.launch_template_name().unwrap().to_string(),
                id: lt.launch_template_id().unwrap().to_string(),
                tags: t,
            });
        }
    }
    // Auto-scaling groups with their policies and scheduled actions.
    let groups = c
        .autoscaling
        .describe_auto_scaling_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    for g in groups {
        let name = g.auto_scaling_group_name().unwrap().to_string();
        let t = map(g.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap_or_default())));
        if !(name.starts_with(&prefix) || t.get("lbstack:stack").map(String::as_str) == Some(stack)) {
            continue;
        }
        let policies = c.autoscaling.describe_policies().auto_scaling_group_name(&name).send().await.unwrap();
        for p in policies.scaling_policies() {
            out.push(Item {
                kind: "scaling_policy",
                name: p.policy_name().unwrap().to_string(),
                id: p.policy_arn().unwrap_or_default().to_string(),
                tags: t.clone(),
            });
        }
        let schedules = c.autoscaling.describe_scheduled_actions().auto_scaling_group_name(&name).send().await.unwrap();
        for a in schedules.scheduled_update_group_actions() {
            out.push(Item {
                kind: "scheduled_action",
                name: a.scheduled_action_name().unwrap().to_string(),
                id: a.scheduled_action_name().unwrap().to_string(),
                tags: t.clone(),
            });
        }
        out.push(Item { kind: "autoscaling_group", id: name.clone(), name, tags: t });
    }
    // Certificates (no names: by tag only), WAF, alarms.
    let certs = c.acm.list_certificates().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    for cert in certs {
        let arn = cert.certificate_arn().unwrap();
        // Certificates have no name: read every one's tags, skipping those deleted meanwhile.
        let Ok(t) = c.acm.list_tags_for_certificate().certificate_arn(arn).send().await else { continue };
        let t = map(t.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())));
        if t.get("lbstack:stack").map(String::as_str) == Some(stack) {
            out.push(Item {
                kind: "certificate",
                name: cert.domain_name().unwrap_or_default().to_string(),
                id: arn.to_string(),
                tags: t,
            });
        }
    }
    for (kind, ip_sets) in [("ip_set", true), ("web_acl", false)] {
        for (name, arn) in
            lbstack::live::wafv2::list(c, ip_sets).await.unwrap().into_iter().filter(|(n, _)| n.starts_with(&prefix))
        {
            let t = c.wafv2.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
            let t = map(t
                .tag_info_for_resource()
                .map(|i| i.tag_list().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>())
                .unwrap_or_default());
            if name.starts_with(&prefix) || t.get("lbstack:stack").map(String::as_str) == Some(stack) {
                out.push(Item { kind, name, id: arn, tags: t });
            }
        }
    }
    let alarms = c.cloudwatch.describe_alarms().alarm_name_prefix(&prefix).send().await.unwrap();
    for a in alarms.metric_alarms() {
        let arn = a.alarm_arn().unwrap();
        let t = c.cloudwatch.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
        let t = map(t.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))));
        out.push(Item { kind: "alarm", name: a.alarm_name().unwrap().to_string(), id: arn.to_string(), tags: t });
    }
    out
}

/// Asserts every resource of the stack is tagged as the stack's, and no two share an address.
/// Policies, scheduled actions, listeners and rules are checked by name (they carry the group's
/// tags here, or none).
pub fn assert_clean(items: &[Item], stack: &str) {
    let mut seen: BTreeMap<(String, String), &Item> = BTreeMap::new();
    for i in items {
        match i.kind {
            "scaling_policy" | "scheduled_action" | "listener" | "rule" => {
                if let Some(prev) = seen.insert((i.kind.to_string(), i.name.clone()), i) {
                    panic!("two {}s named {}: {} and {}", i.kind, i.name, prev.id, i.id);
                }
            }
            _ => {
                assert_eq!(
                    i.owner(),
                    Some(stack),
                    "{} {} ({}) lacks the stack's tags: {:?}",
                    i.kind,
                    i.name,
                    i.id,
                    i.tags
                );
                let address =
                    i.address().unwrap_or_else(|| panic!("{} {} has no address tag", i.kind, i.name)).to_string();
                if let Some(prev) = seen.insert((i.kind.to_string(), address.clone()), i) {
                    panic!("two resources carry {address}: {} and {}", prev.id, i.id);
                }
            }
        }
    }
}
