//! What `import` reads: the load balancers and groups asked for by name, ARN or tag, and
//! everything they use (listeners, rules, target groups, security groups, launch templates,
//! policies, scheduled actions, the alarms that drive the policies). What a resource has beyond
//! its description is read, and shaped into the struct a plan compares, by the plan's readers
//! (`live::elbv2::listener_reads`, `live::autoscaling::group_reads`, the `*_attrs` conversions).
//! Independent reads run together; lists follow every page.

use crate::aws_error::err;
use crate::live::Clients;
use aws_sdk_autoscaling::types::{AutoScalingGroup, ScalingPolicy, ScheduledUpdateGroupAction};
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::{ResponseLaunchTemplateData, SecurityGroup};
use aws_sdk_elasticloadbalancingv2::types::{Listener, LoadBalancer, TargetGroup};
use futures_util::future::try_join_all;
use std::collections::{BTreeMap, BTreeSet};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The stack's name in the file written.
    pub stack: String,
    /// Load balancers by name or ARN.
    pub load_balancers: Vec<String>,
    /// Auto-scaling groups by name.
    pub groups: Vec<String>,
    /// Load balancers and groups carrying every one of these tags.
    pub tags: Vec<(String, String)>,
    /// Write the registered targets of target groups no group fills.
    pub targets: bool,
}

pub type Tags = Vec<(String, String)>;

#[derive(Default)]
pub(super) struct Found {
    pub load_balancers: Vec<FoundLb>,
    pub target_groups: Vec<FoundTg>,
    pub security_groups: Vec<SecurityGroup>,
    pub templates: Vec<FoundTemplate>,
    pub groups: Vec<FoundGroup>,
    pub alarms: Vec<(MetricAlarm, Tags)>,
    /// Web ACLs attached to the load balancers, and the IP sets their rules name, with tags.
    pub web_acls: Vec<(aws_sdk_wafv2::types::WebAcl, Tags)>,
    pub ip_sets: Vec<(aws_sdk_wafv2::types::IpSet, Tags)>,
    /// Route 53 records pointing at the load balancers, with their zone's name.
    pub records: Vec<(String, aws_sdk_route53::types::ResourceRecordSet)>,
    /// SNS topics the alarms and groups notify that no stack owns.
    pub topics: Vec<FoundTopic>,
}

pub(super) struct FoundTopic {
    pub arn: String,
    pub name: String,
    /// As the plan reads it: HTTP(S) endpoints masked (import never writes them), every tag.
    pub attrs: crate::attrs::TopicAttrs,
}

pub(super) struct FoundLb {
    pub lb: LoadBalancer,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
    pub listeners: Vec<FoundListener>,
    pub web_acl: Option<aws_sdk_wafv2::types::WebAcl>,
}

pub(super) struct FoundListener {
    /// As the plan reads it, target groups, certificates and trust stores by ARN.
    pub attrs: crate::attrs::elbv2::ListenerAttrs,
    /// By priority, each with what the stack format cannot hold of it (`live::elbv2::left_out`).
    pub rules: Vec<(crate::attrs::elbv2::RuleAttrs, Vec<String>)>,
}

pub(super) struct FoundTg {
    pub arn: String,
    pub name: String,
    /// As the plan reads it: AWS's defaults filled in, every tag.
    pub attrs: crate::attrs::TargetGroupAttrs,
}

pub(super) struct FoundTemplate {
    pub id: String,
    pub name: String,
    pub data: ResponseLaunchTemplateData,
    pub tags: Tags,
}

pub(super) struct FoundGroup {
    pub group: AutoScalingGroup,
    /// As the plan reads it, with every hook (not only a stack's), ids and ARNs as they are.
    pub attrs: crate::attrs::AutoScalingGroupAttrs,
    pub policies: Vec<ScalingPolicy>,
    pub schedules: Vec<ScheduledUpdateGroupAction>,
}

