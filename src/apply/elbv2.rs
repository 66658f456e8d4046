//! Target groups, load balancers, listeners and listener rules.

use super::{StepContext, changed, id, int, set_diff, tags_changed};
use crate::attrs::elbv2::{
    Conditions, HealthCheck, ListenerAction, ListenerAttrs, ListenerRulesAttrs, LoadBalancerAttrs, MainAction,
    MutualAuthentication, RuleAttrs, SharedListenerAttrs, SharedListenerInputs, Target, TargetGroupAttrs,
    TrustStoreAttrs, TrustStoreInputs,
};
use crate::attrs::{AttributeMap, RefOrId, TagMap};
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::plan::Kind;
use crate::plan::{Attrs, Change};
use crate::retry::{self, Backoff};
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateCognitoActionConditionalBehaviorEnum, AuthenticateCognitoActionConfig,
    AuthenticateOidcActionConditionalBehaviorEnum, AuthenticateOidcActionConfig, Certificate,
    FixedResponseActionConfig, ForwardActionConfig, HostHeaderConditionConfig, HttpHeaderConditionConfig,
    HttpRequestMethodConditionConfig, IpAddressType, ListenerAttribute, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, Matcher, MutualAuthenticationAttributes, PathPatternConditionConfig, ProtocolEnum,
    QueryStringConditionConfig, QueryStringKeyValuePair, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition, RulePriorityPair, SourceIpConditionConfig, Tag, TargetDescription, TargetGroupAttribute,
    TargetGroupStickinessConfig, TargetGroupTuple, TargetTypeEnum,
};
use indexmap::IndexMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(600);

fn tag_list(tags: &TagMap) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// AddTags and RemoveTags for the tags that differ.
async fn set_tags(sc: &StepContext, arn: &str, want: &TagMap, have: Option<&TagMap>) -> anyhow::Result<()> {
    let (add, remove) = tags_changed(want, have);
    if !remove.is_empty() {
        sc.clients
            .elbv2
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        sc.clients.elbv2.add_tags().resource_arns(arn).set_tags(Some(t)).send().await.map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

/// Whether the resource at `arn` carries this change's ownership tags: a create whose response
/// was lost made it, and the retry that met AlreadyExists found it.
async fn carries_our_tags(sc: &StepContext, c: &Change, arn: &str) -> anyhow::Result<bool> {
    let out = sc.clients.elbv2.describe_tags().resource_arns(arn).send().await.map_err(|e| err("reading tags", e))?;
    let tags: Vec<(&str, &str)> = out
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .collect();
    Ok(super::owned_by(&tags, &sc.stack, &c.address))
}

/// The ARN a create returned, or, when it met AlreadyExists, the ARN `lookup` finds if that
/// resource is ours (made by an earlier attempt whose response was lost).
async fn created_or_ours<O, E, L, LF>(
    sc: &StepContext,
    c: &Change,
    doing: &str,
    sent: Result<O, E>,
    arn_of: impl Fn(&O) -> Option<String>,
    lookup: L,
) -> anyhow::Result<String>
where
    E: crate::aws_error::Failure,
    L: FnOnce() -> LF,
    LF: std::future::Future<Output = anyhow::Result<Option<String>>>,
{
    match sent {
        Ok(out) => arn_of(&out).ok_or_else(|| anyhow::anyhow!("{doing}: the answer holds no ARN")),
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(doing, e);
            match lookup().await? {
                Some(arn) if carries_our_tags(sc, c, &arn).await? => Ok(arn),
                _ => Err(failure.context(
                    "it exists without this stack's ownership tags (created since the plan?); run plan again",
                )),
            }
        }
        Err(e) => Err(err(doing, e)),
    }
}

// ------------------------------------------------------------------ target groups

/// The health-check fields, set the same way on CreateTargetGroup and ModifyTargetGroup (two
/// builder types with the same setters).
macro_rules! with_health_check {
    ($req:expr, $a:expr) => {{
        let hc: &HealthCheck = &$a.health_check;
        $req.health_check_enabled(hc.enabled)
            .set_health_check_protocol(hc.protocol.as_deref().map(ProtocolEnum::from))
            .set_health_check_path(hc.path.clone())
            .set_health_check_port(hc.port.clone())
            .set_health_check_interval_seconds(int(hc.interval))
            .set_health_check_timeout_seconds(int(hc.timeout))
            .set_healthy_threshold_count(int(hc.healthy_threshold))
            .set_unhealthy_threshold_count(int(hc.unhealthy_threshold))
            .set_matcher(matcher($a))
    }};
}

/// The attributes `keep` picks, as key and value text: one picking for load balancers, target
/// groups and listeners, each API taking them in its own type.
fn picked(attributes: &AttributeMap, keep: impl Fn(&str) -> bool) -> impl Iterator<Item = (&str, &str)> {
    attributes.iter().filter(move |(k, _)| keep(k)).map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Whether the plan changes the attribute `key` of this change (only those are sent: some
/// attributes may not be sent together with others).
fn attribute_changed(c: &Change, key: &str) -> bool {
    c.diffs.iter().any(|d| d.path == format!("attributes.{key}"))
}

fn targets(list: &[Target]) -> Vec<TargetDescription> {
    list.iter()
        .map(|t| {
            TargetDescription::builder()
                .id(&t.id)
                .set_port(t.port.map(|p| p as i32))
                .set_availability_zone(t.availability_zone.clone())
                .build()
        })
        .collect()
}

pub async fn create_target_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<TargetGroupAttrs>()?;
    let mut req = sc
        .clients
        .elbv2
        .create_target_group()
        .name(&c.name)
        .target_type(TargetTypeEnum::from(a.target_type.as_str()))
        .set_tags(Some(tag_list(&a.tags)));
    if let Some(p) = &a.protocol {
        req = req.protocol(ProtocolEnum::from(p.as_str())).set_port(a.port.map(|p| p as i32)).set_vpc_id(a.vpc.clone());
    }
    req = req.set_protocol_version(a.protocol_version.clone());
    req = with_health_check!(req, &a);
    let doing = format!("creating target group {}", c.name);
    let arn = created_or_ours(
        sc,
        c,
        &doing,
        req.send().await,
        |out| out.target_groups().first().and_then(|t| t.target_group_arn()).map(str::to_string),
        || async {
            let found = sc.clients.elbv2.describe_target_groups().names(&c.name).send().await;
            Ok(found
                .ok()
                .and_then(|o| o.target_groups().first().and_then(|t| t.target_group_arn()).map(str::to_string)))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    // A new group has AWS's defaults already: only the attributes set away from them cost a call
    // (a thousand default groups apply with a thousand writes, not two thousand).
    let away_from_default = |k: &str| {
        crate::defaults::attributes::default_of(crate::defaults::attributes::TARGET_GROUP, k)
            != a.attributes.get(k).map(String::as_str)
    };
    set_tg_attributes(sc, &arn, &a.attributes, away_from_default, "setting target group attributes").await?;
    if let Some(list) = a.targets.as_ref().filter(|l| !l.is_empty()) {
        allow_invoke(sc, &a, &arn, list).await?;
        sc.clients
            .elbv2
            .register_targets()
            .target_group_arn(&arn)
            .set_targets(Some(targets(list)))
            .send()
            .await
            .map_err(|e| err("registering targets", e))?;
    }
    Ok(())
}

/// The statement that lets this target group invoke a Lambda function: one per group, so a
/// function behind several groups keeps each group's.
fn invoke_statement(tg_arn: &str) -> String {
    format!("lbstack-elb-{}", crate::ownership::names::hash7(tg_arn))
}

/// Lambda functions among `list` when the group is of type lambda.
fn functions<'a>(a: &TargetGroupAttrs, list: &'a [Target]) -> Vec<&'a str> {
    if a.target_type != "lambda" {
        return Vec::new();
    }
    list.iter().map(|t| t.id.as_str()).collect()
}

/// AWS refuses to register a Lambda target until the function lets Elastic Load Balancing invoke
/// it for this group (`lambda:AddPermission`, principal elasticloadbalancing.amazonaws.com,
/// scoped to the group's ARN). A statement left by an attempt whose answer was lost is replaced.
async fn allow_invoke(sc: &StepContext, a: &TargetGroupAttrs, tg_arn: &str, list: &[Target]) -> anyhow::Result<()> {
    for function in functions(a, list) {
        let add = || {
            sc.clients
                .lambda
                .add_permission()
                .function_name(function)
                .statement_id(invoke_statement(tg_arn))
                .action("lambda:InvokeFunction")
                .principal("elasticloadbalancing.amazonaws.com")
                .source_arn(tg_arn)
                .send()
        };
        match add().await {
            Ok(_) => {}
            Err(e) if class_of(&e) == Class::Conflict => {
                revoke_invoke(sc, tg_arn, function).await?;
                add().await.map_err(|e| err(&format!("letting {tg_arn} invoke {function}"), e))?;
            }
            Err(e) => return Err(err(&format!("letting {tg_arn} invoke {function}"), e)),
        }
    }
    Ok(())
}

/// Take back the group's invoke permission from a function that left it (gone already is fine).
async fn revoke_invoke(sc: &StepContext, tg_arn: &str, function: &str) -> anyhow::Result<()> {
    match sc
        .clients
        .lambda
        .remove_permission()
        .function_name(function)
        .statement_id(invoke_statement(tg_arn))
        .send()
        .await
    {
        Err(e) if class_of(&e) != Class::NotFound => {
            Err(err(&format!("removing {tg_arn}'s permission to invoke {function}"), e))
        }
        _ => Ok(()),
    }
}

/// ModifyTargetGroupAttributes with the attributes `keep` picks; no call when it picks none.
async fn set_tg_attributes(
    sc: &StepContext,
    arn: &str,
    attributes: &AttributeMap,
    keep: impl Fn(&str) -> bool,
    doing: &str,
) -> anyhow::Result<()> {
    let picked: Vec<TargetGroupAttribute> =
        picked(attributes, keep).map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build()).collect();
    if picked.is_empty() {
        return Ok(());
    }
    let req = sc.clients.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(picked));
    req.send().await.map_err(|e| err(doing, e))?;
    Ok(())
}

