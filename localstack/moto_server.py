"""moto server, with the few fixes that make it answer like AWS where lbstack relies on it.

Started by localstack/emulator.sh instead of the plain `moto_server` script. Each fix names the
AWS behaviour it restores; everything else is moto as pinned in requirements-moto.lock.
"""

import sys

from moto.elbv2.models import ELBv2Backend
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


WAFV2Backend.associate_web_acl = associate_web_acl
ELBv2Backend.set_rule_priorities = set_rule_priorities

if __name__ == "__main__":
    sys.exit(main())