pub(super) async fn read(c: &Clients, r: &Request) -> anyhow::Result<Found> {
    let (lbs, groups) = tokio::join!(load_balancers(c, r), groups(c, r));
    let (lbs, groups) = (lbs?, groups?);
    if lbs.is_empty() && groups.is_empty() {
        anyhow::bail!("nothing to import: no load balancer or auto-scaling group matched");
    }
    let lbs = try_join_all(lbs.into_iter().map(|lb| load_balancer(c, lb))).await?;

    // Target groups the listeners forward to and the groups register in, each once.
    let mut tg_arns: BTreeSet<String> = BTreeSet::new();
    for lb in &lbs {
        for l in &lb.listeners {
            for a in std::iter::once(&l.attrs.default_action).chain(l.rules.iter().map(|(r, _)| &r.action)) {
                if let crate::attrs::elbv2::MainAction::Forward { target_groups, .. } = &a.main {
                    tg_arns.extend(target_groups.iter().map(|g| g.target_group.as_str().to_string()));
                }
            }
        }
    }
    for g in &groups {
        tg_arns.extend(g.target_group_arns().iter().cloned());
    }
    let tg_arns: Vec<String> = tg_arns.into_iter().collect();
    let filled_by_groups: BTreeSet<&String> = groups.iter().flat_map(|g| g.target_group_arns()).collect();
    let tgs = target_groups(c, &tg_arns, r.targets, &filled_by_groups);
    let templates = templates(c, &groups);
    let group_reads = try_join_all(groups.iter().map(|g| group(c, g.clone())));
    let (tgs, templates, groups) = tokio::join!(tgs, templates, group_reads);
    let (tgs, templates, groups) = (tgs?, templates?, groups?);

    // Security groups of the load balancers and templates, and those their rules name.
    let mut sg_ids: BTreeSet<String> = lbs.iter().flat_map(|l| l.lb.security_groups().iter().cloned()).collect();
    sg_ids.extend(templates.iter().flat_map(|t| t.data.security_group_ids().iter().cloned()));
    let (security_groups, alarms, waf, records) =
        tokio::join!(security_groups(c, sg_ids), alarms(c, &groups, &lbs, &tgs), waf(c, &lbs), records(c, &lbs));
    let (web_acls, ip_sets) = waf?;
    let alarms = alarms?;
    // Topics the alarms and the groups' notifications tell, each once.
    let mut topic_arns: BTreeSet<String> = BTreeSet::new();
    for (a, _) in &alarms {
        topic_arns.extend(
            a.alarm_actions()
                .iter()
                .chain(a.ok_actions())
                .chain(a.insufficient_data_actions())
                .filter(|x| x.starts_with("arn:aws") && x.contains(":sns:"))
                .cloned(),
        );
    }
    for g in &groups {
        topic_arns.extend(g.attrs.notifications.iter().map(|n| n.topic.as_str().to_string()));
    }
    let topics = topics(c, topic_arns).await?;
    Ok(Found {
        topics,
        load_balancers: lbs,
        target_groups: tgs,
        security_groups: security_groups?,
        templates,
        groups,
        alarms,
        web_acls,
        ip_sets,
        records: records?,
    })
}

