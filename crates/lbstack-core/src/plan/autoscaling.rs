//! The auto-scaling half of the desired state (launch templates, groups, policies, scheduled
//! actions, alarms) and the plan pass that turns launch-template changes into instance refreshes
//! and warns about capacity a change would take away.

use super::desired::{Context, sg_source};
use super::model::{Action, Address, AttrDiff, Attrs, Desired, Kind, Plan};
use crate::attrs::autoscaling::{
    AutoScalingGroupAttrs, CapacityReservations, CustomMetric, GroupInputs, InstanceMaintenance, LaunchTemplateAttrs,
    LaunchTemplateInputs, LifecycleHook, MetricDimension, MixedInstances, Notification, PredictiveScaling,
    RefreshPreferences, RootVolume, ScalingPolicyAttrs, ScheduledActionAttrs, SimpleScaling, Spot, Step as StepBounds,
    StepScaling, TargetTracking, TemplateVersion, WarmPool,
};
use crate::attrs::cloudwatch::{AlarmAttrs, CompositeAlarmAttrs, Dimension, Query};
use crate::attrs::{Ref, RefOrId, set_of};
use crate::defaults;
use crate::ownership::names;
use crate::ownership::tag_map;
use crate::stack_format::model::*;
use serde_json::json;

/// The AMI a launch template resolved to at plan time.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ResolvedImage {
    pub id: String,
    pub name: String,
    /// Device of the root volume (`/dev/xvda`, `/dev/sda1`): where a `root_volume` goes.
    pub root_device: String,
}

pub fn build(s: &Stack, ctx: &Context, out: &mut Vec<Desired>) -> Result<(), String> {
    for (key, lt) in &s.launch_templates {
        out.push(launch_template(s, ctx, key, lt)?);
    }
    for (key, g) in &s.autoscaling_groups {
        out.push(group(s, ctx, key, g)?);
    }
    for (key, p) in &s.scaling_policies {
        out.push(policy(s, key, p));
    }
    for (key, a) in &s.scheduled_actions {
        out.push(scheduled_action(s, key, a)?);
    }
    for (key, a) in &s.alarms {
        out.push(alarm(s, key, a));
    }
    for (key, c) in &s.composite_alarms {
        out.push(composite_alarm(s, key, c));
    }
    Ok(())
}

/// A composite alarm: its rule with the stack's keys written as the alarms' AWS names (quoted),
/// as AWS keeps it; it depends on every alarm it names.
fn composite_alarm(s: &Stack, key: &str, c: &CompositeAlarm) -> Desired {
    let address = Address::new(Kind::CompositeAlarm, key);
    let mut rule = String::with_capacity(c.rule.len());
    let mut last = 0;
    let mut deps = Vec::new();
    for (range, name) in c.references() {
        rule.push_str(&c.rule[last..range.start]);
        let kind = if s.composite_alarms.contains_key(&name) { Kind::CompositeAlarm } else { Kind::Alarm };
        rule.push_str(&format!("\"{}\"", names::given(s, kind, &name)));
        last = range.end;
        deps.push(Address::new(kind, &name));
    }
    rule.push_str(&c.rule[last..]);
    let attrs = CompositeAlarmAttrs {
        rule,
        actions: action_targets(s, &c.actions),
        ok_actions: action_targets(s, &c.ok_actions),
        insufficient_data_actions: action_targets(s, &c.insufficient_data_actions),
        description: c.description.clone().unwrap_or_default(),
        tags: tag_map(s, &address, &c.tags),
        state: None,
    };
    let mut d = Desired::new(address, names::given(s, Kind::CompositeAlarm, key), &attrs, None);
    d.deps.extend(deps);
    d.deps.sort();
    d.deps.dedup();
    d
}

// ------------------------------------------------------------------ launch templates

