//! Shield Advanced: the protection of each owned load balancer whose stack entry sets `shield`
//! (one call each; a load balancer without the setting is not looked at), owned by its tags, and
//! whether the account is subscribed at all when the stack asks for protection.

use super::{Clients, err};
use crate::attrs::Ref;
use crate::attrs::shield::ShieldProtectionAttrs;
use crate::aws_error::{Class, class_of};
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG};
use crate::plan::{Address, Conflict, Kind, Live};
use crate::stack_format::model::Stack;
use futures_util::future::try_join_all;

/// The protections of `lbs` (owned load balancers: address and ARN), and whether the account
/// has a Shield Advanced subscription (None when the stack asks for no protection).
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    lbs: &[(Address, String)],
    adopt: &super::Adopt,
) -> anyhow::Result<(Vec<Live>, Vec<Conflict>, Option<bool>)> {
    let declared: Vec<&(Address, String)> =
        lbs.iter().filter(|(a, _)| stack.load_balancers.get(&a.key).is_some_and(|lb| lb.shield.is_some())).collect();
    if declared.is_empty() {
        return Ok((Vec::new(), Vec::new(), None));
    }
    let subscribed = async {
        if !stack.load_balancers.values().any(|lb| lb.shield == Some(true)) {
            return Ok(None);
        }
        match clients.shield.describe_subscription().send().await {
            Ok(_) => Ok(Some(true)),
            Err(e) if class_of(&e) == Class::NotFound => Ok(Some(false)),
            Err(e) => Err(err("reading the Shield Advanced subscription", e)),
        }
    };
    let protections = try_join_all(declared.iter().map(|(address, arn)| async move {
        let found = match clients.shield.describe_protection().resource_arn(arn).send().await {
            Ok(out) => out.protection().cloned(),
            Err(e) if class_of(&e) == Class::NotFound => None,
            Err(e) => return Err(err(&format!("reading the Shield Advanced protection of {arn}"), e)),
        };
        let Some(p) = found else { return anyhow::Ok(None) };
        let protection_arn = p.protection_arn().unwrap_or_default().to_string();
        let tags = clients
            .shield
            .list_tags_for_resource()
            .resource_arn(&protection_arn)
            .send()
            .await
            .map_err(|e| err("reading the protection's tags", e))?;
        let tags: Vec<(String, String)> =
            tags.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect();
        anyhow::Ok(Some((address.clone(), p, protection_arn, tags)))
    }));
    let (subscribed, protections) = tokio::join!(subscribed, protections);
    let (mut live, mut conflicts) = (Vec::new(), Vec::new());
    for (lb, p, protection_arn, tags) in protections?.into_iter().flatten() {
        let address = Address::new(Kind::ShieldProtection, &lb.key);
        let tag = |k: &str| tags.iter().find(|(tk, _)| tk == k).map(|(_, v)| v.as_str());
        let ours = tag(OWNER_STACK_TAG) == Some(stack.stack.as_str())
            && tag(OWNER_ADDRESS_TAG) == Some(address.to_string().as_str());
        let name = p.name().unwrap_or_default().to_string();
        let adopted = tag(OWNER_STACK_TAG).is_none() && adopt.wants(&address);
        if !(ours || adopted) {
            // Someone else protects the load balancer: never changed or removed by the stack,
            // and in the way only of a stack that asks for protection.
            if stack.load_balancers.get(&lb.key).is_some_and(|l| l.shield != Some(true)) {
                continue;
            }
            conflicts.push(Conflict {
                reason: super::ec2::adoptable_reason(tag(OWNER_STACK_TAG), &address),
                address,
                name,
                id: protection_arn,
            });
            continue;
        }
        let attrs = ShieldProtectionAttrs {
            load_balancer: Ref(lb.clone()),
            tags: super::tags_of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            arn: Some(protection_arn),
        }
        .into();
        live.push(Live { address, id: p.id().unwrap_or_default().to_string(), name, attrs });
    }
    Ok((live, conflicts, subscribed?))
}
