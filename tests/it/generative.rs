//! The generative contract test: random valid stacks and the edits users make, applied step by
//! step against the strict emulator. After every step the plan is the contract:
//!
//! - `plan` then `apply` succeed (or the plan is refused for a reason AWS would refuse it for, and
//!   apply then writes nothing);
//! - the write audit holds: every write apply made belongs to a change the plan showed;
//! - the re-plan is empty;
//! - an independent read of the emulator (the SDK, not lbstack's readers) agrees with the stack:
//!   one tagged resource per declared address, none untagged, the declared listeners on each
//!   load balancer;
//! - after `destroy`, nothing owned is left.
//!
//! A failure shrinks to fewer steps and fewer entries, prints the seed and the minimal steps, and
//! writes them to `target/generative/` as a fixture; fixtures copied to
//! `tests/fixtures/generative/` are replayed by `generative_regressions_replay` on every run.
//!
//! `LBSTACK_GENERATIVE_SECONDS` bounds the time (60 by default); `LBSTACK_GENERATIVE_SEED` replays
//! one seed. `bash bench/generative.sh SECONDS` runs it for as long as you like and reports steps
//! per minute and every failure with its seed.

use crate::support::{audit, clients, unique};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ randomness

/// SplitMix64: small, seedable, the same sequence on every platform.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ------------------------------------------------------------------ valid stacks

