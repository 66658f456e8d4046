//! SNS topics: created with their tags in one call, then their subscriptions; an update sets the
//! display name, the tags and the subscriptions that differ.

use super::{StepContext, tag_diff};
use crate::live::err;
use crate::plan::Change;
use aws_sdk_sns::types::Tag;
use serde_json::Value;

/// A subscription as the plan holds it: `protocol endpoint`, the endpoint as shown (a URL's
/// path is masked, see `plan::desired::shown_endpoint`).
fn subscription_key(s: &Value) -> String {
    format!("{} {}", s["protocol"].as_str().unwrap_or_default(), s["endpoint"].as_str().unwrap_or_default())
}

fn subscriptions(v: Option<&Value>) -> Vec<String> {
    v.and_then(|v| v["subscriptions"].as_array()).into_iter().flatten().map(subscription_key).collect()
}

pub async fn create_topic(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after.as_ref().expect("desired attributes");
    let tags = a["tags"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build())
        .collect::<Result<Vec<_>, _>>()?;
    let mut req = sc.clients.sns.create_topic().name(&c.name).set_tags(Some(tags));
    if let Some(display) = a["display_name"].as_str().filter(|d| !d.is_empty()) {
        req = req.attributes("DisplayName", display);
    }
    let out = req.send().await.map_err(|e| err(&format!("creating SNS topic {}", c.name), e))?;
    let arn = out.topic_arn().ok_or_else(|| anyhow::anyhow!("SNS returned no ARN for topic {}", c.name))?.to_string();
    sc.ids.set(&c.address, arn.clone());
    subscribe(sc, c, &arn, &subscriptions(c.after.as_ref())).await
}

pub async fn update_topic(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let after = c.after.as_ref().expect("desired attributes");
    let before = c.before.as_ref();
    let sns = &sc.clients.sns;
    if before.map(|b| &b["display_name"]) != Some(&after["display_name"]) {
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("DisplayName")
            .attribute_value(after["display_name"].as_str().unwrap_or_default())
            .send()
            .await
            .map_err(|e| err("setting the topic's display name", e))?;
    }
    let (add, remove) = tag_diff(&after["tags"], before.map(|b| &b["tags"]));
    if !remove.is_empty() {
        sns.untag_resource().resource_arn(&arn).set_tag_keys(Some(remove)).send().await.map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let tags = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
        sns.tag_resource().resource_arn(&arn).set_tags(Some(tags)).send().await.map_err(|e| err("tagging", e))?;
    }
    let (want, have) = (subscriptions(Some(after)), subscriptions(before));
    let new: Vec<String> = want.iter().filter(|s| !have.contains(s)).cloned().collect();
    subscribe(sc, c, &arn, &new).await?;
    // Subscriptions by `protocol endpoint`, as the reader found them. A pending one has no ARN
    // yet and cannot be removed: AWS lets it expire.
    let arns = before.and_then(|b| b["subscription_arns"].as_object());
    for gone in have.iter().filter(|s| !want.contains(s)) {
        let Some(sub) = arns.and_then(|m| m.get(gone)).and_then(Value::as_str).filter(|a| a.starts_with("arn:")) else { continue };
        sns.unsubscribe().subscription_arn(sub).send().await.map_err(|e| err(&format!("unsubscribing {gone}"), e))?;
    }
    Ok(())
}

/// Subscribes each `protocol endpoint`, with the real endpoint the plan carries as an apply input.
async fn subscribe(sc: &StepContext, c: &Change, arn: &str, list: &[String]) -> anyhow::Result<()> {
    let real = c.inputs.get("endpoints").and_then(Value::as_object);
    for s in list {
        let (protocol, shown) = s.split_once(' ').unwrap_or((s, ""));
        let endpoint = real.and_then(|m| m.get(shown)).and_then(Value::as_str).unwrap_or(shown);
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
    sc.clients.sns.delete_topic().topic_arn(&arn).send().await.map_err(|e| err(&format!("deleting SNS topic {}", c.name), e))?;
    Ok(())
}