fn matcher(a: &TargetGroupAttrs) -> Option<Matcher> {
    let m = a.health_check.matcher.as_deref()?;
    Some(if a.protocol_version.as_deref() == Some("GRPC") {
        Matcher::builder().grpc_code(m).build()
    } else {
        Matcher::builder().http_code(m).build()
    })
}

pub async fn update_target_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let a = c.after_as::<TargetGroupAttrs>()?;
    let before = c.before_as::<TargetGroupAttrs>()?;
    if changed(c, "health_check") {
        let req = sc.clients.elbv2.modify_target_group().target_group_arn(&arn);
        with_health_check!(req, &a).send().await.map_err(|e| err("modifying the health check", e))?;
    }
    if changed(c, "attributes") {
        // Only the changed keys: some attributes may not be sent together with others.
        let changed_key = |k: &str| attribute_changed(c, k);
        set_tg_attributes(sc, &arn, &a.attributes, changed_key, "modifying target group attributes").await?;
    }
    if let Some(want) = &a.targets {
        let have = before.as_ref().and_then(|b| b.targets.clone()).unwrap_or_default();
        let (add, remove) = set_diff(want, &have);
        if !remove.is_empty() {
            sc.clients
                .elbv2
                .deregister_targets()
                .target_group_arn(&arn)
                .set_targets(Some(targets(&remove)))
                .send()
                .await
                .map_err(|e| err("deregistering targets", e))?;
            for function in functions(&a, &remove) {
                revoke_invoke(sc, &arn, function).await?;
            }
        }
        if !add.is_empty() {
            allow_invoke(sc, &a, &arn, &add).await?;
            sc.clients
                .elbv2
                .register_targets()
                .target_group_arn(&arn)
                .set_targets(Some(targets(&add)))
                .send()
                .await
                .map_err(|e| err("registering targets", e))?;
        }
    }
    if changed(c, "tags") {
        set_tags(sc, &arn, &a.tags, before.as_ref().map(|b| &b.tags)).await?;
    }
    Ok(())
}

