//! Security groups: created empty and tagged in the same call, then their rules synchronised once
//! every group exists (groups of a stack may reference each other).

use super::{StepContext, id, set_diff, tag_diff};
use crate::live::err;
use crate::plan::Change;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use serde_json::Value;
use std::time::Duration;

/// EC2 tags from an attribute map's `tags` (security groups, launch templates).
pub(super) fn tags(v: &Value) -> Vec<Tag> {
    v.as_object().into_iter().flatten().map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build()).collect()
}

pub async fn create_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let after = c.after.as_ref().expect("a create has desired attributes");
    let out = sc
        .clients
        .ec2
        .create_security_group()
        .group_name(&c.name)
        .description(after["description"].as_str().unwrap_or_default())
        .vpc_id(after["vpc"].as_str().unwrap_or_default())
        .tag_specifications(TagSpecification::builder().resource_type(ResourceType::SecurityGroup).set_tags(Some(tags(&after["tags"]))).build())
        .send()
        .await
        .map_err(|e| err(&format!("creating security group {}", c.name), e))?;
    sc.ids.set(&c.address, out.group_id().unwrap_or_default().to_string());
    Ok(())
}

/// Make the group's rules match. `fresh`: the group was just created with AWS's default egress.
pub async fn sync_rules(sc: &StepContext, c: &Change, fresh: bool) -> anyhow::Result<()> {
    let group = id(sc, c)?;
    let after = c.after.as_ref().expect("desired attributes");
    let before = if fresh { None } else { c.before.as_ref() };
    for direction in ["ingress", "egress"] {
        let want = sc.ids.resolve(&after[direction])?;
        let have = match before {
            Some(b) => sc.ids.resolve_before(&b[direction])?,
            // A new group starts with one rule: all outbound traffic allowed.
            None if direction == "egress" => serde_json::json!([{"protocol": "all", "from": 0, "to": 65535, "source": "cidr:0.0.0.0/0", "description": ""}]),
            None => Value::Array(vec![]),
        };
        let (add, remove) = set_diff(want.as_array().map(Vec::as_slice).unwrap_or_default(), have.as_array().map(Vec::as_slice).unwrap_or_default());
        if !remove.is_empty() {
            let perms: Vec<IpPermission> = remove.iter().map(permission).collect();
            let r = if direction == "ingress" {
                sc.clients
                    .ec2
                    .revoke_security_group_ingress()
                    .group_id(&group)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| err("revoking ingress", e))
            } else {
                sc.clients
                    .ec2
                    .revoke_security_group_egress()
                    .group_id(&group)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| err("revoking egress", e))
            };
            r?;
        }
        if !add.is_empty() {
            let perms: Vec<IpPermission> = add.iter().map(permission).collect();
            let r = if direction == "ingress" {
                sc.clients
                    .ec2
                    .authorize_security_group_ingress()
                    .group_id(&group)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| err("authorizing ingress", e))
            } else {
                sc.clients
                    .ec2
                    .authorize_security_group_egress()
                    .group_id(&group)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| err("authorizing egress", e))
            };
            r?;
        }
    }
    Ok(())
}

pub async fn update_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = id(sc, c)?;
    sync_rules(sc, c, false).await?;
    let after = c.after.as_ref().expect("desired attributes");
    let (add, remove) = tag_diff(&after["tags"], c.before.as_ref().map(|b| &b["tags"]));
    if !remove.is_empty() {
        sc.clients
            .ec2
            .delete_tags()
            .resources(&group)
            .set_tags(Some(remove.iter().map(|k| Tag::builder().key(k).build()).collect()))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        sc.clients
            .ec2
            .create_tags()
            .resources(&group)
            .set_tags(Some(add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()))
            .send()
            .await
            .map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

/// Revoke every rule of a group about to be deleted (see Op::ClearRules).
pub async fn clear_rules(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let before = sc.ids.resolve_before(c.before.as_ref().expect("live attributes"))?;
    let perms = |direction: &str| -> Option<Vec<IpPermission>> {
        let list: Vec<IpPermission> = before[direction].as_array().into_iter().flatten().map(permission).collect();
        (!list.is_empty()).then_some(list)
    };
    if let Some(p) = perms("ingress") {
        sc.clients.ec2.revoke_security_group_ingress().group_id(&group).set_ip_permissions(Some(p)).send().await.map_err(|e| err("revoking ingress", e))?;
    }
    if let Some(p) = perms("egress") {
        sc.clients.ec2.revoke_security_group_egress().group_id(&group).set_ip_permissions(Some(p)).send().await.map_err(|e| err("revoking egress", e))?;
    }
    Ok(())
}

/// Deleting right after a load balancer goes can fail while its network interfaces linger:
/// retry DependencyViolation for a while, naming the cause if it persists.
pub async fn delete_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let mut delay = Duration::from_secs(2);
    for attempt in 0..12 {
        match sc.clients.ec2.delete_security_group().group_id(&group).send().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or_default().to_string();
                if code == "InvalidGroup.NotFound" {
                    return Ok(());
                }
                if code != "DependencyViolation" || attempt == 11 {
                    return Err(err(&format!("deleting security group {group}"), e));
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
    unreachable!("the loop returns")
}

/// One normalised permission (`{protocol, from, to, source, description}`) as the API's type.
fn permission(p: &Value) -> IpPermission {
    let proto = p["protocol"].as_str().unwrap_or("tcp");
    let mut b = IpPermission::builder().ip_protocol(if proto == "all" { "-1" } else { proto });
    if proto != "all" {
        b = b.from_port(p["from"].as_i64().unwrap_or(0) as i32).to_port(p["to"].as_i64().unwrap_or(0) as i32);
    }
    let description = p["description"].as_str().filter(|d| !d.is_empty());
    let source = p["source"].as_str().unwrap_or_default();
    if let Some(cidr) = source.strip_prefix("cidr:") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description.map(str::to_string)).build());
    } else if let Some(cidr) = source.strip_prefix("cidr6:") {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).set_description(description.map(str::to_string)).build());
    } else {
        b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(source).set_description(description.map(str::to_string)).build());
    }
    b.build()
}
