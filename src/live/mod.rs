//! Reading AWS: one SdkConfig for every client, honouring the default credential chain,
//! profiles, region and `AWS_ENDPOINT_URL` (LocalStack, the embedded emulator, any endpoint).
//! Every API call is counted by an interceptor, so plans can report what reading cost.
//!
//! Readers only read: writes belong to `apply` (and the few of `lock`, `swap` and `forget`), and
//! a reader never guesses ownership from a name alone; lbstack's tags decide.

pub mod acm;
pub mod autoscaling;
pub mod cloudwatch;
pub mod ec2;
pub mod elbv2;
pub mod network;
pub mod outputs;
pub mod route53;
pub mod shaping;
pub mod shield;
pub mod sns;
pub mod wafv2;

use crate::plan::Attrs;
use crate::plan::LiveState;
use crate::plan::desired::Context;
use crate::stack_format::model::Stack;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Which resources holding a name the stack uses, but carrying no lbstack tags at all, a plan
/// takes over (`--adopt ADDRESS`, `--adopt-all`). Never a resource tagged for another stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Adopt {
    #[default]
    None,
    All,
    Only(std::collections::BTreeSet<String>),
}

impl Adopt {
    pub fn wants(&self, address: &crate::plan::Address) -> bool {
        match self {
            Adopt::None => false,
            Adopt::All => true,
            Adopt::Only(set) => set.contains(&address.to_string()),
        }
    }
}

/// A resource found by name, as `claim` sees it.
pub(crate) struct Found<'a> {
    pub name: &'a str,
    pub id: &'a str,
    /// Its `lbstack:stack` tag.
    pub stack: Option<&'a str>,
}

