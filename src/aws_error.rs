//! One classifier for every AWS error lbstack meets, and one readable line for people.
//!
//! Service errors are classified by their exact error code, from a table per service (never by
//! matching words in a message or a Debug dump). Failures before a response (no credentials, a
//! refused connection, a timeout) are classified by their typed causes. Every AWS call site turns
//! its error into an [`AwsError`] with [`err`], saying what lbstack was doing; retry decisions and
//! the CLI's hints read its [`Class`].

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::waiters::error::WaiterError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use std::fmt;

/// What kind of failure an error is: what callers decide on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The resource does not exist (a delete that meets this is done).
    NotFound,
    /// A resource with this name or identity exists already (a retried create meets this).
    AlreadyExists,
    /// Something else still uses the resource; it may free up shortly.
    InUse,
    /// A concurrent change won (optimistic lock, refresh in progress): read again and retry.
    Conflict,
    /// The entity is not ready yet (WAF right after a create): retry shortly.
    NotReady,
    Throttled,
    AccessDenied,
    /// The credentials were refused: expired, unknown key, bad signature.
    BadCredentials,
    /// No credentials could be found or loaded.
    NoCredentials,
    /// No region is set anywhere.
    NoRegion,
    /// The AWS profile asked for is defined nowhere.
    UnknownProfile,
    /// The endpoint could not be reached (refused connection, DNS failure, reset).
    Unreachable,
    Timeout,
    /// The request was refused as invalid.
    Invalid,
    LimitExceeded,
    /// The service answered with a server error or something that is not an AWS answer.
    ServiceFault,
    Other,
}

use Class::*;

// Exact error codes per service, from the services' API references and models.
const ELBV2: &[(&str, Class)] = &[
    ("LoadBalancerNotFound", NotFound),
    ("TargetGroupNotFound", NotFound),
    ("ListenerNotFound", NotFound),
    ("RuleNotFound", NotFound),
    ("CertificateNotFound", NotFound),
    ("TargetGroupAssociationLimit", LimitExceeded),
    ("DuplicateLoadBalancerName", AlreadyExists),
    ("DuplicateTargetGroupName", AlreadyExists),
    ("DuplicateListener", AlreadyExists),
    ("PriorityInUse", AlreadyExists),
    ("DuplicateTagKeys", Invalid),
    ("ResourceInUse", InUse),
    ("OperationNotPermitted", Invalid),
    ("InvalidConfigurationRequest", Invalid),
    ("InvalidTarget", Invalid),
    ("InvalidSubnet", Invalid),
    ("InvalidSecurityGroup", Invalid),
    ("InvalidScheme", Invalid),
    ("IncompatibleProtocols", Invalid),
    ("UnsupportedProtocol", Invalid),
    ("SSLPolicyNotFound", Invalid),
    ("InvalidLoadBalancerAction", Invalid),
    ("TooManyLoadBalancers", LimitExceeded),
    ("TooManyTargetGroups", LimitExceeded),
    ("TooManyListeners", LimitExceeded),
    ("TooManyRules", LimitExceeded),
    ("TooManyTargets", LimitExceeded),
    ("TooManyTags", LimitExceeded),
    ("TooManyActions", LimitExceeded),
    ("TooManyCertificates", LimitExceeded),
    ("TooManyRegistrationsForTargetId", LimitExceeded),
];

const EC2: &[(&str, Class)] = &[
    ("InvalidGroup.NotFound", NotFound),
    ("InvalidGroupId.Malformed", Invalid),
    ("InvalidLaunchTemplateId.NotFound", NotFound),
    ("InvalidLaunchTemplateName.NotFoundException", NotFound),
    ("InvalidLaunchTemplateId.VersionNotFound", NotFound),
    ("InvalidPermission.NotFound", NotFound),
    ("InvalidAMIID.NotFound", NotFound),
    ("InvalidAMIID.Unavailable", NotFound),
    ("InvalidAMIID.Malformed", Invalid),
    ("InvalidVpcID.NotFound", NotFound),
    ("InvalidSubnetID.NotFound", NotFound),
    ("InvalidGroup.Duplicate", AlreadyExists),
    ("InvalidLaunchTemplateName.AlreadyExistsException", AlreadyExists),
    ("InvalidPermission.Duplicate", AlreadyExists),
    ("DependencyViolation", InUse),
    ("InvalidGroup.InUse", InUse),
    ("RequestLimitExceeded", Throttled),
    ("UnauthorizedOperation", AccessDenied),
    ("AuthFailure", BadCredentials),
    ("InvalidParameterValue", Invalid),
    ("InvalidParameterCombination", Invalid),
    ("InvalidParameter", Invalid),
    ("MissingParameter", Invalid),
    ("InvalidInput", Invalid),
    ("RulesPerSecurityGroupLimitExceeded", LimitExceeded),
    ("SecurityGroupLimitExceeded", LimitExceeded),
    ("LaunchTemplateLimitExceeded", LimitExceeded),
];

