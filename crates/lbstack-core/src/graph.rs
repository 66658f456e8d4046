//! `lbstack graph`: the stack as a diagram, Mermaid (renders in GitHub markdown) or Graphviz DOT.
//! Traffic flows left to right: client → records → load balancers → listeners → rules → target
//! groups → auto-scaling groups → launch templates; WAF, certificates, policies and alarms hang
//! off what they act on. With a plan, nodes are marked created, changed, replaced or deleted.

use crate::plan::{Action, Address, Kind, Plan};
use crate::stack_format::model::{LbType, Scheme, Stack};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Client,
    Record,
    LoadBalancer,
    Listener,
    Rule,
    TargetGroup,
    Group,
    Template,
    Attachment,
    Policy,
    Alarm,
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    label: String,
    shape: Shape,
    address: Option<Address>,
}

#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    label: String,
    /// Control or attachment rather than traffic.
    dashed: bool,
}

#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Plan status by node id: `create`, `update`, `replace`, `delete`.
    marks: BTreeMap<String, &'static str>,
}

fn id(kind: &str, key: &str) -> String {
    let clean: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("{kind}_{clean}")
}

/// A rule's conditions as plans write them (`path /api/*`).
fn rule_conditions(r: &crate::stack_format::model::Rule) -> String {
    crate::plan::render::conditions_text(&serde_json::to_value(crate::plan::desired::conditions(r)).unwrap_or_default())
}

fn node_id(a: &Address) -> String {
    id(a.kind.graph_prefix(), &a.key)
}

/// Edges from a listener or rule to where its action sends requests: target groups (with
/// weights), a redirect, a fixed response.
fn forward(g: &mut Graph, from: &str, a: &crate::stack_format::model::Action, label: &str) {
    let addr = |k: Kind, key: &str| Address::new(k, key);
    if let Some(f) = &a.forward {
        let groups = f.target_groups();
        for tg in groups.iter() {
            let weight = match f {
                crate::stack_format::model::Forward::Weighted(m) if m.len() > 1 => format!("weight {}", m[*tg]),
                _ => String::new(),
            };
            let text =
                [label, weight.as_str()].iter().filter(|x| !x.is_empty()).copied().collect::<Vec<_>>().join(", ");
            g.edge(from, &node_id(&addr(Kind::TargetGroup, tg)), &text, false);
        }
    } else if let Some(r) = &a.redirect {
        let rid = format!("{from}_redirect");
        g.node(
            None,
            rid.clone(),
            format!("redirect {}", r.protocol.clone().unwrap_or_else(|| "same protocol".into())),
            Shape::Rule,
        );
        g.edge(from, &rid, label, false);
    } else if let Some(fr) = &a.fixed_response {
        let rid = format!("{from}_fixed");
        g.node(None, rid.clone(), format!("fixed {}", fr.status), Shape::Rule);
        g.edge(from, &rid, label, false);
    }
}

impl Graph {
    fn node(&mut self, address: Option<Address>, id: String, label: String, shape: Shape) {
        if !self.nodes.iter().any(|n| n.id == id) {
            self.nodes.push(Node { id, label, shape, address });
        }
    }
    fn edge(&mut self, from: &str, to: &str, label: &str, dashed: bool) {
        self.edges.push(Edge { from: from.into(), to: to.into(), label: label.into(), dashed });
    }

    /// A resource attached to node `to` with a dashed edge: the stack's by key (`noun KEY`), or an
    /// existing one by ARN, used and not owned, so with no address (`arn_id`, `arn_label`).
    fn attach(
        &mut self,
        kind: Kind,
        key_or_arn: &str,
        (noun, arn_id, arn_label): (&str, &str, &str),
        to: &str,
        label: &str,
    ) {
        let (address, node, text) = if key_or_arn.starts_with("arn:") {
            (None, id(arn_id, key_or_arn), arn_label.to_string())
        } else {
            let a = Address::new(kind, key_or_arn);
            let node = node_id(&a);
            (Some(a), node, format!("{noun} {key_or_arn}"))
        };
        self.node(address, node.clone(), text, Shape::Attachment);
        self.edge(&node, to, label, true);
    }

