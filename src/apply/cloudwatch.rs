//! CloudWatch metric alarms: PutMetricAlarm creates and overwrites; tags are diffed separately
//! (AWS ignores the tags of a PutMetricAlarm that updates an existing alarm).

use super::{StepContext, strs, tag_diff};
use crate::live::err;
use crate::plan::Change;
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StandardUnit, Statistic, Tag};
use serde_json::Value;

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

async fn put(sc: &StepContext, c: &Change, with_tags: bool) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let stat = a["statistic"].as_str().unwrap_or("Average");
    let percentile = stat.starts_with('p') || stat.starts_with("tm") || stat.starts_with("wm") || stat.starts_with("tc") || stat.starts_with("ts");
    let dims: Vec<Dimension> = a["dimensions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| Dimension::builder().set_name(d["name"].as_str().map(str::to_string)).value(dimension_value(d["value"].as_str().unwrap_or_default())).build())
        .collect();
    let mut req = sc
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&c.name)
        .set_namespace(a["namespace"].as_str().map(str::to_string))
        .set_metric_name(a["metric"].as_str().map(str::to_string))
        .set_dimensions((!dims.is_empty()).then_some(dims))
        .set_period(a["period"].as_i64().map(|n| n as i32))
        .set_evaluation_periods(a["evaluation_periods"].as_i64().map(|n| n as i32))
        .set_datapoints_to_alarm(a["datapoints_to_alarm"].as_i64().map(|n| n as i32))
        .set_threshold(a["threshold"].as_f64())
        .set_comparison_operator(a["comparison"].as_str().map(ComparisonOperator::from))
        .set_treat_missing_data(a["missing_data"].as_str().map(str::to_string))
        .set_alarm_actions(Some(strs(&a["actions"])))
        .set_ok_actions(Some(strs(&a["ok_actions"])))
        .set_insufficient_data_actions(Some(strs(&a["insufficient_data_actions"])))
        .alarm_description(a["description"].as_str().unwrap_or_default())
        .set_unit(a["unit"].as_str().map(StandardUnit::from))
        .actions_enabled(true);
    let queries: Vec<MetricDataQuery> = a["queries"].as_array().into_iter().flatten().map(query).collect();
    if queries.is_empty() {
        req = if percentile { req.extended_statistic(stat) } else { req.statistic(Statistic::from(stat)) };
    } else {
        // Metric math and anomaly bands: the queries carry the metrics, periods and statistics.
        req = req.set_metrics(Some(queries)).set_threshold_metric_id(a["threshold_metric"].as_str().map(str::to_string));
    }
    if with_tags {
        let tags = a["tags"].as_object().into_iter().flatten().map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build()).collect();
        req = req.set_tags(Some(tags));
    }
    req.send().await.map_err(|e| err(&format!("putting alarm {}", c.name), e))?;
    Ok(())
}

/// One query of a math or anomaly alarm: an expression, or a metric with its statistic.
fn query(q: &Value) -> MetricDataQuery {
    let text = |k: &str| q[k].as_str().map(str::to_string);
    let builder = MetricDataQuery::builder().set_id(text("id")).return_data(q["return"].as_bool().unwrap_or(true));
    if q["expression"].is_string() {
        return builder.set_expression(text("expression")).build();
    }
    let dims: Vec<Dimension> = q["dimensions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| Dimension::builder().set_name(d["name"].as_str().map(str::to_string)).value(dimension_value(d["value"].as_str().unwrap_or_default())).build())
        .collect();
    let metric = Metric::builder().set_namespace(text("namespace")).set_metric_name(text("metric")).set_dimensions(Some(dims)).build();
    let stat = MetricStat::builder().metric(metric).set_period(q["period"].as_i64().map(|n| n as i32)).set_stat(text("statistic")).build();
    builder.metric_stat(stat).build()
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
    let out = sc.clients.cloudwatch.describe_alarms().alarm_names(&c.name).alarm_types(kind).send().await.map_err(|e| err("reading the alarm back", e))?;
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
    let after = c.after.as_ref().expect("desired attributes");
    let tags = after["tags"].as_object().into_iter().flatten().map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build()).collect();
    sc.clients.cloudwatch.tag_resource().resource_arn(arn).set_tags(Some(tags)).send().await.map_err(|e| err("tagging the alarm", e))?;
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
    let after = c.after.as_ref().expect("desired attributes");
    let (add, remove) = tag_diff(&after["tags"], c.before.as_ref().map(|b| &b["tags"]));
    if !remove.is_empty() {
        sc.clients.cloudwatch.untag_resource().resource_arn(&arn).set_tag_keys(Some(remove)).send().await.map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        sc.clients.cloudwatch.tag_resource().resource_arn(&arn).set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

/// PutCompositeAlarm with the rule and actions (and tags when creating).
async fn put_composite(sc: &StepContext, c: &Change, with_tags: bool) -> anyhow::Result<()> {
    // Topics of the stack are references until resolved to their ARNs.
    let a = &sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let mut req = sc
        .clients
        .cloudwatch
        .put_composite_alarm()
        .alarm_name(&c.name)
        .alarm_rule(a["rule"].as_str().unwrap_or_default())
        .set_alarm_actions(Some(strs(&a["actions"])))
        .set_ok_actions(Some(strs(&a["ok_actions"])))
        .set_insufficient_data_actions(Some(strs(&a["insufficient_data_actions"])))
        .alarm_description(a["description"].as_str().unwrap_or_default())
        .actions_enabled(true);
    if with_tags {
        let tags = a["tags"].as_object().into_iter().flatten().map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build()).collect();
        req = req.set_tags(Some(tags));
    }
    req.send().await.map_err(|e| err(&format!("putting composite alarm {}", c.name), e))?;
    Ok(())
}

pub async fn delete_alarm(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    sc.clients.cloudwatch.delete_alarms().alarm_names(&c.name).send().await.map_err(|e| err(&format!("deleting alarm {}", c.name), e))?;
    Ok(())
}
