//! OIDC client secrets: read from where the stack says (an environment variable, a file next to
//! the stack), never stored or shown. What plans compare is a keyed digest: HMAC-SHA256 of the
//! secret under a key of the stack's name, cut to 128 bits. AWS never returns a secret, so apply
//! records the digest of the secret it sent in the `lbstack:client-secret` tag of the listener or
//! rule; a rotated secret then differs from that record and is planned (`client_secret (changed)`)
//! and sent. The digest tells a change without telling the secret: it cannot be reversed, and the
//! key keeps two stacks' digests of one secret apart.

use crate::attrs::elbv2::SecretSource;
use crate::stack_format::files::FileAccess;
use hmac::{Hmac, Mac};

/// The secret a source names, now.
pub fn read(source: &SecretSource, files: &FileAccess) -> anyhow::Result<String> {
    read_from(source.env.as_deref(), source.file.as_deref(), files, "the OIDC client secret")
}

/// A secret from the run's environment variable `env` or the file `file` next to the stack
/// (bounded, trailing newline dropped); `what` names it in errors, which never hold its value.
pub fn read_from(env: Option<&str>, file: Option<&str>, files: &FileAccess, what: &str) -> anyhow::Result<String> {
    if let Some(name) = env {
        return std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("{what}'s environment variable `{name}` is not set"));
    }
    if let Some(file) = file {
        let bytes = files.read(file, 4096).map_err(|e| anyhow::anyhow!("{what}'s file `{file}`: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{what}'s file `{file}` is not UTF-8 text"))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    anyhow::bail!("{what} has no source")
}

/// A subscription's endpoint: as written, or read from its secret's source.
pub fn endpoint(endpoint: &crate::stack_format::model::Endpoint, files: &FileAccess) -> anyhow::Result<String> {
    match endpoint {
        crate::stack_format::model::Endpoint::Literal(value) => Ok(value.clone()),
        crate::stack_format::model::Endpoint::Secret(source) => {
            read_from(source.env.as_deref(), source.file.as_deref(), files, "the subscription endpoint")
        }
    }
}

/// Each subscription endpoint of the stack that plans show as a hash, by how they show it: what
/// apply sends, read from the stack when it runs (never carried in a plan). An endpoint whose
/// source cannot be read is left out; the apply step that needs it says so.
pub fn shown_endpoints(stack: &crate::stack_format::Stack) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for sub in stack.topics.values().flat_map(|t| &t.subscriptions) {
        if let Ok(real) = endpoint(&sub.endpoint, &stack.files) {
            let shown = crate::ownership::shown_endpoint(sub.protocol.as_str(), &real);
            if shown != real {
                out.insert(shown, real);
            }
        }
    }
    out
}

/// `hmac-sha256:<32 hex digits>` of `secret` under the stack's key.
pub fn digest(stack: &str, secret: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(format!("lbstack/client-secret/{stack}").as_bytes())
        .expect("HMAC takes any key length");
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
        assert!(a.chars().all(crate::stack_format::validate::tag_char), "fits an ELBv2 tag");
    }
}