fn launch_template(s: &Stack, ctx: &Context, key: &str, lt: &LaunchTemplate) -> Result<Desired, String> {
    let address = Address::new(Kind::LaunchTemplate, key);
    let image = ctx.images.get(key).ok_or_else(|| format!("launch template `{key}`: its image was not resolved"))?;
    let user_data = match &lt.user_data {
        Some(file) => {
            let bytes = s
                .files
                .read(file, crate::stack_format::validate::MAX_USER_DATA)
                .map_err(|e| format!("launch template `{key}`: user data `{file}`: {e}"))?;
            Some(
                String::from_utf8(bytes)
                    .map_err(|_| format!("launch template `{key}`: user data `{file}` is not UTF-8 text"))?,
            )
        }
        None => None,
    };
    let spot = lt.spot.as_ref().map(|sp| {
        let interruption = match sp.interruption.unwrap_or(SpotInterruption::Terminate) {
            SpotInterruption::Terminate => "terminate",
            SpotInterruption::Stop => "stop",
            SpotInterruption::Hibernate => "hibernate",
        };
        Spot { max_price: sp.max_price.clone(), interruption: interruption.into() }
    });
    let root_volume = lt.root_volume.as_ref().map(|rv| RootVolume {
        device: Some(image.root_device.clone()),
        size: Some(i64::from(rv.size)),
        r#type: Some(rv.kind.clone()),
        encrypted: rv.encrypted,
        iops: rv.iops.map(i64::from),
        throughput: rv.throughput.map(i64::from),
    });
    let shown = match &lt.image {
        Image::Id(_) => image.name.clone(),
        Image::Lookup(l) => format!("{} (newest `{}` owned by {})", image.name, l.name, l.owner),
        Image::Parameter(p) => format!("{} (from SSM parameter {})", image.name, p.ssm),
    };
    let attrs = LaunchTemplateAttrs {
        image: Some(image.id.clone()),
        instance_type: Some(lt.instance_type.clone()),
        security_groups: set_of(lt.security_groups.iter().map(|g| sg_source(g)).collect()),
        instance_profile: lt.instance_profile.clone(),
        key_name: lt.key_name.clone(),
        user_data,
        imds: if lt.imds == Imds::Optional { "optional" } else { "required" }.into(),
        spot,
        monitoring: lt.monitoring.unwrap_or(false),
        root_volume,
        volumes: (!lt.volumes.is_empty()).then(|| {
            lt.volumes
                .iter()
                .map(|(device, v)| {
                    let volume = crate::attrs::autoscaling::ExtraVolume {
                        no_device: v.no_device,
                        size: v.size.map(i64::from),
                        r#type: v.kind.clone().or_else(|| (!v.no_device).then(|| "gp3".into())),
                        encrypted: v.encrypted.or((!v.no_device && v.snapshot.is_none()).then_some(true)),
                        iops: v.iops.map(i64::from),
                        throughput: v.throughput.map(i64::from),
                        snapshot: v.snapshot.clone(),
                        delete_on_termination: v.delete_on_termination.or((!v.no_device).then_some(true)),
                    };
                    (device.clone(), volume)
                })
                .collect()
        }),
        network_interfaces: (!lt.network_interfaces.is_empty()).then(|| {
            lt.network_interfaces
                .iter()
                .enumerate()
                .map(|(i, n)| crate::attrs::autoscaling::NetworkInterface {
                    device_index: i64::from(n.device_index.unwrap_or(i as u32)),
                    network_card: n.network_card.map(i64::from),
                    interface_type: n
                        .interface_type
                        .and_then(|t| serde_json::to_value(t).ok())
                        .and_then(|v| v.as_str().map(str::to_string)),
                    public_ip: n.public_ip,
                    security_groups: set_of(n.security_groups.iter().map(|g| super::desired::sg_source(g)).collect()),
                    tcp_established_timeout: n
                        .connection_tracking
                        .as_ref()
                        .and_then(|t| t.tcp_established)
                        .map(i64::from),
                    udp_timeout: n.connection_tracking.as_ref().and_then(|t| t.udp).map(i64::from),
                    udp_stream_timeout: n.connection_tracking.as_ref().and_then(|t| t.udp_stream).map(i64::from),
                })
                .collect()
        }),
        description: lt.description.clone(),
        ebs_optimized: lt.ebs_optimized,
        cpu_credits: lt.cpu_credits.map(|c| if c == CpuCredits::Unlimited { "unlimited" } else { "standard" }.into()),
        cpu_options: lt.cpu_options.as_ref().map(|c| crate::attrs::autoscaling::CpuOptions {
            core_count: c.core_count.map(i64::from),
            threads_per_core: c.threads_per_core.map(i64::from),
        }),
        auto_recovery: lt
            .auto_recovery
            .map(|r| if r == AutoRecovery::Disabled { "disabled" } else { "default" }.into()),
        placement: lt.placement.as_ref().map(|p| crate::attrs::autoscaling::Placement {
            group: p.group.clone(),
            tenancy: p.tenancy.and_then(|t| serde_json::to_value(t).ok()).and_then(|v| v.as_str().map(str::to_string)),
            partition: p.partition.map(i64::from),
        }),
        capacity_reservation: lt
            .capacity_reservation
            .map(|c| if c == CapacityReservationUse::None { "none" } else { "open" }.into()),
        imds_hop_limit: lt.imds_hop_limit.map(i64::from),
        imds_tags: lt.imds_tags,
        resource_tags: lt.resource_tags.as_ref().map(|r| {
            [
                ("instance", &r.instance),
                ("volume", &r.volume),
                ("network-interface", &r.network_interface),
                ("spot-instances-request", &r.spot_instances_request),
            ]
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(kind, t)| (kind.to_string(), t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
            .collect()
        }),
        tags: tag_map(s, &address, &lt.tags),
        version: None,
    };
    Ok(Desired::new(address, names::given(s, Kind::LaunchTemplate, key), &attrs, None)
        .with_inputs(LaunchTemplateInputs { image: shown }))
}

/// Whether a launch template change makes a new version (anything but its tags).
pub fn makes_new_version(diffs: &[AttrDiff]) -> bool {
    diffs.iter().any(|d| d.path != "tags" && !d.path.starts_with("tags."))
}

// ------------------------------------------------------------------ groups

pub fn version_of(r: &LaunchTemplateRef) -> String {
    match r {
        LaunchTemplateRef::Name(_) => "$Latest".into(),
        LaunchTemplateRef::Versioned(v) => match &v.version {
            None => "$Latest".into(),
            Some(Scalar::String(s)) if s == "latest" => "$Latest".into(),
            Some(Scalar::String(s)) if s == "default" => defaults::TEMPLATE_VERSION.into(),
            Some(other) => other.to_string(),
        },
    }
}

/// A CloudWatch metric of the stack (target tracking's custom metric and math, predictive
/// scaling's custom metrics) as the attributes hold it.
fn custom_metric(s: &Stack, m: &crate::stack_format::model::CustomMetric) -> CustomMetric {
    CustomMetric {
        namespace: Some(m.namespace.clone()),
        name: Some(m.name.clone()),
        statistic: Some(m.statistic.clone()),
        dimensions: set_of(
            m.dimensions
                .iter()
                .map(|(k, v)| MetricDimension { name: Some(k.clone()), value: Some(dimension_value(s, k, v)) })
                .collect(),
        ),
        unit: m.unit.clone(),
    }
}

/// A metric dimension's value: a group of the stack named by key is referenced (its AWS name is
/// sent), anything else is the value as written.
fn dimension_value(s: &Stack, name: &str, value: &str) -> RefOrId {
    if name == "AutoScalingGroupName" && s.autoscaling_groups.contains_key(value) {
        RefOrId::Ref(Ref::to(Kind::AutoScalingGroup, value))
    } else {
        RefOrId::Id(value.to_string())
    }
}

/// Hooks named as the stack gives them: recorded on the group, so a hook that loses its entry is
/// still known as the stack's and deleted (hooks carry no tags of their own).
pub const GIVEN_HOOKS_TAG: &str = "lbstack:hooks";

/// The hook names a group's `lbstack:hooks` tag records.
pub fn given_hooks(tag: Option<&str>) -> Vec<String> {
    tag.into_iter().flat_map(|t| t.split(',')).filter(|n| !n.is_empty()).map(str::to_string).collect()
}

fn group_tags(s: &Stack, address: &Address, g: &AutoScalingGroup) -> crate::attrs::TagMap {
    let mut tags = tag_map(s, address, &g.tags);
    let mut given: Vec<&str> = g.lifecycle_hooks.values().filter_map(|h| h.name.as_deref()).collect();
    given.sort();
    if !given.is_empty() {
        tags.insert(GIVEN_HOOKS_TAG.into(), given.join(","));
    }
    tags
}

fn group(s: &Stack, ctx: &Context, key: &str, g: &AutoScalingGroup) -> Result<Desired, String> {
    let address = Address::new(Kind::AutoScalingGroup, key);
    let subnets = match &g.subnets {
        Some(name) => {
            ctx.subnet_groups.get(name).cloned().ok_or_else(|| format!("subnet group `{name}` was not resolved"))?
        }
        None => ctx.vpc_subnets.clone(),
    };
    let mixed_instances = g.mixed_instances.as_ref().map(|m| {
        let strategy = match m.spot_strategy {
            SpotStrategy::PriceCapacityOptimized => "price-capacity-optimized",
            SpotStrategy::CapacityOptimized => "capacity-optimized",
            SpotStrategy::LowestPrice => "lowest-price",
        };
        // Order matters: it is the on-demand priority.
        MixedInstances {
            types: m.types.clone(),
            on_demand_base: i64::from(m.on_demand_base),
            on_demand_percentage: i64::from(m.on_demand_percentage),
            spot_strategy: strategy.into(),
            weighted_capacity: (!m.weighted_capacity.is_empty())
                .then(|| m.weighted_capacity.iter().map(|(t, w)| (t.clone(), i64::from(*w))).collect()),
            requirements: m.requirements.as_ref().map(|r| {
                let range = |x: &crate::stack_format::model::Range| (x.min.map(i64::from), x.max.map(i64::from));
                crate::attrs::autoscaling::InstanceRequirements {
                    vcpus: range(&r.vcpus),
                    memory_mib: range(&r.memory_mib),
                    cpu_manufacturers: set_of(r.cpu_manufacturers.clone()),
                    accelerator_count: r.accelerator_count.as_ref().map(range),
                    accelerator_types: set_of(r.accelerator_types.clone()),
                    burstable: r.burstable.clone(),
                    allowed_types: set_of(r.allowed_types.clone()),
                    excluded_types: set_of(r.excluded_types.clone()),
                }
            }),
        }
    });
    let hc = g.health_check.clone().unwrap_or(AsgHealthCheck { kind: AsgHealthCheckType::Ec2, grace_period: None });
    let termination_policies: Vec<String> = if g.termination_policies.is_empty() {
        vec!["Default".into()]
    } else {
        g.termination_policies
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok()?.as_str().map(str::to_string))
            .collect()
    };
    let hooks: Vec<LifecycleHook> = g
        .lifecycle_hooks
        .iter()
        .map(|(hook, h)| LifecycleHook {
            name: Some(h.name.clone().unwrap_or_else(|| names::physical(&s.stack, hook, 255))),
            transition: Some(
                match h.transition {
                    HookTransition::Launch => "autoscaling:EC2_INSTANCE_LAUNCHING",
                    HookTransition::Terminate => "autoscaling:EC2_INSTANCE_TERMINATING",
                }
                .into(),
            ),
            heartbeat: i64::from(h.heartbeat.unwrap_or(defaults::HOOK_HEARTBEAT)),
            default_result: if h.default_result == Some(HookResult::Continue) {
                "CONTINUE"
            } else {
                defaults::HOOK_DEFAULT_RESULT
            }
            .into(),
            notification_target: h.notification_target.clone(),
            role: h.role.clone(),
            metadata: h.metadata.clone(),
        })
        .collect();
    let warm_pool = g.warm_pool.as_ref().map(|w| {
        let state = match w.state.unwrap_or(WarmPoolState::Stopped) {
            WarmPoolState::Stopped => "Stopped",
            WarmPoolState::Running => "Running",
            WarmPoolState::Hibernated => "Hibernated",
        };
        // -1: as many as the group's maximum (AWS's way of saying "not set").
        WarmPool {
            min_size: i64::from(w.min_size.unwrap_or(0)),
            max_prepared: w.max_prepared.map_or(-1, i64::from),
            state: state.into(),
            reuse_on_scale_in: w.reuse_on_scale_in.unwrap_or(false),
        }
    });
    let notifications: Vec<Notification> = g
        .notifications
        .iter()
        .map(|n| {
            let events = if n.events.is_empty() { GroupEvent::ALL.to_vec() } else { n.events.clone() };
            Notification {
                topic: action_target(s, &n.topic),
                events: set_of(events.into_iter().map(|e| e.aws_name().to_string()).collect()),
            }
        })
        .collect();
    let capacity_reservations = match &g.capacity_reservations {
        Some(r) => {
            let preference = match r.preference.unwrap_or(ReservationPreference::First) {
                ReservationPreference::First => "capacity-reservations-first",
                ReservationPreference::Only => "capacity-reservations-only",
                ReservationPreference::None => "none",
            };
            CapacityReservations {
                preference: preference.into(),
                ids: set_of(r.ids.clone()),
                groups: set_of(r.groups.clone()),
            }
        }
        // Without a setting AWS reports the preference `default`.
        None => CapacityReservations { preference: "default".into(), ids: Vec::new(), groups: Vec::new() },
    };
    let mut attrs = AutoScalingGroupAttrs {
        min: i64::from(g.min),
        max: i64::from(g.max),
        // Scaling owns the desired capacity once the group exists, unless the stack pins it.
        desired: g.pin_desired.then(|| i64::from(g.desired.unwrap_or(g.min))),
        subnets: set_of(subnets),
        launch_template: TemplateVersion {
            template: Some(RefOrId::Ref(Ref::to(Kind::LaunchTemplate, g.launch_template.name()))),
            version: version_of(&g.launch_template),
        },
        mixed_instances,
        desired_capacity_type: g.desired_capacity_type.map(|t| {
            match t {
                DesiredCapacityType::Units => "units",
                DesiredCapacityType::Vcpu => "vcpu",
                DesiredCapacityType::MemoryMib => "memory-mib",
            }
            .to_string()
        }),
        target_groups: set_of(g.target_groups.iter().map(|t| RefOrId::Ref(Ref::to(Kind::TargetGroup, t))).collect()),
        health_check_type: Some(if hc.kind == AsgHealthCheckType::Elb { "ELB" } else { "EC2" }.into()),
        health_check_grace_period: Some(i64::from(hc.grace_period.unwrap_or(defaults::HEALTH_CHECK_GRACE_PERIOD))),
        termination_policies,
        capacity_rebalance: g.capacity_rebalance.unwrap_or(false),
        default_instance_warmup: g.default_instance_warmup.map(i64::from),
        max_instance_lifetime: i64::from(g.max_instance_lifetime.unwrap_or(0)),
        lifecycle_hooks: set_of(hooks),
        warm_pool,
        notifications: set_of(notifications),
        instance_maintenance: g.instance_maintenance.as_ref().map(|m| InstanceMaintenance {
            min_healthy_percentage: Some(i64::from(m.min_healthy_percentage)),
            max_healthy_percentage: Some(i64::from(m.max_healthy_percentage)),
        }),
        capacity_reservations,
        metrics: set_of(g.collected_metrics().into_iter().map(str::to_string).collect()),
        suspended_processes: set_of(g.suspended_processes.iter().map(|p| p.as_str().to_string()).collect()),
        tags: group_tags(s, &address, g),
        desired_capacity: None,
        instances: None,
        in_service: None,
        pending: None,
        last_refresh: None,
    };
    if s.scheduled_actions.values().any(|a| a.group == key) {
        attrs.tags.insert(SIZES_TAG.into(), sizes_record(&attrs));
    }
    let inputs = GroupInputs {
        desired: i64::from(g.desired.unwrap_or(g.min)),
        instance_refresh: g.instance_refresh.as_ref().map(|r| RefreshPreferences {
            min_healthy_percentage: r.min_healthy_percentage.map(i64::from),
            max_healthy_percentage: r.max_healthy_percentage.map(i64::from),
            instance_warmup: r.instance_warmup.map(i64::from),
            skip_matching: r.skip_matching,
            checkpoints: r.checkpoints.iter().map(|c| i64::from(*c)).collect(),
            checkpoint_delay: r.checkpoint_delay.map(i64::from),
            auto_rollback: r.auto_rollback,
            alarms: r
                .alarms
                .iter()
                .map(|a| if s.alarms.contains_key(a) { names::given(s, Kind::Alarm, a) } else { a.clone() })
                .collect(),
            scale_in_protected_instances: r.scale_in_protected_instances.map(|b| {
                match b {
                    RefreshInstanceBehaviour::Refresh => "Refresh",
                    RefreshInstanceBehaviour::Ignore => "Ignore",
                    RefreshInstanceBehaviour::Wait => "Wait",
                }
                .to_string()
            }),
            standby_instances: r.standby_instances.map(|b| {
                match b {
                    StandbyBehaviour::Terminate => "Terminate",
                    StandbyBehaviour::Ignore => "Ignore",
                    StandbyBehaviour::Wait => "Wait",
                }
                .to_string()
            }),
            on_tags: r.triggers.contains(&RefreshTrigger::Tags),
        }),
        force_delete: g.force_delete,
    };
    Ok(Desired::new(address, names::given(s, Kind::AutoScalingGroup, key), &attrs, None).with_inputs(inputs))
}

