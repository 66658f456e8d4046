//! Launch templates (a change is a new version, made the default), auto-scaling groups (created
//! with their capacity, then left to scaling; instance refreshes when their template changes;
//! drained before deletion), scaling policies and scheduled actions.

use super::{StepContext, changed, id, set_diff, strs, tag_diff};
use crate::aws_error::{Class, class_of};
use crate::live::err;
use crate::plan::Change;
use crate::plan::autoscaling::makes_new_version;
use crate::retry::{Backoff, poll};
use aws_sdk_autoscaling::client::Waiters;
use aws_sdk_autoscaling::types as asg;
use aws_sdk_ec2::types as ec2;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(900);
/// Waiting for instances to terminate: checks every 0.5 s at first, then every 15 s.
const TERMINATION: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(15), WAIT);
/// Instance refreshes replace instances one warmup at a time: allow hours.
const REFRESH: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(15), Duration::from_secs(4 * 3600));

fn int(v: &Value) -> Option<i32> {
    v.as_i64().map(|n| n as i32)
}

/// Whether the group `name` still exists: a delete that failed may have found it gone (Auto
/// Scaling answers a missing group with a ValidationError, the code of every bad request).
async fn group_exists(sc: &StepContext, name: &str) -> anyhow::Result<bool> {
    let out = sc.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name).send().await.map_err(|e| err("reading the group", e))?;
    Ok(!out.auto_scaling_groups().is_empty())
}

// ------------------------------------------------------------------ launch templates

fn template_data(a: &Value) -> ec2::RequestLaunchTemplateData {
    let mut d = ec2::RequestLaunchTemplateData::builder()
        .set_image_id(a["image"].as_str().map(str::to_string))
        .set_instance_type(a["instance_type"].as_str().map(ec2::InstanceType::from))
        .set_security_group_ids(Some(strs(&a["security_groups"])).filter(|v| !v.is_empty()))
        .set_key_name(a["key_name"].as_str().map(str::to_string))
        .set_user_data(a["user_data"].as_str().map(|t| aws_smithy_types::base64::encode(t.as_bytes())))
        .metadata_options(
            ec2::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_endpoint(ec2::LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_tokens(if a["imds"] == "optional" { ec2::LaunchTemplateHttpTokensState::Optional } else { ec2::LaunchTemplateHttpTokensState::Required })
                .build(),
        )
        .monitoring(ec2::LaunchTemplatesMonitoringRequest::builder().enabled(a["monitoring"].as_bool().unwrap_or(false)).build());
    if let Some(p) = a["instance_profile"].as_str() {
        let spec = ec2::LaunchTemplateIamInstanceProfileSpecificationRequest::builder();
        d = d.iam_instance_profile(if p.starts_with("arn:") { spec.arn(p) } else { spec.name(p) }.build());
    }
    if a["spot"].is_object() {
        let spot = ec2::LaunchTemplateSpotMarketOptionsRequest::builder()
            .set_max_price(a["spot"]["max_price"].as_str().map(str::to_string))
            .set_instance_interruption_behavior(a["spot"]["interruption"].as_str().map(ec2::InstanceInterruptionBehavior::from))
            .build();
        d = d.instance_market_options(ec2::LaunchTemplateInstanceMarketOptionsRequest::builder().market_type(ec2::MarketType::Spot).spot_options(spot).build());
    }
    if let Some(rv) = a["root_volume"].as_object() {
        let ebs = ec2::LaunchTemplateEbsBlockDeviceRequest::builder()
            .set_volume_size(rv.get("size").and_then(int))
            .set_volume_type(rv.get("type").and_then(Value::as_str).map(ec2::VolumeType::from))
            .set_encrypted(rv.get("encrypted").and_then(Value::as_bool))
            .set_iops(rv.get("iops").and_then(int))
            .set_throughput(rv.get("throughput").and_then(int))
            .delete_on_termination(true)
            .build();
        d = d.block_device_mappings(
            ec2::LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(rv.get("device").and_then(Value::as_str).map(str::to_string))
                .ebs(ebs)
                .build(),
        );
    }
    d.build()
}

pub async fn create_template(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let sent = sc
        .clients
        .ec2
        .create_launch_template()
        .launch_template_name(&c.name)
        .launch_template_data(template_data(&a))
        .tag_specifications(
            ec2::TagSpecification::builder().resource_type(ec2::ResourceType::LaunchTemplate).set_tags(Some(super::ec2::tags(&a["tags"]))).build(),
        )
        .send()
        .await;
    let doing = format!("creating launch template {}", c.name);
    let id = match sent {
        Ok(out) => {
            out.launch_template().and_then(|t| t.launch_template_id()).ok_or_else(|| anyhow::anyhow!("CreateLaunchTemplate returned no id"))?.to_string()
        }
        // The retry of a create whose answer was lost meets the template it made: ours by its tags.
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(&doing, e);
            let found =
                sc.clients.ec2.describe_launch_templates().launch_template_names(&c.name).send().await.map_err(|e| err("looking up the launch template", e))?;
            let ours = found.launch_templates().iter().find(|t| {
                let tags: Vec<(&str, &str)> = t.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
                super::owned_by(&tags, &sc.stack, &c.address)
            });
            match ours.and_then(|t| t.launch_template_id()) {
                Some(id) => id.to_string(),
                None => return Err(failure.context("it exists without this stack's ownership tags; run plan again")),
            }
        }
        Err(e) => return Err(err(&doing, e)),
    };
    sc.ids.set(&c.address, id);
    Ok(())
}