async fn load_balancers(c: &Clients, r: &Request) -> anyhow::Result<Vec<LoadBalancer>> {
    let (arns, names): (Vec<String>, Vec<String>) =
        r.load_balancers.iter().cloned().partition(|n| n.starts_with("arn:"));
    let mut out: Vec<LoadBalancer> = Vec::new();
    for chunk in names.chunks(20) {
        let page = c
            .elbv2
            .describe_load_balancers()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| err("reading load balancers by name", e))?;
        out.extend(page.load_balancers().iter().cloned());
    }
    for chunk in arns.chunks(20) {
        let page = c
            .elbv2
            .describe_load_balancers()
            .set_load_balancer_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| err("reading load balancers by ARN", e))?;
        out.extend(page.load_balancers().iter().cloned());
    }
    if !r.tags.is_empty() {
        let all: Vec<LoadBalancer> = c
            .elbv2
            .describe_load_balancers()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err("listing load balancers", e))?;
        let arns: Vec<String> = all.iter().filter_map(|l| l.load_balancer_arn().map(str::to_string)).collect();
        let tags = elbv2_tags(c, &arns).await?;
        out.extend(
            all.into_iter()
                .filter(|l| l.load_balancer_arn().and_then(|a| tags.get(a)).is_some_and(|t| carries(t, &r.tags))),
        );
    }
    let mut seen = BTreeSet::new();
    out.retain(|l| seen.insert(l.load_balancer_arn().unwrap_or_default().to_string()));
    Ok(out)
}

fn carries(tags: &Tags, wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|(k, v)| tags.iter().any(|(tk, tv)| tk == k && tv == v))
}

/// Tags by ARN, as the plan's reader reads them.
async fn elbv2_tags(c: &Clients, arns: &[String]) -> anyhow::Result<BTreeMap<String, Tags>> {
    let tags = crate::live::elbv2::tags_of(c, arns.to_vec()).await?;
    Ok(tags.into_iter().map(|(arn, t)| (arn, t.into_iter().collect())).collect())
}

async fn groups(c: &Clients, r: &Request) -> anyhow::Result<Vec<AutoScalingGroup>> {
    let mut out: Vec<AutoScalingGroup> = Vec::new();
    if !r.groups.is_empty() {
        let found = c
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(r.groups.clone()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err("reading auto-scaling groups by name", e))?;
        if let Some(missing) =
            r.groups.iter().find(|n| !found.iter().any(|g| g.auto_scaling_group_name() == Some(n.as_str())))
        {
            anyhow::bail!("no auto-scaling group is named `{missing}`");
        }
        out.extend(found);
    }
    if !r.tags.is_empty() {
        let mut req = c.autoscaling.describe_auto_scaling_groups();
        for (k, v) in &r.tags {
            req = req.filters(aws_sdk_autoscaling::types::Filter::builder().name(format!("tag:{k}")).values(v).build());
        }
        let found = req
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err("listing auto-scaling groups by tag", e))?;
        out.extend(found);
    }
    let mut seen = BTreeSet::new();
    out.retain(|g| seen.insert(g.auto_scaling_group_name().unwrap_or_default().to_string()));
    Ok(out)
}

async fn load_balancer(c: &Clients, lb: LoadBalancer) -> anyhow::Result<FoundLb> {
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let application = lb.r#type().is_none_or(|t| t.as_str() == "application");
    let web_acl = async {
        if !application {
            return Ok(None);
        }
        match c.wafv2.get_web_acl_for_resource().resource_arn(&arn).send().await {
            Ok(out) => Ok(out.web_acl().cloned()),
            Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound => Ok(None),
            Err(e) => Err(err(&format!("reading the web ACL of {arn}"), e)),
        }
    };
    let (attributes, listeners, tags, web_acl) = tokio::join!(
        c.elbv2.describe_load_balancer_attributes().load_balancer_arn(&arn).send(),
        c.elbv2
            .describe_listeners()
            .load_balancer_arn(&arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        elbv2_tags(c, std::slice::from_ref(&arn)),
        web_acl,
    );
    let attributes = attributes.map_err(|e| err(&format!("reading attributes of {arn}"), e))?;
    let listeners = listeners.map_err(|e| err(&format!("reading listeners of {arn}"), e))?;
    let listeners =
        try_join_all(listeners.into_iter().map(|l| listener(c, &lb, l))).await?.into_iter().flatten().collect();
    Ok(FoundLb {
        attributes: pairs(attributes.attributes().iter().map(|a| (a.key(), a.value()))),
        tags: tags?.remove(&arn).unwrap_or_default(),
        listeners,
        web_acl: web_acl?,
        lb,
    })
}

fn pairs<'a>(items: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> BTreeMap<String, String> {
    items.filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string()))).collect()
}

