//! WAFv2 IP sets, web ACLs and their association with load balancers (regional scope).
//! Updates fetch a fresh lock token and retry on optimistic-lock conflicts; associating right
//! after creating the ACL or the load balancer retries while WAF reports the entity unavailable.

use super::{StepContext, tags_changed};
use crate::attrs::wafv2::{IpSetAttrs, Statement as WafStatement, WebAclAssociationAttrs, WebAclAttrs};
use crate::attrs::{RefOrId, TagMap};
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::live::wafv2::name_and_id;
use crate::plan::Change;
use crate::retry::{self, Backoff};
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CaptchaAction, ChallengeAction, CountAction, CountryCode, DefaultAction, ExcludedRule,
    FallbackBehavior, ForwardedIpConfig, GeoMatchStatement, IpAddressVersion, IpSetReferenceStatement,
    ManagedRuleGroupStatement, NoneAction, OverrideAction, RateBasedStatement, RateBasedStatementAggregateKeyType,
    Rule, RuleAction, Scope, Statement, Tag, VisibilityConfig,
};

fn tags(tags: &TagMap) -> anyhow::Result<Vec<Tag>> {
    tags.iter().map(|(k, v)| Ok(Tag::builder().key(k).value(v).build()?)).collect()
}

fn description(text: &str) -> Option<String> {
    Some(text.to_string()).filter(|d| !d.is_empty())
}

fn metric_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(128).collect()
}

fn visibility(name: &str, on: bool) -> anyhow::Result<VisibilityConfig> {
    Ok(VisibilityConfig::builder()
        .sampled_requests_enabled(on)
        .cloud_watch_metrics_enabled(on)
        .metric_name(metric_name(name))
        .build()?)
}