const AUTOSCALING: &[(&str, Class)] = &[
    ("AlreadyExists", AlreadyExists),
    ("ResourceInUse", InUse),
    ("ScalingActivityInProgress", InUse),
    ("InstanceRefreshInProgress", Conflict),
    ("ActiveInstanceRefreshNotFound", NotFound),
    ("ResourceContention", Throttled),
    ("LimitExceeded", LimitExceeded),
    ("ServiceLinkedRoleFailure", AccessDenied),
    ("ValidationError", Invalid),
];

const ACM: &[(&str, Class)] = &[
    ("ResourceNotFoundException", NotFound),
    ("ResourceInUseException", InUse),
    ("ConflictException", Conflict),
    ("InvalidArnException", Invalid),
    ("InvalidParameterException", Invalid),
    ("InvalidDomainValidationOptionsException", Invalid),
    ("InvalidTagException", Invalid),
    ("TagPolicyException", Invalid),
    ("LimitExceededException", LimitExceeded),
    ("TooManyTagsException", LimitExceeded),
    ("RequestInProgressException", NotReady),
];

const WAFV2: &[(&str, Class)] = &[
    ("WAFNonexistentItemException", NotFound),
    ("WAFDuplicateItemException", AlreadyExists),
    ("WAFAssociatedItemException", InUse),
    ("WAFOptimisticLockException", Conflict),
    ("WAFUnavailableEntityException", NotReady),
    ("WAFInvalidParameterException", Invalid),
    ("WAFInvalidOperationException", Invalid),
    ("WAFInvalidResourceException", Invalid),
    ("WAFTagOperationException", ServiceFault),
    ("WAFTagOperationInternalErrorException", ServiceFault),
    ("WAFInternalErrorException", ServiceFault),
    ("WAFLimitsExceededException", LimitExceeded),
    ("WAFSubscriptionNotFoundException", Invalid),
];

const ROUTE53: &[(&str, Class)] = &[
    ("NoSuchHostedZone", NotFound),
    ("NoSuchChange", NotFound),
    ("InvalidChangeBatch", Conflict),
    ("PriorRequestNotComplete", Throttled),
    ("InvalidInput", Invalid),
    ("InvalidDomainName", Invalid),
];

const CLOUDWATCH: &[(&str, Class)] = &[
    ("ResourceNotFound", NotFound),
    ("ResourceNotFoundException", NotFound),
    ("InvalidParameterValue", Invalid),
    ("InvalidParameterCombination", Invalid),
    ("MissingParameter", Invalid),
    ("LimitExceeded", LimitExceeded),
    ("LimitExceededFault", LimitExceeded),
    ("ConcurrentModificationException", Conflict),
];

const SSM: &[(&str, Class)] = &[
    ("ParameterNotFound", NotFound),
    ("ParameterVersionNotFound", NotFound),
    ("ParameterAlreadyExists", AlreadyExists),
    ("ParameterLimitExceeded", LimitExceeded),
    ("TooManyUpdates", Throttled),
    ("ValidationException", Invalid),
];

const LAMBDA: &[(&str, Class)] = &[
    ("ResourceConflictException", Conflict),
    ("InvalidParameterValueException", Invalid),
    ("PolicyLengthExceededException", LimitExceeded),
    ("PreconditionFailedException", Conflict),
    ("ServiceException", ServiceFault),
];

