//! SNS topics: listed, and only those whose names the stack may use have their tags read;
//! ownership is the tags. An owned topic's display name and subscriptions are read beside it.

use super::{Clients, err, read_err, skip_gone};
use crate::attrs::set_of;
use crate::attrs::sns::{Subscription, TopicAttrs};
use crate::ownership::names;
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG, shown_endpoint};
use crate::plan::{Address, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use futures_util::future::try_join_all;
use indexmap::IndexMap;
use std::collections::BTreeMap;

pub async fn read(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let topics = match clients.sns.list_topics().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(topics) => topics,
        // A stack that declares none lists them only to find ones it left behind: a role not
        // allowed to list topics, or an endpoint without SNS, has none of the stack's.
        Err(e) if stack.topics.is_empty() && super::optional_read_refused(&e) => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(err("listing SNS topics", e)),
    };
    let wanted: BTreeMap<String, &str> =
        stack.topics.keys().map(|k| (names::given(stack, Kind::Topic, k), k.as_str())).collect();
    let prefix = format!("{}-", stack.stack);
    // A topic's name is the last part of its ARN.
    let named: Vec<(String, String)> = topics
        .iter()
        .filter_map(|t| t.topic_arn())
        .filter_map(|arn| Some((arn.rsplit(':').next()?.to_string(), arn.to_string())))
        .filter(|(name, _)| name.starts_with(&prefix) || wanted.contains_key(name))
        .collect();
    let tagged = try_join_all(named.iter().map(|(name, arn)| async move {
        let out = clients
            .sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| read_err(&format!("reading tags of topic {name}"), e));
        let tags: Option<BTreeMap<String, String>> =
            skip_gone(out)?.map(|o| o.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
        anyhow::Ok(tags.map(|t| (name.as_str(), arn.as_str(), t)))
    }))
    .await?;
    let tagged: Vec<(&str, &str, BTreeMap<String, String>)> = tagged.into_iter().flatten().collect();
    let owned: Vec<(Address, &str, &str, &BTreeMap<String, String>)> = tagged
        .iter()
        .filter(|(_, _, t)| t.get(OWNER_STACK_TAG) == Some(&stack.stack))
        .filter_map(|(name, arn, t)| Some((Address::parse(t.get(OWNER_ADDRESS_TAG)?)?, *name, *arn, t)))
        .filter(|(a, ..)| a.kind == Kind::Topic)
        .collect();
    let untagged: Vec<&(&str, &str, BTreeMap<String, String>)> =
        tagged.iter().filter(|(_, _, t)| t.get(OWNER_STACK_TAG) != Some(&stack.stack)).collect();
    let (adopted, conflicts) = super::claim(stack, Kind::Topic, &wanted, adopt, &untagged, |(name, arn, t)| {
        super::Found { name, id: arn, stack: t.get(OWNER_STACK_TAG).map(String::as_str) }
    });
    let all = owned.into_iter().chain(adopted.into_iter().map(|(address, (name, arn, t))| (address, *name, *arn, t)));
    let live = try_join_all(all.map(|(address, name, arn, tags)| async move {
        skip_gone(read_topic(clients, address, name, arn, tags).await)
    }))
    .await?;
    Ok((live.into_iter().flatten().collect(), conflicts))
}

/// A topic as its struct, with its subscriptions (HTTP(S) endpoints masked): the plan's reader,
/// and import's.
pub async fn read_topic(
    clients: &Clients,
    address: Address,
    name: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<Live> {
    let attributes = clients.sns.get_topic_attributes().topic_arn(arn).send();
    let subscriptions = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>();
    let (attributes, subscriptions) = tokio::join!(attributes, subscriptions);
    let attributes = attributes.map_err(|e| read_err(&format!("reading topic {name}"), e))?;
    let subscriptions =
        subscriptions.map_err(|e| read_err(&format!("reading the subscriptions of topic {name}"), e))?;
    let mut list = Vec::new();
    let mut arns = IndexMap::new();
    for s in &subscriptions {
        let protocol = s.protocol().unwrap_or_default();
        let shown = shown_endpoint(protocol, s.endpoint().unwrap_or_default());
        arns.insert(format!("{protocol} {shown}"), s.subscription_arn().unwrap_or_default().to_string());
        list.push(Subscription { protocol: protocol.into(), endpoint: shown });
    }
    let display = attributes.attributes().and_then(|a| a.get("DisplayName")).cloned().unwrap_or_default();
    let attrs = TopicAttrs {
        display_name: display,
        subscriptions: set_of(list),
        tags: super::tags_of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        subscription_arns: Some(arns),
    }
    .into();
    Ok(Live { address, id: arn.to_string(), name: name.to_string(), attrs })
}