    pub fn from_stack(s: &Stack) -> Graph {
        let mut g = Graph::default();
        let addr = |k: Kind, key: &str| Address::new(k, key);
        let has_public =
            s.load_balancers.values().any(|lb| lb.scheme == Scheme::InternetFacing) || !s.records.is_empty();
        if has_public {
            g.node(None, "client".into(), "client".into(), Shape::Client);
        }
        for (key, r) in &s.records {
            let a = addr(Kind::Record, key);
            g.node(Some(a.clone()), node_id(&a), format!("{} {}", r.kind.as_str(), r.name), Shape::Record);
            g.edge("client", &node_id(&a), "", false);
            g.edge(&node_id(&a), &node_id(&addr(Kind::LoadBalancer, &r.target)), "", false);
        }
        for (key, lb) in &s.load_balancers {
            let a = addr(Kind::LoadBalancer, key);
            let kind = match lb.kind {
                LbType::Application => "ALB",
                LbType::Network => "NLB",
                LbType::Gateway => "GWLB",
            };
            let scheme = if lb.scheme == Scheme::Internal { " (internal)" } else { "" };
            let lb_id = node_id(&a);
            g.node(Some(a), lb_id.clone(), format!("{kind} {key}{scheme}"), Shape::LoadBalancer);
            if lb.scheme == Scheme::InternetFacing && !s.records.values().any(|r| r.target == *key) {
                g.edge("client", &lb_id, "", false);
            }
            if let Some(acl) = &lb.web_acl {
                g.attach(Kind::WebAcl, acl, ("WAF", "wafarn", "WAF (ARN)"), &lb_id, "protects");
            }
            if lb.shield == Some(true) {
                let sa = addr(Kind::ShieldProtection, key);
                g.node(Some(sa.clone()), node_id(&sa), "Shield Advanced".into(), Shape::Attachment);
                g.edge(&node_id(&sa), &lb_id, "protects", true);
            }
            for (lkey, l) in &lb.listeners {
                let la = addr(Kind::Listener, &format!("{key}.{lkey}"));
                let lid = node_id(&la);
                let proto = l.protocol.map(|p| p.as_str()).unwrap_or(if lb.kind == LbType::Gateway {
                    "GENEVE"
                } else {
                    "HTTP"
                });
                let port = l.port.map(|p| format!(":{p}")).unwrap_or_default();
                g.node(Some(la), lid.clone(), format!("{proto}{port}"), Shape::Listener);
                g.edge(&lb_id, &lid, "", false);
                if let Some(store) = l.mutual_authentication.as_ref().and_then(|m| m.trust_store.as_ref()) {
                    g.attach(
                        Kind::TrustStore,
                        store,
                        ("trust store", "truststorearn", "trust store (ARN)"),
                        &lid,
                        "mTLS",
                    );
                }
                for c in &l.certificates {
                    g.attach(Kind::Certificate, c, ("cert", "certarn", "certificate (ARN)"), &lid, "TLS");
                }
                for (i, r) in l.rules.iter().enumerate() {
                    let rid = format!("{lid}_rule{}", i + 1);
                    let cond = rule_conditions(r);
                    let priority = r.priority.unwrap_or(10 * (i as u32 + 1));
                    g.node(
                        Some(addr(Kind::ListenerRules, &format!("{key}.{lkey}"))),
                        rid.clone(),
                        format!("{priority}: {cond}"),
                        Shape::Rule,
                    );
                    g.edge(&lid, &rid, "", false);
                    forward(&mut g, &rid, &r.action(), "");
                }
                forward(&mut g, &lid, &l.default_action, if l.rules.is_empty() { "" } else { "default" });
            }
        }
        // Rules on listeners other stacks own: the listener as the stack names it, each rule
        // with its declared priority (or `auto`: chosen when planning).
        for (key, shared) in &s.shared_listeners {
            let a = addr(Kind::SharedListener, key);
            let sid = node_id(&a);
            let on = match (&shared.load_balancer, shared.port, &shared.from_stack) {
                (Some(lb), Some(port), _) => format!("{lb}:{port}"),
                (_, _, Some(stack)) => format!("from stack {stack}"),
                _ => "by ARN".to_string(),
            };
            g.node(Some(a.clone()), sid.clone(), format!("shared listener {key} ({on})"), Shape::Listener);
            for (i, r) in shared.rules.iter().enumerate() {
                let rid = format!("{sid}_rule{}", i + 1);
                let cond = rule_conditions(r);
                let priority = r.priority.map_or("auto".to_string(), |p| p.to_string());
                g.node(Some(a.clone()), rid.clone(), format!("{priority}: {cond}"), Shape::Rule);
                g.edge(&sid, &rid, "", false);
                forward(&mut g, &rid, &r.action(), "");
            }
        }
        for (key, t) in &s.topics {
            let a = addr(Kind::Topic, key);
            let label = if t.subscriptions.is_empty() {
                format!("topic {key}")
            } else {
                format!("topic {key} ({} subscribed)", t.subscriptions.len())
            };
            g.node(Some(a.clone()), node_id(&a), label, Shape::Attachment);
        }
        for (key, tg) in &s.target_groups {
            let a = addr(Kind::TargetGroup, key);
            let proto = tg.protocol.map(|p| p.as_str()).unwrap_or("");
            let port = tg.port.map(|p| format!(":{p}")).unwrap_or_default();
            g.node(
                Some(a.clone()),
                node_id(&a),
                format!("TG {key} {proto}{port}").trim_end().to_string(),
                Shape::TargetGroup,
            );
        }
        for (key, grp) in &s.autoscaling_groups {
            let a = addr(Kind::AutoScalingGroup, key);
            let gid = node_id(&a);
            g.node(Some(a), gid.clone(), format!("ASG {key} {}–{}", grp.min, grp.max), Shape::Group);
            for tg in &grp.target_groups {
                g.edge(&node_id(&addr(Kind::TargetGroup, tg)), &gid, "", false);
            }
            let lt = grp.launch_template.name();
            let la = addr(Kind::LaunchTemplate, lt);
            let instance_type = s.launch_templates.get(lt).map(|t| t.instance_type.clone()).unwrap_or_default();
            g.node(
                Some(la.clone()),
                node_id(&la),
                format!("LT {lt} {instance_type}").trim_end().to_string(),
                Shape::Template,
            );
            g.edge(&gid, &node_id(&la), "launches", true);
        }
        for (key, p) in &s.scaling_policies {
            let a = addr(Kind::ScalingPolicy, key);
            let what = if p.target_tracking.is_some() {
                "target tracking"
            } else if p.step.is_some() {
                "step"
            } else if p.simple.is_some() {
                "simple"
            } else {
                "predictive"
            };
            g.node(Some(a.clone()), node_id(&a), format!("policy {key} ({what})"), Shape::Policy);
            g.edge(&node_id(&a), &node_id(&addr(Kind::AutoScalingGroup, &p.group)), "scales", true);
        }
        for (key, sa) in &s.scheduled_actions {
            let a = addr(Kind::ScheduledAction, key);
            let when = sa.recurrence.clone().or_else(|| sa.start.clone()).unwrap_or_default();
            g.node(Some(a.clone()), node_id(&a), format!("schedule {key} ({when})"), Shape::Policy);
            g.edge(&node_id(&a), &node_id(&addr(Kind::AutoScalingGroup, &sa.group)), "sets size", true);
        }
        for (key, al) in &s.alarms {
            let a = addr(Kind::Alarm, key);
            let aid = node_id(&a);
            g.node(
                Some(a),
                aid.clone(),
                format!("alarm {key}: {}", al.metric.as_deref().or(al.expression.as_deref()).unwrap_or_default()),
                Shape::Alarm,
            );
            let d = &al.dimensions;
            let watched = d
                .target_group
                .as_ref()
                .map(|t| addr(Kind::TargetGroup, t))
                .or_else(|| d.load_balancer.as_ref().map(|l| addr(Kind::LoadBalancer, l)))
                .or_else(|| d.autoscaling_group.as_ref().map(|x| addr(Kind::AutoScalingGroup, x)));
            if let Some(w) = watched {
                g.edge(&node_id(&w), &aid, "metric", true);
            }
            for act in al.actions.iter().filter(|x| !x.starts_with("arn:")) {
                if s.topics.contains_key(act) {
                    g.edge(&aid, &node_id(&addr(Kind::Topic, act)), "notifies", true);
                } else {
                    g.edge(&aid, &node_id(&addr(Kind::ScalingPolicy, act)), "triggers", true);
                }
            }
        }
        g
    }