/// A new version with the whole desired configuration, made the default (so groups following
/// `default` move too), then tags.
pub async fn update_template(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let lt = id(sc, c)?;
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    if makes_new_version(&c.diffs) {
        // The same token for the same configuration: a retry after a lost answer gets the
        // version the first attempt made instead of a second one.
        let token = crate::plan::names::hash7(&format!("{lt}|{}", serde_json::to_string(&a).unwrap_or_default()));
        let out = sc
            .clients
            .ec2
            .create_launch_template_version()
            .launch_template_id(&lt)
            .client_token(format!("lbstack-{token}"))
            .launch_template_data(template_data(&a))
            .send()
            .await
            .map_err(|e| err(&format!("creating a version of launch template {}", c.name), e))?;
        let version = out.launch_template_version().and_then(|v| v.version_number()).ok_or_else(|| anyhow::anyhow!("no version number returned"))?;
        sc.clients
            .ec2
            .modify_launch_template()
            .launch_template_id(&lt)
            .default_version(version.to_string())
            .send()
            .await
            .map_err(|e| err("making the new version the default", e))?;
        (sc.progress)(format!("{}: version {version} is the default", c.address));
    }
    let (add, remove) = tag_diff(&a["tags"], c.before.as_ref().map(|b| &b["tags"]));
    if !remove.is_empty() {
        let keys = remove.into_iter().map(|k| ec2::Tag::builder().key(k).build()).collect();
        sc.clients.ec2.delete_tags().resources(&lt).set_tags(Some(keys)).send().await.map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| ec2::Tag::builder().key(k).value(v).build()).collect();
        sc.clients.ec2.create_tags().resources(&lt).set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

pub async fn delete_template(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let lt = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    match sc.clients.ec2.delete_launch_template().launch_template_id(&lt).send().await {
        Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting launch template {lt}"), e)),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------ groups

fn template_spec(a: &Value) -> asg::LaunchTemplateSpecification {
    asg::LaunchTemplateSpecification::builder()
        .set_launch_template_id(a["launch_template"]["template"].as_str().map(str::to_string))
        .set_version(a["launch_template"]["version"].as_str().map(str::to_string))
        .build()
}

fn mixed_policy(a: &Value) -> Option<asg::MixedInstancesPolicy> {
    let m = a["mixed_instances"].as_object()?;
    let overrides = strs(&m["types"]).into_iter().map(|t| asg::LaunchTemplateOverrides::builder().instance_type(t).build()).collect();
    Some(
        asg::MixedInstancesPolicy::builder()
            .launch_template(asg::LaunchTemplate::builder().launch_template_specification(template_spec(a)).set_overrides(Some(overrides)).build())
            .instances_distribution(
                asg::InstancesDistribution::builder()
                    .set_on_demand_base_capacity(m.get("on_demand_base").and_then(int))
                    .set_on_demand_percentage_above_base_capacity(m.get("on_demand_percentage").and_then(int))
                    .set_spot_allocation_strategy(m.get("spot_strategy").and_then(Value::as_str).map(str::to_string))
                    .build(),
            )
            .build(),
    )
}

fn group_tags(name: &str, v: &Value) -> Vec<asg::Tag> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            asg::Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v.as_str().unwrap_or_default())
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

pub async fn create_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let mut req = sc
        .clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&c.name)
        .set_min_size(int(&a["min"]))
        .set_max_size(int(&a["max"]))
        .set_desired_capacity(c.inputs.get("desired").and_then(int))
        .vpc_zone_identifier(strs(&a["subnets"]).join(","))
        .set_target_group_arns(Some(strs(&a["target_groups"])))
        .set_health_check_type(a["health_check_type"].as_str().map(str::to_string))
        .set_health_check_grace_period(int(&a["health_check_grace_period"]))
        .set_termination_policies(Some(strs(&a["termination_policies"])))
        .set_capacity_rebalance(a["capacity_rebalance"].as_bool())
        .set_default_instance_warmup(int(&a["default_instance_warmup"]))
        .set_max_instance_lifetime(int(&a["max_instance_lifetime"]).filter(|n| *n > 0))
        .set_instance_maintenance_policy(maintenance(&a["instance_maintenance"]))
        .capacity_reservation_specification(reservations(&a["capacity_reservations"]))
        // Hooks come with the group, so its first instances already wait at a launch hook.
        .set_lifecycle_hook_specification_list(Some(hooks(&a["lifecycle_hooks"]).into_values().map(|h| h.specification).collect()))
        .set_tags(Some(group_tags(&c.name, &a["tags"])));
    req = match mixed_policy(&a) {
        Some(m) => req.mixed_instances_policy(m),
        None => req.launch_template(template_spec(&a)),
    };
    match req.send().await {
        Ok(_) => {}
        // The retry of a create whose answer was lost meets the group it made: ours by its tags.
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(&format!("creating auto-scaling group {}", c.name), e);
            let found = sc
                .clients
                .autoscaling
                .describe_auto_scaling_groups()
                .auto_scaling_group_names(&c.name)
                .send()
                .await
                .map_err(|e| err("reading the group", e))?;
            let ours = found.auto_scaling_groups().first().is_some_and(|g| {
                let tags: Vec<(&str, &str)> = g.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
                super::owned_by(&tags, &sc.stack, &c.address)
            });
            if !ours {
                return Err(failure.context("it exists without this stack's ownership tags; run plan again"));
            }
        }
        Err(e) => return Err(err(&format!("creating auto-scaling group {}", c.name), e)),
    }
    sc.ids.set(&c.address, c.name.clone());
    metrics_and_processes(sc, &c.name, &a, &Value::Null).await?;
    warm_pool_and_notifications(sc, &c.name, &a, &Value::Null).await?;
    if strs(&a["suspended_processes"]).iter().any(|p| p == "Launch") {
        // With launches suspended the group may never reach its minimum: nothing to wait for.
        return Ok(());
    }
    (sc.progress)(format!("{}: waiting for {} instance{} in service", c.address, a["min"], if a["min"] == 1 { "" } else { "s" }));
    sc.clients
        .autoscaling
        .wait_until_group_in_service()
        .auto_scaling_group_names(&c.name)
        .wait(WAIT)
        .await
        .map_err(|e| err(&format!("waiting for {} to reach its minimum size in service", c.name), e))?;
    Ok(())
}

