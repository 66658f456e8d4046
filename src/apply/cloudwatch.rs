//! CloudWatch metric alarms: PutMetricAlarm creates and overwrites; tags are diffed separately
//! (AWS ignores the tags of a PutMetricAlarm that updates an existing alarm).

use super::{StepContext, int, tags_changed};
use crate::attrs::TagMap;
use crate::attrs::cloudwatch::{AlarmAttrs, CompositeAlarmAttrs, Dimension, Query};
use crate::aws_error::err;
use crate::plan::{Change, Kind};
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension as CwDimension, Metric, MetricDataQuery, MetricStat, StandardUnit,
    Statistic, Tag,
};

/// CloudWatch names a load balancer `app/<name>/<id>` and a target group `targetgroup/<name>/<id>`:
/// the tails of their ARNs. Group names and literal values pass through.
fn dimension_value(v: &str) -> String {
    if let Some((_, tail)) = v.split_once(":loadbalancer/") {
        return tail.to_string();
    }
    if v.contains(":targetgroup/") {
        return v.rsplit_once(':').map_or(v, |(_, t)| t).to_string();
    }
    v.to_string()
}

fn tag_list(tags: &TagMap) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn dimension_list(sc: &StepContext, dims: &[Dimension]) -> anyhow::Result<Vec<CwDimension>> {
    dims.iter()
        .map(|d| Ok(CwDimension::builder().name(&d.name).value(dimension_value(&sc.ids.id_of(&d.value)?)).build()))
        .collect()
}

async fn put(sc: &StepContext, c: &Change, with_tags: bool) -> anyhow::Result<()> {
    let a = c.after_as::<AlarmAttrs>()?;
    let stat = a.statistic.as_deref().unwrap_or("Average");
    let percentile = stat.starts_with('p')
        || stat.starts_with("tm")
        || stat.starts_with("wm")
        || stat.starts_with("tc")
        || stat.starts_with("ts");
    let dims = dimension_list(sc, &a.dimensions)?;
    let mut req = sc
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&c.name)
        .set_namespace(a.namespace.clone())
        .set_metric_name(a.metric.clone())
        .set_dimensions((!dims.is_empty()).then_some(dims))
        .set_period(int(a.period))
        .evaluation_periods(a.evaluation_periods as i32)
        .set_datapoints_to_alarm(int(a.datapoints_to_alarm))
        .set_threshold(a.threshold)
        .set_comparison_operator(a.comparison.as_deref().map(ComparisonOperator::from))
        .treat_missing_data(&a.missing_data)
        .set_alarm_actions(Some(sc.ids.ids_of(&a.actions)?))
        .set_ok_actions(Some(sc.ids.ids_of(&a.ok_actions)?))
        .set_insufficient_data_actions(Some(sc.ids.ids_of(&a.insufficient_data_actions)?))
        .alarm_description(&a.description)
        .set_unit(a.unit.as_deref().map(StandardUnit::from))
        .actions_enabled(true);
    let queries: Vec<MetricDataQuery> = a.queries.iter().map(|q| query(sc, q)).collect::<anyhow::Result<_>>()?;
    if queries.is_empty() {
        req = if percentile { req.extended_statistic(stat) } else { req.statistic(Statistic::from(stat)) };
    } else {
        // Metric math and anomaly bands: the queries carry the metrics, periods and statistics.
        req = req.set_metrics(Some(queries)).set_threshold_metric_id(a.threshold_metric.clone());
    }
    if with_tags {
        req = req.set_tags(Some(tag_list(&a.tags)));
    }
    req.send().await.map_err(|e| err(&format!("putting alarm {}", c.name), e))?;
    Ok(())
}

/// One query of a math or anomaly alarm: an expression, or a metric with its statistic.
fn query(sc: &StepContext, q: &Query) -> anyhow::Result<MetricDataQuery> {
    let builder = MetricDataQuery::builder().id(&q.id).return_data(q.returned);
    if q.expression.is_some() {
        return Ok(builder.set_expression(q.expression.clone()).build());
    }
    let dims = dimension_list(sc, q.dimensions.as_deref().unwrap_or_default())?;
    let metric = Metric::builder()
        .set_namespace(q.namespace.clone())
        .set_metric_name(q.metric.clone())
        .set_dimensions(Some(dims))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .set_period(q.period.map(|n| n as i32))
        .set_stat(q.statistic.clone())
        .build();
    Ok(builder.metric_stat(stat).build())
}

