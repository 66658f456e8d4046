//! The one list of resource kinds. Each entry names a kind once: its address prefix in plans
//! (`target_group.api`), the stack section that declares it (none for the kinds a plan derives:
//! listeners' rule sets, web ACL associations), its noun in messages, the attribute paths that
//! force a replacement (read from the kind's attribute struct in `crate::attrs`), whether a
//! replacement may be created before the old one goes, its rank in the creation order, its prefix
//! in `lbstack graph`, the longest name AWS takes where a name is its identity (the names lbstack
//! gives, and a second name for a replacement that lives beside the first), whether `--adopt` can
//! take one over, and why `forget` cannot take one out alone.
//!
//! The spec (sections, references, messages) and the plan (addresses, ordering, replacements)
//! both read this table; readers and executors match on `Kind` without a wildcard, so adding an
//! entry here makes the compiler point at every place that must handle the new kind.

use crate::attrs::{self, Attributes};
use crate::stack_format::model::Stack;

macro_rules! kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            address: $address:literal,
            section: $section:expr,
            noun: $noun:literal,
            attrs: $attrs:ty,
            create_before_destroy: $cbd:literal,
            rank: $rank:literal,
            graph: $graph:literal,
            name_max: $name_max:expr,
            adoptable: $adoptable:literal,
            forget: $forget:expr $(,)?
        }
    ),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( $(#[$doc])* $variant, )*
        }

        impl Kind {
            /// Every kind, in the order plans list them.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The address prefix: `target_group` in `target_group.api`.
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $address,)* }
            }

            /// The stack section declaring resources of this kind, e.g. `target_groups`.
            pub fn section(self) -> Option<&'static str> {
                match self { $(Kind::$variant => $section,)* }
            }

            /// How messages name one of these: `target group`.
            pub fn noun(self) -> &'static str {
                match self { $(Kind::$variant => $noun,)* }
            }

            /// Attribute paths whose change cannot be made in place (marked `=> replace` in the
            /// kind's attribute struct).
            pub fn replace_paths(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => <$attrs as Attributes>::REPLACE,)* }
            }

            /// Whether a replacement can create the new one before deleting the old (a second
            /// name can live beside the first).
            pub fn create_before_destroy(self) -> bool {
                match self { $(Kind::$variant => $cbd,)* }
            }

            /// Position in the creation order: what a kind may reference ranks lower (deletes go
            /// the other way).
            pub fn rank(self) -> u8 {
                match self { $(Kind::$variant => $rank,)* }
            }

            /// The prefix of its node ids in `lbstack graph` (`tg_api`).
            pub fn graph_prefix(self) -> &'static str {
                match self { $(Kind::$variant => $graph,)* }
            }

            /// The longest name AWS takes for one where the name is its identity in the account
            /// (None: it has no such name, as a record or a certificate).
            pub fn name_max(self) -> Option<usize> {
                match self { $(Kind::$variant => $name_max,)* }
            }

            /// Whether `--adopt` can take one over: its ownership is tags on the resource itself
            /// (or, for a record, the zone's index), so adding them is the whole take-over.
            pub fn adoptable(self) -> bool {
                match self { $(Kind::$variant => $adoptable,)* }
            }

            /// Why `lbstack forget` cannot take one out by itself, or None when it can.
            pub fn not_forgettable(self) -> Option<&'static str> {
                match self { $(Kind::$variant => $forget,)* }
            }
        }

        /// A resource's attributes as its kind's struct: what the builder makes, the readers
        /// read and the executors take, one variant per kind of the table.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Attrs {
            $( $variant($attrs), )*
        }

        $(
            impl From<$attrs> for Attrs {
                fn from(a: $attrs) -> Attrs {
                    Attrs::$variant(a)
                }
            }

            impl Variant for $attrs {
                fn of(a: &Attrs) -> Option<&Self> {
                    match a {
                        Attrs::$variant(x) => Some(x),
                        _ => None,
                    }
                }
            }
        )*

        impl Attrs {
            /// The kind whose struct this is.
            pub fn kind(&self) -> Kind {
                match self { $(Attrs::$variant(_) => Kind::$variant,)* }
            }

            /// The JSON the diff compares and plans carry.
            pub fn to_value(&self) -> serde_json::Value {
                match self { $(Attrs::$variant(a) => a.to_value(),)* }
            }

            /// The attributes of a resource of `kind` from their JSON.
            pub fn from_value(kind: Kind, value: &serde_json::Value) -> Result<Attrs, String> {
                match kind {
                    $(Kind::$variant => serde_json::from_value(value.clone()).map(Attrs::$variant).map_err(|e| e.to_string()),)*
                }
            }

            /// Its tags, for the kinds that carry them on the resource.
            pub fn tags(&self) -> Option<&attrs::TagMap> {
                match self { $(Attrs::$variant(a) => a.tags(),)* }
            }

            pub fn tags_mut(&mut self) -> Option<&mut attrs::TagMap> {
                match self { $(Attrs::$variant(a) => a.tags_mut(),)* }
            }
        }

        /// The JSON of the kind's struct, without the variant's name: the address says the kind.
        impl serde::Serialize for Attrs {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self { $(Attrs::$variant(a) => a.serialize(s),)* }
            }
        }
    };
}

