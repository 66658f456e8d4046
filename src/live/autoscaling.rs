//! Launch templates, auto-scaling groups and what lives on them (scaling policies, scheduled
//! actions), and the AMIs the stack's launch templates name.
//!
//! Templates and groups are owned by tag (server-side filters). Policies and scheduled actions
//! carry no tags: those on an owned group whose name starts with `<stack>-` are the stack's.

use super::ec2::tag as ec2_tag;
use super::{Clients, err, read_err, skip_gone};
use crate::attrs::autoscaling::{
    AutoScalingGroupAttrs, CapacityReservations, CpuOptions, CustomMetric, ExtraVolume, InstanceMaintenance,
    LaunchTemplateAttrs, LifecycleHook, MetricDimension, MixedInstances, NetworkInterface, Notification, Placement,
    PredictiveScaling, RootVolume, ScalingPolicyAttrs, ScheduledActionAttrs, SimpleScaling, Spot, Step as StepBounds,
    StepScaling, TargetTracking, TemplateVersion, WarmPool,
};
use crate::attrs::{Ref, RefOrId, set_of};
use crate::aws_error::{Class, class_of};
use crate::defaults;
use crate::ownership::names;
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::autoscaling::ResolvedImage;
use crate::plan::{Address, Attrs, Conflict, Kind, Live};
use crate::stack_format::model::{Image, Stack};
use aws_sdk_autoscaling::types::{
    AutoScalingGroup, NotificationConfiguration, ScalingPolicy, ScheduledUpdateGroupAction, WarmPoolConfiguration,
};
use aws_sdk_ec2::types::{Filter, LaunchTemplate};
use aws_smithy_types::date_time::Format;
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// The AMI of every launch template: ids are checked to exist, name lookups take the newest match.
pub async fn resolve_images(clients: &Clients, stack: &Stack) -> anyhow::Result<BTreeMap<String, ResolvedImage>> {
    let ids: Vec<&str> = stack
        .launch_templates
        .values()
        .filter_map(|lt| match &lt.image {
            Image::Id(id) => Some(id.as_str()),
            Image::Lookup(_) | Image::Parameter(_) => None,
        })
        .collect();
    let by_id = async {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut unique: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        unique.sort();
        unique.dedup();
        let unknown = |e: &dyn crate::aws_error::Failure| {
            matches!(e.describe().0, crate::aws_error::Class::NotFound | crate::aws_error::Class::Invalid)
        };
        match clients.ec2.describe_images().set_image_ids(Some(unique.clone())).send().await {
            Ok(out) => Ok(out.images().to_vec()),
            // One unknown id fails the whole call: ask for each alone, so the templates whose
            // image exists are not blamed (the others are, below, where each id is written).
            Err(e) if unknown(&e) => {
                let each = try_join_all(unique.iter().map(|id| async move {
                    match clients.ec2.describe_images().image_ids(id).send().await {
                        Ok(out) => Ok(out.images().to_vec()),
                        Err(e) if unknown(&e) => Ok(Vec::new()),
                        Err(e) => Err(err("looking up images", e)),
                    }
                }))
                .await?;
                Ok(each.into_iter().flatten().collect())
            }
            Err(e) => Err(err("looking up images", e)),
        }
    };
    // One DescribeImages per distinct lookup, however many templates share it.
    let mut distinct: Vec<crate::stack_format::model::ImageLookup> = Vec::new();
    for lt in stack.launch_templates.values() {
        if let Image::Lookup(l) = &lt.image
            && !distinct.contains(l)
        {
            distinct.push(l.clone());
        }
    }
    let lookups = try_join_all(distinct.into_iter().map(|l| async move {
        let mut req = clients
            .ec2
            .describe_images()
            .owners(&l.owner)
            .filters(Filter::builder().name("name").values(&l.name).build())
            .filters(Filter::builder().name("state").values("available").build());
        if let Some(arch) = &l.architecture {
            req = req.filters(Filter::builder().name("architecture").values(arch).build());
        }
        let out = req.send().await.map_err(|e| err(&format!("looking up image `{}`", l.name), e))?;
        // Newest first; the name breaks ties so the choice is stable.
        let newest = out
            .images()
            .iter()
            .max_by(|a, b| (a.creation_date(), a.name()).cmp(&(b.creation_date(), b.name())))
            .map(resolved);
        Ok::<_, anyhow::Error>((l, newest))
    }));
    // One GetParameter and one DescribeImages per distinct parameter.
    let mut parameters: Vec<&str> = stack
        .launch_templates
        .values()
        .filter_map(|lt| match &lt.image {
            Image::Parameter(p) => Some(p.ssm.as_str()),
            _ => None,
        })
        .collect();
    parameters.sort();
    parameters.dedup();
    let from_parameters = try_join_all(parameters.into_iter().map(|name| async move {
        let value = match clients.ssm.get_parameter().name(name).send().await {
            Ok(out) => out.parameter().and_then(|p| p.value()).map(str::to_string),
            Err(e) if class_of(&e) == Class::NotFound => None,
            Err(e) => return Err(err(&format!("reading SSM parameter {name}"), e)),
        };
        let Some(id) = value else {
            return Ok((name, Err(format!("SSM parameter {name} does not exist in this region"))));
        };
        let image = match clients.ec2.describe_images().image_ids(&id).send().await {
            Ok(out) => out.images().first().map(resolved),
            Err(e) if matches!(class_of(&e), Class::NotFound | Class::Invalid) => None,
            Err(e) => return Err(err(&format!("looking up image {id} of SSM parameter {name}"), e)),
        };
        Ok::<_, anyhow::Error>((
            name,
            image.ok_or_else(|| {
                format!("SSM parameter {name} holds {id}, which is not an image this account can use here")
            }),
        ))
    }));
    let (found, looked_up, from_parameters) = tokio::try_join!(by_id, lookups, from_parameters)?;
    let mut out = BTreeMap::new();
    for (key, lt) in &stack.launch_templates {
        if let Image::Id(id) = &lt.image {
            let image = found.iter().find(|i| i.image_id() == Some(id.as_str())).ok_or_else(|| {
                crate::stack_format::At::error(
                    crate::stack_format::values::pointer(&["launch_templates", key, "image"]),
                    format!("launch template `{key}`: image {id} does not exist in this region (or is not shared with this account)"),
                )
            })?;
            out.insert(key.clone(), resolved(image));
        }
    }
    for (key, lt) in &stack.launch_templates {
        if let Image::Lookup(l) = &lt.image {
            let image = looked_up.iter().find(|(x, _)| x == l).and_then(|(_, i)| i.clone()).ok_or_else(|| {
                crate::stack_format::At::error(
                    crate::stack_format::values::pointer(&["launch_templates", key, "image"]),
                    format!("launch template `{key}`: no available image named `{}` owned by {}", l.name, l.owner),
                )
            })?;
            out.insert(key.clone(), image);
        }
        if let Image::Parameter(p) = &lt.image {
            let found = from_parameters.iter().find(|(name, _)| *name == p.ssm).map(|(_, i)| i.clone());
            let image =
                found.unwrap_or_else(|| Err(format!("SSM parameter {} was not read", p.ssm))).map_err(|why| {
                    crate::stack_format::At::error(
                        crate::stack_format::values::pointer(&["launch_templates", key, "image"]),
                        format!("launch template `{key}`: {why}"),
                    )
                })?;
            out.insert(key.clone(), image);
        }
    }
    Ok(out)
}

