"""moto server, with the few fixes that make it answer like AWS where lbstack relies on it.

Started by localstack/emulator.sh instead of the plain `moto_server` script. Each fix names the
AWS behaviour it restores; everything else is moto as pinned in requirements-moto.lock.
"""

import sys

from moto.elbv2.models import ELBv2Backend
from moto.elbv2.responses import ELBV2Response
from moto.route53.exceptions import InvalidInput, ResourceRecordAlreadyExists
from moto.route53.models import ChangeList, FakeZone, Route53Backend
from moto.server import main
from moto.wafv2.models import WAFV2Backend

_associate = WAFV2Backend.associate_web_acl


def associate_web_acl(self, web_acl_arn, resource_arn):
    # AWS: AssociateWebACL replaces the resource's current association. moto appended the
    # resource to the new ACL and left it on the old one.
    for acl in self.wacls.values():
        if resource_arn in acl.associated_resources:
            acl.associated_resources.remove(resource_arn)
    return _associate(self, web_acl_arn, resource_arn)


_set_rule_priorities = ELBv2Backend.set_rule_priorities


def set_rule_priorities(self, rule_priorities):
    # AWS validates SetRulePriorities against the final order, so two rules can swap priorities
    # in one call. moto compared each new priority with the current ones, moving rules included.
    moved = []
    for i, pair in enumerate(rule_priorities):
        found = self.describe_rules(listener_arn=None, rule_arns=[pair["RuleArn"]])
        if found:
            moved.append((found[0], found[0].priority))
            found[0].priority = -1 - i  # out of the way while the new order is checked
    try:
        return _set_rule_priorities(self, rule_priorities)
    except Exception:
        for rule, old in moved:
            rule.priority = old
        raise


_change_record_sets = Route53Backend.change_resource_record_sets
_delete_by_id = FakeZone.delete_rrset_by_id


class _Journal(ChangeList):
    """moto's change journal, minus the membership test its inexact CREATE check relies on."""

    def __contains__(self, item):
        return False


def change_resource_record_sets(self, zoneid, change_list):
    # AWS: a CREATE fails when a record with that exact name, type and set identifier exists once
    # the batch's earlier changes are applied, so DELETE + CREATE in one batch replaces a record.
    # moto matched against its change journal and any later-sorting record, before the DELETEs.
    zone = self.get_hosted_zone(zoneid)
    key = lambda name, kind, set_id: (name.rstrip(".").lower(), kind, set_id)
    deleted = set()
    for change in change_list:
        rr = change["ResourceRecordSet"]
        k = key(rr["Name"], rr["Type"], rr.get("SetIdentifier"))
        if change["Action"] == "DELETE":
            deleted.add(k)
        elif change["Action"] == "CREATE" and k not in deleted:
            if any(key(r.name, r.type, r.set_identifier) == k for r in zone.rrsets):
                raise ResourceRecordAlreadyExists(name=rr["Name"], _type=rr["Type"])
    if not isinstance(zone.rr_changes, _Journal):
        zone.rr_changes = _Journal(zone.rr_changes)
    # A DELETE must match what was written (moto checks its journal); check them all before
    # anything changes, then apply in order so a weighted DELETE knows its name and type.
    for change in change_list:
        rr = change["ResourceRecordSet"]
        if change["Action"] == "DELETE" and not zone.rr_changes.has_insert_or_update(rr):
            raise InvalidInput(
                "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or "
                f"TrafficPolicyInstanceId], but found none in Change with [Action=DELETE, Name={rr['Name']}, Type={rr['Type']}]"
            )
    try:
        for change in change_list:
            zone._lbstack_current = change["ResourceRecordSet"]
            _change_record_sets(self, zoneid, [change])
    finally:
        zone._lbstack_current = None


def delete_rrset_by_id(self, set_identifier):
    # AWS: a weighted record is identified by name, type and set identifier. moto deleted every
    # record with the set identifier, whatever its name.
    current = getattr(self, "_lbstack_current", None)
    if current is None:
        return _delete_by_id(self, set_identifier)
    k = (current["Name"].rstrip(".").lower(), current["Type"])
    self.rrsets = [r for r in self.rrsets if not (r.set_identifier == set_identifier and (r.name.rstrip(".").lower(), r.type) == k)]


_modify_target_group = ELBV2Response.modify_target_group


def modify_target_group(self):
    # AWS: ModifyTargetGroup takes Matcher.GrpcCode for gRPC target groups; moto read only
    # Matcher.HttpCode and dropped the gRPC one.
    result = _modify_target_group(self)
    grpc = self._get_param("Matcher.GrpcCode")
    target_group = self.elbv2_backend.target_groups.get(self._get_param("TargetGroupArn"))
    if grpc is not None and target_group is not None:
        target_group.matcher = {"GrpcCode": grpc}
    return result


WAFV2Backend.associate_web_acl = associate_web_acl
ELBV2Response.modify_target_group = modify_target_group
Route53Backend.change_resource_record_sets = change_resource_record_sets
FakeZone.delete_rrset_by_id = delete_rrset_by_id
ELBv2Backend.set_rule_priorities = set_rule_priorities

if __name__ == "__main__":
    sys.exit(main())
