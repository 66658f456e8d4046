//! SNS topics: created with their tags in one call, then their subscriptions; an update sets the
//! display name, the tags and the subscriptions that differ.

use super::{StepContext, tags_changed};
use crate::attrs::sns::{Subscription, TopicAttrs};
use crate::aws_error::err;
use crate::plan::Change;
use aws_sdk_sns::types::Tag;

fn subscriptions(a: Option<&TopicAttrs>) -> Vec<String> {
    a.map(|a| a.subscriptions.iter().map(Subscription::key).collect()).unwrap_or_default()
}

pub async fn create_topic(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<TopicAttrs>()?;
    let tags = a.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
    let mut req = sc.clients.sns.create_topic().name(&c.name).set_tags(Some(tags));
    if !a.display_name.is_empty() {
        req = req.attributes("DisplayName", &a.display_name);
    }
    let out = req.send().await.map_err(|e| err(&format!("creating SNS topic {}", c.name), e))?;
    let arn = out.topic_arn().ok_or_else(|| anyhow::anyhow!("SNS returned no ARN for topic {}", c.name))?.to_string();
    sc.ids.set(&c.address, arn.clone());
    subscribe(sc, &arn, &subscriptions(Some(&a))).await
}

pub async fn update_topic(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let after = c.after_as::<TopicAttrs>()?;
    let before = c.before_as::<TopicAttrs>()?;
    let sns = &sc.clients.sns;
    if before.as_ref().map(|b| &b.display_name) != Some(&after.display_name) {
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("DisplayName")
            .attribute_value(&after.display_name)
            .send()
            .await
            .map_err(|e| err("setting the topic's display name", e))?;
    }
    let (add, remove) = tags_changed(&after.tags, before.as_ref().map(|b| &b.tags));
    if !remove.is_empty() {
        sns.untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let tags =
            add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
        sns.tag_resource().resource_arn(&arn).set_tags(Some(tags)).send().await.map_err(|e| err("tagging", e))?;
    }
    let (want, have) = (subscriptions(Some(&after)), subscriptions(before.as_ref()));
    let new: Vec<String> = want.iter().filter(|s| !have.contains(s)).cloned().collect();
    subscribe(sc, &arn, &new).await?;
    // Subscriptions by `protocol endpoint`, as the reader found them. A pending one has no ARN
    // yet and cannot be removed: AWS lets it expire.
    let arns = before.and_then(|b| b.subscription_arns).unwrap_or_default();
    for gone in have.iter().filter(|s| !want.contains(s)) {
        let Some(sub) = arns.get(gone).filter(|a| a.starts_with("arn:")) else { continue };
        sns.unsubscribe().subscription_arn(sub).send().await.map_err(|e| err(&format!("unsubscribing {gone}"), e))?;
    }
    Ok(())
}

/// Subscribes each `protocol endpoint`: an endpoint the plan shows as a hash is the one the stack
/// gives now (read again from its source, never carried in the plan).
async fn subscribe(sc: &StepContext, arn: &str, list: &[String]) -> anyhow::Result<()> {
    for s in list {
        let (protocol, shown) = s.split_once(' ').unwrap_or((s, ""));
        let endpoint = match sc.endpoints.get(shown) {
            Some(real) => real.as_str(),
            None if crate::ownership::is_hashed_endpoint(shown) => {
                anyhow::bail!(
                    "the {protocol} endpoint shown as `{shown}` is no longer what the stack gives (its source changed or cannot be read); run plan again"
                )
            }
            None => shown,
        };
        sc.clients
            .sns
            .subscribe()
            .topic_arn(arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| err(&format!("subscribing a {protocol} endpoint"), e))?;
    }
    Ok(())
}

pub async fn delete_topic(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    // Deleting a topic deletes its subscriptions too.
    sc.clients
        .sns
        .delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .map_err(|e| err(&format!("deleting SNS topic {}", c.name), e))?;
    Ok(())
}