pub async fn delete_target_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    // A listener that was just repointed can still hold the group for a moment.
    let delete = || async {
        match sc.clients.elbv2.delete_target_group().target_group_arn(&arn).send().await {
            Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting target group {arn}"), e)),
            _ => Ok(()),
        }
    };
    retry::retry(Backoff::SHORT, delete, retry::is(&[Class::InUse])).await?;
    // Its functions no longer need to let it invoke them.
    if let Some(before) = c.before_as::<TargetGroupAttrs>()? {
        for function in functions(&before, before.targets.as_deref().unwrap_or_default()) {
            revoke_invoke(sc, &arn, function).await?;
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ load balancers

/// The attributes `keep` picks, as the API takes them.
fn attributes_lb(attributes: &AttributeMap, keep: impl Fn(&str) -> bool) -> Vec<LoadBalancerAttribute> {
    picked(attributes, keep).map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build()).collect()
}

/// Whether the security groups filter PrivateLink traffic, as the API takes it.
fn privatelink(
    a: &LoadBalancerAttrs,
) -> Option<aws_sdk_elasticloadbalancingv2::types::EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum> {
    a.privatelink_inbound_rules
        .as_deref()
        .map(aws_sdk_elasticloadbalancingv2::types::EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum::from)
}

/// Every subnet with the addresses the stack fixes in it; none when it fixes no address (then the
/// subnets are sent as a plain list).
fn subnet_mappings(a: &LoadBalancerAttrs) -> Option<Vec<aws_sdk_elasticloadbalancingv2::types::SubnetMapping>> {
    let addresses = a.addresses.as_ref()?;
    let mapping = |subnet: &String| {
        let fixed = addresses.get(subnet);
        aws_sdk_elasticloadbalancingv2::types::SubnetMapping::builder()
            .subnet_id(subnet)
            .set_allocation_id(fixed.and_then(|f| f.elastic_ip.clone()))
            .set_private_ipv4_address(fixed.and_then(|f| f.private_ipv4.clone()))
            .set_ipv6_address(fixed.and_then(|f| f.ipv6.clone()))
            .build()
    };
    Some(a.subnets.iter().map(mapping).collect())
}

pub async fn create_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<LoadBalancerAttrs>()?;
    let mut req = sc
        .clients
        .elbv2
        .create_load_balancer()
        .name(&c.name)
        .r#type(LoadBalancerTypeEnum::from(a.r#type.as_str()))
        .set_subnets(a.addresses.is_none().then(|| a.subnets.clone()))
        .set_subnet_mappings(subnet_mappings(&a))
        .ip_address_type(IpAddressType::from(a.ip_address_type.as_str()))
        .set_tags(Some(tag_list(&a.tags)))
        .set_scheme(a.scheme.as_deref().map(LoadBalancerSchemeEnum::from));
    let groups = sc.ids.ids_of(a.security_groups.as_deref().unwrap_or_default())?;
    if !groups.is_empty() {
        req = req.set_security_groups(Some(groups));
    }
    let doing = format!("creating load balancer {}", c.name);
    let arn = created_or_ours(
        sc,
        c,
        &doing,
        req.send().await,
        |out| out.load_balancers().first().and_then(|l| l.load_balancer_arn()).map(str::to_string),
        || async {
            let found = sc.clients.elbv2.describe_load_balancers().names(&c.name).send().await;
            Ok(found
                .ok()
                .and_then(|o| o.load_balancers().first().and_then(|l| l.load_balancer_arn()).map(str::to_string)))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    // CreateLoadBalancer does not take the PrivateLink setting: it follows with the groups.
    if let Some(enforce) = privatelink(&a) {
        let groups = sc.ids.ids_of(a.security_groups.as_deref().unwrap_or_default())?;
        let req = sc.clients.elbv2.set_security_groups().load_balancer_arn(&arn).set_security_groups(Some(groups));
        req.enforce_security_group_inbound_rules_on_private_link_traffic(enforce)
            .send()
            .await
            .map_err(|e| err("setting PrivateLink inbound rules", e))?;
    }
    // The create call answers `provisioning`; wait with the SDK's waiter until it is active.
    (sc.progress)(format!("  {}: waiting until {} is active", c.address, c.name));
    let wait =
        sc.clients.elbv2.wait_until_load_balancer_available().load_balancer_arns(&arn).wait(crate::clock::scaled(WAIT));
    crate::logging::waiting(&format!("until {} is active", c.name), wait)
        .await
        .map_err(|e| err("waiting for the load balancer", e))?;
    // A new load balancer has AWS's defaults: only the attributes set away from them are sent
    // (fewer keys, and endpoints that lack a newer key never meet it unless the stack sets it).
    let away_from_default = |k: &str| {
        crate::defaults::attributes::default_of(crate::defaults::attributes::LOAD_BALANCER, k)
            != a.attributes.get(k).map(String::as_str)
    };
    let attributes = attributes_lb(&a.attributes, away_from_default);
    if !attributes.is_empty() {
        let req =
            sc.clients.elbv2.modify_load_balancer_attributes().load_balancer_arn(&arn).set_attributes(Some(attributes));
        req.send().await.map_err(|e| err("setting load balancer attributes", e))?;
    }
    Ok(())
}

pub async fn update_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let a = c.after_as::<LoadBalancerAttrs>()?;
    let b = c.before_as::<LoadBalancerAttrs>()?;
    let lb = &sc.clients.elbv2;
    // Groups with today's ids against the ids they had: a group replaced since is a change too.
    let want_groups = sc.ids.ids_of(a.security_groups.as_deref().unwrap_or_default())?;
    let have_groups = match b.as_ref().and_then(|b| b.security_groups.as_deref()) {
        Some(groups) => Some(sc.ids.ids_before(groups)?),
        None => None,
    };
    if have_groups.as_ref() != Some(&want_groups) || changed(c, "privatelink_inbound_rules") {
        lb.set_security_groups()
            .load_balancer_arn(&arn)
            .set_security_groups(Some(want_groups))
            .set_enforce_security_group_inbound_rules_on_private_link_traffic(privatelink(&a))
            .send()
            .await
            .map_err(|e| err("setting security groups", e))?;
    }
    if b.as_ref().map(|b| &b.subnets) != Some(&a.subnets) {
        lb.set_subnets()
            .load_balancer_arn(&arn)
            .set_subnets(a.addresses.is_none().then(|| a.subnets.clone()))
            .set_subnet_mappings(subnet_mappings(&a))
            .send()
            .await
            .map_err(|e| err("setting subnets", e))?;
    }
    if b.as_ref().map(|b| &b.ip_address_type) != Some(&a.ip_address_type) {
        lb.set_ip_address_type()
            .load_balancer_arn(&arn)
            .ip_address_type(IpAddressType::from(a.ip_address_type.as_str()))
            .send()
            .await
            .map_err(|e| err("setting the IP address type", e))?;
    }
    if changed(c, "attributes") {
        lb.modify_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .set_attributes(Some(attributes_lb(&a.attributes, |k| attribute_changed(c, k))))
            .send()
            .await
            .map_err(|e| err("modifying load balancer attributes", e))?;
    }
    if changed(c, "tags") {
        set_tags(sc, &arn, &a.tags, b.as_ref().map(|b| &b.tags)).await?;
    }
    Ok(())
}

pub async fn delete_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let protected = c
        .before_as::<LoadBalancerAttrs>()?
        .and_then(|b| b.attributes.get("deletion_protection.enabled").cloned())
        .as_deref()
        == Some("true");
    if protected {
        anyhow::bail!(
            "deletion protection is on: set `attributes: {{deletion_protection: false}}` in the stack and apply before removing it"
        );
    }
    match sc.clients.elbv2.delete_load_balancer().load_balancer_arn(&arn).send().await {
        Ok(_) => {}
        Err(e) if class_of(&e) == Class::NotFound => return Ok(()),
        Err(e) => return Err(err(&format!("deleting load balancer {arn}"), e)),
    }
    (sc.progress)(format!("  {}: waiting until {} is gone", c.address, c.name));
    let wait =
        sc.clients.elbv2.wait_until_load_balancers_deleted().load_balancer_arns(&arn).wait(crate::clock::scaled(WAIT));
    crate::logging::waiting(&format!("until {} is gone", c.name), wait)
        .await
        .map_err(|e| err("waiting for the load balancer to go", e))?;
    Ok(())
}