/// On a group with scheduled actions: the sizes the stack declared when lbstack last set them,
/// `min=2,max=10[,desired=3]`.
pub const SIZES_TAG: &str = "lbstack:sizes";

fn sizes_record(a: &AutoScalingGroupAttrs) -> String {
    let mut record = format!("min={},max={}", a.min, a.max);
    if let Some(d) = a.desired {
        record.push_str(&format!(",desired={d}"));
    }
    record
}

/// The stack's own schedules are not drift. Between applies, a group's scheduled actions change
/// its min, max (and a pinned desired capacity): for each size some schedule of the group sets,
/// while the stack still declares the value recorded in `lbstack:sizes` at the last apply, the
/// live value stands (no change shown, none made). A value edited in the stack differs from the
/// record and is planned as usual. Without a record (a group from before), the stack's value wins.
pub fn keep_scheduled_sizes(s: &Stack, wanted: &mut [Desired], live: &[super::model::Live]) {
    for d in wanted.iter_mut().filter(|d| d.address.kind == Kind::AutoScalingGroup) {
        let Some(l) = live.iter().find(|l| l.address == d.address) else { continue };
        let Some(record) = l.tags().and_then(|t| t.get(SIZES_TAG)) else { continue };
        let (Attrs::AutoScalingGroup(want), Attrs::AutoScalingGroup(now)) = (&mut d.attrs, &l.attrs) else {
            continue;
        };
        let recorded = |field: &str| {
            record
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == field)
                .and_then(|(_, v)| v.parse::<i64>().ok())
        };
        let schedules: Vec<&ScheduledAction> =
            s.scheduled_actions.values().filter(|a| a.group == d.address.key).collect();
        let set_by_schedule = |size: fn(&ScheduledAction) -> Option<u32>| schedules.iter().any(|a| size(a).is_some());
        if set_by_schedule(|a| a.min) && recorded("min") == Some(want.min) {
            want.min = now.min;
        }
        if set_by_schedule(|a| a.max) && recorded("max") == Some(want.max) {
            want.max = now.max;
        }
        if set_by_schedule(|a| a.desired)
            && want.desired.is_some()
            && recorded("desired") == want.desired
            && now.desired.is_some()
        {
            want.desired = now.desired;
        }
    }
}

