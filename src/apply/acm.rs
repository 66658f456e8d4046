//! Certificates: requested with DNS validation (records written to the Route 53 zone, then the
//! SDK's waiter until ISSUED) or imported from PEM files (re-imported in place when they change,
//! so the ARN and the listeners using it stay).

use super::{StepContext, tags_changed};
use crate::attrs::TagMap;
use crate::attrs::acm::{CertificateAttrs, CertificateInputs};
use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::ownership::pem_fingerprint;
use crate::plan::Change;
use crate::retry::{self, Backoff};
use aws_config::retry::RetryConfig;
use aws_sdk_acm::client::Waiters;
use aws_sdk_acm::primitives::Blob;
use aws_sdk_acm::types::{Tag, ValidationMethod};
use aws_sdk_route53::types::{
    Change as DnsChange, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use std::time::Duration;

fn tags(tags: &TagMap) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("key is set")).collect()
}

/// Certificate, private key and optional chain, as PEM bytes.
struct Material {
    cert: Vec<u8>,
    key: Vec<u8>,
    chain: Option<Vec<u8>>,
}

/// Files named in the plan, read through the stack's file fence and checked against the
/// fingerprint the plan was made with.
fn material(sc: &StepContext, c: &Change, a: &CertificateAttrs) -> anyhow::Result<Material> {
    let inputs: CertificateInputs = c.inputs_as()?;
    let read = |file: &Option<String>, what: &str| -> anyhow::Result<Vec<u8>> {
        let file = file.as_deref().ok_or_else(|| anyhow::anyhow!("no {what} file in the plan"))?;
        sc.files.read(file, crate::stack_format::pem::MAX_PEM_BYTES).map_err(|e| anyhow::anyhow!("`{file}`: {e}"))
    };
    let cert = read(&inputs.certificate_file, "certificate")?;
    if pem_fingerprint(&String::from_utf8_lossy(&cert)) != a.fingerprint {
        anyhow::bail!("`{}` changed since the plan was made; plan again", inputs.certificate_file.unwrap_or_default());
    }
    let chain = if inputs.chain_file.is_some() { Some(read(&inputs.chain_file, "chain")?) } else { None };
    Ok(Material { cert, key: read(&inputs.private_key_file, "private key")?, chain })
}

pub async fn create_certificate(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let a = c.after_as::<CertificateAttrs>()?;
    if a.r#type == "imported" {
        let arn = import(sc, c, &material(sc, c, &a)?, &a.tags).await?;
        sc.ids.set(&c.address, arn);
        return Ok(());
    }
    let domain = a.domain.as_deref().unwrap_or_default();
    let sans = a.alternative_names.clone().unwrap_or_default();
    // Same token for the same stack, key and names: a re-run after a crash gets the same request.
    let token = crate::ownership::names::hash7(&format!("{}|{}|{domain}|{sans:?}", sc.stack, c.address));
    let mut req = sc
        .clients
        .acm
        .request_certificate()
        .domain_name(domain)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(format!("lbstack{token}"))
        .set_tags(Some(tags(&a.tags)));
    if !sans.is_empty() {
        req = req.set_subject_alternative_names(Some(std::iter::once(domain.to_string()).chain(sans).collect()));
    }
    let arn = req
        .send()
        .await
        .map_err(|e| err(&format!("requesting a certificate for {domain}"), e))?
        .certificate_arn()
        .unwrap_or_default()
        .to_string();
    sc.ids.set(&c.address, arn.clone());
    let inputs: CertificateInputs = c.inputs_as()?;
    validate(sc, &arn, inputs.validation_zone.as_deref().unwrap_or_default()).await
}

/// ImportCertificate has no idempotency token: an SDK retry after a lost answer would import a
/// second copy. So the SDK does not retry it; before trying again, lbstack looks for the copy
/// the lost attempt made (it carries this stack's tags).
async fn import(sc: &StepContext, c: &Change, m: &Material, tag_map: &TagMap) -> anyhow::Result<String> {
    let tried = std::sync::atomic::AtomicBool::new(false);
    let attempt = || async {
        if tried.swap(true, std::sync::atomic::Ordering::SeqCst)
            && let Some(arn) = find_owned(sc, c).await?
        {
            return Ok(arn);
        }
        let out = sc
            .clients
            .acm
            .import_certificate()
            .certificate(Blob::new(m.cert.clone()))
            .private_key(Blob::new(m.key.clone()))
            .set_certificate_chain(m.chain.clone().map(Blob::new))
            .set_tags(Some(tags(tag_map)))
            .customize()
            .config_override(aws_sdk_acm::config::Builder::default().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(|e| err("importing the certificate", e))?;
        Ok(out.certificate_arn().unwrap_or_default().to_string())
    };
    retry::retry(
        Backoff::SHORT,
        attempt,
        retry::is(&[Class::Unreachable, Class::Timeout, Class::ServiceFault, Class::Throttled]),
    )
    .await
}

/// A certificate tagged as this change's resource, if one exists.
async fn find_owned(sc: &StepContext, c: &Change) -> anyhow::Result<Option<String>> {
    let all = sc
        .clients
        .acm
        .list_certificates()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("listing certificates", e))?;
    for arn in all.iter().filter_map(|s| s.certificate_arn()) {
        let Ok(out) = sc.clients.acm.list_tags_for_certificate().certificate_arn(arn).send().await else { continue };
        let t: Vec<(&str, &str)> = out.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
        if super::owned_by(&t, &sc.stack, &c.address) {
            return Ok(Some(arn.to_string()));
        }
    }
    Ok(None)
}

