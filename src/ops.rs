//! The operations behind the commands: plan a stack against live AWS, apply a plan, destroy.
//! The CLI parses flags and prints; this module holds the sequence.

use crate::live::{self, Adopt, AwsOptions, Clients};
use crate::plan::desired::Context;
use crate::plan::{self, Kind, LiveState, Plan};
use crate::stack_format::model::Stack;

/// A computed plan and the fingerprint of the live state it was computed from.
pub struct Planned {
    pub plan: Plan,
    pub fingerprint: String,
}

pub async fn clients(opts: &AwsOptions, stack: &Stack) -> Clients {
    let mut opts = opts.clone();
    if opts.region.is_none() {
        opts.region = stack.region.clone();
    }
    Clients::new(&live::sdk_config(&opts).await)
}

/// The clients of a run, after `live::preflight` checked region, endpoint and credentials.
pub async fn connect(opts: &AwsOptions, stack: Option<&Stack>) -> anyhow::Result<Clients> {
    let mut opts = opts.clone();
    if opts.region.is_none() {
        opts.region = stack.and_then(|s| s.region.clone());
    }
    if let Some(profile) = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
    {
        live::check_profile(&profile).await?;
    }
    let config = live::sdk_config(&opts).await;
    // `--region` and the stack's `region:` are checked where they are read; one from AWS_REGION
    // or the profile is checked here the same way.
    let region = config.region().map(|r| r.to_string());
    let unknown = region.as_deref().and_then(crate::stack_format::validate::region_problem);
    if let (Some((fatal, why)), None) = (&unknown, &opts.region) {
        if *fatal {
            let e = crate::aws_error::AwsError::new(
                "reading the region (AWS_REGION or the AWS profile)",
                crate::aws_error::Class::NoRegion,
                why.clone(),
            );
            return Err(anyhow::Error::new(e));
        }
        eprintln!("warning: the region (AWS_REGION or the AWS profile): {why}");
    }
    live::preflight(&config).await?;
    if unknown.is_some() {
        live::probe_region(&config).await?;
    }
    Ok(Clients::new(&config))
}

/// Read live state and diff. `destroy` plans the removal of everything the stack owns.
pub async fn plan(clients: &Clients, stack: &Stack, destroy: bool) -> anyhow::Result<Planned> {
    plan_adopting(clients, stack, destroy, &Adopt::None).await
}

/// `plan`, taking over the untagged resources `adopt` names (see `live::Adopt`). Each adopted
/// resource is an update with the reason `Adopting`; an address asked for that holds nothing
/// adoptable is an error, so a typo never passes silently.
pub async fn plan_adopting(clients: &Clients, stack: &Stack, destroy: bool, adopt: &Adopt) -> anyhow::Result<Planned> {
    let adopt_only = match adopt {
        Adopt::Only(asked) => Some(asked),
        _ => None,
    };
    if let Some(asked) = adopt_only {
        plan::build::check_adoptable(asked).map_err(anyhow::Error::msg)?;
    }
    // Boxed: the readers' futures are large, and callers' stacks are not (a test's thread).
    let ((context, live), published) =
        tokio::try_join!(Box::pin(live::read_adopting(clients, stack, adopt)), read_published(clients, &stack.stack))?;
    let plan = plan::build(stack, &context, &live, published.as_ref(), plan::Options { destroy, adopt_only })
        .map_err(anyhow::Error::msg)?;
    let fingerprint = fingerprint(&context, &live);
    Ok(Planned { plan, fingerprint })
}

/// Identifies the live state a plan was computed from (order-independent: resources are sorted).
pub fn fingerprint(context: &Context, live: &LiveState) -> String {
    let text = serde_json::to_string(&(context, live)).unwrap_or_default();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

pub async fn apply(
    clients: &Clients,
    stack: &Stack,
    planned: &Plan,
    parallelism: usize,
    progress: impl Fn(crate::apply::Event) + Send + Sync + 'static,
) -> crate::apply::Outcome {
    let mut outcome = crate::apply::run(planned, step_context(clients, stack), parallelism, progress).await;
    // The published outputs change last, as the plan said, once every step succeeded.
    if !outcome.failed()
        && let Err(e) =
            live::STEP.scope(OUTPUTS_STEP.to_string(), Box::pin(publish_planned_outputs(clients, stack, planned))).await
    {
        outcome.outputs_failed = Some(format!("{e:#}"));
    }
    outcome
}

use crate::live::outputs::{outputs_parameter, read_published};
pub use crate::plan::outputs::OutputValue;

/// The stack's outputs read from what exists.
pub fn outputs(stack: &Stack, live: &LiveState) -> Vec<OutputValue> {
    crate::plan::outputs::values(stack, live)
}

/// Publish the outputs that have values, as one JSON object (`{"name": "value"}`).
pub async fn publish_outputs(clients: &Clients, stack: &Stack, outputs: &[OutputValue]) -> anyhow::Result<()> {
    let doc: serde_json::Map<String, serde_json::Value> =
        outputs.iter().filter_map(|o| Some((o.name.clone(), serde_json::Value::from(o.value.clone()?)))).collect();
    let text = serde_json::Value::Object(doc).to_string();
    // Past the standard tier's 4 KB, the advanced tier's 8 KB.
    let tier = if text.len() > 4096 {
        aws_sdk_ssm::types::ParameterTier::Advanced
    } else {
        aws_sdk_ssm::types::ParameterTier::Standard
    };
    clients
        .ssm
        .put_parameter()
        .name(outputs_parameter(&stack.stack))
        .value(text)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .tier(tier)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| crate::aws_error::err("publishing the outputs", e))?;
    Ok(())
}

