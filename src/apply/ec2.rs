//! Security groups: created empty and tagged in the same call, then their rules synchronised once
//! every group exists (groups of a stack may reference each other).

use super::{StepContext, id, set_diff, tags_changed};
use crate::attrs::ec2::{Permission, SecurityGroupAttrs};
use crate::attrs::{RefOrId, TagMap};
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::plan::Change;
use crate::retry::{self, Backoff};
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};

/// EC2 tags (security groups, launch templates).
pub(super) fn tag_list(tags: &TagMap) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

pub async fn create_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let after = c.after_as::<SecurityGroupAttrs>()?;
    let vpc = after.vpc.as_str();
    let sent = sc
        .clients
        .ec2
        .create_security_group()
        .group_name(&c.name)
        .description(&after.description)
        .vpc_id(vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(tag_list(&after.tags)))
                .build(),
        )
        .send()
        .await;
    let doing = format!("creating security group {}", c.name);
    let id = match sent {
        Ok(out) => out.group_id().unwrap_or_default().to_string(),
        // A retry of a create whose answer was lost meets the group it made: ours by its tags.
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(&doing, e);
            let found = sc
                .clients
                .ec2
                .describe_security_groups()
                .filters(Filter::builder().name("group-name").values(&c.name).build())
                .filters(Filter::builder().name("vpc-id").values(vpc).build())
                .send()
                .await
                .map_err(|e| err("looking up the security group", e))?;
            let ours = found.security_groups().iter().find(|g| {
                let t: Vec<(&str, &str)> =
                    g.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
                super::owned_by(&t, &sc.stack, &c.address)
            });
            match ours.and_then(|g| g.group_id()) {
                Some(id) => id.to_string(),
                None => return Err(failure.context("it exists without this stack's ownership tags; run plan again")),
            }
        }
        Err(e) => return Err(err(&doing, e)),
    };
    sc.ids.set(&c.address, id);
    Ok(())
}

/// Authorise or revoke permissions on a group. A batch that meets a rule already there (or
/// already gone: a retried call whose first answer was lost) is applied one rule at a time, and
/// those rules are skipped.
async fn permissions_call(
    sc: &StepContext,
    group: &str,
    direction: &str,
    grant: bool,
    perms: Vec<IpPermission>,
) -> anyhow::Result<()> {
    let send = |perms: Vec<IpPermission>| async move {
        let ec2 = &sc.clients.ec2;
        match (direction, grant) {
            ("ingress", true) => ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (class_of(&e), err("authorizing ingress", e))),
            ("ingress", false) => ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (class_of(&e), err("revoking ingress", e))),
            (_, true) => ec2
                .authorize_security_group_egress()
                .group_id(group)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (class_of(&e), err("authorizing egress", e))),
            (_, false) => ec2
                .revoke_security_group_egress()
                .group_id(group)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (class_of(&e), err("revoking egress", e))),
        }
    };
    let settled = if grant { Class::AlreadyExists } else { Class::NotFound };
    match send(perms.clone()).await {
        Ok(()) => Ok(()),
        Err((class, _)) if class == settled && perms.len() > 1 => {
            for p in perms {
                match send(vec![p]).await {
                    Err((class, e)) if class != settled => return Err(e),
                    _ => {}
                }
            }
            Ok(())
        }
        Err((class, _)) if class == settled => Ok(()),
        Err((_, e)) => Err(e),
    }
}

/// Make the group's rules match. `fresh`: the group was just created with AWS's default egress.
pub async fn sync_security_group_rules(sc: &StepContext, c: &Change, fresh: bool) -> anyhow::Result<()> {
    let group = id(sc, c)?;
    let after = c.after_as::<SecurityGroupAttrs>()?;
    let before = if fresh { None } else { c.before_as::<SecurityGroupAttrs>()? };
    for (direction, want, have) in [
        ("ingress", &after.ingress, before.as_ref().map(|b| &b.ingress)),
        // A new group starts with one rule: all outbound traffic allowed.
        ("egress", &after.egress, before.as_ref().map(|b| &b.egress)),
    ] {
        let want = resolved(want, |r| sc.ids.id_of(r))?;
        let have = match have {
            Some(have) => resolved(have, |r| sc.ids.id_before(r))?,
            None if direction == "egress" => resolved(&[Permission::all_outbound()], |r| sc.ids.id_of(r))?,
            None => Vec::new(),
        };
        let (add, remove) = set_diff(&want, &have);
        if !remove.is_empty() {
            permissions_call(sc, &group, direction, false, remove.iter().map(permission).collect()).await?;
        }
        if !add.is_empty() {
            permissions_call(sc, &group, direction, true, add.iter().map(permission).collect()).await?;
        }
    }
    Ok(())
}

/// Permissions with their sources as ids (`id` resolves a group of the stack).
fn resolved(
    perms: &[Permission],
    id: impl Fn(&RefOrId) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<Permission<String>>> {
    perms.iter().map(|p| Ok(p.with_source(id(&p.source)?))).collect()
}

pub async fn update_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = id(sc, c)?;
    sync_security_group_rules(sc, c, false).await?;
    let after = c.after_as::<SecurityGroupAttrs>()?;
    let before = c.before_as::<SecurityGroupAttrs>()?;
    let (add, remove) = tags_changed(&after.tags, before.as_ref().map(|b| &b.tags));
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
    let before =
        c.before_as::<SecurityGroupAttrs>()?.ok_or_else(|| anyhow::anyhow!("{} has no live attributes", c.address))?;
    for (direction, perms) in [("ingress", &before.ingress), ("egress", &before.egress)] {
        let perms = resolved(perms, |r| sc.ids.id_before(r))?;
        if !perms.is_empty() {
            permissions_call(sc, &group, direction, false, perms.iter().map(permission).collect()).await?;
        }
    }
    Ok(())
}

/// Deleting right after a load balancer goes can fail while its network interfaces linger:
/// retry DependencyViolation for a while, naming the cause if it persists.
pub async fn delete_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let delete = || async {
        match sc.clients.ec2.delete_security_group().group_id(&group).send().await {
            Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting security group {group}"), e)),
            _ => Ok(()),
        }
    };
    retry::retry(Backoff::LINGER, delete, retry::is(&[Class::InUse])).await
}

/// One permission, its source resolved to an id, as the API's type.
fn permission(p: &Permission<String>) -> IpPermission {
    let proto = p.protocol.as_str();
    let mut b = IpPermission::builder().ip_protocol(if proto == "all" { "-1" } else { proto });
    if proto != "all" {
        b = b.from_port(p.from as i32).to_port(p.to as i32);
    }
    let description = Some(p.description.clone()).filter(|d| !d.is_empty());
    let source = p.source.as_str();
    if let Some(cidr) = source.strip_prefix("cidr:") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description).build());
    } else if let Some(cidr) = source.strip_prefix("cidr6:") {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).set_description(description).build());
    } else {
        b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(source).set_description(description).build());
    }
    b.build()
}