/// A listener and its rules, read and shaped as the plan reads them (`live::elbv2::listener_reads`,
/// `listener_attrs`, `rule_attrs`), with what each rule holds that the stack format does not.
/// A listener deleted while import reads it is left out, as the plan leaves it out.
async fn listener(c: &Clients, lb: &LoadBalancer, listener: Listener) -> anyhow::Result<Option<FoundListener>> {
    use crate::live::elbv2;
    let kind = lb.r#type().map_or("application", |t| t.as_str());
    // A network TCP listener's idle timeout is the one listener attribute the stack format has.
    let with_attributes = kind == "network" && listener.protocol().is_some_and(|p| p.as_str() == "TCP");
    let Some(reads) = crate::live::skip_gone(elbv2::listener_reads(c, &listener, kind, with_attributes).await)? else {
        return Ok(None);
    };
    // Import refers by ARN; the keys are given when the stack is written.
    let by_arn = std::collections::HashMap::new();
    let lb_address =
        crate::plan::Address::new(crate::plan::Kind::LoadBalancer, lb.load_balancer_name().unwrap_or_default());
    let attrs =
        elbv2::listener_attrs(&lb_address, kind, &listener, &reads.certificates, reads.attributes.as_deref(), &by_arn);
    let mut rules: Vec<(crate::attrs::elbv2::RuleAttrs, Vec<String>)> = reads
        .rules
        .unwrap_or_default()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| (elbv2::rule_attrs(r, &by_arn), elbv2::left_out(r)))
        .collect();
    rules.sort_by_key(|(r, _)| r.priority.unwrap_or(i64::MAX));
    Ok(Some(FoundListener { attrs, rules }))
}

/// The target groups by ARN, read as the plan reads them (`live::elbv2::read_target_group`).
async fn target_groups(
    c: &Clients,
    arns: &[String],
    targets: bool,
    filled: &BTreeSet<&String>,
) -> anyhow::Result<Vec<FoundTg>> {
    let mut tgs: Vec<TargetGroup> = Vec::new();
    for chunk in arns.chunks(20) {
        let page = c
            .elbv2
            .describe_target_groups()
            .set_target_group_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| err("reading target groups", e))?;
        tgs.extend(page.target_groups().iter().cloned());
    }
    let tags = crate::live::elbv2::tags_of(c, arns.to_vec()).await?;
    try_join_all(tgs.iter().map(|tg| {
        let arn = tg.target_group_arn().unwrap_or_default().to_string();
        let name = tg.target_group_name().unwrap_or_default();
        let reads =
            crate::live::elbv2::Reads { targets: targets && !filled.contains(&arn), attributes: true, defaults: None };
        let address = crate::plan::Address::new(crate::plan::Kind::TargetGroup, name);
        let tags = tags.get(&arn).cloned().unwrap_or_default();
        async move {
            let read = crate::live::elbv2::read_target_group(c, address, &tags, tg, reads).await?;
            let crate::plan::Attrs::TargetGroup(attrs) = read.attrs else {
                anyhow::bail!("{arn} did not read as a target group")
            };
            anyhow::Ok(FoundTg { arn, name: read.name, attrs })
        }
    }))
    .await
}