// ------------------------------------------------------------------ policies

/// The application load balancer that forwards to a target group (for request-count metrics).
fn alb_forwarding_to<'a>(s: &'a Stack, tg: &str) -> Option<&'a str> {
    s.load_balancers.iter().find_map(|(key, lb)| {
        let forwards = lb.kind == LbType::Application && lb.listeners.values().any(|l| l.target_groups().contains(&tg));
        forwards.then_some(key.as_str())
    })
}

fn label_refs(s: &Stack, tg: Option<&str>) -> (Option<RefOrId>, Option<RefOrId>) {
    match tg {
        Some(tg) => (
            Some(RefOrId::Ref(Ref::to(Kind::TargetGroup, tg))),
            alb_forwarding_to(s, tg).map(|lb| RefOrId::Ref(Ref::to(Kind::LoadBalancer, lb))),
        ),
        None => (None, None),
    }
}

fn adjustment(t: AdjustmentType) -> &'static str {
    match t {
        AdjustmentType::ChangeInCapacity => "ChangeInCapacity",
        AdjustmentType::PercentChangeInCapacity => "PercentChangeInCapacity",
        AdjustmentType::ExactCapacity => "ExactCapacity",
    }
}

fn policy(s: &Stack, key: &str, p: &ScalingPolicy) -> Desired {
    let address = Address::new(Kind::ScalingPolicy, key);
    let mut attrs = ScalingPolicyAttrs {
        group: Ref::to(Kind::AutoScalingGroup, &p.group),
        enabled: p.enabled.unwrap_or(true),
        r#type: String::new(),
        target_tracking: None,
        step: None,
        simple: None,
        predictive: None,
        warmup: None,
    };
    if let Some(tt) = &p.target_tracking {
        let metric = tt.metric.map(PredefinedMetric::tracking_name);
        let (target_group, load_balancer) = label_refs(s, tt.target_group.as_deref());
        let custom = tt.custom.as_ref().map(|c| custom_metric(s, c));
        let math = tt.expression.as_ref().map(|expression| crate::attrs::autoscaling::MetricMath {
            expression: expression.clone(),
            metrics: tt.metrics.iter().map(|(id, m)| (id.clone(), custom_metric(s, m))).collect(),
        });
        attrs.r#type = "TargetTrackingScaling".into();
        attrs.target_tracking = Some(TargetTracking {
            metric: metric.map(str::to_string),
            target_group,
            load_balancer,
            custom,
            math,
            target: Some(tt.target),
            disable_scale_in: tt.disable_scale_in,
        });
        attrs.warmup = Some(tt.warmup.map(i64::from));
    } else if let Some(st) = &p.step {
        let mut steps: Vec<&Step> = st.steps.iter().collect();
        steps.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
        attrs.r#type = "StepScaling".into();
        attrs.step = Some(StepScaling {
            adjustment_type: Some(adjustment(st.adjustment_type).into()),
            aggregation: st.aggregation.clone().unwrap_or_else(|| defaults::STATISTIC.into()),
            min_adjustment_magnitude: st.min_adjustment_magnitude.map(i64::from),
            steps: steps
                .iter()
                .map(|x| StepBounds { lower: x.lower, upper: x.upper, adjust: Some(i64::from(x.adjust)) })
                .collect(),
        });
        attrs.warmup = Some(st.warmup.map(i64::from));
    } else if let Some(si) = &p.simple {
        attrs.r#type = "SimpleScaling".into();
        attrs.simple = Some(SimpleScaling {
            adjustment_type: Some(adjustment(si.adjustment_type).into()),
            adjust: Some(i64::from(si.adjust)),
            cooldown: i64::from(si.cooldown.unwrap_or(defaults::SCALING_COOLDOWN)),
            min_adjustment_magnitude: si.min_adjustment_magnitude.map(i64::from),
        });
    } else if let Some(pr) = &p.predictive {
        let metric = pr.metric.map(PredefinedMetric::predictive_name);
        let (target_group, load_balancer) = label_refs(s, pr.target_group.as_deref());
        attrs.r#type = "PredictiveScaling".into();
        attrs.predictive = Some(PredictiveScaling {
            metric: metric.map(str::to_string),
            scaling_metric: pr.scaling_metric.as_ref().map(|m| custom_metric(s, m)),
            load_metric: pr.load_metric.as_ref().map(|m| custom_metric(s, m)),
            target_group,
            load_balancer,
            target: Some(pr.target),
            mode: if pr.mode == PredictiveMode::ForecastAndScale { "ForecastAndScale" } else { "ForecastOnly" }.into(),
            buffer_time: i64::from(pr.buffer_time.unwrap_or(defaults::PREDICTIVE_BUFFER_TIME)),
            max_capacity_behavior: if pr.max_capacity_behavior == MaxCapacityBehavior::IncreaseMaxCapacity {
                "IncreaseMaxCapacity"
            } else {
                "HonorMaxCapacity"
            }
            .into(),
            max_capacity_buffer: pr.max_capacity_buffer.map(i64::from),
        });
    }
    Desired::new(address, names::given(s, Kind::ScalingPolicy, key), &attrs, None)
}

