//! CloudWatch metric alarms: listed by the stack's `<stack>-` name prefix, owned by tag.

use super::{Clients, err, read_err, skip_gone};
use crate::attrs::cloudwatch::{AlarmAttrs, CompositeAlarmAttrs, Dimension, Query};
use crate::attrs::{RefOrId, TagMap, set_of};
use crate::ownership::names;
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::{Address, Attrs, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, MetricAlarm};
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// A metric or composite alarm, as one listing returns both.
enum Found<'a> {
    Metric(&'a MetricAlarm),
    Composite(&'a CompositeAlarm),
}

impl Found<'_> {
    fn name(&self) -> &str {
        match self {
            Found::Metric(a) => a.alarm_name().unwrap_or_default(),
            Found::Composite(a) => a.alarm_name().unwrap_or_default(),
        }
    }
    fn arn(&self) -> &str {
        match self {
            Found::Metric(a) => a.alarm_arn().unwrap_or_default(),
            Found::Composite(a) => a.alarm_arn().unwrap_or_default(),
        }
    }
    fn kind(&self) -> Kind {
        match self {
            Found::Metric(_) => Kind::Alarm,
            Found::Composite(_) => Kind::CompositeAlarm,
        }
    }
    fn attrs(&self, tags: TagMap) -> Attrs {
        match self {
            Found::Metric(a) => alarm_attrs(a, tags).into(),
            Found::Composite(a) => composite_attrs(a, tags),
        }
    }
}

pub async fn read(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    // Metric and composite alarms, every page.
    let alarms = |req: aws_sdk_cloudwatch::operation::describe_alarms::builders::DescribeAlarmsFluentBuilder| {
        req.alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
    };
    let prefix = format!("{}-", stack.stack);
    // Alarms kept under names of their own (`name:`, adopted) are not under the prefix: asked
    // for by name, a hundred per call, beside the listing.
    let given: Vec<String> = stack
        .alarms
        .values()
        .filter_map(|a| a.name.clone())
        .chain(stack.composite_alarms.values().filter_map(|c| c.name.clone()))
        .filter(|n| !n.starts_with(&prefix))
        .collect();
    let listed = alarms(clients.cloudwatch.describe_alarms().alarm_name_prefix(&prefix));
    let by_name = try_join_all(
        given
            .chunks(100)
            .map(|names| alarms(clients.cloudwatch.describe_alarms().set_alarm_names(Some(names.to_vec())))),
    );
    let (listed, by_name) = tokio::join!(listed, by_name);
    let listed = listed.map_err(|e| err("listing alarms", e))?;
    let by_name = by_name.map_err(|e| err("reading alarms by name", e))?;
    let pages: Vec<_> = listed.into_iter().chain(by_name.into_iter().flatten()).collect();
    let mut found: Vec<Found> = Vec::new();
    for page in &pages {
        found.extend(page.metric_alarms().iter().map(Found::Metric));
        found.extend(page.composite_alarms().iter().map(Found::Composite));
    }
    // An endpoint may repeat an alarm on every page (the emulator does for composites).
    let mut seen = std::collections::HashSet::new();
    found.retain(|a| seen.insert(a.arn().to_string()));
    // The prefix also matches other stacks (`shop-` and `shop-green-`): tags decide.
    let tagged = try_join_all(found.iter().map(|a| async move {
        let arn = a.arn();
        let out = clients
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| read_err(&format!("reading tags of alarm {arn}"), e));
        Ok::<_, anyhow::Error>(skip_gone(out)?.map(|o| (a, o.tags().to_vec())))
    }))
    .await?;
    let wanted: BTreeMap<String, Address> = stack
        .alarms
        .keys()
        .map(|k| Address::new(Kind::Alarm, k))
        .chain(stack.composite_alarms.keys().map(|k| Address::new(Kind::CompositeAlarm, k)))
        .map(|a| (names::given(stack, a.kind, &a.key), a))
        .collect();
    let mut live = Vec::new();
    let mut conflicts = Vec::new();
    for (a, tags) in tagged.into_iter().flatten() {
        let tag = |k: &str| tags.iter().find(|t| t.key() == Some(k)).and_then(|t| t.value());
        let name = a.name();
        let owner = tag(OWNER_STACK_TAG);
        let ours =
            (owner == Some(stack.stack.as_str())).then(|| tag(OWNER_ADDRESS_TAG).and_then(Address::parse)).flatten();
        // An untagged alarm with a name the stack uses is a conflict, unless the plan adopts it.
        let claimed = wanted.get(name).filter(|w| w.kind == a.kind()).cloned();
        let address = ours.or_else(|| claimed.clone().filter(|c| owner.is_none() && adopt.wants(c)));
        if let Some(address) = address {
            let tag_map = super::tags_of(tags.iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))));
            live.push(Live { address, id: a.arn().to_string(), name: name.to_string(), attrs: a.attrs(tag_map) });
        } else if let Some(address) = claimed {
            conflicts.push(Conflict {
                reason: super::ec2::adoptable_reason(owner, &address),
                address,
                name: name.to_string(),
                id: a.arn().to_string(),
            });
        }
    }
    Ok((live, conflicts))
}