    /// Mark nodes with what a plan does to them; resources only in AWS are added as deleted nodes.
    pub fn mark(&mut self, plan: &Plan) {
        for c in &plan.changes {
            let mark = match c.action {
                Action::NoOp => continue,
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => "delete",
                Action::DeleteCreate | Action::CreateDelete => "replace",
            };
            let ids: Vec<String> =
                self.nodes.iter().filter(|n| n.address.as_ref() == Some(&c.address)).map(|n| n.id.clone()).collect();
            if ids.is_empty()
                && c.action == Action::Delete
                && !matches!(c.address.kind, Kind::SecurityGroup | Kind::IpSet | Kind::WebAclAssociation)
            {
                let nid = node_id(&c.address);
                self.node(Some(c.address.clone()), nid.clone(), format!("{} (deleted)", c.address), Shape::Attachment);
                self.marks.insert(nid, mark);
            }
            for i in ids {
                self.marks.insert(i, mark);
            }
        }
    }

    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let label = n.label.replace('"', "'");
            let (open, close) = match n.shape {
                Shape::Client => ("((", "))"),
                Shape::Record => ("[/", "/]"),
                Shape::LoadBalancer => ("{{", "}}"),
                Shape::Listener => ("([", "])"),
                Shape::Rule => ("[", "]"),
                Shape::TargetGroup => ("[(", ")]"),
                Shape::Group => ("[[", "]]"),
                Shape::Template => ("[", "]"),
                Shape::Attachment => (">", "]"),
                Shape::Policy => ("(", ")"),
                Shape::Alarm => ("{", "}"),
            };
            let _ = writeln!(out, "  {}{open}\"{label}\"{close}", n.id);
        }
        for e in &self.edges {
            let arrow = if e.dashed { "-.->" } else { "-->" };
            if e.label.is_empty() {
                let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", e.from, e.label.replace('"', "'"), e.to);
            }
        }
        if !self.marks.is_empty() {
            out.push_str("  classDef create fill:#d4f7d4,stroke:#2a8a2a\n");
            out.push_str("  classDef update fill:#fff4c2,stroke:#b38f00\n");
            out.push_str("  classDef replace fill:#ffe0c2,stroke:#c05a00\n");
            out.push_str("  classDef delete fill:#ffd6d6,stroke:#b00020,stroke-dasharray:4\n");
            for (nid, mark) in &self.marks {
                let _ = writeln!(out, "  class {nid} {mark}");
            }
        }
        out
    }

    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph stack {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for n in &self.nodes {
            let shape = match n.shape {
                Shape::Client => "circle",
                Shape::Record => "parallelogram",
                Shape::LoadBalancer => "hexagon",
                Shape::Listener => "oval",
                Shape::Rule => "box",
                Shape::TargetGroup => "cylinder",
                Shape::Group => "box3d",
                Shape::Template => "note",
                Shape::Attachment => "cds",
                Shape::Policy => "component",
                Shape::Alarm => "diamond",
            };
            let fill = match self.marks.get(&n.id).copied() {
                Some("create") => ", style=filled, fillcolor=\"#d4f7d4\"",
                Some("update") => ", style=filled, fillcolor=\"#fff4c2\"",
                Some("replace") => ", style=filled, fillcolor=\"#ffe0c2\"",
                Some("delete") => ", style=\"filled,dashed\", fillcolor=\"#ffd6d6\"",
                _ => "",
            };
            let _ = writeln!(out, "  {} [label=\"{}\", shape={shape}{fill}];", n.id, n.label.replace('"', "\\\""));
        }
        for e in &self.edges {
            let style = if e.dashed { ", style=dashed" } else { "" };
            let _ = writeln!(out, "  {} -> {} [label=\"{}\"{style}];", e.from, e.to, e.label.replace('"', "\\\""));
        }
        out.push_str("}\n");
        out
    }
}
