//! Network placement and security groups: subnet groups, VPC lookups, rules and their descriptions.

use super::*;

impl V<'_> {
    pub(super) fn network(&mut self) {
        let net = &self.s.network;
        if let Some(VpcRef::Id(id)) = &net.vpc
            && id != "default"
            && !id.starts_with("vpc-")
        {
            self.err(
                "/network/vpc",
                format!("`{id}` is neither `default` nor a VPC id"),
                "write `default`, `vpc-0123...`, or `{tags: {Name: main}}`",
            );
        }
        if let Some(VpcRef::Lookup(l)) = &net.vpc
            && l.tags.is_empty()
        {
            self.err("/network/vpc/tags", "a VPC lookup needs at least one tag", "");
        }
        for (name, g) in &net.subnet_groups {
            let gp = p(&["network", "subnet_groups", name]);
            let selects = !g.tags.is_empty() || !g.zones.is_empty() || !g.names.is_empty();
            match (g.ids.is_empty(), selects) {
                (true, false) => self.err_key(
                    &gp,
                    format!("subnet group `{name}` selects no subnets"),
                    "give `ids: [subnet-...]`, or any of `tags`, `zones`, `names`",
                ),
                (false, true) => self.err_key(
                    &gp,
                    format!("subnet group `{name}` has `ids` and selectors"),
                    "ids name subnets exactly; `tags`, `zones` and `names` select them: choose one way",
                ),
                _ => {}
            }
            for (i, zone) in g.zones.iter().enumerate() {
                // A zone name is the region and a letter (`eu-west-1a`); a zone id `euw1-az1`.
                let zone_id = zone.split_once("-az").is_some_and(|(head, n)| {
                    head.len() >= 3
                        && head.chars().all(|c| c.is_ascii_alphanumeric())
                        && !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_digit())
                });
                let region = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
                let zone_name = region.len() < zone.len()
                    && region_problem(region).is_none_or(|(error, _)| !error)
                    && region.ends_with(|c: char| c.is_ascii_digit());
                if !zone_id && !zone_name {
                    self.err(
                        &format!("{gp}/zones/{i}"),
                        format!("`{zone}` is not an availability zone"),
                        "a zone name such as `eu-west-1a`, or a zone id such as `euw1-az1`",
                    );
                } else if zone_name
                    && let Some(own) = &self.s.region
                    && region != own
                {
                    self.err(
                        &format!("{gp}/zones/{i}"),
                        format!("zone `{zone}` is not in the stack's region {own}"),
                        "",
                    );
                }
            }
            for (i, id) in g.ids.iter().enumerate() {
                if !id.starts_with("subnet-") {
                    self.err(
                        &format!("{gp}/ids/{i}"),
                        format!("`{id}` is not a subnet id"),
                        "subnet ids look like `subnet-0abc1234`",
                    );
                }
            }
        }
    }

    /// EC2's rule for group and rule descriptions: at most 255 characters of
    /// `a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*` (EC2 API reference, `IpRange.Description`).
    pub(super) fn sg_description(&mut self, pointer: &str, d: &str) {
        if d.chars().count() > 255 {
            self.err(pointer, format!("the description is {} characters long; EC2 takes 255", d.chars().count()), "");
        } else if let Some(bad) =
            d.chars().find(|c| !(c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c)))
        {
            self.err(
                pointer,
                format!("the description holds `{bad}`, which EC2 does not accept"),
                "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
            );
        }
    }

    pub(super) fn security_groups(&mut self) {
        for (name, sg) in &self.s.security_groups {
            let sp = p(&["security_groups", name]);
            if let Some(l) = &sg.lookup {
                if l.name.is_some() != l.tags.is_empty() {
                    self.err(&format!("{sp}/lookup"), "a lookup takes exactly one of `name` or `tags`", "");
                }
                if sg.name.is_some()
                    || sg.description.is_some()
                    || !sg.ingress.is_empty()
                    || sg.egress.is_some()
                    || !sg.tags.is_empty()
                {
                    self.err_key(
                        &sp,
                        format!("security group `{name}` is looked up, so it has no settings of its own"),
                        "an existing group is used as is; remove `description`, rules and `tags`",
                    );
                }
                continue;
            }
            self.tags(&format!("{sp}/tags"), &sg.tags);
            if let Some(d) = &sg.description {
                self.sg_description(&format!("{sp}/description"), d);
            }
            let rules: Vec<(&str, &SgRule, usize)> = sg
                .ingress
                .iter()
                .enumerate()
                .map(|(i, r)| ("ingress", r, i))
                .chain(sg.egress.iter().flatten().enumerate().map(|(i, r)| ("egress", r, i)))
                .collect();
            for (dir, rule, i) in rules {
                let rp = format!("{sp}/{dir}/{i}");
                match (&rule.protocol, &rule.ports) {
                    (SgProtocol::Tcp | SgProtocol::Udp, None) => self.err(
                        &rp,
                        format!(
                            "a {} rule needs `ports`",
                            if rule.protocol == SgProtocol::Tcp { "tcp" } else { "udp" }
                        ),
                        "a port (`443`) or a range (`\"8000-8100\"`); use `\"0-65535\"` for all",
                    ),
                    (SgProtocol::All, Some(_)) => {
                        self.err(&format!("{rp}/ports"), "`protocol: all` covers every port", "remove `ports`")
                    }
                    (_, Some(Ports::Range(r))) if parse_port_range(r).is_none() => {
                        self.err(
                            &format!("{rp}/ports"),
                            format!("`{r}` is not a port range"),
                            "write `\"FROM-TO\"` with 0 ≤ FROM ≤ TO ≤ 65535",
                        );
                    }
                    _ => {}
                }
                if let Some(d) = &rule.description {
                    self.sg_description(&format!("{rp}/description"), d);
                }
                if rule.cidrs.is_empty() && rule.ipv6_cidrs.is_empty() && rule.groups.is_empty() {
                    let what = if dir == "ingress" { "source" } else { "destination" };
                    self.err(&rp, format!("this {dir} rule has no {what}"), "add `cidrs`, `ipv6_cidrs` or `groups`");
                }
                for (j, c) in rule.cidrs.iter().enumerate() {
                    if !is_cidr(c, Some(false)) {
                        self.err(
                            &format!("{rp}/cidrs/{j}"),
                            format!("`{c}` is not an IPv4 CIDR block"),
                            "for example `10.0.0.0/16` or `0.0.0.0/0`",
                        );
                    }
                }
                for (j, c) in rule.ipv6_cidrs.iter().enumerate() {
                    if !is_cidr(c, Some(true)) {
                        self.err(
                            &format!("{rp}/ipv6_cidrs/{j}"),
                            format!("`{c}` is not an IPv6 CIDR block"),
                            "for example `::/0`",
                        );
                    }
                }
                for (j, g) in rule.groups.iter().enumerate() {
                    self.reference_or_id(&format!("{rp}/groups/{j}"), K::SecurityGroup, g, "sg-");
                }
            }
        }
    }
}
