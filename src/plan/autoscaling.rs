//! The auto-scaling half of the desired state (launch templates, groups, policies, scheduled
//! actions, alarms) and the plan pass that turns launch-template changes into instance refreshes
//! and warns about capacity a change would take away.

use super::desired::{Context, finish, sg_ref, sorted, tags};
use super::model::{Action, Address, AttrDiff, Desired, Kind, Plan, as_reference};
use super::names;
use crate::spec::model::*;
use serde_json::{Map, Value, json};

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
        rule.push_str(&format!("\"{}\"", names::given(s, kind, &name, 255)));
        last = range.end;
        deps.push(Address::new(kind, &name));
    }
    rule.push_str(&c.rule[last..]);
    let list = |v: &[String]| sorted(v.iter().map(|x| action_ref(s, x)).collect());
    let attrs = json!({
        "rule": rule,
        "actions": list(&c.actions),
        "ok_actions": list(&c.ok_actions),
        "insufficient_data_actions": list(&c.insufficient_data_actions),
        "description": c.description.clone().unwrap_or_default(),
        "tags": tags(s, &address, &c.tags),
    });
    let mut d = finish(address, names::given(s, Kind::CompositeAlarm, key, 255), attrs, None);
    d.deps.extend(deps);
    d.deps.sort();
    d.deps.dedup();
    d
}

fn opt<T: serde::Serialize>(v: &Option<T>) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

// ------------------------------------------------------------------ launch templates

fn launch_template(s: &Stack, ctx: &Context, key: &str, lt: &LaunchTemplate) -> Result<Desired, String> {
    let address = Address::new(Kind::LaunchTemplate, key);
    let image = ctx.images.get(key).ok_or_else(|| format!("launch template `{key}`: its image was not resolved"))?;
    let user_data = match &lt.user_data {
        Some(file) => {
            let bytes = s.files.read(file, crate::spec::validate::MAX_USER_DATA).map_err(|e| format!("launch template `{key}`: user data `{file}`: {e}"))?;
            Value::from(String::from_utf8(bytes).map_err(|_| format!("launch template `{key}`: user data `{file}` is not UTF-8 text"))?)
        }
        None => Value::Null,
    };
    let spot = lt.spot.as_ref().map(|sp| {
        let interruption = match sp.interruption.unwrap_or(SpotInterruption::Terminate) {
            SpotInterruption::Terminate => "terminate",
            SpotInterruption::Stop => "stop",
            SpotInterruption::Hibernate => "hibernate",
        };
        json!({ "max_price": sp.max_price, "interruption": interruption })
    });
    let root = lt.root_volume.as_ref().map(
        |rv| json!({ "device": image.root_device, "size": rv.size, "type": rv.kind, "encrypted": rv.encrypted, "iops": rv.iops, "throughput": rv.throughput }),
    );
    let shown = match &lt.image {
        Image::Id(_) => image.name.clone(),
        Image::Lookup(l) => format!("{} (newest `{}` owned by {})", image.name, l.name, l.owner),
        Image::Parameter(p) => format!("{} (from SSM parameter {})", image.name, p.ssm),
    };
    let attrs = json!({
        "image": image.id,
        "_image": shown,
        "instance_type": lt.instance_type,
        "security_groups": sorted(lt.security_groups.iter().map(|g| sg_ref(g)).collect()),
        "instance_profile": lt.instance_profile,
        "key_name": lt.key_name,
        "user_data": user_data,
        "imds": if lt.imds == Imds::Optional { "optional" } else { "required" },
        "spot": spot,
        "monitoring": lt.monitoring.unwrap_or(false),
        "root_volume": root,
        "tags": tags(s, &address, &lt.tags),
    });
    Ok(finish(address, names::given(s, Kind::LaunchTemplate, key, 128), attrs, None))
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
            Some(Scalar::String(s)) if s == "default" => "$Default".into(),
            Some(other) => other.to_string(),
        },
    }
}

