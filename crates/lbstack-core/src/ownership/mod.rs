//! The ownership vocabulary every stage speaks: resource addresses and references, the tags
//! that say a resource is the stack's (there is no state file: these tags are the state), the
//! physical names lbstack gives (`names`), and the normal forms that identify a value without
//! holding it (DNS names, certificate fingerprints, masked endpoints).
//!
//! It sits at the bottom: it reads the kinds table, the stack model and the tag map type, and
//! nothing else.

pub mod names;

use crate::attrs::TagMap;
use crate::kinds::Kind;
use crate::stack_format::model::{Stack, Tags};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// `target_group.api`, `listener.public.https`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub kind: Kind,
    pub key: String,
}

impl Address {
    pub fn new(kind: Kind, key: impl Into<String>) -> Self {
        Address { kind, key: key.into() }
    }
    pub fn parse(s: &str) -> Option<Address> {
        let (kind, key) = s.split_once('.')?;
        Some(Address::new(Kind::parse(kind)?, key))
    }
    /// The JSON form of a reference to this resource inside another's attributes.
    pub fn reference(&self) -> Value {
        serde_json::json!({ "$ref": self.to_string() })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.key)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a resource address: {s}")))
    }
}

impl schemars::JsonSchema for Address {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Address".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "`kind.key`, as `target_group.api`" })
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The reference inside `{"$ref": "..."}`, if `v` is one.
pub fn as_reference(v: &Value) -> Option<Address> {
    v.as_object().filter(|o| o.len() == 1).and_then(|o| o.get("$ref")).and_then(Value::as_str).and_then(Address::parse)
}

pub const OWNER_STACK_TAG: &str = "lbstack:stack";
pub const OWNER_ADDRESS_TAG: &str = "lbstack:address";
/// The tag keys the stack declares on a resource, separated by `/` (a `/` or `+` in a key is
/// written `+/` or `++`: ELBv2, ACM and WAF take only letters, digits, spaces and `_.:/=+-@` in a
/// tag value), continued in `lbstack:tags:2`, `:3`, ... past AWS's 256 characters per value.
/// Without a state file this is how lbstack knows which tags are its own: those listed here or
/// declared now. Any other tag was added by someone else and is neither shown nor removed.
pub const MANAGED_TAGS_TAG: &str = "lbstack:tags";
/// Tags lbstack keeps for itself; all of them are managed.
pub const OWN_TAG_PREFIX: &str = "lbstack:";
/// On a target group whose stack sets an attribute away from AWS's default. Only such groups (and
/// those that carried it at the last apply, so a setting removed from the stack is put back) have
/// their attributes read: a plan of a thousand default groups makes no call per group for them.
pub const ATTRIBUTES_TAG: &str = "lbstack:attributes";

/// The tags lbstack writes on a resource: the stack's and the resource's own, the record of
/// which keys those are, and the ownership tags.
pub fn tag_map(s: &Stack, address: &Address, own: &Tags) -> TagMap {
    let mut m = TagMap::new();
    for (k, v) in s.tags.iter().chain(own.iter()) {
        m.insert(k.clone(), v.clone());
    }
    let mut declared: Vec<&str> = m.keys().map(String::as_str).collect();
    declared.sort();
    let listed = if declared.is_empty() { Vec::new() } else { managed_tag_values(&declared) };
    for (i, value) in listed.into_iter().enumerate() {
        let key = if i == 0 { MANAGED_TAGS_TAG.to_string() } else { format!("{MANAGED_TAGS_TAG}:{}", i + 1) };
        m.insert(key, value);
    }
    m.insert(OWNER_STACK_TAG.into(), s.stack.clone());
    m.insert(OWNER_ADDRESS_TAG.into(), address.to_string());
    m
}

/// Declared keys as tag values of at most 256 characters, split between keys.
fn managed_tag_values(keys: &[&str]) -> Vec<String> {
    let mut out = vec![String::new()];
    for k in keys {
        let k = k.replace('+', "++").replace('/', "+/");
        let last = out.last_mut().expect("one value at least");
        if !last.is_empty() && last.chars().count() + 1 + k.chars().count() > 256 {
            out.push(k);
        } else {
            if !last.is_empty() {
                last.push('/');
            }
            last.push_str(&k);
        }
    }
    out
}

/// The keys one managed-tags value lists (the inverse of `managed_tag_values`).
fn managed_tag_keys(value: &str) -> Vec<String> {
    let (mut keys, mut key, mut chars) = (Vec::new(), String::new(), value.chars());
    while let Some(c) = chars.next() {
        match c {
            '+' => key.extend(chars.next()),
            '/' => keys.push(std::mem::take(&mut key)),
            c => key.push(c),
        }
    }
    keys.push(key);
    keys.retain(|k| !k.is_empty());
    keys
}

/// The tags of a live resource as lbstack sees them: its own (`lbstack:*`), those the stack
/// declares now, and those the managed-tags record says it declared before (so a tag removed
/// from the stack shows as removed). Tags someone else added are left out: never shown, never
/// removed.
pub fn managed_view(declared: &TagMap, live: &TagMap) -> TagMap {
    let recorded: Vec<String> = live
        .iter()
        .filter(|(k, _)| k.as_str() == MANAGED_TAGS_TAG || k.starts_with(&format!("{MANAGED_TAGS_TAG}:")))
        .flat_map(|(_, v)| managed_tag_keys(v))
        .collect();
    let keep = |k: &str| k.starts_with(OWN_TAG_PREFIX) || recorded.iter().any(|r| r == k) || declared.contains_key(k);
    live.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A subscription endpoint as plans show and compare it: an HTTP(S) URL keeps its scheme and
/// host, and its path and query (where webhook tokens live) become a short hash of the whole URL.
pub fn shown_endpoint(protocol: &str, endpoint: &str) -> String {
    if !matches!(protocol, "http" | "https") {
        return endpoint.to_string();
    }
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.len() == rest.len() {
        return endpoint.to_string();
    }
    format!("{scheme}://{host}/… (#{})", names::hash7(endpoint))
}

/// Whether an endpoint as shown is an HTTP(S) URL cut to its host and a hash.
pub fn is_hashed_endpoint(shown: &str) -> bool {
    shown.contains("/… (#") && shown.ends_with(')')
}

/// On a trust store: where its CA bundle came from (`s3://bucket/key@v`), since AWS does not
/// say; a change of bundle is a change of this tag. A location a tag value cannot hold (longer
/// than 256 characters, or with characters ELBv2 refuses in tags) is kept as its hash.
pub const BUNDLE_TAG: &str = "lbstack:bundle";

/// The tag that records the digest of the secret a listener or rule was sent.
pub const CLIENT_SECRET_TAG: &str = "lbstack:client-secret";

/// Whether a stack names a hosted zone by its id (`Z0123...`) rather than its domain.
pub fn is_zone_id(zone: &str) -> bool {
    zone.starts_with('Z') && !zone.contains('.')
}

/// `shop.example.com.`: lower case with the trailing dot, as Route 53 answers.
pub fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.').to_ascii_lowercase())
}

/// Identifies a PEM certificate by the base64 of its first block (FNV-1a, hex): for change
/// detection, not security.
pub fn pem_fingerprint(pem: &str) -> Option<String> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in body.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    Some(format!("{h:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_managed_tags_record_fits_elbv2_tags_and_reads_back() {
        let keys = ["team", "cost/center", "a+b", "kubernetes.io/cluster/x", "plain key"];
        let values = managed_tag_values(&keys);
        assert_eq!(values, ["team/cost+/center/a++b/kubernetes.io+/cluster+/x/plain key"]);
        assert!(values.iter().all(|v| v.chars().all(crate::stack_format::validate::tag_char)), "{values:?}");
        assert_eq!(values.iter().flat_map(|v| managed_tag_keys(v)).collect::<Vec<_>>(), keys);
        // Past 256 characters the record continues in a second value, split between keys.
        let long: Vec<String> = (0..40).map(|i| format!("key-number-{i:02}")).collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        let values = managed_tag_values(&long);
        assert!(values.len() > 1 && values.iter().all(|v| v.chars().count() <= 256));
        assert_eq!(values.iter().flat_map(|v| managed_tag_keys(v)).collect::<Vec<_>>(), long);
    }
}
