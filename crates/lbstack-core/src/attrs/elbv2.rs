//! Target groups, load balancers, listeners, their rules, and trust stores.

use super::{AttributeMap, Ref, RefOrId, TagMap};
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    TargetGroup => pub struct TargetGroupAttrs {
        /// `instance`, `ip`, `lambda` or `alb`.
        pub target_type: String => replace,
        /// None for Lambda targets, as `port` and `vpc`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub protocol: Option<String> => replace,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub port: Option<i64> => replace,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub vpc: Option<String> => replace,
        /// HTTP(S) groups only: `HTTP1`, `HTTP2` or `GRPC`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub protocol_version: Option<String> => replace,
        pub health_check: HealthCheck,
        /// AWS's key-value attributes (`deregistration_delay.timeout_seconds`), AWS's defaults for
        /// those the stack does not set.
        pub attributes: AttributeMap,
        /// The registered targets, when the stack lists them (a set); none when an auto-scaling
        /// group or someone else registers them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub targets: Option<Vec<Target>>,
        pub tags: TagMap,
    }
}

/// A target group's health check; the path and matcher only for HTTP(S) checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `traffic-port` or a number, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
}

/// A registered target: an instance id, an IP address, a Lambda or load balancer ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub port: Option<i64>,
    pub availability_zone: Option<String>,
}

attributes! {
    TrustStore => pub struct TrustStoreAttrs {
        /// Where the CA bundle came from (`s3://bucket/key?versionId=v`), also kept in the
        /// `lbstack:bundle` tag since AWS does not say.
        pub bundle: Option<String>,
        pub tags: TagMap,
    }
}

/// What apply needs besides the attributes: the bundle's S3 object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrustStoreInputs {
    pub bucket: String,
    pub key: String,
    pub version: Option<String>,
}

attributes! {
    LoadBalancer => pub struct LoadBalancerAttrs {
        /// `application`, `network` or `gateway`.
        pub r#type: String => replace,
        /// `internet-facing` or `internal`; none for gateway load balancers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub scheme: Option<String> => replace,
        /// A set of subnet ids.
        pub subnets: Vec<String>,
        /// Fixed addresses by subnet id: compared only where the stack sets them (AWS assigns the
        /// others), and set at creation only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub addresses: Option<std::collections::BTreeMap<String, SubnetAddress>> => replace,
        /// A set: groups of the stack, or `sg-` ids; none for gateway load balancers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub security_groups: Option<Vec<RefOrId>>,
        /// `on` or `off`: compared only when the stack sets it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub privatelink_inbound_rules: Option<String>,
        /// `ipv4` or `dualstack`.
        pub ip_address_type: String,
        pub attributes: AttributeMap,
        pub tags: TagMap,
        /// Read from AWS for the Route 53 records, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dns_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub canonical_zone: Option<String>,
    }
}

attributes! {
    Listener => pub struct ListenerAttrs {
        pub load_balancer: Ref => replace,
        /// None on a gateway load balancer's listener, as `protocol`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub port: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub protocol: Option<String>,
        /// HTTPS and TLS listeners only, as the certificates.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_policy: Option<String>,
        /// The default certificate: one of the stack, or an ARN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub certificate: Option<RefOrId>,
        /// A set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub extra_certificates: Option<Vec<RefOrId>>,
        /// TLS listeners only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub alpn_policy: Option<String>,
        /// HTTPS listeners only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mutual_authentication: Option<MutualAuthentication>,
        pub default_action: ListenerAction,
        /// Only where lbstack manages them (see `plan::desired::listener_has_attributes`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub attributes: Option<AttributeMap>,
    }
}

/// A load balancer's addresses in one subnet; only those set are compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
}

/// An HTTPS listener's mutual TLS: `off`, `passthrough`, or `verify` against a trust store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutualAuthentication {
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_store: Option<RefOrId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_expiry: Option<bool>,
}