/// Resources holding names the stack uses (`wanted`: name → key) that are not the stack's own:
/// adopted when the plan asks for them and they carry no lbstack tags, conflicts otherwise.
pub(crate) fn claim<'a, T>(
    stack: &Stack,
    kind: crate::plan::Kind,
    wanted: &BTreeMap<String, &str>,
    adopt: &Adopt,
    named: &'a [T],
    look: impl Fn(&'a T) -> Found<'a>,
) -> (Vec<(crate::plan::Address, &'a T)>, Vec<crate::plan::Conflict>) {
    let (mut adopted, mut conflicts) = (Vec::new(), Vec::new());
    for item in named {
        let found = look(item);
        let Some(key) = wanted.get(found.name).filter(|_| found.stack != Some(stack.stack.as_str())) else { continue };
        let address = crate::plan::Address::new(kind, *key);
        if found.stack.is_none() && adopt.wants(&address) {
            adopted.push((address, item));
        } else {
            let reason = ec2::adoptable_reason(found.stack, &address);
            conflicts.push(crate::plan::Conflict {
                reason,
                address,
                name: found.name.to_string(),
                id: found.id.to_string(),
            });
        }
    }
    (adopted, conflicts)
}

/// Connection settings from flags; unset fields fall back to the SDK's own environment lookup.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

pub async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Standard retry: exponential backoff with jitter on throttling, 5xx and lost
        // connections. Not adaptive: its client-side rate limiter cut the rate to a crawl after a
        // few throttled calls (the reference stack with 5% of calls throttled applied in 49 s
        // instead of 4.5 s).
        .retry_config(RetryConfig::standard().with_max_attempts(8));
    if crate::clock::scale() < 1.0 {
        loader = loader.sleep_impl(crate::clock::ScaledSleep);
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// A named profile must exist: without this check the SDK skips a missing one silently and the
/// run fails later for a reason that hides the typo ("no region is set").
// aws_config::profile::load takes the deprecated alias; its replacement lives in aws-runtime,
// which is not worth a dependency for one type name.
#[allow(deprecated)]
pub async fn check_profile(name: &str) -> anyhow::Result<()> {
    use crate::aws_error::{AwsError, Class};
    use aws_config::profile::profile_file::ProfileFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    if name == "default" {
        return Ok(());
    }
    // A config file that does not parse is the SDK's to report, with its own position.
    let Ok(set) = aws_config::profile::load(&Fs::real(), &Env::real(), &ProfileFiles::default(), None).await else {
        return Ok(());
    };
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = set.profiles().collect();
    let close = known
        .iter()
        .filter(|k| strsim::jaro_winkler(k, name) > 0.8)
        .max_by(|a, b| strsim::jaro_winkler(a, name).total_cmp(&strsim::jaro_winkler(b, name)));
    let message = match (close, known.is_empty()) {
        (Some(k), _) => format!("the AWS profile `{name}` is not in the AWS config files (did you mean `{k}`)"),
        (None, true) => format!("the AWS profile `{name}` is not in the AWS config files (they define no profile)"),
        (None, false) => {
            format!(
                "the AWS profile `{name}` is not in the AWS config files (profiles: {})",
                known.iter().take(10).copied().collect::<Vec<_>>().join(", ")
            )
        }
    };
    Err(anyhow::Error::new(AwsError::new("reading the AWS profile", Class::UnknownProfile, message)))
}

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// The first call of every run that touches AWS. A missing region, an endpoint that is down or
/// unknown, missing or expired credentials: each fails here in seconds (a refused or silent connection within two) as one
/// line with its cause and a hint, instead of after a minute of retries on the first read.
pub async fn preflight(config: &SdkConfig) -> anyhow::Result<Identity> {
    use crate::aws_error::{AwsError, Class};
    use std::time::Duration;
    if config.region().is_none() {
        return Err(anyhow::Error::new(AwsError::new("connecting to AWS", Class::NoRegion, "no AWS region is set")));
    }
    let sts = aws_sdk_sts::config::Builder::from(config)
        .retry_config(RetryConfig::standard().with_max_attempts(2).with_initial_backoff(Duration::from_millis(200)))
        // A dead endpoint fails at connect (2 s); a busy one that answers is given time (a loaded
        // CI machine's emulator took over 10 s).
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .interceptor(crate::logging::LogCalls)
        // Network timeouts are the machine's time, not AWS's: never scaled (a loaded CI machine's
        // emulator took over 0.3 s to answer when they were).
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .build();
    let out = aws_sdk_sts::Client::from_conf(sts)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| err("checking the credentials with STS GetCallerIdentity", e))?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// For a region lbstack does not know: one cheap regional call (two attempts, seconds), so a
/// region the endpoint does not serve fails now, as a region problem, rather than after every
/// read's retries as a server fault.
pub async fn probe_region(config: &SdkConfig) -> anyhow::Result<()> {
    use crate::aws_error::{AwsError, Class};
    use std::time::Duration;
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(config)
        .retry_config(RetryConfig::standard().with_max_attempts(2).with_initial_backoff(Duration::from_millis(200)))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .build();
    match aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2).describe_load_balancers().page_size(1).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(crate::aws_error::class_of(&e), Class::ServiceFault | Class::Unreachable | Class::Timeout) =>
        {
            let near = crate::stack_format::check::did_you_mean(&region, crate::stack_format::validate::KNOWN_REGIONS)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            Err(anyhow::Error::new(AwsError::new(
                format!("trying region `{region}`"),
                Class::NoRegion,
                format!("the endpoint does not serve region `{region}`{near}"),
            )))
        }
        Err(_) => Ok(()),
    }
}

/// Every AWS call of one run: counted per `Service.Operation`, and recorded with the apply step
/// that made it and the tag keys it removed, so tests can check that each write belongs to a
/// change the plan showed (`audit`).
#[derive(Debug, Clone, Default)]
pub struct ApiCalls {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    records: Arc<Mutex<Vec<CallRecord>>>,
}

/// One AWS call: its operation, the plan address of the apply step that made it (none outside
/// apply steps: plan reads, the apply lock), and the tag keys it removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub operation: String,
    pub step: Option<String>,
    pub removed_tags: Vec<String>,
}

impl CallRecord {
    pub fn is_write(&self) -> bool {
        is_write(&self.operation)
    }
}

tokio::task_local! {
    /// The address of the apply step running on this task, for the call record.
    pub static STEP: String;
}

fn is_write(operation: &str) -> bool {
    let name = operation.rsplit('.').next().unwrap_or("");
    !(name.starts_with("Describe") || name.starts_with("List") || name.starts_with("Get"))
}

