//! Load balancers, listeners, rules, actions, sign-in and target groups: what each load balancer type takes.

use super::*;

impl V<'_> {
    /// A `name:` as ELBv2 takes it, given to one resource of its kind only.
    fn elbv2_name(&mut self, pointer: &str, name: &str, kind: K) {
        let valid = (1..=32).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !(kind == K::LoadBalancer && name.starts_with("internal-"));
        if !valid {
            self.err(
                pointer,
                format!("`{}` is not a {} name", truncate(name), kind.noun()),
                "1–32 letters, digits and hyphens, not at either end",
            );
        }
        let others = kind.declared(self.s).into_iter().filter(|k| self.s.given_name(kind, k) == Some(name)).count();
        if others > 1 {
            self.err(pointer, format!("two {} of the stack are named `{}`", kind.nouns(), truncate(name)), "");
        }
    }

    pub(super) fn target_groups(&mut self) {
        let users = self.users.clone();
        let asg_owned: HashMap<&str, &str> = self
            .s
            .autoscaling_groups
            .iter()
            .flat_map(|(a, g)| g.target_groups.iter().map(move |t| (t.as_str(), a.as_str())))
            .collect();
        for (name, tg) in &self.s.target_groups {
            let tp = p(&["target_groups", name]);
            self.tags(&format!("{tp}/tags"), &tg.tags);
            if let Some(aws_name) = &tg.name {
                self.elbv2_name(&format!("{tp}/name"), aws_name, K::TargetGroup);
            }
            let lambda = tg.target_type == TargetType::Lambda;
            if lambda {
                if tg.protocol.is_some() || tg.port.is_some() {
                    self.err_key(
                        &tp,
                        format!("target group `{name}` has type lambda, which takes no `protocol` or `port`"),
                        "remove them",
                    );
                }
            } else {
                if tg.protocol.is_none() {
                    self.err_key(
                        &tp,
                        format!("target group `{name}` needs a `protocol`"),
                        "HTTP or HTTPS behind an application load balancer, TCP/TLS/UDP/TCP_UDP behind a network one, GENEVE behind a gateway one",
                    );
                }
                if tg.port.is_none() {
                    self.err_key(
                        &tp,
                        format!("target group `{name}` needs a `port`"),
                        "the port targets receive traffic on",
                    );
                }
            }
            let http = matches!(tg.protocol, Some(Protocol::Http | Protocol::Https));
            if tg.protocol == Some(Protocol::Geneve) && tg.port.is_some_and(|p| p != 6081) {
                self.err(&format!("{tp}/port"), "GENEVE target groups use port 6081", "");
            }
            if tg.target_type == TargetType::Alb && tg.protocol.is_some_and(|p| p != Protocol::Tcp) {
                self.err(
                    &format!("{tp}/protocol"),
                    "a target group of type alb must use TCP",
                    "an ALB can only be the target of a network load balancer's TCP listener",
                );
            }
            if tg.protocol_version.is_some() && !http {
                self.err(
                    &format!("{tp}/protocol_version"),
                    "`protocol_version` applies to HTTP and HTTPS target groups only",
                    "",
                );
            }
            if let Some(hc) = &tg.health_check {
                self.health_check(&format!("{tp}/health_check"), hc, tg);
            }
            if let Some(st) = &tg.stickiness {
                let sp = format!("{tp}/stickiness");
                match st.kind {
                    StickinessType::LbCookie | StickinessType::AppCookie if !http && !lambda => {
                        self.err(
                            &format!("{sp}/type"),
                            "cookie stickiness needs an HTTP or HTTPS target group",
                            "network load balancers stick with `type: source_ip`",
                        );
                    }
                    StickinessType::SourceIp if http || lambda => {
                        self.err(
                            &format!("{sp}/type"),
                            "`source_ip` stickiness is for network load balancer target groups",
                            "use `lb_cookie` or `app_cookie`",
                        );
                    }
                    // NLB user guide: "Sticky sessions are not supported with TLS listeners and
                    // TLS target groups."
                    _ if tg.protocol == Some(Protocol::Tls) => {
                        self.err(
                            &sp,
                            "TLS target groups take no stickiness",
                            "remove `stickiness`, or use a TCP target group",
                        );
                    }
                    _ => {}
                }
                if st.kind == StickinessType::AppCookie && st.cookie_name.is_none() {
                    self.err(&sp, "`app_cookie` stickiness needs `cookie_name`", "the cookie your application sets");
                }
                if st.kind != StickinessType::AppCookie && st.cookie_name.is_some() {
                    self.err(&format!("{sp}/cookie_name"), "`cookie_name` applies to `app_cookie` stickiness only", "");
                }
                if st.kind == StickinessType::SourceIp && st.duration.is_some() {
                    self.err(&format!("{sp}/duration"), "`source_ip` stickiness has no duration", "");
                }
            }
            if tg.algorithm.is_some() && !http {
                self.err(&format!("{tp}/algorithm"), "`algorithm` applies to HTTP and HTTPS target groups only", "");
            }
            let network = matches!(tg.protocol, Some(Protocol::Tcp | Protocol::Tls | Protocol::Udp | Protocol::TcpUdp));
            for (field, set) in [
                ("proxy_protocol_v2", tg.proxy_protocol_v2.is_some()),
                ("preserve_client_ip", tg.preserve_client_ip.is_some()),
                ("connection_termination", tg.connection_termination.is_some()),
                ("target_health_state", tg.target_health_state.is_some()),
            ] {
                if set && !network {
                    self.err(
                        &format!("{tp}/{field}"),
                        format!("`{field}` applies to network load balancer target groups (TCP, TLS, UDP, TCP_UDP)"),
                        "",
                    );
                }
            }
            if let Some(state) = &tg.target_health_state {
                let sp = format!("{tp}/target_health_state");
                if state.connection_termination == Some(true)
                    && matches!(tg.protocol, Some(Protocol::Udp | Protocol::TcpUdp))
                {
                    self.err(
                        &format!("{sp}/connection_termination"),
                        "UDP and TCP_UDP target groups cannot close an unhealthy target's connections",
                        "leave `connection_termination` out",
                    );
                }
                if state.draining_interval.is_some() && state.connection_termination != Some(false) {
                    self.err(
                        &format!("{sp}/draining_interval"),
                        "`draining_interval` applies only when connections of unhealthy targets are kept",
                        "set `connection_termination: false` beside it",
                    );
                }
            }
            for (field, set) in [
                ("cross_zone", tg.cross_zone.is_some()),
                ("dns_failover", tg.dns_failover.is_some()),
                ("unhealthy_state_routing", tg.unhealthy_state_routing.is_some()),
            ] {
                if set && (lambda || tg.protocol == Some(Protocol::Geneve)) {
                    self.err(
                        &format!("{tp}/{field}"),
                        format!("`{field}` applies to target groups of application and network load balancers"),
                        "",
                    );
                }
            }
            for field in ["dns_failover", "unhealthy_state_routing"] {
                let setting = if field == "dns_failover" { &tg.dns_failover } else { &tg.unhealthy_state_routing };
                if setting.as_ref().is_some_and(|h| h.count.is_none() && h.percent.is_none()) {
                    self.err(&format!("{tp}/{field}"), format!("`{field}` needs `count`, `percent` or both"), "");
                }
            }
            self.other_attributes(
                &format!("{tp}/other_attributes"),
                &tg.other_attributes,
                crate::defaults::attributes::TARGET_GROUP,
            );
            if let Some(ss) = tg.slow_start {
                if ss != 0 && !(30..=900).contains(&ss) {
                    self.err(
                        &format!("{tp}/slow_start"),
                        format!("slow start of {ss} s is not allowed"),
                        "0 (off) or 30–900 seconds",
                    );
                }
                if ss != 0 && tg.algorithm == Some(Algorithm::LeastOutstandingRequests) {
                    self.err(
                        &format!("{tp}/slow_start"),
                        "slow start cannot be combined with `least_outstanding_requests`",
                        "",
                    );
                }
            }
            for (i, t) in tg.targets.iter().flatten().enumerate() {
                let ok = match tg.target_type {
                    TargetType::Instance => t.id.starts_with("i-"),
                    TargetType::Ip => t.id.parse::<IpAddr>().is_ok(),
                    TargetType::Lambda => {
                        arn_problem(&t.id, "lambda", &["function:"], self.s.region.as_deref(), false).is_none()
                    }
                    TargetType::Alb => arn_problem(
                        &t.id,
                        "elasticloadbalancing",
                        &["loadbalancer/app/"],
                        self.s.region.as_deref(),
                        false,
                    )
                    .is_none(),
                };
                if !ok {
                    let want = match tg.target_type {
                        TargetType::Instance => "an instance id (`i-...`)",
                        TargetType::Ip => "an IP address",
                        TargetType::Lambda => "a Lambda function ARN",
                        TargetType::Alb => "an application load balancer ARN",
                    };
                    self.err(
                        &format!("{tp}/targets/{i}/id"),
                        format!("`{}` is not {want}", truncate(&t.id)),
                        format!("the target group's target_type is {:?}", tg.target_type).to_lowercase(),
                    );
                }
            }
            if let Some(asg) = asg_owned.get(name.as_str()) {
                if tg.targets.is_some() {
                    self.err(
                        &format!("{tp}/targets"),
                        format!("target group `{name}` lists targets but auto-scaling group `{asg}` also registers its instances in it"),
                        "one owner per attachment: let the group register instances and remove `targets`",
                    );
                }
                if tg.target_type != TargetType::Instance {
                    self.err(
                        &format!("{tp}/target_type"),
                        format!(
                            "auto-scaling group `{asg}` registers instances, but this target group takes {:?} targets",
                            tg.target_type
                        )
                        .to_lowercase(),
                        "use `target_type: instance`",
                    );
                }
            }
            // The protocol must fit every load balancer that forwards here.
            if let (Some(proto), Some(uses)) = (tg.protocol, users.get(name.as_str())) {
                let mut reported = HashSet::new();
                for (lb_type, listener) in uses {
                    if !proto.fits(*lb_type) && reported.insert(*lb_type) {
                        self.err(
                            &format!("{tp}/protocol"),
                            format!(
                                "target group `{name}` uses {} but listener `{listener}` is on {}",
                                proto.as_str(),
                                lb_phrase(*lb_type)
                            ),
                            allowed_protocols(*lb_type),
                        );
                    }
                }
            }
        }
    }

    /// A target group another load balancer of the stack already forwards to: AWS refuses it
    /// (TargetGroupAssociationLimit: a target group serves one load balancer). Protocols are
    /// checked with the listener.
    fn forward_targets(&mut self, fp: &str, lb: &LoadBalancer, f: &Forward) {
        let this = self
            .s
            .load_balancers
            .iter()
            .find(|(_, x)| std::ptr::eq(*x, lb))
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        for tg_key in f.target_groups() {
            if !self.s.target_groups.contains_key(tg_key) {
                continue;
            }
            let first_user = self
                .s
                .load_balancers
                .iter()
                .find(|(_, other)| other.listeners.values().any(|l| l.target_groups().contains(&tg_key)))
                .map(|(k, _)| k);
            if let Some(first) = first_user.filter(|k| **k != this) {
                self.err(
                    fp,
                    format!("target group `{tg_key}` is already used by load balancer `{first}`"),
                    "a target group serves one load balancer: give this one its own",
                );
            }
        }
    }

    /// A secret read from the run's environment or a file next to the stack: exactly one of them.
    pub(super) fn secret_source(&mut self, sp: &str, source: &SecretSource, what: &str) {
        match (&source.env, &source.file) {
            (Some(name), None) => {
                let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    self.err(
                        &format!("{sp}/env"),
                        "not an environment variable name",
                        "letters, digits and `_`, not starting with a digit",
                    );
                }
            }
            (None, Some(_)) => {}
            _ => self.err(
                sp,
                format!("{what} comes from exactly one of `env` or `file`"),
                "never write the secret itself in the stack",
            ),
        }
    }

    pub(super) fn health_check(&mut self, hp: &str, hc: &HealthCheck, tg: &TargetGroup) {
        let proto = hc.protocol.unwrap_or(match tg.protocol {
            Some(Protocol::Https) => HealthCheckProtocol::Https,
            Some(Protocol::Http | Protocol::Geneve) | None => HealthCheckProtocol::Http,
            _ => HealthCheckProtocol::Tcp,
        });
        // AWS compares the timeout with the interval, each declared or AWS's default for the
        // target group: an HTTP or HTTPS group's timeout must be shorter, a network one's no longer.
        let (default_interval, default_timeout) =
            crate::defaults::health_check_timing(tg.protocol, tg.target_type, proto);
        let (interval, timeout) = (hc.interval.unwrap_or(default_interval), hc.timeout.unwrap_or(default_timeout));
        let strict =
            matches!(tg.protocol, Some(Protocol::Http | Protocol::Https)) || tg.target_type == TargetType::Lambda;
        if (hc.timeout.is_some() || hc.interval.is_some()) && (timeout > interval || (strict && timeout == interval)) {
            let than = if strict { "shorter than" } else { "no longer than" };
            let (at, message, hint) = match (hc.timeout, hc.interval) {
                (Some(t), Some(i)) => (
                    "timeout",
                    format!("health check timeout ({t} s) must be {than} the interval ({i} s)"),
                    String::new(),
                ),
                (Some(t), None) => (
                    "timeout",
                    format!("health check timeout ({t} s) must be {than} the default interval ({interval} s)"),
                    format!("declare `interval:` above {t}"),
                ),
                (None, Some(i)) => (
                    "interval",
                    format!(
                        "health check interval ({i} s) must be longer than the default timeout ({timeout} s) of this target group"
                    ),
                    format!("declare a `timeout:` {than} {i}"),
                ),
                (None, None) => unreachable!("one of them is declared"),
            };
            self.err(&format!("{hp}/{at}"), message, hint);
        }
        if proto == HealthCheckProtocol::Tcp {
            if hc.path.is_some() {
                self.err(
                    &format!("{hp}/path"),
                    "a TCP health check has no path",
                    "set `protocol: HTTP` to check a path",
                );
            }
            if hc.matcher.is_some() {
                self.err(&format!("{hp}/matcher"), "a TCP health check has no matcher", "");
            }
            if matches!(tg.protocol, Some(Protocol::Http | Protocol::Https)) {
                self.err(&format!("{hp}/protocol"), "HTTP and HTTPS target groups check health over HTTP or HTTPS", "");
            }
        }
        if let Some(path) = &hc.path
            && !path.starts_with('/')
        {
            self.err(&format!("{hp}/path"), format!("health check path `{path}` must start with `/`"), "");
        }
        if let Some(HealthCheckPort::Named(n)) = &hc.port
            && n != "traffic-port"
        {
            self.err(
                &format!("{hp}/port"),
                format!("`{n}` is not a port"),
                "a port number, or `traffic-port` for the target's own port",
            );
        }
        if let Some(HealthCheckPort::Port(n)) = &hc.port
            && !(1..=65535).contains(n)
        {
            self.err(&format!("{hp}/port"), format!("port {n} is outside 1–65535"), "");
        }
        if let Some(m) = &hc.matcher {
            let grpc = tg.protocol_version == Some(ProtocolVersion::Grpc);
            let (lo, hi) = if grpc { (0, 99) } else { (200, 499) };
            if !valid_codes(m, lo, hi) {
                self.err(
                    &format!("{hp}/matcher"),
                    format!("`{m}` is not a valid {} matcher", if grpc { "gRPC" } else { "HTTP" }),
                    format!("codes {lo}–{hi}, as `200`, `200-299` or `200,302`"),
                );
            }
        }
    }

    pub(super) fn load_balancers(&mut self) {
        for (name, lb) in &self.s.load_balancers {
            let lp = p(&["load_balancers", name]);
            self.tags(&format!("{lp}/tags"), &lb.tags);
            if let Some(aws_name) = &lb.name {
                self.elbv2_name(&format!("{lp}/name"), aws_name, K::LoadBalancer);
            }
            if let Some(sn) = &lb.subnets {
                self.reference(&format!("{lp}/subnets"), Kind::SubnetGroup, sn);
            }
            if lb.kind == LbType::Gateway && !lb.security_groups.is_empty() {
                self.err(&format!("{lp}/security_groups"), "gateway load balancers take no security groups", "");
            }
            for (i, sg) in lb.security_groups.iter().enumerate() {
                self.reference_or_id(&format!("{lp}/security_groups/{i}"), K::SecurityGroup, sg, "sg-");
            }
            if let Some(acl) = &lb.web_acl {
                if lb.kind != LbType::Application {
                    self.err(
                        &format!("{lp}/web_acl"),
                        format!("a web ACL protects application load balancers, not {} ones", lb.kind.as_str()),
                        "",
                    );
                } else if acl.starts_with("arn:") {
                    self.arn(
                        &format!("{lp}/web_acl"),
                        acl,
                        "wafv2",
                        &["regional/webacl/"],
                        "a regional WAFv2 web ACL ARN",
                    );
                } else {
                    self.reference(&format!("{lp}/web_acl"), K::WebAcl, acl);
                }
            }
            if lb.shield == Some(true) && lb.kind != LbType::Application {
                self.err(
                    &format!("{lp}/shield"),
                    format!("Shield Advanced protects application load balancers, not {} ones", lb.kind.as_str()),
                    "a network load balancer is protected through its Elastic IP addresses",
                );
            }
            if lb.privatelink_inbound_rules.is_some() && (lb.kind != LbType::Network || lb.security_groups.is_empty()) {
                self.err(
                    &format!("{lp}/privatelink_inbound_rules"),
                    "`privatelink_inbound_rules` applies to network load balancers with security groups",
                    "",
                );
            }
            for (subnet, a) in &lb.addresses {
                let ap = format!("{lp}/addresses/{}", escape(subnet));
                if lb.kind != LbType::Network {
                    self.err_key(&ap, "fixed addresses are for network load balancers", "");
                }
                if !subnet.starts_with("subnet-") {
                    self.err_key(
                        &ap,
                        format!("`{}` is not a subnet id", truncate(subnet)),
                        "`subnet-...`: one of the load balancer's subnets",
                    );
                }
                if a.elastic_ip.is_none() && a.private_ipv4.is_none() && a.ipv6.is_none() {
                    self.err_key(&ap, "an address entry needs `elastic_ip`, `private_ipv4` or `ipv6`", "");
                }
                if let Some(eip) = &a.elastic_ip {
                    if !eip.starts_with("eipalloc-") {
                        self.err(
                            &format!("{ap}/elastic_ip"),
                            format!("`{}` is not an Elastic IP allocation id", truncate(eip)),
                            "`eipalloc-...`",
                        );
                    }
                    if lb.scheme == Scheme::Internal {
                        self.err(
                            &format!("{ap}/elastic_ip"),
                            "an internal load balancer takes no Elastic IP",
                            "use `private_ipv4`",
                        );
                    }
                }
                if let Some(ip) = &a.private_ipv4 {
                    if ip.parse::<std::net::Ipv4Addr>().is_err() {
                        self.err(
                            &format!("{ap}/private_ipv4"),
                            format!("`{}` is not an IPv4 address", truncate(ip)),
                            "",
                        );
                    }
                    if lb.scheme != Scheme::Internal {
                        self.err(
                            &format!("{ap}/private_ipv4"),
                            "a private IPv4 address is for internal load balancers",
                            "use `elastic_ip`",
                        );
                    }
                }
                if let Some(ip) = &a.ipv6 {
                    if ip.parse::<std::net::Ipv6Addr>().is_err() {
                        self.err(&format!("{ap}/ipv6"), format!("`{}` is not an IPv6 address", truncate(ip)), "");
                    }
                    if lb.ip_address_type != Some(IpAddressType::Dualstack) {
                        self.err(&format!("{ap}/ipv6"), "an IPv6 address needs `ip_address_type: dualstack`", "");
                    }
                }
            }
            if lb.ip_address_type == Some(IpAddressType::DualstackWithoutPublicIpv4)
                && (lb.kind != LbType::Application || lb.scheme == Scheme::Internal)
            {
                self.err(
                    &format!("{lp}/ip_address_type"),
                    "`dualstack-without-public-ipv4` is for internet-facing application load balancers",
                    "use `dualstack`",
                );
            }
            if lb.kind == LbType::Gateway && lb.scheme == Scheme::Internal && self.index.has(&format!("{lp}/scheme")) {
                self.err(&format!("{lp}/scheme"), "gateway load balancers have no scheme", "remove `scheme`");
            }
            let a = &lb.attributes;
            let ap = format!("{lp}/attributes");
            let app_only = [
                ("idle_timeout", a.idle_timeout.is_some()),
                ("http2", a.http2.is_some()),
                ("drop_invalid_headers", a.drop_invalid_headers.is_some()),
                ("connection_logs", a.connection_logs.is_some()),
                ("health_check_logs", a.health_check_logs.is_some()),
                ("client_keep_alive", a.client_keep_alive.is_some()),
                ("desync_mitigation", a.desync_mitigation.is_some()),
                ("xff_header_processing", a.xff_header_processing.is_some()),
                ("xff_client_port", a.xff_client_port.is_some()),
                ("preserve_host_header", a.preserve_host_header.is_some()),
                ("tls_headers", a.tls_headers.is_some()),
                ("waf_fail_open", a.waf_fail_open.is_some()),
            ];
            if a.zonal_shift.is_some() && lb.kind == LbType::Gateway {
                self.err(&format!("{ap}/zonal_shift"), "gateway load balancers have no zonal shift", "");
            }
            if a.dns_client_routing.is_some() && lb.kind != LbType::Network {
                self.err(
                    &format!("{ap}/dns_client_routing"),
                    "`dns_client_routing` applies to network load balancers only",
                    "",
                );
            }
            self.other_attributes(&format!("{ap}/other"), &a.other, crate::defaults::attributes::LOAD_BALANCER);
            for (attr, set) in app_only {
                if set && lb.kind != LbType::Application {
                    self.err(
                        &format!("{ap}/{attr}"),
                        format!("`{attr}` applies to application load balancers only"),
                        "",
                    );
                }
            }
            if a.cross_zone.is_some() && lb.kind == LbType::Application {
                self.err(
                    &format!("{ap}/cross_zone"),
                    "application load balancers always balance across zones",
                    "remove `cross_zone`, or set it on a network or gateway load balancer",
                );
            }
            if a.access_logs.is_some() && lb.kind == LbType::Gateway {
                self.err(&format!("{ap}/access_logs"), "gateway load balancers have no access logs", "");
            }
            if lb.kind == LbType::Gateway && lb.listeners.len() > 1 {
                self.err(&format!("{lp}/listeners"), "a gateway load balancer has a single listener", "");
            }
            let mut ports: HashMap<u32, &str> = HashMap::new();
            for (l_name, l) in &lb.listeners {
                let lsp = format!("{lp}/listeners/{}", escape(l_name));
                if let Some(port) = l.port
                    && let Some(other) = ports.insert(port, l_name)
                {
                    self.err(
                        &format!("{lsp}/port"),
                        format!("port {port} is already used by listener `{other}`"),
                        "each listener of a load balancer needs its own port",
                    );
                }
                self.listener(&lsp, &format!("{name}.{l_name}"), lb, l);
            }
        }
    }

    pub(super) fn listener(&mut self, lsp: &str, listener_name: &str, lb: &LoadBalancer, l: &Listener) {
        if l.tcp_idle_timeout.is_some() && !(lb.kind == LbType::Network && l.protocol == Some(Protocol::Tcp)) {
            self.err(
                &format!("{lsp}/tcp_idle_timeout"),
                "`tcp_idle_timeout` applies to TCP listeners of network load balancers",
                "",
            );
        }
        self.other_attributes(&format!("{lsp}/attributes"), &l.attributes, crate::defaults::attributes::LISTENER);
        let gateway = lb.kind == LbType::Gateway;
        if gateway {
            if l.port.is_some() {
                self.err(
                    &format!("{lsp}/port"),
                    "gateway load balancer listeners have no port",
                    "they receive all IP traffic on GENEVE 6081; remove `port`",
                );
            }
            if l.protocol.is_some_and(|p| p != Protocol::Geneve) {
                self.err(&format!("{lsp}/protocol"), "gateway load balancer listeners use GENEVE", "");
            }
        } else {
            if l.port.is_none() {
                self.err_key(lsp, "listener needs a `port`", "");
            }
            match l.protocol {
                None => self.err_key(lsp, "listener needs a `protocol`", allowed_protocols(lb.kind)),
                Some(proto) if !proto.fits(lb.kind) => self.err(
                    &format!("{lsp}/protocol"),
                    format!("{} listeners are not possible on {}", proto.as_str(), lb_phrase(lb.kind)),
                    allowed_protocols(lb.kind),
                ),
                _ => {}
            }
        }
        let tls = matches!(l.protocol, Some(Protocol::Https | Protocol::Tls));
        if tls && l.certificates.is_empty() {
            self.err_key(
                lsp,
                format!("{} listener without a certificate", l.protocol.map(Protocol::as_str).unwrap_or_default()),
                "add `certificates: [NAME]` with a certificate of this stack or an ACM ARN",
            );
        }
        if !tls {
            if !l.certificates.is_empty() {
                self.err(&format!("{lsp}/certificates"), "certificates apply to HTTPS and TLS listeners only", "");
            }
            if l.ssl_policy.is_some() {
                self.err(&format!("{lsp}/ssl_policy"), "`ssl_policy` applies to HTTPS and TLS listeners only", "");
            }
        }
        for (i, c) in l.certificates.iter().enumerate() {
            self.reference_or_id(&format!("{lsp}/certificates/{i}"), K::Certificate, c, "arn:");
        }
        if let Some(policy) = &l.ssl_policy
            && !policy.starts_with("ELBSecurityPolicy-")
        {
            self.err(
                &format!("{lsp}/ssl_policy"),
                format!("`{policy}` is not an ELB security policy"),
                "for example `ELBSecurityPolicy-TLS13-1-2-2021-06`",
            );
        }
        if let Some(alpn) = &l.alpn_policy {
            if l.protocol != Some(Protocol::Tls) {
                self.err(&format!("{lsp}/alpn_policy"), "`alpn_policy` applies to TLS listeners only", "");
            } else if !["HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None"].contains(&alpn.as_str()) {
                self.err(
                    &format!("{lsp}/alpn_policy"),
                    format!("`{alpn}` is not an ALPN policy"),
                    "HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred or None",
                );
            }
        }
        if let Some(m) = &l.mutual_authentication {
            let mp = format!("{lsp}/mutual_authentication");
            if l.protocol != Some(Protocol::Https) {
                self.err(&mp, "mutual TLS is for HTTPS listeners", "");
            }
            match (m.mode, &m.trust_store) {
                (MtlsMode::Verify, None) => self.err(
                    &mp,
                    "`verify` checks client certificates against a `trust_store`",
                    "name a trust store of the stack, or an existing one's ARN",
                ),
                (MtlsMode::Verify, Some(store)) if store.starts_with("arn:") => self.arn(
                    &format!("{mp}/trust_store"),
                    store,
                    "elasticloadbalancing",
                    &["truststore/"],
                    "a trust store ARN",
                ),
                (MtlsMode::Verify, Some(store)) => {
                    self.reference(&format!("{mp}/trust_store"), K::TrustStore, store);
                }
                (MtlsMode::Passthrough, _)
                    if m.trust_store.is_some() || m.ignore_client_certificate_expiry.is_some() =>
                {
                    self.err(
                        &mp,
                        "`passthrough` hands client certificates to the targets: it takes no trust store",
                        "",
                    );
                }
                (MtlsMode::Passthrough, _) => {}
            }
        }
        self.action(&format!("{lsp}/default_action"), lb, l, &l.default_action, true);
        if !l.rules.is_empty() && lb.kind != LbType::Application {
            self.err(
                &format!("{lsp}/rules"),
                format!("{} load balancers have no listener rules", lb.kind.as_str()),
                "route with rules on an application load balancer",
            );
            return;
        }
        self.rules(lsp, listener_name, lb, l, true);
    }

    /// Trust stores: a CA bundle's S3 bucket and key as S3 names them.
    pub(super) fn trust_stores(&mut self) {
        for (key, t) in &self.s.trust_stores {
            let tp = format!("/trust_stores/{}", escape(key));
            self.tags(&format!("{tp}/tags"), &t.tags);
            let b = &t.bucket;
            let bucket_ok = (3..=63).contains(&b.len())
                && b.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && b.starts_with(|c: char| c.is_ascii_alphanumeric())
                && b.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !bucket_ok {
                self.err(
                    &format!("{tp}/bucket"),
                    format!("`{}` is not an S3 bucket name", truncate(b)),
                    "3–63 lowercase letters, digits, dots and hyphens",
                );
            }
            if t.key.is_empty() || t.key.len() > 1024 {
                self.err(&format!("{tp}/key"), "an S3 object key is 1–1024 bytes", "");
            }
        }
    }

    /// The stack's rules on listeners it does not own: the listener named one way, the rules
    /// checked as any application listener's (their unset priorities are chosen when planning).
    pub(super) fn shared_listeners(&mut self) {
        // What the rules are checked against: an HTTPS listener of an application load balancer
        // (sign-in needs HTTPS; the shared listener's protocol is known only when planning).
        let lb: LoadBalancer =
            serde_json::from_value(serde_json::json!({ "listeners": {} })).expect("an empty load balancer");
        for (key, shared) in &self.s.shared_listeners {
            let sp = format!("/shared_listeners/{}", escape(key));
            let from_output = shared.from_stack.is_some() || shared.output.is_some();
            match (&shared.listener, &shared.load_balancer, shared.port) {
                (None, None, None) if from_output => {
                    if shared.from_stack.is_none() || shared.output.is_none() {
                        self.err_key(&sp, "a listener from another stack names both `from_stack` and `output`", "");
                    } else if shared.from_stack.as_deref() == Some(self.s.stack.as_str()) {
                        self.err(&format!("{sp}/from_stack"), "a stack's own listeners take rules directly", "put the rules on the listener itself");
                    }
                }
                _ if from_output => {
                    self.err_key(&sp, "a shared listener is named one way: `listener`, `load_balancer` and `port`, or `from_stack` and `output`", "")
                }
                (Some(arn), None, None) => self.arn(&format!("{sp}/listener"), arn, "elasticloadbalancing", &["listener/app/"], "an application listener ARN"),
                (None, Some(name), Some(_)) => {
                    let own = self.s.load_balancers.keys().any(|k| crate::ownership::names::given(self.s, K::LoadBalancer, k) == *name);
                    if own {
                        self.err(
                            &format!("{sp}/load_balancer"),
                            format!("`{}` is a load balancer of this stack", truncate(name)),
                            "put the rules on its own listener instead",
                        );
                    }
                }
                _ => {
                    self.err_key(&sp, "a shared listener is named by `listener` (its ARN), by `load_balancer` and `port`, or by `from_stack` and `output`", "")
                }
            }
            let mut l: Listener =
                serde_json::from_value(serde_json::json!({ "protocol": "HTTPS", "default_action": {} }))
                    .expect("an empty listener");
            l.rules = shared.rules.clone();
            self.rules(&sp, key, &lb, &l, false);
        }
    }

    /// A listener's rules; `positional`: a rule without `priority` gets 10 × its position.
    fn rules(&mut self, lsp: &str, listener_name: &str, lb: &LoadBalancer, l: &Listener, positional: bool) {
        let mut priorities: BTreeMap<u32, usize> = BTreeMap::new();
        if l.rules.len() > 100 {
            self.warn_key(
                &format!("{lsp}/rules"),
                format!("listener `{listener_name}` has {} rules; a listener holds 100 by default", l.rules.len()),
                "raise the quota `Rules per Application Load Balancer` in Service Quotas first, or apply fails part way",
            );
        }
        for (i, r) in l.rules.iter().enumerate() {
            let rp = format!("{lsp}/rules/{i}");
            let priority = if positional { Some(r.priority.unwrap_or(10 * (i as u32 + 1))) } else { r.priority };
            if r.priority.is_none() && priority.is_some_and(|p| p > 50_000) {
                self.err(
                    &rp,
                    format!(
                        "this rule gets priority {} (10 × its position), above AWS's 50000",
                        priority.unwrap_or_default()
                    ),
                    "give rules explicit `priority` values",
                );
            }
            if let Some(priority) = priority
                && let Some(first) = priorities.insert(priority, i)
            {
                let explain = if r.priority.is_none() || l.rules[first].priority.is_none() {
                    " (rules without `priority` get 10 × their position)"
                } else {
                    ""
                };
                self.err(
                    &format!("{rp}/priority"),
                    format!(
                        "priority {priority} is already used by rule {} of listener `{listener_name}`{explain}",
                        first + 1
                    ),
                    "rule priorities must be unique on a listener",
                );
            }
            if !r.has_condition() {
                self.err(
                    &rp,
                    "a rule needs at least one condition",
                    "`path`, `host`, `header`, `query`, `source_ip` or `method`; the listener's default_action covers everything else",
                );
            }
            let values = [&r.path, &r.host, &r.path_regex, &r.host_regex, &r.source_ip, &r.method]
                .iter()
                .filter_map(|o| o.as_ref())
                .map(|v| v.to_vec().len())
                .sum::<usize>()
                + r.header.values().chain(r.header_regex.values()).map(|v| v.to_vec().len()).sum::<usize>()
                + r.query.len();
            if values > 5 {
                self.err(
                    &rp,
                    format!("this rule has {values} condition values; AWS allows 5"),
                    "split it into several rules",
                );
            }
            for (field, v) in [("path", &r.path), ("host", &r.host)] {
                for (j, pat) in v.iter().flat_map(OneOrMany::to_vec).enumerate() {
                    if pat.is_empty() || pat.len() > 128 {
                        self.err(
                            &format!("{rp}/{field}"),
                            format!("{field} pattern {} must be 1–128 characters", j + 1),
                            "",
                        );
                    }
                    if field == "path" && !pat.starts_with('/') && !pat.starts_with('*') {
                        self.err(
                            &format!("{rp}/path"),
                            format!("path pattern `{}` must start with `/`", truncate(&pat)),
                            "",
                        );
                    }
                    // ELB user guide, "Path conditions": A–Z, a–z, 0–9, _ - . $ / ~ " ' @ : + & * ?
                    if field == "path"
                        && let Some(bad) =
                            pat.chars().find(|c| !(c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(*c)))
                    {
                        self.err(
                            &format!("{rp}/path"),
                            format!("path pattern `{}` holds `{bad}`, which AWS does not accept", truncate(&pat)),
                            "allowed: letters, digits and _ - . $ / ~ \" ' @ : + & * ?",
                        );
                    }
                }
            }
            self.regex_conditions(&rp, r);
            if let Some(w) = &r.rewrite {
                let wp = format!("{rp}/rewrite");
                if lb.kind != LbType::Application {
                    self.err_key(&wp, "rewrites are transforms of application load balancer rules", "");
                }
                if w.host.is_none() && w.url.is_none() {
                    self.err_key(&wp, "`rewrite` needs `host`, `url` or both", "");
                }
            }
            for m in r.method.iter().flat_map(OneOrMany::to_vec) {
                if m.is_empty() || !m.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c == '-') {
                    self.err(
                        &format!("{rp}/method"),
                        format!("`{m}` is not an HTTP method"),
                        "write methods in capitals: GET, POST, ...",
                    );
                }
            }
            for ip in r.source_ip.iter().flat_map(OneOrMany::to_vec) {
                if !is_cidr(&ip, None) {
                    self.err(&format!("{rp}/source_ip"), format!("`{ip}` is not a CIDR block"), "");
                }
            }
            self.action(&rp, lb, l, &r.action(), false);
        }
    }

    pub(super) fn action(&mut self, ap: &str, lb: &LoadBalancer, l: &Listener, a: &Action, default: bool) {
        if let Some(auth) = &a.authenticate {
            self.authenticate(&format!("{ap}/authenticate"), l, auth);
        }
        if let Some(jwt) = &a.validate_jwt {
            self.validate_jwt(&format!("{ap}/validate_jwt"), l, jwt);
            if a.authenticate.is_some() {
                self.err_key(
                    &format!("{ap}/validate_jwt"),
                    "an action either signs users in (`authenticate`) or validates their token (`validate_jwt`), not both",
                    "",
                );
            }
        }
        let kinds =
            [a.forward.is_some(), a.redirect.is_some(), a.fixed_response.is_some()].iter().filter(|b| **b).count();
        if kinds != 1 {
            let what = if default { "default_action" } else { "a rule" };
            self.err(ap, format!("{what} needs exactly one of `forward`, `redirect`, `fixed_response`"), "");
            return;
        }
        if lb.kind != LbType::Application && (a.redirect.is_some() || a.fixed_response.is_some()) {
            let which = if a.redirect.is_some() { "redirect" } else { "fixed_response" };
            self.err(
                &format!("{ap}/{which}"),
                format!("{which} is an application load balancer action"),
                format!("a {} load balancer can only forward", lb.kind.as_str()),
            );
        }
        if let Some(f) = &a.forward {
            self.forward_targets(&format!("{ap}/forward"), lb, f);
            match f {
                Forward::One(tg) => {
                    self.reference(&format!("{ap}/forward"), K::TargetGroup, tg);
                    if a.stickiness.is_some() {
                        self.err(
                            &format!("{ap}/stickiness"),
                            "`stickiness` applies to weighted forwards (several target groups)",
                            "",
                        );
                    }
                }
                Forward::Weighted(map) => {
                    if map.is_empty() {
                        self.err(&format!("{ap}/forward"), "a weighted forward needs at least one target group", "");
                    }
                    if lb.kind != LbType::Application && map.len() > 1 {
                        self.err(
                            &format!("{ap}/forward"),
                            format!("a {} load balancer forwards to one target group", lb.kind.as_str()),
                            "",
                        );
                    }
                    if map.len() > 5 {
                        self.err(&format!("{ap}/forward"), "a forward action takes at most 5 target groups", "");
                    }
                    for (tg, w) in map {
                        let wp = format!("{ap}/forward/{}", escape(tg));
                        if self.exists(K::TargetGroup, tg) {
                            if *w > 999 {
                                self.err(&wp, format!("weight {w} is above 999"), "");
                            }
                        } else {
                            self.reference(&wp, K::TargetGroup, tg);
                        }
                    }
                    if !map.is_empty() && map.values().all(|w| *w == 0) {
                        self.err(
                            &format!("{ap}/forward"),
                            "every weight is 0, so no target group receives traffic",
                            "",
                        );
                    }
                }
            }
        }
        if let Some(r) = &a.redirect {
            let rp = format!("{ap}/redirect");
            if r.status != 301 && r.status != 302 {
                self.err(
                    &format!("{rp}/status"),
                    format!("redirect status {} is not allowed", r.status),
                    "301 (permanent) or 302 (temporary)",
                );
            }
            if let Some(proto) = &r.protocol
                && !["HTTP", "HTTPS", "#{protocol}"].contains(&proto.as_str())
            {
                self.err(
                    &format!("{rp}/protocol"),
                    format!("`{proto}` is not a redirect protocol"),
                    "HTTP, HTTPS or #{protocol}",
                );
            }
            if let Some(RedirectPort::Number(n)) = &r.port
                && !(1..=65535).contains(n)
            {
                self.err(&format!("{rp}/port"), format!("port {n} is outside 1–65535"), "");
            }
            if r.protocol.is_none() && r.port.is_none() && r.host.is_none() && r.path.is_none() && r.query.is_none() {
                self.err(
                    &rp,
                    "this redirect sends clients to the same URL, in a loop",
                    "set at least one of protocol, port, host, path, query",
                );
            }
        }
        if let Some(fr) = &a.fixed_response {
            let fp = format!("{ap}/fixed_response");
            if !(200..=299).contains(&fr.status) && !(400..=599).contains(&fr.status) {
                self.err(
                    &format!("{fp}/status"),
                    format!("fixed response status {} is not allowed", fr.status),
                    "a 2XX, 4XX or 5XX code",
                );
            }
            if let Some(ct) = &fr.content_type
                && !["text/plain", "text/css", "text/html", "application/javascript", "application/json"]
                    .contains(&ct.as_str())
            {
                self.err(
                    &format!("{fp}/content_type"),
                    format!("`{ct}` is not allowed"),
                    "text/plain, text/css, text/html, application/javascript or application/json",
                );
            }
            if fr.body.as_ref().is_some_and(|b| b.len() > 1024) {
                self.err(&format!("{fp}/body"), "a fixed response body is at most 1024 bytes", "");
            }
        }
    }

    /// A sign-in before an action: one provider, https endpoints, a secret source, an HTTPS listener.
    /// Path, host and header conditions by regular expression: each field matches by patterns or
    /// by regular expressions, not both (a rule holds one condition of each field, a header one
    /// per name); AWS takes expressions of 1–128 characters.
    fn regex_conditions(&mut self, rp: &str, r: &crate::stack_format::model::Rule) {
        for (field, patterns, regex) in [("path", &r.path, &r.path_regex), ("host", &r.host, &r.host_regex)] {
            if patterns.is_some() && regex.is_some() {
                self.err_key(
                    &format!("{rp}/{field}_regex"),
                    format!("a rule matches the {field} by patterns (`{field}`) or by regular expressions (`{field}_regex`), not both"),
                    "split it into two rules",
                );
            }
        }
        for name in r.header_regex.keys() {
            if r.header.keys().any(|h| h.eq_ignore_ascii_case(name)) {
                self.err_key(
                    &format!("{rp}/header_regex/{}", escape(name)),
                    format!("header `{}` is matched by patterns under `header` already", truncate(name)),
                    "match a header by patterns or by regular expressions, not both",
                );
            }
        }
        let fields = [
            ("path_regex", r.path_regex.iter().flat_map(OneOrMany::to_vec).collect::<Vec<_>>()),
            ("host_regex", r.host_regex.iter().flat_map(OneOrMany::to_vec).collect()),
        ];
        let headers = r.header_regex.iter().map(|(name, v)| (format!("header_regex/{}", escape(name)), v.to_vec()));
        for (field, values) in fields.into_iter().map(|(f, v)| (f.to_string(), v)).chain(headers) {
            for (j, regex) in values.iter().enumerate() {
                if regex.is_empty() || regex.chars().count() > 128 {
                    self.err(
                        &format!("{rp}/{field}"),
                        format!("regular expression {} must be 1–128 characters", j + 1),
                        "",
                    );
                }
            }
        }
    }

    fn validate_jwt(&mut self, jp: &str, l: &Listener, j: &crate::stack_format::model::JwtValidation) {
        if l.protocol != Some(Protocol::Https) {
            self.err_key(jp, "JWT validation needs an HTTPS listener", "");
        }
        if !j.jwks_endpoint.starts_with("https://") || j.jwks_endpoint.len() <= "https://".len() {
            self.err(
                &format!("{jp}/jwks_endpoint"),
                "`jwks_endpoint` is an https:// URL",
                "the issuer's JSON Web Key Set, e.g. https://idp.example.com/.well-known/jwks.json",
            );
        }
        if j.claims.len() > 10 {
            self.err(
                &format!("{jp}/claims"),
                format!("{} claims; AWS validates at most 10 besides the standard ones", j.claims.len()),
                "",
            );
        }
        for (name, claim) in &j.claims {
            let cp = format!("{jp}/claims/{}", escape(name));
            if ["exp", "iss", "nbf", "iat"].contains(&name.as_str()) {
                self.err_key(
                    &cp,
                    format!("`{name}` is validated already"),
                    "the load balancer checks exp, iss, nbf and iat on every token",
                );
            }
            let values = claim.values.to_vec();
            if values.is_empty() || values.len() > 10 {
                self.err(&format!("{cp}/values"), "a claim takes 1–10 values", "");
            }
            for v in &values {
                if v.chars().count() > 256 {
                    self.err(&format!("{cp}/values"), "a claim value is at most 256 characters", "");
                }
                if claim.format == crate::stack_format::model::JwtClaimFormat::SpaceSeparatedValues && v.contains(' ') {
                    self.err(
                        &format!("{cp}/values"),
                        format!("`{}` holds a space, which separates the values of this format", truncate(v)),
                        "list each value on its own",
                    );
                }
            }
        }
    }

    pub(super) fn authenticate(&mut self, ap: &str, l: &Listener, a: &Authenticate) {
        if l.protocol != Some(Protocol::Https) {
            self.err_key(ap, "sign-in needs an HTTPS listener", "the load balancer signs users in over TLS only");
        }
        match (&a.oidc, &a.cognito) {
            (Some(_), Some(_)) | (None, None) => {
                self.err_key(ap, "`authenticate` takes exactly one of `oidc` or `cognito`", "")
            }
            _ => {}
        }
        if let Some(o) = &a.oidc {
            for (field, url) in [
                ("issuer", &o.issuer),
                ("authorization_endpoint", &o.authorization_endpoint),
                ("token_endpoint", &o.token_endpoint),
                ("user_info_endpoint", &o.user_info_endpoint),
            ] {
                if !url.starts_with("https://") || url.len() <= "https://".len() {
                    self.err(&format!("{ap}/oidc/{field}"), format!("`{field}` is an https:// URL"), "");
                }
            }
            self.secret_source(&format!("{ap}/oidc/client_secret"), &o.client_secret, "the client secret");
        }
        if let Some(c) = &a.cognito
            && let Some(problem) =
                arn_problem(&c.user_pool, "cognito-idp", &["userpool/"], self.s.region.as_deref(), false)
        {
            self.err(&format!("{ap}/cognito/user_pool"), format!("not a user pool ARN: {problem}"), "");
        }
        if a.extra_params.len() > 10 {
            self.err(&format!("{ap}/extra_params"), "at most 10 extra parameters", "");
        }
        for key in a.extra_params.keys() {
            if ["response_type", "client_id", "redirect_uri", "state", "scope"].contains(&key.as_str()) {
                self.err_key(
                    &format!("{ap}/extra_params/{}", escape(key)),
                    format!("`{key}` is set by the load balancer"),
                    "",
                );
            }
        }
    }

    /// Pass-through attributes: AWS keys (at most 256 characters of lowercase letters, digits,
    /// dots and underscores; values at most 1024), none of them one lbstack has a field for.
    pub(super) fn other_attributes(
        &mut self,
        pointer: &str,
        other: &indexmap::IndexMap<String, Scalar>,
        typed: &[crate::defaults::attributes::Attribute],
    ) {
        for (key, value) in other {
            let kp = format!("{pointer}/{}", escape(key));
            if let Some(field) = typed.iter().find(|a| a.key == key).map(|a| a.field) {
                self.err_key(&kp, format!("`{key}` has a field of its own"), format!("set `{field}` instead"));
            } else if key.is_empty()
                || key.len() > 256
                || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
            {
                self.err_key(
                    &kp,
                    "not an attribute key",
                    "AWS attribute keys are lowercase words with dots and underscores, e.g. `routing.http2.enabled`",
                );
            } else if value.to_string().len() > 1024 {
                self.err(&kp, "the value is longer than 1024 characters", "");
            }
        }
    }
}