// ------------------------------------------------------------------ listeners

/// An action as the API's list: the sign-in first when there is one. Target groups are resolved
/// to their ARNs now; an OIDC client secret is read from its source here (and for its digest
/// when planning), and its digest returned for the `lbstack:client-secret` tag.
fn actions(sc: &StepContext, v: &ListenerAction) -> anyhow::Result<(Vec<Action>, Option<String>)> {
    let main = action(sc, &v.main)?;
    if let Some(jwt) = &v.jwt {
        let mut main = main;
        main.order = Some(2);
        return Ok((vec![jwt_validation(jwt), main], None));
    }
    let Some(auth) = &v.authenticate else { return Ok((vec![main], None)) };
    let mut digest = None;
    let extra: std::collections::HashMap<String, String> =
        auth.extra_params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let first = if auth.r#type == "authenticate-cognito" {
        let cfg = AuthenticateCognitoActionConfig::builder()
            .set_user_pool_arn(auth.user_pool.clone())
            .set_user_pool_client_id(auth.client_id.clone())
            .set_user_pool_domain(auth.domain.clone())
            .scope(&auth.scope)
            .session_cookie_name(&auth.session_cookie)
            .session_timeout(auth.session_timeout)
            .on_unauthenticated_request(AuthenticateCognitoActionConditionalBehaviorEnum::from(
                auth.on_unauthenticated.as_str(),
            ))
            .set_authentication_request_extra_params(Some(extra))
            .build();
        Action::builder().r#type(ActionTypeEnum::AuthenticateCognito).authenticate_cognito_config(cfg).order(1).build()
    } else {
        let source = auth
            .client_secret
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the OIDC client secret has no source in the plan"))?;
        let secret = crate::plan::secrets::read(source, &sc.files)?;
        digest = Some(crate::plan::secrets::digest(&sc.stack, &secret));
        let cfg = AuthenticateOidcActionConfig::builder()
            .set_issuer(auth.issuer.clone())
            .set_authorization_endpoint(auth.authorization_endpoint.clone())
            .set_token_endpoint(auth.token_endpoint.clone())
            .set_user_info_endpoint(auth.user_info_endpoint.clone())
            .set_client_id(auth.client_id.clone())
            .client_secret(secret)
            .scope(&auth.scope)
            .session_cookie_name(&auth.session_cookie)
            .session_timeout(auth.session_timeout)
            .on_unauthenticated_request(AuthenticateOidcActionConditionalBehaviorEnum::from(
                auth.on_unauthenticated.as_str(),
            ))
            .set_authentication_request_extra_params(Some(extra))
            .build();
        Action::builder().r#type(ActionTypeEnum::AuthenticateOidc).authenticate_oidc_config(cfg).order(1).build()
    };
    let mut main = main;
    main.order = Some(2);
    Ok((vec![first, main], digest))
}

/// JWT validation, the first action of two.
fn jwt_validation(j: &crate::attrs::elbv2::JwtValidation) -> Action {
    use aws_sdk_elasticloadbalancingv2::types::{
        JwtValidationActionAdditionalClaim, JwtValidationActionAdditionalClaimFormatEnum, JwtValidationActionConfig,
    };
    let claims = j
        .claims
        .iter()
        .map(|(name, c)| {
            JwtValidationActionAdditionalClaim::builder()
                .name(name)
                .format(JwtValidationActionAdditionalClaimFormatEnum::from(c.format.as_str()))
                .set_values(Some(c.values.clone()))
                .build()
        })
        .collect::<Vec<_>>();
    let cfg = JwtValidationActionConfig::builder()
        .issuer(&j.issuer)
        .jwks_endpoint(&j.jwks_endpoint)
        .set_additional_claims((!claims.is_empty()).then_some(claims));
    Action::builder().r#type(ActionTypeEnum::JwtValidation).jwt_validation_config(cfg.build()).order(1).build()
}

