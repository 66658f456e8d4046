//! WAFv2 IP sets and web ACLs: rule names, priorities, managed groups and rate limits.

use super::*;

impl V<'_> {
    pub(super) fn waf(&mut self) {
        for (name, set) in &self.s.ip_sets {
            let sp = p(&["ip_sets", name]);
            if set.addresses.is_empty() {
                self.err_key(&sp, format!("IP set `{name}` has no addresses"), "");
            }
            let mut versions = HashSet::new();
            for (i, a) in set.addresses.iter().enumerate() {
                if !is_cidr(a, None) {
                    self.err(
                        &format!("{sp}/addresses/{i}"),
                        format!("`{a}` is not a CIDR block"),
                        "for example `203.0.113.0/24`",
                    );
                } else {
                    versions.insert(a.contains(':'));
                }
            }
            if versions.len() > 1 {
                self.err(
                    &format!("{sp}/addresses"),
                    format!("IP set `{name}` mixes IPv4 and IPv6 addresses"),
                    "an IP set holds one IP version; make two sets",
                );
            }
        }
        for (name, acl) in &self.s.web_acls {
            let ap = p(&["web_acls", name]);
            self.tags(&format!("{ap}/tags"), &acl.tags);
            let mut priorities: BTreeMap<u32, usize> = BTreeMap::new();
            let mut rule_names: HashSet<&str> = HashSet::new();
            for (i, r) in acl.rules.iter().enumerate() {
                let rp = format!("{ap}/rules/{i}");
                if !rule_names.insert(&r.name) {
                    self.err(
                        &format!("{rp}/name"),
                        format!("rule name `{}` is used twice in web ACL `{name}`", r.name),
                        "",
                    );
                }
                let priority = r.priority.unwrap_or(i as u32);
                if let Some(first) = priorities.insert(priority, i) {
                    self.err(
                        &format!("{rp}/priority"),
                        format!("priority {priority} is already used by rule `{}`", acl.rules[first].name),
                        "WAF rule priorities must be unique within the ACL",
                    );
                }
                let kinds = [r.managed.is_some(), r.rate_limit.is_some(), r.ip_set.is_some(), r.geo.is_some()]
                    .iter()
                    .filter(|b| **b)
                    .count();
                if kinds != 1 {
                    self.err(
                        &rp,
                        format!("rule `{}` needs exactly one of `managed`, `rate_limit`, `ip_set`, `geo`", r.name),
                        "",
                    );
                    continue;
                }
                if r.managed.is_some() {
                    if r.action.is_some() {
                        self.err(
                            &format!("{rp}/action"),
                            "a managed rule group takes `override_action`, not `action`",
                            "`override_action: count` only counts; `none` keeps the group's actions",
                        );
                    }
                } else if r.override_action.is_some() {
                    self.err(
                        &format!("{rp}/override_action"),
                        "`override_action` only applies to managed rule groups",
                        "use `action`",
                    );
                }
                if let Some(rl) = &r.rate_limit
                    && ![60, 120, 300, 600].contains(&rl.window)
                {
                    self.err(
                        &format!("{rp}/rate_limit/window"),
                        format!("rate window {} is not allowed", rl.window),
                        "one of 60, 120, 300, 600 seconds",
                    );
                }
                if let Some(set) = &r.ip_set {
                    self.reference(&format!("{rp}/ip_set"), K::IpSet, set);
                }
                if let Some(geo) = &r.geo {
                    for (j, c) in geo.iter().enumerate() {
                        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                            self.err(
                                &format!("{rp}/geo/{j}"),
                                format!("`{c}` is not a two-letter country code"),
                                "ISO 3166 codes in capitals, e.g. `US`, `FR`",
                            );
                        }
                    }
                }
            }
        }
    }
}