/// The launch template each group launches from, at the version the group names.
async fn templates(c: &Clients, groups: &[AutoScalingGroup]) -> anyhow::Result<Vec<FoundTemplate>> {
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for g in groups {
        let spec = g.launch_template().or_else(|| {
            g.mixed_instances_policy().and_then(|m| m.launch_template()).and_then(|l| l.launch_template_specification())
        });
        let Some(spec) = spec else {
            anyhow::bail!(
                "auto-scaling group `{}` uses a launch configuration: lbstack manages launch templates only (migrate it first)",
                g.auto_scaling_group_name().unwrap_or_default()
            );
        };
        let id = match (spec.launch_template_id(), spec.launch_template_name()) {
            (Some(id), _) => id.to_string(),
            (None, Some(name)) => {
                let out = c
                    .ec2
                    .describe_launch_templates()
                    .launch_template_names(name)
                    .send()
                    .await
                    .map_err(|e| err(&format!("reading launch template {name}"), e))?;
                out.launch_templates().first().and_then(|t| t.launch_template_id()).unwrap_or_default().to_string()
            }
            _ => continue,
        };
        wanted.insert(id, spec.version().unwrap_or("$Default").to_string());
    }
    let ids: Vec<String> = wanted.keys().cloned().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let described = c
        .ec2
        .describe_launch_templates()
        .set_launch_template_ids(Some(ids))
        .send()
        .await
        .map_err(|e| err("reading launch templates", e))?;
    try_join_all(described.launch_templates().iter().map(|t| {
        let id = t.launch_template_id().unwrap_or_default().to_string();
        let version = wanted.get(&id).cloned().unwrap_or_else(|| "$Default".into());
        async move {
            let out = c
                .ec2
                .describe_launch_template_versions()
                .launch_template_id(&id)
                .versions(&version)
                .send()
                .await
                .map_err(|e| err(&format!("reading launch template {id}"), e))?;
            let data = out
                .launch_template_versions()
                .first()
                .and_then(|v| v.launch_template_data())
                .cloned()
                .unwrap_or_else(|| ResponseLaunchTemplateData::builder().build());
            let tags = t
                .tags()
                .iter()
                .filter_map(|x| Some((x.key()?.to_string(), x.value().unwrap_or_default().to_string())))
                .collect();
            anyhow::Ok(FoundTemplate { name: t.launch_template_name().unwrap_or_default().to_string(), id, data, tags })
        }
    }))
    .await
}

/// A group with its policies and scheduled actions, read as the plan reads them
/// (`live::autoscaling::group_reads`, `group_attrs`), every lifecycle hook kept.
async fn group(c: &Clients, group: AutoScalingGroup) -> anyhow::Result<FoundGroup> {
    let reads = crate::live::autoscaling::group_reads(c, group.auto_scaling_group_name().unwrap_or_default()).await?;
    let attrs = crate::live::autoscaling::group_attrs(
        &group,
        &reads.hooks,
        reads.warm_pool.as_ref(),
        &reads.notifications,
        None,
    );
    Ok(FoundGroup { group, attrs, policies: reads.policies, schedules: reads.schedules })
}

async fn security_groups(c: &Clients, ids: BTreeSet<String>) -> anyhow::Result<Vec<SecurityGroup>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    c.ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.into_iter().collect()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("reading security groups", e))
}