/// Paths UpdateAutoScalingGroup sets; tags, target groups and refreshes have calls of their own.
const GROUP_SETTINGS: [&str; 14] = [
    "instance_maintenance",
    "capacity_reservations",
    "min",
    "max",
    "desired",
    "subnets",
    "launch_template",
    "mixed_instances",
    "health_check_type",
    "health_check_grace_period",
    "termination_policies",
    "capacity_rebalance",
    "default_instance_warmup",
    "max_instance_lifetime",
];

pub async fn update_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let name = id(sc, c)?;
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let b = sc.ids.resolve_before(c.before.as_ref().unwrap_or(&Value::Null))?;
    // Attach new target groups before anything else changes, detach old ones last.
    let (attach, detach) =
        set_diff(a["target_groups"].as_array().map(Vec::as_slice).unwrap_or_default(), b["target_groups"].as_array().map(Vec::as_slice).unwrap_or_default());
    if !attach.is_empty() {
        sc.clients
            .autoscaling
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(&name)
            .set_target_group_arns(Some(attach.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()))
            .send()
            .await
            .map_err(|e| err("attaching target groups", e))?;
    }
    if GROUP_SETTINGS.iter().any(|p| changed(c, p)) {
        let mut req = sc
            .clients
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_min_size(int(&a["min"]))
            .set_max_size(int(&a["max"]))
            // Only a pinned capacity is set: otherwise AWS keeps it within the new min and max.
            .set_desired_capacity(int(&a["desired"]))
            .vpc_zone_identifier(strs(&a["subnets"]).join(","))
            .set_health_check_type(a["health_check_type"].as_str().map(str::to_string))
            .set_health_check_grace_period(int(&a["health_check_grace_period"]))
            .set_termination_policies(Some(strs(&a["termination_policies"])))
            .set_capacity_rebalance(a["capacity_rebalance"].as_bool())
            // -1 clears a warmup the stack no longer sets.
            .default_instance_warmup(int(&a["default_instance_warmup"]).unwrap_or(-1))
            .max_instance_lifetime(int(&a["max_instance_lifetime"]).unwrap_or(0))
            // -1 and -1 clear a policy the stack no longer sets.
            .capacity_reservation_specification(reservations(&a["capacity_reservations"]))
            .instance_maintenance_policy(
                maintenance(&a["instance_maintenance"])
                    .unwrap_or_else(|| asg::InstanceMaintenancePolicy::builder().min_healthy_percentage(-1).max_healthy_percentage(-1).build()),
            );
        req = match mixed_policy(&a) {
            Some(m) => req.mixed_instances_policy(m),
            None => req.launch_template(template_spec(&a)),
        };
        req.send().await.map_err(|e| err(&format!("updating auto-scaling group {name}"), e))?;
    }
    if !detach.is_empty() {
        sc.clients
            .autoscaling
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(&name)
            .set_target_group_arns(Some(detach.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()))
            .send()
            .await
            .map_err(|e| err("detaching target groups", e))?;
    }
    let (add, remove) = tag_diff(&a["tags"], c.before.as_ref().map(|b| &b["tags"]));
    if !remove.is_empty() {
        let t = remove.into_iter().map(|k| asg::Tag::builder().resource_id(&name).resource_type("auto-scaling-group").key(k).build()).collect();
        sc.clients.autoscaling.delete_tags().set_tags(Some(t)).send().await.map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = group_tags(&name, &Value::Object(add.into_iter().map(|(k, v)| (k, Value::from(v))).collect()));
        sc.clients.autoscaling.create_or_update_tags().set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    if changed(c, "metrics") || changed(c, "suspended_processes") {
        metrics_and_processes(sc, &name, &a, &b).await?;
    }
    if changed(c, "lifecycle_hooks") {
        let (want, have) = (hooks(&a["lifecycle_hooks"]), hooks(&b["lifecycle_hooks"]));
        for (hook, h) in &want {
            if have.get(hook).is_none_or(|old| old.value != h.value) {
                put_hook(sc, &name, &h.specification).await?;
            }
        }
        for hook in have.keys().filter(|k| !want.contains_key(*k)) {
            let req = sc.clients.autoscaling.delete_lifecycle_hook().auto_scaling_group_name(&name).lifecycle_hook_name(hook);
            req.send().await.map_err(|e| err(&format!("deleting lifecycle hook {hook}"), e))?;
        }
    }
    warm_pool_and_notifications(sc, &name, &a, &b).await?;
    if changed(c, "instance_refresh") {
        refresh(sc, c, &name, c.inputs.get("instance_refresh").unwrap_or(&Value::Null)).await?;
    }
    Ok(())
}

