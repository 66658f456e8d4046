//! The stack file format, version 1: one typed model that serde reads and schemars describes.
//!
//! Doc comments here are the field reference: they become the JSON Schema descriptions that
//! editors show and that `docs/stack-format.md` is generated from.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub type Tags = IndexMap<String, String>;

/// A stack: the load balancing and auto scaling of one service, owned by lbstack through tags.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// Format version of this file. Only `1` exists.
    pub version: u32,
    /// Stack name: prefixes physical names and is stored in the `lbstack:stack` tag.
    /// Letters, digits and hyphens, at most 24 characters. May use variables: `shop-${var.color}`.
    pub stack: String,
    /// AWS region; when omitted, the region of the AWS profile or `AWS_REGION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Tags added to every resource the stack creates.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
    /// Variables referenced as `${var.NAME}` in any string of the file and overridden with
    /// `--var NAME=VALUE`. A plain value is the default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Variable>,
    /// Where the stack lives: the VPC and named groups of subnets.
    #[serde(default)]
    pub network: Network,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub security_groups: IndexMap<String, SecurityGroup>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub certificates: IndexMap<String, Certificate>,
    /// WAFv2 IP sets, referenced by web ACL rules.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub ip_sets: IndexMap<String, IpSet>,
    /// WAFv2 web ACLs (regional), attached to application load balancers with `web_acl`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub web_acls: IndexMap<String, WebAcl>,
    /// Trust stores of CA certificates for mutual TLS on HTTPS listeners
    /// (`mutual_authentication`), each from a PEM bundle in S3.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub trust_stores: IndexMap<String, TrustStore>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub target_groups: IndexMap<String, TargetGroup>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub load_balancers: IndexMap<String, LoadBalancer>,
    /// Rules on listeners the stack does not own (a load balancer another team or stack runs):
    /// only the rules declared here are the stack's, tagged as such; the listener and every other
    /// rule on it are left alone, and destroy removes only these rules.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub shared_listeners: IndexMap<String, SharedListener>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub launch_templates: IndexMap<String, LaunchTemplate>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub autoscaling_groups: IndexMap<String, AutoScalingGroup>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub scaling_policies: IndexMap<String, ScalingPolicy>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub scheduled_actions: IndexMap<String, ScheduledAction>,
    /// SNS topics that alarms (`actions`) and groups (`notifications`) name by key, with who is
    /// subscribed to them; named `<stack>-<key>` in AWS.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub topics: IndexMap<String, Topic>,
    /// CloudWatch metric alarms; named `<stack>-<key>` in AWS.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub alarms: IndexMap<String, Alarm>,
    /// CloudWatch composite alarms: a rule over the stack's alarms (`ALARM(errors) AND
    /// ALARM(latency)`), so one page means one incident; named `<stack>-<key>` in AWS.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub composite_alarms: IndexMap<String, CompositeAlarm>,
    /// Route 53 records pointing at a load balancer of the stack.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub records: IndexMap<String, Record>,
    /// Values printed after apply and by `lbstack output`, for scripts and other tools:
    /// `web_url: {value: load_balancer.web.dns_name}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Output>,
    /// Settings of `lbstack simulate`: what one instance serves, which group, the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulate: Option<SimulateSettings>,
    /// Settings of `lbstack lint`: production rules, and findings silenced with a reason.
    #[serde(default, skip_serializing_if = "LintSettings::is_empty")]
    pub lint: LintSettings,
    /// What files the stack may read: its folder, and whether paths may leave it (set by the
    /// loader from how lbstack was run, never by the file itself).
    #[serde(skip)]
    pub files: super::files::FileAccess,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateSettings {
    /// Requests per second one instance serves at 100% CPU.
    #[schemars(range(min = 0.001))]
    pub capacity: f64,
    /// The auto-scaling group to simulate (default: the stack's only one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Price of one instance-hour in USD, for the cost estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Apply the production rules (also on when the stack's tags say `environment: production`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
    /// Findings the team accepted, each with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<LintIgnore>,
}

