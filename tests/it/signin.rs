//! Signing in as organisations do, resolved by lbstack through the SDK's config chain from fake
//! profiles: a credential process, IAM Identity Center (SSO) with a cached token, a role assumed
//! from a source profile, and web identity (OIDC in CI). The fault proxy in front of the emulator
//! records the access key of every call, so each test checks that the credentials the chain
//! produced are the ones AWS saw.

use crate::faults::{FaultProxy, pass};
use crate::support::{emulator_endpoint, lbstack, output_text, unique};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A home folder with an AWS config file, and a one-target-group stack.
fn home(config: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("lbstack-{}", unique("signin")));
    std::fs::create_dir_all(dir.join(".aws")).unwrap();
    std::fs::write(dir.join(".aws/config"), config).unwrap();
    let stack = dir.join("stack.yaml");
    std::fs::write(
        &stack,
        format!("version: 1\nstack: {}\ntarget_groups:\n  app: {{protocol: HTTP, port: 8080}}\n", unique("signin")),
    )
    .unwrap();
    (dir, stack)
}

/// `lbstack plan` as a user signed in through `profile` (none: the environment alone).
fn plan_as(
    dir: &Path,
    stack: &Path,
    proxy: &FaultProxy,
    profile: Option<&str>,
    env: &[(&str, String)],
) -> std::process::Output {
    let mut cmd = lbstack();
    cmd.args(["plan", stack.to_str().unwrap()])
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join(".aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join(".aws/credentials"))
        .env("LBSTACK_ENDPOINT_URL", &proxy.url)
        .env("AWS_ENDPOINT_URL_STS", &proxy.url)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .stdin(std::process::Stdio::null());
    if let Some(p) = profile {
        cmd.args(["--profile", p]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Access keys of the load balancing calls the proxy saw.
fn elb_keys(proxy: &FaultProxy) -> Vec<String> {
    proxy.log().into_iter().filter(|c| c.operation.starts_with("Describe")).map(|c| c.access_key).collect()
}

#[tokio::test]
async fn a_credential_process_signs_the_calls() {
    let proxy = FaultProxy::start(emulator_endpoint(), pass()).await;
    let (dir, stack) = home("");
    let script = dir.join("creds.sh");
    std::fs::write(&script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"process-secret\"}'\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(dir.join(".aws/config"), format!("[profile proc]\ncredential_process = {}\n", script.display()))
        .unwrap();
    let o = tokio::task::spawn_blocking(move || plan_as(&dir, &stack, &proxy, Some("proc"), &[]).and_proxy(proxy))
        .await
        .unwrap();
    let (o, proxy) = o;
    assert!(o.status.success(), "{}", output_text(&o));
    let keys = elb_keys(&proxy);
    assert!(!keys.is_empty() && keys.iter().all(|k| k == "AKIDPROCESS"), "{keys:?}");
}

/// IAM Identity Center: an `sso-session` profile whose token `aws sso login` cached; the portal
/// (a fake here, at AWS_ENDPOINT_URL_SSO) trades it for role credentials.
#[tokio::test]
async fn an_sso_profile_signs_the_calls() {
    let proxy = FaultProxy::start(emulator_endpoint(), pass()).await;
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let portal = sso_portal(asked.clone()).await;
    let (dir, stack) = home(
        "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Deployer\nregion = us-east-1\n\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n",
    );
    // The cache file is named by the SHA-1 of the session name (as the AWS CLI writes it).
    std::fs::create_dir_all(dir.join(".aws/sso/cache")).unwrap();
    let token = "{\"accessToken\": \"cached-sso-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\", \"region\": \"us-east-1\", \"startUrl\": \"https://corp.awsapps.com/start\"}";
    std::fs::write(dir.join(".aws/sso/cache").join(format!("{}.json", sha1_hex(b"corp"))), token).unwrap();
    let (o, proxy) = tokio::task::spawn_blocking(move || {
        plan_as(&dir, &stack, &proxy, Some("corp"), &[("AWS_ENDPOINT_URL_SSO", portal)]).and_proxy(proxy)
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    assert_eq!(asked.lock().unwrap().as_slice(), ["role_name=Deployer&account_id=111122223333 cached-sso-token"]);
    let keys = elb_keys(&proxy);
    assert!(!keys.is_empty() && keys.iter().all(|k| k == "AKIDSSO"), "{keys:?}");
}

#[tokio::test]
async fn a_role_assumed_from_a_source_profile_signs_the_calls() {
    let proxy = FaultProxy::start(emulator_endpoint(), pass()).await;
    let (dir, stack) = home(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\nrole_session_name = lbstack-test\n\n[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let (o, proxy) =
        tokio::task::spawn_blocking(move || plan_as(&dir, &stack, &proxy, Some("deploy"), &[]).and_proxy(proxy))
            .await
            .unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    let log = proxy.log();
    assert!(log.iter().any(|c| c.operation == "AssumeRole" && c.access_key == "AKIDBASE"), "{log:?}");
    let keys = elb_keys(&proxy);
    assert!(
        !keys.is_empty() && keys.iter().all(|k| !k.is_empty() && k != "AKIDBASE"),
        "calls use the role's keys: {keys:?}"
    );
}

/// CI with OIDC (GitHub Actions' configure-aws-credentials, EKS service accounts): a web
/// identity token file and a role, from the environment alone.
#[tokio::test]
async fn web_identity_signs_the_calls() {
    let proxy = FaultProxy::start(emulator_endpoint(), pass()).await;
    let (dir, stack) = home("");
    let token_file = dir.join("oidc-token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmxic3RhY2sifQ.c2lnbmF0dXJl").unwrap();
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.display().to_string()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci".to_string()),
        ("AWS_ROLE_SESSION_NAME", "lbstack-ci".to_string()),
    ];
    let (o, proxy) =
        tokio::task::spawn_blocking(move || plan_as(&dir, &stack, &proxy, None, &env).and_proxy(proxy)).await.unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    let log = proxy.log();
    assert!(log.iter().any(|c| c.operation == "AssumeRoleWithWebIdentity"), "{log:?}");
    let keys = elb_keys(&proxy);
    assert!(!keys.is_empty() && keys.iter().all(|k| !k.is_empty()), "{keys:?}");
}

trait AndProxy: Sized {
    fn and_proxy(self, proxy: FaultProxy) -> (Self, FaultProxy) {
        (self, proxy)
    }
}
impl AndProxy for std::process::Output {}

/// A fake IAM Identity Center portal: GetRoleCredentials (`GET /federation/credentials`) answers
/// fixed role credentials and records the query and bearer token it was given.
async fn sso_portal(asked: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let asked = asked.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let asked = asked.clone();
                    async move {
                        let token = req
                            .headers()
                            .get("x-amz-sso_bearer_token")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        asked.lock().unwrap().push(format!("{} {token}", req.uri().query().unwrap_or_default()));
                        let body = "{\"roleCredentials\": {\"accessKeyId\": \"AKIDSSO\", \"secretAccessKey\": \"sso-secret\", \"sessionToken\": \"sso-session\", \"expiration\": 4102444800000}}";
                        Ok::<_, std::convert::Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    url
}

/// SHA-1, for the SSO cache file name (small enough to keep out of the dependencies).
fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64) * 8;
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha1_matches_the_standard_vector() {
    assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

/// A profile name with a typo is named, with the closest profile, before any call to AWS.
#[test]
fn a_missing_profile_is_named() {
    let (dir, stack) = home("[profile production]\nregion = eu-west-1\n");
    let o = lbstack()
        .args(["plan", stack.to_str().unwrap(), "--profile", "prodution"])
        .env("HOME", &dir)
        .env("AWS_CONFIG_FILE", dir.join(".aws/config"))
        .env("LBSTACK_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the AWS profile `prodution` is not in the AWS config files (did you mean `production`)"),
        "{err}"
    );
}