pub async fn create_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    put(sc, c, true).await?;
    created(sc, c, AlarmType::MetricAlarm).await
}

pub async fn create_composite_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    put_composite(sc, c, true).await?;
    created(sc, c, AlarmType::CompositeAlarm).await
}

/// After a put that created an alarm: its ARN, and its tags set again on the ARN.
async fn created(sc: &StepContext, c: &Change, kind: AlarmType) -> anyhow::Result<()> {
    let out = sc
        .clients
        .cloudwatch
        .describe_alarms()
        .alarm_names(&c.name)
        .alarm_types(kind)
        .send()
        .await
        .map_err(|e| err("reading the alarm back", e))?;
    let arn = out
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_arn())
        .chain(out.composite_alarms().iter().filter_map(|a| a.alarm_arn()))
        .find(|arn| arn.ends_with(&format!(":alarm:{}", c.name)))
        .ok_or_else(|| anyhow::anyhow!("alarm {} not found after it was put", c.name))?;
    sc.ids.set(&c.address, arn.to_string());
    // Ownership lives in the tags. Some endpoints (LocalStack) drop the put's tags: set them
    // again on the ARN, which AWS takes as a no-op.
    let (tags, _) = alarm_tags(c)?;
    sc.clients
        .cloudwatch
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tag_list(&tags)))
        .send()
        .await
        .map_err(|e| err("tagging the alarm", e))?;
    Ok(())
}

pub async fn update_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    if settings_changed(c) {
        put(sc, c, false).await?;
    }
    retag(sc, c).await
}

pub async fn update_composite_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    if settings_changed(c) {
        put_composite(sc, c, false).await?;
    }
    retag(sc, c).await
}

/// Whether anything but tags changed (a put overwrites the alarm; AWS ignores its tags then).
fn settings_changed(c: &Change) -> bool {
    c.diffs.iter().any(|d| d.path != "tags" && !d.path.starts_with("tags."))
}

async fn retag(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let (want, have) = alarm_tags(c)?;
    let (add, remove) = tags_changed(&want, have.as_ref());
    if !remove.is_empty() {
        sc.clients
            .cloudwatch
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        sc.clients
            .cloudwatch
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

/// A metric or composite alarm's tags: desired, and live when it exists.
fn alarm_tags(c: &Change) -> anyhow::Result<(TagMap, Option<TagMap>)> {
    Ok(match c.address.kind {
        Kind::CompositeAlarm => {
            (c.after_as::<CompositeAlarmAttrs>()?.tags, c.before_as::<CompositeAlarmAttrs>()?.map(|b| b.tags))
        }
        _ => (c.after_as::<AlarmAttrs>()?.tags, c.before_as::<AlarmAttrs>()?.map(|b| b.tags)),
    })
}

/// PutCompositeAlarm with the rule and actions (and tags when creating).
async fn put_composite(sc: &StepContext, c: &Change, with_tags: bool) -> anyhow::Result<()> {
    let a = c.after_as::<CompositeAlarmAttrs>()?;
    let mut req = sc
        .clients
        .cloudwatch
        .put_composite_alarm()
        .alarm_name(&c.name)
        .alarm_rule(&a.rule)
        .set_alarm_actions(Some(sc.ids.ids_of(&a.actions)?))
        .set_ok_actions(Some(sc.ids.ids_of(&a.ok_actions)?))
        .set_insufficient_data_actions(Some(sc.ids.ids_of(&a.insufficient_data_actions)?))
        .alarm_description(&a.description)
        .actions_enabled(true);
    if with_tags {
        req = req.set_tags(Some(tag_list(&a.tags)));
    }
    req.send().await.map_err(|e| err(&format!("putting composite alarm {}", c.name), e))?;
    Ok(())
}

pub async fn delete_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    sc.clients
        .cloudwatch
        .delete_alarms()
        .alarm_names(&c.name)
        .send()
        .await
        .map_err(|e| err(&format!("deleting alarm {}", c.name), e))?;
    Ok(())
}
