//! Launch templates (a change is a new version, made the default), auto-scaling groups (created
//! with their capacity, then left to scaling; instance refreshes when their template changes;
//! drained before deletion), scaling policies and scheduled actions.

use super::{StepContext, changed, id, int, set_diff, tags_changed};
use crate::attrs::RefOrId;
use crate::attrs::autoscaling::{
    AutoScalingGroupAttrs, CapacityReservations, GroupInputs, InstanceMaintenance, LaunchTemplateAttrs, LifecycleHook,
    Notification, RefreshPreferences, ScalingPolicyAttrs, ScheduledActionAttrs,
};
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::plan::autoscaling::makes_new_version;
use crate::plan::{Change, Kind};
use crate::retry::{Backoff, poll};
use aws_sdk_autoscaling::client::Waiters;
use aws_sdk_autoscaling::types as asg;
use aws_sdk_ec2::types as ec2;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(900);
/// Waiting for instances to terminate: checks every 0.5 s at first, then every 15 s.
const TERMINATION: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(15), WAIT);
/// Instance refreshes replace instances one warmup at a time: allow hours.
const REFRESH: Backoff =
    Backoff::new(Duration::from_millis(500), Duration::from_secs(15), Duration::from_secs(4 * 3600));

/// Whether the group `name` still exists: a delete that failed may have found it gone (Auto
/// Scaling answers a missing group with a ValidationError, the code of every bad request).
async fn group_exists(sc: &StepContext, name: &str) -> anyhow::Result<bool> {
    let out = sc
        .clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .map_err(|e| err("reading the group", e))?;
    Ok(!out.auto_scaling_groups().is_empty())
}

// ------------------------------------------------------------------ launch templates