/// Write the DNS validation records into the zone and wait until ACM issues the certificate.
async fn validate(sc: &StepContext, arn: &str, zone: &str) -> anyhow::Result<()> {
    // ACM adds the records to the description shortly after the request.
    let mut records: Vec<(String, String)> = retry::poll(
        Backoff::new(Duration::from_secs(1), Duration::from_secs(4), Duration::from_secs(90)),
        &format!("waiting for ACM's DNS validation records of {arn}"),
        || async {
            let d = sc
                .clients
                .acm
                .describe_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .map_err(|e| err("describing the certificate", e))?;
            let options = d.certificate().map(|c| c.domain_validation_options().to_vec()).unwrap_or_default();
            let ready = !options.is_empty() && options.iter().all(|o| o.resource_record().is_some());
            Ok(ready.then(|| {
                options
                    .iter()
                    .filter_map(|o| o.resource_record())
                    .map(|r| (r.name().to_string(), r.value().to_string()))
                    .collect()
            }))
        },
    )
    .await?;
    records.sort();
    records.dedup();
    let zone_id = crate::live::route53::hosted_zone_id(&sc.clients, zone).await?;
    let changes = records
        .iter()
        .map(|(name, value)| {
            DnsChange::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(
                    ResourceRecordSet::builder()
                        .name(name)
                        .r#type(RrType::Cname)
                        .ttl(300)
                        .resource_records(ResourceRecord::builder().value(value).build().expect("value is set"))
                        .build()
                        .expect("name and type are set"),
                )
                .build()
                .expect("action and set are set")
        })
        .collect();
    sc.clients
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .comment("lbstack: ACM DNS validation")
                .build()
                .expect("changes are set"),
        )
        .send()
        .await
        .map_err(|e| err(&format!("writing validation records in {zone}"), e))?;
    let names: Vec<&str> = records.iter().map(|(n, _)| n.as_str()).collect();
    (sc.progress)(format!("  waiting for ACM to validate {arn} through CNAME {} in {zone}", names.join(", ")));
    let wait = sc
        .clients
        .acm
        .wait_until_certificate_validated()
        .certificate_arn(arn)
        .wait(crate::clock::scaled(Duration::from_secs(45 * 60)));
    crate::logging::waiting(&format!("for ACM to issue {arn}"), wait)
        .await
        .map_err(|e| err("waiting for the certificate to be issued", e))?;
    Ok(())
}

pub async fn update_certificate(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = sc.ids.get(&c.address).ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    let a = c.after_as::<CertificateAttrs>()?;
    let reimport = c.diffs.iter().any(|d| d.path == "fingerprint");
    if reimport {
        let Material { cert, key, chain } = material(sc, c, &a)?;
        sc.clients
            .acm
            .import_certificate()
            .certificate_arn(&arn)
            .certificate(Blob::new(cert))
            .private_key(Blob::new(key))
            .set_certificate_chain(chain.map(Blob::new))
            .send()
            .await
            .map_err(|e| err("re-importing the certificate", e))?;
    }
    // Some endpoints drop tags on re-import (AWS keeps them): then set them all again, or the
    // certificate would stop being owned.
    let before_tags = if reimport { None } else { c.before_as::<CertificateAttrs>()?.map(|b| b.tags) };
    let (add, remove) = tags_changed(&a.tags, before_tags.as_ref());
    if !remove.is_empty() {
        let keys = remove.iter().map(|k| Tag::builder().key(k).build().expect("key is set")).collect();
        sc.clients
            .acm
            .remove_tags_from_certificate()
            .certificate_arn(&arn)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(|e| err("removing tags", e))?;
    }
    if !add.is_empty() {
        let t = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("key is set")).collect();
        sc.clients
            .acm
            .add_tags_to_certificate()
            .certificate_arn(&arn)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(|e| err("tagging", e))?;
    }
    Ok(())
}

pub async fn delete_certificate(sc: &StepContext, c: &Change) -> anyhow::Result<()> {
    let arn = c.id.clone().ok_or_else(|| anyhow::anyhow!("{} has no id", c.address))?;
    // Listeners that just moved to the replacement can hold the old one for a moment.
    let delete = || async {
        match sc.clients.acm.delete_certificate().certificate_arn(&arn).send().await {
            Err(e) if class_of(&e) != Class::NotFound => Err(err(&format!("deleting certificate {arn}"), e)),
            _ => Ok(()),
        }
    };
    retry::retry(Backoff::SHORT, delete, retry::is(&[Class::InUse])).await
}
