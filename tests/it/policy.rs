//! `lbstack policy`: every AWS action a plan and an apply of a large stack call is in the policy
//! printed for that stack, and the plan's policy holds no write.

use crate::support::{apply_converges, clients, destroy_converges, load, unique};
use lbstack::policy::{PolicyFor, allows, document, iam_prefix};

/// `prefix:Name` of every call recorded, STS's identity check aside (it needs no permission).
fn actions(c: &lbstack::live::Clients) -> Vec<String> {
    let mut out: Vec<String> = c
        .calls
        .records()
        .iter()
        .filter_map(|r| {
            let (service, name) = r.operation.rsplit_once('.')?;
            let prefix = iam_prefix(service).unwrap_or_else(|| panic!("no IAM prefix for the SDK service `{service}`"));
            (prefix != "sts").then(|| format!("{prefix}:{name}"))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn the_policy_covers_every_call_of_plan_and_apply() {
    let name = unique("iam");
    let read = |f: &str| {
        std::fs::read_to_string(crate::support::repo_root().join("tests/fixtures/valid").join(f))
            .unwrap()
            .replace("stack: sink", &format!("stack: {name}"))
    };
    let s = load(&read("kitchen-sink.yaml"));
    let planning = clients().await;
    lbstack::ops::plan(&planning, &s, false).await.unwrap();
    let plan_policy = document(&s, PolicyFor::Plan);
    for action in actions(&planning) {
        assert!(allows(&plan_policy, &action), "plan calls {action}, which the plan policy lacks");
    }
    let c = clients().await;
    apply_converges(&c, &s).await;
    apply_converges(&c, &load(&read("kitchen-sink-changed.yaml"))).await;
    destroy_converges(&c, &s).await;
    let apply_policy = document(&s, PolicyFor::Apply);
    let called = actions(&c);
    assert!(called.len() > 40, "a broad sample: {called:?}");
    for action in called {
        assert!(allows(&apply_policy, &action), "apply calls {action}, which the apply policy lacks");
    }
}