/// A rule's transforms as the API takes them (empty: none).
fn transforms(r: Option<&crate::attrs::elbv2::Rewrite>) -> Vec<aws_sdk_elasticloadbalancingv2::types::RuleTransform> {
    use aws_sdk_elasticloadbalancingv2::types::{
        HostHeaderRewriteConfig, RewriteConfig, RuleTransform, TransformTypeEnum, UrlRewriteConfig,
    };
    let rewrite =
        |x: &crate::attrs::elbv2::RewriteRule| RewriteConfig::builder().regex(&x.regex).replace(&x.replace).build();
    let mut out = Vec::new();
    if let Some(host) = r.and_then(|r| r.host.as_ref()) {
        let cfg = HostHeaderRewriteConfig::builder().rewrites(rewrite(host)).build();
        out.push(
            RuleTransform::builder()
                .r#type(TransformTypeEnum::HostHeaderRewrite)
                .host_header_rewrite_config(cfg)
                .build(),
        );
    }
    if let Some(url) = r.and_then(|r| r.url.as_ref()) {
        let cfg = UrlRewriteConfig::builder().rewrites(rewrite(url)).build();
        out.push(RuleTransform::builder().r#type(TransformTypeEnum::UrlRewrite).url_rewrite_config(cfg).build());
    }
    out
}

/// The final action alone, as the API's type.
fn action(sc: &StepContext, main: &MainAction) -> anyhow::Result<Action> {
    Ok(match main {
        MainAction::Redirect { protocol, port, host, path, query, status } => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(protocol)
                    .port(port)
                    .host(host)
                    .path(path)
                    .query(query)
                    .status_code(RedirectActionStatusCodeEnum::from(status.as_str()))
                    .build(),
            )
            .build(),
        MainAction::FixedResponse { status, content_type, body } => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(status)
                    .content_type(content_type)
                    .message_body(body)
                    .build(),
            )
            .build(),
        MainAction::Forward { target_groups, stickiness } => {
            let groups = target_groups
                .iter()
                .map(|g| Ok((sc.ids.id_of(&g.target_group)?, g.weight)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let ([(arn, _)], None) = (groups.as_slice(), stickiness) {
                return Ok(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(arn).build());
            }
            let tuples = groups
                .iter()
                .map(|(arn, weight)| TargetGroupTuple::builder().target_group_arn(arn).weight(*weight as i32).build())
                .collect();
            let mut cfg = ForwardActionConfig::builder().set_target_groups(Some(tuples));
            if let Some(secs) = stickiness {
                cfg = cfg.target_group_stickiness_config(
                    TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(*secs as i32).build(),
                );
            }
            Action::builder().r#type(ActionTypeEnum::Forward).forward_config(cfg.build()).build()
        }
        MainAction::Unsupported { r#type } => {
            anyhow::bail!("an action of type `{type}` lbstack cannot write", type = r#type)
        }
    })
}

fn certificate(arn: &str) -> Certificate {
    Certificate::builder().certificate_arn(arn).build()
}

/// The tag that records the digest of the OIDC client secret a listener or rule was sent (a
/// stale one, after a sign-in is removed, is never read: it is left).
fn secret_tag(digest: &str) -> Tag {
    Tag::builder().key(crate::ownership::CLIENT_SECRET_TAG).value(digest).build()
}

/// After a listener or rule was sent a (new) OIDC client secret: record its digest.
async fn record_secret(sc: &StepContext, arn: &str, sent: Option<String>, had: Option<&str>) -> anyhow::Result<()> {
    if let Some(digest) = sent.filter(|d| Some(d.as_str()) != had) {
        let req = sc.clients.elbv2.add_tags().resource_arns(arn).tags(secret_tag(&digest));
        req.send().await.map_err(|e| err("recording the client secret's digest", e))?;
    }
    Ok(())
}

/// The digest of the secret an action was last sent, as the plan read it.
fn recorded_secret(a: &ListenerAction) -> Option<&str> {
    a.authenticate.as_ref().and_then(|x| x.client_secret_digest.as_deref())
}

pub async fn create_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<ListenerAttrs>()?;
    let lb_arn = sc.ids.id_of_ref(&a.load_balancer)?;
    let (default_actions, secret) = actions(sc, &a.default_action)?;
    let mut req = sc
        .clients
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .set_default_actions(Some(default_actions))
        .set_port(a.port.map(|p| p as i32))
        .set_protocol(a.protocol.as_deref().map(ProtocolEnum::from))
        .set_ssl_policy(a.ssl_policy.clone())
        .set_alpn_policy(a.alpn_policy.clone().map(|p| vec![p]))
        // The address tag identifies the listener across port changes (ModifyListener, not a new one).
        .tags(Tag::builder().key(crate::ownership::OWNER_STACK_TAG).value(&sc.stack).build())
        .tags(Tag::builder().key(crate::ownership::OWNER_ADDRESS_TAG).value(c.address.to_string()).build());
    if let Some(digest) = &secret {
        req = req.tags(secret_tag(digest));
    }
    if let Some(cert) = &a.certificate {
        req = req.certificates(certificate(&sc.ids.id_of(cert)?));
    }
    if let Some(mtls) = mutual_authentication(sc, a.mutual_authentication.as_ref())? {
        req = req.mutual_authentication(mtls);
    }
    let doing = format!("creating listener {}", c.name);
    let port = a.port;
    let arn = created_or_ours(
        sc,
        c,
        &doing,
        req.send().await,
        |out| out.listeners().first().and_then(|l| l.listener_arn()).map(str::to_string),
        || async {
            let found = sc
                .clients
                .elbv2
                .describe_listeners()
                .load_balancer_arn(&lb_arn)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await;
            let listeners = found.unwrap_or_default();
            Ok(listeners
                .iter()
                .find(|l| l.port().map(i64::from) == port)
                .and_then(|l| l.listener_arn())
                .map(str::to_string))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    let extra = sc.ids.ids_of(a.extra_certificates.as_deref().unwrap_or_default())?;
    if !extra.is_empty() {
        sc.clients
            .elbv2
            .add_listener_certificates()
            .listener_arn(&arn)
            .set_certificates(Some(extra.iter().map(|a| certificate(a)).collect()))
            .send()
            .await
            .map_err(|e| err("adding listener certificates", e))?;
    }
    // A new listener has AWS's defaults: only the attributes set away from them are sent.
    if let Some(attributes) = &a.attributes {
        let away_from_default = |k: &str| {
            crate::defaults::attributes::default_of(crate::defaults::attributes::LISTENER, k)
                != attributes.get(k).map(String::as_str)
        };
        set_listener_attributes(sc, &arn, attributes, away_from_default).await?;
    }
    Ok(())
}

/// ModifyListenerAttributes with the attributes `keep` picks; no call when it picks none.
async fn set_listener_attributes(
    sc: &StepContext,
    arn: &str,
    attributes: &AttributeMap,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let picked: Vec<ListenerAttribute> =
        picked(attributes, keep).map(|(k, v)| ListenerAttribute::builder().key(k).value(v).build()).collect();
    if picked.is_empty() {
        return Ok(());
    }
    let req = sc.clients.elbv2.modify_listener_attributes().listener_arn(arn).set_attributes(Some(picked));
    req.send().await.map_err(|e| err("setting listener attributes", e))?;
    Ok(())
}

/// What ModifyListener sends, with the ids references have (`id`): compared before and after,
/// so a certificate or target group replaced since is a change under the same reference.
#[derive(PartialEq)]
struct ListenerMain {
    port: Option<i64>,
    protocol: Option<String>,
    ssl_policy: Option<String>,
    certificate: Option<String>,
    alpn_policy: Option<String>,
    default_action: ListenerAction,
}

fn listener_main(a: &ListenerAttrs, id: impl Fn(&RefOrId) -> anyhow::Result<String>) -> anyhow::Result<ListenerMain> {
    Ok(ListenerMain {
        port: a.port,
        protocol: a.protocol.clone(),
        ssl_policy: a.ssl_policy.clone(),
        certificate: a.certificate.as_ref().map(&id).transpose()?,
        alpn_policy: a.alpn_policy.clone(),
        default_action: a.default_action.with_ids(&id)?.state(),
    })
}

/// Move a listener to the free port the plan chose, so another can take its port (a swap).
pub async fn stage_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let port = c
        .inputs_as::<crate::attrs::elbv2::ListenerInputs>()?
        .stage_port
        .ok_or_else(|| anyhow::anyhow!("{} has no port to step aside to", c.address))?;
    sc.clients
        .elbv2
        .modify_listener()
        .listener_arn(&arn)
        .port(port as i32)
        .send()
        .await
        .map_err(|e| err(&format!("moving listener {} aside to port {port}", c.name), e))?;
    Ok(())
}

pub async fn update_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let a = c.after_as::<ListenerAttrs>()?;
    let b = c.before_as::<ListenerAttrs>()?;
    if changed(c, "attributes")
        && let Some(attributes) = &a.attributes
    {
        set_listener_attributes(sc, &arn, attributes, |k| attribute_changed(c, k)).await?;
    }
    let main_changed = match &b {
        Some(b) => listener_main(&a, |r| sc.ids.id_of(r))? != listener_main(b, |r| sc.ids.id_before(r))?,
        None => true,
    };
    if main_changed {
        let (default_actions, secret) = actions(sc, &a.default_action)?;
        let mut req = sc
            .clients
            .elbv2
            .modify_listener()
            .listener_arn(&arn)
            .set_default_actions(Some(default_actions))
            .set_port(a.port.map(|p| p as i32))
            .set_protocol(a.protocol.as_deref().map(ProtocolEnum::from))
            .set_ssl_policy(a.ssl_policy.clone())
            .set_alpn_policy(a.alpn_policy.clone().map(|p| vec![p]));
        if let Some(cert) = &a.certificate {
            req = req.certificates(certificate(&sc.ids.id_of(cert)?));
        }
        req.send().await.map_err(|e| err(&format!("modifying listener {}", c.name), e))?;
        record_secret(sc, &arn, secret, b.as_ref().and_then(|b| recorded_secret(&b.default_action))).await?;
    }
    if changed(c, "mutual_authentication") {
        let mtls = mutual_authentication(sc, a.mutual_authentication.as_ref())?
            .unwrap_or_else(|| MutualAuthenticationAttributes::builder().mode("off").build());
        sc.clients
            .elbv2
            .modify_listener()
            .listener_arn(&arn)
            .mutual_authentication(mtls)
            .send()
            .await
            .map_err(|e| err(&format!("setting mutual TLS on listener {}", c.name), e))?;
    }
    // Extra certificates as a set: add the new before removing the old, so none is ever missing.
    if changed(c, "extra_certificates") {
        let want = sc.ids.ids_of(a.extra_certificates.as_deref().unwrap_or_default())?;
        let have = sc.ids.ids_before(b.as_ref().and_then(|b| b.extra_certificates.as_deref()).unwrap_or_default())?;
        let (add, mut remove) = set_diff(&want, &have);
        // An extra that just became the default stays: removing it would detach the default.
        let default = a.certificate.as_ref().map(|c| sc.ids.id_of(c)).transpose()?;
        remove.retain(|c| Some(c) != default.as_ref());
        let certs = |v: &[String]| v.iter().map(|a| certificate(a)).collect::<Vec<_>>();
        if !add.is_empty() {
            sc.clients
                .elbv2
                .add_listener_certificates()
                .listener_arn(&arn)
                .set_certificates(Some(certs(&add)))
                .send()
                .await
                .map_err(|e| err("adding listener certificates", e))?;
        }
        if !remove.is_empty() {
            sc.clients
                .elbv2
                .remove_listener_certificates()
                .listener_arn(&arn)
                .set_certificates(Some(certs(&remove)))
                .send()
                .await
                .map_err(|e| err("removing listener certificates", e))?;
        }
    }
    Ok(())
}

pub async fn delete_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    match sc.clients.elbv2.delete_listener().listener_arn(&arn).send().await {
        Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting listener {arn}"), e)),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------ rules

fn condition_list(v: &Conditions) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    if let Some(p) = &v.path {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(p.clone())).build())
                .build(),
        );
    }
    if let Some(h) = &v.host {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(HostHeaderConditionConfig::builder().set_values(Some(h.clone())).build())
                .build(),
        );
    }
    for (name, values) in v.header.iter().flatten() {
        out.push(
            RuleCondition::builder()
                .field("http-header")
                .http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .http_header_name(name)
                        .set_values(Some(values.clone()))
                        .build(),
                )
                .build(),
        );
    }
    if let Some(pairs) = &v.query {
        let kvs =
            pairs.iter().map(|p| QueryStringKeyValuePair::builder().key(&p.key).value(&p.value).build()).collect();
        out.push(
            RuleCondition::builder()
                .field("query-string")
                .query_string_config(QueryStringConditionConfig::builder().set_values(Some(kvs)).build())
                .build(),
        );
    }
    if let Some(s) = &v.source_ip {
        out.push(
            RuleCondition::builder()
                .field("source-ip")
                .source_ip_config(SourceIpConditionConfig::builder().set_values(Some(s.clone())).build())
                .build(),
        );
    }
    // Regular expressions: the same condition fields, with RegexValues.
    if let Some(p) = &v.path_regex {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(PathPatternConditionConfig::builder().set_regex_values(Some(p.clone())).build())
                .build(),
        );
    }
    if let Some(h) = &v.host_regex {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(HostHeaderConditionConfig::builder().set_regex_values(Some(h.clone())).build())
                .build(),
        );
    }
    for (name, values) in v.header_regex.iter().flatten() {
        out.push(
            RuleCondition::builder()
                .field("http-header")
                .http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .http_header_name(name)
                        .set_regex_values(Some(values.clone()))
                        .build(),
                )
                .build(),
        );
    }
    if let Some(m) = &v.method {
        out.push(
            RuleCondition::builder()
                .field("http-request-method")
                .http_request_method_config(
                    HttpRequestMethodConditionConfig::builder().set_values(Some(m.clone())).build(),
                )
                .build(),
        );
    }
    out
}

