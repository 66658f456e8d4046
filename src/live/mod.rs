//! Reading AWS: one SdkConfig for every client, honouring the default credential chain,
//! profiles, region and `AWS_ENDPOINT_URL` (LocalStack, the embedded emulator, any endpoint).

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Connection settings from flags; unset fields fall back to the SDK's own environment lookup.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

pub async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Adaptive retry: the SDK backs off on throttling and retries 5xx on its own.
        .retry_config(RetryConfig::adaptive().with_max_attempts(8));
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

/// The AWS clients lbstack uses, all built from one config. Clients are cheap to clone.
#[derive(Clone, Debug)]
pub struct Clients {
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub ec2: aws_sdk_ec2::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Clients { elbv2: aws_sdk_elasticloadbalancingv2::Client::new(config), ec2: aws_sdk_ec2::Client::new(config) }
    }
}
