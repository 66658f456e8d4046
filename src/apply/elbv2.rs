//! Target groups, load balancers, listeners and listener rules.

use super::{StepContext, changed, id, set_diff, state_of, strs, tag_diff};
use crate::aws_error::{Class, class_of};
use crate::live::err;
use crate::plan::Change;
use crate::retry::{self, Backoff};
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateCognitoActionConditionalBehaviorEnum, AuthenticateCognitoActionConfig, AuthenticateOidcActionConditionalBehaviorEnum,
    AuthenticateOidcActionConfig, Certificate, FixedResponseActionConfig, ForwardActionConfig, HostHeaderConditionConfig, HttpHeaderConditionConfig,
    HttpRequestMethodConditionConfig, IpAddressType, ListenerAttribute, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher,
    MutualAuthenticationAttributes, PathPatternConditionConfig, ProtocolEnum, QueryStringConditionConfig, QueryStringKeyValuePair, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition, RulePriorityPair, SourceIpConditionConfig, Tag, TargetDescription, TargetGroupAttribute,
    TargetGroupStickinessConfig, TargetGroupTuple, TargetTypeEnum,
};
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(600);

fn tags(v: &Value) -> Vec<Tag> {
    v.as_object().into_iter().flatten().map(|(k, v)| Tag::builder().key(k).value(v.as_str().unwrap_or_default()).build()).collect()
}

async fn sync_tags(sc: &StepContext, arn: &str, c: &Change) -> anyhow::Result<()> {
    let after = c.after.as_ref().expect("desired attributes");
    let (add, remove) = tag_diff(&after["tags"], c.before.as_ref().map(|b| &b["tags"]));
    if !remove.is_empty() {
        sc.clients.elbv2.remove_tags().resource_arns(arn).set_tag_keys(Some(remove)).send().await.map_err(|e| err("removing tags", e))?;
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
    let tags: Vec<(&str, &str)> =
        out.tag_descriptions().iter().flat_map(|d| d.tags()).filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))).collect();
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
                _ => Err(failure.context("it exists without this stack's ownership tags (created since the plan?); run plan again")),
            }
        }
        Err(e) => Err(err(doing, e)),
    }
}

// ------------------------------------------------------------------ target groups

/// The health-check fields, set the same way on CreateTargetGroup and ModifyTargetGroup (two
/// builder types with the same setters).
macro_rules! with_health_check {
    ($req:expr, $a:expr, $hc:expr) => {
        $req.set_health_check_enabled($hc["enabled"].as_bool())
            .set_health_check_protocol($hc["protocol"].as_str().map(ProtocolEnum::from))
            .set_health_check_path($hc["path"].as_str().map(str::to_string))
            .set_health_check_port($hc["port"].as_str().map(str::to_string))
            .set_health_check_interval_seconds($hc["interval"].as_i64().map(|v| v as i32))
            .set_health_check_timeout_seconds($hc["timeout"].as_i64().map(|v| v as i32))
            .set_healthy_threshold_count($hc["healthy_threshold"].as_i64().map(|v| v as i32))
            .set_unhealthy_threshold_count($hc["unhealthy_threshold"].as_i64().map(|v| v as i32))
            .set_matcher(matcher($a, $hc))
    };
}

/// The attributes of an `attributes` map that `keep` picks, as key and value text: one picking
/// for load balancers, target groups and listeners, each API taking them in its own type.
fn picked(v: &Value, keep: impl Fn(&str, &Value) -> bool) -> Vec<(&str, &str)> {
    v.as_object().into_iter().flatten().filter(|(k, v)| keep(k, v)).map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())).collect()
}

/// Whether the plan changes the attribute `key` of this change (only those are sent: some
/// attributes may not be sent together with others).
fn attribute_changed(c: &Change, key: &str) -> bool {
    c.diffs.iter().any(|d| d.path == format!("attributes.{key}"))
}

fn targets(v: &[Value]) -> Vec<TargetDescription> {
    v.iter()
        .map(|t| {
            TargetDescription::builder()
                .id(t["id"].as_str().unwrap_or_default())
                .set_port(t["port"].as_i64().map(|p| p as i32))
                .set_availability_zone(t["availability_zone"].as_str().map(str::to_string))
                .build()
        })
        .collect()
}