/// The metric alarms whose actions include a policy of an imported group, and those on an
/// imported load balancer's, target group's or group's metrics (the ones that page people), with
/// their tags. Target-tracking policies' own alarms are AWS's, made and removed with the policy.
async fn alarms(
    c: &Clients,
    groups: &[FoundGroup],
    lbs: &[FoundLb],
    tgs: &[FoundTg],
) -> anyhow::Result<Vec<(MetricAlarm, Tags)>> {
    let policy_arns: BTreeSet<&str> =
        groups.iter().flat_map(|g| g.policies.iter().filter_map(|p| p.policy_arn())).collect();
    // CloudWatch names a load balancer or target group by the end of its ARN (`app/web/123`).
    let suffix = |arn: &str| crate::plan::outputs::arn_suffix(arn).map(str::to_string);
    let mut watched: BTreeSet<(String, String)> = BTreeSet::new();
    watched.extend(lbs.iter().filter_map(|l| Some(("LoadBalancer".to_string(), suffix(l.lb.load_balancer_arn()?)?))));
    watched.extend(tgs.iter().filter_map(|t| Some(("TargetGroup".to_string(), suffix(&t.arn)?))));
    watched.extend(
        groups
            .iter()
            .filter_map(|g| Some(("AutoScalingGroupName".to_string(), g.group.auto_scaling_group_name()?.to_string()))),
    );
    if policy_arns.is_empty() && watched.is_empty() {
        return Ok(Vec::new());
    }
    let pages = c
        .cloudwatch
        .describe_alarms()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing alarms", e))?;
    let mut seen = BTreeSet::new();
    let on_imported = |a: &MetricAlarm| {
        !a.alarm_name().unwrap_or_default().starts_with("TargetTracking-")
            && a.dimensions().iter().any(|d| {
                watched.contains(&(d.name().unwrap_or_default().to_string(), d.value().unwrap_or_default().to_string()))
            })
    };
    let wired: Vec<MetricAlarm> = pages
        .iter()
        .flat_map(|p| p.metric_alarms())
        .filter(|a| {
            on_imported(a)
                || a.alarm_actions()
                    .iter()
                    .chain(a.ok_actions())
                    .chain(a.insufficient_data_actions())
                    .any(|x| policy_arns.contains(x.as_str()))
        })
        .filter(|a| seen.insert(a.alarm_arn().unwrap_or_default().to_string()))
        .cloned()
        .collect();
    let tagged = try_join_all(wired.into_iter().map(|a| async move {
        let arn = a.alarm_arn().unwrap_or_default().to_string();
        let out = c
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| err(&format!("reading tags of alarm {arn}"), e))?;
        let tags: Tags = out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .collect();
        anyhow::Ok((a, tags))
    }))
    .await?;
    // An alarm another stack owns stays that stack's.
    Ok(tagged
        .into_iter()
        .filter(|(_, tags)| !tags.iter().any(|(k, _)| k == crate::ownership::OWNER_STACK_TAG))
        .collect())
}

/// The topics no stack owns (no `lbstack:stack` tag), with their display names and subscriptions.
/// The topics no stack owns, read as the plan reads them (`live::sns::read_topic`).
async fn topics(c: &Clients, arns: BTreeSet<String>) -> anyhow::Result<Vec<FoundTopic>> {
    let read = try_join_all(arns.into_iter().map(|arn| async move {
        // A topic that is gone, or in an account this run cannot read, stays an ARN in the alarm.
        let Ok(tags) = c.sns.list_tags_for_resource().resource_arn(&arn).send().await else { return anyhow::Ok(None) };
        let tags: BTreeMap<String, String> =
            tags.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        if tags.contains_key(crate::ownership::OWNER_STACK_TAG) {
            return Ok(None);
        }
        let name = arn.rsplit(':').next().unwrap_or_default().to_string();
        let address = crate::plan::Address::new(crate::plan::Kind::Topic, &name);
        let Ok(read) = crate::live::sns::read_topic(c, address, &name, &arn, &tags).await else { return Ok(None) };
        let crate::plan::Attrs::Topic(attrs) = read.attrs else { return Ok(None) };
        Ok(Some(FoundTopic { arn, name, attrs }))
    }))
    .await?;
    Ok(read.into_iter().flatten().collect())
}

fn waf_tags(tags: crate::attrs::TagMap) -> Tags {
    tags.into_iter().collect()
}