/// The group's capacity reservation preference and targets (`default` when the stack sets none).
fn reservations(v: &Value) -> asg::CapacityReservationSpecification {
    let target = asg::CapacityReservationTarget::builder()
        .set_capacity_reservation_ids(Some(strs(&v["ids"])).filter(|l| !l.is_empty()))
        .set_capacity_reservation_resource_group_arns(Some(strs(&v["groups"])).filter(|l| !l.is_empty()))
        .build();
    let preference = v["preference"].as_str().unwrap_or("default");
    let spec = asg::CapacityReservationSpecification::builder().capacity_reservation_preference(asg::CapacityReservationPreference::from(preference));
    if preference.starts_with("capacity-reservations") { spec.capacity_reservation_target(target).build() } else { spec.build() }
}

fn maintenance(v: &Value) -> Option<asg::InstanceMaintenancePolicy> {
    v.is_object().then(|| {
        asg::InstanceMaintenancePolicy::builder()
            .set_min_healthy_percentage(int(&v["min_healthy_percentage"]))
            .set_max_healthy_percentage(int(&v["max_healthy_percentage"]))
            .build()
    })
}

struct Hook {
    value: Value,
    specification: asg::LifecycleHookSpecification,
}

/// The stack's hooks by name, as the create call takes them.
fn hooks(v: &Value) -> std::collections::BTreeMap<String, Hook> {
    let text = |h: &Value, k: &str| h[k].as_str().map(str::to_string);
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let specification = asg::LifecycleHookSpecification::builder()
                .set_lifecycle_hook_name(text(h, "name"))
                .set_lifecycle_transition(text(h, "transition"))
                .set_heartbeat_timeout(int(&h["heartbeat"]))
                .set_default_result(text(h, "default_result"))
                .set_notification_target_arn(text(h, "notification_target"))
                .set_role_arn(text(h, "role"))
                .set_notification_metadata(text(h, "metadata"))
                .build();
            Some((text(h, "name")?, Hook { value: h.clone(), specification }))
        })
        .collect()
}