/// A listener's or rule's action: what it does, with the sign-in before it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerAction {
    #[serde(flatten)]
    pub main: MainAction,
    pub authenticate: Option<Authenticate>,
    /// Null when absent, as `authenticate`: the diff compares what the stack declares, so a
    /// token check removed must be declared as none.
    #[serde(default)]
    pub jwt: Option<JwtValidation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum MainAction {
    Forward {
        /// A set: groups of the stack, or ARNs.
        target_groups: Vec<WeightedGroup>,
        /// Seconds of group stickiness, when on.
        stickiness: Option<i64>,
    },
    Redirect {
        protocol: String,
        port: String,
        host: String,
        path: String,
        query: String,
        /// `HTTP_301` or `HTTP_302`.
        status: String,
    },
    FixedResponse {
        status: String,
        content_type: String,
        body: String,
    },
    /// An action type the stack format has no words for (read from AWS only), by its AWS name.
    #[serde(untagged)]
    Unsupported {
        #[serde(default)]
        r#type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedGroup {
    pub target_group: RefOrId,
    pub weight: i64,
}

/// Signing users in before the action: OIDC or Cognito.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authenticate {
    /// `authenticate-oidc` or `authenticate-cognito`.
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where apply reads the OIDC client secret: an apply input, never compared or shown, and
    /// never the secret itself.
    #[serde(rename = "_client_secret", default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretSource>,
    /// A keyed digest of the OIDC client secret (`plan::secrets::digest`), compared so that a
    /// rotated secret is planned and sent; AWS never returns the secret, so lbstack keeps the
    /// digest of the one it sent in the `lbstack:client-secret` tag. Shown only as `(changed)`.
    #[serde(rename = "client_secret", default, skip_serializing_if = "Option::is_none")]
    pub client_secret_digest: Option<String>,
    pub scope: String,
    pub session_cookie: String,
    pub session_timeout: i64,
    /// `authenticate`, `allow` or `deny`.
    pub on_unauthenticated: String,
    pub extra_params: indexmap::IndexMap<String, String>,
}

impl Authenticate {
    /// A sign-in with its session settings and no provider yet (the caller sets `type` and the
    /// provider's fields).
    pub fn session(
        scope: String,
        session_cookie: String,
        session_timeout: i64,
        on_unauthenticated: String,
        extra_params: indexmap::IndexMap<String, String>,
    ) -> Self {
        Authenticate {
            r#type: String::new(),
            issuer: None,
            authorization_endpoint: None,
            token_endpoint: None,
            user_info_endpoint: None,
            user_pool: None,
            client_id: None,
            domain: None,
            client_secret: None,
            client_secret_digest: None,
            scope,
            session_cookie,
            session_timeout,
            on_unauthenticated,
            extra_params,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSource {
    pub env: Option<String>,
    pub file: Option<String>,
}

/// A rule's conditions; each list a set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Vec<String>>,
    /// By header name, lower case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<indexmap::IndexMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Vec<QueryPair>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Vec<String>>,
    /// Regular expressions (AWS's `RegexValues`) of the path, host and headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_regex: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_regex: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_regex: Option<indexmap::IndexMap<String, Vec<String>>>,
}

/// A rule's transforms: a regular-expression rewrite of the host header and of the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<RewriteRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<RewriteRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewriteRule {
    pub regex: String,
    pub replace: String,
}

/// JWT validation before the action (`jwt-validation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtValidation {
    pub issuer: String,
    pub jwks_endpoint: String,
    /// By claim name: its format and (a set of) values.
    #[serde(default, skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub claims: indexmap::IndexMap<String, JwtClaim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtClaim {
    pub format: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryPair {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAttrs {
    pub priority: Option<i64>,
    pub conditions: Conditions,
    pub action: ListenerAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Rewrite>,
}

attributes! {
    /// All rules of one listener of the stack.
    ListenerRules => pub struct ListenerRulesAttrs {
        pub listener: Ref => replace,
        /// By priority.
        pub rules: Vec<RuleAttrs>,
        /// Each rule's ARN by its priority, for apply: read from AWS, never compared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rule_arns: Option<indexmap::IndexMap<String, String>>,
    }
}

attributes! {
    /// The stack's rules on a listener it does not own.
    SharedListener => pub struct SharedListenerAttrs {
        /// The listener's ARN.
        pub listener: String => replace,
        pub rules: Vec<RuleAttrs>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rule_arns: Option<indexmap::IndexMap<String, String>>,
    }
}

/// What apply needs besides a listener's attributes: the free port it passes through when
/// listeners swap ports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListenerInputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_port: Option<i64>,
}

/// What apply needs besides a shared listener's rules: the priorities others' rules hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedListenerInputs {
    pub others: Vec<i64>,
    /// The priorities the plan chose for rules declared without one: another stack may take one
    /// first, and then the rule takes the next free one instead.
    #[serde(default)]
    pub chosen: Vec<i64>,
}

impl ListenerAction {
    /// The same action with its target groups as ids (`id` resolves those of the stack).
    pub fn with_ids(&self, id: impl Fn(&RefOrId) -> anyhow::Result<String>) -> anyhow::Result<ListenerAction> {
        let main = match &self.main {
            MainAction::Forward { target_groups, stickiness } => MainAction::Forward {
                target_groups: target_groups
                    .iter()
                    .map(|g| Ok(WeightedGroup { target_group: RefOrId::Id(id(&g.target_group)?), weight: g.weight }))
                    .collect::<anyhow::Result<_>>()?,
                stickiness: *stickiness,
            },
            other => other.clone(),
        };
        Ok(ListenerAction { main, authenticate: self.authenticate.clone(), jwt: self.jwt.clone() })
    }

    /// What AWS holds of it: without the client secret's source (an apply input).
    pub fn state(mut self) -> ListenerAction {
        if let Some(a) = &mut self.authenticate {
            a.client_secret = None;
        }
        self
    }
}