/// The attached web ACLs (each once) with their tags, and the IP sets their rules name.
async fn waf(
    c: &Clients,
    lbs: &[FoundLb],
) -> anyhow::Result<(Vec<(aws_sdk_wafv2::types::WebAcl, Tags)>, Vec<(aws_sdk_wafv2::types::IpSet, Tags)>)> {
    let mut seen = BTreeSet::new();
    let acls: Vec<&aws_sdk_wafv2::types::WebAcl> =
        lbs.iter().filter_map(|l| l.web_acl.as_ref()).filter(|a| seen.insert(a.arn().to_string())).collect();
    let set_arns: BTreeSet<String> = acls
        .iter()
        .flat_map(|a| a.rules())
        .filter_map(|r| r.statement().and_then(|s| s.ip_set_reference_statement()).map(|i| i.arn().to_string()))
        .collect();
    let acl_reads = try_join_all(
        acls.into_iter()
            .map(|a| async move { anyhow::Ok((a.clone(), waf_tags(crate::live::wafv2::tags(c, a.arn()).await?))) }),
    );
    let set_reads = try_join_all(set_arns.iter().map(|arn| async move {
        let (set, tags) = tokio::try_join!(crate::live::wafv2::read_ip_set(c, arn), crate::live::wafv2::tags(c, arn))?;
        anyhow::Ok((set, waf_tags(tags)))
    }));
    let (acls, sets) = tokio::join!(acl_reads, set_reads);
    Ok((acls?, sets?))
}

/// A DNS name as records and load balancers are compared: lowercase, no final dot, no `dualstack.`.
pub(super) fn dns_key(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.").map(str::to_string).unwrap_or(name)
}

/// Records pointing at the load balancers: aliases (A, AAAA) and CNAMEs to their DNS names, in
/// every hosted zone, every page.
async fn records(
    c: &Clients,
    lbs: &[FoundLb],
) -> anyhow::Result<Vec<(String, aws_sdk_route53::types::ResourceRecordSet)>> {
    let dns: BTreeSet<String> = lbs.iter().filter_map(|l| l.lb.dns_name()).map(dns_key).collect();
    if dns.is_empty() {
        return Ok(Vec::new());
    }
    let zones = c
        .route53
        .list_hosted_zones()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing hosted zones", e))?;
    let dns = &dns;
    let per_zone = try_join_all(zones.iter().map(|z| async move {
        let (id, zone) = (z.id().trim_start_matches("/hostedzone/").to_string(), z.name().to_string());
        let mut out = Vec::new();
        let (mut name, mut kind, mut identifier) = (None, None, None);
        // A zone holds at most 10,000 records by default: 300 a page, so the bound is generous.
        for _ in 0..1000 {
            let page = c
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(&id)
                .set_start_record_name(name.take())
                .set_start_record_type(kind.take())
                .set_start_record_identifier(identifier.take())
                .send()
                .await
                .map_err(|e| err(&format!("reading the records of {zone}"), e))?;
            for r in page.resource_record_sets() {
                let target = match (r.alias_target(), r.r#type().as_str()) {
                    (Some(alias), "A" | "AAAA") => Some(alias.dns_name().to_string()),
                    (None, "CNAME") => r.resource_records().first().map(|v| v.value().to_string()),
                    _ => None,
                };
                if target.is_some_and(|t| dns.contains(&dns_key(&t))) {
                    out.push(r.clone());
                }
            }
            if !page.is_truncated() || page.next_record_name().is_none() {
                break;
            }
            name = page.next_record_name().map(str::to_string);
            kind = page.next_record_type().cloned();
            identifier = page.next_record_identifier().map(str::to_string);
        }
        if out.is_empty() {
            return anyhow::Ok(Vec::new());
        }
        // A record some stack's lbstack index lists is that stack's: not imported.
        let owned = crate::live::route53::indexed_records(c, &id, &zone).await?;
        let owned_by_a_stack = |r: &aws_sdk_route53::types::ResourceRecordSet| {
            owned.iter().any(|(_, e)| {
                e.name.eq_ignore_ascii_case(&crate::ownership::fqdn(r.name())) && e.kind == r.r#type().as_str()
            })
        };
        Ok(out.into_iter().filter(|r| !owned_by_a_stack(r)).map(|r| (zone.clone(), r)).collect())
    }))
    .await?;
    Ok(per_zone.into_iter().flatten().collect())
}