pub async fn create_target_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after.as_ref().expect("desired attributes");
    let hc = &a["health_check"];
    let mut req = sc
        .clients
        .elbv2
        .create_target_group()
        .name(&c.name)
        .target_type(TargetTypeEnum::from(a["target_type"].as_str().unwrap_or("instance")))
        .set_tags(Some(tags(&a["tags"])));
    if let Some(p) = a["protocol"].as_str() {
        req = req.protocol(ProtocolEnum::from(p)).set_port(a["port"].as_i64().map(|p| p as i32)).vpc_id(a["vpc"].as_str().unwrap_or_default());
    }
    if let Some(v) = a["protocol_version"].as_str() {
        req = req.protocol_version(v);
    }
    req = with_health_check!(req, a, hc);
    let doing = format!("creating target group {}", c.name);
    let arn = created_or_ours(
        sc,
        c,
        &doing,
        req.send().await,
        |out| out.target_groups().first().and_then(|t| t.target_group_arn()).map(str::to_string),
        || async {
            let found = sc.clients.elbv2.describe_target_groups().names(&c.name).send().await;
            Ok(found.ok().and_then(|o| o.target_groups().first().and_then(|t| t.target_group_arn()).map(str::to_string)))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    // A new group has AWS's defaults already: only the attributes set away from them cost a call
    // (a thousand default groups apply with a thousand writes, not two thousand).
    let away_from_default = |k: &str, v: &Value| crate::plan::desired::tg_attribute_default(k) != v.as_str();
    set_tg_attributes(sc, &arn, &a["attributes"], away_from_default, "setting target group attributes").await?;
    if let Some(list) = a["targets"].as_array().filter(|l| !l.is_empty()) {
        sc.clients.elbv2.register_targets().target_group_arn(&arn).set_targets(Some(targets(list))).send().await.map_err(|e| err("registering targets", e))?;
    }
    Ok(())
}

/// ModifyTargetGroupAttributes with the attributes `keep` picks; no call when it picks none.
async fn set_tg_attributes(sc: &StepContext, arn: &str, attributes: &Value, keep: impl Fn(&str, &Value) -> bool, doing: &str) -> anyhow::Result<()> {
    let picked: Vec<TargetGroupAttribute> =
        picked(attributes, keep).into_iter().map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build()).collect();
    if picked.is_empty() {
        return Ok(());
    }
    let req = sc.clients.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(picked));
    req.send().await.map_err(|e| err(doing, e))?;
    Ok(())
}

fn matcher(a: &Value, hc: &Value) -> Option<Matcher> {
    let m = hc["matcher"].as_str()?;
    Some(if a["protocol_version"] == "GRPC" { Matcher::builder().grpc_code(m).build() } else { Matcher::builder().http_code(m).build() })
}

pub async fn update_target_group(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let a = c.after.as_ref().expect("desired attributes");
    if changed(c, "health_check") {
        let hc = &a["health_check"];
        let req = sc.clients.elbv2.modify_target_group().target_group_arn(&arn);
        with_health_check!(req, a, hc).send().await.map_err(|e| err("modifying the health check", e))?;
    }
    if changed(c, "attributes") {
        // Only the changed keys: some attributes may not be sent together with others.
        let changed_key = |k: &str, _: &Value| attribute_changed(c, k);
        set_tg_attributes(sc, &arn, &a["attributes"], changed_key, "modifying target group attributes").await?;
    }
    if let Some(want) = a["targets"].as_array() {
        let have = c.before.as_ref().and_then(|b| b["targets"].as_array().cloned()).unwrap_or_default();
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
        }
        if !add.is_empty() {
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
        sync_tags(sc, &arn, c).await?;
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
    retry::retry(Backoff::SHORT, delete, retry::is(&[Class::InUse])).await
}

// ------------------------------------------------------------------ load balancers

/// The attributes `keep` picks, as the API takes them.
fn attributes_lb(v: &Value, keep: impl Fn(&str, &Value) -> bool) -> Vec<LoadBalancerAttribute> {
    picked(v, keep).into_iter().map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build()).collect()
}