/// The step name of the outputs' publication in call records (beside the changes' addresses).
pub const OUTPUTS_STEP: &str = "outputs";

/// Make the published outputs what the plan said: each change the plan shows, applied to what is
/// published (a value known only after apply is read from what now exists); no parameter at all
/// when no output is left.
pub async fn publish_planned_outputs(clients: &Clients, stack: &Stack, plan: &Plan) -> anyhow::Result<()> {
    if plan.outputs.is_empty() {
        return Ok(());
    }
    let mut doc = read_published(clients, &stack.stack).await?.unwrap_or_default();
    let now = if plan.outputs.iter().any(|o| o.known_after_apply) {
        outputs(stack, &live::read(clients, stack).await?.1)
    } else {
        Vec::new()
    };
    for o in &plan.outputs {
        let value = if o.known_after_apply {
            now.iter().find(|v| v.name == o.name).and_then(|v| v.value.clone())
        } else {
            o.after.clone()
        };
        match value {
            Some(v) => doc.insert(o.name.clone(), v),
            None => doc.remove(&o.name),
        };
    }
    if doc.is_empty() {
        return unpublish_outputs(clients, stack).await;
    }
    let values: Vec<OutputValue> =
        doc.into_iter().map(|(name, value)| OutputValue { name, value: Some(value), description: None }).collect();
    publish_outputs(clients, stack, &values).await
}

/// After a destroy: the outputs are gone with the resources.
pub async fn unpublish_outputs(clients: &Clients, stack: &Stack) -> anyhow::Result<()> {
    match clients.ssm.delete_parameter().name(outputs_parameter(&stack.stack)).send().await {
        Ok(_) => Ok(()),
        Err(e) if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound => Ok(()),
        Err(e) => Err(crate::aws_error::err("removing the published outputs", e)),
    }
}

/// One resource `forget` takes out of the stack, and how: the lbstack tags to remove from it, or
/// (a record) its entry in the zone's lbstack index.
#[derive(Debug, Clone, PartialEq)]
pub struct Forgotten {
    pub address: plan::Address,
    /// What to untag: the resource's ARN or id (a rule's ARN; a protection's ARN; for a record,
    /// the zone whose index lists it).
    pub id: String,
    pub tag_keys: Vec<String>,
}

