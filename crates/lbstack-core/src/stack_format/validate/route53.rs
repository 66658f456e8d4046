//! Route 53 records: inside their zone, and what a CNAME may name.

use super::*;

impl V<'_> {
    pub(super) fn records(&mut self) {
        for (name, r) in &self.s.records {
            let rp = p(&["records", name]);
            self.reference(&format!("{rp}/target"), K::LoadBalancer, &r.target);
            let rname = r.name.trim_end_matches('.').to_ascii_lowercase();
            let zone = r.zone.trim_end_matches('.').to_ascii_lowercase();
            if !is_domain(&rname, true) {
                self.err(&format!("{rp}/name"), format!("`{}` is not a DNS name", r.name), "");
            }
            let zone_is_id = crate::ownership::is_zone_id(&r.zone);
            if !zone_is_id {
                if rname != zone && !rname.ends_with(&format!(".{zone}")) {
                    self.err(
                        &format!("{rp}/name"),
                        format!("`{}` is not inside zone `{}`", r.name, r.zone),
                        format!("use a name ending in `.{zone}`"),
                    );
                }
                if rname == zone && r.kind == RecordType::Cname {
                    self.err(
                        &format!("{rp}/type"),
                        "a CNAME cannot sit at the zone apex",
                        "use `type: A` (an alias to the load balancer)",
                    );
                }
            }
            if r.kind != RecordType::Cname && r.ttl.is_some() {
                self.err(
                    &format!("{rp}/ttl"),
                    "alias records take their TTL from the load balancer",
                    "remove `ttl`, or use `type: CNAME`",
                );
            }
            if r.kind == RecordType::Cname && r.evaluate_target_health.is_some() {
                self.err(
                    &format!("{rp}/evaluate_target_health"),
                    "`evaluate_target_health` applies to alias (A/AAAA) records",
                    "",
                );
            }
            // Route 53 takes an AAAA alias to any load balancer; to an IPv4-only one it answers
            // no address, which is rarely what was meant.
            if r.kind == RecordType::Aaaa
                && let Some(lb) = self.s.load_balancers.get(&r.target)
                && !matches!(
                    lb.ip_address_type,
                    Some(IpAddressType::Dualstack | IpAddressType::DualstackWithoutPublicIpv4)
                )
            {
                self.warn_key(
                    &format!("{rp}/type"),
                    format!("an AAAA alias to `{}`, which is IPv4 only, answers no address", r.target),
                    format!("set `ip_address_type: dualstack` on `{}`", r.target),
                );
            }
            if r.set_identifier.is_some() && r.weight.is_none() {
                self.err(
                    &format!("{rp}/set_identifier"),
                    "`set_identifier` applies to weighted records",
                    "add `weight`",
                );
            }
        }
    }
}
