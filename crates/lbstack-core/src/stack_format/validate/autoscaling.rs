//! Launch templates, auto-scaling groups (hooks, warm pools, notifications), scaling policies and scheduled actions.

use super::*;

impl V<'_> {
    pub(super) fn launch_templates(&mut self) {
        for (name, lt) in &self.s.launch_templates {
            let lp = p(&["launch_templates", name]);
            self.tags(&format!("{lp}/tags"), &lt.tags);
            match &lt.image {
                Image::Id(id) if !id.starts_with("ami-") => {
                    self.err(
                        &format!("{lp}/image"),
                        format!("`{id}` is not an AMI id"),
                        "give `ami-...`, or look one up: `{name: \"al2023-ami-*-x86_64\", owner: amazon}`",
                    );
                }
                Image::Lookup(l) if l.name.trim().is_empty() => {
                    self.err(&format!("{lp}/image/name"), "image name pattern is empty", "")
                }
                Image::Parameter(p) if !(p.ssm.starts_with('/') || p.ssm.starts_with("arn:")) || p.ssm.len() > 2048 => {
                    self.err(
                        &format!("{lp}/image/ssm"),
                        format!("`{}` is not an SSM parameter name", truncate(&p.ssm)),
                        "a path such as `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`",
                    )
                }
                _ => {}
            }
            if let Some(profile) = &lt.instance_profile {
                if profile.starts_with("arn:") {
                    self.arn(
                        &format!("{lp}/instance_profile"),
                        profile,
                        "iam",
                        &["instance-profile/"],
                        "an instance profile ARN",
                    );
                } else if profile.is_empty()
                    || profile.len() > 128
                    || !profile.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
                {
                    self.err(
                        &format!("{lp}/instance_profile"),
                        format!("`{}` is not an instance profile name", truncate(profile)),
                        "1–128 of letters, digits and +=,.@_-",
                    );
                }
            }
            if !is_instance_type(&lt.instance_type) {
                self.err(
                    &format!("{lp}/instance_type"),
                    format!("`{}` is not an instance type", lt.instance_type),
                    "for example `t3.micro` or `m7g.large`",
                );
            }
            for (i, sg) in lt.security_groups.iter().enumerate() {
                self.reference_or_id(&format!("{lp}/security_groups/{i}"), K::SecurityGroup, sg, "sg-");
            }
            if let Some(ud) = &lt.user_data
                && let Some(bytes) = self.file(&format!("{lp}/user_data"), ud, MAX_USER_DATA)
            {
                let text = String::from_utf8_lossy(&bytes);
                if !files::private_key_blocks(&text).is_empty() {
                    self.err(
                        &format!("{lp}/user_data"),
                        format!("`{}` holds private key material", truncate(ud)),
                        "user data is readable by anything on the instance and shown in plans: fetch keys at boot (Secrets Manager, SSM)",
                    );
                } else if std::str::from_utf8(&bytes).is_err() {
                    self.err(&format!("{lp}/user_data"), format!("`{}` is not UTF-8 text", truncate(ud)), "");
                }
            }
            self.template_extras(&lp, lt);
            if let Some(rv) = &lt.root_volume {
                let rp = format!("{lp}/root_volume");
                let kind = rv.kind.as_str();
                if !["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"].contains(&kind) {
                    self.err(
                        &format!("{rp}/type"),
                        format!("`{}` is not an EBS volume type", rv.kind),
                        "gp3, gp2, io1, io2, st1, sc1 or standard",
                    );
                } else if matches!(kind, "io1" | "io2") && rv.iops.is_none() {
                    self.err(
                        &format!("{rp}/type"),
                        format!("an {kind} volume needs `iops`"),
                        "provisioned IOPS volumes are created with their IOPS: add `iops: 3000`, or use gp3",
                    );
                } else if rv.iops.is_some() && !matches!(kind, "io1" | "io2" | "gp3") {
                    self.err(
                        &format!("{rp}/iops"),
                        format!("`iops` does not apply to {kind} volumes"),
                        "io1, io2 and gp3 take provisioned IOPS",
                    );
                }
                if rv.throughput.is_some() && kind != "gp3" {
                    self.err(
                        &format!("{rp}/throughput"),
                        format!("`throughput` does not apply to {kind} volumes"),
                        "only gp3 takes a throughput",
                    );
                }
                if let Some(t) = rv.throughput.filter(|t| !(125..=1000).contains(t)) {
                    self.err(&format!("{rp}/throughput"), format!("{t} MiB/s is outside 125–1000"), "");
                }
                if let (Some(i), "gp3") = (rv.iops, kind)
                    && !(3000..=16000).contains(&i)
                {
                    self.err(&format!("{rp}/iops"), format!("{i} IOPS is outside 3000–16000 for gp3"), "");
                }
            }
        }
    }

    /// Extra volumes, network interfaces and the template's other settings.
    fn template_extras(&mut self, lp: &str, lt: &crate::stack_format::model::LaunchTemplate) {
        for (device, v) in &lt.volumes {
            let vp = format!("{lp}/volumes/{}", escape(device));
            if !device.starts_with("/dev/") && !device.starts_with("xvd") {
                self.err_key(
                    &vp,
                    format!("`{}` is not a device name", truncate(device)),
                    "for example `/dev/sdf` or `/dev/xvdb`",
                );
            }
            let set = [
                v.size.is_some(),
                v.kind.is_some(),
                v.encrypted.is_some(),
                v.iops.is_some(),
                v.throughput.is_some(),
                v.snapshot.is_some(),
            ];
            if v.no_device && set.iter().any(|b| *b) {
                self.err_key(&vp, "`no_device` suppresses the device: it takes no volume settings", "");
            }
            if !v.no_device && v.size.is_none() && v.snapshot.is_none() {
                self.err_key(&vp, "a volume needs `size` or `snapshot`", "");
            }
            if let Some(kind) = v.kind.as_deref() {
                if !["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"].contains(&kind) {
                    self.err(
                        &format!("{vp}/type"),
                        format!("`{kind}` is not an EBS volume type"),
                        "gp3, gp2, io1, io2, st1, sc1 or standard",
                    );
                } else if matches!(kind, "io1" | "io2") && v.iops.is_none() {
                    self.err(&format!("{vp}/type"), format!("an {kind} volume needs `iops`"), "");
                }
                if v.throughput.is_some() && kind != "gp3" {
                    self.err(
                        &format!("{vp}/throughput"),
                        format!("`throughput` does not apply to {kind} volumes"),
                        "only gp3 takes a throughput",
                    );
                }
            }
            if let Some(snap) = &v.snapshot
                && !snap.starts_with("snap-")
            {
                self.err(&format!("{vp}/snapshot"), format!("`{}` is not a snapshot id", truncate(snap)), "`snap-...`");
            }
        }
        if !lt.network_interfaces.is_empty() && !lt.security_groups.is_empty() {
            self.err(
                &format!("{lp}/security_groups"),
                "with `network_interfaces`, security groups are set on each interface",
                "move `security_groups` into the primary interface",
            );
        }
        let mut indexes = std::collections::BTreeSet::new();
        for (i, n) in lt.network_interfaces.iter().enumerate() {
            let np = format!("{lp}/network_interfaces/{i}");
            let index = (n.network_card.unwrap_or(0), n.device_index.unwrap_or(i as u32));
            if !indexes.insert(index) {
                self.err_key(&np, format!("device index {} is used twice on network card {}", index.1, index.0), "");
            }
            if n.public_ip.is_some() && index != (0, 0) {
                self.err(
                    &format!("{np}/public_ip"),
                    "only the primary interface (device 0) takes a public IP address",
                    "",
                );
            }
            for (j, sg) in n.security_groups.iter().enumerate() {
                self.reference_or_id(&format!("{np}/security_groups/{j}"), K::SecurityGroup, sg, "sg-");
            }
        }
        if lt.cpu_credits.is_some() && !lt.instance_type.starts_with('t') {
            self.err(
                &format!("{lp}/cpu_credits"),
                format!("CPU credits are for burstable (T) instances, not {}", lt.instance_type),
                "",
            );
        }
        if let Some(p) = &lt.placement
            && p.partition.is_some()
            && p.group.is_none()
        {
            self.err(&format!("{lp}/placement/partition"), "a partition is one of a placement group's", "add `group`");
        }
        if let Some(r) = &lt.resource_tags {
            for (kind, tags) in [
                ("instance", &r.instance),
                ("volume", &r.volume),
                ("network_interface", &r.network_interface),
                ("spot_instances_request", &r.spot_instances_request),
            ] {
                self.tags(&format!("{lp}/resource_tags/{kind}"), tags);
            }
        }
    }

    pub(super) fn autoscaling_groups(&mut self) {
        let lb_tgs: HashSet<&str> = self.users.keys().copied().collect();
        for (name, g) in &self.s.autoscaling_groups {
            let gp = p(&["autoscaling_groups", name]);
            self.tags(&format!("{gp}/tags"), &g.tags);
            if g.min > g.max {
                self.err(&format!("{gp}/min"), format!("min ({}) is greater than max ({})", g.min, g.max), "");
            }
            if let Some(d) = g.desired {
                if d < g.min || d > g.max {
                    self.err(
                        &format!("{gp}/desired"),
                        format!("desired ({d}) is outside min–max ({}–{})", g.min, g.max),
                        "",
                    );
                }
            } else if g.pin_desired {
                self.err(&format!("{gp}/pin_desired"), "`pin_desired` needs `desired`", "");
            }
            if let Some(sn) = &g.subnets {
                self.reference(&format!("{gp}/subnets"), Kind::SubnetGroup, sn);
            }
            let ltp = format!("{gp}/launch_template");
            let lt_name = g.launch_template.name().to_string();
            let lt_pointer = if matches!(g.launch_template, LaunchTemplateRef::Versioned(_)) {
                format!("{ltp}/name")
            } else {
                ltp.clone()
            };
            if self.reference(&lt_pointer, K::LaunchTemplate, &lt_name)
                && let (Some(lt), Some(_)) = (self.s.launch_templates.get(&lt_name), &g.mixed_instances)
                && lt.spot.is_some()
            {
                self.err(
                    &format!("{gp}/mixed_instances"),
                    format!("launch template `{lt_name}` requests spot instances, which AWS refuses in a mixed instances group"),
                    "remove `spot` from the template and set the spot share here with `on_demand_percentage`",
                );
            }
            if let LaunchTemplateRef::Versioned(v) = &g.launch_template {
                match &v.version {
                    None => {}
                    Some(Scalar::Int(n)) if *n >= 1 => {}
                    Some(Scalar::String(s)) if s == "latest" || s == "default" => {}
                    Some(other) => self.err(
                        &format!("{ltp}/version"),
                        format!("`{other}` is not a launch template version"),
                        "`latest`, `default`, or a version number from 1",
                    ),
                }
            }
            if matches!(g.desired_capacity_type, Some(DesiredCapacityType::Vcpu | DesiredCapacityType::MemoryMib))
                && g.mixed_instances.as_ref().is_none_or(|m| m.requirements.is_none())
            {
                self.err(
                    &format!("{gp}/desired_capacity_type"),
                    "sizes in vCPUs or memory need attribute-based type selection",
                    "give `mixed_instances.requirements`, or count `units`",
                );
            }
            if let Some(r) = &g.instance_refresh {
                for (i, alarm) in r.alarms.iter().enumerate() {
                    if alarm.is_empty() || alarm.len() > 255 {
                        self.err(&format!("{gp}/instance_refresh/alarms/{i}"), "an alarm name is 1–255 characters", "");
                    }
                }
                if r.alarms.len() > 10 {
                    self.err(
                        &format!("{gp}/instance_refresh/alarms"),
                        "an instance refresh is stopped by at most 10 alarms",
                        "",
                    );
                }
            }
            if let Some(m) = &g.mixed_instances {
                match (&m.requirements, m.types.len()) {
                    (None, 0) => self.err_key(
                        &format!("{gp}/mixed_instances"),
                        "a mixed instances group lists `types` or gives `requirements`",
                        "",
                    ),
                    (Some(_), n) if n > 0 => self.err_key(
                        &format!("{gp}/mixed_instances/requirements"),
                        "`requirements` choose the types: leave `types` out",
                        "",
                    ),
                    (None, n) if n > 40 => self.err(
                        &format!("{gp}/mixed_instances/types"),
                        "a mixed instances group lists 1 to 40 instance types",
                        "",
                    ),
                    _ => {}
                }
                if let Some(r) = &m.requirements {
                    let rp = format!("{gp}/mixed_instances/requirements");
                    for (field, range) in [
                        ("vcpus", Some(&r.vcpus)),
                        ("memory_mib", Some(&r.memory_mib)),
                        ("accelerator_count", r.accelerator_count.as_ref()),
                    ] {
                        if let Some(range) = range
                            && let (Some(lo), Some(hi)) = (range.min, range.max)
                            && lo > hi
                        {
                            self.err(&format!("{rp}/{field}"), format!("min {lo} is above max {hi}"), "");
                        }
                    }
                    if r.vcpus.min.is_none() || r.memory_mib.min.is_none() {
                        self.err(&rp, "`vcpus` and `memory_mib` need a `min` (AWS requires one)", "");
                    }
                    if !r.allowed_types.is_empty() && !r.excluded_types.is_empty() {
                        self.err(
                            &format!("{rp}/allowed_types"),
                            "`allowed_types` and `excluded_types` do not go together",
                            "",
                        );
                    }
                    for (field, values, allowed) in [
                        (
                            "cpu_manufacturers",
                            &r.cpu_manufacturers,
                            &["intel", "amd", "amazon-web-services", "apple"][..],
                        ),
                        ("accelerator_types", &r.accelerator_types, &["gpu", "fpga", "inference"][..]),
                    ] {
                        if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
                            self.err(
                                &format!("{rp}/{field}"),
                                format!("`{}` is not one of {}", truncate(bad), allowed.join(", ")),
                                "",
                            );
                        }
                    }
                    if let Some(b) =
                        r.burstable.as_deref().filter(|b| !["included", "excluded", "required"].contains(b))
                    {
                        self.err(
                            &format!("{rp}/burstable"),
                            format!("`{}` is not included, excluded or required", truncate(b)),
                            "",
                        );
                    }
                }
                for (i, t) in m.types.iter().enumerate() {
                    if !is_instance_type(t) {
                        self.err(
                            &format!("{gp}/mixed_instances/types/{i}"),
                            format!("`{t}` is not an instance type"),
                            "",
                        );
                    }
                }
                let wp = format!("{gp}/mixed_instances/weighted_capacity");
                for (t, w) in &m.weighted_capacity {
                    if !m.types.contains(t) {
                        self.err_key(
                            &format!("{wp}/{}", escape(t)),
                            format!("`{}` is not one of the group's `types`", truncate(t)),
                            "weigh the types the group lists",
                        );
                    }
                    if !(1..=999).contains(w) {
                        self.err(&format!("{wp}/{}", escape(t)), format!("weight {w} is outside 1–999"), "");
                    }
                }
                if !m.weighted_capacity.is_empty()
                    && let Some(t) = m.types.iter().find(|t| !m.weighted_capacity.contains_key(*t))
                {
                    self.err_key(
                        &wp,
                        format!("`{}` has no weight", truncate(t)),
                        "AWS takes a weight for every type or for none",
                    );
                }
            }
            for (i, tg) in g.target_groups.iter().enumerate() {
                let tgp = format!("{gp}/target_groups/{i}");
                // A load balancer dropped for its own mistake may be the one forwarding there.
                let lb_dropped = self.broken.iter().any(|(section, _)| section == "load_balancers");
                if self.reference(&tgp, K::TargetGroup, tg)
                    && !lb_dropped
                    && !lb_tgs.contains(tg.as_str())
                    && self.s.target_groups.contains_key(tg)
                {
                    self.warn_key(
                        &tgp,
                        format!("target group `{tg}` is not forwarded to by any listener"),
                        "its instances will receive no traffic",
                    );
                }
            }
            if let Some(hc) = &g.health_check
                && hc.kind == AsgHealthCheckType::Elb
                && g.target_groups.is_empty()
            {
                self.err(
                    &format!("{gp}/health_check/type"),
                    "`type: elb` needs target groups",
                    "the load balancer's health checks come from the group's target groups",
                );
            }
            if let Some(life) = g.max_instance_lifetime
                && life != 0
                && !(86_400..=31_536_000).contains(&life)
            {
                self.err(
                    &format!("{gp}/max_instance_lifetime"),
                    format!("{life} s is not allowed"),
                    "0 (off) or 86400–31536000 seconds (1 to 365 days)",
                );
            }
            self.group_extras(&gp, name, g);
            if let Some(r) = &g.instance_refresh {
                if let (Some(min), Some(max)) = (r.min_healthy_percentage, r.max_healthy_percentage)
                    && (max - min > 100 || max < min)
                {
                    self.err(
                        &format!("{gp}/instance_refresh"),
                        format!(
                            "min_healthy_percentage {min} and max_healthy_percentage {max} are more than 100 apart"
                        ),
                        "AWS allows a spread of at most 100",
                    );
                }
                if !r.checkpoints.is_empty() {
                    let ascending = r.checkpoints.windows(2).all(|w| w[0] < w[1]);
                    if !ascending
                        || r.checkpoints.last() != Some(&100)
                        || r.checkpoints.iter().any(|c| *c == 0 || *c > 100)
                    {
                        self.err(
                            &format!("{gp}/instance_refresh/checkpoints"),
                            "checkpoints must ascend from 1 and end at 100",
                            "for example [20, 50, 100]",
                        );
                    }
                }
            }
        }
    }

    /// Lifecycle hooks, the warm pool, notifications and the maintenance policy of one group.
    pub(super) fn group_extras(&mut self, gp: &str, name: &str, g: &AutoScalingGroup) {
        let region = self.s.region.clone();
        let mut names: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
        let given: Vec<&str> = g.lifecycle_hooks.values().filter_map(|h| h.name.as_deref()).collect();
        if given.iter().map(|n| n.len() + 1).sum::<usize>() > 257 {
            self.err(
                &format!("{gp}/lifecycle_hooks"),
                "the hooks' given names are more than 256 characters together, more than the group's `lbstack:hooks` tag records",
                "leave `name` out of some hooks (they are then `<stack>-<key>`)",
            );
        }
        for (hook, h) in &g.lifecycle_hooks {
            let hp = format!("{gp}/lifecycle_hooks/{}", escape(hook));
            let physical = h.name.clone().unwrap_or_else(|| format!("{}-{hook}", self.s.stack));
            let allowed = |n: &str| n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
            match &h.name {
                Some(given) if !allowed(given) || given.is_empty() || given.len() > 255 => self.err(
                    &format!("{hp}/name"),
                    format!("`{}` is not a hook name", truncate(given)),
                    "letters, digits, `-`, `_` and `/`; 1–255 characters",
                ),
                None if physical.len() > 255 || !allowed(hook) => self.err_key(
                    &hp,
                    format!("hook `{hook}` cannot be named `{physical}`"),
                    "letters, digits, `-`, `_` and `/`; at most 255 characters with the stack's name",
                ),
                _ => {}
            }
            if let Some(first) = names.insert(physical.clone(), hook) {
                self.err_key(
                    &hp,
                    format!("hooks `{first}` and `{hook}` are both named `{}`", truncate(&physical)),
                    "a group's hook names are unique",
                );
            }
            if let Some(target) = &h.notification_target {
                let service = target.split(':').nth(2).unwrap_or_default();
                let problem = if matches!(service, "sns" | "sqs") {
                    arn_problem(target, service, &[], region.as_deref(), false)
                } else {
                    Some("an SNS topic or SQS queue ARN".to_string())
                };
                if let Some(p) = problem {
                    self.err(&format!("{hp}/notification_target"), format!("not a notification target: {p}"), "");
                }
                if h.role.is_none() {
                    self.err_key(
                        &hp,
                        format!("hook `{hook}` has a `notification_target` but no `role`"),
                        "Auto Scaling publishes with a role that may send to the target",
                    );
                }
            }
            if let Some(role) = &h.role
                && let Some(p) = arn_problem(role, "iam", &["role/"], None, true)
            {
                self.err(&format!("{hp}/role"), format!("not a role ARN: {p}"), "");
            }
            if h.metadata.as_ref().is_some_and(|m| m.chars().count() > 1023) {
                self.err(&format!("{hp}/metadata"), "metadata is at most 1023 characters", "");
            }
        }
        // API reference, PutWarmPool: "This operation cannot be called on an Auto Scaling group that
        // has a mixed instances policy or a launch template ... that requests Spot Instances."
        if g.warm_pool.is_some() {
            let spot_template =
                self.s.launch_templates.get(g.launch_template.name()).is_some_and(|lt| lt.spot.is_some());
            if g.mixed_instances.is_some() || spot_template {
                let why = if g.mixed_instances.is_some() {
                    "`mixed_instances`"
                } else {
                    "a launch template that requests Spot Instances"
                };
                self.err(
                    &format!("{gp}/warm_pool"),
                    format!("group `{name}` has a warm pool and {why}; AWS refuses a warm pool on such a group"),
                    "keep the warm pool on a group of On-Demand instances of one launch template, or drop it",
                );
            }
        }
        if let Some(w) = &g.warm_pool
            && let Some(max) = w.max_prepared
            && max < w.min_size.unwrap_or(0)
        {
            self.err(&format!("{gp}/warm_pool/max_prepared"), format!("`max_prepared` {max} is below `min_size`"), "");
        }
        let mut topics: HashSet<&str> = HashSet::new();
        for (i, n) in g.notifications.iter().enumerate() {
            let np = format!("{gp}/notifications/{i}");
            self.topic_ref(&format!("{np}/topic"), &n.topic, "");
            if !topics.insert(n.topic.as_str()) {
                self.err(
                    &format!("{np}/topic"),
                    format!("group `{name}` already notifies this topic"),
                    "list every event of a topic in one entry",
                );
            }
        }
        if let Some(r) = &g.capacity_reservations {
            let rp = format!("{gp}/capacity_reservations");
            for (i, id) in r.ids.iter().enumerate() {
                if !id.starts_with("cr-") {
                    self.err(
                        &format!("{rp}/ids/{i}"),
                        format!("`{}` is not a capacity reservation id", truncate(id)),
                        "ids look like `cr-0123456789abcdef0`",
                    );
                }
            }
            for (i, arn) in r.groups.iter().enumerate() {
                if let Some(problem) = arn_problem(arn, "resource-groups", &["group/"], self.s.region.as_deref(), false)
                {
                    self.err(&format!("{rp}/groups/{i}"), format!("not a resource group ARN: {problem}"), "");
                }
            }
            let targets = !r.ids.is_empty() || !r.groups.is_empty();
            match r.preference {
                Some(ReservationPreference::None) if targets => self.err(
                    &format!("{rp}/preference"),
                    "`none` uses no reservation, so `ids` and `groups` would be ignored",
                    "",
                ),
                Some(ReservationPreference::Only) if !targets => {
                    self.err_key(&rp, "`only` launches into reservations alone, so it needs `ids` or `groups`", "")
                }
                _ => {}
            }
        }
        if let Some(m) = &g.instance_maintenance
            && (m.max_healthy_percentage < m.min_healthy_percentage
                || m.max_healthy_percentage - m.min_healthy_percentage > 100)
        {
            self.err(
                &format!("{gp}/instance_maintenance"),
                "the healthy percentages are more than 100 apart",
                "AWS allows a spread of at most 100",
            );
        }
    }

    pub(super) fn scaling_policies(&mut self) {
        let triggered: HashSet<&str> = self
            .s
            .alarms
            .values()
            .flat_map(|a| a.actions.iter().chain(&a.ok_actions).chain(&a.insufficient_data_actions))
            .map(String::as_str)
            .collect();
        for (name, pol) in &self.s.scaling_policies {
            let pp = p(&["scaling_policies", name]);
            let group_ok = self.reference(&format!("{pp}/group"), K::AutoScalingGroup, &pol.group);
            let group = self.s.autoscaling_groups.get(&pol.group);
            let kinds =
                [pol.target_tracking.is_some(), pol.step.is_some(), pol.simple.is_some(), pol.predictive.is_some()]
                    .iter()
                    .filter(|b| **b)
                    .count();
            if kinds != 1 {
                self.err_key(
                    &pp,
                    format!(
                        "scaling policy `{name}` needs exactly one of `target_tracking`, `step`, `simple`, `predictive`"
                    ),
                    "",
                );
                continue;
            }
            if let Some(tt) = &pol.target_tracking {
                let tp = format!("{pp}/target_tracking");
                match [tt.metric.is_some(), tt.custom.is_some(), tt.expression.is_some()].iter().filter(|b| **b).count()
                {
                    0 => self.err(
                        &tp,
                        "target tracking needs `metric`, `custom` or `expression`",
                        "metric: cpu, network_in, network_out or alb_requests_per_target",
                    ),
                    1 => {}
                    _ => self.err(&tp, "target tracking takes one of `metric`, `custom` or `expression`", ""),
                }
                if tt.expression.is_some() == tt.metrics.is_empty() {
                    self.err(
                        &tp,
                        "`expression` and `metrics` go together: the expression is computed from the metrics",
                        "",
                    );
                }
                if tt.metrics.len() > 10 {
                    self.err(&format!("{tp}/metrics"), "metric math takes at most 10 metrics", "");
                }
                for id in tt.metrics.keys() {
                    let ok = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !ok || id == "tracked" {
                        self.err_key(
                            &format!("{tp}/metrics/{}", escape(id)),
                            format!("`{}` is not a metric id", truncate(id)),
                            "a lowercase letter, then letters, digits and `_` (`tracked` is lbstack's own)",
                        );
                    }
                }
                if let Some(expr) = &tt.expression {
                    let named =
                        |id: &str| expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == id);
                    if let Some(unused) = tt.metrics.keys().find(|id| !named(id)) {
                        self.err_key(
                            &format!("{tp}/metrics/{}", escape(unused)),
                            format!("`{}` is not used by the expression", truncate(unused)),
                            "",
                        );
                    }
                }
                if tt.metric == Some(PredefinedMetric::Cpu) && tt.target > 100.0 {
                    self.err(&format!("{tp}/target"), format!("a CPU target of {}% cannot be reached", tt.target), "");
                }
                if tt.target <= 0.0 {
                    self.err(&format!("{tp}/target"), "the target value must be greater than 0", "");
                }
                self.metric_target_group(
                    &tp,
                    tt.metric,
                    tt.target_group.as_deref(),
                    group_ok.then_some(()).and(group),
                    &pol.group,
                );
            }
            if let Some(pr) = &pol.predictive {
                let tp = format!("{pp}/predictive");
                if pr.target <= 0.0 {
                    self.err(&format!("{tp}/target"), "the target value must be greater than 0", "");
                }
                if pr.max_capacity_buffer.is_some()
                    && pr.max_capacity_behavior != MaxCapacityBehavior::IncreaseMaxCapacity
                {
                    self.err(
                        &format!("{tp}/max_capacity_buffer"),
                        "`max_capacity_buffer` needs `max_capacity_behavior: increase_max_capacity`",
                        "",
                    );
                }
                match (pr.metric.is_some(), pr.scaling_metric.is_some(), pr.load_metric.is_some()) {
                    (true, false, false) | (false, true, true) => {}
                    (true, _, _) => self.err(&tp, "predictive scaling takes a predefined `metric` or custom `scaling_metric` and `load_metric`, not both", ""),
                    _ => self.err(&tp, "predictive scaling needs `metric`, or both `scaling_metric` and `load_metric`", ""),
                }
                self.metric_target_group(
                    &tp,
                    pr.metric,
                    pr.target_group.as_deref(),
                    group_ok.then_some(()).and(group),
                    &pol.group,
                );
            }
            if let Some(st) = &pol.step {
                let sp = format!("{pp}/step");
                self.steps(&sp, st);
            }
            if let Some(si) = &pol.simple
                && si.adjust == 0
            {
                self.err(&format!("{pp}/simple/adjust"), "an adjustment of 0 changes nothing", "");
            }
            // A step policy's bounds are relative to its alarm's threshold: without one it means nothing.
            if pol.step.is_some() && !triggered.contains(name.as_str()) {
                self.err_key(
                    &pp,
                    format!("step scaling policy `{name}` has no alarm"),
                    format!(
                        "add an alarm with `actions: [{name}]`; its threshold is what the step bounds are relative to"
                    ),
                );
            }
            if pol.simple.is_some() && !triggered.contains(name.as_str()) {
                self.warn_key(
                    &pp,
                    format!("scaling policy `{name}` is not triggered by any alarm"),
                    "simple policies act only when an alarm names them in `actions`",
                );
            }
            if let (Some(si), Some(g)) = (&pol.simple, group) {
                let cooldown = si.cooldown.unwrap_or(crate::defaults::SCALING_COOLDOWN);
                let warmup = g.default_instance_warmup;
                if let Some(w) = warmup.filter(|w| cooldown < *w) {
                    let at =
                        if si.cooldown.is_some() { format!("{pp}/simple/cooldown") } else { format!("{pp}/simple") };
                    self.warn_key(
                        &at,
                        format!("cooldown {cooldown} s is shorter than the {w} s instances of `{}` need to warm up", pol.group),
                        "the policy can fire again before the instances it added count, and overshoot; make the cooldown at least the warmup",
                    );
                }
            }
        }
    }

    pub(super) fn metric_target_group(
        &mut self,
        tp: &str,
        metric: Option<PredefinedMetric>,
        tg: Option<&str>,
        group: Option<&AutoScalingGroup>,
        group_name: &str,
    ) {
        match (metric, tg) {
            (Some(PredefinedMetric::AlbRequestsPerTarget), None) => {
                self.err(
                    tp,
                    "`alb_requests_per_target` needs `target_group`",
                    "the target group whose requests per target are tracked",
                );
            }
            (Some(PredefinedMetric::AlbRequestsPerTarget), Some(tg)) => {
                let tgp = format!("{tp}/target_group");
                if self.reference(&tgp, K::TargetGroup, tg) {
                    if let Some(g) = group
                        && !g.target_groups.iter().any(|t| t == tg)
                    {
                        self.err(
                            &tgp,
                            format!("target group `{tg}` is not attached to auto-scaling group `{group_name}`"),
                            format!("add it to `autoscaling_groups.{group_name}.target_groups`"),
                        );
                    }
                    let users = self.users.clone();
                    let forwarded = users.get(tg).is_some_and(|u| u.iter().any(|(t, _)| *t == LbType::Application));
                    if !forwarded && self.s.target_groups.contains_key(tg) {
                        self.err(
                            &tgp,
                            format!("no application load balancer forwards to target group `{tg}`"),
                            "ALBRequestCountPerTarget is measured by an application load balancer",
                        );
                    }
                }
            }
            (Some(_), Some(_)) => {
                self.err(&format!("{tp}/target_group"), "`target_group` applies to `alb_requests_per_target` only", "")
            }
            _ => {}
        }
    }

    pub(super) fn steps(&mut self, sp: &str, st: &StepScaling) {
        if st.steps.is_empty() {
            self.err(sp, "step scaling needs at least one step", "");
            return;
        }
        let mut steps: Vec<(usize, &Step)> = st.steps.iter().enumerate().collect();
        for (i, s) in &steps {
            if s.lower.is_none() && s.upper.is_none() && st.steps.len() > 1 {
                self.err(&format!("{sp}/steps/{i}"), "only a single step may be unbounded on both sides", "");
            }
            if let (Some(lo), Some(hi)) = (s.lower, s.upper)
                && lo >= hi
            {
                self.err(&format!("{sp}/steps/{i}"), format!("lower bound {lo} is not below upper bound {hi}"), "");
            }
        }
        steps.sort_by(|a, b| a.1.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.1.lower.unwrap_or(f64::NEG_INFINITY)));
        for w in steps.windows(2) {
            let (_, a) = w[0];
            let (j, b) = w[1];
            match (a.upper, b.lower) {
                (Some(u), Some(l)) if u != l => {
                    let what = if u < l { "a gap" } else { "an overlap" };
                    self.err(
                        &format!("{sp}/steps/{j}"),
                        format!("{what} between steps: one ends at {u}, the next starts at {l}"),
                        "each step's lower bound must equal the previous step's upper bound",
                    );
                }
                (None, _) => self.err(
                    &format!("{sp}/steps/{j}"),
                    "a step follows one that has no upper bound",
                    "only the last step may be open upward",
                ),
                _ => {}
            }
        }
        if let Some(agg) = &st.aggregation
            && !["Average", "Minimum", "Maximum"].contains(&agg.as_str())
        {
            self.err(
                &format!("{sp}/aggregation"),
                format!("`{agg}` is not a metric aggregation"),
                "Average, Minimum or Maximum",
            );
        }
    }

    pub(super) fn scheduled_actions(&mut self) {
        for (name, a) in &self.s.scheduled_actions {
            let ap = p(&["scheduled_actions", name]);
            self.reference(&format!("{ap}/group"), K::AutoScalingGroup, &a.group);
            if a.min.is_none() && a.max.is_none() && a.desired.is_none() {
                self.err_key(
                    &ap,
                    format!("scheduled action `{name}` changes nothing"),
                    "set at least one of `min`, `max`, `desired`",
                );
            }
            if let (Some(min), Some(max)) = (a.min, a.max)
                && min > max
            {
                self.err(&format!("{ap}/min"), format!("min ({min}) is greater than max ({max})"), "");
            }
            if let Some(d) = a.desired
                && (a.min.is_some_and(|m| d < m) || a.max.is_some_and(|m| d > m))
            {
                self.err(
                    &format!("{ap}/desired"),
                    format!("desired ({d}) is outside the min–max this action sets"),
                    "",
                );
            }
            if a.recurrence.is_none() && a.start.is_none() {
                self.err_key(
                    &ap,
                    format!("scheduled action `{name}` never runs"),
                    "give `recurrence` (cron) to repeat, or `start` to run once",
                );
            }
            if let Some(cron) = &a.recurrence
                && let Err(e) = check_cron(cron)
            {
                self.err(
                    &format!("{ap}/recurrence"),
                    format!("`{cron}` is not a valid cron expression: {e}"),
                    "five fields: minute hour day-of-month month day-of-week, e.g. `0 8 * * 1-5`",
                );
            }
            if let Some(tz) = &a.time_zone {
                if a.recurrence.is_none() {
                    self.err(&format!("{ap}/time_zone"), "`time_zone` applies to a `recurrence`", "");
                } else if !is_time_zone(tz) {
                    self.err(
                        &format!("{ap}/time_zone"),
                        format!("`{tz}` is not an IANA time zone name"),
                        "for example `UTC`, `Europe/Paris`, `America/New_York`",
                    );
                }
            }
            // API reference, PutScheduledUpdateGroupAction: "If you try to schedule your action in the
            // past, Amazon EC2 Auto Scaling returns an error message." A one-time action that has run
            // is gone from AWS, so its entry can never be made again.
            let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
            for (field, v) in [("start", &a.start), ("end", &a.end)] {
                let Some(t) = v else { continue };
                match chrono::DateTime::parse_from_rfc3339(t) {
                    Err(_) => self.err(
                        &format!("{ap}/{field}"),
                        format!("`{t}` is not an ISO 8601 time"),
                        "for example `2027-12-01T08:00:00Z`",
                    ),
                    Ok(at) if at < now => self.err(
                        &format!("{ap}/{field}"),
                        format!("`{field}` {t} is in the past; AWS refuses to schedule an action in the past"),
                        match (field, a.recurrence.is_some()) {
                            ("end", _) => "move `end` ahead, or leave it out",
                            (_, true) => "leave `start` out (the schedule starts now) or move it ahead",
                            (_, false) => "a one-time action that has run is done: remove it, or move it ahead",
                        },
                    ),
                    Ok(_) => {}
                }
            }
            if let (Some(s), Some(e)) = (&a.start, &a.end)
                && is_iso_time(s)
                && is_iso_time(e)
                && e <= s
            {
                self.err(&format!("{ap}/end"), "`end` is not after `start`", "");
            }
        }
    }
}
