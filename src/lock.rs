//! One apply or destroy of a stack at a time, without a state file.
//!
//! The lock is the SSM parameter `/lbstack/locks/<stack>`, created with `Overwrite=false`: AWS
//! creates it for exactly one caller and answers every other with ParameterAlreadyExists, so two
//! runs on two machines cannot both take it. It needs nothing set up beforehand (no table, no
//! bucket), lives in the account and region of the resources it guards, and costs nothing in the
//! standard tier. Its value says who holds it, where, since when and doing what, so a refused run
//! can name the holder. A crashed holder's lock is removed with `--break-lock`.
//!
//! IAM: `ssm:PutParameter`, `ssm:GetParameter` and `ssm:DeleteParameter` on
//! `arn:aws:ssm:*:*:parameter/lbstack/locks/*`.

use crate::aws_error::err;
use crate::aws_error::{Class, class_of};
use crate::live::Clients;
use serde::{Deserialize, Serialize};

/// Who holds a lock: the run's actor (`$LBSTACK_ACTOR`, the CI's actor, or user@host), host,
/// process, start time and operation. `token` tells this run's lock from another's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub who: String,
    pub host: String,
    pub pid: u32,
    pub since: String,
    pub operation: String,
    pub token: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}) on {}, process {}, since {}", self.who, self.operation, self.host, self.pid, self.since)
    }
}

/// Another run holds the stack's lock.
#[derive(Debug)]
pub struct Locked {
    pub stack: String,
    pub holder: Option<Holder>,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.holder {
            Some(h) => write!(f, "stack `{}` is locked by {h}", self.stack),
            None => write!(f, "stack `{}` is locked by another run", self.stack),
        }
    }
}

impl std::error::Error for Locked {}

pub fn parameter_name(stack: &str) -> String {
    format!("/lbstack/locks/{stack}")
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The held lock; `release` it on every way out.
#[derive(Debug)]
pub struct Lock {
    clients: Clients,
    stack: String,
    token: String,
}

/// Whether a holder is a process of this machine that no longer runs (killed, crashed): its lock
/// is stale and can be taken over without asking. Holders on other machines cannot be checked.
fn gone_from_this_host(h: &Holder) -> bool {
    h.host == host()
        && h.pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{}", h.pid)).exists()
}

/// Take the stack's lock, or fail with `Locked` naming the holder. A lock left by a process of
/// this machine that is gone (killed in the middle of an apply) is taken over, with a note.
pub async fn acquire(clients: &Clients, stack: &str, operation: &str) -> anyhow::Result<Lock> {
    match try_acquire(clients, stack, operation).await {
        Err(e) if e.downcast_ref::<Locked>().and_then(|l| l.holder.as_ref()).is_some_and(gone_from_this_host) => {
            let held = holder(clients, stack).await?;
            if let Some(h) = held.filter(gone_from_this_host) {
                eprintln!("note: the lock of stack `{stack}` was held by {h}, which no longer runs: taking it over");
                delete(clients, stack).await?;
            }
            try_acquire(clients, stack, operation).await
        }
        other => other,
    }
}

async fn try_acquire(clients: &Clients, stack: &str, operation: &str) -> anyhow::Result<Lock> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let token = crate::ownership::names::hash7(&format!("{nanos}|{}|{stack}", std::process::id()));
    let me = Holder {
        who: actor(),
        host: host(),
        pid: std::process::id(),
        since: now(),
        operation: operation.to_string(),
        token: token.clone(),
    };
    let value = serde_json::to_string(&me).expect("holder serializes");
    let sent = clients
        .ssm
        .put_parameter()
        .name(parameter_name(stack))
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(false)
        .description("lbstack: a run holds this stack's apply lock")
        .send()
        .await;
    match sent {
        Ok(_) => Ok(Lock { clients: clients.clone(), stack: stack.to_string(), token }),
        Err(e) if class_of(&e) == Class::AlreadyExists => {
            let holder = holder(clients, stack).await?;
            // The SDK retried a put whose answer was lost: the lock it found is this run's.
            if holder.as_ref().is_some_and(|h| h.token == token) {
                return Ok(Lock { clients: clients.clone(), stack: stack.to_string(), token });
            }
            Err(anyhow::Error::new(Locked { stack: stack.to_string(), holder }))
        }
        Err(e) => Err(err(&format!("taking the lock of stack `{stack}` (SSM parameter {})", parameter_name(stack)), e)),
    }
}

/// Who holds the stack's lock, if anyone.
pub async fn holder(clients: &Clients, stack: &str) -> anyhow::Result<Option<Holder>> {
    match clients.ssm.get_parameter().name(parameter_name(stack)).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).and_then(|v| serde_json::from_str(v).ok())),
        Err(e) if class_of(&e) == Class::NotFound => Ok(None),
        Err(e) => Err(err("reading the stack's lock", e)),
    }
}

/// Remove the lock whoever holds it (a crashed run's); returns who held it.
pub async fn break_lock(clients: &Clients, stack: &str) -> anyhow::Result<Option<Holder>> {
    let held = holder(clients, stack).await?;
    delete(clients, stack).await?;
    Ok(held)
}

async fn delete(clients: &Clients, stack: &str) -> anyhow::Result<()> {
    match clients.ssm.delete_parameter().name(parameter_name(stack)).send().await {
        Err(e) if class_of(&e) != Class::NotFound => Err(err("removing the stack's lock", e)),
        _ => Ok(()),
    }
}

/// A step panicked while the lock was held: the message, for the one line the user sees.
#[derive(Debug)]
pub struct Panicked(pub String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lbstack stopped on an internal error: {}", self.0)
    }
}

impl Lock {
    /// Run `work` holding the lock, then release it, on every way out: finished, failed or
    /// panicked (a panic is caught and returned, so the lock never outlives the run).
    pub async fn around<T>(
        self,
        work: impl std::future::Future<Output = T>,
    ) -> (Result<T, Panicked>, anyhow::Result<()>) {
        use futures_util::FutureExt;
        let outcome = std::panic::AssertUnwindSafe(work).catch_unwind().await.map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a step panicked".into());
            Panicked(message)
        });
        (outcome, self.release().await)
    }

    /// Give the lock up, unless someone broke it and another run holds it now.
    pub async fn release(self) -> anyhow::Result<()> {
        match holder(&self.clients, &self.stack).await? {
            Some(h) if h.token == self.token => delete(&self.clients, &self.stack).await,
            _ => Ok(()),
        }
    }
}

/// Who runs lbstack, as the lock and the swap history record it: `$LBSTACK_ACTOR`, else the
/// CI's actor, else user@host.
pub fn actor() -> String {
    // One short token: it goes into a TXT string of at most 255 characters.
    let clean = |s: String| {
        s.chars().map(|c| if c.is_whitespace() || c == '"' || c == '=' { '_' } else { c }).take(48).collect::<String>()
    };
    if let Ok(a) = std::env::var("LBSTACK_ACTOR") {
        return clean(a);
    }
    if let Ok(a) = std::env::var("GITHUB_ACTOR") {
        return clean(format!("github:{a}"));
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host =
        std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "localhost".into());
    clean(format!("{user}@{host}"))
}
