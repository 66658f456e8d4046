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

/// `lbstack` pointed at the emulator with dummy credentials, as a user in CI runs it.
pub fn lbstack_aws(cmd: &mut Command) -> &mut Command {
    cmd.env("LBSTACK_ENDPOINT_URL", emulator_endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("LBSTACK_ACTOR", "tester")
        .env_remove("AWS_PROFILE")
        .stdin(std::process::Stdio::null())
}

pub fn run_aws(args: &[&str]) -> std::process::Output {
    lbstack_aws(&mut lbstack()).args(args).output().expect("run lbstack")
}

/// stdout then stderr, for assertions and failure messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
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
        // The embedded emulator runs AWS's clock fast (EMU_TIME_SCALE, 0.01 unless set): lbstack
        // waits on the same clock, in this process and in the ones it starts.
        let scale = std::env::var("EMU_TIME_SCALE").unwrap_or_else(|_| "0.01".into());
        // SAFETY: set once, before any AWS client of the tests reads it (clock::scale reads it on
        // first use, after this initialiser ran).
        unsafe { std::env::set_var("LBSTACK_TIME_SCALE", scale) };
        start_emulator(std::env::var("EMU_PORT").unwrap_or_else(|_| "4566".into()))
    })
}

/// A second embedded emulator (port EMU_PORT+1) for the heaviest test, so it does not queue
/// behind every other test on the first (moto serves on one core). The user's own emulator
/// (`LBSTACK_TEST_ENDPOINT`) serves both.
pub fn spare_emulator_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("LBSTACK_TEST_ENDPOINT") {
            return url;
        }
        let _ = emulator_endpoint(); // the clock settings, and the first emulator's port
        let port: u16 = std::env::var("EMU_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(4566);
        start_emulator((port + 1).to_string())
    })
}

/// A third embedded emulator (port EMU_PORT+2) for tests that switch a mode of the whole server
/// (small pages), which would slow or disturb every other test on a shared one. None when the tests
/// run against the user's own emulator, which has no such modes.
pub fn own_emulator_endpoint() -> Option<&'static str> {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    if std::env::var_os("LBSTACK_TEST_ENDPOINT").is_some() {
        return None;
    }
    Some(ENDPOINT.get_or_init(|| {
        let _ = emulator_endpoint();
        let port: u16 = std::env::var("EMU_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(4566);
        start_emulator((port + 2).to_string())
    }))
}

/// A request to the embedded emulator's control endpoints (`/_emulator/...`): the answer's body.
pub fn emulator_control(endpoint: &str, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"), "{method} {path}: {head}");
    body.to_string()
}

fn start_emulator(port: String) -> String {
    let status = Command::new("bash")
        .arg(repo_root().join("localstack/emulator.sh"))
        .arg("start")
        .env("EMU_PORT", &port)
        .status()
        .expect("run localstack/emulator.sh");
    assert!(status.success(), "the embedded emulator did not start; see .venv/emulator/moto-{port}.log");
    format!("http://127.0.0.1:{port}")
}

/// lbstack's clients pointed at an emulator.
pub async fn clients_at(endpoint: &str) -> lbstack::live::Clients {
    let _ = emulator_config().await; // sets the dummy credentials
    let opts = lbstack::live::AwsOptions {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        profile: None,
    };
    lbstack::live::Clients::new(&lbstack::live::sdk_config(&opts).await)
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

/// A stack name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{:05x}", (nanos ^ (std::process::id() << 8) ^ (n << 20)) & 0xfffff)
}

pub async fn clients() -> lbstack::live::Clients {
    lbstack::live::Clients::new(&emulator_config().await)
}

/// A stack from text, as if its file were in the temporary folder (where tests write user data).
pub fn load(yaml: &str) -> lbstack::stack_format::Stack {
    let loaded = lbstack::stack_format::load_str("test.yaml", yaml, Some(&std::env::temp_dir()), &[]);
    assert!(!loaded.report.has_errors(), "{}", loaded.report.render_short());
    loaded.stack.expect("the stack loads")
}

pub async fn plan(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) -> lbstack::plan::Plan {
    lbstack::ops::plan(c, s, false).await.expect("plan").plan
}

/// Plan, apply, and check the stack converged: a second plan has no changes.
pub async fn apply_converges(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) -> lbstack::plan::Plan {
    apply_mode(c, s, false).await
}

pub async fn destroy_converges(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) -> lbstack::plan::Plan {
    apply_mode(c, s, true).await
}

