//! Shared helpers: the embedded emulator, started once per test run when none is running.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn lbstack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lbstack"));
    cmd.current_dir(repo_root()).env("NO_COLOR", "1");
    cmd
}

/// The endpoint the AWS tests talk to. `LBSTACK_TEST_ENDPOINT` points them at an emulator the
/// user already runs (LocalStack, say); otherwise the embedded moto server is started on
/// 127.0.0.1:$EMU_PORT (default 4566) unless it already answers there.
pub fn emulator_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("LBSTACK_TEST_ENDPOINT") {
            return url;
        }
        let port = std::env::var("EMU_PORT").unwrap_or_else(|_| "4566".into());
        let status = Command::new("bash")
            .arg(repo_root().join("localstack/emulator.sh"))
            .arg("start")
            .env("EMU_PORT", &port)
            .status()
            .expect("run localstack/emulator.sh");
        assert!(status.success(), "the embedded emulator did not start; see .venv/emulator/moto-{port}.log");
        format!("http://127.0.0.1:{port}")
    })
}

/// lbstack's own AWS configuration, pointed at the emulator with dummy credentials.
pub async fn emulator_config() -> aws_config::SdkConfig {
    // SAFETY: tests set the same constant values from any thread; nothing reads them concurrently
    // in a way that depends on a half-written value.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    }
    let opts = lbstack::live::AwsOptions {
        endpoint_url: Some(emulator_endpoint().to_string()),
        region: Some("us-east-1".into()),
        profile: None,
    };
    lbstack::live::sdk_config(&opts).await
}