fn resolved(i: &aws_sdk_ec2::types::Image) -> ResolvedImage {
    ResolvedImage {
        id: i.image_id().unwrap_or_default().to_string(),
        name: i.name().unwrap_or_default().to_string(),
        root_device: i.root_device_name().unwrap_or("/dev/xvda").to_string(),
    }
}

// ------------------------------------------------------------------ launch templates

pub async fn read_launch_templates(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let wanted: BTreeMap<String, &str> =
        stack.launch_templates.keys().map(|k| (names::given(stack, Kind::LaunchTemplate, k), k.as_str())).collect();
    let owned = clients
        .ec2
        .describe_launch_templates()
        .filters(Filter::builder().name(format!("tag:{OWNER_STACK_TAG}")).values(&stack.stack).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<LaunchTemplate>, _>>();
    let named = async {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        clients
            .ec2
            .describe_launch_templates()
            .filters(
                Filter::builder()
                    .name("launch-template-name")
                    .set_values(Some(wanted.keys().cloned().collect()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<LaunchTemplate>, _>>()
            .await
    };
    let (owned, named) = tokio::join!(owned, named);
    let owned = owned.map_err(|e| err("listing launch templates", e))?;
    let named = named.map_err(|e| err("looking up launch template names", e))?;
    let mut members: Vec<(Address, &LaunchTemplate)> = owned
        .iter()
        .filter_map(|t| Some((ec2_tag(t.tags(), OWNER_ADDRESS_TAG).and_then(Address::parse)?, t)))
        .collect();
    let (adopted, conflicts) = super::claim(stack, Kind::LaunchTemplate, &wanted, adopt, &named, |t| super::Found {
        name: t.launch_template_name().unwrap_or_default(),
        id: t.launch_template_id().unwrap_or_default(),
        stack: ec2_tag(t.tags(), OWNER_STACK_TAG),
    });
    members.extend(adopted);
    let live = try_join_all(members.into_iter().map(|(address, t)| async move {
        let declared: Vec<&str> = stack
            .launch_templates
            .get(&address.key)
            .map(|lt| lt.volumes.keys().map(String::as_str).collect())
            .unwrap_or_default();
        skip_gone(read_template(clients, address, t, &declared).await)
    }))
    .await?;
    Ok((live.into_iter().flatten().collect(), conflicts))
}

/// One template's latest version. `declared`: the devices the stack maps besides the root; the
/// root volume is the first other mapping (lbstack sends it first).
async fn read_template(
    clients: &Clients,
    address: Address,
    t: &LaunchTemplate,
    declared: &[&str],
) -> anyhow::Result<Live> {
    let id = t.launch_template_id().unwrap_or_default();
    let out = clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions("$Latest")
        .send()
        .await
        .map_err(|e| read_err(&format!("reading launch template {id}"), e))?;
    let version = out.launch_template_versions().first().ok_or_else(|| anyhow::Error::new(super::Gone))?;
    let empty = aws_sdk_ec2::types::ResponseLaunchTemplateData::builder().build();
    let d = version.launch_template_data().unwrap_or(&empty);
    let mut attrs = template_attrs(d, super::ec2::tags_of(t.tags()), declared);
    attrs.description = version.version_description().filter(|d| !d.is_empty()).map(str::to_string);
    attrs.version = version.version_number();
    let name = t.launch_template_name().unwrap_or_default().to_string();
    Ok(Live { address, id: id.to_string(), name, attrs: attrs.into() })
}

/// A launch template version's data as its struct (without the version's number and
/// description), its root volume the first volume on a device the stack does not list in
/// `declared`: the plan's reader, and import's.
pub fn template_attrs(
    d: &aws_sdk_ec2::types::ResponseLaunchTemplateData,
    tags: crate::attrs::TagMap,
    declared: &[&str],
) -> LaunchTemplateAttrs {
    let user_data = d
        .user_data()
        .and_then(|b| aws_smithy_types::base64::decode(b).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let spot = d.instance_market_options().and_then(|m| m.spot_options()).map(|s| Spot {
        max_price: s.max_price().map(str::to_string),
        interruption: s
            .instance_interruption_behavior()
            .map(|b| b.as_str().to_string())
            .unwrap_or_else(|| "terminate".into()),
    });
    let mappings = d.block_device_mappings();
    let root_at =
        mappings.iter().position(|b| b.ebs().is_some() && !b.device_name().is_some_and(|n| declared.contains(&n)));
    let volumes: std::collections::BTreeMap<String, ExtraVolume> = mappings
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != root_at)
        .filter_map(|(_, b)| {
            let ebs = b.ebs();
            Some((
                b.device_name()?.to_string(),
                ExtraVolume {
                    no_device: b.no_device().is_some(),
                    size: ebs.and_then(|e| e.volume_size()).map(i64::from),
                    r#type: ebs.and_then(|e| e.volume_type()).map(|v| v.as_str().to_string()),
                    encrypted: ebs.and_then(|e| e.encrypted()),
                    iops: ebs.and_then(|e| e.iops()).map(i64::from),
                    throughput: ebs.and_then(|e| e.throughput()).map(i64::from),
                    snapshot: ebs.and_then(|e| e.snapshot_id()).map(str::to_string),
                    delete_on_termination: ebs.and_then(|e| e.delete_on_termination()),
                },
            ))
        })
        .collect();
    let interfaces: Vec<NetworkInterface> = d
        .network_interfaces()
        .iter()
        .map(|n| NetworkInterface {
            device_index: n.device_index().map_or(0, i64::from),
            network_card: n.network_card_index().map(i64::from),
            interface_type: n.interface_type().map(str::to_string),
            public_ip: n.associate_public_ip_address(),
            security_groups: set_of(n.groups().iter().map(|g| RefOrId::Id(g.clone())).collect()),
            tcp_established_timeout: n
                .connection_tracking_specification()
                .and_then(|c| c.tcp_established_timeout())
                .map(i64::from),
            udp_timeout: n.connection_tracking_specification().and_then(|c| c.udp_timeout()).map(i64::from),
            udp_stream_timeout: n
                .connection_tracking_specification()
                .and_then(|c| c.udp_stream_timeout())
                .map(i64::from),
        })
        .collect();
    let resource_tags: std::collections::BTreeMap<String, crate::attrs::TagMap> = d
        .tag_specifications()
        .iter()
        .filter_map(|t| Some((t.resource_type()?.as_str().to_string(), super::ec2::tags_of(t.tags()))))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let root_volume = root_at.and_then(|i| mappings.get(i)).and_then(|b| {
        let ebs = b.ebs()?;
        Some(RootVolume {
            device: b.device_name().map(str::to_string),
            size: ebs.volume_size().map(i64::from),
            r#type: ebs.volume_type().map(|v| v.as_str().to_string()),
            encrypted: ebs.encrypted().unwrap_or(false),
            iops: ebs.iops().map(i64::from),
            throughput: ebs.throughput().map(i64::from),
        })
    });
    let profile = d.iam_instance_profile().and_then(|p| p.name().or(p.arn()));
    let imds = match d.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()) {
        Some("required") => "required",
        _ => "optional",
    };
    LaunchTemplateAttrs {
        image: d.image_id().map(str::to_string),
        instance_type: d.instance_type().map(|t| t.as_str().to_string()),
        security_groups: set_of(d.security_group_ids().iter().map(|s| RefOrId::Id(s.clone())).collect()),
        instance_profile: profile.map(str::to_string),
        key_name: d.key_name().map(str::to_string),
        user_data,
        imds: imds.into(),
        spot,
        monitoring: d.monitoring().and_then(|m| m.enabled()).unwrap_or(false),
        root_volume,
        volumes: (!volumes.is_empty()).then_some(volumes),
        network_interfaces: (!interfaces.is_empty()).then_some(interfaces),
        description: None,
        ebs_optimized: d.ebs_optimized(),
        cpu_credits: d.credit_specification().and_then(|c| c.cpu_credits()).map(str::to_string),
        cpu_options: d.cpu_options().filter(|c| c.core_count().is_some() || c.threads_per_core().is_some()).map(|c| {
            CpuOptions {
                core_count: c.core_count().map(i64::from),
                threads_per_core: c.threads_per_core().map(i64::from),
            }
        }),
        auto_recovery: d.maintenance_options().and_then(|m| m.auto_recovery()).map(|r| r.as_str().to_string()),
        placement: d
            .placement()
            .filter(|p| p.group_name().is_some() || p.tenancy().is_some() || p.partition_number().is_some())
            .map(|p| Placement {
                group: p.group_name().map(str::to_string),
                tenancy: p.tenancy().map(|t| t.as_str().to_string()),
                partition: p.partition_number().map(i64::from),
            }),
        capacity_reservation: d
            .capacity_reservation_specification()
            .and_then(|c| c.capacity_reservation_preference())
            .map(|p| p.as_str().to_string()),
        imds_hop_limit: d.metadata_options().and_then(|m| m.http_put_response_hop_limit()).map(i64::from),
        imds_tags: d.metadata_options().and_then(|m| m.instance_metadata_tags()).map(|t| t.as_str() == "enabled"),
        resource_tags: (!resource_tags.is_empty()).then_some(resource_tags),
        tags,
        version: None,
    }
}

// ------------------------------------------------------------------ groups, policies, schedules

fn asg_tag<'a>(g: &'a AutoScalingGroup, key: &str) -> Option<&'a str> {
    g.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

pub async fn read_groups(
    clients: &Clients,
    stack: &Stack,
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>)> {
    let wanted: BTreeMap<String, &str> =
        stack.autoscaling_groups.keys().map(|k| (names::given(stack, Kind::AutoScalingGroup, k), k.as_str())).collect();
    let owned = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .filters(
            aws_sdk_autoscaling::types::Filter::builder()
                .name(format!("tag:{OWNER_STACK_TAG}"))
                .values(&stack.stack)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<AutoScalingGroup>, _>>();
    let named = async {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        clients
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(wanted.keys().cloned().collect()))
            .include_instances(false)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<AutoScalingGroup>, _>>()
            .await
    };
    let (owned, named) = tokio::join!(owned, named);
    let owned = owned.map_err(|e| err("listing auto-scaling groups", e))?;
    let named = named.map_err(|e| err("looking up auto-scaling group names", e))?;
    let mut members: Vec<(Address, &AutoScalingGroup)> =
        owned.iter().filter_map(|g| Some((asg_tag(g, OWNER_ADDRESS_TAG).and_then(Address::parse)?, g))).collect();
    let (adopted, conflicts) = super::claim(stack, Kind::AutoScalingGroup, &wanted, adopt, &named, |g| {
        let name = g.auto_scaling_group_name().unwrap_or_default();
        super::Found { name, id: name, stack: asg_tag(g, OWNER_STACK_TAG) }
    });
    members.extend(adopted);
    let per_group =
        try_join_all(members.into_iter().map(|(address, g)| read_group(clients, stack, address, g))).await?;
    Ok((per_group.into_iter().flatten().collect(), conflicts))
}

/// One owned group with its policies and scheduled actions (three reads, concurrently).
async fn read_group(
    clients: &Clients,
    stack: &Stack,
    address: Address,
    g: &AutoScalingGroup,
) -> anyhow::Result<Vec<Live>> {
    let name = g.auto_scaling_group_name().unwrap_or_default();
    let GroupReads { policies, schedules, last_refresh, hooks, warm_pool, notifications } =
        group_reads(clients, name).await?;
    let prefix = format!("{}-", stack.stack);
    // Hooks named like the stack's are its own, and so are those it names (`name:`), now or at the
    // last apply (the group's `lbstack:hooks` tag); others (another tool's) are left alone.
    let mut given = crate::plan::autoscaling::given_hooks(asg_tag(g, crate::plan::autoscaling::GIVEN_HOOKS_TAG));
    if let Some(declared) = stack.autoscaling_groups.get(&address.key) {
        given.extend(declared.lifecycle_hooks.values().filter_map(|h| h.name.clone()));
    }
    let hooks: Vec<_> = hooks
        .into_iter()
        .filter(|h| h.lifecycle_hook_name().is_some_and(|n| n.starts_with(&prefix) || given.iter().any(|g| g == n)))
        .collect();
    let attrs = group_attrs(g, &hooks, warm_pool.as_ref(), &notifications, last_refresh);
    let mut out =
        vec![Live { address: address.clone(), id: name.to_string(), name: name.to_string(), attrs: attrs.into() }];
    let policy_keys: BTreeMap<String, &str> =
        stack.scaling_policies.keys().map(|k| (names::given(stack, Kind::ScalingPolicy, k), k.as_str())).collect();
    for p in &policies {
        let Some(pname) = p.policy_name() else { continue };
        let Some(key) = owned_key(pname, &policy_keys, &prefix) else { continue };
        out.push(Live {
            address: Address::new(Kind::ScalingPolicy, key),
            id: p.policy_arn().unwrap_or_default().to_string(),
            name: pname.to_string(),
            attrs: policy_attrs(p, &address).into(),
        });
    }
    let schedule_keys: BTreeMap<String, &str> =
        stack.scheduled_actions.keys().map(|k| (names::given(stack, Kind::ScheduledAction, k), k.as_str())).collect();
    for a in &schedules {
        let Some(aname) = a.scheduled_action_name() else { continue };
        let Some(key) = owned_key(aname, &schedule_keys, &prefix) else { continue };
        out.push(Live {
            address: Address::new(Kind::ScheduledAction, key),
            id: aname.to_string(),
            name: aname.to_string(),
            attrs: schedule_attrs(a, &address).into(),
        });
    }
    Ok(out)
}

/// The key of a policy or scheduled action on an owned group: a declared name, or any name with
/// the stack's prefix (left over from a key the stack no longer has). Others are someone else's.
fn owned_key(name: &str, declared: &BTreeMap<String, &str>, prefix: &str) -> Option<String> {
    if let Some(k) = declared.get(name) {
        return Some(k.to_string());
    }
    name.strip_prefix(prefix).filter(|k| !k.is_empty()).map(str::to_string)
}

/// What a group has beside its description, each a call of its own: the plan's and import's.
pub struct GroupReads {
    pub policies: Vec<ScalingPolicy>,
    pub schedules: Vec<ScheduledUpdateGroupAction>,
    /// The status of the latest instance refresh.
    pub last_refresh: Option<String>,
    /// Every hook on the group, the stack's or not.
    pub hooks: Vec<aws_sdk_autoscaling::types::LifecycleHook>,
    pub warm_pool: Option<WarmPoolConfiguration>,
    pub notifications: Vec<NotificationConfiguration>,
}

/// The reads of `GroupReads`, at once; lists follow every page.
pub async fn group_reads(clients: &Clients, name: &str) -> anyhow::Result<GroupReads> {
    let policies = clients
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<ScalingPolicy>, _>>();
    let schedules = clients
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<ScheduledUpdateGroupAction>, _>>();
    let refresh = clients.autoscaling.describe_instance_refreshes().auto_scaling_group_name(name).max_records(1).send();
    let hooks = clients.autoscaling.describe_lifecycle_hooks().auto_scaling_group_name(name).send();
    let warm_pool = clients.autoscaling.describe_warm_pool().auto_scaling_group_name(name).max_records(1).send();
    let notifications = clients
        .autoscaling
        .describe_notification_configurations()
        .auto_scaling_group_names(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<NotificationConfiguration>, _>>();
    let (policies, schedules, refresh, hooks, warm_pool, notifications) =
        tokio::join!(policies, schedules, refresh, hooks, warm_pool, notifications);
    Ok(GroupReads {
        policies: policies.map_err(|e| err(&format!("reading scaling policies of {name}"), e))?,
        schedules: schedules.map_err(|e| err(&format!("reading scheduled actions of {name}"), e))?,
        // An endpoint without instance refreshes answers an error: treat it as "none yet".
        last_refresh: refresh
            .ok()
            .and_then(|r| r.instance_refreshes().first().and_then(|x| x.status()).map(|s| s.as_str().to_string())),
        hooks: hooks
            .map_err(|e| err(&format!("reading lifecycle hooks of {name}"), e))?
            .lifecycle_hooks
            .unwrap_or_default(),
        warm_pool: warm_pool.map_err(|e| err(&format!("reading the warm pool of {name}"), e))?.warm_pool_configuration,
        notifications: notifications.map_err(|e| err(&format!("reading notifications of {name}"), e))?,
    })
}

/// A group as its struct, with the hooks given (the plan passes only the stack's own): the
/// plan's reader, and import's.
pub fn group_attrs(
    g: &AutoScalingGroup,
    hooks: &[aws_sdk_autoscaling::types::LifecycleHook],
    warm_pool: Option<&WarmPoolConfiguration>,
    notifications: &[NotificationConfiguration],
    last_refresh: Option<String>,
) -> AutoScalingGroupAttrs {
    let hooks = hooks
        .iter()
        .map(|h| LifecycleHook {
            name: h.lifecycle_hook_name().map(str::to_string),
            transition: h.lifecycle_transition().map(str::to_string),
            heartbeat: h.heartbeat_timeout().map_or(i64::from(defaults::HOOK_HEARTBEAT), i64::from),
            default_result: h.default_result().unwrap_or(defaults::HOOK_DEFAULT_RESULT).into(),
            notification_target: h.notification_target_arn().map(str::to_string),
            role: h.role_arn().map(str::to_string),
            metadata: h.notification_metadata().map(str::to_string),
        })
        .collect();
    let warm_pool = warm_pool.map(|w| WarmPool {
        min_size: w.min_size().map_or(0, i64::from),
        max_prepared: w.max_group_prepared_capacity().map_or(-1, i64::from),
        state: w.pool_state().map_or(defaults::WARM_POOL_STATE, |s| s.as_str()).into(),
        reuse_on_scale_in: w.instance_reuse_policy().and_then(|p| p.reuse_on_scale_in()).unwrap_or(false),
    });
    let mut by_topic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for n in notifications {
        if let (Some(topic), Some(kind)) = (n.topic_arn(), n.notification_type()) {
            by_topic.entry(topic).or_default().push(kind.to_string());
        }
    }
    let notifications = by_topic
        .into_iter()
        .map(|(topic, events)| Notification { topic: RefOrId::Id(topic.to_string()), events: set_of(events) })
        .collect();
    let mixed = g.mixed_instances_policy();
    let spec = g
        .launch_template()
        .or_else(|| mixed.and_then(|m| m.launch_template()).and_then(|l| l.launch_template_specification()));
    let launch_template = TemplateVersion {
        template: spec.and_then(|s| s.launch_template_id()).map(|id| RefOrId::Id(id.to_string())),
        version: spec.and_then(|s| s.version()).unwrap_or(defaults::TEMPLATE_VERSION).into(),
    };
    let mixed_instances = mixed.map(|m| {
        let types: Vec<String> = m
            .launch_template()
            .map(|l| l.overrides().iter().filter_map(|o| o.instance_type()).map(str::to_string).collect())
            .unwrap_or_default();
        let dist = m.instances_distribution();
        let weights: std::collections::BTreeMap<String, i64> = m
            .launch_template()
            .map(|l| l.overrides())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| Some((o.instance_type()?.to_string(), o.weighted_capacity()?.parse().ok()?)))
            .collect();
        let requirements =
            m.launch_template().and_then(|l| l.overrides().iter().find_map(|o| o.instance_requirements())).map(|r| {
                let strings = |v: Vec<String>| set_of(v);
                crate::attrs::autoscaling::InstanceRequirements {
                    vcpus: r.v_cpu_count().map_or((None, None), |v| (v.min().map(i64::from), v.max().map(i64::from))),
                    memory_mib: r
                        .memory_mib()
                        .map_or((None, None), |v| (v.min().map(i64::from), v.max().map(i64::from))),
                    cpu_manufacturers: strings(r.cpu_manufacturers().iter().map(|m| m.as_str().to_string()).collect()),
                    accelerator_count: r.accelerator_count().map(|v| (v.min().map(i64::from), v.max().map(i64::from))),
                    accelerator_types: strings(r.accelerator_types().iter().map(|t| t.as_str().to_string()).collect()),
                    burstable: r.burstable_performance().map(|b| b.as_str().to_string()),
                    allowed_types: strings(r.allowed_instance_types().to_vec()),
                    excluded_types: strings(r.excluded_instance_types().to_vec()),
                }
            });
        MixedInstances {
            requirements,
            weighted_capacity: (!weights.is_empty()).then_some(weights),
            types,
            on_demand_base: dist.and_then(|d| d.on_demand_base_capacity()).map_or(0, i64::from),
            on_demand_percentage: dist
                .and_then(|d| d.on_demand_percentage_above_base_capacity())
                .map_or(i64::from(defaults::ON_DEMAND_PERCENTAGE), i64::from),
            spot_strategy: dist.and_then(|d| d.spot_allocation_strategy()).unwrap_or(defaults::SPOT_STRATEGY).into(),
        }
    });
    let subnets: Vec<String> = g
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().to_string())
        .collect();
    let in_service =
        g.instances().iter().filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService")).count();
    let spec = g.capacity_reservation_specification();
    let target = spec.and_then(|s| s.capacity_reservation_target());
    AutoScalingGroupAttrs {
        min: g.min_size().map_or(0, i64::from),
        max: g.max_size().map_or(0, i64::from),
        desired: g.desired_capacity().map(i64::from),
        subnets: set_of(subnets),
        launch_template,
        mixed_instances,
        desired_capacity_type: g.desired_capacity_type().map(str::to_string),
        target_groups: set_of(g.target_group_arns().iter().map(|a| RefOrId::Id(a.clone())).collect()),
        health_check_type: g.health_check_type().map(str::to_string),
        health_check_grace_period: g.health_check_grace_period().map(i64::from),
        termination_policies: g.termination_policies().to_vec(),
        capacity_rebalance: g.capacity_rebalance().unwrap_or(false),
        default_instance_warmup: g.default_instance_warmup().map(i64::from),
        max_instance_lifetime: g.max_instance_lifetime().map_or(0, i64::from),
        lifecycle_hooks: set_of(hooks),
        warm_pool,
        notifications: set_of(notifications),
        instance_maintenance: g
            .instance_maintenance_policy()
            .filter(|p| p.min_healthy_percentage().is_some_and(|n| n >= 0))
            .map(|p| InstanceMaintenance {
                min_healthy_percentage: p.min_healthy_percentage().map(i64::from),
                max_healthy_percentage: p.max_healthy_percentage().map(i64::from),
            }),
        capacity_reservations: CapacityReservations {
            preference: spec.and_then(|s| s.capacity_reservation_preference()).map_or("default", |p| p.as_str()).into(),
            ids: set_of(target.map(|t| t.capacity_reservation_ids()).unwrap_or_default().to_vec()),
            groups: set_of(target.map(|t| t.capacity_reservation_resource_group_arns()).unwrap_or_default().to_vec()),
        },
        metrics: set_of(g.enabled_metrics().iter().filter_map(|m| m.metric()).map(str::to_string).collect()),
        suspended_processes: set_of(
            g.suspended_processes().iter().filter_map(|p| p.process_name()).map(str::to_string).collect(),
        ),
        tags: super::tags_of(g.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))),
        desired_capacity: g.desired_capacity().map(i64::from),
        instances: Some(g.instances().len() as u64),
        in_service: Some(in_service as u64),
        pending: Some(
            g.instances()
                .iter()
                .filter(|i| i.lifecycle_state().is_some_and(|s| s.as_str().starts_with("Pending")))
                .count() as u64,
        ),
        last_refresh,
    }
}

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` into the two ARN tails that `link` maps to references.
fn split_label(label: Option<&str>) -> (Option<RefOrId>, Option<RefOrId>) {
    match label.and_then(|l| l.split_once("/targetgroup/")) {
        Some((lb, tg)) => (Some(RefOrId::Id(format!("targetgroup/{tg}"))), Some(RefOrId::Id(lb.to_string()))),
        None => (None, None),
    }
}

/// A scaling policy as its struct: the plan's reader, and import's.
pub fn policy_attrs(p: &ScalingPolicy, group: &Address) -> ScalingPolicyAttrs {
    let kind = p.policy_type().unwrap_or("SimpleScaling");
    let mut attrs = ScalingPolicyAttrs {
        group: Ref(group.clone()),
        enabled: p.enabled().unwrap_or(true),
        r#type: kind.into(),
        target_tracking: None,
        step: None,
        simple: None,
        predictive: None,
        warmup: None,
    };
    match kind {
        "TargetTrackingScaling" => {
            let c = p.target_tracking_configuration();
            let predefined = c.and_then(|c| c.predefined_metric_specification());
            let (target_group, load_balancer) = split_label(predefined.and_then(|p| p.resource_label()));
            let custom = c.and_then(|c| c.customized_metric_specification()).map(|cm| CustomMetric {
                namespace: cm.namespace().map(str::to_string),
                name: cm.metric_name().map(str::to_string),
                statistic: cm.statistic().map(|s| s.as_str().to_string()),
                dimensions: set_of(
                    cm.dimensions()
                        .iter()
                        .map(|d| MetricDimension {
                            name: d.name().map(str::to_string),
                            value: d.value().map(|v| RefOrId::Id(v.to_string())),
                        })
                        .collect(),
                ),
                unit: cm.unit().map(str::to_string),
            });
            // Metric math: the queries with a metric are the inputs, the one that returns data
            // (the expression) is the value tracked.
            let queries =
                c.and_then(|c| c.customized_metric_specification()).map(|cm| cm.metrics()).unwrap_or_default();
            let math =
                queries.iter().find(|q| q.expression().is_some()).map(|e| crate::attrs::autoscaling::MetricMath {
                    expression: e.expression().unwrap_or_default().to_string(),
                    metrics: queries
                        .iter()
                        .filter_map(|q| {
                            let stat = q.metric_stat()?;
                            Some((
                                q.id().unwrap_or_default().to_string(),
                                custom_metric(stat.metric()?, stat.stat(), stat.unit()),
                            ))
                        })
                        .collect(),
                });
            let custom = custom.filter(|_| math.is_none());
            attrs.target_tracking = Some(TargetTracking {
                metric: predefined.and_then(|p| p.predefined_metric_type()).map(|t| t.as_str().to_string()),
                target_group,
                load_balancer,
                custom,
                math,
                target: c.and_then(|c| c.target_value()),
                disable_scale_in: c.and_then(|c| c.disable_scale_in()).unwrap_or(false),
            });
            attrs.warmup = Some(p.estimated_instance_warmup().map(i64::from));
        }
        "StepScaling" => {
            let mut steps: Vec<StepBounds> = p
                .step_adjustments()
                .iter()
                .map(|s| StepBounds {
                    lower: s.metric_interval_lower_bound(),
                    upper: s.metric_interval_upper_bound(),
                    adjust: s.scaling_adjustment().map(i64::from),
                })
                .collect();
            steps.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
            attrs.step = Some(StepScaling {
                adjustment_type: p.adjustment_type().map(str::to_string),
                aggregation: p.metric_aggregation_type().unwrap_or("Average").into(),
                min_adjustment_magnitude: p.min_adjustment_magnitude().map(i64::from),
                steps,
            });
            attrs.warmup = Some(p.estimated_instance_warmup().map(i64::from));
        }
        "PredictiveScaling" => {
            let c = p.predictive_scaling_configuration();
            let spec = c.and_then(|c| c.metric_specifications().first());
            let pair = spec.and_then(|s| s.predefined_metric_pair_specification());
            let (target_group, load_balancer) = split_label(pair.and_then(|p| p.resource_label()));
            let custom = |queries: &[aws_sdk_autoscaling::types::MetricDataQuery]| {
                let stat = queries.iter().find_map(|q| q.metric_stat())?;
                Some(custom_metric(stat.metric()?, stat.stat(), stat.unit()))
            };
            attrs.predictive = Some(PredictiveScaling {
                scaling_metric: spec
                    .and_then(|s| s.customized_scaling_metric_specification())
                    .and_then(|c| custom(c.metric_data_queries())),
                load_metric: spec
                    .and_then(|s| s.customized_load_metric_specification())
                    .and_then(|c| custom(c.metric_data_queries())),
                metric: pair.and_then(|p| p.predefined_metric_type()).map(|t| t.as_str().to_string()),
                target_group,
                load_balancer,
                target: spec.and_then(|s| s.target_value()),
                mode: c.and_then(|c| c.mode()).map(|m| m.as_str()).unwrap_or("ForecastOnly").into(),
                buffer_time: c
                    .and_then(|c| c.scheduling_buffer_time())
                    .map_or(i64::from(crate::defaults::PREDICTIVE_BUFFER_TIME), i64::from),
                max_capacity_behavior: c
                    .and_then(|c| c.max_capacity_breach_behavior())
                    .map(|b| b.as_str())
                    .unwrap_or("HonorMaxCapacity")
                    .into(),
                max_capacity_buffer: c.and_then(|c| c.max_capacity_buffer()).map(i64::from),
            });
        }
        _ => {
            attrs.simple = Some(SimpleScaling {
                adjustment_type: p.adjustment_type().map(str::to_string),
                adjust: p.scaling_adjustment().map(i64::from),
                cooldown: p.cooldown().map_or(i64::from(crate::defaults::SCALING_COOLDOWN), i64::from),
                min_adjustment_magnitude: p.min_adjustment_magnitude().map(i64::from),
            });
        }
    }
    attrs
}

/// A scheduled action as its struct: the plan's reader, and import's.
pub fn schedule_attrs(a: &ScheduledUpdateGroupAction, group: &Address) -> ScheduledActionAttrs {
    let time = |t: Option<&aws_smithy_types::DateTime>| {
        t.and_then(|t| aws_smithy_types::DateTime::from_secs(t.secs()).fmt(Format::DateTime).ok())
    };
    ScheduledActionAttrs {
        group: Ref(group.clone()),
        recurrence: a.recurrence().map(str::to_string),
        time_zone: a.time_zone().map(str::to_string),
        start: time(a.start_time()),
        end: time(a.end_time()),
        min: a.min_size().map(i64::from),
        max: a.max_size().map(i64::from),
        desired: a.desired_capacity().map(i64::from),
    }
}

/// A metric of a metric query (target tracking's math, predictive scaling's custom metrics).
fn custom_metric(m: &aws_sdk_autoscaling::types::Metric, statistic: Option<&str>, unit: Option<&str>) -> CustomMetric {
    let dimension = |d: &aws_sdk_autoscaling::types::MetricDimension| MetricDimension {
        name: d.name().map(str::to_string),
        value: d.value().map(|v| RefOrId::Id(v.to_string())),
    };
    CustomMetric {
        namespace: m.namespace().map(str::to_string),
        name: m.metric_name().map(str::to_string),
        statistic: statistic.map(str::to_string),
        dimensions: set_of(m.dimensions().iter().map(dimension).collect()),
        unit: unit.map(str::to_string),
    }
}

/// Replace ids in the auto-scaling kinds' attributes by references to the owned resources they
/// name: template ids, group names, policy ARNs, target-group and load-balancer ARNs, and the
/// ARN tails CloudWatch dimensions and resource labels use (`app/...`, `targetgroup/...`).
pub fn link(resources: &mut [Live]) {
    let ids: Vec<(String, Address)> = resources.iter().map(|r| (r.id.clone(), r.address.clone())).collect();
    let find = |s: &str| -> Option<Address> {
        if let Some((_, a)) = ids.iter().find(|(id, _)| id == s) {
            return Some(a.clone());
        }
        let tail = if s.starts_with("app/") || s.starts_with("net/") || s.starts_with("gwy/") {
            format!("loadbalancer/{s}")
        } else if s.starts_with("targetgroup/") {
            format!(":{s}")
        } else {
            return None;
        };
        ids.iter()
            .find(|(id, a)| matches!(a.kind, Kind::LoadBalancer | Kind::TargetGroup) && id.ends_with(&tail))
            .map(|(_, a)| a.clone())
    };
    let one = |r: &mut RefOrId| {
        if let RefOrId::Id(id) = r
            && let Some(address) = find(id)
        {
            *r = RefOrId::Ref(Ref(address));
        }
    };
    let maybe = |r: &mut Option<RefOrId>| r.iter_mut().for_each(one);
    // Sets are sorted by their text, and a reference sorts apart from the id it replaced.
    let set = |list: &mut Vec<RefOrId>| {
        list.iter_mut().for_each(one);
        *list = set_of(std::mem::take(list));
    };
    let metric = |m: &mut CustomMetric| {
        m.dimensions.iter_mut().for_each(|d| maybe(&mut d.value));
        m.dimensions = set_of(std::mem::take(&mut m.dimensions));
    };
    let dimensions = |list: &mut Vec<crate::attrs::cloudwatch::Dimension>| {
        list.iter_mut().for_each(|d| one(&mut d.value));
        *list = set_of(std::mem::take(list));
    };
    for r in resources.iter_mut() {
        match &mut r.attrs {
            Attrs::LaunchTemplate(t) => {
                set(&mut t.security_groups);
                t.network_interfaces.iter_mut().flatten().for_each(|i| set(&mut i.security_groups));
            }
            Attrs::AutoScalingGroup(g) => {
                maybe(&mut g.launch_template.template);
                set(&mut g.target_groups);
                g.notifications.iter_mut().for_each(|n| one(&mut n.topic));
                g.notifications = set_of(std::mem::take(&mut g.notifications));
            }
            Attrs::ScalingPolicy(p) => {
                if let Some(t) = &mut p.target_tracking {
                    maybe(&mut t.target_group);
                    maybe(&mut t.load_balancer);
                    t.custom.iter_mut().for_each(metric);
                    t.math.iter_mut().flat_map(|m| m.metrics.values_mut()).for_each(metric);
                }
                if let Some(f) = &mut p.predictive {
                    maybe(&mut f.target_group);
                    maybe(&mut f.load_balancer);
                    f.scaling_metric.iter_mut().chain(f.load_metric.iter_mut()).for_each(metric);
                }
            }
            Attrs::Alarm(a) => {
                dimensions(&mut a.dimensions);
                a.queries.iter_mut().filter_map(|q| q.dimensions.as_mut()).for_each(dimensions);
                for actions in [&mut a.actions, &mut a.ok_actions, &mut a.insufficient_data_actions] {
                    set(actions);
                }
            }
            Attrs::CompositeAlarm(a) => {
                for actions in [&mut a.actions, &mut a.ok_actions, &mut a.insufficient_data_actions] {
                    set(actions);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::sample::attrs;
    use serde_json::json;

    fn live(kind: Kind, key: &str, id: &str, fields: serde_json::Value) -> Live {
        Live { address: Address::new(kind, key), id: id.into(), name: key.into(), attrs: attrs(kind, fields) }
    }

    /// Ids become references field by field: a text field that happens to hold an owned id stays
    /// text, and does not stop the resource's other ids from linking.
    #[test]
    fn owned_ids_become_references_and_text_stays_text() {
        let tg_arn = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/shop-web/abc";
        let topic_arn = "arn:aws:sns:eu-west-1:1:shop-ops";
        let mut resources = vec![
            live(Kind::TargetGroup, "web", tg_arn, json!({})),
            live(Kind::Topic, "ops", topic_arn, json!({})),
            live(
                Kind::Alarm,
                "slow",
                "arn:alarm",
                json!({
                    "dimensions": [{ "name": "TargetGroup", "value": "targetgroup/shop-web/abc" }, { "name": "AvailabilityZone", "value": "eu-west-1a" }],
                    "actions": [topic_arn, "arn:aws:sns:eu-west-1:1:elsewhere"],
                    "description": topic_arn
                }),
            ),
            live(
                Kind::AutoScalingGroup,
                "web",
                "shop-web",
                json!({
                    "launch_template": { "template": "lt-1", "version": "$Latest" },
                    "target_groups": [tg_arn],
                    "lifecycle_hooks": [{ "name": "drain", "transition": null, "heartbeat": 3600, "default_result": "ABANDON",
                        "notification_target": topic_arn, "role": null, "metadata": null }],
                    "notifications": [{ "topic": topic_arn, "events": ["autoscaling:EC2_INSTANCE_LAUNCH"] }]
                }),
            ),
        ];
        link(&mut resources);
        let reference = |kind: Kind, key: &str| RefOrId::Ref(Ref(Address::new(kind, key)));
        let Attrs::Alarm(alarm) = &resources[2].attrs else { unreachable!() };
        assert_eq!(alarm.dimensions[1].value, reference(Kind::TargetGroup, "web"), "{:?}", alarm.dimensions);
        assert_eq!(alarm.dimensions[0].value, RefOrId::Id("eu-west-1a".into()));
        assert_eq!(
            alarm.actions,
            [RefOrId::Id("arn:aws:sns:eu-west-1:1:elsewhere".into()), reference(Kind::Topic, "ops")]
        );
        assert_eq!(alarm.description, topic_arn);
        let Attrs::AutoScalingGroup(group) = &resources[3].attrs else { unreachable!() };
        assert_eq!(group.target_groups, [reference(Kind::TargetGroup, "web")]);
        assert_eq!(group.notifications[0].topic, reference(Kind::Topic, "ops"));
        assert_eq!(group.lifecycle_hooks[0].notification_target.as_deref(), Some(topic_arn));
        assert_eq!(group.launch_template.template, Some(RefOrId::Id("lt-1".into())));
    }
}