pub async fn create_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let kind = a["type"].as_str().unwrap_or("application");
    let mut req = sc
        .clients
        .elbv2
        .create_load_balancer()
        .name(&c.name)
        .r#type(LoadBalancerTypeEnum::from(kind))
        .set_subnets(Some(strs(&a["subnets"])))
        .ip_address_type(IpAddressType::from(a["ip_address_type"].as_str().unwrap_or("ipv4")))
        .set_tags(Some(tags(&a["tags"])));
    if let Some(s) = a["scheme"].as_str() {
        req = req.scheme(LoadBalancerSchemeEnum::from(s));
    }
    let groups = strs(&a["security_groups"]);
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
            Ok(found.ok().and_then(|o| o.load_balancers().first().and_then(|l| l.load_balancer_arn()).map(str::to_string)))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    // The create call answers `provisioning`; wait with the SDK's waiter until it is active.
    (sc.progress)(format!("  {}: waiting until {} is active", c.address, c.name));
    sc.clients.elbv2.wait_until_load_balancer_available().load_balancer_arns(&arn).wait(WAIT).await.map_err(|e| err("waiting for the load balancer", e))?;
    // A new load balancer has AWS's defaults: only the attributes set away from them are sent
    // (fewer keys, and endpoints that lack a newer key never meet it unless the stack sets it).
    let away_from_default = |k: &str, v: &Value| crate::plan::desired::lb_attribute_default(k) != v.as_str();
    let attributes = attributes_lb(&a["attributes"], away_from_default);
    if !attributes.is_empty() {
        let req = sc.clients.elbv2.modify_load_balancer_attributes().load_balancer_arn(&arn).set_attributes(Some(attributes));
        req.send().await.map_err(|e| err("setting load balancer attributes", e))?;
    }
    Ok(())
}

/// Desired attributes with today's ids and live ones with the ids they had: a field differs also
/// when only a referenced resource was replaced.
fn resolved(sc: &StepContext, c: &Change) -> anyhow::Result<(Value, Value)> {
    let after = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let before = match &c.before {
        Some(b) => sc.ids.resolve_before(b)?,
        None => Value::Null,
    };
    Ok((before, after))
}

pub async fn update_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let (b, a) = resolved(sc, c)?;
    let lb = &sc.clients.elbv2;
    if b["security_groups"] != a["security_groups"] {
        lb.set_security_groups()
            .load_balancer_arn(&arn)
            .set_security_groups(Some(strs(&a["security_groups"])))
            .send()
            .await
            .map_err(|e| err("setting security groups", e))?;
    }
    if b["subnets"] != a["subnets"] {
        lb.set_subnets().load_balancer_arn(&arn).set_subnets(Some(strs(&a["subnets"]))).send().await.map_err(|e| err("setting subnets", e))?;
    }
    if b["ip_address_type"] != a["ip_address_type"] {
        lb.set_ip_address_type()
            .load_balancer_arn(&arn)
            .ip_address_type(IpAddressType::from(a["ip_address_type"].as_str().unwrap_or("ipv4")))
            .send()
            .await
            .map_err(|e| err("setting the IP address type", e))?;
    }
    if changed(c, "attributes") {
        lb.modify_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .set_attributes(Some(attributes_lb(&a["attributes"], |k, _| attribute_changed(c, k))))
            .send()
            .await
            .map_err(|e| err("modifying load balancer attributes", e))?;
    }
    if changed(c, "tags") {
        sync_tags(sc, &arn, c).await?;
    }
    Ok(())
}

