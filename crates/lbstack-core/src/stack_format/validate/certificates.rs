//! ACM certificates: one source each, DNS validation zones, imported PEM files.

use super::*;

impl V<'_> {
    pub(super) fn certificates(&mut self) {
        for (name, c) in &self.s.certificates {
            let cp = p(&["certificates", name]);
            self.tags(&format!("{cp}/tags"), &c.tags);
            let modes = [c.domain.is_some(), c.import.is_some(), c.arn.is_some(), c.lookup.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            if modes != 1 {
                self.err_key(
                    &cp,
                    format!("certificate `{name}` needs exactly one of `domain`, `import`, `arn`, `lookup`"),
                    "`domain` requests one from ACM, `import` uploads PEM files, `arn` or `lookup: {domain: ...}` uses an existing certificate",
                );
                continue;
            }
            if let Some(domain) = &c.domain {
                if !is_domain(domain, true) {
                    self.err(
                        &format!("{cp}/domain"),
                        format!("`{domain}` is not a domain name"),
                        "for example `shop.example.com` or `*.example.com`",
                    );
                }
                if c.validation_zone.is_none() {
                    self.err_key(
                        &cp,
                        format!("certificate `{name}` requests `{domain}` but has no `validation_zone`"),
                        "name the Route 53 zone where lbstack writes the DNS validation records",
                    );
                }
                for (i, alt) in c.alternative_names.iter().enumerate() {
                    if !is_domain(alt, true) {
                        self.err(&format!("{cp}/alternative_names/{i}"), format!("`{alt}` is not a domain name"), "");
                    }
                }
            } else {
                if !c.alternative_names.is_empty() {
                    self.err(
                        &format!("{cp}/alternative_names"),
                        "`alternative_names` only applies when requesting with `domain`",
                        "",
                    );
                }
                if c.validation_zone.is_some() {
                    self.err(
                        &format!("{cp}/validation_zone"),
                        "`validation_zone` only applies when requesting with `domain`",
                        "",
                    );
                }
            }
            if let Some(arn) = &c.arn {
                self.arn(&format!("{cp}/arn"), arn, "acm", &["certificate/"], "an ACM certificate ARN");
            }
            if let Some(lookup) = &c.lookup
                && !is_domain(&lookup.domain, true)
            {
                self.err(
                    &format!("{cp}/lookup/domain"),
                    format!("`{}` is not a domain name", truncate(&lookup.domain)),
                    "for example `shop.example.com` or `*.example.com`",
                );
            }
            if c.is_existing() && !c.tags.is_empty() {
                self.err(
                    &format!("{cp}/tags"),
                    "tags apply to certificates the stack owns",
                    "an existing certificate (`arn`, `lookup`) is used as is",
                );
            }
            if let Some(imp) = &c.import {
                // What ImportCertificate would refuse: not PEM, not X.509, expired, a key that is
                // not a key or not this certificate's, a chain that is not certificates.
                let ip = format!("{cp}/import");
                let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
                let cert =
                    self.file(&format!("{ip}/certificate"), &imp.certificate, pem::MAX_PEM_BYTES).and_then(|bytes| {
                        pem::check_certificate(&bytes, now)
                            .map_err(|why| {
                                self.err(
                                    &format!("{ip}/certificate"),
                                    format!("`{}`: {why}", truncate(&imp.certificate)),
                                    "",
                                )
                            })
                            .ok()
                    });
                if let Some(bytes) = self.file(&format!("{ip}/private_key"), &imp.private_key, pem::MAX_PEM_BYTES)
                    && let Err(why) = pem::check_private_key(&bytes, cert.as_ref().map(|c| &c.key))
                {
                    self.err(&format!("{ip}/private_key"), format!("`{}`: {why}", truncate(&imp.private_key)), "");
                }
                if let Some(chain) = &imp.chain
                    && let Some(bytes) = self.file(&format!("{ip}/chain"), chain, pem::MAX_PEM_BYTES)
                    && let Err(why) = pem::check_chain(&bytes)
                {
                    self.err(&format!("{ip}/chain"), format!("`{}`: {why}", truncate(chain)), "");
                }
            }
        }
    }

    /// The bytes of a file the stack names, read through the stack's file fence; an error at
    /// `pointer` when it cannot be read. Stacks loaded from text (no folder) skip file checks.
    pub(super) fn file(&mut self, pointer: &str, file: &str, limit: u64) -> Option<Vec<u8>> {
        self.s.files.base.as_ref()?;
        match self.s.files.read(file, limit) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.err(pointer, format!("file `{}`: {e}", truncate(file)), e.hint());
                None
            }
        }
    }
}