fn group(s: &Stack, ctx: &Context, key: &str, g: &AutoScalingGroup) -> Result<Desired, String> {
    let address = Address::new(Kind::AutoScalingGroup, key);
    let subnets = match &g.subnets {
        Some(name) => ctx.subnet_groups.get(name).cloned().ok_or_else(|| format!("subnet group `{name}` was not resolved"))?,
        None => ctx.vpc_subnets.clone(),
    };
    let mut attrs = Map::new();
    attrs.insert("min".into(), Value::from(g.min));
    attrs.insert("max".into(), Value::from(g.max));
    // Scaling owns the desired capacity once the group exists, unless the stack pins it.
    if g.pin_desired {
        attrs.insert("desired".into(), Value::from(g.desired.unwrap_or(g.min)));
    }
    attrs.insert("_desired".into(), Value::from(g.desired.unwrap_or(g.min)));
    attrs.insert("subnets".into(), sorted(subnets.into_iter().map(Value::from).collect()));
    attrs.insert(
        "launch_template".into(),
        json!({ "template": Address::new(Kind::LaunchTemplate, g.launch_template.name()).reference(), "version": version_of(&g.launch_template) }),
    );
    let mixed = g.mixed_instances.as_ref().map(|m| {
        let strategy = match m.spot_strategy {
            SpotStrategy::PriceCapacityOptimized => "price-capacity-optimized",
            SpotStrategy::CapacityOptimized => "capacity-optimized",
            SpotStrategy::LowestPrice => "lowest-price",
        };
        // Order matters: it is the on-demand priority.
        json!({ "types": m.types, "on_demand_base": m.on_demand_base, "on_demand_percentage": m.on_demand_percentage, "spot_strategy": strategy })
    });
    attrs.insert("mixed_instances".into(), opt(&mixed));
    attrs.insert("target_groups".into(), sorted(g.target_groups.iter().map(|t| Address::new(Kind::TargetGroup, t).reference()).collect()));
    let hc = g.health_check.clone().unwrap_or(AsgHealthCheck { kind: AsgHealthCheckType::Ec2, grace_period: None });
    attrs.insert("health_check_type".into(), Value::from(if hc.kind == AsgHealthCheckType::Elb { "ELB" } else { "EC2" }));
    attrs.insert("health_check_grace_period".into(), Value::from(hc.grace_period.unwrap_or(300)));
    let policies: Vec<Value> = if g.termination_policies.is_empty() {
        vec![Value::from("Default")]
    } else {
        g.termination_policies.iter().map(|p| serde_json::to_value(p).unwrap_or(Value::Null)).collect()
    };
    attrs.insert("termination_policies".into(), Value::Array(policies));
    attrs.insert("capacity_rebalance".into(), Value::from(g.capacity_rebalance.unwrap_or(false)));
    attrs.insert("default_instance_warmup".into(), opt(&g.default_instance_warmup));
    attrs.insert("max_instance_lifetime".into(), Value::from(g.max_instance_lifetime.unwrap_or(0)));
    let hooks: Vec<Value> = g
        .lifecycle_hooks
        .iter()
        .map(|(hook, h)| {
            json!({
                "name": names::physical(&s.stack, hook, 255),
                "transition": match h.transition {
                    HookTransition::Launch => "autoscaling:EC2_INSTANCE_LAUNCHING",
                    HookTransition::Terminate => "autoscaling:EC2_INSTANCE_TERMINATING",
                },
                "heartbeat": h.heartbeat.unwrap_or(3600),
                "default_result": if h.default_result == Some(HookResult::Continue) { "CONTINUE" } else { "ABANDON" },
                "notification_target": h.notification_target,
                "role": h.role,
                "metadata": h.metadata,
            })
        })
        .collect();
    attrs.insert("lifecycle_hooks".into(), sorted(hooks));
    let warm_pool = g.warm_pool.as_ref().map(|w| {
        let state = match w.state.unwrap_or(WarmPoolState::Stopped) {
            WarmPoolState::Stopped => "Stopped",
            WarmPoolState::Running => "Running",
            WarmPoolState::Hibernated => "Hibernated",
        };
        // -1: as many as the group's maximum (AWS's way of saying "not set").
        json!({ "min_size": w.min_size.unwrap_or(0), "max_prepared": w.max_prepared.map_or(-1, i64::from), "state": state, "reuse_on_scale_in": w.reuse_on_scale_in.unwrap_or(false) })
    });
    attrs.insert("warm_pool".into(), opt(&warm_pool));
    let notifications: Vec<Value> = g
        .notifications
        .iter()
        .map(|n| {
            let events = if n.events.is_empty() { GroupEvent::ALL.to_vec() } else { n.events.clone() };
            json!({ "topic": action_ref(s, &n.topic), "events": sorted(events.into_iter().map(|e| Value::from(e.aws_name())).collect()) })
        })
        .collect();
    attrs.insert("notifications".into(), sorted(notifications));
    attrs.insert("instance_maintenance".into(), opt(&g.instance_maintenance));
    let reservations = g.capacity_reservations.as_ref().map(|r| {
        let preference = match r.preference.unwrap_or(ReservationPreference::First) {
            ReservationPreference::First => "capacity-reservations-first",
            ReservationPreference::Only => "capacity-reservations-only",
            ReservationPreference::None => "none",
        };
        let list = |v: &[String]| sorted(v.iter().map(|x| Value::from(x.as_str())).collect());
        json!({ "preference": preference, "ids": list(&r.ids), "groups": list(&r.groups) })
    });
    // Without a setting AWS reports the preference `default`.
    attrs.insert("capacity_reservations".into(), reservations.unwrap_or_else(|| json!({ "preference": "default", "ids": [], "groups": [] })));
    attrs.insert("metrics".into(), sorted(g.collected_metrics().into_iter().map(Value::from).collect()));
    attrs.insert("suspended_processes".into(), sorted(g.suspended_processes.iter().map(|p| Value::from(p.as_str())).collect()));
    attrs.insert("_instance_refresh".into(), opt(&g.instance_refresh));
    attrs.insert("_force_delete".into(), Value::from(g.force_delete));
    let mut tag_map = tags(s, &address, &g.tags);
    if s.scheduled_actions.values().any(|a| a.group == key) {
        tag_map[SIZES_TAG] = Value::from(sizes_record(&attrs));
    }
    attrs.insert("tags".into(), tag_map);
    Ok(finish(address, names::given(s, Kind::AutoScalingGroup, key, 255), Value::Object(attrs), None))
}