/// A listener's rules, the stack's own listener's or a shared one's: the listener, the rules,
/// and (read from AWS) each rule's ARN by priority.
struct RuleSet {
    listener: RefOrId,
    rules: Vec<RuleAttrs>,
    rule_arns: IndexMap<String, String>,
}

impl RuleSet {
    fn after(c: &Change) -> anyhow::Result<RuleSet> {
        Self::of(c.after.as_ref()).ok_or_else(|| anyhow::anyhow!("{} has no rules in the plan", c.address))
    }
    fn before(c: &Change) -> anyhow::Result<Option<RuleSet>> {
        Ok(Self::of(c.before.as_ref()))
    }
    fn of(attrs: Option<&Attrs>) -> Option<RuleSet> {
        match attrs? {
            Attrs::ListenerRules(a) => Some(a.clone().into()),
            Attrs::SharedListener(a) => Some(a.clone().into()),
            _ => None,
        }
    }
}

impl From<ListenerRulesAttrs> for RuleSet {
    fn from(a: ListenerRulesAttrs) -> RuleSet {
        RuleSet { listener: RefOrId::Ref(a.listener), rules: a.rules, rule_arns: a.rule_arns.unwrap_or_default() }
    }
}

impl From<SharedListenerAttrs> for RuleSet {
    fn from(a: SharedListenerAttrs) -> RuleSet {
        RuleSet { listener: RefOrId::Id(a.listener), rules: a.rules, rule_arns: a.rule_arns.unwrap_or_default() }
    }
}