// ------------------------------------------------------------------ scheduled actions

/// `2026-12-01T08:00:00Z` as AWS answers it (UTC, whole seconds).
pub fn normalise_time(t: &str) -> Result<String, String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("`{t}` is not an ISO 8601 time: {e}"))?;
    Ok(parsed.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn scheduled_action(s: &Stack, key: &str, a: &ScheduledAction) -> Result<Desired, String> {
    let address = Address::new(Kind::ScheduledAction, key);
    let time = |t: &Option<String>| {
        t.as_deref().map(normalise_time).transpose().map_err(|e| format!("scheduled action `{key}`: {e}"))
    };
    let attrs = ScheduledActionAttrs {
        group: Ref::to(Kind::AutoScalingGroup, &a.group),
        recurrence: a.recurrence.clone(),
        time_zone: a.time_zone.clone(),
        start: time(&a.start)?,
        end: time(&a.end)?,
        min: a.min.map(i64::from),
        max: a.max.map(i64::from),
        desired: a.desired.map(i64::from),
    };
    Ok(Desired::new(address, names::given(s, Kind::ScheduledAction, key), &attrs, None))
}

// ------------------------------------------------------------------ alarms

pub fn comparison_name(c: Comparison) -> &'static str {
    match c {
        Comparison::Greater => "GreaterThanThreshold",
        Comparison::GreaterOrEqual => "GreaterThanOrEqualToThreshold",
        Comparison::Less => "LessThanThreshold",
        Comparison::LessOrEqual => "LessThanOrEqualToThreshold",
        Comparison::OutsideBand => "LessThanLowerOrGreaterThanUpperThreshold",
        Comparison::AboveBand => "GreaterThanUpperThreshold",
        Comparison::BelowBand => "LessThanLowerThreshold",
    }
}