/// The template's data, its security groups as ids now.
fn template_data(sc: &StepContext, a: &LaunchTemplateAttrs) -> anyhow::Result<ec2::RequestLaunchTemplateData> {
    let groups = sc.ids.ids_of(&a.security_groups)?;
    let tokens = if a.imds == "optional" {
        ec2::LaunchTemplateHttpTokensState::Optional
    } else {
        ec2::LaunchTemplateHttpTokensState::Required
    };
    let metadata_tags = a.imds_tags.map(|on| {
        if on {
            ec2::LaunchTemplateInstanceMetadataTagsState::Enabled
        } else {
            ec2::LaunchTemplateInstanceMetadataTagsState::Disabled
        }
    });
    let mut d = ec2::RequestLaunchTemplateData::builder()
        .set_image_id(a.image.clone())
        .set_instance_type(a.instance_type.as_deref().map(ec2::InstanceType::from))
        .set_security_group_ids(Some(groups).filter(|v| !v.is_empty()))
        .set_key_name(a.key_name.clone())
        .set_user_data(a.user_data.as_ref().map(|t| aws_smithy_types::base64::encode(t.as_bytes())))
        .metadata_options(
            ec2::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_endpoint(ec2::LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_tokens(tokens)
                .set_http_put_response_hop_limit(int(a.imds_hop_limit))
                .set_instance_metadata_tags(metadata_tags)
                .build(),
        )
        .monitoring(ec2::LaunchTemplatesMonitoringRequest::builder().enabled(a.monitoring).build())
        .set_ebs_optimized(a.ebs_optimized);
    if let Some(credits) = &a.cpu_credits {
        d = d.credit_specification(ec2::CreditSpecificationRequest::builder().cpu_credits(credits).build());
    }
    if let Some(cpu) = &a.cpu_options {
        d = d.cpu_options(
            ec2::LaunchTemplateCpuOptionsRequest::builder()
                .set_core_count(int(cpu.core_count))
                .set_threads_per_core(int(cpu.threads_per_core))
                .build(),
        );
    }
    if let Some(recovery) = &a.auto_recovery {
        let state = ec2::LaunchTemplateAutoRecoveryState::from(recovery.as_str());
        d = d.maintenance_options(
            ec2::LaunchTemplateInstanceMaintenanceOptionsRequest::builder().auto_recovery(state).build(),
        );
    }
    if let Some(p) = &a.placement {
        d = d.placement(
            ec2::LaunchTemplatePlacementRequest::builder()
                .set_group_name(p.group.clone())
                .set_tenancy(p.tenancy.as_deref().map(ec2::Tenancy::from))
                .set_partition_number(int(p.partition))
                .build(),
        );
    }
    if let Some(preference) = &a.capacity_reservation {
        let preference = ec2::CapacityReservationPreference::from(preference.as_str());
        d = d.capacity_reservation_specification(
            ec2::LaunchTemplateCapacityReservationSpecificationRequest::builder()
                .capacity_reservation_preference(preference)
                .build(),
        );
    }
    for (kind, tags) in a.resource_tags.iter().flatten() {
        d = d.tag_specifications(
            ec2::LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ec2::ResourceType::from(kind.as_str()))
                .set_tags(Some(super::ec2::tag_list(tags)))
                .build(),
        );
    }
    for n in a.network_interfaces.iter().flatten() {
        let tracking = (n.tcp_established_timeout.is_some()
            || n.udp_timeout.is_some()
            || n.udp_stream_timeout.is_some())
        .then(|| {
            ec2::ConnectionTrackingSpecificationRequest::builder()
                .set_tcp_established_timeout(int(n.tcp_established_timeout))
                .set_udp_timeout(int(n.udp_timeout))
                .set_udp_stream_timeout(int(n.udp_stream_timeout))
                .build()
        });
        let groups = sc.ids.ids_of(&n.security_groups)?;
        d = d.network_interfaces(
            ec2::LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .device_index(n.device_index as i32)
                .set_network_card_index(int(n.network_card))
                .set_interface_type(n.interface_type.clone())
                .set_associate_public_ip_address(n.public_ip)
                .set_groups(Some(groups).filter(|g| !g.is_empty()))
                .delete_on_termination(true)
                .set_connection_tracking_specification(tracking)
                .build(),
        );
    }
    if let Some(p) = &a.instance_profile {
        let spec = ec2::LaunchTemplateIamInstanceProfileSpecificationRequest::builder();
        d = d.iam_instance_profile(if p.starts_with("arn:") { spec.arn(p) } else { spec.name(p) }.build());
    }
    if let Some(spot) = &a.spot {
        let spot = ec2::LaunchTemplateSpotMarketOptionsRequest::builder()
            .set_max_price(spot.max_price.clone())
            .instance_interruption_behavior(ec2::InstanceInterruptionBehavior::from(spot.interruption.as_str()))
            .build();
        d = d.instance_market_options(
            ec2::LaunchTemplateInstanceMarketOptionsRequest::builder()
                .market_type(ec2::MarketType::Spot)
                .spot_options(spot)
                .build(),
        );
    }
    if let Some(rv) = &a.root_volume {
        let ebs = ec2::LaunchTemplateEbsBlockDeviceRequest::builder()
            .set_volume_size(int(rv.size))
            .set_volume_type(rv.r#type.as_deref().map(ec2::VolumeType::from))
            .encrypted(rv.encrypted)
            .set_iops(int(rv.iops))
            .set_throughput(int(rv.throughput))
            .delete_on_termination(true)
            .build();
        d = d.block_device_mappings(
            ec2::LaunchTemplateBlockDeviceMappingRequest::builder().set_device_name(rv.device.clone()).ebs(ebs).build(),
        );
    }
    // Root first: the reader takes the first mapping the stack does not name as the root.
    for (device, v) in a.volumes.iter().flatten() {
        let mapping = ec2::LaunchTemplateBlockDeviceMappingRequest::builder().device_name(device);
        let mapping = if v.no_device {
            mapping.no_device("")
        } else {
            mapping.ebs(
                ec2::LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_volume_size(int(v.size))
                    .set_volume_type(v.r#type.as_deref().map(ec2::VolumeType::from))
                    .set_encrypted(v.encrypted)
                    .set_iops(int(v.iops))
                    .set_throughput(int(v.throughput))
                    .set_snapshot_id(v.snapshot.clone())
                    .set_delete_on_termination(v.delete_on_termination)
                    .build(),
            )
        };
        d = d.block_device_mappings(mapping.build());
    }
    Ok(d.build())
}

pub async fn create_template(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<LaunchTemplateAttrs>()?;
    let sent = sc
        .clients
        .ec2
        .create_launch_template()
        .launch_template_name(&c.name)
        .launch_template_data(template_data(sc, &a)?)
        .set_version_description(a.description.clone())
        .tag_specifications(
            ec2::TagSpecification::builder()
                .resource_type(ec2::ResourceType::LaunchTemplate)
                .set_tags(Some(super::ec2::tag_list(&a.tags)))
                .build(),
        )
        .send()
        .await;
    let doing = format!("creating launch template {}", c.name);
    let id = match sent {
        Ok(out) => out
            .launch_template()
            .and_then(|t| t.launch_template_id())
            .ok_or_else(|| anyhow::anyhow!("CreateLaunchTemplate returned no id"))?
            .to_string(),
        // The retry of a create whose answer was lost meets the template it made: ours by its tags.
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(&doing, e);
            let found = sc
                .clients
                .ec2
                .describe_launch_templates()
                .launch_template_names(&c.name)
                .send()
                .await
                .map_err(|e| err("looking up the launch template", e))?;
            let ours = found.launch_templates().iter().find(|t| {
                let tags: Vec<(&str, &str)> =
                    t.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
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
    let a = c.after_as::<LaunchTemplateAttrs>()?;
    if makes_new_version(&c.diffs) {
        let data = template_data(sc, &a)?;
        // The same token for the same configuration: a retry after a lost answer gets the
        // version the first attempt made instead of a second one.
        let token = crate::ownership::names::hash7(&format!("{lt}|{data:?}"));
        let out = sc
            .clients
            .ec2
            .create_launch_template_version()
            .launch_template_id(&lt)
            .client_token(format!("lbstack-{token}"))
            .launch_template_data(data)
            .set_version_description(a.description.clone())
            .send()
            .await
            .map_err(|e| err(&format!("creating a version of launch template {}", c.name), e))?;
        let version = out
            .launch_template_version()
            .and_then(|v| v.version_number())
            .ok_or_else(|| anyhow::anyhow!("no version number returned"))?;
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
    let before = c.before_as::<LaunchTemplateAttrs>()?;
    let (add, remove) = tags_changed(&a.tags, before.as_ref().map(|b| &b.tags));
    if !remove.is_empty() {
        let keys = remove.into_iter().map(|k| ec2::Tag::builder().key(k).build()).collect();
        sc.clients
            .ec2
            .delete_tags()
            .resources(&lt)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
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

fn template_spec(sc: &StepContext, a: &AutoScalingGroupAttrs) -> anyhow::Result<asg::LaunchTemplateSpecification> {
    Ok(asg::LaunchTemplateSpecification::builder()
        .set_launch_template_id(a.launch_template.template.as_ref().map(|t| sc.ids.id_of(t)).transpose()?)
        .version(&a.launch_template.version)
        .build())
}

/// Attribute-based instance type selection as the API takes it.
fn requirements(r: &crate::attrs::autoscaling::InstanceRequirements) -> asg::InstanceRequirements {
    let strings = |v: &[String]| Some(v.to_vec()).filter(|v| !v.is_empty());
    let mut b = asg::InstanceRequirements::builder()
        .v_cpu_count(asg::VCpuCountRequest::builder().set_min(int(r.vcpus.0)).set_max(int(r.vcpus.1)).build())
        .memory_mib(asg::MemoryMiBRequest::builder().set_min(int(r.memory_mib.0)).set_max(int(r.memory_mib.1)).build())
        .set_cpu_manufacturers(
            strings(&r.cpu_manufacturers).map(|v| v.iter().map(|m| asg::CpuManufacturer::from(m.as_str())).collect()),
        )
        .set_accelerator_types(
            strings(&r.accelerator_types).map(|v| v.iter().map(|t| asg::AcceleratorType::from(t.as_str())).collect()),
        )
        .set_burstable_performance(r.burstable.as_deref().map(asg::BurstablePerformance::from))
        .set_allowed_instance_types(strings(&r.allowed_types))
        .set_excluded_instance_types(strings(&r.excluded_types));
    if let Some((min, max)) = r.accelerator_count {
        b = b.accelerator_count(asg::AcceleratorCountRequest::builder().set_min(int(min)).set_max(int(max)).build());
    }
    b.build()
}

/// The launch template alone, or with instance types and a spot mix.
fn template_or_mix(
    sc: &StepContext,
    a: &AutoScalingGroupAttrs,
) -> anyhow::Result<(Option<asg::LaunchTemplateSpecification>, Option<asg::MixedInstancesPolicy>)> {
    let spec = template_spec(sc, a)?;
    let Some(m) = &a.mixed_instances else { return Ok((Some(spec), None)) };
    let weight = |t: &str| m.weighted_capacity.as_ref().and_then(|w| w.get(t)).map(|w| w.to_string());
    let mut overrides: Vec<asg::LaunchTemplateOverrides> = m
        .types
        .iter()
        .map(|t| asg::LaunchTemplateOverrides::builder().instance_type(t).set_weighted_capacity(weight(t)).build())
        .collect();
    if let Some(r) = &m.requirements {
        overrides.push(asg::LaunchTemplateOverrides::builder().instance_requirements(requirements(r)).build());
    }
    let mix = asg::MixedInstancesPolicy::builder()
        .launch_template(
            asg::LaunchTemplate::builder().launch_template_specification(spec).set_overrides(Some(overrides)).build(),
        )
        .instances_distribution(
            asg::InstancesDistribution::builder()
                .on_demand_base_capacity(m.on_demand_base as i32)
                .on_demand_percentage_above_base_capacity(m.on_demand_percentage as i32)
                .spot_allocation_strategy(&m.spot_strategy)
                .build(),
        )
        .build();
    Ok((None, Some(mix)))
}

fn group_tags<'a>(name: &str, tags: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<asg::Tag> {
    tags.into_iter()
        .map(|(k, v)| {
            asg::Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

pub async fn create_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<AutoScalingGroupAttrs>()?;
    let inputs: GroupInputs = c.inputs_as()?;
    let (template, mix) = template_or_mix(sc, &a)?;
    let req = sc
        .clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&c.name)
        .min_size(a.min as i32)
        .max_size(a.max as i32)
        .desired_capacity(inputs.desired as i32)
        .vpc_zone_identifier(a.subnets.join(","))
        .set_target_group_arns(Some(sc.ids.ids_of(&a.target_groups)?))
        .set_health_check_type(a.health_check_type.clone())
        .set_health_check_grace_period(int(a.health_check_grace_period))
        .set_termination_policies(Some(a.termination_policies.clone()))
        .capacity_rebalance(a.capacity_rebalance)
        .set_default_instance_warmup(int(a.default_instance_warmup))
        .set_max_instance_lifetime(Some(a.max_instance_lifetime as i32).filter(|n| *n > 0))
        .set_instance_maintenance_policy(a.instance_maintenance.as_ref().map(maintenance))
        .capacity_reservation_specification(reservations(&a.capacity_reservations))
        // Hooks come with the group, so its first instances already wait at a launch hook.
        .set_lifecycle_hook_specification_list(Some(
            hooks(&a.lifecycle_hooks).into_values().map(|h| h.specification).collect(),
        ))
        .set_tags(Some(group_tags(&c.name, &a.tags)))
        .set_launch_template(template)
        .set_mixed_instances_policy(mix)
        .set_desired_capacity_type(a.desired_capacity_type.clone());
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
                let tags: Vec<(&str, &str)> =
                    g.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
                super::owned_by(&tags, &sc.stack, &c.address)
            });
            if !ours {
                return Err(failure.context("it exists without this stack's ownership tags; run plan again"));
            }
        }
        Err(e) => return Err(err(&format!("creating auto-scaling group {}", c.name), e)),
    }
    sc.ids.set(&c.address, c.name.clone());
    metrics_and_processes(sc, &c.name, &a, None).await?;
    warm_pool_and_notifications(sc, &c.name, &a, None).await?;
    if a.suspended_processes.iter().any(|p| p == "Launch") {
        // With launches suspended the group may never reach its minimum: nothing to wait for.
        return Ok(());
    }
    (sc.progress)(format!(
        "{}: waiting for {} instance{} in service",
        c.address,
        a.min,
        if a.min == 1 { "" } else { "s" }
    ));
    let wait = sc
        .clients
        .autoscaling
        .wait_until_group_in_service()
        .auto_scaling_group_names(&c.name)
        .wait(crate::clock::scaled(WAIT));
    crate::logging::waiting(&format!("for {}'s instances in service", c.name), wait)
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
    let a = c.after_as::<AutoScalingGroupAttrs>()?;
    let b = c.before_as::<AutoScalingGroupAttrs>()?;
    // Attach new target groups before anything else changes, detach old ones last.
    let want_groups = sc.ids.ids_of(&a.target_groups)?;
    let have_groups = sc.ids.ids_before(b.as_ref().map(|b| b.target_groups.as_slice()).unwrap_or_default())?;
    let (attach, detach) = set_diff(&want_groups, &have_groups);
    if !attach.is_empty() {
        sc.clients
            .autoscaling
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(&name)
            .set_target_group_arns(Some(attach))
            .send()
            .await
            .map_err(|e| err("attaching target groups", e))?;
    }
    // A warm pool leaves before the group changes: AWS refuses a mixed instances policy beside one.
    if a.warm_pool.is_none() && b.as_ref().is_some_and(|b| b.warm_pool.is_some()) {
        sc.clients
            .autoscaling
            .delete_warm_pool()
            .auto_scaling_group_name(&name)
            .force_delete(true)
            .send()
            .await
            .map_err(|e| err("deleting the warm pool", e))?;
    }
    if GROUP_SETTINGS.iter().any(|p| changed(c, p)) {
        let (template, mix) = template_or_mix(sc, &a)?;
        let req = sc
            .clients
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .min_size(a.min as i32)
            .max_size(a.max as i32)
            // Only a pinned capacity is set: otherwise AWS keeps it within the new min and max.
            .set_desired_capacity(int(a.desired))
            .vpc_zone_identifier(a.subnets.join(","))
            .set_health_check_type(a.health_check_type.clone())
            .set_health_check_grace_period(int(a.health_check_grace_period))
            .set_termination_policies(Some(a.termination_policies.clone()))
            .capacity_rebalance(a.capacity_rebalance)
            // -1 clears a warmup the stack no longer sets.
            .default_instance_warmup(int(a.default_instance_warmup).unwrap_or(-1))
            .max_instance_lifetime(a.max_instance_lifetime as i32)
            .capacity_reservation_specification(reservations(&a.capacity_reservations))
            // -1 and -1 clear a policy the stack no longer sets.
            .instance_maintenance_policy(a.instance_maintenance.as_ref().map(maintenance).unwrap_or_else(|| {
                asg::InstanceMaintenancePolicy::builder().min_healthy_percentage(-1).max_healthy_percentage(-1).build()
            }))
            .set_launch_template(template)
            .set_mixed_instances_policy(mix)
            .set_desired_capacity_type(a.desired_capacity_type.clone());
        req.send().await.map_err(|e| err(&format!("updating auto-scaling group {name}"), e))?;
    }
    if !detach.is_empty() {
        sc.clients
            .autoscaling
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(&name)
            .set_target_group_arns(Some(detach))
            .send()
            .await
            .map_err(|e| err("detaching target groups", e))?;
    }
    let (add, remove) = tags_changed(&a.tags, b.as_ref().map(|b| &b.tags));
    if !remove.is_empty() {
        let t = remove
            .into_iter()
            .map(|k| asg::Tag::builder().resource_id(&name).resource_type("auto-scaling-group").key(k).build())
            .collect();
        sc.clients.autoscaling.delete_tags().set_tags(Some(t)).send().await.map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = group_tags(&name, add.iter().map(|(k, v)| (k, v)));
        sc.clients.autoscaling.create_or_update_tags().set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    if changed(c, "metrics") || changed(c, "suspended_processes") {
        metrics_and_processes(sc, &name, &a, b.as_ref()).await?;
    }
    if changed(c, "lifecycle_hooks") {
        let (want, have) =
            (hooks(&a.lifecycle_hooks), hooks(b.as_ref().map(|b| b.lifecycle_hooks.as_slice()).unwrap_or_default()));
        for (hook, h) in &want {
            if have.get(hook).is_none_or(|old| old.value != h.value) {
                put_hook(sc, &name, &h.specification).await?;
            }
        }
        for hook in have.keys().filter(|k| !want.contains_key(*k)) {
            let req =
                sc.clients.autoscaling.delete_lifecycle_hook().auto_scaling_group_name(&name).lifecycle_hook_name(hook);
            req.send().await.map_err(|e| err(&format!("deleting lifecycle hook {hook}"), e))?;
        }
    }
    warm_pool_and_notifications(sc, &name, &a, b.as_ref()).await?;
    if changed(c, "instance_refresh") {
        let inputs: GroupInputs = c.inputs_as()?;
        refresh(sc, c, &name, &inputs.instance_refresh.unwrap_or_default()).await?;
    }
    Ok(())
}

/// The group's capacity reservation preference and targets (`default` when the stack sets none).
fn reservations(r: &CapacityReservations) -> asg::CapacityReservationSpecification {
    let target = asg::CapacityReservationTarget::builder()
        .set_capacity_reservation_ids(Some(r.ids.clone()).filter(|l| !l.is_empty()))
        .set_capacity_reservation_resource_group_arns(Some(r.groups.clone()).filter(|l| !l.is_empty()))
        .build();
    let spec = asg::CapacityReservationSpecification::builder()
        .capacity_reservation_preference(asg::CapacityReservationPreference::from(r.preference.as_str()));
    if r.preference.starts_with("capacity-reservations") {
        spec.capacity_reservation_target(target).build()
    } else {
        spec.build()
    }
}

fn maintenance(m: &InstanceMaintenance) -> asg::InstanceMaintenancePolicy {
    asg::InstanceMaintenancePolicy::builder()
        .set_min_healthy_percentage(m.min_healthy_percentage.map(|n| n as i32))
        .set_max_healthy_percentage(m.max_healthy_percentage.map(|n| n as i32))
        .build()
}

struct Hook {
    value: LifecycleHook,
    specification: asg::LifecycleHookSpecification,
}

/// The stack's hooks by name, as the create call takes them.
fn hooks(list: &[LifecycleHook]) -> std::collections::BTreeMap<String, Hook> {
    list.iter()
        .filter_map(|h| {
            let specification = asg::LifecycleHookSpecification::builder()
                .set_lifecycle_hook_name(h.name.clone())
                .set_lifecycle_transition(h.transition.clone())
                .heartbeat_timeout(h.heartbeat as i32)
                .default_result(&h.default_result)
                .set_notification_target_arn(h.notification_target.clone())
                .set_role_arn(h.role.clone())
                .set_notification_metadata(h.metadata.clone())
                .build();
            Some((h.name.clone()?, Hook { value: h.clone(), specification }))
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

/// The warm pool (put whole) and the SNS notifications (per topic) as the stack has them.
async fn warm_pool_and_notifications(
    sc: &StepContext,
    name: &str,
    a: &AutoScalingGroupAttrs,
    b: Option<&AutoScalingGroupAttrs>,
) -> anyhow::Result<()> {
    let api = &sc.clients.autoscaling;
    // A pool removed was deleted before the group changed (`update_group`).
    if let Some(pool) = a.warm_pool.as_ref().filter(|pool| b.and_then(|b| b.warm_pool.as_ref()) != Some(*pool)) {
        let reuse = asg::InstanceReusePolicy::builder().reuse_on_scale_in(pool.reuse_on_scale_in).build();
        api.put_warm_pool()
            .auto_scaling_group_name(name)
            .min_size(pool.min_size as i32)
            .max_group_prepared_capacity(pool.max_prepared as i32)
            .pool_state(asg::WarmPoolState::from(pool.state.as_str()))
            .instance_reuse_policy(reuse)
            .send()
            .await
            .map_err(|e| err("putting the warm pool", e))?;
    }
    // Topics as ARNs now, and as they were when the plan was made.
    let topics = |list: &[Notification],
                  id: &dyn Fn(&RefOrId) -> anyhow::Result<String>|
     -> anyhow::Result<std::collections::BTreeMap<String, Vec<String>>> {
        list.iter().map(|n| Ok((id(&n.topic)?, n.events.clone()))).collect()
    };
    let want = topics(&a.notifications, &|t| sc.ids.id_of(t))?;
    let have = topics(b.map(|b| b.notifications.as_slice()).unwrap_or_default(), &|t| sc.ids.id_before(t))?;
    for (topic, events) in &want {
        if have.get(topic) != Some(events) {
            api.put_notification_configuration()
                .auto_scaling_group_name(name)
                .topic_arn(topic)
                .set_notification_types(Some(events.clone()))
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
async fn metrics_and_processes(
    sc: &StepContext,
    name: &str,
    a: &AutoScalingGroupAttrs,
    b: Option<&AutoScalingGroupAttrs>,
) -> anyhow::Result<()> {
    let none = Vec::new();
    let (enable, disable) = set_diff(&a.metrics, b.map_or(&none, |b| &b.metrics));
    let (suspend, resume) = set_diff(&a.suspended_processes, b.map_or(&none, |b| &b.suspended_processes));
    let api = &sc.clients.autoscaling;
    if !enable.is_empty() {
        let req = api
            .enable_metrics_collection()
            .auto_scaling_group_name(name)
            .granularity("1Minute")
            .set_metrics(Some(enable));
        req.send().await.map_err(|e| err("enabling group metrics", e))?;
    }
    if !disable.is_empty() {
        api.disable_metrics_collection()
            .auto_scaling_group_name(name)
            .set_metrics(Some(disable))
            .send()
            .await
            .map_err(|e| err("disabling group metrics", e))?;
    }
    if !suspend.is_empty() {
        api.suspend_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(suspend))
            .send()
            .await
            .map_err(|e| err("suspending processes", e))?;
    }
    if !resume.is_empty() {
        api.resume_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(resume))
            .send()
            .await
            .map_err(|e| err("resuming processes", e))?;
    }
    Ok(())
}

/// Start an instance refresh with the stack's preferences and follow it to the end.
async fn refresh(sc: &StepContext, c: &Change, name: &str, prefs: &RefreshPreferences) -> anyhow::Result<()> {
    let checkpoints: Vec<i32> = prefs.checkpoints.iter().map(|n| *n as i32).collect();
    let preferences = asg::RefreshPreferences::builder()
        .set_min_healthy_percentage(int(prefs.min_healthy_percentage))
        .set_max_healthy_percentage(int(prefs.max_healthy_percentage))
        .set_instance_warmup(int(prefs.instance_warmup))
        .set_skip_matching(prefs.skip_matching)
        .set_checkpoint_percentages(Some(checkpoints).filter(|v| !v.is_empty()))
        .set_checkpoint_delay(int(prefs.checkpoint_delay))
        .set_auto_rollback(prefs.auto_rollback)
        .set_alarm_specification(
            Some(asg::AlarmSpecification::builder().set_alarms(Some(prefs.alarms.clone())).build())
                .filter(|_| !prefs.alarms.is_empty()),
        )
        .set_scale_in_protected_instances(
            prefs.scale_in_protected_instances.as_deref().map(asg::ScaleInProtectedInstances::from),
        )
        .set_standby_instances(prefs.standby_instances.as_deref().map(asg::StandbyInstances::from))
        .build();
    let asked = aws_smithy_types::DateTime::from(std::time::SystemTime::now() - Duration::from_secs(5));
    let started = sc
        .clients
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(name)
        .preferences(preferences)
        .send()
        .await;
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
            match out
                .instance_refreshes()
                .first()
                .filter(|r| r.start_time().is_some_and(|t| t.secs() >= asked.secs()))
                .and_then(|r| r.instance_refresh_id())
            {
                Some(id) => id.to_string(),
                None => anyhow::bail!(
                    "an instance refresh is already running on {name}; let it finish (or cancel it) and apply again"
                ),
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
    let before = c.before_as::<AutoScalingGroupAttrs>()?;
    for hook in hooks(before.as_ref().map(|b| b.lifecycle_hooks.as_slice()).unwrap_or_default()).keys() {
        let req =
            sc.clients.autoscaling.delete_lifecycle_hook().auto_scaling_group_name(&name).lifecycle_hook_name(hook);
        if let Err(e) = req.send().await
            && class_of(&e) != Class::NotFound
        {
            return Err(err(&format!("deleting lifecycle hook {hook}"), e));
        }
    }
    if before.as_ref().is_some_and(|b| b.warm_pool.is_some())
        && let Err(e) =
            sc.clients.autoscaling.delete_warm_pool().auto_scaling_group_name(&name).force_delete(true).send().await
        && class_of(&e) != Class::NotFound
    {
        return Err(err("deleting the warm pool", e));
    }
    if !force {
        let scaled = sc
            .clients
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .min_size(0)
            .max_size(0)
            .desired_capacity(0)
            .send()
            .await;
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
    if let Err(e) = sc
        .clients
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .force_delete(force)
        .send()
        .await
    {
        let failure = err(&format!("deleting auto-scaling group {name}"), e);
        return if group_exists(sc, &name).await? { Err(failure) } else { Ok(()) };
    }
    let wait = sc
        .clients
        .autoscaling
        .wait_until_group_not_exists()
        .auto_scaling_group_names(&name)
        .wait(crate::clock::scaled(WAIT));
    crate::logging::waiting(&format!("until {name} is deleted"), wait)
        .await
        .map_err(|e| err(&format!("waiting for {name} to be deleted"), e))?;
    Ok(())
}

// ------------------------------------------------------------------ policies

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` from the two ARNs.
fn resource_label(sc: &StepContext, lb: &Option<RefOrId>, tg: &Option<RefOrId>) -> anyhow::Result<Option<String>> {
    let (Some(lb), Some(tg)) = (lb, tg) else { return Ok(None) };
    let (lb, tg) = (sc.ids.id_of(lb)?, sc.ids.id_of(tg)?);
    let tails = lb.split_once("loadbalancer/").map(|(_, l)| l).zip(tg.rsplit_once(':').map(|(_, t)| t));
    Ok(tails.map(|(lb, tg)| format!("{lb}/{tg}")))
}

/// Metric dimensions as CloudWatch takes them, a group of the stack by its name now.
fn dimensions(
    sc: &StepContext,
    dims: &[crate::attrs::autoscaling::MetricDimension],
) -> anyhow::Result<Vec<asg::MetricDimension>> {
    dims.iter()
        .map(|d| {
            Ok(asg::MetricDimension::builder()
                .set_name(d.name.clone())
                .set_value(d.value.as_ref().map(|v| sc.ids.id_of(v)).transpose()?)
                .build())
        })
        .collect()
}

pub async fn put_policy(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<ScalingPolicyAttrs>()?;
    let group = sc.ids.id_of_ref(&a.group)?;
    let warmup = a.warmup.flatten().map(|n| n as i32);
    let mut req = sc
        .clients
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&group)
        .policy_name(&c.name)
        .policy_type(&a.r#type)
        .enabled(a.enabled);
    if let Some(t) = &a.target_tracking {
        let mut conf =
            asg::TargetTrackingConfiguration::builder().set_target_value(t.target).disable_scale_in(t.disable_scale_in);
        if let Some(metric) = &t.metric {
            conf = conf.predefined_metric_specification(
                asg::PredefinedMetricSpecification::builder()
                    .predefined_metric_type(asg::MetricType::from(metric.as_str()))
                    .set_resource_label(resource_label(sc, &t.load_balancer, &t.target_group)?)
                    .build(),
            );
        }
        if let Some(m) = &t.custom {
            let dims = dimensions(sc, &m.dimensions)?;
            conf = conf.customized_metric_specification(
                asg::CustomizedMetricSpecification::builder()
                    .set_namespace(m.namespace.clone())
                    .set_metric_name(m.name.clone())
                    .set_statistic(m.statistic.as_deref().map(asg::MetricStatistic::from))
                    .set_dimensions(Some(dims).filter(|d| !d.is_empty()))
                    .set_unit(m.unit.clone())
                    .build(),
            );
        }
        if let Some(math) = &t.math {
            let mut queries: Vec<asg::TargetTrackingMetricDataQuery> = math
                .metrics
                .iter()
                .map(|(id, m)| {
                    let dims = dimensions(sc, &m.dimensions)?;
                    let metric = asg::Metric::builder()
                        .set_namespace(m.namespace.clone())
                        .set_metric_name(m.name.clone())
                        .set_dimensions(Some(dims))
                        .build();
                    let stat = asg::TargetTrackingMetricStat::builder()
                        .metric(metric)
                        .set_stat(m.statistic.clone())
                        .set_unit(m.unit.clone())
                        .build();
                    Ok(asg::TargetTrackingMetricDataQuery::builder()
                        .id(id)
                        .metric_stat(stat)
                        .return_data(false)
                        .build())
                })
                .collect::<anyhow::Result<_>>()?;
            queries.push(
                asg::TargetTrackingMetricDataQuery::builder()
                    .id("tracked")
                    .expression(&math.expression)
                    .return_data(true)
                    .build(),
            );
            conf = conf.customized_metric_specification(
                asg::CustomizedMetricSpecification::builder().set_metrics(Some(queries)).build(),
            );
        }
        req = req.target_tracking_configuration(conf.build()).set_estimated_instance_warmup(warmup);
    } else if let Some(s) = &a.step {
        let steps = s
            .steps
            .iter()
            .map(|x| {
                asg::StepAdjustment::builder()
                    .set_metric_interval_lower_bound(x.lower)
                    .set_metric_interval_upper_bound(x.upper)
                    .set_scaling_adjustment(int(x.adjust))
                    .build()
            })
            .collect::<Vec<_>>();
        req = req
            .set_adjustment_type(s.adjustment_type.clone())
            .metric_aggregation_type(&s.aggregation)
            .set_min_adjustment_magnitude(int(s.min_adjustment_magnitude))
            .set_step_adjustments(Some(steps))
            .set_estimated_instance_warmup(warmup);
    } else if let Some(s) = &a.simple {
        req = req
            .set_adjustment_type(s.adjustment_type.clone())
            .set_scaling_adjustment(int(s.adjust))
            .cooldown(s.cooldown as i32)
            .set_min_adjustment_magnitude(int(s.min_adjustment_magnitude));
    } else if let Some(p) = &a.predictive {
        let mut spec = asg::PredictiveScalingMetricSpecification::builder().set_target_value(p.target);
        if p.metric.is_some() {
            let pair = asg::PredictiveScalingPredefinedMetricPair::builder()
                .set_predefined_metric_type(p.metric.as_deref().map(asg::PredefinedMetricPairType::from))
                .set_resource_label(resource_label(sc, &p.load_balancer, &p.target_group)?)
                .build();
            spec = spec.predefined_metric_pair_specification(pair);
        }
        // A custom metric is one query returning its values.
        let query = |m: &crate::attrs::autoscaling::CustomMetric| -> anyhow::Result<asg::MetricDataQuery> {
            let metric = asg::Metric::builder()
                .set_namespace(m.namespace.clone())
                .set_metric_name(m.name.clone())
                .set_dimensions(Some(dimensions(sc, &m.dimensions)?))
                .build();
            let stat = asg::MetricStat::builder()
                .metric(metric)
                .set_stat(m.statistic.clone())
                .set_unit(m.unit.clone())
                .build();
            Ok(asg::MetricDataQuery::builder().id("metric").metric_stat(stat).return_data(true).build())
        };
        if let Some(m) = &p.scaling_metric {
            spec = spec.customized_scaling_metric_specification(
                asg::PredictiveScalingCustomizedScalingMetric::builder().metric_data_queries(query(m)?).build(),
            );
        }
        if let Some(m) = &p.load_metric {
            spec = spec.customized_load_metric_specification(
                asg::PredictiveScalingCustomizedLoadMetric::builder().metric_data_queries(query(m)?).build(),
            );
        }
        let spec = spec.build();
        let conf = asg::PredictiveScalingConfiguration::builder()
            .metric_specifications(spec)
            .mode(asg::PredictiveScalingMode::from(p.mode.as_str()))
            .scheduling_buffer_time(p.buffer_time as i32)
            .max_capacity_breach_behavior(asg::PredictiveScalingMaxCapacityBreachBehavior::from(
                p.max_capacity_behavior.as_str(),
            ))
            .set_max_capacity_buffer(int(p.max_capacity_buffer))
            .build();
        req = req.predictive_scaling_configuration(conf);
    } else {
        anyhow::bail!("{}: policy type {} has no settings", c.address, a.r#type);
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

/// The group a policy or scheduled action was on when the plan was made.
fn group_of(sc: &StepContext, c: &Change) -> anyhow::Result<String> {
    let group = match c.address.kind {
        Kind::ScalingPolicy => c.before_as::<ScalingPolicyAttrs>()?.map(|p| p.group),
        _ => c.before_as::<ScheduledActionAttrs>()?.map(|a| a.group),
    };
    let group = group.ok_or_else(|| anyhow::anyhow!("{} has no group", c.address))?;
    sc.ids.id_before(&RefOrId::Ref(group))
}

pub async fn delete_policy(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = group_of(sc, c)?;
    let Err(e) =
        sc.clients.autoscaling.delete_policy().auto_scaling_group_name(&group).policy_name(&c.name).send().await
    else {
        return Ok(());
    };
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

fn time(t: &Option<String>) -> anyhow::Result<Option<aws_smithy_types::DateTime>> {
    use aws_smithy_types::date_time::Format;
    t.as_deref()
        .map(|t| {
            aws_smithy_types::DateTime::from_str(t, Format::DateTime).map_err(|e| anyhow::anyhow!("bad time {t}: {e}"))
        })
        .transpose()
}

pub async fn put_schedule(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<ScheduledActionAttrs>()?;
    sc.clients
        .autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(sc.ids.id_of_ref(&a.group)?)
        .scheduled_action_name(&c.name)
        .set_recurrence(a.recurrence.clone())
        .set_time_zone(a.time_zone.clone())
        .set_start_time(time(&a.start)?)
        .set_end_time(time(&a.end)?)
        .set_min_size(int(a.min))
        .set_max_size(int(a.max))
        .set_desired_capacity(int(a.desired))
        .send()
        .await
        .map_err(|e| err(&format!("putting scheduled action {}", c.name), e))?;
    sc.ids.set(&c.address, c.name.clone());
    Ok(())
}

pub async fn delete_schedule(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let group = group_of(sc, c)?;
    let Err(e) = sc
        .clients
        .autoscaling
        .delete_scheduled_action()
        .auto_scaling_group_name(&group)
        .scheduled_action_name(&c.name)
        .send()
        .await
    else {
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