/// A kind's struct as one variant of `Attrs`.
pub trait Variant: Attributes + Sized {
    /// The struct, when `a` is this kind's.
    fn of(a: &Attrs) -> Option<&Self>;
}

/// Why scaling policies and scheduled actions cannot be forgotten alone.
const GOES_WITH_ITS_GROUP: &str = "it has no tags of its own and belongs to its auto-scaling group: forget the group (`autoscaling_group.KEY`), which takes it along";
/// Why listeners and their rules cannot be forgotten alone.
const LISTENER_GOES_WITH_ITS_LOAD_BALANCER: &str = "a listener and its rules belong to their load balancer: forget the load balancer (`load_balancer.KEY`), which takes them along";

kinds! {
    SecurityGroup {
        address: "security_group",
        section: Some("security_groups"),
        noun: "security group",
        attrs: attrs::SecurityGroupAttrs,
        create_before_destroy: true,
        rank: 0,
        graph: "sg",
        name_max: Some(255),
        adoptable: true,
        forget: None,
    },
    Certificate {
        address: "certificate",
        section: Some("certificates"),
        noun: "certificate",
        attrs: attrs::CertificateAttrs,
        create_before_destroy: true,
        rank: 1,
        graph: "cert",
        name_max: None,
        adoptable: false,
        forget: None,
    },
    IpSet {
        address: "ip_set",
        section: Some("ip_sets"),
        noun: "IP set",
        attrs: attrs::IpSetAttrs,
        create_before_destroy: true,
        rank: 0,
        graph: "ipset",
        name_max: Some(128),
        adoptable: true,
        forget: None,
    },
    WebAcl {
        address: "web_acl",
        section: Some("web_acls"),
        noun: "web ACL",
        attrs: attrs::WebAclAttrs,
        create_before_destroy: false,
        rank: 1,
        graph: "waf",
        name_max: Some(128),
        adoptable: true,
        forget: None,
    },
    /// CA certificates for mutual TLS, owned by tags.
    TrustStore {
        address: "trust_store",
        section: Some("trust_stores"),
        noun: "trust store",
        attrs: attrs::TrustStoreAttrs,
        create_before_destroy: false,
        rank: 1,
        graph: "truststore",
        name_max: Some(32),
        adoptable: false,
        forget: None,
    },
    TargetGroup {
        address: "target_group",
        section: Some("target_groups"),
        noun: "target group",
        attrs: attrs::TargetGroupAttrs,
        create_before_destroy: true,
        rank: 1,
        graph: "tg",
        name_max: Some(32),
        adoptable: true,
        forget: None,
    },
    LoadBalancer {
        address: "load_balancer",
        section: Some("load_balancers"),
        noun: "load balancer",
        attrs: attrs::LoadBalancerAttrs,
        create_before_destroy: true,
        rank: 2,
        graph: "lb",
        name_max: Some(32),
        adoptable: true,
        forget: None,
    },
    Listener {
        address: "listener",
        section: None,
        noun: "listener",
        attrs: attrs::ListenerAttrs,
        create_before_destroy: false,
        rank: 3,
        graph: "listener",
        name_max: None,
        adoptable: false,
        forget: Some(LISTENER_GOES_WITH_ITS_LOAD_BALANCER),
    },
    /// All rules of one listener, reconciled together (one SetRulePriorities for reorders).
    ListenerRules {
        address: "listener_rules",
        section: None,
        noun: "listener rule set",
        attrs: attrs::ListenerRulesAttrs,
        create_before_destroy: false,
        rank: 4,
        graph: "rules",
        name_max: None,
        adoptable: false,
        forget: Some(LISTENER_GOES_WITH_ITS_LOAD_BALANCER),
    },
    /// The stack's rules on a listener it does not own (`shared_listeners`), reconciled like a
    /// listener rule set but owning only the rules tagged as its own.
    SharedListener {
        address: "shared_listener",
        section: Some("shared_listeners"),
        noun: "shared listener",
        attrs: attrs::SharedListenerAttrs,
        create_before_destroy: false,
        rank: 4,
        graph: "shared",
        name_max: None,
        adoptable: false,
        forget: None,
    },
    /// Shield Advanced protection of a load balancer (`shield: true`), owned by its tags.
    ShieldProtection {
        address: "shield_protection",
        section: None,
        noun: "Shield Advanced protection",
        attrs: attrs::ShieldProtectionAttrs,
        create_before_destroy: false,
        rank: 3,
        graph: "shield",
        name_max: None,
        adoptable: true,
        forget: None,
    },
    /// The link between a load balancer and its web ACL.
    WebAclAssociation {
        address: "web_acl_association",
        section: None,
        noun: "web ACL association",
        attrs: attrs::WebAclAssociationAttrs,
        create_before_destroy: false,
        rank: 3,
        graph: "wafassoc",
        name_max: None,
        adoptable: false,
        forget: Some("an association has no tags: forget the load balancer or the web ACL, or remove `web_acl:` from the load balancer"),
    },
    /// A Route 53 record pointing at a load balancer (owned through the zone's lbstack index).
    Record {
        address: "record",
        section: Some("records"),
        noun: "record",
        attrs: attrs::RecordAttrs,
        create_before_destroy: false,
        rank: 3,
        graph: "record",
        name_max: None,
        adoptable: true,
        forget: None,
    },
    /// An EC2 launch template; a change becomes a new version.
    LaunchTemplate {
        address: "launch_template",
        section: Some("launch_templates"),
        noun: "launch template",
        attrs: attrs::LaunchTemplateAttrs,
        create_before_destroy: false,
        rank: 1,
        graph: "lt",
        name_max: Some(128),
        adoptable: true,
        forget: None,
    },
    AutoScalingGroup {
        address: "autoscaling_group",
        section: Some("autoscaling_groups"),
        noun: "auto-scaling group",
        attrs: attrs::AutoScalingGroupAttrs,
        create_before_destroy: false,
        rank: 3,
        graph: "asg",
        name_max: Some(255),
        adoptable: true,
        forget: None,
    },
    /// A scaling policy of an owned group (policies carry no tags: the group and the name prefix own it).
    ScalingPolicy {
        address: "scaling_policy",
        section: Some("scaling_policies"),
        noun: "scaling policy",
        attrs: attrs::ScalingPolicyAttrs,
        create_before_destroy: false,
        rank: 4,
        graph: "policy",
        name_max: Some(255),
        adoptable: false,
        forget: Some(GOES_WITH_ITS_GROUP),
    },
    /// A scheduled action of an owned group (owned like policies).
    ScheduledAction {
        address: "scheduled_action",
        section: Some("scheduled_actions"),
        noun: "scheduled action",
        attrs: attrs::ScheduledActionAttrs,
        create_before_destroy: false,
        rank: 4,
        graph: "schedule",
        name_max: Some(255),
        adoptable: false,
        forget: Some(GOES_WITH_ITS_GROUP),
    },
    /// An SNS topic with its subscriptions, owned by tags.
    Topic {
        address: "topic",
        section: Some("topics"),
        noun: "SNS topic",
        attrs: attrs::TopicAttrs,
        create_before_destroy: false,
        rank: 1,
        graph: "topic",
        name_max: Some(256),
        adoptable: true,
        forget: None,
    },
    /// A CloudWatch metric alarm, owned by tags and the `<stack>-` name prefix.
    Alarm {
        address: "alarm",
        section: Some("alarms"),
        noun: "alarm",
        attrs: attrs::AlarmAttrs,
        create_before_destroy: false,
        rank: 5,
        graph: "alarm",
        name_max: Some(255),
        adoptable: true,
        forget: None,
    },
    /// A CloudWatch composite alarm: a rule over the stack's alarms, owned like them.
    CompositeAlarm {
        address: "composite_alarm",
        section: Some("composite_alarms"),
        noun: "composite alarm",
        attrs: attrs::CompositeAlarmAttrs,
        create_before_destroy: false,
        rank: 6,
        graph: "composite",
        name_max: Some(255),
        adoptable: true,
        forget: None,
    },
}