impl LintSettings {
    pub fn is_empty(&self) -> bool {
        self.production.is_none() && self.ignore.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintIgnore {
    /// A rule id, e.g. `LB004`.
    pub rule: String,
    /// Why the finding is accepted (required).
    #[schemars(length(min = 1))]
    pub reason: String,
    /// Only for this resource, e.g. `load_balancers.public`; every resource when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A variable: a plain default value, or a declaration.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Variable {
    Default(Scalar),
    Declared(VariableDecl),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when `--var` does not set one. Without a default the variable is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The only values accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<Scalar>,
}

/// A string, number or boolean.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::String(s) => f.write_str(s),
        }
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

// ---------------------------------------------------------------- network

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `default` (the region's default VPC, also when omitted), a VPC id, or `{tags: {...}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<VpcRef>,
    /// Named groups of subnets that load balancers and groups select with `subnets: NAME`.
    /// Without a `subnets` setting a resource uses every subnet of the VPC.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub subnet_groups: IndexMap<String, SubnetGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VpcRef {
    /// `default` or a VPC id (`vpc-...`).
    Id(String),
    Lookup(TagLookup),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagLookup {
    /// Every tag must match.
    pub tags: Tags,
}

/// Subnets by id or by tags (exactly one of the two).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetGroup {
    /// Subnet ids, exactly (not combined with the selectors below).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Subnets carrying every one of these tags.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
    /// Subnets in these availability zones, by name (`eu-west-1a`) or id (`euw1-az1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Subnets by their `Name` tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

// ---------------------------------------------------------------- security groups

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// The AWS name when it is not `<stack>-<key>`: an existing group brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An existing group of the stack's VPC, found when planning by its name or its tags, and
    /// used as is (never changed or deleted): the other fields stay empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<GroupLookup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<SgRule>,
    /// Outbound rules. When omitted, all outbound traffic is allowed (the AWS default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<SgRule>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

/// Exactly one of `name` or `tags`; the match must be a single group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupLookup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

/// One rule: a protocol and ports, and at least one source (ingress) or destination (egress).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SgRule {
    #[serde(default)]
    pub protocol: SgProtocol,
    /// A port (`443`), a range (`"8000-8100"`), or omitted for all ports (required for tcp/udp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Ports>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidrs: Vec<String>,
    /// Security groups of this stack (by key) or existing ones (`sg-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SgProtocol {
    #[default]
    Tcp,
    Udp,
    Icmp,
    All,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Ports {
    One(u16),
    Range(String),
}

// ---------------------------------------------------------------- certificates

/// An ACM certificate: requested with DNS validation (`domain`), imported (`import`), or an
/// existing one (`arn`). Exactly one of the three.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Domain to request a certificate for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternative_names: Vec<String>,
    /// Route 53 hosted zone where lbstack writes the DNS validation records (required with `domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<CertificateImport>,
    /// An existing certificate, used as is and never modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// An existing certificate found when planning: the newest issued one whose domain name is
    /// `domain` (exactly). Used as is and never modified, like `arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<CertificateLookup>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CertificateLookup {
    /// The certificate's domain name, e.g. `example.com` or `*.example.com`.
    pub domain: String,
}

impl Stack {
    /// The AWS name an entry gives itself with `name:` (load balancers, target groups, security
    /// groups, launch templates, auto-scaling groups).
    pub fn given_name(&self, kind: crate::kinds::Kind, key: &str) -> Option<&str> {
        match kind {
            crate::kinds::Kind::LoadBalancer => self.load_balancers.get(key)?.name.as_deref(),
            crate::kinds::Kind::TargetGroup => self.target_groups.get(key)?.name.as_deref(),
            crate::kinds::Kind::SecurityGroup => self.security_groups.get(key)?.name.as_deref(),
            crate::kinds::Kind::LaunchTemplate => self.launch_templates.get(key)?.name.as_deref(),
            crate::kinds::Kind::AutoScalingGroup => self.autoscaling_groups.get(key)?.name.as_deref(),
            crate::kinds::Kind::ScalingPolicy => self.scaling_policies.get(key)?.name.as_deref(),
            crate::kinds::Kind::ScheduledAction => self.scheduled_actions.get(key)?.name.as_deref(),
            crate::kinds::Kind::Alarm => self.alarms.get(key)?.name.as_deref(),
            crate::kinds::Kind::CompositeAlarm => self.composite_alarms.get(key)?.name.as_deref(),
            crate::kinds::Kind::Topic => self.topics.get(key)?.name.as_deref(),
            crate::kinds::Kind::IpSet => self.ip_sets.get(key)?.name.as_deref(),
            crate::kinds::Kind::WebAcl => self.web_acls.get(key)?.name.as_deref(),
            // Named by lbstack alone, or not by name at all.
            crate::kinds::Kind::Certificate
            | crate::kinds::Kind::TrustStore
            | crate::kinds::Kind::Listener
            | crate::kinds::Kind::ListenerRules
            | crate::kinds::Kind::SharedListener
            | crate::kinds::Kind::ShieldProtection
            | crate::kinds::Kind::WebAclAssociation
            | crate::kinds::Kind::Record => None,
        }
    }
}

impl Certificate {
    /// Whether the stack only uses this certificate (an ARN or a lookup) rather than owning it.
    pub fn is_existing(&self) -> bool {
        self.arn.is_some() || self.lookup.is_some()
    }
}

/// PEM files, relative to the stack file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateImport {
    pub certificate: String,
    pub private_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

// ---------------------------------------------------------------- WAF

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IpSet {
    /// The AWS name when it is not `<stack>-<key>`: an existing IP set brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// CIDR blocks (`203.0.113.0/24`, `2001:db8::/32`), all of one IP version.
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebAcl {
    /// The AWS name when it is not `<stack>-<key>`: an existing web ACL brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What happens to requests no rule matched.
    pub default_action: WafDefaultAction,
    /// Evaluated in priority order; priority defaults to the position in the list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<WafRule>,
    /// CloudWatch metrics and sampled requests for the ACL and each rule.
    #[serde(default = "yes")]
    pub metrics: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WafDefaultAction {
    Allow,
    Block,
}

/// A web ACL rule: exactly one of `managed`, `rate_limit`, `ip_set`, `geo`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WafRule {
    /// Rule name, unique in the ACL.
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Action for rate_limit, ip_set and geo rules (default `block`); not for managed groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WafRuleAction>,
    /// For managed groups: `none` keeps the group's own actions, `count` only counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_action: Option<WafOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<ManagedRuleGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// An IP set of this stack (by key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_set: Option<String>,
    /// Two-letter country codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WafRuleAction {
    Allow,
    Block,
    Count,
    Captcha,
    Challenge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WafOverride {
    None,
    Count,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedRuleGroup {
    /// e.g. `AWSManagedRulesCommonRuleSet`.
    pub name: String,
    #[serde(default = "aws_vendor")]
    pub vendor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Rules of the group that only count instead of acting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_rules: Vec<String>,
}

fn aws_vendor() -> String {
    "AWS".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window from one client.
    #[schemars(range(min = 10, max = 2_000_000_000))]
    pub limit: u64,
    /// Window in seconds: 60, 120, 300 or 600.
    #[serde(default = "default_rate_window")]
    pub window: u32,
    #[serde(default)]
    pub aggregate_by: RateAggregate,
}

fn default_rate_window() -> u32 {
    crate::defaults::WAF_RATE_WINDOW
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateAggregate {
    #[default]
    Ip,
    ForwardedIp,
}

// ---------------------------------------------------------------- target groups

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    /// The AWS name when it is not `<stack>-<key>`: an existing group brought under the stack
    /// with `--adopt` keeps its name. 1–32 letters, digits and hyphens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Required except for `target_type: lambda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Required except for `target_type: lambda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    #[serde(default)]
    pub target_type: TargetType,
    /// For HTTP/HTTPS target groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stickiness: Option<Stickiness>,
    /// Load balancing algorithm (application load balancers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<Algorithm>,
    /// Seconds to drain a deregistered target (0–3600; AWS default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 3600))]
    pub deregistration_delay: Option<u32>,
    /// Seconds a new target ramps up its share (0 = off, or 30–900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 900))]
    pub slow_start: Option<u32>,
    /// Proxy protocol v2 headers to the targets (network load balancer groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_protocol_v2: Option<bool>,
    /// Targets see the client's address (network groups). AWS's default depends on the target
    /// type and protocol; when omitted lbstack leaves it as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_client_ip: Option<bool>,
    /// Close open connections when a target is deregistered, after the delay (network groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_termination: Option<bool>,
    /// What happens to an unhealthy target's connections (network groups): closed at once (AWS's
    /// default) or, with `connection_termination: false`, drained. Omitted, AWS's value is left
    /// as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_health_state: Option<UnhealthyTargetState>,
    /// Cross-zone load balancing for this group; omitted, the load balancer's setting applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_zone: Option<bool>,
    /// Below this many healthy targets the zone is taken out of DNS (`target_group_health.dns_failover`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_failover: Option<HealthyTargets>,
    /// Below this many healthy targets, traffic goes to every target, healthy or not
    /// (`target_group_health.unhealthy_state_routing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_state_routing: Option<HealthyTargets>,
    /// Any other target-group attribute, by its AWS key (`key: value`), for attributes lbstack has
    /// no field for yet. Removing a key leaves AWS's value as it is.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub other_attributes: IndexMap<String, Scalar>,
    /// Fixed targets: instance ids, IP addresses, a Lambda ARN or an ALB ARN, registered and kept
    /// as listed (`targets: []` deregisters every target). Without `targets`, registrations belong
    /// to whoever makes them (an auto-scaling group, ECS) and lbstack leaves them alone. A target
    /// group filled by an auto-scaling group must not list targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<Target>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    Http,
    Https,
    Tcp,
    Tls,
    Udp,
    #[serde(rename = "TCP_UDP")]
    TcpUdp,
    Geneve,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Tcp => "TCP",
            Protocol::Tls => "TLS",
            Protocol::Udp => "UDP",
            Protocol::TcpUdp => "TCP_UDP",
            Protocol::Geneve => "GENEVE",
        }
    }
    /// Protocols an ALB, NLB or GWLB listener (and its target groups) may use.
    pub fn fits(self, lb: LbType) -> bool {
        match lb {
            LbType::Application => matches!(self, Protocol::Http | Protocol::Https),
            LbType::Network => matches!(self, Protocol::Tcp | Protocol::Tls | Protocol::Udp | Protocol::TcpUdp),
            LbType::Gateway => self == Protocol::Geneve,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    #[default]
    Instance,
    Ip,
    Lambda,
    Alb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProtocolVersion {
    Http1,
    Http2,
    Grpc,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Defaults to the target group's protocol (HTTP for GENEVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<HealthCheckProtocol>,
    /// HTTP(S) path, starting with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub path: Option<String>,
    /// `traffic-port` (default) or a port number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<HealthCheckPort>,
    /// Seconds between checks (5–300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300))]
    pub interval: Option<u32>,
    /// Seconds before a check fails (2–120), shorter than `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub timeout: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub healthy_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub unhealthy_threshold: Option<u32>,
    /// HTTP codes (`200`, `200-299`, `200,302`) or gRPC codes (`0-99`) of a healthy answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HealthCheckProtocol {
    Http,
    Https,
    Tcp,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum HealthCheckPort {
    Port(u32),
    /// `traffic-port`
    Named(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stickiness {
    #[serde(rename = "type")]
    pub kind: StickinessType,
    /// Cookie lifetime in seconds (1–604800) for `lb_cookie` and `app_cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604_800))]
    pub duration: Option<u32>,
    /// The application's cookie, for `app_cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StickinessType {
    LbCookie,
    AppCookie,
    SourceIp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    RoundRobin,
    LeastOutstandingRequests,
    WeightedRandom,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Instance id, IP address, Lambda function ARN or ALB ARN.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// For IP targets outside the VPC: `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

// ---------------------------------------------------------------- load balancers

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// The AWS name when it is not `<stack>-<key>`: an existing load balancer brought under the
    /// stack with `--adopt` keeps its name (and its DNS name). 1–32 letters, digits and hyphens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: LbType,
    #[serde(default)]
    pub scheme: Scheme,
    /// A subnet group of `network.subnet_groups`; every subnet of the VPC when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<String>,
    /// Whether the security groups filter PrivateLink traffic too (network load balancers with
    /// security groups; AWS's default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privatelink_inbound_rules: Option<bool>,
    /// Fixed addresses in some of its subnets, by subnet id (network load balancers): an Elastic
    /// IP (`eipalloc-...`, internet-facing), a private IPv4 address (internal) or an IPv6 address
    /// (dualstack). Set at creation: a change replaces the load balancer.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub addresses: IndexMap<String, SubnetAddress>,
    /// Security groups of this stack (by key) or existing ones (`sg-...`); not for gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// A web ACL of this stack (by key), or an existing regional web ACL by ARN (attached, never
    /// changed); application load balancers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_acl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<IpAddressType>,
    /// Shield Advanced protection (application load balancers; the account must be subscribed to
    /// Shield Advanced). `false` removes a protection lbstack added; omitted, whatever protection
    /// exists is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shield: Option<bool>,
    #[serde(default)]
    pub attributes: LbAttributes,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub listeners: IndexMap<String, Listener>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LbType {
    #[default]
    Application,
    Network,
    Gateway,
}

impl LbType {
    pub fn as_str(self) -> &'static str {
        match self {
            LbType::Application => "application",
            LbType::Network => "network",
            LbType::Gateway => "gateway",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    #[default]
    InternetFacing,
    Internal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IpAddressType {
    Ipv4,
    Dualstack,
    /// IPv6 to the internet, IPv4 inside the VPC only: no public IPv4 addresses to pay for
    /// (internet-facing application load balancers).
    #[serde(rename = "dualstack-without-public-ipv4")]
    DualstackWithoutPublicIpv4,
}

impl IpAddressType {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IpAddressType::Ipv4 => "ipv4",
            IpAddressType::Dualstack => "dualstack",
            IpAddressType::DualstackWithoutPublicIpv4 => "dualstack-without-public-ipv4",
        }
    }
}

/// A network load balancer's fixed addresses in one subnet.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubnetAddress {
    /// An Elastic IP's allocation id (`eipalloc-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
}

/// Load balancer attributes; only the ones set are managed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LbAttributes {
    /// Refuse deletion. `destroy` turns it off only when the stack sets it to false first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// Seconds an idle connection stays open (1–4000; application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 4000))]
    pub idle_timeout: Option<u32>,
    /// Cross-zone load balancing (network and gateway; always on for application).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_zone: Option<bool>,
    /// HTTP/2 (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// Drop requests with invalid header fields (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_invalid_headers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<AccessLogs>,
    /// Connection logs (client TLS handshakes) to S3 (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_logs: Option<AccessLogs>,
    /// Health-check logs (each check's result and reason) to S3 (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_logs: Option<AccessLogs>,
    /// Seconds a client connection may stay open in all (60–604800, default 3600; application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 604800))]
    pub client_keep_alive: Option<u32>,
    /// How requests that may be HTTP desync attacks are handled (default `defensive`; application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desync_mitigation: Option<DesyncMitigation>,
    /// The X-Forwarded-For header: `append` (default), `preserve` or `remove` (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xff_header_processing: Option<XffProcessing>,
    /// Add the client's source port to X-Forwarded-For (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xff_client_port: Option<bool>,
    /// Send the Host header as the client gave it, port included (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_host_header: Option<bool>,
    /// Add the x-amzn-tls-version and x-amzn-tls-cipher-suite headers (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_headers: Option<bool>,
    /// Let requests through when the web ACL cannot be reached (application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf_fail_open: Option<bool>,
    /// Let Route 53 ARC zonal shift move traffic away from a zone (application and network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zonal_shift: Option<bool>,
    /// Which zones' addresses DNS answers with (network only; default `any_availability_zone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_client_routing: Option<DnsClientRouting>,
    /// Any other load-balancer attribute, by its AWS key (`key: value`), for attributes lbstack
    /// has no field for yet. Removing a key leaves AWS's value as it is.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub other: IndexMap<String, Scalar>,
}

/// `target_health_state.unhealthy.*` of a network target group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UnhealthyTargetState {
    /// Close an unhealthy target's connections (AWS default true; not on UDP and TCP_UDP groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_termination: Option<bool>,
    /// Seconds an unhealthy target drains before it is `unhealthy` (0–360000, AWS default 0); only
    /// with `connection_termination: false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 360000))]
    pub draining_interval: Option<u32>,
}

/// A minimum of healthy targets, as a count, a share, or both (both must hold).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthyTargets {
    /// At least this many healthy targets (1 to the group's size; AWS default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub count: Option<u32>,
    /// At least this share of targets healthy, in percent (1–100; AWS default off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub percent: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum DesyncMitigation {
    Monitor,
    Defensive,
    Strictest,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum XffProcessing {
    Append,
    Preserve,
    Remove,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum DnsClientRouting {
    AnyAvailabilityZone,
    AvailabilityZoneAffinity,
    PartialAvailabilityZoneAffinity,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessLogs {
    pub bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// Required except on gateway load balancers, whose listeners have no port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// HTTP/HTTPS (application), TCP/TLS/UDP/TCP_UDP (network), GENEVE (gateway, implied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// For HTTPS and TLS: certificates of this stack (by key) or ACM ARNs; the first is the default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
    /// TLS security policy, e.g. `ELBSecurityPolicy-TLS13-1-2-2021-06` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    /// ALPN policy for TLS listeners: HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred, None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpn_policy: Option<String>,
    /// Seconds a TCP connection may idle (network load balancer TCP listeners; 60–6000, default 350).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 6000))]
    pub tcp_idle_timeout: Option<u32>,
    /// Any other listener attribute, by its AWS key (`key: value`), e.g. the response headers of
    /// an application listener (`routing.http.response.strict_transport_security.header_value`).
    /// Removing a key leaves AWS's value as it is.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub attributes: IndexMap<String, Scalar>,
    /// Mutual TLS on an HTTPS listener: `verify` client certificates against a trust store, or
    /// `passthrough` them to the targets in headers. Off when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutual_authentication: Option<MutualAuthentication>,
    /// What the listener does with requests no rule matched.
    pub default_action: Action,
    /// Routing rules (application load balancers). Priority defaults to 10 × position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

impl Listener {
    /// Target groups the default action and the rules forward to, in order, each once.
    pub fn target_groups(&self) -> Vec<&str> {
        let forwards = std::iter::once(&self.default_action.forward).chain(self.rules.iter().map(|r| &r.forward));
        let mut out: Vec<&str> = Vec::new();
        for tg in forwards.flatten().flat_map(Forward::target_groups) {
            if !out.contains(&tg) {
                out.push(tg);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MutualAuthentication {
    pub mode: MtlsMode,
    /// For `verify`: a trust store of this stack (by key) or an existing one's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_store: Option<String>,
    /// For `verify`: accept client certificates past their expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_client_certificate_expiry: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MtlsMode {
    Verify,
    Passthrough,
}

/// A PEM bundle of CA certificates in S3; a new object version (`version`) replaces the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustStore {
    /// The S3 bucket holding the bundle (in the stack's region).
    pub bucket: String,
    /// The bundle's object key.
    pub key: String,
    /// The object version: set it to roll a new bundle out (without it, lbstack cannot see that
    /// the object changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

/// A listener of an application load balancer the stack does not own: by `listener` ARN, by
/// `load_balancer` name and `port`, or by an output another stack publishes (`from_stack` and `output`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedListener {
    /// The listener's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener: Option<String>,
    /// An existing application load balancer, by name (with `port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<String>,
    /// The listener's port on `load_balancer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// Another stack that publishes the listener's ARN as an output (with `output`): its outputs
    /// are published at each apply, and read when this stack is planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_stack: Option<String>,
    /// The output of `from_stack` that holds the listener's ARN (`listener.web.https.arn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The stack's rules on it. A rule without `priority` gets the lowest priority no other rule
    /// of the listener holds (shown in the plan, kept on later applies); give one where order
    /// against others' rules matters.
    pub rules: Vec<Rule>,
}

/// Exactly one of `forward`, `redirect`, `fixed_response`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Action {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
    /// Seconds a client sticks to one target group of a weighted forward (1–604800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604_800))]
    pub stickiness: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<Redirect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_response: Option<FixedResponse>,
    /// Sign users in (OpenID Connect or a Cognito user pool) before the action (HTTPS listeners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticate: Option<Authenticate>,
    /// Check the request's JWT bearer token before the action (HTTPS listeners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_jwt: Option<JwtValidation>,
}

/// Exactly one of `oidc` or `cognito`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authenticate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cognito: Option<CognitoAuth>,
    /// `authenticate` (the default), `allow` or `deny` for requests without a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_unauthenticated: Option<Unauthenticated>,
    /// Space-separated scopes (default `openid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Session cookie name (default `AWSELBAuthSessionCookie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_cookie: Option<String>,
    /// Session lifetime in seconds (1–604800, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604_800))]
    pub session_timeout: Option<u32>,
    /// Extra query parameters for the authorization request (at most 10).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extra_params: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcAuth {
    /// The identity provider's issuer URL (https).
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub user_info_endpoint: String,
    pub client_id: String,
    /// Where the client secret is read at apply time: never written in the stack, never shown
    /// in a plan.
    pub client_secret: SecretSource,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CognitoAuth {
    /// The user pool's ARN.
    pub user_pool: String,
    /// The user pool app client id.
    pub client_id: String,
    /// The user pool's domain prefix or custom domain.
    pub domain: String,
}

/// A secret's source: an environment variable of the run, or a file next to the stack.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Unauthenticated {
    Authenticate,
    Allow,
    Deny,
}

/// A target group of the stack, or a map of target groups to weights (0–999).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Forward {
    One(String),
    Weighted(IndexMap<String, u32>),
}

impl Forward {
    pub fn target_groups(&self) -> Vec<&str> {
        match self {
            Forward::One(s) => vec![s.as_str()],
            Forward::Weighted(m) => m.keys().map(String::as_str).collect(),
        }
    }
}

/// Redirect; unset parts keep the request's (`#{protocol}`, `#{host}`, ...).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    /// `HTTP`, `HTTPS` or `#{protocol}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<RedirectPort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// 301 (permanent, the default) or 302.
    #[serde(default = "default_redirect_status")]
    pub status: u32,
}

fn default_redirect_status() -> u32 {
    301
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum RedirectPort {
    Number(u32),
    Text(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FixedResponse {
    /// 2XX, 4XX or 5XX.
    pub status: u32,
    /// text/plain (default), text/css, text/html, application/javascript, application/json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// At most 1024 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A listener rule: conditions (all must match) and one action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// 1–50000, unique on the listener; lower runs first. Defaults to 10 × position in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 50000))]
    pub priority: Option<u32>,
    /// Path patterns (`/api/*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<OneOrMany>,
    /// Host patterns (`*.example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<OneOrMany>,
    /// Header name to accepted value patterns.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub header: IndexMap<String, OneOrMany>,
    /// Host as regular expressions (`^api-[0-9]+\.example\.com$`), instead of `host` patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_regex: Option<OneOrMany>,
    /// Path as regular expressions (`^/v[0-9]+/`), instead of `path` patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_regex: Option<OneOrMany>,
    /// Header name to regular expressions of its value, for a header not under `header`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub header_regex: IndexMap<String, OneOrMany>,
    /// Query string key to value pattern.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, String>,
    /// Client CIDR blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<OneOrMany>,
    /// HTTP methods (`GET`, `POST`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604_800))]
    pub stickiness: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<Redirect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_response: Option<FixedResponse>,
    /// Sign users in before the rule's action (HTTPS listeners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticate: Option<Authenticate>,
    /// Check the request's JWT bearer token before the rule's action (HTTPS listeners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_jwt: Option<JwtValidation>,
    /// Rewrite the request's host header or URL before it reaches the targets (application load
    /// balancers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Rewrite>,
}

/// A rule's transforms: one regular-expression rewrite of the host header, one of the URL.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rewrite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<RewriteRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<RewriteRule>,
}

/// Replace what `regex` matches with `replace` (`$1`, `$2` name capture groups).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RewriteRule {
    #[schemars(length(min = 1, max = 1024))]
    pub regex: String,
    #[schemars(length(max = 1024))]
    pub replace: String,
}

/// Validate a JWT access token (the `Authorization: Bearer` header) before the action: its
/// signature against the issuer's keys, `exp`, `iss`, `nbf` and `iat`, and any other claims.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JwtValidation {
    /// The token's issuer (`iss`), at most 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub issuer: String,
    /// The https:// URL of the issuer's JSON Web Key Set, at most 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub jwks_endpoint: String,
    /// Other claims the token must carry, by name (not `exp`, `iss`, `nbf` or `iat`; at most 10).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub claims: IndexMap<String, JwtClaim>,
}

/// A claim's accepted values and how the token writes them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JwtClaim {
    /// `single-string` (default), `string-array` or `space-separated-values`.
    #[serde(default)]
    pub format: JwtClaimFormat,
    /// 1–10 values of at most 256 characters.
    pub values: OneOrMany,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum JwtClaimFormat {
    #[default]
    SingleString,
    StringArray,
    SpaceSeparatedValues,
}

impl JwtClaimFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            JwtClaimFormat::SingleString => "single-string",
            JwtClaimFormat::StringArray => "string-array",
            JwtClaimFormat::SpaceSeparatedValues => "space-separated-values",
        }
    }
}

impl Rule {
    pub fn action(&self) -> Action {
        Action {
            forward: self.forward.clone(),
            stickiness: self.stickiness,
            redirect: self.redirect.clone(),
            fixed_response: self.fixed_response.clone(),
            authenticate: self.authenticate.clone(),
            validate_jwt: self.validate_jwt.clone(),
        }
    }
    pub fn has_condition(&self) -> bool {
        self.path.is_some()
            || self.host.is_some()
            || self.path_regex.is_some()
            || self.host_regex.is_some()
            || !self.header.is_empty()
            || !self.header_regex.is_empty()
            || !self.query.is_empty()
            || self.source_ip.is_some()
            || self.method.is_some()
    }
}

// ---------------------------------------------------------------- launch templates

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplate {
    /// The AWS name when it is not `<stack>-<key>`: an existing template brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An AMI id, or a lookup resolved at plan time (newest match).
    pub image: Image,
    pub instance_type: String,
    /// Security groups of this stack (by key) or existing ones (`sg-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// IAM instance profile name or ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// User data script, a file path relative to the stack file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Instance metadata: `required` (IMDSv2 only, the default) or `optional`.
    #[serde(default)]
    pub imds: Imds,
    /// Request spot instances (use `mixed_instances` on the group for a spot/on-demand mix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<SpotOptions>,
    /// Detailed (1-minute) CloudWatch monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<RootVolume>,
    /// Volumes besides the root, by device name (`/dev/sdf`); `no_device: true` suppresses one
    /// the image maps.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub volumes: IndexMap<String, ExtraVolume>,
    /// Network interfaces, first the primary (device 0); with them, security groups are set per
    /// interface, not at the top.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_interfaces: Vec<NetworkInterface>,
    /// The template version's description, up to 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub description: Option<String>,
    /// EBS-optimized instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_optimized: Option<bool>,
    /// CPU credits of burstable (T) instances: `standard` or `unlimited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_credits: Option<CpuCredits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_options: Option<CpuOptions>,
    /// Recover an instance on a system failure: `default` (AWS's) or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_recovery: Option<AutoRecovery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Launch into open capacity reservations (`open`, AWS's default) or never (`none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_reservation: Option<CapacityReservationUse>,
    /// Hops an instance metadata response may travel (1–64; 2 lets containers on the instance reach it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub imds_hop_limit: Option<u32>,
    /// The instance's tags readable from instance metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imds_tags: Option<bool>,
    /// Tags given to what instances launch with, by resource type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tags: Option<ResourceTags>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

/// An EBS volume besides the root, or a device the image maps suppressed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtraVolume {
    /// Suppress the image's mapping of this device (no other field with it).
    #[serde(default)]
    pub no_device: bool,
    /// GiB (1–16384); omitted with `snapshot`, the snapshot's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16384))]
    pub size: Option<u32>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u32>,
    /// A snapshot to make the volume from (`snap-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Delete the volume with the instance (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    /// The interface's device index (default: its position in the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 31))]
    pub device_index: Option<u32>,
    /// The network card it sits on (instances with several cards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_card: Option<u32>,
    /// `efa` (Elastic Fabric Adapter), `efa-only` or `interface` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_type: Option<InterfaceType>,
    /// A public IPv4 address (primary interface only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<bool>,
    /// Security groups of this stack (by key) or existing ones (`sg-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// Idle timeouts of tracked connections, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_tracking: Option<ConnectionTracking>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum InterfaceType {
    Interface,
    Efa,
    EfaOnly,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionTracking {
    /// 60–432000 (AWS default 432000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 432000))]
    pub tcp_established: Option<u32>,
    /// 30–180 (AWS default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 30, max = 180))]
    pub udp: Option<u32>,
    /// 60–180 (AWS default 180).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 180))]
    pub udp_stream: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CpuCredits {
    Standard,
    Unlimited,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub core_count: Option<u32>,
    /// 1 turns simultaneous multithreading off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2))]
    pub threads_per_core: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AutoRecovery {
    Default,
    Disabled,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// A placement group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `default`, `dedicated` or `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<Tenancy>,
    /// The partition of a partition placement group (1–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 7))]
    pub partition: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Tenancy {
    Default,
    Dedicated,
    Host,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CapacityReservationUse {
    Open,
    None,
}

/// Tags of the resources instances launch with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceTags {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub instance: Tags,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub volume: Tags,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub network_interface: Tags,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub spot_instances_request: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Image {
    /// `ami-...`
    Id(String),
    Lookup(ImageLookup),
    Parameter(ImageParameter),
}

/// An AMI id held in an SSM parameter: AWS publishes the latest images this way
/// (`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`), and so can a build.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageParameter {
    /// The parameter's name (or ARN).
    pub ssm: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageLookup {
    /// Name pattern with `*` wildcards, e.g. `al2023-ami-2023.*-x86_64`.
    pub name: String,
    /// Account id or alias (`amazon`, `self`).
    #[serde(default = "amazon")]
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

fn amazon() -> String {
    "amazon".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Imds {
    #[default]
    Required,
    Optional,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpotOptions {
    /// Highest hourly price in USD; on-demand price when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption: Option<SpotInterruption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpotInterruption {
    Terminate,
    Stop,
    Hibernate,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RootVolume {
    /// GiB (1–16384).
    #[schemars(range(min = 1, max = 16384))]
    pub size: u32,
    #[serde(rename = "type", default = "gp3")]
    pub kind: String,
    #[serde(default = "yes")]
    pub encrypted: bool,
    /// Provisioned IOPS: required for io1/io2, optional for gp3 (3000–16000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<u32>,
    /// Throughput in MiB/s, gp3 only (125–1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u32>,
}

fn gp3() -> String {
    "gp3".into()
}

// ---------------------------------------------------------------- auto scaling

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoScalingGroup {
    /// The AWS name when it is not `<stack>-<key>`: an existing group brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub min: u32,
    pub max: u32,
    /// Capacity at creation (default `min`). Afterwards scaling owns it, unless `pin_desired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<u32>,
    /// Keep enforcing `desired` on every apply, overriding what scaling did.
    #[serde(default)]
    pub pin_desired: bool,
    /// A subnet group of `network.subnet_groups`; every subnet of the VPC when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<String>,
    /// A launch template of this stack, optionally with a version (`latest`, `default` or a number).
    pub launch_template: LaunchTemplateRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed_instances: Option<MixedInstances>,
    /// Target groups of this stack the group registers its instances in. The group is their only owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<AsgHealthCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub termination_policies: Vec<TerminationPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_rebalance: Option<bool>,
    /// Seconds a new instance needs before its metrics count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_instance_warmup: Option<u32>,
    /// What `min`, `max` and `desired` count: `units` (instances, or the weights of
    /// `weighted_capacity`; the default), `vcpu` or `memory-mib` (with `requirements`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_capacity_type: Option<DesiredCapacityType>,
    /// Seconds (0 or 86400–31536000) after which instances are replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instance_lifetime: Option<u32>,
    /// How instances are replaced when the launch template changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_refresh: Option<InstanceRefresh>,
    /// Group metrics sent to CloudWatch (AWS/AutoScaling) every minute: `all`, or a list such as
    /// `[GroupInServiceInstances, GroupTotalInstances]`. Off when omitted, as on AWS: an alarm on a
    /// group metric then never gets data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "group_metrics_schema")]
    pub metrics: Option<OneOrMany>,
    /// Hooks that hold instances at launch or termination until the instance (or a heartbeat
    /// timeout) completes them: `drain: {transition: terminate, heartbeat: 300, default_result: continue}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub lifecycle_hooks: IndexMap<String, LifecycleHook>,
    /// Pre-initialised instances kept beside the group, so scaling out starts faster. Not with
    /// `mixed_instances` or a launch template that requests spot instances (AWS refuses both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_pool: Option<WarmPool>,
    /// SNS topics told about launches and terminations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<GroupNotification>,
    /// Healthy capacity kept while AWS replaces instances (rebalancing, health replacements),
    /// in percent of desired: 0–100 at least, 100–200 at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_maintenance: Option<InstanceMaintenance>,
    /// On-Demand Capacity Reservations the group launches into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_reservations: Option<CapacityReservations>,
    /// Processes kept suspended, e.g. `[AZRebalance]`: Launch, Terminate, AddToLoadBalancer,
    /// AlarmNotification, AZRebalance, HealthCheck, InstanceRefresh, ReplaceUnhealthy, ScheduledActions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "scaling_processes_schema")]
    pub suspended_processes: Vec<String>,
    /// Delete the group even with instances running (terminating them).
    #[serde(default)]
    pub force_delete: bool,
    /// Tags of the group, propagated to its instances.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

/// The metrics an auto-scaling group can send (AWS/AutoScaling); `metrics: all` means these.
pub const GROUP_METRICS: [&str; 21] = [
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
    "WarmPoolMinSize",
];

/// The processes of a group that can be suspended.
pub const SCALING_PROCESSES: [&str; 9] = [
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
];

fn group_metrics_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            { "type": "string", "enum": ["all"] },
            { "type": "array", "items": { "type": "string", "enum": GROUP_METRICS }, "uniqueItems": true }
        ]
    })
}

fn scaling_processes_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "array", "items": { "type": "string", "enum": SCALING_PROCESSES }, "uniqueItems": true })
}

impl AutoScalingGroup {
    /// The metrics the group collects, in AWS's order (`all` expanded); empty when off.
    pub fn collected_metrics(&self) -> Vec<&'static str> {
        let named = self.metrics.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
        let all = named.iter().any(|m| m == "all");
        GROUP_METRICS.into_iter().filter(|m| all || named.iter().any(|n| n == m)).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum LaunchTemplateRef {
    Name(String),
    Versioned(LaunchTemplateVersion),
}

impl LaunchTemplateRef {
    pub fn name(&self) -> &str {
        match self {
            LaunchTemplateRef::Name(n) => n,
            LaunchTemplateRef::Versioned(v) => &v.name,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplateVersion {
    pub name: String,
    /// `latest` (the default), `default`, or a version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Scalar>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixedInstances {
    /// Instance types to choose from (1–40), overriding the template's; or `requirements`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// Instance types chosen by their attributes (attribute-based instance type selection): every
    /// type that meets them, new ones included as AWS adds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<InstanceRequirements>,
    /// On-demand instances before any spot.
    #[serde(default)]
    pub on_demand_base: u32,
    /// Share of on-demand above the base, in percent (0–100; 100 = no spot).
    #[serde(default = "on_demand_percentage")]
    #[schemars(range(max = 100))]
    pub on_demand_percentage: u32,
    #[serde(default)]
    pub spot_strategy: SpotStrategy,
    /// Units of capacity each type counts as (1–999), by type: `{m5.large: 1, m5.2xlarge: 4}`.
    /// Every type or none; with weights, `min`, `max` and `desired` count units, not instances.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub weighted_capacity: IndexMap<String, u32>,
}

/// What an instance type must have.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstanceRequirements {
    pub vcpus: Range,
    pub memory_mib: Range,
    /// `intel`, `amd`, `amazon-web-services` or `apple`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_manufacturers: Vec<String>,
    /// Accelerators (GPUs, FPGAs, inference chips) per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_count: Option<Range>,
    /// `gpu`, `fpga` or `inference`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accelerator_types: Vec<String>,
    /// Burstable (T) types: `included`, `excluded` (AWS's default) or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burstable: Option<String>,
    /// Only these types (wildcards such as `m5*`), or
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_types: Vec<String>,
    /// every type but these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_types: Vec<String>,
}

/// A range; an end left out is open.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

fn on_demand_percentage() -> u32 {
    crate::defaults::ON_DEMAND_PERCENTAGE
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DesiredCapacityType {
    Units,
    Vcpu,
    MemoryMib,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SpotStrategy {
    #[default]
    PriceCapacityOptimized,
    CapacityOptimized,
    LowestPrice,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AsgHealthCheck {
    /// `ec2` (the default) or `elb` (replace instances the load balancer finds unhealthy).
    #[serde(rename = "type", default)]
    pub kind: AsgHealthCheckType,
    /// Seconds after launch before health checks count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AsgHealthCheckType {
    #[default]
    Ec2,
    Elb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TerminationPolicy {
    Default,
    OldestInstance,
    NewestInstance,
    OldestLaunchTemplate,
    ClosestToNextInstanceHour,
    AllocationStrategy,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LifecycleHook {
    /// The hook's AWS name when it is not `<stack>-<key>` (what instance scripts and
    /// `complete-lifecycle-action` name it): letters, digits, `-`, `_` and `/`, up to 255.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub name: Option<String>,
    /// `launch` or `terminate`.
    pub transition: HookTransition,
    /// Seconds an instance waits for completion (30–7200, default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 30, max = 7200))]
    pub heartbeat: Option<u32>,
    /// What happens when the heartbeat runs out: `abandon` (the default) or `continue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_result: Option<HookResult>,
    /// An SNS topic or SQS queue ARN told when an instance reaches the hook (needs `role`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
    /// An IAM role ARN that lets Auto Scaling publish to `notification_target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Text passed along with each notification (up to 1023 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum HookTransition {
    Launch,
    Terminate,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum HookResult {
    Continue,
    Abandon,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WarmPool {
    /// Instances kept in the pool at least (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u32>,
    /// Most instances in the group and the pool together; omitted, the group's `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_prepared: Option<u32>,
    /// `stopped` (the default), `running` or `hibernated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<WarmPoolState>,
    /// Return instances to the pool on scale-in instead of terminating them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_on_scale_in: Option<bool>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum WarmPoolState {
    Stopped,
    Running,
    Hibernated,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupNotification {
    /// An SNS topic of this stack (by key) or an existing topic's ARN.
    pub topic: String,
    /// Of `launch`, `launch_error`, `terminate`, `terminate_error` (default: all four).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<GroupEvent>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum GroupEvent {
    Launch,
    LaunchError,
    Terminate,
    TerminateError,
}

impl GroupEvent {
    pub const ALL: [GroupEvent; 4] =
        [GroupEvent::Launch, GroupEvent::LaunchError, GroupEvent::Terminate, GroupEvent::TerminateError];

    /// The notification type's AWS name.
    pub fn aws_name(self) -> &'static str {
        match self {
            GroupEvent::Launch => "autoscaling:EC2_INSTANCE_LAUNCH",
            GroupEvent::LaunchError => "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
            GroupEvent::Terminate => "autoscaling:EC2_INSTANCE_TERMINATE",
            GroupEvent::TerminateError => "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CapacityReservations {
    /// `first` (use the reservations, then on-demand; the default), `only` (launch nowhere
    /// else), `none` (never use them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<ReservationPreference>,
    /// Reservation ids (`cr-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Capacity reservation resource group ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ReservationPreference {
    First,
    Only,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstanceMaintenance {
    /// Healthy capacity kept at least, in percent of desired (0–100).
    #[schemars(range(max = 100))]
    pub min_healthy_percentage: u32,
    /// Capacity allowed at most while replacing, in percent of desired (100–200).
    #[schemars(range(min = 100, max = 200))]
    pub max_healthy_percentage: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstanceRefresh {
    /// Share of capacity that stays in service (0–100, default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub min_healthy_percentage: Option<u32>,
    /// Upper bound while replacing (100–200); above 100 launches before terminating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 200))]
    pub max_healthy_percentage: Option<u32>,
    /// Seconds before a new instance counts as healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_warmup: Option<u32>,
    /// Leave instances that already run the target template alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_matching: Option<bool>,
    /// Percentages at which to pause (ascending, ending at 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<u32>,
    /// Seconds to wait at each checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_delay: Option<u32>,
    /// Roll back to the previous template when the refresh fails (or an alarm below goes off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_rollback: Option<bool>,
    /// Alarms that stop the refresh (and roll it back with `auto_rollback`): alarms of this
    /// stack by key, or existing alarms by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
    /// Instances protected from scale-in: `refresh` them (AWS's default), `ignore` them, or `wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_protected_instances: Option<RefreshInstanceBehaviour>,
    /// Instances on standby: `terminate` them (AWS's default), `ignore` them, or `wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_instances: Option<StandbyBehaviour>,
    /// What starts a refresh besides a new launch template version or instance types (always):
    /// `tags`, a change of the group's tags (instances get tags at launch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<RefreshTrigger>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshInstanceBehaviour {
    Refresh,
    Ignore,
    Wait,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StandbyBehaviour {
    Terminate,
    Ignore,
    Wait,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTrigger {
    Tags,
}

/// A scaling policy of one group: exactly one of `target_tracking`, `step`, `simple`, `predictive`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    /// The AWS name when it is not `<stack>-<key>`: an existing policy brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The auto-scaling group (by key).
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_tracking: Option<TargetTracking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepScaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple: Option<SimpleScaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictive: Option<PredictiveScaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredefinedMetric {
    /// ASGAverageCPUUtilization
    Cpu,
    /// ASGAverageNetworkIn
    NetworkIn,
    /// ASGAverageNetworkOut
    NetworkOut,
    /// ALBRequestCountPerTarget; needs `target_group`.
    AlbRequestsPerTarget,
}

impl PredefinedMetric {
    pub const ALL: [PredefinedMetric; 4] = [
        PredefinedMetric::Cpu,
        PredefinedMetric::NetworkIn,
        PredefinedMetric::NetworkOut,
        PredefinedMetric::AlbRequestsPerTarget,
    ];

    /// Its name in a target tracking policy.
    pub fn tracking_name(self) -> &'static str {
        match self {
            PredefinedMetric::Cpu => "ASGAverageCPUUtilization",
            PredefinedMetric::NetworkIn => "ASGAverageNetworkIn",
            PredefinedMetric::NetworkOut => "ASGAverageNetworkOut",
            PredefinedMetric::AlbRequestsPerTarget => "ALBRequestCountPerTarget",
        }
    }

    /// Its name in a predictive policy's metric pair.
    pub fn predictive_name(self) -> &'static str {
        match self {
            PredefinedMetric::Cpu => "ASGCPUUtilization",
            PredefinedMetric::NetworkIn => "ASGNetworkIn",
            PredefinedMetric::NetworkOut => "ASGNetworkOut",
            PredefinedMetric::AlbRequestsPerTarget => "ALBRequestCount",
        }
    }

    /// How the stack format writes it (`cpu`).
    pub fn key(self) -> &'static str {
        match self {
            PredefinedMetric::Cpu => "cpu",
            PredefinedMetric::NetworkIn => "network_in",
            PredefinedMetric::NetworkOut => "network_out",
            PredefinedMetric::AlbRequestsPerTarget => "alb_requests_per_target",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetTracking {
    /// A predefined metric, or `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<PredefinedMetric>,
    /// For `alb_requests_per_target`: a target group of the stack attached to this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomMetric>,
    /// Metric math over `metrics` (for example the queue backlog per instance,
    /// `backlog / instances`): the value tracked, instead of `metric` or `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub expression: Option<String>,
    /// The metrics `expression` names, by id (a lowercase letter first). A dimension
    /// `AutoScalingGroupName` naming a group of this stack by key is given its AWS name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub metrics: IndexMap<String, CustomMetric>,
    /// The value to hold the metric at (CPU percent, requests per target, bytes).
    pub target: f64,
    #[serde(default)]
    pub disable_scale_in: bool,
    /// Seconds before a new instance's metrics count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomMetric {
    pub namespace: String,
    pub name: String,
    /// Average, Minimum, Maximum, SampleCount or Sum.
    #[serde(default = "average")]
    pub statistic: String,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub dimensions: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

fn average() -> String {
    crate::defaults::STATISTIC.into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentType {
    #[default]
    ChangeInCapacity,
    PercentChangeInCapacity,
    ExactCapacity,
}

/// Step scaling, triggered by an alarm of the stack that names this policy in `actions`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepScaling {
    #[serde(default)]
    pub adjustment_type: AdjustmentType,
    /// Bounds are relative to the alarm threshold; they must not overlap or leave gaps, and
    /// exactly one step is open-ended upward (scale out) or downward (scale in).
    pub steps: Vec<Step>,
    /// Average (default), Minimum or Maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Capacity change (negative to scale in).
    pub adjust: i32,
}

/// Simple scaling, triggered by an alarm of the stack that names this policy in `actions`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimpleScaling {
    #[serde(default)]
    pub adjustment_type: AdjustmentType,
    pub adjust: i32,
    /// Seconds after an activity before another may start (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PredictiveScaling {
    /// A predefined metric pair; or `scaling_metric` and `load_metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<PredefinedMetric>,
    /// What the target holds per instance (for example requests per instance), instead of a
    /// predefined pair, with `load_metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_metric: Option<CustomMetric>,
    /// The group's whole load the forecast is made from (for example all requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_metric: Option<CustomMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<String>,
    pub target: f64,
    #[serde(default)]
    pub mode: PredictiveMode,
    /// Seconds to launch ahead of the forecast (0–3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 3600))]
    pub buffer_time: Option<u32>,
    #[serde(default)]
    pub max_capacity_behavior: MaxCapacityBehavior,
    /// Percent above max allowed with `increase_max_capacity` (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub max_capacity_buffer: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictiveMode {
    #[default]
    ForecastOnly,
    ForecastAndScale,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaxCapacityBehavior {
    #[default]
    HonorMaxCapacity,
    IncreaseMaxCapacity,
}

/// A scheduled change of a group's sizes. At least one of min, max, desired.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledAction {
    /// The AWS name when it is not `<stack>-<key>`: an existing scheduled action brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub group: String,
    /// Cron expression (minute hour day-of-month month day-of-week), e.g. `0 8 * * 1-5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<String>,
    /// IANA time zone of the recurrence, e.g. `Europe/Paris` (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// ISO 8601 time of the first (or only) run, e.g. `2027-12-01T08:00:00Z`; not in the past
    /// (AWS refuses it, so a one-time action that has run is removed from the stack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// ISO 8601 time a recurrence stops; not in the past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<u32>,
}

// ---------------------------------------------------------------- notifications

/// An SNS topic of the stack.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// The AWS name when it is not `<stack>-<key>`: an existing topic brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The sender's name in e-mail and SMS notifications (at most 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Who is told. An e-mail or HTTP(S) subscriber confirms before anything reaches it; until
    /// then AWS keeps the subscription pending, and one removed from the stack while pending stays
    /// until AWS lets it expire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<Subscription>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub protocol: SubscriptionProtocol,
    /// By protocol: an e-mail address, an `https://` or `http://` URL, an SQS queue or Lambda
    /// function ARN, or a phone number in E.164 form (`+15555550100`). A URL that carries a token
    /// (a chat webhook) comes from where a secret does, `{env: NAME}` or `{file: path}`: it is read
    /// when planning and applying, and plans (saved ones too) show only its host and a hash.
    pub endpoint: Endpoint,
}

/// A subscription endpoint: written in the stack, or read from a secret's source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Endpoint {
    Literal(String),
    Secret(SecretSource),
}

impl Endpoint {
    /// The endpoint as written in the stack (None when it comes from a secret's source).
    pub fn literal(&self) -> Option<&str> {
        match self {
            Endpoint::Literal(s) => Some(s),
            Endpoint::Secret(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionProtocol {
    Email,
    EmailJson,
    Http,
    Https,
    Sqs,
    Lambda,
    Sms,
}

impl SubscriptionProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionProtocol::Email => "email",
            SubscriptionProtocol::EmailJson => "email-json",
            SubscriptionProtocol::Http => "http",
            SubscriptionProtocol::Https => "https",
            SubscriptionProtocol::Sqs => "sqs",
            SubscriptionProtocol::Lambda => "lambda",
            SubscriptionProtocol::Sms => "sms",
        }
    }
}

// ---------------------------------------------------------------- alarms

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarm {
    /// The AWS name when it is not `<stack>-<key>`: an existing alarm brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Metric name, e.g. `CPUUtilization`, `TargetResponseTime`, `HTTPCode_Target_5XX_Count`;
    /// omitted when the alarm watches an `expression`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Metric math over `metrics`, e.g. `100 * errors / requests`: the alarm watches its result
    /// (an error rate rather than an absolute count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The metrics `expression` names, by id (a lowercase letter first, then letters, digits and `_`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub metrics: IndexMap<String, AlarmMetric>,
    /// Instead of a threshold: a band of this many standard deviations around the metric's
    /// expected value (anomaly detection); `comparison` is then `outside`, `above` or `below`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly_band: Option<f64>,
    /// Defaults from the dimensions: AWS/ApplicationELB, AWS/NetworkELB, AWS/GatewayELB, AWS/AutoScaling
    /// for a group metric (`Group*`, `WarmPool*`) of a group, else AWS/EC2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Average (default), Sum, Minimum, Maximum, SampleCount, or a percentile such as `p99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// Seconds: 10, 30, or a multiple of 60.
    #[serde(default = "alarm_period")]
    pub period: u32,
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub evaluation_periods: u32,
    /// M of N: how many of the evaluation periods must breach (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub datapoints_to_alarm: Option<u32>,
    /// The value compared with (not with `anomaly_band`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `>`, `>=`, `<`, `<=`; with `anomaly_band`, `outside`, `above` or `below` the band.
    pub comparison: Comparison,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_data: Option<MissingData>,
    #[serde(default)]
    pub dimensions: AlarmDimensions,
    /// On ALARM: scaling policies (step or simple) or SNS topics of this stack by key, or ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// On OK: SNS topics or policies, by key or ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

fn alarm_period() -> u32 {
    crate::defaults::ALARM_PERIOD
}
fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
    /// Outside an anomaly band.
    #[serde(rename = "outside")]
    OutsideBand,
    /// Above an anomaly band.
    #[serde(rename = "above")]
    AboveBand,
    /// Below an anomaly band.
    #[serde(rename = "below")]
    BelowBand,
}

impl Comparison {
    /// Whether this compares with an anomaly band rather than a threshold.
    pub fn is_band(self) -> bool {
        matches!(self, Comparison::OutsideBand | Comparison::AboveBand | Comparison::BelowBand)
    }
}

/// A composite alarm: in ALARM when its rule over other alarms holds.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompositeAlarm {
    /// The AWS name when it is not `<stack>-<key>`: an existing alarm brought under the stack with `--adopt` keeps its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Alarms of this stack by key in `ALARM(key)`, `OK(key)` or `INSUFFICIENT_DATA(key)`,
    /// combined with `AND`, `OR`, `NOT` and parentheses: `ALARM(errors) AND ALARM(latency)`.
    pub rule: String,
    /// On ALARM: SNS topics of this stack by key, or topic ARNs (composite alarms cannot scale groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: Tags,
}

impl CompositeAlarm {
    /// Each alarm the rule names, with where its name stands in the rule (the text between the
    /// parentheses of `ALARM(...)`, `OK(...)`, `INSUFFICIENT_DATA(...)`, quotes removed).
    pub fn references(&self) -> Vec<(std::ops::Range<usize>, String)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(open) = self.rule[at..].find('(').map(|i| at + i) {
            // The function name before `(`: the run of letters and `_` that ends there (a rule is
            // untrusted text: step over characters, not bytes).
            let word_start = self.rule[..open]
                .char_indices()
                .rev()
                .find(|(_, c)| !c.is_ascii_alphabetic() && *c != '_')
                .map_or(0, |(i, c)| i + c.len_utf8());
            let word = &self.rule[word_start..open];
            let Some(close) = self.rule[open..].find(')').map(|i| open + i) else { break };
            if ["ALARM", "OK", "INSUFFICIENT_DATA"].contains(&word) {
                let inner = self.rule[open + 1..close].trim().trim_matches('"');
                out.push((open + 1..close, inner.to_string()));
                at = close + 1;
            } else {
                at = open + 1;
            }
        }
        out
    }
}

/// The id of the query that holds an alarm's `expression` (so no metric may take it).
pub const EXPRESSION_QUERY: &str = "expression";

/// One metric of an alarm's `expression`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlarmMetric {
    pub metric: String,
    /// Defaults from the dimensions, as for the alarm's own metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Average (default), Sum, Minimum, Maximum, SampleCount, or a percentile such as `p99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    #[serde(default)]
    pub dimensions: AlarmDimensions,
    /// Seconds; the alarm's `period` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingData {
    Missing,
    Ignore,
    Breaching,
    NotBreaching,
}

/// Dimensions by reference to the stack's resources, plus literal ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlarmDimensions {
    /// A load balancer of the stack (dimension `LoadBalancer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<String>,
    /// A target group of the stack (dimension `TargetGroup`; needs `load_balancer` too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<String>,
    /// An auto-scaling group of the stack (dimension `AutoScalingGroupName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling_group: Option<String>,
    /// Literal dimensions, name to value.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub other: IndexMap<String, String>,
}

// ---------------------------------------------------------------- Route 53

/// One output: an attribute of a resource of the stack.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// `KIND.KEY.ATTRIBUTE`, the resource as plans name it: `load_balancer.web.dns_name`,
    /// `load_balancer.web.canonical_zone`, `target_group.api.arn`, `autoscaling_group.web.name`.
    /// Every resource has `id` and `name`; those with an ARN have `arn` (security groups too);
    /// load balancers and target groups have `arn_suffix`, what CloudWatch dimensions take.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An output's `KIND.KEY.ATTRIBUTE` in its parts; a listener's key holds a dot (`web.https`).
pub fn output_parts(value: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = value.split_once('.')?;
    let (key, attribute) = rest.rsplit_once('.')?;
    Some((kind, key, attribute))
}

/// The attributes an output may name, by kind (`arn` where the id is one).
pub fn output_attributes(kind: crate::kinds::Kind) -> &'static [&'static str] {
    use crate::kinds::Kind as K;
    match kind {
        K::LoadBalancer => &["id", "name", "arn", "arn_suffix", "dns_name", "canonical_zone"],
        K::TargetGroup => &["id", "name", "arn", "arn_suffix"],
        K::SecurityGroup => &["id", "name", "arn"],
        K::Certificate
        | K::IpSet
        | K::WebAcl
        | K::Alarm
        | K::CompositeAlarm
        | K::ScalingPolicy
        | K::Topic
        | K::TrustStore => &["id", "name", "arn"],
        K::LaunchTemplate | K::AutoScalingGroup | K::ScheduledAction | K::Record => &["id", "name"],
        K::Listener => &["id", "arn"],
        K::ListenerRules | K::WebAclAssociation | K::SharedListener | K::ShieldProtection => &[],
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Hosted zone name (`example.com`) or id (`Z...`).
    pub zone: String,
    /// Fully qualified record name, inside the zone.
    pub name: String,
    /// `CNAME` (default), or `A`/`AAAA` as an alias to the load balancer.
    #[serde(rename = "type", default)]
    pub kind: RecordType,
    /// A load balancer of this stack.
    pub target: String,
    /// Seconds (CNAME only; default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Weighted routing: 0–255; needs `set_identifier` (default: the stack name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 255))]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// Alias records: let Route 53 check the load balancer's health (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_target_health: Option<bool>,
}

impl Record {
    /// The set identifier of a weighted record: the declared one, else the stack name (so blue
    /// and green stacks of one file get distinct ones). None for a simple record.
    pub fn set_identifier_for(&self, stack: &str) -> Option<String> {
        self.weight.map(|_| self.set_identifier.clone().unwrap_or_else(|| stack.to_string()))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RecordType {
    #[default]
    #[serde(rename = "CNAME")]
    Cname,
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Cname => "CNAME",
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
        }
    }
}

#[cfg(test)]
mod composite_rule_tests {
    use super::CompositeAlarm;

    fn refs(rule: &str) -> Vec<String> {
        let c = CompositeAlarm {
            name: None,
            rule: rule.into(),
            actions: vec![],
            ok_actions: vec![],
            insufficient_data_actions: vec![],
            description: None,
            tags: Default::default(),
        };
        c.references().into_iter().map(|(_, name)| name).collect()
    }

    #[test]
    fn references_are_the_names_inside_the_state_functions() {
        assert_eq!(
            refs("ALARM(errors) AND (OK(\"latency\") OR NOT INSUFFICIENT_DATA( cpu ))"),
            ["errors", "latency", "cpu"]
        );
        assert_eq!(refs("TRUE"), Vec::<String>::new());
        assert_eq!(refs("éALARM(x)"), ["x"], "a multi-byte character before a function");
        assert_eq!(refs("ALARM(unclosed"), Vec::<String>::new());
        assert_eq!(refs("FOO(a) ALARM(b)"), ["b"], "only ALARM, OK and INSUFFICIENT_DATA name alarms");
    }
}

#[cfg(test)]
mod predefined_metric_tests {
    use super::PredefinedMetric;

    /// The key import writes is the one the stack format reads, and AWS's names are distinct.
    #[test]
    fn each_metric_reads_back_from_its_key_and_has_its_own_aws_names() {
        for m in PredefinedMetric::ALL {
            assert_eq!(serde_json::from_value::<PredefinedMetric>(m.key().into()).unwrap(), m);
            let same = |f: fn(PredefinedMetric) -> &'static str| {
                PredefinedMetric::ALL.iter().filter(|o| f(**o) == f(m)).count()
            };
            assert_eq!((same(PredefinedMetric::tracking_name), same(PredefinedMetric::predictive_name)), (1, 1));
        }
    }
}