impl ApiCalls {
    pub fn total(&self) -> u64 {
        self.counts.lock().expect("counter lock").values().sum()
    }
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("counter lock").clone()
    }
    /// Calls that change something (everything but Describe/List/Get).
    pub fn writes(&self) -> u64 {
        self.by_operation().iter().filter(|(op, _)| is_write(op)).map(|(_, n)| n).sum()
    }
    /// Every call so far, in order.
    pub fn records(&self) -> Vec<CallRecord> {
        self.records.lock().expect("records lock").clone()
    }
}

#[derive(Debug)]
struct CountCalls(ApiCalls);

/// The tag keys a tag-removing call removes, whatever the service.
fn removed_tags(input: &aws_smithy_runtime_api::client::interceptors::context::Input) -> Vec<String> {
    use aws_sdk_elasticloadbalancingv2 as elb;
    if let Some(i) = input.downcast_ref::<elb::operation::remove_tags::RemoveTagsInput>() {
        return i.tag_keys().to_vec();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_ec2::operation::delete_tags::DeleteTagsInput>() {
        return i.tags().iter().filter_map(|t| t.key().map(str::to_string)).collect();
    }
    if let Some(i) =
        input.downcast_ref::<aws_sdk_acm::operation::remove_tags_from_certificate::RemoveTagsFromCertificateInput>()
    {
        return i.tags().iter().map(|t| t.key().to_string()).collect();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_wafv2::operation::untag_resource::UntagResourceInput>() {
        return i.tag_keys().to_vec();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_autoscaling::operation::delete_tags::DeleteTagsInput>() {
        return i.tags().iter().filter_map(|t| t.key().map(str::to_string)).collect();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_cloudwatch::operation::untag_resource::UntagResourceInput>() {
        return i.tag_keys().to_vec();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_sns::operation::untag_resource::UntagResourceInput>() {
        return i.tag_keys().to_vec();
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_shield::operation::untag_resource::UntagResourceInput>() {
        return i.tag_keys().to_vec();
    }
    Vec::new()
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "lbstack::CountCalls"
    }
    // Serialization happens once per operation, before the retry loop: retries are not counted.
    fn read_before_serialization(
        &self,
        ctx: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op =
            cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into());
        *self.0.counts.lock().expect("counter lock").entry(op.clone()).or_default() += 1;
        let record = CallRecord {
            step: STEP.try_with(Clone::clone).ok(),
            removed_tags: removed_tags(ctx.input()),
            operation: op,
        };
        self.0.records.lock().expect("records lock").push(record);
        Ok(())
    }
}

/// The AWS clients lbstack uses, all built from one config. Clients are cheap to clone.
#[derive(Clone, Debug)]
pub struct Clients {
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub acm: aws_sdk_acm::Client,
    pub route53: aws_sdk_route53::Client,
    pub wafv2: aws_sdk_wafv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub shield: aws_sdk_shield::Client,
    /// Invoke permissions of Lambda targets.
    pub lambda: aws_sdk_lambda::Client,
    /// The apply lock's parameter (`crate::lock`).
    pub ssm: aws_sdk_ssm::Client,
    pub calls: ApiCalls,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        use shaping::{Gate, Gated};
        let calls = ApiCalls::default();
        // Each service's calls pass its own gate (`shaping`): a bound on calls in flight, and
        // on AWS the service's published token buckets.
        let inner = config.http_client().unwrap_or_else(shaping::default_client);
        let shaped = shaping::shaped(config.endpoint_url().is_some());
        let gate = |published: fn() -> Arc<Gate>| Gated {
            inner: inner.clone(),
            gate: if shaped { published() } else { Gate::unshaped() },
        };
        let elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(config)
            .http_client(gate(Gate::elbv2))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let ec2 = aws_sdk_ec2::config::Builder::from(config)
            .http_client(gate(Gate::ec2))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let acm = aws_sdk_acm::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let route53 = aws_sdk_route53::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let wafv2 = aws_sdk_wafv2::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let autoscaling = aws_sdk_autoscaling::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let sns = aws_sdk_sns::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let shield = aws_sdk_shield::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let lambda = aws_sdk_lambda::config::Builder::from(config)
            .http_client(gate(Gate::unshaped))
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        let ssm = aws_sdk_ssm::config::Builder::from(config)
            .interceptor(CountCalls(calls.clone()))
            .interceptor(crate::logging::LogCalls)
            .build();
        Clients {
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2),
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            acm: aws_sdk_acm::Client::from_conf(acm),
            route53: aws_sdk_route53::Client::from_conf(route53),
            wafv2: aws_sdk_wafv2::Client::from_conf(wafv2),
            autoscaling: aws_sdk_autoscaling::Client::from_conf(autoscaling),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
            sns: aws_sdk_sns::Client::from_conf(sns),
            shield: aws_sdk_shield::Client::from_conf(shield),
            lambda: aws_sdk_lambda::Client::from_conf(lambda),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
            calls,
        }
    }
}

/// Tags as the attribute structs hold them: sorted by key, without AWS's own `aws:` tags.
pub fn tags_of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> crate::attrs::TagMap {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().filter(|(k, _)| !k.starts_with("aws:")).collect();
    pairs.sort();
    pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A resource listed a moment ago that no longer exists (someone deleted it meanwhile): the
/// reader skips it instead of failing the whole plan.
#[derive(Debug)]
pub struct Gone;

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the resource no longer exists")
    }
}

impl std::error::Error for Gone {}

/// Like `err`, but an error that says the resource does not exist becomes `Gone`.
pub fn read_err(what: &str, e: impl crate::aws_error::Failure) -> anyhow::Error {
    if crate::aws_error::class_of(&e) == crate::aws_error::Class::NotFound {
        anyhow::Error::new(Gone)
    } else {
        err(what, e)
    }
}

/// Whether a read the stack does not depend on was refused for good: not allowed, not an
/// operation the endpoint knows, or a server error that outlasted the SDK's retries (emulators
/// answer 501 for what they lack). Never throttling or a lost connection: those fail the plan.
pub fn optional_read_refused(e: &impl crate::aws_error::Failure) -> bool {
    use crate::aws_error::Class;
    matches!(crate::aws_error::class_of(e), Class::AccessDenied | Class::Invalid | Class::ServiceFault)
}

/// `Ok(None)` for a resource that went away while being read.
pub fn skip_gone<T>(r: anyhow::Result<T>) -> anyhow::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is::<Gone>() => Ok(None),
        Err(e) => Err(e),
    }
}