pub async fn delete_load_balancer(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let protected = c.before.as_ref().and_then(|b| b["attributes"]["deletion_protection.enabled"].as_str()) == Some("true");
    if protected {
        anyhow::bail!("deletion protection is on: set `attributes: {{deletion_protection: false}}` in the stack and apply before removing it");
    }
    match sc.clients.elbv2.delete_load_balancer().load_balancer_arn(&arn).send().await {
        Ok(_) => {}
        Err(e) if class_of(&e) == Class::NotFound => return Ok(()),
        Err(e) => return Err(err(&format!("deleting load balancer {arn}"), e)),
    }
    (sc.progress)(format!("  {}: waiting until {} is gone", c.address, c.name));
    sc.clients
        .elbv2
        .wait_until_load_balancers_deleted()
        .load_balancer_arns(&arn)
        .wait(WAIT)
        .await
        .map_err(|e| err("waiting for the load balancer to go", e))?;
    Ok(())
}

// ------------------------------------------------------------------ listeners

/// A normalised action (references already resolved to ARNs) as the API's list: the sign-in
/// first when there is one. An OIDC client secret is read from its source here, and only here.
fn actions(sc: &StepContext, v: &Value) -> anyhow::Result<Vec<Action>> {
    let main = action(v);
    let auth = &v["authenticate"];
    if !auth.is_object() {
        return Ok(vec![main]);
    }
    let text = |k: &str| auth[k].as_str().map(str::to_string);
    let extra: Option<std::collections::HashMap<String, String>> =
        auth["extra_params"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect());
    let timeout = auth["session_timeout"].as_i64();
    let first = if auth["type"] == "authenticate-cognito" {
        let cfg = AuthenticateCognitoActionConfig::builder()
            .set_user_pool_arn(text("user_pool"))
            .set_user_pool_client_id(text("client_id"))
            .set_user_pool_domain(text("domain"))
            .set_scope(text("scope"))
            .set_session_cookie_name(text("session_cookie"))
            .set_session_timeout(timeout)
            .set_on_unauthenticated_request(text("on_unauthenticated").map(|u| AuthenticateCognitoActionConditionalBehaviorEnum::from(u.as_str())))
            .set_authentication_request_extra_params(extra)
            .build();
        Action::builder().r#type(ActionTypeEnum::AuthenticateCognito).authenticate_cognito_config(cfg).order(1).build()
    } else {
        let secret = client_secret(sc, &auth["_client_secret"])?;
        let cfg = AuthenticateOidcActionConfig::builder()
            .set_issuer(text("issuer"))
            .set_authorization_endpoint(text("authorization_endpoint"))
            .set_token_endpoint(text("token_endpoint"))
            .set_user_info_endpoint(text("user_info_endpoint"))
            .set_client_id(text("client_id"))
            .client_secret(secret)
            .set_scope(text("scope"))
            .set_session_cookie_name(text("session_cookie"))
            .set_session_timeout(timeout)
            .set_on_unauthenticated_request(text("on_unauthenticated").map(|u| AuthenticateOidcActionConditionalBehaviorEnum::from(u.as_str())))
            .set_authentication_request_extra_params(extra)
            .build();
        Action::builder().r#type(ActionTypeEnum::AuthenticateOidc).authenticate_oidc_config(cfg).order(1).build()
    };
    let mut main = main;
    main.order = Some(2);
    Ok(vec![first, main])
}