/// Codes every AWS service shares (authentication, authorisation, throttling, server faults).
const COMMON: &[(&str, Class)] = &[
    ("Throttling", Throttled),
    ("ThrottlingException", Throttled),
    ("ThrottledException", Throttled),
    ("TooManyRequestsException", Throttled),
    ("RequestThrottled", Throttled),
    ("RequestThrottledException", Throttled),
    ("SlowDown", Throttled),
    ("AccessDenied", AccessDenied),
    ("AccessDeniedException", AccessDenied),
    ("ExpiredToken", BadCredentials),
    ("ExpiredTokenException", BadCredentials),
    ("RequestExpired", BadCredentials),
    ("InvalidClientTokenId", BadCredentials),
    ("UnrecognizedClientException", BadCredentials),
    ("SignatureDoesNotMatch", BadCredentials),
    ("InvalidAccessKeyId", BadCredentials),
    ("IncompleteSignature", BadCredentials),
    ("MissingAuthenticationToken", NoCredentials),
    ("OptInRequired", AccessDenied),
    ("ValidationError", Invalid),
    ("ValidationException", Invalid),
    ("InternalFailure", ServiceFault),
    ("InternalError", ServiceFault),
    ("InternalServerError", ServiceFault),
    ("ServiceUnavailable", ServiceFault),
    ("ServiceUnavailableException", ServiceFault),
    ("Unavailable", ServiceFault),
];

const TABLES: &[&[(&str, Class)]] = &[ELBV2, EC2, AUTOSCALING, ACM, WAFV2, ROUTE53, CLOUDWATCH, SSM, LAMBDA, COMMON];

/// The class of an AWS error code; `Other` for codes no table lists.
pub fn classify(code: &str) -> Class {
    TABLES.iter().flat_map(|t| t.iter()).find(|(c, _)| *c == code).map_or(Other, |(_, class)| *class)
}

/// A failed AWS call, as one line: what lbstack was doing, the code and message, the request id.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub doing: String,
    pub class: Class,
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

impl AwsError {
    pub fn new(doing: impl Into<String>, class: Class, message: impl Into<String>) -> Self {
        AwsError { doing: doing.into(), class, code: None, message: Some(message.into()), request_id: None }
    }

    /// How to get past it, for the classes where the way is known.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.class {
            NoCredentials => {
                "no AWS credentials found: set AWS_PROFILE (for IAM Identity Center run `aws sso login --profile NAME` first), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            }
            BadCredentials => {
                "the credentials were refused: if they expired, sign in again (`aws sso login`), or pick others with --profile"
            }
            NoRegion => "set `region:` in the stack, pass --region, or set AWS_REGION (or a region in the AWS profile)",
            UnknownProfile => {
                "name a profile of ~/.aws/config or ~/.aws/credentials (`aws configure list-profiles`), or unset AWS_PROFILE"
            }
            AccessDenied => {
                "the credentials in use lack permission for this call: check their IAM policy, or use --profile"
            }
            Unreachable => {
                "check the endpoint, the network and the region (--endpoint-url, AWS_ENDPOINT_URL, --region); is the emulator running? `bash localstack/emulator.sh start`"
            }
            Timeout => "the endpoint did not answer in time: check the network, or try again",
            Throttled => "AWS kept throttling after retries: lower --parallelism or try again in a minute",
            LimitExceeded => "an account quota is reached: raise it in Service Quotas or remove unused resources",
            ServiceFault => "the service failed on its side: run the command again; apply continues from what exists",
            _ => return None,
        })
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.doing)?;
        match (&self.code, &self.message) {
            (Some(code), Some(m)) => write!(f, "{code}: {}", one_line(m))?,
            (Some(code), None) => write!(f, "{code}")?,
            (None, Some(m)) => write!(f, "{}", one_line(m))?,
            (None, None) => write!(f, "failed")?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// A message on one bounded line: services may answer with newlines or long texts.
fn one_line(text: &str) -> String {
    const MAX: usize = 300;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > MAX { format!("{}…", flat.chars().take(MAX).collect::<String>()) } else { flat }
}

/// What an error from the SDK says about itself.
pub trait Failure: std::error::Error + Send + Sync + 'static {
    fn describe(&self) -> (Class, Option<String>, Option<String>, Option<String>);
}

/// The innermost cause of an error chain that explains it (`Connection refused (os error 111)`),
/// and whether a credentials failure is among the causes.
fn causes(e: &(dyn std::error::Error + 'static)) -> (String, Option<Class>) {
    let mut last = e.to_string();
    let mut credentials = None;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        // Any failure of the credential chain means no usable credentials were loaded (the
        // chain's last provider, often instance metadata, says why it could not).
        if err.downcast_ref::<CredentialsError>().is_some() {
            credentials = Some(NoCredentials);
        }
        let text = err.to_string();
        if !text.is_empty() {
            last = text;
        }
        cur = err.source();
    }
    (last, credentials)
}