/// Literal values: the link step (`super::autoscaling::link`) makes references of the stack's own.
fn ids(v: &[String]) -> Vec<RefOrId> {
    set_of(v.iter().map(|x| RefOrId::Id(x.clone())).collect())
}

fn dimensions(dims: &[aws_sdk_cloudwatch::types::Dimension]) -> Vec<Dimension> {
    set_of(
        dims.iter()
            .map(|d| Dimension {
                name: d.name().unwrap_or_default().into(),
                value: RefOrId::Id(d.value().unwrap_or_default().into()),
            })
            .collect(),
    )
}

fn composite_attrs(a: &CompositeAlarm, tags: TagMap) -> Attrs {
    CompositeAlarmAttrs {
        rule: a.alarm_rule().unwrap_or_default().into(),
        actions: ids(a.alarm_actions()),
        ok_actions: ids(a.ok_actions()),
        insufficient_data_actions: ids(a.insufficient_data_actions()),
        description: a.alarm_description().unwrap_or_default().into(),
        tags,
        state: a.state_value().map(|s| s.as_str().to_string()),
    }
    .into()
}

/// A metric alarm as its struct, from its description and tags: the plan's reader, and import's.
pub fn alarm_attrs(a: &MetricAlarm, tags: TagMap) -> AlarmAttrs {
    let statistic =
        a.extended_statistic().map(str::to_string).or_else(|| a.statistic().map(|s| s.as_str().to_string()));
    let evaluation = a.evaluation_periods();
    let mut queries: Vec<Query> = a
        .metrics()
        .iter()
        .map(|q| {
            let mut query = Query {
                id: q.id().unwrap_or_default().into(),
                expression: None,
                namespace: None,
                metric: None,
                dimensions: None,
                statistic: None,
                period: None,
                returned: q.return_data().unwrap_or(true),
            };
            match q.metric_stat() {
                Some(stat) => {
                    let metric = stat.metric();
                    query.namespace = metric.and_then(|m| m.namespace()).map(str::to_string);
                    query.metric = metric.and_then(|m| m.metric_name()).map(str::to_string);
                    query.dimensions = Some(dimensions(metric.map(|m| m.dimensions()).unwrap_or_default()));
                    query.statistic = stat.stat().map(str::to_string);
                    query.period = stat.period().map(i64::from);
                }
                None => query.expression = q.expression().map(str::to_string),
            }
            query
        })
        .collect();
    queries.sort_by(|x, y| x.id.cmp(&y.id));
    AlarmAttrs {
        namespace: a.namespace().map(str::to_string),
        metric: a.metric_name().map(str::to_string),
        statistic,
        dimensions: dimensions(a.dimensions()),
        period: a.period().map(i64::from),
        queries,
        threshold_metric: a.threshold_metric_id().map(str::to_string),
        evaluation_periods: evaluation.map(i64::from).unwrap_or_default(),
        datapoints_to_alarm: a.datapoints_to_alarm().or(evaluation).map(i64::from),
        threshold: a.threshold(),
        comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
        missing_data: a.treat_missing_data().unwrap_or("missing").into(),
        actions: ids(a.alarm_actions()),
        ok_actions: ids(a.ok_actions()),
        insufficient_data_actions: ids(a.insufficient_data_actions()),
        description: a.alarm_description().unwrap_or_default().into(),
        unit: a.unit().map(|u| u.as_str().to_string()),
        tags,
        state: a.state_value().map(|s| s.as_str().to_string()),
    }
}