async fn apply_mode(
    c: &lbstack::live::Clients,
    s: &lbstack::stack_format::Stack,
    destroy: bool,
) -> lbstack::plan::Plan {
    let planned = lbstack::ops::plan(c, s, destroy).await.expect("plan");
    let before = c.calls.records().len();
    let outcome = lbstack::ops::apply(c, s, &planned.plan, 4, |_| {}).await;
    assert!(!outcome.failed(), "apply failed: {:#?}", outcome.steps);
    audit(&planned.plan, &c.calls.records()[before..]);
    let again = lbstack::ops::plan(c, s, destroy).await.expect("re-plan");
    assert!(
        !again.plan.has_changes(),
        "the re-plan is not empty:\n{}",
        lbstack::plan::render::human(&again.plan, false)
    );
    planned.plan
}

/// The plan is the contract: every write call apply made belongs to a change the plan showed
/// (by the address of the step that made it), and every tag it removed was shown as removed.
pub fn audit(plan: &lbstack::plan::Plan, calls: &[lbstack::live::CallRecord]) {
    for call in calls.iter().filter(|c| c.is_write()) {
        let step = call.step.as_deref().unwrap_or_else(|| panic!("{} was made outside any apply step", call.operation));
        if step == lbstack::ops::OUTPUTS_STEP {
            assert!(!plan.outputs.is_empty(), "{} published outputs the plan did not change", call.operation);
            continue;
        }
        let change = plan
            .changes
            .iter()
            .find(|c| c.address.to_string() == step)
            .unwrap_or_else(|| panic!("{} by {step}, which the plan does not hold", call.operation));
        assert_ne!(
            change.action,
            lbstack::plan::Action::NoOp,
            "{} by {step}, which the plan showed unchanged",
            call.operation
        );
        for key in &call.removed_tags {
            let shown = change.diffs.iter().any(|d| d.path == format!("tags.{key}") && d.after.is_none());
            assert!(shown, "{} removed tag `{key}` of {step}, which the plan did not show as removed", call.operation);
        }
    }
}

pub fn actions(p: &lbstack::plan::Plan) -> Vec<(String, lbstack::plan::Action)> {
    p.changes
        .iter()
        .filter(|c| c.action != lbstack::plan::Action::NoOp)
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

/// A throwaway self-signed certificate and key (PEM), made with openssl.
pub fn self_signed(domain: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("lbstack-cert-{}-{domain}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj"])
        .arg(format!("/CN={domain}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    (std::fs::read_to_string(cert).unwrap(), std::fs::read_to_string(key).unwrap())
}

/// A regional WAF IP set made outside lbstack (192.0.2.0/24); its summary (id, ARN, lock token).
pub async fn foreign_ip_set(c: &lbstack::live::Clients, name: &str) -> aws_sdk_wafv2::types::IpSetSummary {
    use aws_sdk_wafv2::types::{IpAddressVersion, Scope};
    let out = c
        .wafv2
        .create_ip_set()
        .name(name)
        .scope(Scope::Regional)
        .ip_address_version(IpAddressVersion::Ipv4)
        .addresses("192.0.2.0/24")
        .send()
        .await;
    out.expect("CreateIPSet").summary().cloned().expect("an IP set summary")
}

/// Import a self-signed certificate into the emulator's ACM; returns its ARN.
pub async fn imported_certificate(c: &lbstack::live::Clients, domain: &str) -> String {
    let (cert, key) = self_signed(domain);
    let out = c
        .acm
        .import_certificate()
        .certificate(aws_sdk_acm::primitives::Blob::new(cert.into_bytes()))
        .private_key(aws_sdk_acm::primitives::Blob::new(key.into_bytes()))
        .send()
        .await
        .expect("ImportCertificate");
    out.certificate_arn().unwrap().to_string()
}

/// Tests that apply the reference stack use the fixed names `shop-blue` and `shop-green`: they
/// take this lock so they never run at the same time, in one process (`cargo test`) or in one
/// process each (nextest): a mutex, then an exclusive lock on a file, released when it closes.
pub async fn reference_stack_lock() -> (tokio::sync::MutexGuard<'static, ()>, std::fs::File) {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let guard = LOCK.lock().await;
    let path = std::env::temp_dir().join("lbstack-tests-reference-stack.lock");
    let file = tokio::task::spawn_blocking(move || {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).expect("lock file");
        // SAFETY: flock on a descriptor this closure owns; the lock lives as long as the file.
        assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0, "locking {}", path.display());
        file
    })
    .await
    .expect("lock task");
    (guard, file)
}