fn namespace_for(s: &Stack, namespace: &Option<String>, metric: &str, d: &AlarmDimensions) -> String {
    if let Some(ns) = namespace {
        return ns.clone();
    }
    if d.autoscaling_group.is_some() && GROUP_METRICS.contains(&metric) {
        return "AWS/AutoScaling".into();
    }
    match d.load_balancer.as_ref().and_then(|lb| s.load_balancers.get(lb)).map(|lb| lb.kind) {
        Some(LbType::Network) => "AWS/NetworkELB".into(),
        Some(LbType::Gateway) => "AWS/GatewayELB".into(),
        Some(LbType::Application) => "AWS/ApplicationELB".into(),
        None => "AWS/EC2".into(),
    }
}

/// An alarm's dimensions, stack resources by reference.
fn alarm_dimensions(d: &AlarmDimensions) -> Vec<Dimension> {
    let mut dims = Vec::new();
    let of =
        |name: &str, kind: Kind, key: &str| Dimension { name: name.into(), value: RefOrId::Ref(Ref::to(kind, key)) };
    if let Some(lb) = &d.load_balancer {
        dims.push(of("LoadBalancer", Kind::LoadBalancer, lb));
    }
    if let Some(tg) = &d.target_group {
        dims.push(of("TargetGroup", Kind::TargetGroup, tg));
    }
    if let Some(g) = &d.autoscaling_group {
        dims.push(of("AutoScalingGroupName", Kind::AutoScalingGroup, g));
    }
    for (k, v) in &d.other {
        dims.push(Dimension { name: k.clone(), value: RefOrId::Id(v.clone()) });
    }
    set_of(dims)
}