/// The ARN of this stack's IP set or web ACL named `name`, when a create met WAFDuplicateItem:
/// an earlier attempt whose answer was lost made it (it carries this change's tags).
async fn ours_by_name(sc: &StepContext, c: &Change, ip_set: bool) -> anyhow::Result<Option<String>> {
    let arns: Vec<String> = crate::live::wafv2::list(&sc.clients, ip_set)
        .await?
        .into_iter()
        .filter(|(n, _)| *n == c.name)
        .map(|(_, a)| a)
        .collect();
    for arn in arns {
        let out = sc
            .clients
            .wafv2
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| err("reading tags", e))?;
        let t: Vec<(&str, &str)> = out
            .tag_info_for_resource()
            .map(|i| i.tag_list().iter().map(|t| (t.key(), t.value())).collect())
            .unwrap_or_default();
        if super::owned_by(&t, &sc.stack, &c.address) {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}

/// A create's ARN, or on WAFDuplicateItem the ARN of the copy a lost attempt made.
async fn created<O, E: crate::aws_error::Failure>(
    sc: &StepContext,
    c: &Change,
    ip_set: bool,
    sent: Result<O, E>,
    arn: impl Fn(&O) -> Option<&str>,
) -> anyhow::Result<String> {
    let doing = format!("creating {} {}", if ip_set { "IP set" } else { "web ACL" }, c.name);
    match sent {
        Ok(out) => Ok(arn(&out).unwrap_or_default().to_string()),
        Err(e) if class_of(&e) == Class::AlreadyExists => match ours_by_name(sc, c, ip_set).await? {
            Some(arn) => Ok(arn),
            None => Err(err(&doing, e)
                .context("the name is taken by a resource without this stack's ownership tags; run plan again")),
        },
        Err(e) => Err(err(&doing, e)),
    }
}

// ------------------------------------------------------------------ IP sets

pub async fn create_ip_set(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<IpSetAttrs>()?;
    let sent = sc
        .clients
        .wafv2
        .create_ip_set()
        .name(&c.name)
        .scope(Scope::Regional)
        .ip_address_version(IpAddressVersion::from(a.ip_version.as_str()))
        .set_addresses(Some(a.addresses.clone()))
        .set_description(description(&a.description))
        .set_tags(Some(tags(&a.tags)?))
        .send()
        .await;
    let arn = created(sc, c, true, sent, |o| o.summary().and_then(|s| s.arn())).await?;
    sc.ids.set(&c.address, arn);
    Ok(())
}

pub async fn update_ip_set(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = sc.ids.get(&c.address).ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let (name, id) = name_and_id(&arn);
    let a = c.after_as::<IpSetAttrs>()?;
    // WAF updates carry the lock token of a fresh read; a concurrent change makes it stale.
    let update = || async {
        let current = sc
            .clients
            .wafv2
            .get_ip_set()
            .name(&name)
            .id(&id)
            .scope(Scope::Regional)
            .send()
            .await
            .map_err(|e| err("reading the IP set", e))?;
        sc.clients
            .wafv2
            .update_ip_set()
            .name(&name)
            .id(&id)
            .scope(Scope::Regional)
            .set_addresses(Some(a.addresses.clone()))
            .set_description(description(&a.description))
            .lock_token(current.lock_token().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| err(&format!("updating IP set {name}"), e))
    };
    retry::retry(Backoff::RACE, update, retry::is(&[Class::Conflict])).await?;
    sync_tags(sc, &arn, &a.tags, c.before_as::<IpSetAttrs>()?.map(|b| b.tags).as_ref()).await
}

pub async fn delete_ip_set(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let (name, id) = name_and_id(&arn);
    let delete = || async {
        let current = match sc.clients.wafv2.get_ip_set().name(&name).id(&id).scope(Scope::Regional).send().await {
            Ok(c) => c,
            Err(e) if class_of(&e) == Class::NotFound => return Ok(()),
            Err(e) => return Err(err("reading the IP set", e)),
        };
        match sc
            .clients
            .wafv2
            .delete_ip_set()
            .name(&name)
            .id(&id)
            .scope(Scope::Regional)
            .lock_token(current.lock_token().unwrap_or_default())
            .send()
            .await
        {
            Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting IP set {name}"), e)),
            _ => Ok(()),
        }
    };
    // Still referenced by an ACL that is being updated, or a concurrent change.
    retry::retry(Backoff::SHORT, delete, retry::is(&[Class::InUse, Class::Conflict])).await
}

// ------------------------------------------------------------------ web ACLs

fn rule_action(name: &str) -> RuleAction {
    let b = RuleAction::builder();
    match name {
        "allow" => b.allow(AllowAction::builder().build()),
        "count" => b.count(CountAction::builder().build()),
        "captcha" => b.captcha(CaptchaAction::builder().build()),
        "challenge" => b.challenge(ChallengeAction::builder().build()),
        _ => b.block(BlockAction::builder().build()),
    }
    .build()
}

/// A statement as the API takes it; `ip_set` is the IP set's ARN now.
fn statement(st: &WafStatement, ip_set: impl Fn(&RefOrId) -> anyhow::Result<String>) -> anyhow::Result<Statement> {
    let b = Statement::builder();
    Ok(match st {
        WafStatement::Managed(m) => {
            let excluded = m
                .excluded_rules
                .iter()
                .map(|n| ExcludedRule::builder().name(n).build())
                .collect::<Result<Vec<_>, _>>()?;
            let mut g = ManagedRuleGroupStatement::builder()
                .vendor_name(&m.vendor)
                .name(&m.name)
                .set_version(m.version.clone());
            if !excluded.is_empty() {
                g = g.set_excluded_rules(Some(excluded));
            }
            b.managed_rule_group_statement(g.build()?).build()
        }
        WafStatement::RateLimit(r) => {
            let mut rb = RateBasedStatement::builder()
                .limit(r.limit)
                .evaluation_window_sec(r.window)
                .aggregate_key_type(RateBasedStatementAggregateKeyType::from(r.aggregate.as_str()));
            if r.aggregate == "FORWARDED_IP" {
                rb = rb.forwarded_ip_config(
                    ForwardedIpConfig::builder()
                        .header_name("X-Forwarded-For")
                        .fallback_behavior(FallbackBehavior::Match)
                        .build()?,
                );
            }
            b.rate_based_statement(rb.build()?).build()
        }
        WafStatement::IpSet(set) => {
            b.ip_set_reference_statement(IpSetReferenceStatement::builder().arn(ip_set(set)?).build()?).build()
        }
        WafStatement::Geo(codes) => {
            let codes = codes.iter().map(|c| CountryCode::from(c.as_str())).collect();
            b.geo_match_statement(GeoMatchStatement::builder().set_country_codes(Some(codes)).build()).build()
        }
        WafStatement::Unsupported(_) => anyhow::bail!("a rule of this web ACL has a statement lbstack cannot write"),
    })
}

/// The attributes as the API's rules, default action and visibility (`ip_set` resolves IP sets).
fn acl_parts(
    name: &str,
    a: &WebAclAttrs,
    ip_set: impl Fn(&RefOrId) -> anyhow::Result<String>,
) -> anyhow::Result<(DefaultAction, VisibilityConfig, Vec<Rule>)> {
    let default = if a.default_action == "block" {
        DefaultAction::builder().block(BlockAction::builder().build()).build()
    } else {
        DefaultAction::builder().allow(AllowAction::builder().build()).build()
    };
    let mut rules = Vec::new();
    for r in &a.rules {
        let mut rb = Rule::builder()
            .name(&r.name)
            .priority(r.priority as i32)
            .statement(statement(&r.statement, &ip_set)?)
            .visibility_config(visibility(&format!("{name}-{}", r.name), a.metrics)?);
        if let Some(o) = &r.override_action {
            let ob = OverrideAction::builder();
            rb = rb.override_action(
                if o == "count" {
                    ob.count(CountAction::builder().build())
                } else {
                    ob.none(NoneAction::builder().build())
                }
                .build(),
            );
        } else {
            rb = rb.action(rule_action(r.action.as_deref().unwrap_or("block")));
        }
        rules.push(rb.build()?);
    }
    Ok((default, visibility(name, a.metrics)?, rules))
}

pub async fn create_web_acl(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<WebAclAttrs>()?;
    let (default, vis, rules) = acl_parts(&c.name, &a, |r| sc.ids.id_of(r))?;
    let sent = sc
        .clients
        .wafv2
        .create_web_acl()
        .name(&c.name)
        .scope(Scope::Regional)
        .default_action(default)
        .visibility_config(vis)
        .set_rules(Some(rules))
        .set_description(description(&a.description))
        .set_tags(Some(tags(&a.tags)?))
        .send()
        .await;
    let arn = created(sc, c, false, sent, |o| o.summary().and_then(|s| s.arn())).await?;
    sc.ids.set(&c.address, arn);
    Ok(())
}

pub async fn update_web_acl(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = sc.ids.get(&c.address).ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let (name, id) = name_and_id(&arn);
    let a = c.after_as::<WebAclAttrs>()?;
    let b = c.before_as::<WebAclAttrs>()?;
    // Rules with their IP sets as ARNs: an IP set replaced since is a change under the same reference.
    let body = |acl: &WebAclAttrs, id: &dyn Fn(&RefOrId) -> anyhow::Result<String>| -> anyhow::Result<WebAclAttrs> {
        let mut rules = acl.rules.clone();
        for r in &mut rules {
            if let WafStatement::IpSet(set) = &r.statement {
                r.statement = WafStatement::IpSet(RefOrId::Id(id(set)?));
            }
        }
        Ok(WebAclAttrs { rules, tags: TagMap::new(), ..acl.clone() })
    };
    let body_changed = match &b {
        Some(b) => body(&a, &|r| sc.ids.id_of(r))? != body(b, &|r| sc.ids.id_before(r))?,
        None => true,
    };
    if body_changed {
        let update = || async {
            let current = sc
                .clients
                .wafv2
                .get_web_acl()
                .name(&name)
                .id(&id)
                .scope(Scope::Regional)
                .send()
                .await
                .map_err(|e| err("reading the web ACL", e))?;
            let (default, vis, rules) = acl_parts(&name, &a, |r| sc.ids.id_of(r))?;
            sc.clients
                .wafv2
                .update_web_acl()
                .name(&name)
                .id(&id)
                .scope(Scope::Regional)
                .default_action(default)
                .visibility_config(vis)
                .set_rules(Some(rules))
                .set_description(description(&a.description))
                .lock_token(current.lock_token().unwrap_or_default())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| err(&format!("updating web ACL {name}"), e))
        };
        retry::retry(Backoff::RACE, update, retry::is(&[Class::Conflict])).await?;
    }
    sync_tags(sc, &arn, &a.tags, b.map(|b| b.tags).as_ref()).await
}