async fn put_hook(sc: &StepContext, group: &str, h: &asg::LifecycleHookSpecification) -> anyhow::Result<()> {
    let name = h.lifecycle_hook_name().unwrap_or_default();
    sc.clients
        .autoscaling
        .put_lifecycle_hook()
        .auto_scaling_group_name(group)
        .lifecycle_hook_name(name)
        .set_lifecycle_transition(h.lifecycle_transition().map(str::to_string))
        .set_heartbeat_timeout(h.heartbeat_timeout())
        .set_default_result(h.default_result().map(str::to_string))
        .set_notification_target_arn(h.notification_target_arn().map(str::to_string))
        .set_role_arn(h.role_arn().map(str::to_string))
        .set_notification_metadata(h.notification_metadata().map(str::to_string))
        .send()
        .await
        .map_err(|e| err(&format!("putting lifecycle hook {name}"), e))?;
    Ok(())
}

/// The warm pool (put whole, or deleted) and the SNS notifications (per topic) as the stack has them.
async fn warm_pool_and_notifications(sc: &StepContext, name: &str, a: &Value, b: &Value) -> anyhow::Result<()> {
    let api = &sc.clients.autoscaling;
    let pool = &a["warm_pool"];
    if pool != &b["warm_pool"] {
        if pool.is_object() {
            let state = pool["state"].as_str().map(asg::WarmPoolState::from);
            let reuse = asg::InstanceReusePolicy::builder().reuse_on_scale_in(pool["reuse_on_scale_in"].as_bool().unwrap_or(false)).build();
            api.put_warm_pool()
                .auto_scaling_group_name(name)
                .set_min_size(int(&pool["min_size"]))
                .set_max_group_prepared_capacity(int(&pool["max_prepared"]))
                .set_pool_state(state)
                .instance_reuse_policy(reuse)
                .send()
                .await
                .map_err(|e| err("putting the warm pool", e))?;
        } else {
            api.delete_warm_pool().auto_scaling_group_name(name).force_delete(true).send().await.map_err(|e| err("deleting the warm pool", e))?;
        }
    }
    let topics = |v: &Value| -> std::collections::BTreeMap<String, Value> {
        v.as_array().into_iter().flatten().filter_map(|n| Some((n["topic"].as_str()?.to_string(), n["events"].clone()))).collect()
    };
    let (want, have) = (topics(&a["notifications"]), topics(&b["notifications"]));
    for (topic, events) in &want {
        if have.get(topic) != Some(events) {
            api.put_notification_configuration()
                .auto_scaling_group_name(name)
                .topic_arn(topic)
                .set_notification_types(Some(strs(events)))
                .send()
                .await
                .map_err(|e| err(&format!("setting notifications to {topic}"), e))?;
        }
    }
    for topic in have.keys().filter(|t| !want.contains_key(*t)) {
        api.delete_notification_configuration()
            .auto_scaling_group_name(name)
            .topic_arn(topic)
            .send()
            .await
            .map_err(|e| err(&format!("removing notifications to {topic}"), e))?;
    }
    Ok(())
}

/// The metrics a group collects and the processes it keeps suspended: two sets, each changed by
/// what the stack adds and removes (both calls take lists, and an empty list would mean all).
async fn metrics_and_processes(sc: &StepContext, name: &str, a: &Value, b: &Value) -> anyhow::Result<()> {
    let names = |v: Vec<Value>| -> Vec<String> { v.iter().filter_map(|x| x.as_str().map(str::to_string)).collect() };
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let (enable, disable) = set_diff(&list(&a["metrics"]), &list(&b["metrics"]));
    let (suspend, resume) = set_diff(&list(&a["suspended_processes"]), &list(&b["suspended_processes"]));
    let api = &sc.clients.autoscaling;
    if !enable.is_empty() {
        let req = api.enable_metrics_collection().auto_scaling_group_name(name).granularity("1Minute").set_metrics(Some(names(enable)));
        req.send().await.map_err(|e| err("enabling group metrics", e))?;
    }
    if !disable.is_empty() {
        api.disable_metrics_collection()
            .auto_scaling_group_name(name)
            .set_metrics(Some(names(disable)))
            .send()
            .await
            .map_err(|e| err("disabling group metrics", e))?;
    }
    if !suspend.is_empty() {
        api.suspend_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(names(suspend)))
            .send()
            .await
            .map_err(|e| err("suspending processes", e))?;
    }
    if !resume.is_empty() {
        api.resume_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(names(resume)))
            .send()
            .await
            .map_err(|e| err("resuming processes", e))?;
    }
    Ok(())
}