/// The id of the band query of an anomaly-detection alarm, and of the metric it is around.
pub const BAND_QUERY: &str = "band";
pub const BANDED_METRIC_QUERY: &str = "m1";
/// The id of the query that holds an alarm's `expression`.
pub use crate::stack_format::model::EXPRESSION_QUERY;

/// The metric queries of a math or anomaly alarm (none for a plain one), sorted by id.
fn alarm_queries(s: &Stack, a: &Alarm) -> Vec<Query> {
    let stat = |m: &str,
                namespace: &Option<String>,
                d: &AlarmDimensions,
                statistic: &Option<String>,
                period: u32,
                id: &str,
                returned: bool| Query {
        id: id.into(),
        expression: None,
        namespace: Some(namespace_for(s, namespace, m, d)),
        metric: Some(m.into()),
        dimensions: Some(alarm_dimensions(d)),
        statistic: Some(statistic.clone().unwrap_or_else(|| defaults::STATISTIC.into())),
        period: Some(i64::from(period)),
        returned,
    };
    let expression = |id: &str, expression: String| Query {
        id: id.into(),
        expression: Some(expression),
        namespace: None,
        metric: None,
        dimensions: None,
        statistic: None,
        period: None,
        returned: true,
    };
    let mut queries = Vec::new();
    if let Some(e) = &a.expression {
        queries.push(expression(EXPRESSION_QUERY, e.clone()));
        for (id, m) in &a.metrics {
            queries.push(stat(
                &m.metric,
                &m.namespace,
                &m.dimensions,
                &m.statistic,
                m.period.unwrap_or(a.period),
                id,
                false,
            ));
        }
    } else if let (Some(band), Some(metric)) = (a.anomaly_band, &a.metric) {
        queries.push(stat(metric, &a.namespace, &a.dimensions, &a.statistic, a.period, BANDED_METRIC_QUERY, true));
        queries.push(expression(BAND_QUERY, format!("ANOMALY_DETECTION_BAND({BANDED_METRIC_QUERY}, {band})")));
    }
    queries.sort_by(|x, y| x.id.cmp(&y.id));
    queries
}

/// An action by key is an SNS topic or a scaling policy of the stack; an ARN stays as written.
fn action_target(s: &Stack, a: &str) -> RefOrId {
    let kind = if s.topics.contains_key(a) { Kind::Topic } else { Kind::ScalingPolicy };
    RefOrId::named(kind, a, a.starts_with("arn:"))
}

/// Alarm actions, a set.
fn action_targets(s: &Stack, list: &[String]) -> Vec<RefOrId> {
    set_of(list.iter().map(|x| action_target(s, x)).collect())
}