pub async fn delete_web_acl(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let (name, id) = name_and_id(&arn);
    let delete = || async {
        let current = match sc.clients.wafv2.get_web_acl().name(&name).id(&id).scope(Scope::Regional).send().await {
            Ok(c) => c,
            Err(e) if class_of(&e) == Class::NotFound => return Ok(()),
            Err(e) => return Err(err("reading the web ACL", e)),
        };
        match sc
            .clients
            .wafv2
            .delete_web_acl()
            .name(&name)
            .id(&id)
            .scope(Scope::Regional)
            .lock_token(current.lock_token().unwrap_or_default())
            .send()
            .await
        {
            Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting web ACL {name}"), e)),
            _ => Ok(()),
        }
    };
    retry::retry(Backoff::SHORT, delete, retry::is(&[Class::InUse, Class::Conflict])).await
}

async fn sync_tags(sc: &StepContext, arn: &str, want: &TagMap, have: Option<&TagMap>) -> anyhow::Result<()> {
    let (add, remove) = tags_changed(want, have);
    if !remove.is_empty() {
        sc.clients
            .wafv2
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
        sc.clients
            .wafv2
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

// ------------------------------------------------------------------ associations

/// How long a web ACL just created may stay unknown to the association API.
const ACL_PROPAGATION: std::time::Duration = std::time::Duration::from_secs(180);

/// Associate (also replaces a previous association of the load balancer).
pub async fn associate(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<WebAclAssociationAttrs>()?;
    let (lb, acl) = (sc.ids.id_of_ref(&a.load_balancer)?, sc.ids.id_of(&a.web_acl)?);
    let (lb, acl) = (lb.as_str(), acl.as_str());
    // Right after the ACL or the load balancer is created, WAF may not see it yet: it answers
    // WAFUnavailableEntityException (the load balancer is not ready) or, while the new ACL
    // propagates, WAFNonexistentItemException. The first passes with time; the second is waited
    // on for a bounded while only, since an ACL deleted behind the stack's back never appears.
    let started = std::time::Instant::now();
    let propagation = crate::clock::scaled(ACL_PROPAGATION);
    let associate = || async {
        let sent = sc.clients.wafv2.associate_web_acl().web_acl_arn(acl).resource_arn(lb).send().await;
        if sent.as_ref().is_err_and(|e| matches!(class_of(e), Class::NotReady | Class::NotFound)) {
            (sc.progress)(format!("  {}: waiting for WAF to see {lb}", c.address));
        }
        sent.map(|_| ()).map_err(|e| err("associating the web ACL", e))
    };
    let passing = |e: &anyhow::Error| match crate::aws_error::class(e) {
        Some(Class::NotReady) => true,
        Some(Class::NotFound) => started.elapsed() < propagation,
        _ => false,
    };
    retry::retry(Backoff::LINGER, associate, passing).await?;
    sc.ids.set(&c.address, lb.to_string());
    Ok(())
}

pub async fn disassociate(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let lb = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    match sc.clients.wafv2.disassociate_web_acl().resource_arn(&lb).send().await {
        Err(e) if class_of(&e) != Class::NotFound => Err(err("removing the web ACL from the load balancer", e)),
        _ => Ok(()),
    }
}