/// Start an instance refresh with the stack's preferences and follow it to the end.
async fn refresh(sc: &StepContext, c: &Change, name: &str, prefs: &Value) -> anyhow::Result<()> {
    let checkpoints: Vec<i32> = prefs["checkpoints"].as_array().into_iter().flatten().filter_map(int).collect();
    let preferences = asg::RefreshPreferences::builder()
        .set_min_healthy_percentage(int(&prefs["min_healthy_percentage"]))
        .set_max_healthy_percentage(int(&prefs["max_healthy_percentage"]))
        .set_instance_warmup(int(&prefs["instance_warmup"]))
        .set_skip_matching(prefs["skip_matching"].as_bool())
        .set_checkpoint_percentages(Some(checkpoints).filter(|v| !v.is_empty()))
        .set_checkpoint_delay(int(&prefs["checkpoint_delay"]))
        .build();
    let asked = aws_smithy_types::DateTime::from(std::time::SystemTime::now() - Duration::from_secs(5));
    let started = sc.clients.autoscaling.start_instance_refresh().auto_scaling_group_name(name).preferences(preferences).send().await;
    let refresh_id = match started {
        Ok(out) => out.instance_refresh_id().unwrap_or_default().to_string(),
        // A refresh that started since this step asked is the one a lost answer started.
        Err(e) if class_of(&e) == Class::Conflict => {
            let out = sc
                .clients
                .autoscaling
                .describe_instance_refreshes()
                .auto_scaling_group_name(name)
                .max_records(1)
                .send()
                .await
                .map_err(|e| err("reading instance refreshes", e))?;
            match out.instance_refreshes().first().filter(|r| r.start_time().is_some_and(|t| t.secs() >= asked.secs())).and_then(|r| r.instance_refresh_id()) {
                Some(id) => id.to_string(),
                None => anyhow::bail!("an instance refresh is already running on {name}; let it finish (or cancel it) and apply again"),
            }
        }
        Err(e) => return Err(err(&format!("starting an instance refresh of {name}"), e)),
    };
    (sc.progress)(format!("{}: instance refresh {refresh_id} started", c.address));
    let last = std::sync::Mutex::new(String::new());
    poll(REFRESH, "waiting for the instance refresh", || async {
        let out = sc
            .clients
            .autoscaling
            .describe_instance_refreshes()
            .auto_scaling_group_name(name)
            .instance_refresh_ids(&refresh_id)
            .send()
            .await
            .map_err(|e| err("reading the instance refresh", e))?;
        let Some(r) = out.instance_refreshes().first() else { anyhow::bail!("instance refresh {refresh_id} disappeared") };
        let status = r.status().map(|s| s.as_str()).unwrap_or("Pending");
        let line = format!("instance refresh {status}: {}% done, {} instance(s) to update", r.percentage_complete().unwrap_or(0), r.instances_to_update().unwrap_or(0));
        let mut last = last.lock().expect("progress lock");
        if line != *last {
            (sc.progress)(format!("{}: {line}", c.address));
            *last = line;
        }
        match status {
            "Successful" => Ok(Some(())),
            "Failed" | "Cancelled" | "RollbackSuccessful" | "RollbackFailed" => {
                let reason = r.status_reason().filter(|s| !s.is_empty()).unwrap_or("no reason given");
                anyhow::bail!("the instance refresh of {name} ended {status}: {reason}; instances may still run the previous configuration (the next plan starts a new refresh)")
            }
            _ => Ok(None),
        }
    })
    .await
}

/// Without `force_delete`, the group is scaled to zero and its instances are waited out first, so
/// they finish their lifecycle (deregistration, draining) instead of being killed.
pub async fn delete_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let name = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let force = sc.force_delete.contains(&c.address.key);
    // A terminate hook would hold every instance through its heartbeat, and a warm pool keeps
    // instances of its own: both go first.
    let before = c.before.as_ref().unwrap_or(&Value::Null);
    for hook in hooks(&before["lifecycle_hooks"]).keys() {
        let req = sc.clients.autoscaling.delete_lifecycle_hook().auto_scaling_group_name(&name).lifecycle_hook_name(hook);
        if let Err(e) = req.send().await
            && class_of(&e) != Class::NotFound
        {
            return Err(err(&format!("deleting lifecycle hook {hook}"), e));
        }
    }
    if before["warm_pool"].is_object()
        && let Err(e) = sc.clients.autoscaling.delete_warm_pool().auto_scaling_group_name(&name).force_delete(true).send().await
        && class_of(&e) != Class::NotFound
    {
        return Err(err("deleting the warm pool", e));
    }
    if !force {
        let scaled = sc.clients.autoscaling.update_auto_scaling_group().auto_scaling_group_name(&name).min_size(0).max_size(0).desired_capacity(0).send().await;
        if let Err(e) = scaled {
            let failure = err(&format!("scaling {name} to zero"), e);
            return if group_exists(sc, &name).await? { Err(failure) } else { Ok(()) };
        }
        let last = std::sync::atomic::AtomicUsize::new(usize::MAX);
        poll(TERMINATION, "waiting for the group's instances to terminate", || async {
            let out =
                sc.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&name).send().await.map_err(|e| err("reading the group", e))?;
            let instances = out.auto_scaling_groups().first().map(|g| g.instances().to_vec()).unwrap_or_default();
            let left = instances.len();
            // Scale-in protection keeps instances through a scale to zero: waiting would never end.
            if left > 0 && instances.iter().all(|i| i.protected_from_scale_in() == Some(true)) {
                anyhow::bail!(
                    "{left} instance{} of {name} {} protected from scale-in and will not terminate; remove the protection, or set `force_delete: true` to terminate them with the group",
                    if left == 1 { "" } else { "s" },
                    if left == 1 { "is" } else { "are" }
                );
            }
            if left > 0 && last.swap(left, std::sync::atomic::Ordering::Relaxed) != left {
                (sc.progress)(format!("{}: waiting for {left} instance{} to terminate", c.address, if left == 1 { "" } else { "s" }));
            }
            Ok((left == 0).then_some(()))
        })
        .await?;
    }
    if let Err(e) = sc.clients.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&name).force_delete(force).send().await {
        let failure = err(&format!("deleting auto-scaling group {name}"), e);
        return if group_exists(sc, &name).await? { Err(failure) } else { Ok(()) };
    }
    sc.clients
        .autoscaling
        .wait_until_group_not_exists()
        .auto_scaling_group_names(&name)
        .wait(WAIT)
        .await
        .map_err(|e| err(&format!("waiting for {name} to be deleted"), e))?;
    Ok(())
}