fn alarm(s: &Stack, key: &str, a: &Alarm) -> Desired {
    let address = Address::new(Kind::Alarm, key);
    // A plain alarm names its metric; a math or anomaly alarm has only queries.
    let plain = a.expression.is_none() && a.anomaly_band.is_none();
    let metric = a.metric.as_deref().filter(|_| plain);
    let missing = match a.missing_data.unwrap_or(MissingData::Missing) {
        MissingData::Missing => "missing",
        MissingData::Ignore => "ignore",
        MissingData::Breaching => "breaching",
        MissingData::NotBreaching => "notBreaching",
    };
    let attrs = AlarmAttrs {
        namespace: metric.map(|m| namespace_for(s, &a.namespace, m, &a.dimensions)),
        metric: metric.map(str::to_string),
        statistic: metric.map(|_| a.statistic.clone().unwrap_or_else(|| defaults::STATISTIC.into())),
        dimensions: if plain { alarm_dimensions(&a.dimensions) } else { Vec::new() },
        period: metric.map(|_| i64::from(a.period)),
        queries: alarm_queries(s, a),
        threshold_metric: a.anomaly_band.map(|_| BAND_QUERY.to_string()),
        evaluation_periods: i64::from(a.evaluation_periods),
        datapoints_to_alarm: Some(i64::from(a.datapoints_to_alarm.unwrap_or(a.evaluation_periods))),
        threshold: a.threshold,
        comparison: Some(comparison_name(a.comparison).into()),
        missing_data: missing.into(),
        actions: action_targets(s, &a.actions),
        ok_actions: action_targets(s, &a.ok_actions),
        insufficient_data_actions: action_targets(s, &a.insufficient_data_actions),
        description: a.description.clone().unwrap_or_default(),
        unit: if plain { a.unit.clone() } else { None },
        tags: tag_map(s, &address, &a.tags),
        state: None,
    };
    Desired::new(address, names::given(s, Kind::Alarm, key), &attrs, None)
}

// ------------------------------------------------------------------ the plan pass

/// Refresh statuses after which the group's instances may still run an old configuration.
const UNFINISHED_REFRESH: [&str; 4] = ["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"];

/// Groups whose instances must be replaced get an `instance_refresh` change (apply starts one and
/// waits for it); changes that take running capacity away get a warning.
pub fn annotate(plan: &mut Plan) {
    let new_version: Vec<Address> = plan
        .changes
        .iter()
        .filter(|c| {
            c.address.kind == Kind::LaunchTemplate
                && (c.action.is_replace() || (c.action == Action::Update && makes_new_version(&c.diffs)))
        })
        .map(|c| c.address.clone())
        .collect();
    let mut warnings = Vec::new();
    for c in plan.changes.iter_mut().filter(|c| c.address.kind == Kind::AutoScalingGroup) {
        let (Ok(before), Ok(after)) = (
            c.before_as::<AutoScalingGroupAttrs>(),
            c.after.as_ref().map(|_| c.after_as::<AutoScalingGroupAttrs>()).transpose(),
        ) else {
            continue;
        };
        let running = before.as_ref().and_then(|b| b.instances).unwrap_or(0);
        if c.action == Action::Delete {
            if running > 0 {
                warnings.push(format!(
                    "{}: {running} running instance{} will be terminated",
                    c.address,
                    plural(running)
                ));
            }
            continue;
        }
        let (Some(before), Some(after)) = (before, after) else { continue };
        let template = match &after.launch_template.template {
            Some(RefOrId::Ref(Ref(t))) => Some(t),
            _ => None,
        };
        let follows_template = matches!(after.launch_template.version.as_str(), "$Latest" | "$Default");
        let mut why = Vec::new();
        if let Some(t) = template.filter(|t| follows_template && new_version.contains(t)) {
            why.push(format!("{t} gets a new version"));
        }
        if c.diffs.iter().any(|d| d.path.starts_with("launch_template") || d.path.starts_with("mixed_instances")) {
            why.push("the group's launch template or instance types change".into());
        }
        let prefs = c.inputs_as::<GroupInputs>().ok().and_then(|i| i.instance_refresh).unwrap_or_default();
        // Tags reach instances at launch: with `triggers: [tags]`, a change of the group's own
        // tags (not lbstack's) replaces them too.
        let user_tag =
            |p: &str| p.strip_prefix("tags.").is_some_and(|k| !k.starts_with(crate::ownership::OWN_TAG_PREFIX));
        if prefs.on_tags && c.diffs.iter().any(|d| user_tag(&d.path)) {
            why.push("the group's tags change".into());
        }
        if let Some(status) = before.last_refresh.as_deref().filter(|s| UNFINISHED_REFRESH.contains(s)) {
            why.push(format!("the last instance refresh ended {status}"));
        }
        if !why.is_empty() && running > 0 {
            let refresh =
                json!({ "replaces": running, "min_healthy_percentage": prefs.min_healthy_percentage.unwrap_or(90) });
            c.diffs.push(AttrDiff::new("instance_refresh", None, Some(refresh)));
            let reason = super::model::Reason::InstanceRefresh { why, replaces: running };
            warnings.push(format!("{}: {reason}", c.address));
            c.reason = Some(reason);
            if c.action == Action::NoOp {
                c.action = Action::Update;
            }
        }
        let current = before.desired_capacity.map_or(running, |d| d as u64);
        if let Some(max) = Some(after.max as u64).filter(|m| *m < current) {
            warnings.push(format!(
                "{}: max {max} is below the current capacity of {current}; {} instance{} will be terminated",
                c.address,
                current - max,
                plural(current - max)
            ));
        } else if let Some(pinned) = after.desired.map(|d| d as u64).filter(|d| *d < current) {
            warnings.push(format!(
                "{}: pinned desired capacity {pinned} is below the current {current}; {} instance{} will be terminated",
                c.address,
                current - pinned,
                plural(current - pinned)
            ));
        }
    }
    plan.warnings.extend(warnings);
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