/// Delete a hosted zone a test made, with the records left in it (ACM validation records): plans
/// read every zone of the account, so zones left behind slow every later test down.
pub async fn drop_zone(c: &lbstack::live::Clients, name: &str) {
    let want = format!("{}.", name.trim_end_matches('.'));
    let zones = c.route53.list_hosted_zones_by_name().dns_name(&want).send().await.unwrap();
    let Some(zone) = zones.hosted_zones().iter().find(|z| z.name() == want) else { return };
    let id = zone.id().trim_start_matches("/hostedzone/").to_string();
    let sets = c.route53.list_resource_record_sets().hosted_zone_id(&id).send().await.unwrap();
    let changes: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter(|r| !matches!(r.r#type().as_str(), "NS" | "SOA"))
        .map(|r| {
            aws_sdk_route53::types::Change::builder()
                .action(aws_sdk_route53::types::ChangeAction::Delete)
                .resource_record_set(r.clone())
                .build()
                .unwrap()
        })
        .collect();
    if !changes.is_empty() {
        let batch = aws_sdk_route53::types::ChangeBatch::builder().set_changes(Some(changes)).build().unwrap();
        c.route53.change_resource_record_sets().hosted_zone_id(&id).change_batch(batch).send().await.unwrap();
    }
    c.route53.delete_hosted_zone().id(&id).send().await.unwrap();
}

/// The default VPC's default subnets (one per zone), for resources a test makes outside lbstack.
pub async fn default_subnets(c: &lbstack::live::Clients) -> Vec<String> {
    let out = c
        .ec2
        .describe_subnets()
        .filters(aws_sdk_ec2::types::Filter::builder().name("default-for-az").values("true").build())
        .send()
        .await
        .expect("describe the default subnets");
    out.subnets().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect()
}

/// A call a test makes outside lbstack, retried while AWS is still settling, as lbstack's own
/// steps retry it (a load balancer WAF cannot see yet, a web ACL still propagating, network
/// interfaces of a deleted load balancer holding its security group): errors of `classes` are
/// retried for up to two minutes of AWS's clock.
pub async fn settled<T, E, F, Fut>(what: &str, classes: &'static [lbstack::aws_error::Class], mut call: F) -> T
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<
            Output = Result<
                T,
                aws_smithy_runtime_api::client::result::SdkError<
                    E,
                    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
                >,
            >,
        >,
{
    let attempt = || {
        let fut = call();
        async move { fut.await.map_err(|e| lbstack::aws_error::err(what, e)) }
    };
    lbstack::retry::retry(lbstack::retry::Backoff::LINGER, attempt, lbstack::retry::is(classes))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// The error a call keeps failing with once it no longer fails with one of `classes` (the last
/// refusal after AWS settled), as one line: for a test that expects a second, lasting refusal.
pub async fn settled_error<T, E, F, Fut>(
    what: &str,
    classes: &'static [lbstack::aws_error::Class],
    mut call: F,
) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<
            Output = Result<
                T,
                aws_smithy_runtime_api::client::result::SdkError<
                    E,
                    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
                >,
            >,
        >,
{
    let _ = classes;
    let deadline = std::time::Instant::now() + lbstack::clock::scaled(std::time::Duration::from_secs(600));
    loop {
        match call().await {
            Ok(_) => panic!("{what} succeeded; a lasting refusal was expected"),
            Err(e) => {
                let text = format!("{:#}", lbstack::aws_error::err(what, e));
                if !text.contains("network interfaces") || std::time::Instant::now() > deadline {
                    return text;
                }
            }
        }
        lbstack::clock::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// `lbstack import --stack NAME-copy ARGS` into a fresh folder: the stack it wrote, which must
/// validate without errors.
pub fn imported(name: &str, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("lbstack-import-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("imported.yaml");
    let _ = std::fs::remove_file(&file);
    let copy = format!("{name}-copy");
    let mut all = vec!["import", "--stack", copy.as_str()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", file.to_str().unwrap()]);
    let o = run_aws(&all);
    let written = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{}", output_text(&o)));
    let loaded = lbstack::stack_format::load_file(&file, &[]);
    assert!(!loaded.report.has_errors(), "{}\n{written}", loaded.report.render_short());
    written
}