// ------------------------------------------------------------------ policies

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` from the two ARNs.
fn resource_label(lb: &Value, tg: &Value) -> Option<String> {
    let lb = lb.as_str()?.split_once("loadbalancer/")?.1;
    let tg = tg.as_str()?.rsplit_once(':')?.1;
    Some(format!("{lb}/{tg}"))
}

pub async fn put_policy(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let group = a["group"].as_str().unwrap_or_default().to_string();
    let kind = a["type"].as_str().unwrap_or_default();
    let mut req =
        sc.clients.autoscaling.put_scaling_policy().auto_scaling_group_name(&group).policy_name(&c.name).policy_type(kind).set_enabled(a["enabled"].as_bool());
    match kind {
        "TargetTrackingScaling" => {
            let t = &a["target_tracking"];
            let mut conf = asg::TargetTrackingConfiguration::builder()
                .set_target_value(t["target"].as_f64())
                .disable_scale_in(t["disable_scale_in"].as_bool().unwrap_or(false));
            if let Some(metric) = t["metric"].as_str() {
                conf = conf.predefined_metric_specification(
                    asg::PredefinedMetricSpecification::builder()
                        .predefined_metric_type(asg::MetricType::from(metric))
                        .set_resource_label(resource_label(&t["load_balancer"], &t["target_group"]))
                        .build(),
                );
            }
            if let Some(m) = t["custom"].as_object() {
                let dims = m["dimensions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| {
                        asg::MetricDimension::builder()
                            .set_name(d["name"].as_str().map(str::to_string))
                            .set_value(d["value"].as_str().map(str::to_string))
                            .build()
                    })
                    .collect::<Vec<_>>();
                conf = conf.customized_metric_specification(
                    asg::CustomizedMetricSpecification::builder()
                        .set_namespace(m["namespace"].as_str().map(str::to_string))
                        .set_metric_name(m["name"].as_str().map(str::to_string))
                        .set_statistic(m["statistic"].as_str().map(asg::MetricStatistic::from))
                        .set_dimensions(Some(dims).filter(|d| !d.is_empty()))
                        .set_unit(m["unit"].as_str().map(str::to_string))
                        .build(),
                );
            }
            req = req.target_tracking_configuration(conf.build()).set_estimated_instance_warmup(int(&a["warmup"]));
        }
        "StepScaling" => {
            let s = &a["step"];
            let steps = s["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| {
                    asg::StepAdjustment::builder()
                        .set_metric_interval_lower_bound(x["lower"].as_f64())
                        .set_metric_interval_upper_bound(x["upper"].as_f64())
                        .set_scaling_adjustment(int(&x["adjust"]))
                        .build()
                })
                .collect::<Vec<_>>();
            req = req
                .set_adjustment_type(s["adjustment_type"].as_str().map(str::to_string))
                .set_metric_aggregation_type(s["aggregation"].as_str().map(str::to_string))
                .set_min_adjustment_magnitude(int(&s["min_adjustment_magnitude"]))
                .set_step_adjustments(Some(steps))
                .set_estimated_instance_warmup(int(&a["warmup"]));
        }
        "SimpleScaling" => {
            let s = &a["simple"];
            req = req
                .set_adjustment_type(s["adjustment_type"].as_str().map(str::to_string))
                .set_scaling_adjustment(int(&s["adjust"]))
                .set_cooldown(int(&s["cooldown"]))
                .set_min_adjustment_magnitude(int(&s["min_adjustment_magnitude"]));
        }
        "PredictiveScaling" => {
            let p = &a["predictive"];
            let pair = asg::PredictiveScalingPredefinedMetricPair::builder()
                .set_predefined_metric_type(p["metric"].as_str().map(asg::PredefinedMetricPairType::from))
                .set_resource_label(resource_label(&p["load_balancer"], &p["target_group"]))
                .build();
            let spec =
                asg::PredictiveScalingMetricSpecification::builder().set_target_value(p["target"].as_f64()).predefined_metric_pair_specification(pair).build();
            let conf = asg::PredictiveScalingConfiguration::builder()
                .metric_specifications(spec)
                .set_mode(p["mode"].as_str().map(asg::PredictiveScalingMode::from))
                .set_scheduling_buffer_time(int(&p["buffer_time"]))
                .set_max_capacity_breach_behavior(p["max_capacity_behavior"].as_str().map(asg::PredictiveScalingMaxCapacityBreachBehavior::from))
                .set_max_capacity_buffer(int(&p["max_capacity_buffer"]))
                .build();
            req = req.predictive_scaling_configuration(conf);
        }
        other => anyhow::bail!("unknown policy type {other}"),
    }
    let out = req.send().await.map_err(|e| err(&format!("putting scaling policy {}", c.name), e))?;
    // Some endpoints leave PolicyARN out of the answer: read it back.
    let arn = match out.policy_arn() {
        Some(arn) => arn.to_string(),
        None => sc
            .clients
            .autoscaling
            .describe_policies()
            .auto_scaling_group_name(&group)
            .policy_names(&c.name)
            .send()
            .await
            .map_err(|e| err("reading the policy back", e))?
            .scaling_policies()
            .first()
            .and_then(|p| p.policy_arn())
            .ok_or_else(|| anyhow::anyhow!("policy {} not found after it was put", c.name))?
            .to_string(),
    };
    sc.ids.set(&c.address, arn);
    Ok(())
}

fn group_of(sc: &StepContext, c: &Change) -> anyhow::Result<String> {
    let before = sc.ids.resolve_before(c.before.as_ref().unwrap_or(&Value::Null))?;
    before["group"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("{} has no group", c.address))
}

pub async fn delete_policy(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = group_of(sc, c)?;
    let Err(e) = sc.clients.autoscaling.delete_policy().auto_scaling_group_name(&group).policy_name(&c.name).send().await else { return Ok(()) };
    // A retried delete (or one whose group went first) finds nothing: that is done.
    let failure = err(&format!("deleting scaling policy {}", c.name), e);
    if !group_exists(sc, &group).await? {
        return Ok(());
    }
    let left = sc
        .clients
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(&group)
        .policy_names(&c.name)
        .send()
        .await
        .map_err(|e| err("reading the policy", e))?;
    if left.scaling_policies().is_empty() { Ok(()) } else { Err(failure) }
}

// ------------------------------------------------------------------ scheduled actions

fn time(v: &Value) -> anyhow::Result<Option<aws_smithy_types::DateTime>> {
    use aws_smithy_types::date_time::Format;
    v.as_str().map(|t| aws_smithy_types::DateTime::from_str(t, Format::DateTime).map_err(|e| anyhow::anyhow!("bad time {t}: {e}"))).transpose()
}

pub async fn put_schedule(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    sc.clients
        .autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(a["group"].as_str().unwrap_or_default())
        .scheduled_action_name(&c.name)
        .set_recurrence(a["recurrence"].as_str().map(str::to_string))
        .set_time_zone(a["time_zone"].as_str().map(str::to_string))
        .set_start_time(time(&a["start"])?)
        .set_end_time(time(&a["end"])?)
        .set_min_size(int(&a["min"]))
        .set_max_size(int(&a["max"]))
        .set_desired_capacity(int(&a["desired"]))
        .send()
        .await
        .map_err(|e| err(&format!("putting scheduled action {}", c.name), e))?;
    sc.ids.set(&c.address, c.name.clone());
    Ok(())
}

pub async fn delete_schedule(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = group_of(sc, c)?;
    let Err(e) = sc.clients.autoscaling.delete_scheduled_action().auto_scaling_group_name(&group).scheduled_action_name(&c.name).send().await else {
        return Ok(());
    };
    let failure = err(&format!("deleting scheduled action {}", c.name), e);
    if !group_exists(sc, &group).await? {
        return Ok(());
    }
    let left = sc
        .clients
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(&group)
        .scheduled_action_names(&c.name)
        .send()
        .await
        .map_err(|e| err("reading the scheduled action", e))?;
    if left.scheduled_update_group_actions().is_empty() { Ok(()) } else { Err(failure) }
}