/// On a group with scheduled actions: the sizes the stack declared when lbstack last set them,
/// `min=2,max=10[,desired=3]`.
pub const SIZES_TAG: &str = "lbstack:sizes";

fn sizes_record(attrs: &Map<String, Value>) -> String {
    ["min", "max", "desired"].iter().filter_map(|f| attrs.get(*f).map(|v| format!("{f}={v}"))).collect::<Vec<_>>().join(",")
}

/// The stack's own schedules are not drift. Between applies, a group's scheduled actions change
/// its min, max (and a pinned desired capacity): for each size some schedule of the group sets,
/// while the stack still declares the value recorded in `lbstack:sizes` at the last apply, the
/// live value stands (no change shown, none made). A value edited in the stack differs from the
/// record and is planned as usual. Without a record (a group from before), the stack's value wins.
pub fn keep_scheduled_sizes(s: &Stack, wanted: &mut [Desired], live: &[super::model::Live]) {
    for d in wanted.iter_mut().filter(|d| d.address.kind == Kind::AutoScalingGroup) {
        let Some(l) = live.iter().find(|l| l.address == d.address) else { continue };
        let Some(record) = l.attrs["tags"][SIZES_TAG].as_str() else { continue };
        let recorded: Map<String, Value> =
            record.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), serde_json::from_str(v).unwrap_or(Value::Null))).collect();
        let schedules: Vec<&ScheduledAction> = s.scheduled_actions.values().filter(|a| a.group == d.address.key).collect();
        for (field, set_by_schedule) in [
            ("min", schedules.iter().any(|a| a.min.is_some())),
            ("max", schedules.iter().any(|a| a.max.is_some())),
            ("desired", schedules.iter().any(|a| a.desired.is_some())),
        ] {
            let unchanged = d.attrs.get(field).is_some_and(|declared| recorded.get(field) == Some(declared));
            if set_by_schedule
                && unchanged
                && let Some(now) = l.attrs.get(field).filter(|v| !v.is_null())
            {
                d.attrs[field] = now.clone();
            }
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

fn label_refs(s: &Stack, tg: Option<&str>) -> (Value, Value) {
    match tg {
        Some(tg) => (
            Address::new(Kind::TargetGroup, tg).reference(),
            alb_forwarding_to(s, tg).map(|lb| Address::new(Kind::LoadBalancer, lb).reference()).unwrap_or(Value::Null),
        ),
        None => (Value::Null, Value::Null),
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
    let mut attrs = Map::new();
    attrs.insert("group".into(), Address::new(Kind::AutoScalingGroup, &p.group).reference());
    attrs.insert("enabled".into(), Value::from(p.enabled.unwrap_or(true)));
    if let Some(tt) = &p.target_tracking {
        let metric = tt.metric.map(|m| match m {
            PredefinedMetric::Cpu => "ASGAverageCPUUtilization",
            PredefinedMetric::NetworkIn => "ASGAverageNetworkIn",
            PredefinedMetric::NetworkOut => "ASGAverageNetworkOut",
            PredefinedMetric::AlbRequestsPerTarget => "ALBRequestCountPerTarget",
        });
        let (tg, lb) = label_refs(s, tt.target_group.as_deref());
        let custom = tt.custom.as_ref().map(|c| {
            let dims: Vec<Value> = c.dimensions.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect();
            json!({ "namespace": c.namespace, "name": c.name, "statistic": c.statistic, "dimensions": sorted(dims), "unit": c.unit })
        });
        attrs.insert("type".into(), Value::from("TargetTrackingScaling"));
        attrs.insert(
            "target_tracking".into(),
            json!({ "metric": metric, "target_group": tg, "load_balancer": lb, "custom": custom, "target": tt.target, "disable_scale_in": tt.disable_scale_in }),
        );
        attrs.insert("warmup".into(), opt(&tt.warmup));
    } else if let Some(st) = &p.step {
        let mut steps: Vec<&Step> = st.steps.iter().collect();
        steps.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
        let steps: Vec<Value> = steps.iter().map(|x| json!({ "lower": x.lower, "upper": x.upper, "adjust": x.adjust })).collect();
        attrs.insert("type".into(), Value::from("StepScaling"));
        attrs.insert(
            "step".into(),
            json!({
                "adjustment_type": adjustment(st.adjustment_type),
                "aggregation": st.aggregation.clone().unwrap_or_else(|| "Average".into()),
                "min_adjustment_magnitude": st.min_adjustment_magnitude,
                "steps": steps,
            }),
        );
        attrs.insert("warmup".into(), opt(&st.warmup));
    } else if let Some(si) = &p.simple {
        attrs.insert("type".into(), Value::from("SimpleScaling"));
        attrs.insert(
            "simple".into(),
            json!({
                "adjustment_type": adjustment(si.adjustment_type),
                "adjust": si.adjust,
                "cooldown": si.cooldown.unwrap_or(300),
                "min_adjustment_magnitude": si.min_adjustment_magnitude,
            }),
        );
    } else if let Some(pr) = &p.predictive {
        let metric = match pr.metric {
            PredefinedMetric::Cpu => "ASGCPUUtilization",
            PredefinedMetric::NetworkIn => "ASGNetworkIn",
            PredefinedMetric::NetworkOut => "ASGNetworkOut",
            PredefinedMetric::AlbRequestsPerTarget => "ALBRequestCount",
        };
        let (tg, lb) = label_refs(s, pr.target_group.as_deref());
        attrs.insert("type".into(), Value::from("PredictiveScaling"));
        attrs.insert(
            "predictive".into(),
            json!({
                "metric": metric,
                "target_group": tg,
                "load_balancer": lb,
                "target": pr.target,
                "mode": if pr.mode == PredictiveMode::ForecastAndScale { "ForecastAndScale" } else { "ForecastOnly" },
                "buffer_time": pr.buffer_time.unwrap_or(300),
                "max_capacity_behavior": if pr.max_capacity_behavior == MaxCapacityBehavior::IncreaseMaxCapacity { "IncreaseMaxCapacity" } else { "HonorMaxCapacity" },
                "max_capacity_buffer": pr.max_capacity_buffer,
            }),
        );
    }
    finish(address, names::given(s, Kind::ScalingPolicy, key, 255), Value::Object(attrs), None)
}

// ------------------------------------------------------------------ scheduled actions

/// `2026-12-01T08:00:00Z` as AWS answers it (UTC, whole seconds).
pub fn normalise_time(t: &str) -> Result<String, String> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let parsed = DateTime::from_str(t, Format::DateTime).map_err(|e| format!("`{t}` is not an ISO 8601 time: {e}"))?;
    let whole = DateTime::from_secs(parsed.secs());
    whole.fmt(Format::DateTime).map_err(|e| e.to_string())
}

fn scheduled_action(s: &Stack, key: &str, a: &ScheduledAction) -> Result<Desired, String> {
    let address = Address::new(Kind::ScheduledAction, key);
    let mut attrs = Map::new();
    attrs.insert("group".into(), Address::new(Kind::AutoScalingGroup, &a.group).reference());
    attrs.insert("recurrence".into(), opt(&a.recurrence));
    attrs.insert("time_zone".into(), opt(&a.time_zone));
    // AWS fills in the next run as the start of a recurring action: compared only when declared.
    if let Some(t) = &a.start {
        attrs.insert("start".into(), Value::from(normalise_time(t).map_err(|e| format!("scheduled action `{key}`: {e}"))?));
    }
    attrs.insert(
        "end".into(),
        match &a.end {
            Some(t) => Value::from(normalise_time(t).map_err(|e| format!("scheduled action `{key}`: {e}"))?),
            None => Value::Null,
        },
    );
    attrs.insert("min".into(), opt(&a.min));
    attrs.insert("max".into(), opt(&a.max));
    attrs.insert("desired".into(), opt(&a.desired));
    Ok(finish(address, names::given(s, Kind::ScheduledAction, key, 255), Value::Object(attrs), None))
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
fn alarm_dimensions(d: &AlarmDimensions) -> Value {
    let mut dims: Vec<Value> = Vec::new();
    if let Some(lb) = &d.load_balancer {
        dims.push(json!({ "name": "LoadBalancer", "value": Address::new(Kind::LoadBalancer, lb).reference() }));
    }
    if let Some(tg) = &d.target_group {
        dims.push(json!({ "name": "TargetGroup", "value": Address::new(Kind::TargetGroup, tg).reference() }));
    }
    if let Some(g) = &d.autoscaling_group {
        dims.push(json!({ "name": "AutoScalingGroupName", "value": Address::new(Kind::AutoScalingGroup, g).reference() }));
    }
    for (k, v) in &d.other {
        dims.push(json!({ "name": k, "value": v }));
    }
    sorted(dims)
}

/// The id of the band query of an anomaly-detection alarm, and of the metric it is around.
pub const BAND_QUERY: &str = "band";
pub const BANDED_METRIC_QUERY: &str = "m1";
/// The id of the query that holds an alarm's `expression`.
pub use crate::spec::model::EXPRESSION_QUERY;

/// The metric queries of a math or anomaly alarm (none for a plain one), sorted by id.
fn alarm_queries(s: &Stack, a: &Alarm) -> Vec<Value> {
    let stat = |m: &str, namespace: &Option<String>, d: &AlarmDimensions, statistic: &Option<String>, period: u32, id: &str, returned: bool| {
        json!({
            "id": id,
            "namespace": namespace_for(s, namespace, m, d),
            "metric": m,
            "dimensions": alarm_dimensions(d),
            "statistic": statistic.clone().unwrap_or_else(|| "Average".into()),
            "period": period,
            "return": returned,
        })
    };
    let mut queries = Vec::new();
    if let Some(expression) = &a.expression {
        queries.push(json!({ "id": EXPRESSION_QUERY, "expression": expression, "return": true }));
        for (id, m) in &a.metrics {
            queries.push(stat(&m.metric, &m.namespace, &m.dimensions, &m.statistic, m.period.unwrap_or(a.period), id, false));
        }
    } else if let (Some(band), Some(metric)) = (a.anomaly_band, &a.metric) {
        queries.push(stat(metric, &a.namespace, &a.dimensions, &a.statistic, a.period, BANDED_METRIC_QUERY, true));
        queries.push(json!({ "id": BAND_QUERY, "expression": format!("ANOMALY_DETECTION_BAND({BANDED_METRIC_QUERY}, {band})"), "return": true }));
    }
    queries.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    queries
}

/// An action by key is an SNS topic or a scaling policy of the stack; an ARN stays as written.
fn action_ref(s: &Stack, a: &str) -> Value {
    if a.starts_with("arn:") {
        Value::from(a)
    } else if s.topics.contains_key(a) {
        Address::new(Kind::Topic, a).reference()
    } else {
        Address::new(Kind::ScalingPolicy, a).reference()
    }
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
    let list = |v: &[String]| sorted(v.iter().map(|x| action_ref(s, x)).collect());
    let attrs = json!({
        "namespace": metric.map(|m| namespace_for(s, &a.namespace, m, &a.dimensions)),
        "metric": metric,
        "statistic": metric.map(|_| a.statistic.clone().unwrap_or_else(|| "Average".into())),
        "dimensions": if plain { alarm_dimensions(&a.dimensions) } else { json!([]) },
        "period": metric.map(|_| a.period),
        "queries": alarm_queries(s, a),
        "threshold_metric": a.anomaly_band.map(|_| BAND_QUERY),
        "evaluation_periods": a.evaluation_periods,
        "datapoints_to_alarm": a.datapoints_to_alarm.unwrap_or(a.evaluation_periods),
        "threshold": a.threshold,
        "comparison": comparison_name(a.comparison),
        "missing_data": missing,
        "actions": list(&a.actions),
        "ok_actions": list(&a.ok_actions),
        "insufficient_data_actions": list(&a.insufficient_data_actions),
        "description": a.description.clone().unwrap_or_default(),
        "unit": if plain { a.unit.clone() } else { None },
        "tags": tags(s, &address, &a.tags),
    });
    finish(address, names::given(s, Kind::Alarm, key, 255), attrs, None)
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
        .filter(|c| c.address.kind == Kind::LaunchTemplate && (c.action.is_replace() || (c.action == Action::Update && makes_new_version(&c.diffs))))
        .map(|c| c.address.clone())
        .collect();
    let mut warnings = Vec::new();
    for c in plan.changes.iter_mut().filter(|c| c.address.kind == Kind::AutoScalingGroup) {
        let running = c.before.as_ref().and_then(|b| b["_instances"].as_u64()).unwrap_or(0);
        if c.action == Action::Delete {
            if running > 0 {
                warnings.push(format!("{}: {running} running instance{} will be terminated", c.address, plural(running)));
            }
            continue;
        }
        let (Some(before), Some(after)) = (c.before.clone(), c.after.clone()) else { continue };
        let template = as_reference(&after["launch_template"]["template"]);
        let follows_template = matches!(after["launch_template"]["version"].as_str(), Some("$Latest" | "$Default"));
        let mut why = Vec::new();
        if let Some(t) = template.filter(|t| follows_template && new_version.contains(t)) {
            why.push(format!("{t} gets a new version"));
        }
        if c.diffs.iter().any(|d| d.path.starts_with("launch_template") || d.path.starts_with("mixed_instances")) {
            why.push("the group's launch template or instance types change".into());
        }
        if let Some(status) = before["_last_refresh"].as_str().filter(|s| UNFINISHED_REFRESH.contains(s)) {
            why.push(format!("the last instance refresh ended {status}"));
        }
        if !why.is_empty() && running > 0 {
            let prefs = c.inputs.get("instance_refresh").unwrap_or(&Value::Null);
            let refresh = json!({ "replaces": running, "min_healthy_percentage": prefs["min_healthy_percentage"].as_u64().unwrap_or(90) });
            c.diffs.push(AttrDiff::new("instance_refresh", None, Some(refresh)));
            let reason = super::model::Reason::InstanceRefresh { why, replaces: running };
            warnings.push(format!("{}: {reason}", c.address));
            c.reason = Some(reason);
            if c.action == Action::NoOp {
                c.action = Action::Update;
            }
        }
        let current = before["_desired_capacity"].as_u64().unwrap_or(running);
        if let Some(max) = after["max"].as_u64().filter(|m| *m < current) {
            warnings.push(format!(
                "{}: max {max} is below the current capacity of {current}; {} instance{} will be terminated",
                c.address,
                current - max,
                plural(current - max)
            ));
        } else if let Some(pinned) = after["desired"].as_u64().filter(|d| *d < current) {
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
