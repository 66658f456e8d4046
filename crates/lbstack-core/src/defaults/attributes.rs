//! The ELBv2 attributes the stack format has fields for: each AWS key, the field that sets it and
//! AWS's default. Validation refuses these keys in the pass-through maps; plans fill the defaults
//! in for fields left out, and into live maps an endpoint leaves them out of.

pub struct Attribute {
    /// The AWS attribute key.
    pub key: &'static str,
    /// The stack field that sets it.
    pub field: &'static str,
    /// AWS's value when nothing sets it; None where it depends on other settings.
    pub default: Option<&'static str>,
}

pub const LOAD_BALANCER: &[Attribute] = &[
    Attribute { key: "deletion_protection.enabled", field: "deletion_protection", default: Some("false") },
    Attribute { key: "idle_timeout.timeout_seconds", field: "idle_timeout", default: Some("60") },
    Attribute { key: "routing.http2.enabled", field: "http2", default: Some("true") },
    Attribute {
        key: "routing.http.drop_invalid_header_fields.enabled",
        field: "drop_invalid_headers",
        default: Some("false"),
    },
    Attribute { key: "client_keep_alive.seconds", field: "client_keep_alive", default: Some("3600") },
    Attribute { key: "routing.http.desync_mitigation_mode", field: "desync_mitigation", default: Some("defensive") },
    Attribute {
        key: "routing.http.xff_header_processing.mode",
        field: "xff_header_processing",
        default: Some("append"),
    },
    Attribute { key: "routing.http.xff_client_port.enabled", field: "xff_client_port", default: Some("false") },
    Attribute {
        key: "routing.http.preserve_host_header.enabled",
        field: "preserve_host_header",
        default: Some("false"),
    },
    Attribute {
        key: "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        field: "tls_headers",
        default: Some("false"),
    },
    Attribute { key: "waf.fail_open.enabled", field: "waf_fail_open", default: Some("false") },
    Attribute { key: "zonal_shift.config.enabled", field: "zonal_shift", default: Some("false") },
    Attribute {
        key: "dns_record.client_routing_policy",
        field: "dns_client_routing",
        default: Some("any_availability_zone"),
    },
    Attribute { key: "load_balancing.cross_zone.enabled", field: "cross_zone", default: Some("false") },
    Attribute { key: "access_logs.s3.enabled", field: "access_logs", default: Some("false") },
    Attribute { key: "access_logs.s3.bucket", field: "access_logs", default: Some("") },
    Attribute { key: "access_logs.s3.prefix", field: "access_logs", default: Some("") },
    Attribute { key: "connection_logs.s3.enabled", field: "connection_logs", default: Some("false") },
    Attribute { key: "connection_logs.s3.bucket", field: "connection_logs", default: Some("") },
    Attribute { key: "connection_logs.s3.prefix", field: "connection_logs", default: Some("") },
    Attribute { key: "health_check_logs.s3.enabled", field: "health_check_logs", default: Some("false") },
    Attribute { key: "health_check_logs.s3.bucket", field: "health_check_logs", default: Some("") },
    Attribute { key: "health_check_logs.s3.prefix", field: "health_check_logs", default: Some("") },
];

pub const TARGET_GROUP: &[Attribute] = &[
    Attribute { key: "deregistration_delay.timeout_seconds", field: "deregistration_delay", default: Some("300") },
    Attribute { key: "stickiness.enabled", field: "stickiness", default: Some("false") },
    Attribute { key: "stickiness.type", field: "stickiness", default: None },
    Attribute { key: "stickiness.lb_cookie.duration_seconds", field: "stickiness", default: Some("86400") },
    Attribute { key: "stickiness.app_cookie.duration_seconds", field: "stickiness", default: Some("86400") },
    Attribute { key: "stickiness.app_cookie.cookie_name", field: "stickiness", default: None },
    Attribute { key: "slow_start.duration_seconds", field: "slow_start", default: Some("0") },
    Attribute { key: "load_balancing.algorithm.type", field: "algorithm", default: Some("round_robin") },
    Attribute { key: "proxy_protocol_v2.enabled", field: "proxy_protocol_v2", default: Some("false") },
    Attribute { key: "preserve_client_ip.enabled", field: "preserve_client_ip", default: None },
    Attribute {
        key: "deregistration_delay.connection_termination.enabled",
        field: "connection_termination",
        default: Some("false"),
    },
    Attribute {
        key: "load_balancing.cross_zone.enabled",
        field: "cross_zone",
        default: Some("use_load_balancer_configuration"),
    },
    Attribute {
        key: "target_group_health.dns_failover.minimum_healthy_targets.count",
        field: "dns_failover",
        default: Some("1"),
    },
    Attribute {
        key: "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        field: "dns_failover",
        default: Some("off"),
    },
    Attribute {
        key: "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        field: "unhealthy_state_routing",
        default: Some("1"),
    },
    Attribute {
        key: "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        field: "unhealthy_state_routing",
        default: Some("off"),
    },
    // Defaults, but managed only when the stack sets them: UDP groups may differ.
    Attribute {
        key: "target_health_state.unhealthy.connection_termination.enabled",
        field: "target_health_state",
        default: Some("true"),
    },
    Attribute {
        key: "target_health_state.unhealthy.draining_interval_seconds",
        field: "target_health_state",
        default: Some("0"),
    },
];

pub const LISTENER: &[Attribute] =
    &[Attribute { key: "tcp.idle_timeout.seconds", field: "tcp_idle_timeout", default: Some("350") }];

/// AWS's default of `key` in `table`.
pub fn default_of(table: &[Attribute], key: &str) -> Option<&'static str> {
    table.iter().find(|a| a.key == key).and_then(|a| a.default)
}
