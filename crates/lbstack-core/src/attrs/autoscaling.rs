//! Launch templates, auto-scaling groups, scaling policies and scheduled actions.

use super::{Ref, RefOrId};
use crate::attributes;
use serde::{Deserialize, Deserializer, Serialize};

/// For a field whose `null` is compared but whose absence is not (`Some(None)` is `null`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

attributes! {
    ScheduledAction => pub struct ScheduledActionAttrs {
        pub group: Ref => replace,
        pub recurrence: Option<String>,
        pub time_zone: Option<String>,
        /// AWS fills in the next run as the start of a recurring action: compared only when declared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start: Option<String>,
        pub end: Option<String>,
        pub min: Option<i64>,
        pub max: Option<i64>,
        pub desired: Option<i64>,
    }
}

attributes! {
    ScalingPolicy => pub struct ScalingPolicyAttrs {
        pub group: Ref => replace,
        pub enabled: bool,
        /// `TargetTrackingScaling`, `StepScaling`, `SimpleScaling` or `PredictiveScaling`; the
        /// field of that type holds its settings.
        pub r#type: String => replace,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target_tracking: Option<TargetTracking>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub step: Option<StepScaling>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub simple: Option<SimpleScaling>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub predictive: Option<PredictiveScaling>,
        /// Target tracking and step policies only (`null`: AWS's default).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        pub warmup: Option<Option<i64>>,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetTracking {
    /// A predefined metric (`ASGAverageCPUUtilization`), or none with `custom`.
    pub metric: Option<String>,
    /// For `ALBRequestCountPerTarget`: the group and the load balancer forwarding to it.
    pub target_group: Option<RefOrId>,
    pub load_balancer: Option<RefOrId>,
    pub custom: Option<CustomMetric>,
    /// Metric math: null when the policy tracks one metric, so a change either way is compared.
    #[serde(default)]
    pub math: Option<MetricMath>,
    pub target: Option<f64>,
    pub disable_scale_in: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricMath {
    pub expression: String,
    /// By id.
    pub metrics: std::collections::BTreeMap<String, CustomMetric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomMetric {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub statistic: Option<String>,
    /// A set.
    pub dimensions: Vec<MetricDimension>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDimension {
    pub name: Option<String>,
    /// A group of the stack by reference (its name changes with a replacement), or a value.
    pub value: Option<RefOrId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepScaling {
    pub adjustment_type: Option<String>,
    pub aggregation: String,
    pub min_adjustment_magnitude: Option<i64>,
    /// By lower bound.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjust: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleScaling {
    pub adjustment_type: Option<String>,
    pub adjust: Option<i64>,
    pub cooldown: i64,
    pub min_adjustment_magnitude: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveScaling {
    pub metric: Option<String>,
    /// Custom scaling and load metrics, null with a predefined pair.
    #[serde(default)]
    pub scaling_metric: Option<CustomMetric>,
    #[serde(default)]
    pub load_metric: Option<CustomMetric>,
    pub target_group: Option<RefOrId>,
    pub load_balancer: Option<RefOrId>,
    pub target: Option<f64>,
    /// `ForecastOnly` or `ForecastAndScale`.
    pub mode: String,
    pub buffer_time: i64,
    pub max_capacity_behavior: String,
    pub max_capacity_buffer: Option<i64>,
}

attributes! {
    /// A change to anything but the tags is a new version, made the default.
    LaunchTemplate => pub struct LaunchTemplateAttrs {
        /// The AMI id.
        pub image: Option<String>,
        pub instance_type: Option<String>,
        /// A set: groups of the stack, or `sg-` ids.
        pub security_groups: Vec<RefOrId>,
        pub instance_profile: Option<String>,
        pub key_name: Option<String>,
        pub user_data: Option<String>,
        /// `required` or `optional` (IMDSv2 tokens).
        pub imds: String,
        pub spot: Option<Spot>,
        pub monitoring: bool,
        pub root_volume: Option<RootVolume>,
        /// By device name; a set of settings each.
        pub volumes: Option<std::collections::BTreeMap<String, ExtraVolume>>,
        pub network_interfaces: Option<Vec<NetworkInterface>>,
        pub description: Option<String>,
        pub ebs_optimized: Option<bool>,
        /// `standard` or `unlimited`.
        pub cpu_credits: Option<String>,
        pub cpu_options: Option<CpuOptions>,
        /// `default` or `disabled`.
        pub auto_recovery: Option<String>,
        pub placement: Option<Placement>,
        /// `open` or `none`.
        pub capacity_reservation: Option<String>,
        pub imds_hop_limit: Option<i64>,
        pub imds_tags: Option<bool>,
        /// By AWS resource type (`instance`, `volume`, `network-interface`, `spot-instances-request`).
        pub resource_tags: Option<std::collections::BTreeMap<String, super::TagMap>>,
        pub tags: super::TagMap,
        /// The latest version's number: read from AWS, never compared.
        #[serde(rename = "_version", default, skip_serializing_if = "Option::is_none")]
        pub version: Option<i64>,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spot {
    pub max_price: Option<String>,
    /// `terminate`, `stop` or `hibernate`.
    pub interruption: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootVolume {
    /// The image's root device (`/dev/xvda`).
    pub device: Option<String>,
    pub size: Option<i64>,
    pub r#type: Option<String>,
    pub encrypted: bool,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraVolume {
    pub no_device: bool,
    pub size: Option<i64>,
    pub r#type: Option<String>,
    pub encrypted: Option<bool>,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
    pub snapshot: Option<String>,
    pub delete_on_termination: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub device_index: i64,
    pub network_card: Option<i64>,
    pub interface_type: Option<String>,
    pub public_ip: Option<bool>,
    /// A set: groups of the stack, or `sg-` ids.
    pub security_groups: Vec<RefOrId>,
    pub tcp_established_timeout: Option<i64>,
    pub udp_timeout: Option<i64>,
    pub udp_stream_timeout: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuOptions {
    pub core_count: Option<i64>,
    pub threads_per_core: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub group: Option<String>,
    pub tenancy: Option<String>,
    pub partition: Option<i64>,
}

/// What apply shows besides the attributes: the AMI's name and how it was found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchTemplateInputs {
    pub image: String,
}

attributes! {
    AutoScalingGroup => pub struct AutoScalingGroupAttrs {
        pub min: i64,
        pub max: i64,
        /// Only when the stack pins it: scaling owns the desired capacity otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub desired: Option<i64>,
        /// A set of subnet ids.
        pub subnets: Vec<String>,
        pub launch_template: TemplateVersion,
        pub mixed_instances: Option<MixedInstances>,
        /// `units`, `vcpu` or `memory-mib`: compared only when the stack sets it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub desired_capacity_type: Option<String>,
        /// A set: groups of the stack, or ARNs.
        pub target_groups: Vec<RefOrId>,
        pub health_check_type: Option<String>,
        pub health_check_grace_period: Option<i64>,
        /// In order.
        pub termination_policies: Vec<String>,
        pub capacity_rebalance: bool,
        pub default_instance_warmup: Option<i64>,
        /// Seconds; 0 for none.
        pub max_instance_lifetime: i64,
        /// A set.
        pub lifecycle_hooks: Vec<LifecycleHook>,
        pub warm_pool: Option<WarmPool>,
        /// A set, one entry per topic.
        pub notifications: Vec<Notification>,
        pub instance_maintenance: Option<InstanceMaintenance>,
        pub capacity_reservations: CapacityReservations,
        /// Sets.
        pub metrics: Vec<String>,
        pub suspended_processes: Vec<String>,
        pub tags: super::TagMap,
        /// Read from AWS, never compared: capacity and instances now, and how the last instance
        /// refresh ended.
        #[serde(rename = "_desired_capacity", default, skip_serializing_if = "Option::is_none")]
        pub desired_capacity: Option<i64>,
        #[serde(rename = "_instances", default, skip_serializing_if = "Option::is_none")]
        pub instances: Option<u64>,
        #[serde(rename = "_in_service", default, skip_serializing_if = "Option::is_none")]
        pub in_service: Option<u64>,
        #[serde(rename = "_pending", default, skip_serializing_if = "Option::is_none")]
        pub pending: Option<u64>,
        #[serde(rename = "_last_refresh", default, skip_serializing_if = "Option::is_none")]
        pub last_refresh: Option<String>,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateVersion {
    /// A launch template of the stack, or an id.
    pub template: Option<RefOrId>,
    /// `$Latest`, `$Default` or a number.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedInstances {
    /// In order: the on-demand priority.
    pub types: Vec<String>,
    pub on_demand_base: i64,
    pub on_demand_percentage: i64,
    pub spot_strategy: String,
    /// Units each type counts as, by type; null when the stack weighs none (so weights removed
    /// are compared, and put back to one instance each).
    #[serde(default)]
    pub weighted_capacity: Option<std::collections::BTreeMap<String, i64>>,
    /// Attribute-based type selection; null when the types are listed.
    #[serde(default)]
    pub requirements: Option<InstanceRequirements>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRequirements {
    pub vcpus: (Option<i64>, Option<i64>),
    pub memory_mib: (Option<i64>, Option<i64>),
    /// Sets, as the API lists them.
    pub cpu_manufacturers: Vec<String>,
    pub accelerator_count: Option<(Option<i64>, Option<i64>)>,
    pub accelerator_types: Vec<String>,
    pub burstable: Option<String>,
    pub allowed_types: Vec<String>,
    pub excluded_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleHook {
    pub name: Option<String>,
    pub transition: Option<String>,
    pub heartbeat: i64,
    /// `CONTINUE` or `ABANDON`.
    pub default_result: String,
    pub notification_target: Option<String>,
    pub role: Option<String>,
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmPool {
    pub min_size: i64,
    /// -1: as many as the group's maximum.
    pub max_prepared: i64,
    pub state: String,
    pub reuse_on_scale_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// A topic of the stack, or an ARN.
    pub topic: RefOrId,
    /// A set of `autoscaling:EC2_INSTANCE_LAUNCH`-style event names.
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceMaintenance {
    pub min_healthy_percentage: Option<i64>,
    pub max_healthy_percentage: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityReservations {
    /// `default` when the stack sets none.
    pub preference: String,
    pub ids: Vec<String>,
    pub groups: Vec<String>,
}

/// What apply needs besides a group's attributes: the capacity to create it with, how to run an
/// instance refresh, and whether to delete it with its instances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupInputs {
    pub desired: i64,
    pub instance_refresh: Option<RefreshPreferences>,
    pub force_delete: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshPreferences {
    pub min_healthy_percentage: Option<i64>,
    pub max_healthy_percentage: Option<i64>,
    pub instance_warmup: Option<i64>,
    pub skip_matching: Option<bool>,
    #[serde(default)]
    pub checkpoints: Vec<i64>,
    pub checkpoint_delay: Option<i64>,
    #[serde(default)]
    pub auto_rollback: Option<bool>,
    /// Alarm names.
    #[serde(default)]
    pub alarms: Vec<String>,
    /// `Refresh`, `Ignore` or `Wait`.
    #[serde(default)]
    pub scale_in_protected_instances: Option<String>,
    /// `Terminate`, `Ignore` or `Wait`.
    #[serde(default)]
    pub standby_instances: Option<String>,
    /// A change of the group's tags starts a refresh.
    #[serde(default)]
    pub on_tags: bool,
}