/// Reconcile every rule of one listener: match wanted rules to live ones by their conditions (then
/// by priority), modify what differs, delete the rest, move priorities in one SetRulePriorities
/// call, and create what is new. A reorder never deletes and recreates a rule. `fresh`: the
/// listener is new (created, or replaced with its load balancer) and holds no rules yet.
pub async fn sync_listener_rules(sc: &StepContext, c: &Change, fresh: bool) -> anyhow::Result<()> {
    let a = RuleSet::after(c)?;
    let listener = sc.ids.id_of(&a.listener)?;
    let want = &a.rules;
    let before = if fresh { None } else { RuleSet::before(c)? };
    let have: &[RuleAttrs] = before.as_ref().map(|b| b.rules.as_slice()).unwrap_or_default();
    let arn_of = |r: &RuleAttrs| {
        before.as_ref().and_then(|b| b.rule_arns.get(&r.priority.unwrap_or_default().to_string())).cloned()
    };
    // Actions as AWS holds them, target groups as their ARNs then and now.
    let now = |r: &RuleAttrs| r.action.with_ids(|t| sc.ids.id_of(t)).map(ListenerAction::state);
    let then = |r: &RuleAttrs| r.action.with_ids(|t| sc.ids.id_before(t)).map(ListenerAction::state);

    let mut unmatched_have: Vec<&RuleAttrs> = have.iter().collect();
    let mut pairs: Vec<(&RuleAttrs, &RuleAttrs)> = Vec::new();
    let mut unmatched_want: Vec<&RuleAttrs> = Vec::new();
    for w in want {
        if let Some(i) = unmatched_have.iter().position(|h| h.conditions == w.conditions) {
            pairs.push((w, unmatched_have.remove(i)));
        } else {
            unmatched_want.push(w);
        }
    }
    let mut creates = Vec::new();
    for w in unmatched_want {
        match unmatched_have.iter().position(|h| h.priority == w.priority) {
            Some(i) => pairs.push((w, unmatched_have.remove(i))),
            None => creates.push(w),
        }
    }
    let elb = &sc.clients.elbv2;
    for h in &unmatched_have {
        if let Some(arn) = arn_of(h) {
            delete_rule(sc, &arn).await?;
        }
    }
    let priority_of = |r: &RuleAttrs| r.priority.unwrap_or_default();
    let mut moves = Vec::new();
    for (w, h) in &pairs {
        let arn = arn_of(h).ok_or_else(|| anyhow::anyhow!("no ARN for the rule at priority {}", priority_of(h)))?;
        if w.conditions != h.conditions || now(w)? != then(h)? || w.rewrite != h.rewrite {
            let (sent, secret) = actions(sc, &w.action)?;
            let sent_transforms = transforms(w.rewrite.as_ref());
            // No transforms left: ModifyRule keeps the old ones unless told to reset them.
            let reset = sent_transforms.is_empty() && h.rewrite.is_some();
            elb.modify_rule()
                .rule_arn(&arn)
                .set_conditions(Some(condition_list(&w.conditions)))
                .set_actions(Some(sent))
                .set_transforms((!sent_transforms.is_empty()).then_some(sent_transforms))
                .set_reset_transforms(reset.then_some(true))
                .send()
                .await
                .map_err(|e| err(&format!("modifying the rule at priority {}", priority_of(w)), e))?;
            record_secret(sc, &arn, secret, recorded_secret(&h.action)).await?;
        }
        if w.priority != h.priority {
            moves.push(RulePriorityPair::builder().rule_arn(arn).priority(priority_of(w) as i32).build());
        }
    }
    if !moves.is_empty() {
        // On a shared listener, the priorities others' rules hold are taken too.
        let others = if c.address.kind == Kind::SharedListener {
            c.inputs_as::<SharedListenerInputs>()?.others
        } else {
            Vec::new()
        };
        set_priorities(sc, moves, have, &others).await?;
    }
    // On a shared listener another stack may take a priority the plan chose between plan and
    // apply: a rule declared without one then takes the lowest free priority from there on (its
    // order among this stack's rules kept, as creates go in priority order).
    let chosen =
        if c.address.kind == Kind::SharedListener { c.inputs_as::<SharedListenerInputs>()?.chosen } else { Vec::new() };
    for w in creates {
        let planned = priority_of(w);
        let mut priority = planned as i32;
        for _ in 0..10 {
            match create_rule(sc, c, &listener, priority, w).await {
                Err(e) if chosen.contains(&planned) && crate::aws_error::class(&e) == Some(Class::AlreadyExists) => {
                    let held: Vec<i32> =
                        crate::live::elbv2::rules_of(&sc.clients, &listener, "reading the listener's rules")
                            .await?
                            .iter()
                            .filter_map(|r| r.priority()?.parse().ok())
                            .collect();
                    let Some(free) = (priority..=50_000).find(|p| !held.contains(p)) else { return Err(e) };
                    (sc.progress)(format!(
                        "  {}: priority {priority} was taken since the plan; the rule takes {free}",
                        c.address
                    ));
                    priority = free;
                }
                Err(e) if crate::aws_error::class(&e) == Some(Class::AlreadyExists) => {
                    return Err(e.context(format!(
                        "priority {priority} is held by a rule this stack does not own, created since the plan (another stack applying at the same time?); run plan again, or leave `priority` out"
                    )));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
    }
    sc.ids.set(&c.address, listener);
    Ok(())
}

/// Create one rule of the stack at `priority`, tagged as the stack's. A create whose answer was
/// lost is recognised by its tags; a priority held by anyone else is the AWS error, for the
/// caller to decide.
async fn create_rule(sc: &StepContext, c: &Change, listener: &str, priority: i32, w: &RuleAttrs) -> anyhow::Result<()> {
    let elb = &sc.clients.elbv2;
    let (sent, secret) = actions(sc, &w.action)?;
    let mut req = elb
        .create_rule()
        .listener_arn(listener)
        .priority(priority)
        .set_conditions(Some(condition_list(&w.conditions)))
        .set_actions(Some(sent))
        .set_transforms(Some(transforms(w.rewrite.as_ref())).filter(|t| !t.is_empty()))
        .tags(Tag::builder().key(crate::ownership::OWNER_STACK_TAG).value(&sc.stack).build())
        .tags(Tag::builder().key(crate::ownership::OWNER_ADDRESS_TAG).value(c.address.to_string()).build());
    if let Some(digest) = &secret {
        req = req.tags(secret_tag(digest));
    }
    let doing = format!("creating the rule at priority {priority}");
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let failure = err(&doing, e);
            let rules = crate::live::elbv2::rules_of(&sc.clients, listener, "reading the listener's rules").await?;
            let at =
                rules.iter().find(|r| r.priority() == Some(priority.to_string().as_str())).and_then(|r| r.rule_arn());
            match at {
                // An earlier attempt made it; its answer was lost.
                Some(arn) if carries_our_tags(sc, c, arn).await? => Ok(()),
                _ => Err(failure),
            }
        }
        Err(e) => Err(err(&doing, e)),
    }
}

async fn delete_rule(sc: &StepContext, arn: &str) -> anyhow::Result<()> {
    match sc.clients.elbv2.delete_rule().rule_arn(arn).send().await {
        // Gone already, or with its listener.
        Err(e) if class_of(&e) != Class::NotFound => Err(err("deleting a rule", e)),
        _ => Ok(()),
    }
}

/// One SetRulePriorities call, which AWS validates against the final order (swaps included).
/// Endpoints that check each new priority against the current ones (the emulator) refuse a swap
/// with PriorityInUse; then park the moving rules on free priorities first and move them again.
async fn set_priorities(
    sc: &StepContext,
    moves: Vec<RulePriorityPair>,
    have: &[RuleAttrs],
    others: &[i64],
) -> anyhow::Result<()> {
    let elb = &sc.clients.elbv2;
    match elb.set_rule_priorities().set_rule_priorities(Some(moves.clone())).send().await {
        Ok(_) => return Ok(()),
        Err(e) if class_of(&e) == Class::AlreadyExists => {}
        Err(e) => return Err(err("reordering rules", e)),
    }
    let taken: Vec<i64> = have
        .iter()
        .filter_map(|r| r.priority)
        .chain(moves.iter().filter_map(|m| m.priority().map(i64::from)))
        .chain(others.iter().copied())
        .collect();
    let mut free = (1..=50_000i64).rev().filter(|p| !taken.contains(p));
    let parked: Vec<RulePriorityPair> = moves
        .iter()
        .map(|m| {
            RulePriorityPair::builder()
                .set_rule_arn(m.rule_arn().map(str::to_string))
                .priority(free.next().unwrap_or(50_000) as i32)
                .build()
        })
        .collect();
    elb.set_rule_priorities()
        .set_rule_priorities(Some(parked))
        .send()
        .await
        .map_err(|e| err("reordering rules (parking)", e))?;
    elb.set_rule_priorities().set_rule_priorities(Some(moves)).send().await.map_err(|e| err("reordering rules", e))?;
    Ok(())
}

pub async fn delete_rules(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let Some(before) = RuleSet::before(c)? else { return Ok(()) };
    for arn in before.rule_arns.values() {
        delete_rule(sc, arn).await?;
    }
    Ok(())
}

/// Mutual TLS as ELBv2 takes it; None for `off` (the default, nothing to send at creation).
fn mutual_authentication(
    sc: &StepContext,
    v: Option<&MutualAuthentication>,
) -> anyhow::Result<Option<MutualAuthenticationAttributes>> {
    let Some(v) = v.filter(|m| m.mode != "off") else { return Ok(None) };
    let mut b = MutualAuthenticationAttributes::builder().mode(&v.mode);
    if v.mode == "verify" {
        b = b
            .set_trust_store_arn(v.trust_store.as_ref().map(|t| sc.ids.id_of(t)).transpose()?)
            .ignore_client_certificate_expiry(v.ignore_expiry.unwrap_or(false));
    }
    Ok(Some(b.build()))
}

pub async fn create_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<TrustStoreAttrs>()?;
    let bundle: TrustStoreInputs = c.inputs_as()?;
    let sent = sc
        .clients
        .elbv2
        .create_trust_store()
        .name(&c.name)
        .ca_certificates_bundle_s3_bucket(&bundle.bucket)
        .ca_certificates_bundle_s3_key(&bundle.key)
        .set_ca_certificates_bundle_s3_object_version(bundle.version)
        .set_tags(Some(tag_list(&a.tags)))
        .send()
        .await
        .map_err(|e| err(&format!("creating trust store {}", c.name), e))?;
    let arn = sent
        .trust_stores()
        .first()
        .and_then(|t| t.trust_store_arn())
        .ok_or_else(|| anyhow::anyhow!("trust store {} has no ARN", c.name))?;
    sc.ids.set(&c.address, arn.to_string());
    Ok(())
}

/// A new bundle location replaces the CA certificates; tags (the location among them) follow.
pub async fn update_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    if changed(c, "bundle") {
        let bundle: TrustStoreInputs = c.inputs_as()?;
        sc.clients
            .elbv2
            .modify_trust_store()
            .trust_store_arn(&arn)
            .ca_certificates_bundle_s3_bucket(&bundle.bucket)
            .ca_certificates_bundle_s3_key(&bundle.key)
            .set_ca_certificates_bundle_s3_object_version(bundle.version)
            .send()
            .await
            .map_err(|e| err(&format!("replacing the CA bundle of trust store {}", c.name), e))?;
    }
    let (a, b) = (c.after_as::<TrustStoreAttrs>()?, c.before_as::<TrustStoreAttrs>()?);
    set_tags(sc, &arn, &a.tags, b.as_ref().map(|b| &b.tags)).await
}

pub async fn delete_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    sc.clients
        .elbv2
        .delete_trust_store()
        .trust_store_arn(&arn)
        .send()
        .await
        .map_err(|e| err(&format!("deleting trust store {}", c.name), e))?;
    Ok(())
}