pub use crate::aws_error::err;

/// Everything the plan needs from AWS: the network context and the resources the stack owns.
pub async fn read(clients: &Clients, stack: &Stack) -> anyhow::Result<(Context, LiveState)> {
    read_adopting(clients, stack, &Adopt::None).await
}

/// `read`, taking over the untagged resources `adopt` names: they are read as the stack's, so
/// the plan shows the tags they get and every setting that changes.
pub async fn read_adopting(clients: &Clients, stack: &Stack, adopt: &Adopt) -> anyhow::Result<(Context, LiveState)> {
    // Only security groups need the network context; everything else reads beside it.
    let sgs = async {
        let mut context = network::resolve(clients, stack).await?;
        let (sgs, looked_up) = tokio::join!(
            ec2::read_security_groups(clients, stack, &context, adopt),
            ec2::look_up_groups(clients, stack, &context.vpc_id)
        );
        let sgs = sgs?;
        context.security_groups = looked_up?;
        Ok::<_, anyhow::Error>((context, sgs))
    };
    let (sgs, lbs, certs, waf, templates, groups, alarms, images, topics, trust_stores) = tokio::join!(
        sgs,
        elbv2::read(clients, stack, adopt),
        acm::read(clients, stack),
        wafv2::read(clients, stack, adopt),
        autoscaling::read_launch_templates(clients, stack, adopt),
        autoscaling::read_groups(clients, stack, adopt),
        cloudwatch::read(clients, stack, adopt),
        autoscaling::resolve_images(clients, stack),
        sns::read(clients, stack, adopt),
        elbv2::read_trust_stores(clients, stack)
    );
    let (mut context, sgs) = sgs?;
    context.images = images?;
    let (certs, looked_up) = certs?;
    context.certificates = looked_up;
    let (sgs, sg_conflicts) = sgs;
    let (mut resources, mut conflicts) = lbs?;
    for part in [templates?, groups?, alarms?, topics?] {
        resources.extend(part.0);
        conflicts.extend(part.1);
    }
    let (waf, waf_conflicts) = waf?;
    conflicts.extend(waf_conflicts);
    // Which web ACL each owned application load balancer uses.
    let albs: Vec<(crate::plan::Address, String)> = resources
        .iter()
        .filter(|r| matches!(&r.attrs, Attrs::LoadBalancer(lb) if lb.r#type == "application"))
        .map(|r| (r.address.clone(), r.id.clone()))
        .collect();
    let acl_ids: BTreeMap<String, String> = waf
        .iter()
        .filter(|l| l.address.kind == crate::plan::Kind::WebAcl)
        .map(|l| (l.id.clone(), l.address.to_string()))
        .collect();
    let lb_dns: BTreeMap<String, String> = resources
        .iter()
        .filter_map(|r| match &r.attrs {
            Attrs::LoadBalancer(lb) => {
                Some((lb.dns_name.as_ref()?.trim_end_matches('.').to_ascii_lowercase(), r.address.to_string()))
            }
            _ => None,
        })
        .collect();
    // Owned target groups are referenced by the stack's rules on shared listeners.
    let tg_refs: std::collections::HashMap<String, crate::plan::Address> = resources
        .iter()
        .filter(|r| r.address.kind == crate::plan::Kind::TargetGroup)
        .map(|r| (r.id.clone(), r.address.clone()))
        .collect();
    let lbs: Vec<(crate::plan::Address, String)> = resources
        .iter()
        .filter(|r| r.address.kind == crate::plan::Kind::LoadBalancer)
        .map(|r| (r.address.clone(), r.id.clone()))
        .collect();
    let (assoc, records, shared, shield) = tokio::join!(
        wafv2::read_associations(clients, &albs, &acl_ids),
        route53::read(clients, stack, &lb_dns, adopt),
        elbv2::read_shared(clients, stack, &tg_refs),
        shield::read(clients, stack, &lbs, adopt)
    );
    let (protections, shield_conflicts, subscribed) = shield?;
    context.shield_subscribed = subscribed;
    resources.extend(protections);
    conflicts.extend(shield_conflicts);
    let (shared_listeners, shared_rules) = shared?;
    context.shared_listeners = shared_listeners;
    resources.extend(shared_rules);
    resources.extend(assoc?);
    let records = records?;
    resources.extend(records.live);
    conflicts.extend(records.conflicts);
    context.missing_zones = records.missing_zones;
    resources.extend(waf);
    // Owned security groups, certificates and trust stores are named by id: map ids to addresses.
    let trust_stores = trust_stores?;
    let ids = |found: &[crate::plan::Live]| found.iter().map(|l| (l.id.clone(), l.address.clone())).collect();
    let owned =
        elbv2::OwnedIds { security_groups: ids(&sgs), certificates: ids(&certs), trust_stores: ids(&trust_stores) };
    for r in resources.iter_mut() {
        elbv2::link(r, &owned);
    }
    resources.extend(trust_stores);
    resources.extend(sgs);
    resources.extend(certs);
    conflicts.extend(sg_conflicts);
    autoscaling::link(&mut resources);
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    conflicts.extend(duplicates(&mut resources));
    Ok((context, LiveState { resources, conflicts }))
}

/// Two live resources carrying one address are a conflict naming both, never merged into one:
/// which of them the stack means is the user's call. Both leave the owned resources, so the plan
/// neither changes nor deletes either. `resources` is sorted by address.
fn duplicates(resources: &mut Vec<crate::plan::Live>) -> Vec<crate::plan::Conflict> {
    let mut conflicts = Vec::new();
    let mut i = 0;
    while i < resources.len() {
        let same = resources[i..].iter().take_while(|r| r.address == resources[i].address).count();
        if same > 1 {
            let dups: Vec<crate::plan::Live> = resources.drain(i..i + same).collect();
            let ids: Vec<&str> = dups.iter().map(|d| d.id.as_str()).collect();
            conflicts.push(crate::plan::Conflict {
                address: dups[0].address.clone(),
                name: dups[0].name.clone(),
                id: ids.join(", "),
                reason: format!(
                    "{} resources carry the tag lbstack:address={}: delete the extra one, or remove its lbstack tags",
                    same, dups[0].address
                ),
            });
        } else {
            i += 1;
        }
    }
    conflicts
}