impl Kind {
    /// How messages name several: `target groups`, `scaling policies`.
    pub fn nouns(self) -> String {
        let noun = self.noun();
        match noun.strip_suffix('y') {
            Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
            _ => format!("{noun}s"),
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// The kind a stack section declares.
    pub fn of_section(section: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.section() == Some(section))
    }

    /// Keys the stack declares under this kind's section (none for derived kinds).
    pub fn declared(self, s: &Stack) -> Vec<String> {
        let keys = |m: Vec<&String>| m.into_iter().cloned().collect();
        match self {
            Kind::SecurityGroup => keys(s.security_groups.keys().collect()),
            Kind::Certificate => keys(s.certificates.keys().collect()),
            Kind::IpSet => keys(s.ip_sets.keys().collect()),
            Kind::WebAcl => keys(s.web_acls.keys().collect()),
            Kind::TargetGroup => keys(s.target_groups.keys().collect()),
            Kind::LoadBalancer => keys(s.load_balancers.keys().collect()),
            Kind::Record => keys(s.records.keys().collect()),
            Kind::SharedListener => keys(s.shared_listeners.keys().collect()),
            Kind::Topic => keys(s.topics.keys().collect()),
            Kind::TrustStore => keys(s.trust_stores.keys().collect()),
            Kind::LaunchTemplate => keys(s.launch_templates.keys().collect()),
            Kind::AutoScalingGroup => keys(s.autoscaling_groups.keys().collect()),
            Kind::ScalingPolicy => keys(s.scaling_policies.keys().collect()),
            Kind::ScheduledAction => keys(s.scheduled_actions.keys().collect()),
            Kind::Alarm => keys(s.alarms.keys().collect()),
            Kind::CompositeAlarm => keys(s.composite_alarms.keys().collect()),
            Kind::Listener | Kind::ListenerRules | Kind::WebAclAssociation | Kind::ShieldProtection => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn several_of_a_kind_are_named_in_english() {
        assert_eq!(Kind::ScalingPolicy.nouns(), "scaling policies");
        assert_eq!(Kind::TargetGroup.nouns(), "target groups");
        assert_eq!(Kind::WebAclAssociation.nouns(), format!("{}s", Kind::WebAclAssociation.noun()));
        for k in Kind::ALL {
            assert!(!k.nouns().ends_with("ys"), "{}", k.nouns());
        }
    }

    #[test]
    fn names_and_sections_are_unique_and_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            if let Some(section) = k.section() {
                assert_eq!(Kind::of_section(section), Some(*k));
            }
        }
        let mut sections: Vec<&str> = Kind::ALL.iter().filter_map(|k| k.section()).collect();
        sections.sort();
        sections.dedup();
        assert_eq!(sections.len(), Kind::ALL.iter().filter(|k| k.section().is_some()).count());
    }

    #[test]
    fn attributes_read_back_as_the_variant_of_their_kind_only() {
        use super::Attrs;
        use crate::attrs::{Ref, WebAclAssociationAttrs};
        let association = WebAclAssociationAttrs {
            load_balancer: Ref::to(Kind::LoadBalancer, "web"),
            web_acl: crate::attrs::RefOrId::Id("arn:acl".into()),
        };
        let value = Attrs::WebAclAssociation(association.clone()).to_value();
        let back = Attrs::from_value(Kind::WebAclAssociation, &value).unwrap();
        assert_eq!(back, Attrs::WebAclAssociation(association));
        assert_eq!(back.kind(), Kind::WebAclAssociation);
        // The same JSON is not another kind's attributes.
        assert!(Attrs::from_value(Kind::ShieldProtection, &value).is_err());
    }

    #[test]
    fn every_section_is_a_field_of_the_stack_format() {
        let schema = crate::stack_format::json_schema();
        for section in Kind::ALL.iter().filter_map(|k| k.section()) {
            assert!(schema["properties"].get(section).is_some(), "`{section}` is not a section of the stack format");
        }
    }
}
