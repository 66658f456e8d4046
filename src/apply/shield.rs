//! Shield Advanced protections of load balancers: created with the stack's tags, retagged in
//! place, deleted by their id (the tail of their ARN).

use super::{StepContext, tags_changed};
use crate::attrs::TagMap;
use crate::attrs::shield::ShieldProtectionAttrs;
use crate::aws_error::err;
use crate::plan::Change;
use aws_sdk_shield::types::Tag;

fn tags(tags: &TagMap) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

pub async fn create_protection(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<ShieldProtectionAttrs>()?;
    let lb = sc.ids.id_of_ref(&a.load_balancer)?;
    let lb = lb.as_str();
    let out = sc
        .clients
        .shield
        .create_protection()
        .name(&c.name)
        .resource_arn(lb)
        .set_tags(Some(tags(&a.tags)))
        .send()
        .await
        .map_err(|e| err(&format!("protecting {lb} with Shield Advanced"), e))?;
    sc.ids.set(&c.address, out.protection_id().unwrap_or_default().to_string());
    Ok(())
}

pub async fn update_protection(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let before = c.before_as::<ShieldProtectionAttrs>()?;
    let arn = before.as_ref().and_then(|b| b.arn.clone()).ok_or_else(|| anyhow::anyhow!("{} has no ARN", c.address))?;
    let after = c.after_as::<ShieldProtectionAttrs>()?;
    let (add, remove) = tags_changed(&after.tags, before.as_ref().map(|b| &b.tags));
    let shield = &sc.clients.shield;
    if !remove.is_empty() {
        shield
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        shield.tag_resource().resource_arn(&arn).set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

pub async fn delete_protection(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let id = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    sc.clients
        .shield
        .delete_protection()
        .protection_id(&id)
        .send()
        .await
        .map_err(|e| err(&format!("removing Shield Advanced protection {}", c.name), e))?;
    Ok(())
}
