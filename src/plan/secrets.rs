//! OIDC client secrets: read from where the stack says (an environment variable, a file next to
//! the stack), never stored or shown. What plans compare is a keyed digest: HMAC-SHA256 of the
//! secret under a key of the stack's name, cut to 128 bits. AWS never returns a secret, so apply
//! records the digest of the secret it sent in the `lbstack:client-secret` tag of the listener or
//! rule; a rotated secret then differs from that record and is planned (`client_secret (changed)`)
//! and sent. The digest tells a change without telling the secret: it cannot be reversed, and the
//! key keeps two stacks' digests of one secret apart.

use crate::attrs::elbv2::SecretSource;
use crate::spec::files::FileAccess;
use hmac::{Hmac, Mac};

/// The tag that records the digest of the secret a listener or rule was sent.
pub const CLIENT_SECRET_TAG: &str = "lbstack:client-secret";

/// The secret a source names, now.
pub fn read(source: &SecretSource, files: &FileAccess) -> anyhow::Result<String> {
    if let Some(name) = &source.env {
        return std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the OIDC client secret's environment variable `{name}` is not set"));
    }
    if let Some(file) = &source.file {
        let bytes = files.read(file, 4096).map_err(|e| anyhow::anyhow!("the OIDC client secret's file `{file}`: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the OIDC client secret's file `{file}` is not UTF-8 text"))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    anyhow::bail!("the OIDC client secret has no source")
}

/// `hmac-sha256:<32 hex digits>` of `secret` under the stack's key.
pub fn digest(stack: &str, secret: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(format!("lbstack/client-secret/{stack}").as_bytes()).expect("HMAC takes any key length");
    mac.update(secret.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("hmac-sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_tells_a_change_without_the_secret() {
        let a = digest("shop", "s3cr3t-value");
        assert_eq!(a, digest("shop", "s3cr3t-value"), "stable");
        assert_ne!(a, digest("shop", "s3cr3t-valuf"), "a rotated secret differs");
        assert_ne!(a, digest("other", "s3cr3t-value"), "keyed by stack");
        assert!(!a.contains("s3cr3t") && a.len() == "hmac-sha256:".len() + 32);
        assert!(a.chars().all(crate::spec::validate::tag_char), "fits an ELBv2 tag");
    }
}