/// What the generator knows of a stack while it writes one: which keys exist and what they are.
#[derive(Default)]
struct Shape {
    /// Target groups by key: the load-balancer type that forwards to them (one at most: AWS
    /// lets one load balancer use a target group).
    tg_owner: Vec<(String, &'static str)>,
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn section<'a>(stack: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    stack.entry(name.to_string()).or_insert_with(|| json!({})).as_object_mut().expect("a section is a map")
}

fn keys(stack: &Map<String, Value>, name: &str) -> Vec<String> {
    stack.get(name).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

const TG_PROTOCOLS: &[(&str, &[&str])] =
    &[("application", &["HTTP", "HTTPS"]), ("network", &["TCP", "TLS", "UDP", "TCP_UDP"]), ("gateway", &["GENEVE"])];

fn health_check(rng: &mut Rng, protocol: &str) -> Value {
    let mut hc = Map::new();
    let http_group = matches!(protocol, "HTTP" | "HTTPS");
    let check_protocol = if http_group {
        None
    } else if matches!(protocol, "GENEVE" | "UDP" | "TCP_UDP") {
        Some(*rng.pick(&["TCP", "HTTP"]))
    } else {
        Some(*rng.pick(&["TCP", "HTTP", "HTTPS"]))
    };
    if let Some(p) = check_protocol.filter(|_| rng.chance(70)) {
        hc.insert("protocol".into(), json!(p));
    }
    let checks_http = http_group || matches!(hc.get("protocol").and_then(Value::as_str), Some("HTTP" | "HTTPS"));
    if checks_http && rng.chance(70) {
        hc.insert("path".into(), json!(rng.pick(&["/health", "/", "/healthz", "/status/ok"])));
    }
    if checks_http && rng.chance(40) {
        hc.insert("matcher".into(), json!(rng.pick(&["200", "200-299", "200,302"])));
    }
    if rng.chance(50) {
        let interval = *rng.pick(&[10, 15, 30, 60]);
        hc.insert("interval".into(), json!(interval));
        if rng.chance(50) {
            // Shorter than the interval for HTTP groups; up to it for the others.
            let most = if http_group { interval - 1 } else { interval };
            hc.insert("timeout".into(), json!(rng.range(2, most.min(10))));
        }
    }
    if rng.chance(40) {
        hc.insert("healthy_threshold".into(), json!(rng.range(2, 10)));
    }
    if rng.chance(40) {
        hc.insert("unhealthy_threshold".into(), json!(rng.range(2, 10)));
    }
    Value::Object(hc)
}

fn target_group(rng: &mut Rng, owner: &'static str) -> Value {
    let protocols = TG_PROTOCOLS.iter().find(|(t, _)| *t == owner).map(|(_, p)| *p).unwrap_or(&["HTTP"]);
    let protocol = *rng.pick(protocols);
    let port = if protocol == "GENEVE" { 6081 } else { *rng.pick(&[80, 443, 8080, 8443, 9000]) };
    let mut tg = obj(json!({"protocol": protocol, "port": port}));
    if protocol != "GENEVE" && rng.chance(25) {
        tg.insert("target_type".into(), json!("ip"));
    }
    if rng.chance(70) {
        tg.insert("health_check".into(), health_check(rng, protocol));
    }
    if rng.chance(40) {
        tg.insert("deregistration_delay".into(), json!(rng.pick(&[0, 30, 120, 300])));
    }
    if matches!(protocol, "HTTP" | "HTTPS") && rng.chance(25) {
        tg.insert("stickiness".into(), json!({"type": "lb_cookie", "duration": rng.pick(&[60, 3600, 86400])}));
    }
    if matches!(protocol, "TCP" | "UDP" | "TCP_UDP") && rng.chance(20) {
        tg.insert("stickiness".into(), json!({"type": "source_ip"}));
    }
    if matches!(protocol, "HTTP" | "HTTPS") && rng.chance(20) {
        tg.insert("slow_start".into(), json!(rng.pick(&[30, 60, 120])));
    }
    if rng.chance(20) {
        tg.insert("tags".into(), json!({"team": rng.pick(&["web", "payments", "ops"])}));
    }
    Value::Object(tg)
}

fn condition(rng: &mut Rng, rule: &mut Map<String, Value>, n: usize) {
    match rng.below(7) {
        0 => {
            rule.insert("path".into(), json!(format!("/{}{n}/*", rng.pick(&["api", "admin", "static", "v2"]))));
        }
        6 => {
            // Regular expressions (RegexValues) of the host or a header and the path.
            if rng.chance(50) {
                rule.insert(
                    "host_regex".into(),
                    json!(format!("^{}-[0-9]+{n}\\.example\\.com$", rng.pick(&["api", "web"]))),
                );
            } else {
                rule.insert(
                    "header_regex".into(),
                    json!({"x-client": format!("^{}{n}-[a-z]+$", rng.pick(&["beta", "canary"]))}),
                );
                rule.insert("path_regex".into(), json!(format!("^/v[0-9]+/r{n}")));
            }
        }
        1 => {
            rule.insert("host".into(), json!(format!("{}{n}.example.com", rng.pick(&["www", "api", "*"]))));
        }
        2 => {
            rule.insert("header".into(), json!({"X-Env": [format!("{}{n}", rng.pick(&["blue", "green", "canary"]))]}));
        }
        3 => {
            rule.insert("method".into(), json!(if rng.chance(50) { vec!["GET", "HEAD"] } else { vec!["POST"] }));
            rule.insert("path".into(), json!(format!("/m{n}/*")));
        }
        4 => {
            rule.insert("query".into(), json!({"debug": format!("{n}")}));
        }
        _ => {
            rule.insert("source_ip".into(), json!([format!("10.{n}.0.0/16")]));
        }
    }
}

fn action(rng: &mut Rng, rule: &mut Map<String, Value>, mine: &[String], with_redirect: bool) {
    let choice = rng.below(if with_redirect { 5 } else { 4 });
    match choice {
        0 | 1 if !mine.is_empty() => {
            rule.insert("forward".into(), json!(rng.pick(mine)));
        }
        2 if mine.len() >= 2 => {
            rule.insert(
                "forward".into(),
                json!({ mine[0].clone(): rng.range(1, 9) * 10, mine[1].clone(): rng.range(1, 9) * 10 }),
            );
        }
        4 => {
            rule.insert("redirect".into(), json!({"protocol": "HTTPS", "port": 443, "status": rng.pick(&[301, 302])}));
        }
        _ => {
            rule.insert(
                "fixed_response".into(),
                json!({"status": rng.pick(&[200, 404, 503]), "content_type": "text/plain", "body": "generated"}),
            );
        }
    }
}

/// A stack `validate` accepts, with a bit of everything; `certs` are certificate keys whose files
/// the scenario wrote next to the stack.
fn stack(rng: &mut Rng, name: &str, certs: &[String], secret_env: &str, zone: &str) -> Map<String, Value> {
    let mut s = obj(json!({"version": 1, "stack": name}));
    let mut shape = Shape::default();
    if rng.chance(40) {
        s.insert("tags".into(), json!({"env": rng.pick(&["prod", "staging"]), "owner": "generated"}));
    }
    // Security groups, some naming each other.
    let groups: Vec<String> = (0..rng.below(3)).map(|i| format!("sg{i}")).collect();
    for (i, g) in groups.iter().enumerate() {
        let mut rules = vec![json!({"ports": rng.pick(&[80, 443, 8080]), "cidrs": ["10.0.0.0/8"]})];
        if i > 0 && rng.chance(50) {
            rules.push(json!({"ports": "8000-8100", "groups": [groups[i - 1].clone()]}));
        }
        if rng.chance(20) {
            rules.push(json!({"protocol": "icmp", "cidrs": ["192.168.0.0/16"]}));
        }
        section(&mut s, "security_groups")
            .insert(g.clone(), json!({"description": format!("generated {g}"), "ingress": rules}));
    }
    for c in certs {
        section(&mut s, "certificates").insert(
            c.clone(),
            json!({"import": {"certificate": format!("{c}.pem"), "private_key": format!("{c}.key")}}),
        );
    }
    // Load balancers first decide which target groups exist and who forwards to them.
    let lb_count = 1 + rng.below(3);
    for i in 0..lb_count {
        let kind = *rng.pick(&["application", "application", "network", "gateway"]);
        let tg_count = if kind == "gateway" { 1 } else { 1 + rng.below(3) };
        let mine: Vec<String> = (0..tg_count).map(|j| format!("tg{i}{j}")).collect();
        for tg in &mine {
            let body = target_group(rng, kind);
            section(&mut s, "target_groups").insert(tg.clone(), body);
            shape.tg_owner.push((tg.clone(), kind));
        }
        let mut lb = obj(json!({"type": kind}));
        if kind != "gateway" && rng.chance(30) {
            lb.insert("scheme".into(), json!("internal"));
        }
        if kind != "gateway" && !groups.is_empty() && rng.chance(60) {
            lb.insert("security_groups".into(), json!([rng.pick(&groups)]));
        }
        if kind == "application" && rng.chance(30) {
            lb.insert(
                "attributes".into(),
                json!({"idle_timeout": rng.pick(&[30, 60, 120]), "deletion_protection": false}),
            );
        }
        if rng.chance(15) {
            lb.insert("name".into(), json!(format!("{name}-fixed{i}")));
        }
        let mut listeners = Map::new();
        match kind {
            "gateway" => {
                listeners.insert("geneve".into(), json!({"default_action": {"forward": mine[0].clone()}}));
            }
            "network" => {
                for (j, tg) in mine.iter().enumerate() {
                    let tg_protocol = s["target_groups"][tg]["protocol"].as_str().unwrap_or("TCP").to_string();
                    let protocol =
                        if tg_protocol == "TLS" && certs.is_empty() { "TCP".to_string() } else { tg_protocol.clone() };
                    if tg_protocol == "TLS" && protocol != "TLS" {
                        // A TLS target group behind a TCP listener passes TLS through.
                    }
                    let mut l = obj(
                        json!({"port": 1000 + 100 * i + j, "protocol": protocol, "default_action": {"forward": tg}}),
                    );
                    if protocol == "TLS" {
                        l.insert("certificates".into(), json!([certs[0].clone()]));
                    }
                    listeners.insert(format!("l{j}"), Value::Object(l));
                }
            }
            _ => {
                // One HTTP listener; an HTTPS one when a certificate exists.
                let mut http = obj(json!({"port": 80, "protocol": "HTTP"}));
                let mut default = Map::new();
                action(rng, &mut default, &mine, false);
                http.insert("default_action".into(), Value::Object(default));
                let mut rules = Vec::new();
                for n in 0..rng.below(4) {
                    let mut rule = Map::new();
                    condition(rng, &mut rule, n);
                    action(rng, &mut rule, &mine, true);
                    if rng.chance(25) {
                        rule.insert(
                            "rewrite".into(),
                            json!({"url": {"regex": "^/old/(.*)$", "replace": format!("/new{n}/$1")}}),
                        );
                    }
                    rules.push(Value::Object(rule));
                }
                if !rules.is_empty() {
                    http.insert("rules".into(), Value::Array(rules));
                }
                listeners.insert("http".into(), Value::Object(http));
                if !certs.is_empty() && rng.chance(60) {
                    let mut https = obj(json!({"port": 443, "protocol": "HTTPS", "certificates": [certs[0].clone()]}));
                    let mut default = Map::new();
                    action(rng, &mut default, &mine, false);
                    if rng.chance(40) {
                        default.insert(
                            "authenticate".into(),
                            json!({"oidc": {"issuer": "https://idp.example.com", "authorization_endpoint": "https://idp.example.com/auth", "token_endpoint": "https://idp.example.com/token", "user_info_endpoint": "https://idp.example.com/userinfo", "client_id": "lbstack", "client_secret": {"env": secret_env}}}),
                        );
                    }
                    if !default.contains_key("authenticate") && rng.chance(25) {
                        default.insert(
                            "validate_jwt".into(),
                            json!({"issuer": "https://idp.example.com", "jwks_endpoint": "https://idp.example.com/jwks.json", "claims": {"scope": {"format": "space-separated-values", "values": [rng.pick(&["read", "write"])]}}}),
                        );
                    }
                    https.insert("default_action".into(), Value::Object(default));
                    if rng.chance(50) {
                        let mut rule = obj(json!({"path": "/secure/*"}));
                        action(rng, &mut rule, &mine, false);
                        if rng.chance(50) {
                            rule.insert(
                                "authenticate".into(),
                                json!({"oidc": {"issuer": "https://idp.example.com", "authorization_endpoint": "https://idp.example.com/auth", "token_endpoint": "https://idp.example.com/token", "user_info_endpoint": "https://idp.example.com/userinfo", "client_id": "lbstack", "client_secret": {"env": secret_env}}}),
                            );
                        }
                        https.insert("rules".into(), json!([rule]));
                    }
                    listeners.insert("https".into(), Value::Object(https));
                }
            }
        }
        lb.insert("listeners".into(), Value::Object(listeners));
        section(&mut s, "load_balancers").insert(format!("lb{i}"), Value::Object(lb));
    }
    // A target group no load balancer uses, sometimes.
    if rng.chance(20) {
        section(&mut s, "target_groups").insert("spare".into(), json!({"protocol": "HTTP", "port": 8080}));
        shape.tg_owner.push(("spare".into(), "none"));
    }
    // WAF on an application load balancer.
    let albs: Vec<String> =
        keys(&s, "load_balancers").into_iter().filter(|k| s["load_balancers"][k]["type"] == "application").collect();
    if !albs.is_empty() && rng.chance(35) {
        section(&mut s, "ip_sets").insert("blocked".into(), json!({"addresses": ["203.0.113.0/24"]}));
        let mut rules = vec![json!({"name": "blocklist", "ip_set": "blocked"})];
        if rng.chance(50) {
            rules.push(json!({"name": "limit", "rate_limit": {"limit": rng.pick(&[100, 2000]), "window": 300}, "action": "block"}));
        }
        section(&mut s, "web_acls").insert("edge".into(), json!({"default_action": "allow", "rules": rules}));
        let lb = albs[0].clone();
        section(&mut s, "load_balancers")[&lb].as_object_mut().unwrap().insert("web_acl".into(), json!("edge"));
    }
    // Groups on instance target groups of application or network load balancers.
    let instance_tgs: Vec<String> = shape
        .tg_owner
        .iter()
        .filter(|(tg, owner)| {
            matches!(*owner, "application" | "network") && s["target_groups"][tg].get("target_type").is_none()
        })
        .map(|(tg, _)| tg.clone())
        .collect();
    for g in 0..rng.below(3) {
        let lt = format!("lt{g}");
        section(&mut s, "launch_templates").insert(
            lt.clone(),
            json!({"image": {"name": "al2023-ami-2023.*-x86_64", "owner": "amazon"}, "instance_type": rng.pick(&["t3.micro", "t3.small", "c6i.large"])}),
        );
        let min = rng.range(0, 2);
        let mut group = obj(json!({"min": min, "max": min + rng.range(1, 4), "launch_template": lt}));
        let free: Vec<String> = instance_tgs
            .iter()
            .filter(|tg| {
                !s.get("autoscaling_groups").and_then(Value::as_object).is_some_and(|gs| {
                    gs.values().any(|x| x["target_groups"].as_array().is_some_and(|a| a.contains(&json!(tg))))
                })
            })
            .cloned()
            .collect();
        if !free.is_empty() && rng.chance(60) {
            group.insert("target_groups".into(), json!([rng.pick(&free)]));
        }
        // Spot capacity or a warm pool (AWS takes a warm pool only on an On-Demand group), and hooks.
        match rng.below(4) {
            0 => {
                let split = json!({
                    "types": ["t3.micro", "t3a.micro", "t3.small"],
                    "on_demand_base": rng.range(0, 2),
                    "on_demand_percentage": rng.pick(&[0, 25, 50, 100]),
                    "spot_strategy": rng.pick(&["price-capacity-optimized", "lowest-price", "capacity-optimized"]),
                });
                group.insert("mixed_instances".into(), split);
            }
            1 => {
                let pool =
                    json!({"min_size": rng.range(0, 2), "state": rng.pick(&["stopped", "hibernated", "running"])});
                group.insert("warm_pool".into(), pool);
            }
            _ => {}
        }
        if rng.chance(30) {
            let hooks = json!({"drain": {"transition": "terminate", "heartbeat": rng.pick(&[60, 300]), "default_result": "continue"}});
            group.insert("lifecycle_hooks".into(), hooks);
        }
        section(&mut s, "autoscaling_groups").insert(format!("asg{g}"), Value::Object(group));
        let gname = format!("asg{g}");
        match rng.below(4) {
            0 => {
                section(&mut s, "scaling_policies").insert(
                    format!("{gname}-cpu"),
                    json!({"group": gname, "target_tracking": {"metric": "cpu", "target": rng.pick(&[40, 50, 70])}}),
                );
            }
            1 => {
                section(&mut s, "scaling_policies").insert(
                    format!("{gname}-out"),
                    json!({"group": gname, "step": {"adjustment_type": "change_in_capacity", "steps": [{"lower": 0, "upper": 20, "adjust": 1}, {"lower": 20, "adjust": 2}]}}),
                );
                section(&mut s, "alarms").insert(
                    format!("{gname}-high"),
                    json!({"metric": "CPUUtilization", "dimensions": {"autoscaling_group": gname}, "period": 60, "evaluation_periods": 3, "threshold": 70, "comparison": ">", "actions": [format!("{gname}-out")]}),
                );
            }
            2 => {
                section(&mut s, "scaling_policies")
                    .insert(format!("{gname}-in"), json!({"group": gname, "simple": {"adjust": -1, "cooldown": 300}}));
                section(&mut s, "alarms").insert(
                    format!("{gname}-low"),
                    json!({"metric": "CPUUtilization", "dimensions": {"autoscaling_group": gname}, "period": 300, "evaluation_periods": 3, "threshold": 30, "comparison": "<", "actions": [format!("{gname}-in")]}),
                );
            }
            _ => {
                section(&mut s, "scaling_policies").insert(
                    format!("{gname}-fc"),
                    json!({"group": gname, "predictive": {"metric": "cpu", "target": 50, "mode": "forecast_only"}}),
                );
            }
        }
        if rng.chance(40) {
            section(&mut s, "scheduled_actions").insert(
                format!("{gname}-morning"),
                json!({"group": gname, "recurrence": "0 8 * * MON-FRI", "time_zone": "Europe/Paris", "min": min + 1}),
            );
        }
    }
    // An alarm on a load balancer, a topic for it, a record and outputs.
    let lbs = keys(&s, "load_balancers");
    let alb = albs.first().cloned();
    if let Some(alb) = &alb
        && rng.chance(40)
    {
        let mut alarm = obj(
            json!({"metric": "HTTPCode_Target_5XX_Count", "dimensions": {"load_balancer": alb}, "statistic": "Sum", "period": 60, "evaluation_periods": 5, "threshold": 50, "comparison": ">=", "missing_data": "not_breaching"}),
        );
        if rng.chance(50) {
            section(&mut s, "topics")
                .insert("ops".into(), json!({"subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}]}));
            alarm.insert("actions".into(), json!(["ops"]));
        }
        section(&mut s, "alarms").insert("errors".into(), Value::Object(alarm));
    }
    let internet_facing: Vec<&String> = lbs.iter().filter(|k| s["load_balancers"][*k]["type"] != "gateway").collect();
    if let Some(lb) = internet_facing.first()
        && rng.chance(40)
    {
        section(&mut s, "records").insert(
            "www".into(),
            json!({"zone": zone, "name": format!("www.{zone}"), "type": "CNAME", "target": lb, "ttl": 60}),
        );
    }
    if let Some(lb) = lbs.first()
        && rng.chance(40)
    {
        section(&mut s, "outputs").insert("dns".into(), json!({"value": format!("load_balancer.{lb}.dns_name")}));
    }
    // Given names on a few target groups.
    for (tg, _) in &shape.tg_owner {
        if rng.chance(10) {
            section(&mut s, "target_groups")[tg]
                .as_object_mut()
                .unwrap()
                .insert("name".into(), json!(format!("{name}-{tg}-n")));
        }
    }
    s
}

// ------------------------------------------------------------------ the edits users make

/// One edit of a stack, in place; returns what it did (for the failure report).
fn edit(rng: &mut Rng, s: &mut Map<String, Value>, secret_env: &str) -> String {
    let tgs = keys(s, "target_groups");
    let lbs = keys(s, "load_balancers");
    for _ in 0..20 {
        match rng.below(14) {
            0 if !tgs.is_empty() => {
                let tg = rng.pick(&tgs).clone();
                let t = s["target_groups"][&tg].as_object_mut().unwrap();
                let protocol = t["protocol"].as_str().unwrap_or("HTTP").to_string();
                t.insert("health_check".into(), health_check(rng, &protocol));
                return format!("target group {tg}: a new health check");
            }
            1 if !tgs.is_empty() => {
                let tg = rng.pick(&tgs).clone();
                let t = s["target_groups"][&tg].as_object_mut().unwrap();
                if t["protocol"] == "GENEVE" {
                    continue;
                }
                let port = t["port"].as_i64().unwrap_or(80);
                t.insert("port".into(), json!(if port == 9090 { 9091 } else { 9090 }));
                return format!("target group {tg}: a new port (a replacement)");
            }
            2 if !tgs.is_empty() => {
                let tg = rng.pick(&tgs).clone();
                let t = s["target_groups"][&tg].as_object_mut().unwrap();
                t.insert("deregistration_delay".into(), json!(rng.pick(&[0, 15, 45, 600])));
                return format!("target group {tg}: a new deregistration delay");
            }
            3 if !lbs.is_empty() => {
                let lb = rng.pick(&lbs).clone();
                let l = s["load_balancers"][&lb].as_object_mut().unwrap();
                if l["type"] == "gateway" {
                    continue;
                }
                let internal = l.get("scheme") == Some(&json!("internal"));
                if internal {
                    l.remove("scheme");
                } else {
                    l.insert("scheme".into(), json!("internal"));
                }
                return format!("load balancer {lb}: the other scheme (a replacement)");
            }
            4 if !lbs.is_empty() => {
                // Rules: reordered, a path changed, one added or removed.
                let lb = rng.pick(&lbs).clone();
                let Some(rules) =
                    s["load_balancers"][&lb].pointer_mut("/listeners/http/rules").and_then(Value::as_array_mut)
                else {
                    continue;
                };
                match rng.below(3) {
                    0 if rules.len() >= 2 => {
                        rules.reverse();
                        return format!("load balancer {lb}: rules reordered");
                    }
                    1 if !rules.is_empty() => {
                        let i = rng.below(rules.len());
                        let r = rules[i].as_object_mut().unwrap();
                        r.retain(|k, _| {
                            !matches!(k.as_str(), "path" | "host" | "header" | "method" | "query" | "source_ip")
                        });
                        r.insert("path".into(), json!(format!("/moved{i}/*")));
                        return format!("load balancer {lb}: rule {i}'s condition changed");
                    }
                    _ if !rules.is_empty() => {
                        rules.pop();
                        return format!("load balancer {lb}: a rule removed");
                    }
                    _ => continue,
                }
            }
            5 if !lbs.is_empty() => {
                // Listener ports: moved, or two swapped.
                let lb = rng.pick(&lbs).clone();
                let Some(listeners) = s["load_balancers"][&lb].get_mut("listeners").and_then(Value::as_object_mut)
                else {
                    continue;
                };
                let with_port: Vec<String> =
                    listeners.iter().filter(|(_, l)| l.get("port").is_some()).map(|(k, _)| k.clone()).collect();
                if with_port.len() >= 2 && rng.chance(60) {
                    let (a, b) = (with_port[0].clone(), with_port[1].clone());
                    let pa = listeners[&a]["port"].clone();
                    let pb = listeners[&b]["port"].clone();
                    listeners[&a]["port"] = pb;
                    listeners[&b]["port"] = pa;
                    return format!("load balancer {lb}: listeners {a} and {b} swap ports");
                }
                let Some(k) = with_port.first() else { continue };
                let taken: Vec<i64> = listeners.values().filter_map(|l| l["port"].as_i64()).collect();
                let port = listeners[k]["port"].as_i64().unwrap_or(80);
                let to = (port + 1..).find(|p| !taken.contains(p)).expect("a free port");
                listeners[k]["port"] = json!(to);
                return format!("load balancer {lb}: listener {k} moves to port {to}");
            }
            6 if !lbs.is_empty() => {
                let lb = rng.pick(&lbs).clone();
                let l = s["load_balancers"][&lb].as_object_mut().unwrap();
                if l["type"] != "application" {
                    continue;
                }
                let attrs = l.entry("attributes").or_insert_with(|| json!({})).as_object_mut().unwrap();
                let on = attrs.get("deletion_protection") == Some(&json!(true));
                attrs.insert("deletion_protection".into(), json!(!on));
                return format!("load balancer {lb}: deletion protection {}", if on { "off" } else { "on" });
            }
            7 => {
                // Tags on the stack: added, changed or removed.
                match s.get_mut("tags").and_then(Value::as_object_mut) {
                    Some(t) if rng.chance(50) => {
                        t.remove("owner");
                        t.insert("env".into(), json!(rng.pick(&["dev", "qa"])));
                        return "stack tags changed".into();
                    }
                    Some(_) => {
                        s.remove("tags");
                        return "stack tags removed".into();
                    }
                    None => {
                        s.insert("tags".into(), json!({"env": "prod"}));
                        return "stack tags added".into();
                    }
                }
            }
            8 if !tgs.is_empty() => {
                // Rename a target group nobody forwards to, or drop an unused one.
                let used = |s: &Map<String, Value>, tg: &str| {
                    serde_json::to_string(&s["load_balancers"]).unwrap_or_default().contains(&format!("\"{tg}\""))
                        || serde_json::to_string(s.get("autoscaling_groups").unwrap_or(&Value::Null))
                            .unwrap_or_default()
                            .contains(&format!("\"{tg}\""))
                        || serde_json::to_string(s.get("scaling_policies").unwrap_or(&Value::Null))
                            .unwrap_or_default()
                            .contains(&format!("\"{tg}\""))
                };
                let Some(tg) = tgs.iter().find(|tg| !used(s, tg)).cloned() else {
                    section(s, "target_groups").insert("added".into(), json!({"protocol": "HTTP", "port": 8081}));
                    return "target group added".into();
                };
                let body = section(s, "target_groups").remove(&tg).unwrap();
                if rng.chance(50) {
                    section(s, "target_groups").insert(format!("{tg}r"), body);
                    return format!("target group {tg} renamed {tg}r");
                }
                return format!("target group {tg} removed");
            }
            9 => {
                // The OIDC client secret rotates.
                // SAFETY: only this test reads or writes the variable, from one task at a time.
                unsafe { std::env::set_var(secret_env, format!("rotated-{}", rng.next())) };
                return "the OIDC client secret rotated".into();
            }
            10 if !keys(s, "autoscaling_groups").is_empty() => {
                let groups = keys(s, "autoscaling_groups");
                let g = rng.pick(&groups).clone();
                let group = s["autoscaling_groups"][&g].as_object_mut().unwrap();
                // Spot capacity for a warm pool, or back, in one apply.
                if rng.chance(30) {
                    if group.remove("warm_pool").is_some() {
                        group.insert(
                            "mixed_instances".into(),
                            json!({"types": ["t3.micro", "t3a.micro"], "on_demand_percentage": 50}),
                        );
                        return format!("group {g}: spot capacity for its warm pool");
                    }
                    if group.remove("mixed_instances").is_some() {
                        group.insert("warm_pool".into(), json!({"min_size": 1}));
                        return format!("group {g}: a warm pool for its spot capacity");
                    }
                }
                let max = group["max"].as_i64().unwrap_or(2);
                group.insert("max".into(), json!(max + 1));
                return format!("group {g}: max {}", max + 1);
            }
            11 if !keys(s, "alarms").is_empty() => {
                let alarms = keys(s, "alarms");
                let a = rng.pick(&alarms).clone();
                let alarm = s["alarms"][&a].as_object_mut().unwrap();
                let t = alarm["threshold"].as_f64().unwrap_or(1.0);
                alarm.insert("threshold".into(), json!(t + 5.0));
                return format!("alarm {a}: threshold {}", t + 5.0);
            }
            12 if !tgs.is_empty() => {
                // A fixed name given, or dropped.
                let tg = rng.pick(&tgs).clone();
                let stack = s["stack"].as_str().unwrap_or_default().to_string();
                let t = s["target_groups"][&tg].as_object_mut().unwrap();
                if t.remove("name").is_none() {
                    t.insert("name".into(), json!(format!("{stack}-{tg}-g")));
                    return format!("target group {tg}: a fixed name");
                }
                return format!("target group {tg}: its fixed name dropped");
            }
            13 if !keys(s, "security_groups").is_empty() => {
                let sgs = keys(s, "security_groups");
                let g = rng.pick(&sgs).clone();
                let rules = s["security_groups"][&g]["ingress"].as_array_mut().unwrap();
                if rules.len() > 1 && rng.chance(50) {
                    rules.pop();
                    return format!("security group {g}: a rule removed");
                }
                rules.push(json!({"ports": 9100 + rules.len(), "cidrs": ["172.16.0.0/12"]}));
                return format!("security group {g}: a rule added");
            }
            _ => continue,
        }
    }
    "nothing".into()
}

// ------------------------------------------------------------------ running a scenario

/// One scenario: the stacks of each step (the first is created, the others are edits).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    pub seed: u64,
    pub steps: Vec<Value>,
    pub edits: Vec<String>,
}

struct Env {
    dir: PathBuf,
    secret_env: String,
    zone: String,
}

/// Why a scenario failed: the step and what broke.
#[derive(Debug)]
struct Failure {
    step: usize,
    what: String,
}

fn write_certificates(dir: &Path, certs: &[String], name: &str) {
    for c in certs {
        let (cert, key) = crate::support::self_signed(&format!("{c}.{name}.example.com"));
        std::fs::write(dir.join(format!("{c}.pem")), cert).unwrap();
        std::fs::write(dir.join(format!("{c}.key")), key).unwrap();
    }
}

fn load(env: &Env, s: &Value) -> Result<lbstack::stack_format::Stack, String> {
    let text = lbstack::import::emit::yaml(s.as_object().expect("a stack is a map"));
    let loaded = lbstack::stack_format::load_str("stack.yaml", &text, Some(&env.dir), &[]);
    if loaded.report.has_errors() {
        return Err(format!("the generator wrote a stack validate refuses:\n{}\n{text}", loaded.report.render_short()));
    }
    loaded.stack.ok_or_else(|| "no stack".to_string())
}

/// The reasons a plan may be refused for: what AWS would refuse.
fn expected_refusal(reason: &str) -> bool {
    reason.contains("deletion protection is on") || reason.contains("is fixed (`name:`)")
}

/// The independent read: one tagged resource per declared address of the kinds that carry tags,
/// nothing untagged, no address twice, and each load balancer's declared listener count.
async fn agrees(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack) -> Result<(), String> {
    let items = crate::inventory::of(c, &s.stack).await;
    let clean = std::panic::catch_unwind(|| crate::inventory::assert_clean(&items, &s.stack));
    if clean.is_err() {
        return Err(format!(
            "the emulator holds duplicates or untagged resources: {:?}",
            items.iter().map(|i| (i.kind, &i.name, i.address())).collect::<Vec<_>>()
        ));
    }
    let mut want: Vec<String> = Vec::new();
    for (kind, section) in [
        ("load_balancer", &s.load_balancers.keys().cloned().collect::<Vec<_>>()),
        ("target_group", &s.target_groups.keys().cloned().collect()),
        ("security_group", &s.security_groups.keys().cloned().collect()),
        ("launch_template", &s.launch_templates.keys().cloned().collect()),
        ("autoscaling_group", &s.autoscaling_groups.keys().cloned().collect()),
        ("ip_set", &s.ip_sets.keys().cloned().collect()),
        ("web_acl", &s.web_acls.keys().cloned().collect()),
        ("alarm", &s.alarms.keys().cloned().collect()),
    ] {
        want.extend(section.iter().map(|k| format!("{kind}.{k}")));
    }
    want.sort();
    let kinds = [
        "load_balancer",
        "target_group",
        "security_group",
        "launch_template",
        "autoscaling_group",
        "ip_set",
        "web_acl",
        "alarm",
    ];
    let mut have: Vec<String> =
        items.iter().filter(|i| kinds.contains(&i.kind)).filter_map(|i| i.address().map(str::to_string)).collect();
    have.sort();
    if want != have {
        return Err(format!("the emulator holds {have:?}, the stack declares {want:?}"));
    }
    for (key, lb) in &s.load_balancers {
        // Its name now (a replacement's carries a suffix).
        let address = format!("load_balancer.{key}");
        let name = items
            .iter()
            .find(|i| i.kind == "load_balancer" && i.address() == Some(address.as_str()))
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let listeners =
            items.iter().filter(|i| i.kind == "listener" && i.name.starts_with(&format!("{name}:"))).count();
        if listeners != lb.listeners.len() {
            return Err(format!(
                "load balancer {key} has {listeners} listeners, the stack declares {}",
                lb.listeners.len()
            ));
        }
    }
    Ok(())
}

/// Plan, apply, audit, re-plan and read independently: one step of a scenario.
async fn step(c: &lbstack::live::Clients, s: &lbstack::stack_format::Stack, destroy: bool) -> Result<bool, String> {
    let planned = lbstack::ops::plan(c, s, destroy).await.map_err(|e| format!("plan: {e:#}"))?;
    if !planned.plan.applyable() {
        if let Some(bad) = planned.plan.conflicts.iter().find(|x| !expected_refusal(&x.reason)) {
            return Err(format!(
                "the plan was refused for a reason AWS would not give: {}: {}",
                bad.address, bad.reason
            ));
        }
        let before = c.calls.records().len();
        let outcome = lbstack::ops::apply(c, s, &planned.plan, 4, |_| {}).await;
        if !outcome.failed() || c.calls.records()[before..].iter().any(|r| r.is_write()) {
            return Err("apply wrote to AWS for a refused plan".into());
        }
        return Ok(false);
    }
    let before = c.calls.records().len();
    let outcome = lbstack::ops::apply(c, s, &planned.plan, 4, |_| {}).await;
    if outcome.failed() {
        let failed: Vec<String> = outcome
            .steps
            .iter()
            .filter(|x| matches!(x.status, lbstack::apply::StepStatus::Failed(_)))
            .map(|x| format!("{} {:?}: {:?}", x.address, x.op, x.status))
            .collect();
        return Err(format!(
            "apply failed:\n{}\nthe plan was:\n{}",
            failed.join("\n"),
            lbstack::plan::render::human(&planned.plan, false)
        ));
    }
    let calls = c.calls.records()[before..].to_vec();
    std::panic::catch_unwind(|| audit(&planned.plan, &calls))
        .map_err(|e| format!("the write audit failed: {:?}", e.downcast_ref::<String>()))?;
    let again = lbstack::ops::plan(c, s, destroy).await.map_err(|e| format!("re-plan: {e:#}"))?;
    if again.plan.has_changes() {
        return Err(format!(
            "the re-plan is not empty:\n{}\nafter applying:\n{}",
            lbstack::plan::render::human(&again.plan, false),
            lbstack::plan::render::human(&planned.plan, false)
        ));
    }
    if destroy {
        let left = crate::inventory::of(c, &s.stack).await;
        if !left.is_empty() {
            return Err(format!(
                "destroy left {:?}",
                left.iter().map(|i| format!("{} {}", i.kind, i.name)).collect::<Vec<_>>()
            ));
        }
    } else {
        agrees(c, s).await?;
    }
    Ok(true)
}

/// Runs every step, then destroys (turning deletion protection off first). Cleans up whatever
/// happens; `Err` holds the first failure.
async fn run(c: &lbstack::live::Clients, scenario: &Scenario, env: &Env) -> Result<usize, Failure> {
    let mut applied: Option<Value> = None;
    let mut done = 0;
    let mut failure = None;
    for (i, value) in scenario.steps.iter().enumerate() {
        let s = match load(env, value) {
            Ok(s) => s,
            Err(e) if i == 0 => return Err(Failure { step: 0, what: e }),
            // An edit the validator refuses is the generator's mistake: skipped, and said.
            Err(e) => {
                eprintln!("generative: seed {} step {i} skipped: {e}", scenario.seed);
                continue;
            }
        };
        match step(c, &s, false).await {
            Ok(true) => {
                applied = Some(value.clone());
                done += 1;
            }
            Ok(false) => {}
            Err(what) => {
                failure = Some(Failure { step: i, what });
                applied = Some(value.clone());
                break;
            }
        }
    }
    // Destroy: protection off first on what was applied last (an apply of its own), then
    // everything goes.
    if let Some(mut value) = applied {
        let mut protected = false;
        if let Some(lbs) = value.get_mut("load_balancers").and_then(Value::as_object_mut) {
            for lb in lbs.values_mut() {
                if let Some(a) = lb.get_mut("attributes").and_then(Value::as_object_mut)
                    && a.insert("deletion_protection".into(), json!(false)) == Some(json!(true))
                {
                    protected = true;
                }
            }
        }
        if let Ok(unprotected) = load(env, &value) {
            if protected
                && let Ok(p) = lbstack::ops::plan(c, &unprotected, false).await
                && p.plan.applyable()
            {
                let _ = lbstack::ops::apply(c, &unprotected, &p.plan, 4, |_| {}).await;
            }
            if let Err(what) = step(c, &unprotected, true).await
                && failure.is_none()
            {
                failure = Some(Failure { step: scenario.steps.len(), what: format!("destroy: {what}") });
            }
        }
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(done),
    }
}

fn scenario(seed: u64, name: &str, certs: &[String], env: &Env) -> Scenario {
    let mut rng = Rng::new(seed);
    let first = stack(&mut rng, name, certs, &env.secret_env, &env.zone);
    let mut steps = vec![Value::Object(first.clone())];
    let mut edits = vec!["create".to_string()];
    let mut current = first;
    for _ in 0..2 + rng.below(4) {
        let what = edit(&mut rng, &mut current, &env.secret_env);
        edits.push(what);
        steps.push(Value::Object(current.clone()));
    }
    Scenario { seed, steps, edits }
}

/// Smaller scenarios that may fail the same way: fewer steps, then fewer entries.
fn shrink_candidates(sc: &Scenario, failed_at: usize) -> Vec<Scenario> {
    let mut out = Vec::new();
    let last = failed_at.min(sc.steps.len() - 1);
    // Only the steps up to the failure; then the failing step straight from the first.
    if last + 1 < sc.steps.len() {
        out.push(Scenario { steps: sc.steps[..=last].to_vec(), edits: sc.edits[..=last].to_vec(), ..sc.clone() });
    }
    if last >= 2 {
        out.push(Scenario {
            steps: vec![sc.steps[0].clone(), sc.steps[last].clone()],
            edits: vec![sc.edits[0].clone(), sc.edits[last].clone()],
            ..sc.clone()
        });
    }
    if last >= 1 {
        out.push(Scenario {
            steps: vec![sc.steps[last].clone()],
            edits: vec![format!("create {}", sc.edits[last])],
            ..sc.clone()
        });
    }
    // One entry fewer, in every step.
    for sec in [
        "alarms",
        "scaling_policies",
        "scheduled_actions",
        "autoscaling_groups",
        "launch_templates",
        "records",
        "outputs",
        "topics",
        "web_acls",
        "ip_sets",
        "security_groups",
        "load_balancers",
        "target_groups",
        "tags",
    ] {
        let keys: Vec<String> =
            sc.steps[0].get(sec).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for k in keys {
            let steps: Vec<Value> = sc
                .steps
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    if let Some(m) = v.get_mut(sec).and_then(Value::as_object_mut) {
                        m.remove(&k);
                        if m.is_empty() {
                            v.as_object_mut().unwrap().remove(sec);
                        }
                    }
                    v
                })
                .collect();
            out.push(Scenario { steps, ..sc.clone() });
        }
    }
    out
}

fn rename(sc: &Scenario, from: &str, to: &str) -> Scenario {
    let text = serde_json::to_string(&sc.steps)
        .unwrap()
        .replace(&format!("\"{from}\""), &format!("\"{to}\""))
        .replace(&format!("\"{from}-"), &format!("\"{to}-"));
    Scenario { steps: serde_json::from_str(&text).unwrap(), ..sc.clone() }
}

struct Report {
    steps: usize,
    scenarios: usize,
    failures: Vec<String>,
}

async fn setup_env(c: &lbstack::live::Clients, name: &str) -> Env {
    let dir = std::env::temp_dir().join(format!("lbstack-gen-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let zone = format!("{name}.example.com");
    c.route53.create_hosted_zone().name(&zone).caller_reference(name).send().await.unwrap();
    // One variable for every scenario: they run one after another.
    let secret_env = "LBSTACK_GENERATIVE_OIDC_SECRET".to_string();
    // SAFETY: only this test reads or writes the variable, from one task at a time.
    unsafe { std::env::set_var(&secret_env, format!("first-secret-{name}")) };
    Env { dir, secret_env, zone }
}

/// Run one seed (and shrink it when it fails).
async fn one(c: &lbstack::live::Clients, seed: u64, report: &mut Report, budget_left: impl Fn() -> bool) {
    let name = unique("gen");
    let env = setup_env(c, &name).await;
    let certs: Vec<String> = if seed.is_multiple_of(3) { vec![] } else { vec!["site".to_string()] };
    write_certificates(&env.dir, &certs, &name);
    let sc = scenario(seed, &name, &certs, &env);
    report.scenarios += 1;
    let result = run(c, &sc, &env).await;
    match result {
        Ok(done) => report.steps += done + 1,
        Err(first) => {
            // Shrink: keep the smallest scenario that still fails, on fresh stack names.
            let mut best = (sc.clone(), first);
            // The stack name the best scenario runs under: each candidate gets a fresh one, since
            // a failed run leaves its resources behind.
            let mut best_name = name.clone();
            let mut tries = 0;
            let mut improved = true;
            while improved && tries < 25 && budget_left() {
                improved = false;
                for candidate in shrink_candidates(&best.0, best.1.step) {
                    tries += 1;
                    if tries > 25 || !budget_left() {
                        break;
                    }
                    let fresh = unique("gen");
                    let cand = rename(&candidate, &best_name, &fresh);
                    let env = Env { dir: env.dir.clone(), secret_env: env.secret_env.clone(), zone: env.zone.clone() };
                    if let Err(f) = run(c, &cand, &env).await
                        && !f.what.starts_with("the generator wrote")
                    {
                        best = (cand, f);
                        best_name = fresh;
                        improved = true;
                        break;
                    }
                }
            }
            let (sc, f) = best;
            let fixture = serde_json::to_string_pretty(&sc).unwrap();
            let out = crate::support::repo_root().join("target/generative");
            std::fs::create_dir_all(&out).unwrap();
            let file = out.join(format!("seed-{seed}.json"));
            std::fs::write(&file, &fixture).unwrap();
            let stacks: Vec<String> =
                sc.steps.iter().map(|v| lbstack::import::emit::yaml(v.as_object().unwrap())).collect();
            report.failures.push(format!(
                "seed {seed}: step {} ({}) failed: {}\nminimal steps ({} runs to shrink), saved to {}:\n{}",
                f.step,
                sc.edits.get(f.step).map(String::as_str).unwrap_or("destroy"),
                f.what,
                tries,
                file.display(),
                stacks.join("---\n")
            ));
        }
    }
    crate::support::drop_zone(c, &env.zone).await;
}

fn seconds() -> u64 {
    std::env::var("LBSTACK_GENERATIVE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_stacks_and_edits_keep_the_plan_contract() {
    let c = clients().await;
    let start = std::time::Instant::now();
    let limit = std::time::Duration::from_secs(seconds());
    let mut report = Report { steps: 0, scenarios: 0, failures: Vec::new() };
    let seeds: Vec<u64> = match std::env::var("LBSTACK_GENERATIVE_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => {
            let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            (0..10_000).map(|i| base.wrapping_mul(1_000_003).wrapping_add(i)).collect()
        }
    };
    for seed in seeds {
        if start.elapsed() >= limit && report.scenarios > 0 {
            break;
        }
        one(&c, seed, &mut report, || start.elapsed() < limit * 3).await;
    }
    let minutes = start.elapsed().as_secs_f64() / 60.0;
    eprintln!(
        "generative: {} scenarios, {} steps in {:.1} min ({:.1} steps/min), {} failures",
        report.scenarios,
        report.steps,
        minutes,
        report.steps as f64 / minutes.max(0.01),
        report.failures.len()
    );
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n\n"));
}

/// Every fixture in tests/fixtures/generative (a failure the generator found, shrunk) replays
/// clean: the regression stays fixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generative_regressions_replay() {
    let dir = crate::support::repo_root().join("tests/fixtures/generative");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let c = clients().await;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let sc: Scenario = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let original = sc.steps[0]["stack"].as_str().unwrap().to_string();
        let name = unique("genfix");
        let env = setup_env(&c, &name).await;
        let certs: Vec<String> = sc.steps[0]
            .get("certificates")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        write_certificates(&env.dir, &certs, &name);
        let mut sc = rename(&sc, &original, &name);
        // The zone is the replay's own.
        let text = serde_json::to_string(&sc.steps).unwrap();
        sc.steps = serde_json::from_str(&text.replace(&format!("{original}.example.com"), &env.zone)).unwrap();
        let result = run(&c, &sc, &env).await;
        crate::support::drop_zone(&c, &env.zone).await;
        if let Err(f) = result {
            panic!("{}: step {} failed again: {}", file.display(), f.step, f.what);
        }
    }
}