/// The resources `forget` takes out of the stack for these addresses: every address a plan names,
/// except the kinds that belong to another (said, with what to forget instead). A load
/// balancer takes its listeners and rules; an auto-scaling group its policies and schedules.
pub fn forgettable(live: &LiveState, addresses: &[String]) -> anyhow::Result<Vec<Forgotten>> {
    // Listeners and rules carry lbstack's tags in AWS but none the stack declares: their keys are fixed.
    let rule_keys = || {
        vec![
            crate::ownership::OWNER_STACK_TAG.to_string(),
            crate::ownership::OWNER_ADDRESS_TAG.to_string(),
            crate::ownership::CLIENT_SECRET_TAG.to_string(),
        ]
    };
    let of = |r: &plan::Live| -> Vec<Forgotten> {
        match r.address.kind {
            Kind::ListenerRules | Kind::SharedListener => {
                let rule_arns = match &r.attrs {
                    plan::Attrs::ListenerRules(a) => a.rule_arns.clone(),
                    plan::Attrs::SharedListener(a) => a.rule_arns.clone(),
                    _ => None,
                };
                rule_arns
                    .into_iter()
                    .flat_map(|m| m.into_values())
                    .map(|arn| Forgotten { address: r.address.clone(), id: arn, tag_keys: rule_keys() })
                    .collect()
            }
            Kind::ShieldProtection => {
                let arn = match &r.attrs {
                    plan::Attrs::ShieldProtection(a) => a.arn.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                vec![Forgotten { address: r.address.clone(), id: arn, tag_keys: own_tag_keys(r) }]
            }
            // A record is untied by its zone's index: its id here is the zone.
            Kind::Record => {
                let zone = match &r.attrs {
                    plan::Attrs::Record(a) => a.zone.clone(),
                    _ => String::new(),
                };
                vec![Forgotten { address: r.address.clone(), id: zone, tag_keys: Vec::new() }]
            }
            Kind::Listener => vec![Forgotten { address: r.address.clone(), id: r.id.clone(), tag_keys: rule_keys() }],
            Kind::SecurityGroup
            | Kind::Certificate
            | Kind::IpSet
            | Kind::WebAcl
            | Kind::TrustStore
            | Kind::TargetGroup
            | Kind::LoadBalancer
            | Kind::WebAclAssociation
            | Kind::LaunchTemplate
            | Kind::AutoScalingGroup
            | Kind::ScalingPolicy
            | Kind::ScheduledAction
            | Kind::Topic
            | Kind::Alarm
            | Kind::CompositeAlarm => {
                vec![Forgotten { address: r.address.clone(), id: r.id.clone(), tag_keys: own_tag_keys(r) }]
            }
        }
    };
    let mut out = Vec::new();
    for asked in addresses {
        let address = plan::Address::parse(asked)
            .ok_or_else(|| anyhow::anyhow!("`{asked}` is not an address (kind.key, as the plan names it)"))?;
        if let Some(why) = Kind::not_forgettable(address.kind) {
            anyhow::bail!("cannot forget `{asked}`: {why}");
        }
        let Some(found) = live.resources.iter().find(|r| r.address == address) else {
            anyhow::bail!("cannot forget `{asked}`: the stack owns no such resource");
        };
        out.extend(of(found));
        if address.kind == Kind::LoadBalancer {
            let prefix = format!("{}.", address.key);
            let belongs = |r: &&plan::Live| {
                (r.address.key.starts_with(&prefix) && matches!(r.address.kind, Kind::Listener | Kind::ListenerRules))
                    || (r.address.key == address.key && r.address.kind == Kind::ShieldProtection)
            };
            for r in live.resources.iter().filter(belongs) {
                out.extend(of(r));
            }
        }
    }
    Ok(out)
}

fn own_tag_keys(r: &plan::Live) -> Vec<String> {
    r.tags()
        .map(|t| t.keys().filter(|k| k.starts_with(crate::ownership::OWN_TAG_PREFIX)).cloned().collect())
        .unwrap_or_default()
}

/// Remove lbstack's tags (only those) from each resource, or a record's entry from the zone's
/// lbstack index: it leaves the stack, untouched otherwise, for another tool or another stack to
/// adopt.
pub async fn forget(clients: &Clients, stack: &Stack, targets: &[Forgotten]) -> anyhow::Result<()> {
    use crate::aws_error::err;
    for Forgotten { address, id, tag_keys: keys } in
        targets.iter().filter(|t| !t.tag_keys.is_empty() || t.address.kind == Kind::Record)
    {
        let doing = format!("removing lbstack's tags from {address}");
        match address.kind {
            Kind::LoadBalancer
            | Kind::TargetGroup
            | Kind::Listener
            | Kind::ListenerRules
            | Kind::SharedListener
            | Kind::TrustStore => {
                clients
                    .elbv2
                    .remove_tags()
                    .resource_arns(id)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::SecurityGroup | Kind::LaunchTemplate => {
                let tags = keys.iter().map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build()).collect();
                clients
                    .ec2
                    .delete_tags()
                    .resources(id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::AutoScalingGroup => {
                let tags = keys
                    .iter()
                    .map(|k| {
                        aws_sdk_autoscaling::types::Tag::builder()
                            .resource_id(id)
                            .resource_type("auto-scaling-group")
                            .key(k)
                            .build()
                    })
                    .collect();
                clients.autoscaling.delete_tags().set_tags(Some(tags)).send().await.map_err(|e| err(&doing, e))?;
            }
            Kind::IpSet | Kind::WebAcl => {
                clients
                    .wafv2
                    .untag_resource()
                    .resource_arn(id)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::Alarm | Kind::CompositeAlarm => {
                clients
                    .cloudwatch
                    .untag_resource()
                    .resource_arn(id)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::Topic => {
                clients
                    .sns
                    .untag_resource()
                    .resource_arn(id)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::Certificate => {
                let tags = keys
                    .iter()
                    .map(|k| aws_sdk_acm::types::Tag::builder().key(k).build())
                    .collect::<Result<Vec<_>, _>>()?;
                clients
                    .acm
                    .remove_tags_from_certificate()
                    .certificate_arn(id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::ShieldProtection => {
                clients
                    .shield
                    .untag_resource()
                    .resource_arn(id)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|e| err(&doing, e))?;
            }
            Kind::Record => {
                crate::apply::route53::leave_index(&step_context(clients, stack), id, &address.to_string()).await?;
            }
            Kind::ScalingPolicy | Kind::ScheduledAction | Kind::WebAclAssociation => {
                anyhow::bail!("cannot forget {address}: {}", Kind::not_forgettable(address.kind).unwrap_or_default())
            }
        }
    }
    Ok(())
}

fn step_context(clients: &Clients, stack: &Stack) -> crate::apply::StepContext {
    let force_delete =
        stack.autoscaling_groups.iter().filter(|(_, g)| g.force_delete).map(|(k, _)| k.clone()).collect();
    crate::apply::StepContext {
        clients: clients.clone(),
        ids: Default::default(),
        stack: stack.stack.clone(),
        progress: std::sync::Arc::new(|_| {}),
        force_delete: std::sync::Arc::new(force_delete),
        files: stack.files.clone(),
        endpoints: std::sync::Arc::new(crate::plan::secrets::shown_endpoints(stack)),
        zone_locks: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::Attributes;
    use crate::plan::{Address, Live};
    use serde_json::json;

    fn live(kind: Kind, key: &str, id: &str, attrs: serde_json::Value) -> Live {
        let attrs = plan::Attrs::from_value(kind, &attrs).unwrap();
        Live { address: Address::new(kind, key), id: id.into(), name: key.into(), attrs }
    }

    #[test]
    fn forgetting_a_load_balancer_takes_its_listeners_and_rules_and_only_lbstack_tags() {
        let tags = json!({"lbstack:stack": "s", "lbstack:address": "x", "lbstack:tags": "team", "team": "a"});
        let load_balancer = json!({
            "type": "application", "subnets": [], "ip_address_type": "ipv4", "attributes": {}, "tags": tags
        });
        let listener = |lb: &str| json!({ "load_balancer": { "$ref": lb }, "default_action": { "type": "forward", "target_groups": [] } });
        let group =
            json!({ "target_type": "instance", "health_check": { "enabled": true }, "attributes": {}, "tags": tags });
        let rule_arns = [("10", "arn:rule10"), ("20", "arn:rule20")]
            .into_iter()
            .map(|(p, arn)| (p.to_string(), arn.to_string()))
            .collect();
        let rules = crate::attrs::ListenerRulesAttrs {
            listener: crate::attrs::Ref::to(Kind::Listener, "web.http"),
            rules: Vec::new(),
            rule_arns: Some(rule_arns),
        };
        let state = LiveState {
            resources: vec![
                live(Kind::LoadBalancer, "web", "arn:lb", load_balancer),
                live(Kind::Listener, "web.http", "arn:listener", listener("load_balancer.web")),
                live(Kind::ListenerRules, "web.http", "arn:listener", rules.to_value()),
                live(Kind::Listener, "api.http", "arn:other-listener", listener("load_balancer.api")),
                live(Kind::TargetGroup, "app", "arn:tg", group),
            ],
            conflicts: Vec::new(),
        };
        let got = forgettable(&state, &["load_balancer.web".to_string()]).unwrap();
        let ids: Vec<&str> = got.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["arn:lb", "arn:listener", "arn:rule10", "arn:rule20"]);
        assert_eq!(got[0].tag_keys, ["lbstack:stack", "lbstack:address", "lbstack:tags"], "the team tag stays");
        assert_eq!(
            got[1].tag_keys,
            ["lbstack:stack", "lbstack:address", crate::ownership::CLIENT_SECRET_TAG],
            "a listener's own tags go, though its attributes hold none"
        );

        let err = forgettable(&state, &["target_group.nope".to_string()]).unwrap_err().to_string();
        assert!(err.contains("owns no such resource"), "{err}");
        let err = forgettable(&state, &["scaling_policy.cpu".to_string()]).unwrap_err().to_string();
        assert!(err.contains("belongs to its auto-scaling group"), "{err}");
        let err = forgettable(&state, &["web_acl_association.web".to_string()]).unwrap_err().to_string();
        assert!(err.contains("an association has no tags"), "{err}");
    }
}