/// The OIDC client secret from its source (an environment variable or a file next to the stack).
fn client_secret(sc: &StepContext, source: &Value) -> anyhow::Result<String> {
    if let Some(name) = source["env"].as_str() {
        return std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the OIDC client secret's environment variable `{name}` is not set"));
    }
    let file = source["file"].as_str().ok_or_else(|| anyhow::anyhow!("the OIDC client secret has no source"))?;
    let bytes = sc.files.read(file, 4096).map_err(|e| anyhow::anyhow!("the OIDC client secret's file `{file}`: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the OIDC client secret's file `{file}` is not UTF-8 text"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// The final action alone, as the API's type.
fn action(v: &Value) -> Action {
    match v["type"].as_str().unwrap_or("forward") {
        "redirect" => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(v["protocol"].as_str().unwrap_or("#{protocol}"))
                    .port(v["port"].as_str().unwrap_or("#{port}"))
                    .host(v["host"].as_str().unwrap_or("#{host}"))
                    .path(v["path"].as_str().unwrap_or("/#{path}"))
                    .query(v["query"].as_str().unwrap_or("#{query}"))
                    .status_code(RedirectActionStatusCodeEnum::from(v["status"].as_str().unwrap_or("HTTP_301")))
                    .build(),
            )
            .build(),
        "fixed-response" => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(v["status"].as_str().unwrap_or("200"))
                    .content_type(v["content_type"].as_str().unwrap_or("text/plain"))
                    .message_body(v["body"].as_str().unwrap_or_default())
                    .build(),
            )
            .build(),
        _ => {
            let groups = v["target_groups"].as_array().cloned().unwrap_or_default();
            let sticky = v["stickiness"].as_i64();
            if groups.len() == 1 && sticky.is_none() {
                return Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(groups[0]["target_group"].as_str().unwrap_or_default()).build();
            }
            let tuples = groups
                .iter()
                .map(|g| {
                    TargetGroupTuple::builder()
                        .target_group_arn(g["target_group"].as_str().unwrap_or_default())
                        .set_weight(g["weight"].as_i64().map(|w| w as i32))
                        .build()
                })
                .collect();
            let mut cfg = ForwardActionConfig::builder().set_target_groups(Some(tuples));
            if let Some(secs) = sticky {
                cfg = cfg.target_group_stickiness_config(TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(secs as i32).build());
            }
            Action::builder().r#type(ActionTypeEnum::Forward).forward_config(cfg.build()).build()
        }
    }
}

fn certificate(arn: &str) -> Certificate {
    Certificate::builder().certificate_arn(arn).build()
}

pub async fn create_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let mut req = sc
        .clients
        .elbv2
        .create_listener()
        .load_balancer_arn(a["load_balancer"].as_str().unwrap_or_default())
        .set_default_actions(Some(actions(sc, &a["default_action"])?))
        .set_port(a["port"].as_i64().map(|p| p as i32))
        .set_protocol(a["protocol"].as_str().map(ProtocolEnum::from))
        .set_ssl_policy(a["ssl_policy"].as_str().map(str::to_string))
        // The address tag identifies the listener across port changes (ModifyListener, not a new one).
        .tags(Tag::builder().key(crate::plan::desired::OWNER_STACK_TAG).value(&sc.stack).build())
        .tags(Tag::builder().key(crate::plan::desired::OWNER_ADDRESS_TAG).value(c.address.to_string()).build());
    if let Some(cert) = a["certificate"].as_str() {
        req = req.certificates(certificate(cert));
    }
    if let Some(alpn) = a["alpn_policy"].as_str() {
        req = req.alpn_policy(alpn);
    }
    if let Some(mtls) = mutual_authentication(&a["mutual_authentication"]) {
        req = req.mutual_authentication(mtls);
    }
    let doing = format!("creating listener {}", c.name);
    let (lb_arn, port) = (a["load_balancer"].as_str().unwrap_or_default(), a["port"].as_i64());
    let arn = created_or_ours(
        sc,
        c,
        &doing,
        req.send().await,
        |out| out.listeners().first().and_then(|l| l.listener_arn()).map(str::to_string),
        || async {
            let found = sc.clients.elbv2.describe_listeners().load_balancer_arn(lb_arn).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
            let listeners = found.unwrap_or_default();
            Ok(listeners.iter().find(|l| l.port().map(i64::from) == port).and_then(|l| l.listener_arn()).map(str::to_string))
        },
    )
    .await?;
    sc.ids.set(&c.address, arn.clone());
    let extra = strs(&a["extra_certificates"]);
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
    let away_from_default = |k: &str, v: &Value| crate::plan::desired::listener_attribute_default(k) != v.as_str();
    set_listener_attributes(sc, &arn, &a["attributes"], away_from_default).await?;
    Ok(())
}

/// ModifyListenerAttributes with the attributes `keep` picks; no call when it picks none.
async fn set_listener_attributes(sc: &StepContext, arn: &str, attributes: &Value, keep: impl Fn(&str, &Value) -> bool) -> anyhow::Result<()> {
    let picked: Vec<ListenerAttribute> = picked(attributes, keep).into_iter().map(|(k, v)| ListenerAttribute::builder().key(k).value(v).build()).collect();
    if picked.is_empty() {
        return Ok(());
    }
    let req = sc.clients.elbv2.modify_listener_attributes().listener_arn(arn).set_attributes(Some(picked));
    req.send().await.map_err(|e| err("setting listener attributes", e))?;
    Ok(())
}