impl<E> Failure for SdkError<E, HttpResponse>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn describe(&self) -> (Class, Option<String>, Option<String>, Option<String>) {
        match self {
            SdkError::ServiceError(s) => {
                let code = s.err().code().map(str::to_string);
                let status = s.raw().status().as_u16();
                let class = match code.as_deref().map(classify) {
                    Some(c) if c != Other => c,
                    _ if status == 403 => AccessDenied,
                    _ if status == 429 => Throttled,
                    _ if status >= 500 => ServiceFault,
                    _ => Other,
                };
                let message =
                    s.err().message().map(str::to_string).or_else(|| code.is_none().then(|| format!("HTTP {status}")));
                (class, code, message, self.request_id().map(str::to_string))
            }
            SdkError::DispatchFailure(d) => {
                let (mut cause, credentials) = causes(self);
                // The chain lists every provider it tried: the first sentence says enough.
                if credentials.is_some()
                    && let Some(end) = cause.find(". ")
                {
                    cause.truncate(end);
                }
                let class = match (credentials, d.as_connector_error()) {
                    (Some(c), _) => c,
                    (None, Some(c)) if c.is_timeout() => Timeout,
                    (None, Some(c)) if c.is_io() => Unreachable,
                    _ => Unreachable,
                };
                (class, None, Some(cause), None)
            }
            SdkError::TimeoutError(_) => (Timeout, None, Some(causes(self).0), None),
            SdkError::ResponseError(r) => {
                let status = r.raw().status().as_u16();
                (
                    ServiceFault,
                    None,
                    Some(format!("the endpoint answered HTTP {status} with a body that is not an AWS response")),
                    self.request_id().map(str::to_string),
                )
            }
            SdkError::ConstructionFailure(_) => (Invalid, None, Some(causes(self).0), None),
            _ => (Other, None, Some(causes(self).0), None),
        }
    }
}

impl<O, E> Failure for WaiterError<O, E>
where
    O: fmt::Debug + Send + Sync + 'static,
    E: ProvideErrorMetadata + std::error::Error + fmt::Debug + Send + Sync + 'static,
{
    fn describe(&self) -> (Class, Option<String>, Option<String>, Option<String>) {
        match self {
            WaiterError::ExceededMaxWait(w) => {
                (Timeout, None, Some(format!("gave up waiting after {} s", w.max_wait().as_secs())), None)
            }
            WaiterError::FailureState(_) => {
                (Other, None, Some("the resource reached a state it cannot leave".into()), None)
            }
            WaiterError::OperationFailed(o) => o.error().describe(),
            _ => (Other, None, Some(causes(self).0), None),
        }
    }
}

/// The error of a failed AWS call, saying what lbstack was doing.
pub fn err(doing: &str, e: impl Failure) -> anyhow::Error {
    let (class, code, message, request_id) = e.describe();
    anyhow::Error::new(AwsError { doing: doing.to_string(), class, code, message, request_id })
}

/// The class of an SDK error, for decisions made before wrapping it.
pub fn class_of(e: &impl Failure) -> Class {
    e.describe().0
}

/// An error as one line for people: the chain of what lbstack was doing, the AWS code and
/// message, and the hint of its class when there is one.
pub fn one_line_with_hint(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let text = text.trim_end_matches('.').to_string();
    match e.chain().find_map(|c| c.downcast_ref::<AwsError>()).and_then(AwsError::hint) {
        Some(hint) => format!("{text}. Hint: {hint}"),
        None => text,
    }
}

/// The class of an error made by [`err`], if it is one.
pub fn class(e: &anyhow::Error) -> Option<Class> {
    e.downcast_ref::<AwsError>().map(|a| a.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_exactly() {
        assert_eq!(classify("TargetGroupNotFound"), NotFound);
        assert_eq!(classify("InvalidGroup.Duplicate"), AlreadyExists);
        assert_eq!(classify("WAFOptimisticLockException"), Conflict);
        assert_eq!(classify("ExpiredToken"), BadCredentials);
        assert_eq!(classify("Throttling"), Throttled);
        // No guessing from words in a code.
        assert_eq!(classify("SomethingNotFoundLike"), Other);
    }

    #[test]
    fn one_line_with_code_and_request_id() {
        let e = AwsError {
            doing: "creating target group shop-api".into(),
            class: AlreadyExists,
            code: Some("DuplicateTargetGroupName".into()),
            message: Some("A target group with\nthe same name exists".into()),
            request_id: Some("abc-123".into()),
        };
        assert_eq!(
            e.to_string(),
            "creating target group shop-api: DuplicateTargetGroupName: A target group with the same name exists (request id abc-123)"
        );
    }
}
