//! Certificates the stack owns (requested or imported), normalised like the desired state.

use super::{Clients, err, read_err, skip_gone};
use crate::attrs::acm::CertificateAttrs;
use crate::attrs::{TagMap, set_of};
use crate::ownership::{OWNER_ADDRESS_TAG, OWNER_STACK_TAG, pem_fingerprint};
use crate::plan::{Address, Live};
use crate::stack_format::model::Stack;
use aws_sdk_acm::types::{CertificateStatus, CertificateSummary, CertificateType};
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// The certificates the stack owns, and the ARNs of those it looks up (from the same listing).
pub async fn read(clients: &Clients, stack: &Stack) -> anyhow::Result<(Vec<Live>, BTreeMap<String, String>)> {
    let summaries = clients
        .acm
        .list_certificates()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing certificates", e))?;
    let lookups = lookups(stack, &summaries)?;
    let tagged = try_join_all(summaries.iter().filter_map(|s| s.certificate_arn()).map(|arn| async move {
        let tags = clients
            .acm
            .list_tags_for_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .map_err(|e| read_err(&format!("tags of {arn}"), e));
        let Some(tags) = skip_gone(tags)? else { return anyhow::Ok(None) };
        let map = super::tags_of(tags.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())));
        anyhow::Ok(Some((arn.to_string(), map)))
    }))
    .await?;
    let owned: Vec<(Address, String, TagMap)> = tagged
        .into_iter()
        .flatten()
        .filter(|(_, t)| t.get(OWNER_STACK_TAG) == Some(&stack.stack))
        .filter_map(|(arn, t)| Some((Address::parse(t.get(OWNER_ADDRESS_TAG)?)?, arn, t)))
        .collect();
    let read = try_join_all(
        owned
            .into_iter()
            .map(|(address, arn, tags)| async move { skip_gone(read_certificate(clients, address, arn, tags).await) }),
    )
    .await?;
    Ok((read.into_iter().flatten().collect(), lookups))
}

/// For each `lookup: {domain}`: the newest issued certificate with exactly that domain name.
fn lookups(stack: &Stack, summaries: &[CertificateSummary]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, c) in &stack.certificates {
        let Some(lookup) = &c.lookup else { continue };
        let wanted = lookup.domain.trim_end_matches('.').to_ascii_lowercase();
        let newest = summaries
            .iter()
            .filter(|s| s.status() == Some(&CertificateStatus::Issued))
            .filter(|s| s.domain_name().is_some_and(|d| d.trim_end_matches('.').eq_ignore_ascii_case(&wanted)))
            .max_by_key(|s| {
                (
                    s.issued_at().or(s.imported_at()).or(s.created_at()).map(|t| (t.secs(), t.subsec_nanos())),
                    s.certificate_arn().map(str::to_string),
                )
            });
        match newest.and_then(|s| s.certificate_arn()) {
            Some(arn) => {
                out.insert(key.clone(), arn.to_string());
            }
            None => {
                return Err(crate::stack_format::At::error(
                    crate::stack_format::values::pointer(&["certificates", key, "lookup", "domain"]),
                    format!("certificate `{key}`: no issued certificate for `{}` in this region", lookup.domain),
                ));
            }
        }
    }
    Ok(out)
}

async fn read_certificate(clients: &Clients, address: Address, arn: String, tags: TagMap) -> anyhow::Result<Live> {
    {
        let d = clients
            .acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .map_err(|e| read_err(&format!("certificate {arn}"), e))?;
        let cert = d.certificate().ok_or_else(|| anyhow::anyhow!("certificate {arn} has no details"))?;
        let attrs = if cert.r#type() == Some(&CertificateType::Imported) {
            let pem = clients
                .acm
                .get_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .map_err(|e| read_err(&format!("certificate body of {arn}"), e))?;
            CertificateAttrs {
                r#type: "imported".into(),
                domain: None,
                alternative_names: None,
                fingerprint: pem.certificate().and_then(pem_fingerprint),
                status: None,
                tags,
            }
        } else {
            let domain = cert.domain_name().unwrap_or_default().to_ascii_lowercase();
            let sans: Vec<String> = cert
                .subject_alternative_names()
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .filter(|n| *n != domain)
                .collect();
            CertificateAttrs {
                r#type: "requested".into(),
                domain: Some(domain),
                alternative_names: Some(set_of(sans)),
                fingerprint: None,
                status: cert.status().map(|s| s.as_str().to_string()),
                tags,
            }
        }
        .into();
        Ok(Live { address, name: cert.domain_name().unwrap_or_default().to_string(), id: arn, attrs })
    }
}