pub async fn update_listener(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    let (b, a) = resolved(sc, c)?;
    if changed(c, "attributes") {
        let changed_key = |k: &str, _: &Value| attribute_changed(c, k);
        set_listener_attributes(sc, &arn, &a["attributes"], changed_key).await?;
    }
    let main_fields = ["port", "protocol", "ssl_policy", "certificate", "alpn_policy", "default_action"];
    if main_fields.iter().any(|f| state_of(&b[f]) != state_of(&a[f])) {
        let mut req = sc
            .clients
            .elbv2
            .modify_listener()
            .listener_arn(&arn)
            .set_default_actions(Some(actions(sc, &a["default_action"])?))
            .set_port(a["port"].as_i64().map(|p| p as i32))
            .set_protocol(a["protocol"].as_str().map(ProtocolEnum::from))
            .set_ssl_policy(a["ssl_policy"].as_str().map(str::to_string));
        if let Some(cert) = a["certificate"].as_str() {
            req = req.certificates(certificate(cert));
        }
        if let Some(alpn) = a["alpn_policy"].as_str() {
            req = req.alpn_policy(alpn);
        }
        req.send().await.map_err(|e| err(&format!("modifying listener {}", c.name), e))?;
    }
    if changed(c, "mutual_authentication") {
        let mtls = mutual_authentication(&a["mutual_authentication"]).unwrap_or_else(|| MutualAuthenticationAttributes::builder().mode("off").build());
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
        let want: Vec<Value> = a["extra_certificates"].as_array().cloned().unwrap_or_default();
        let have: Vec<Value> = c.before.as_ref().and_then(|b| b["extra_certificates"].as_array().cloned()).unwrap_or_default();
        let (add, mut remove) = set_diff(&want, &have);
        // An extra that just became the default stays: removing it would detach the default.
        remove.retain(|c| *c != a["certificate"]);
        let certs = |v: &[Value]| v.iter().filter_map(Value::as_str).map(certificate).collect::<Vec<_>>();
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

fn condition_list(v: &Value) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    let list = |x: &Value| Some(strs(x));
    if let Some(p) = v.get("path") {
        out.push(RuleCondition::builder().field("path-pattern").path_pattern_config(PathPatternConditionConfig::builder().set_values(list(p)).build()).build());
    }
    if let Some(h) = v.get("host") {
        out.push(RuleCondition::builder().field("host-header").host_header_config(HostHeaderConditionConfig::builder().set_values(list(h)).build()).build());
    }
    if let Some(Value::Object(headers)) = v.get("header") {
        for (name, values) in headers {
            out.push(
                RuleCondition::builder()
                    .field("http-header")
                    .http_header_config(HttpHeaderConditionConfig::builder().http_header_name(name).set_values(list(values)).build())
                    .build(),
            );
        }
    }
    if let Some(Value::Array(pairs)) = v.get("query") {
        let kvs = pairs
            .iter()
            .map(|p| QueryStringKeyValuePair::builder().key(p["key"].as_str().unwrap_or_default()).value(p["value"].as_str().unwrap_or_default()).build())
            .collect();
        out.push(
            RuleCondition::builder().field("query-string").query_string_config(QueryStringConditionConfig::builder().set_values(Some(kvs)).build()).build(),
        );
    }
    if let Some(s) = v.get("source_ip") {
        out.push(RuleCondition::builder().field("source-ip").source_ip_config(SourceIpConditionConfig::builder().set_values(list(s)).build()).build());
    }
    if let Some(m) = v.get("method") {
        out.push(
            RuleCondition::builder()
                .field("http-request-method")
                .http_request_method_config(HttpRequestMethodConditionConfig::builder().set_values(list(m)).build())
                .build(),
        );
    }
    out
}

/// Reconcile every rule of one listener: match wanted rules to live ones by their conditions (then
/// by priority), modify what differs, delete the rest, move priorities in one SetRulePriorities
/// call, and create what is new. A reorder never deletes and recreates a rule. `fresh`: the
/// listener is new (created, or replaced with its load balancer) and holds no rules yet.
pub async fn sync_rules(sc: &StepContext, c: &Change, fresh: bool) -> anyhow::Result<()> {
    let a = sc.ids.resolve(c.after.as_ref().expect("desired attributes"))?;
    let listener = a["listener"].as_str().unwrap_or_default().to_string();
    let want: Vec<Value> = a["rules"].as_array().cloned().unwrap_or_default();
    let before = match &c.before {
        Some(b) if !fresh => sc.ids.resolve_before(b)?,
        _ => Value::Null,
    };
    let have: Vec<Value> = before["rules"].as_array().cloned().unwrap_or_default();
    let arns = before["rule_arns"].as_object().cloned().unwrap_or_default();
    let arn_of = |r: &Value| arns.get(&r["priority"].to_string()).and_then(Value::as_str).map(str::to_string);

    let mut unmatched_have: Vec<&Value> = have.iter().collect();
    let mut pairs: Vec<(&Value, &Value)> = Vec::new();
    let mut unmatched_want: Vec<&Value> = Vec::new();
    for w in &want {
        if let Some(i) = unmatched_have.iter().position(|h| h["conditions"] == w["conditions"]) {
            pairs.push((w, unmatched_have.remove(i)));
        } else {
            unmatched_want.push(w);
        }
    }
    let mut creates = Vec::new();
    for w in unmatched_want {
        match unmatched_have.iter().position(|h| h["priority"] == w["priority"]) {
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
    let mut moves = Vec::new();
    for (w, h) in &pairs {
        let arn = arn_of(h).ok_or_else(|| anyhow::anyhow!("no ARN for the rule at priority {}", h["priority"]))?;
        if w["conditions"] != h["conditions"] || state_of(&w["action"]) != state_of(&h["action"]) {
            elb.modify_rule()
                .rule_arn(&arn)
                .set_conditions(Some(condition_list(&w["conditions"])))
                .set_actions(Some(actions(sc, &w["action"])?))
                .send()
                .await
                .map_err(|e| err(&format!("modifying the rule at priority {}", w["priority"]), e))?;
        }
        if w["priority"] != h["priority"] {
            moves.push(RulePriorityPair::builder().rule_arn(arn).priority(w["priority"].as_i64().unwrap_or(0) as i32).build());
        }
    }
    if !moves.is_empty() {
        // On a shared listener, the priorities others' rules hold are taken too.
        let others: Vec<i64> = c.inputs.get("others").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_i64).collect();
        set_priorities(sc, moves, &have, &others).await?;
    }
    for w in creates {
        let priority = w["priority"].as_i64().unwrap_or(0) as i32;
        let sent = elb
            .create_rule()
            .listener_arn(&listener)
            .priority(priority)
            .set_conditions(Some(condition_list(&w["conditions"])))
            .set_actions(Some(actions(sc, &w["action"])?))
            .tags(Tag::builder().key(crate::plan::desired::OWNER_STACK_TAG).value(&sc.stack).build())
            .tags(Tag::builder().key(crate::plan::desired::OWNER_ADDRESS_TAG).value(c.address.to_string()).build())
            .send()
            .await;
        let doing = format!("creating the rule at priority {priority}");
        created_or_ours(
            sc,
            c,
            &doing,
            sent,
            |out| out.rules().first().and_then(|r| r.rule_arn()).map(str::to_string),
            || async {
                let rules = elb
                    .describe_rules()
                    .listener_arn(&listener)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(|e| err("reading the listener's rules", e))?;
                Ok(rules.iter().find(|r| r.priority() == Some(priority.to_string().as_str())).and_then(|r| r.rule_arn()).map(str::to_string))
            },
        )
        .await?;
    }
    sc.ids.set(&c.address, listener);
    Ok(())
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
async fn set_priorities(sc: &StepContext, moves: Vec<RulePriorityPair>, have: &[Value], others: &[i64]) -> anyhow::Result<()> {
    let elb = &sc.clients.elbv2;
    match elb.set_rule_priorities().set_rule_priorities(Some(moves.clone())).send().await {
        Ok(_) => return Ok(()),
        Err(e) if class_of(&e) == Class::AlreadyExists => {}
        Err(e) => return Err(err("reordering rules", e)),
    }
    let taken: Vec<i64> = have
        .iter()
        .filter_map(|r| r["priority"].as_i64())
        .chain(moves.iter().filter_map(|m| m.priority().map(i64::from)))
        .chain(others.iter().copied())
        .collect();
    let mut free = (1..=50_000i64).rev().filter(|p| !taken.contains(p));
    let parked: Vec<RulePriorityPair> = moves
        .iter()
        .map(|m| RulePriorityPair::builder().set_rule_arn(m.rule_arn().map(str::to_string)).priority(free.next().unwrap_or(50_000) as i32).build())
        .collect();
    elb.set_rule_priorities().set_rule_priorities(Some(parked)).send().await.map_err(|e| err("reordering rules (parking)", e))?;
    elb.set_rule_priorities().set_rule_priorities(Some(moves)).send().await.map_err(|e| err("reordering rules", e))?;
    Ok(())
}

pub async fn delete_rules(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let Some(before) = &c.before else { return Ok(()) };
    for arn in before["rule_arns"].as_object().into_iter().flatten().filter_map(|(_, v)| v.as_str()) {
        delete_rule(sc, arn).await?;
    }
    Ok(())
}

/// Mutual TLS as ELBv2 takes it; None for `off` (the default, nothing to send at creation).
fn mutual_authentication(v: &Value) -> Option<MutualAuthenticationAttributes> {
    let mode = v["mode"].as_str().filter(|m| *m != "off")?;
    let mut b = MutualAuthenticationAttributes::builder().mode(mode);
    if mode == "verify" {
        b = b
            .set_trust_store_arn(v["trust_store"].as_str().map(str::to_string))
            .ignore_client_certificate_expiry(v["ignore_expiry"].as_bool().unwrap_or(false));
    }
    Some(b.build())
}

pub async fn create_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after.as_ref().expect("desired attributes");
    let text = |k: &str| c.inputs.get(k).and_then(Value::as_str).map(str::to_string);
    let sent = sc
        .clients
        .elbv2
        .create_trust_store()
        .name(&c.name)
        .set_ca_certificates_bundle_s3_bucket(text("bucket"))
        .set_ca_certificates_bundle_s3_key(text("key"))
        .set_ca_certificates_bundle_s3_object_version(text("version"))
        .set_tags(Some(tags(&a["tags"])))
        .send()
        .await
        .map_err(|e| err(&format!("creating trust store {}", c.name), e))?;
    let arn = sent.trust_stores().first().and_then(|t| t.trust_store_arn()).ok_or_else(|| anyhow::anyhow!("trust store {} has no ARN", c.name))?;
    sc.ids.set(&c.address, arn.to_string());
    Ok(())
}

/// A new bundle location replaces the CA certificates; tags (the location among them) follow.
pub async fn update_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    if changed(c, "bundle") {
        let text = |k: &str| c.inputs.get(k).and_then(Value::as_str).map(str::to_string);
        sc.clients
            .elbv2
            .modify_trust_store()
            .trust_store_arn(&arn)
            .set_ca_certificates_bundle_s3_bucket(text("bucket"))
            .set_ca_certificates_bundle_s3_key(text("key"))
            .set_ca_certificates_bundle_s3_object_version(text("version"))
            .send()
            .await
            .map_err(|e| err(&format!("replacing the CA bundle of trust store {}", c.name), e))?;
    }
    sync_tags(sc, &arn, c).await
}

pub async fn delete_trust_store(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = id(sc, c)?;
    sc.clients.elbv2.delete_trust_store().trust_store_arn(&arn).send().await.map_err(|e| err(&format!("deleting trust store {}", c.name), e))?;
    Ok(())
}
