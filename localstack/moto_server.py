"""moto server, with the few fixes that make it answer like AWS where lbstack relies on it.

Started by localstack/emulator.sh instead of the plain `moto_server` script. Each fix names the
AWS behaviour it restores; everything else is moto as pinned in requirements-moto.lock.
"""

import io
import json
import math
import os
import re
import sys
import urllib.parse
import time
import uuid
from datetime import datetime, timezone

from moto.acm.models import AWSCertificateManagerBackend
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, LifecycleHook
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult
from moto.core.types import Base64EncodedString
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.elbv2.models import ELBv2Backend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.elbv2.responses import ELBV2Response
from moto.route53.exceptions import InvalidInput, ResourceRecordAlreadyExists
from moto.route53.models import ChangeList, FakeZone, Route53Backend
from moto.server import main
from moto.wafv2.exceptions import WAFv2ClientError
from moto.wafv2.models import WAFV2Backend
from moto.elbv2.exceptions import DuplicateListenerError, DuplicateLoadBalancerName, DuplicateTargetGroupName
import threading

import aws_rules
import aws_shapes

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
    # Matcher.HttpCode and dropped the gRPC one. It also dropped an HTTP matcher on a TCP, TLS
    # or UDP target group whose health check is HTTP(S), which AWS keeps.
    result = _modify_target_group(self)
    grpc = self._get_param("Matcher.GrpcCode")
    http = self._get_param("Matcher.HttpCode")
    target_group = self.elbv2_backend.target_groups.get(self._get_param("TargetGroupArn"))
    if grpc is not None and target_group is not None:
        target_group.matcher = {"GrpcCode": grpc}
    elif http is not None and target_group is not None and target_group.health_check_protocol in ("HTTP", "HTTPS"):
        target_group.matcher = {"HttpCode": http}
    return result


_modify_listener_backend = ELBv2Backend.modify_listener


def modify_listener_backend(self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None):
    # AWS: ModifyListener takes every protocol of the load balancer's type (TLS, UDP and TCP_UDP on
    # a network load balancer); moto refused all but HTTP, HTTPS and TCP with UnsupportedProtocol.
    # Which protocols fit which load balancer is aws_rules' `listener_protocol`.
    if protocol in ("TLS", "UDP", "TCP_UDP"):
        listener = _modify_listener_backend(self, arn, port, None, ssl_policy, [], actions)
        listener.protocol = protocol
        if certificates:
            listener.certificate = certificates[0]["CertificateArn"]
            listener.certificates = [c["CertificateArn"] for c in certificates]
        elif protocol != "TLS":
            listener.certificate, listener.certificates = None, []
        return listener
    return _modify_listener_backend(self, arn, port, protocol, ssl_policy, certificates, actions)


_token_arn = AWSCertificateManagerBackend._get_arn_from_idempotency_token


def _get_arn_from_idempotency_token(self, token):
    # An idempotency token whose certificate was deleted starts a new request. moto returned the
    # deleted certificate's ARN and then failed looking it up (HTTP 500).
    arn = _token_arn(self, token)
    if arn is not None and arn not in self._certificates:
        self._idempotency_tokens.pop(token, None)
        return None
    return arn


_create_version = LaunchTemplate.create_version


def create_version(self, data, description):
    # AWS launches a new template version's instances with its user data. moto stored the user
    # data of CreateLaunchTemplateVersion as plain text, and launching from that version failed.
    if data.get("UserData") is not None and not isinstance(data["UserData"], Base64EncodedString):
        data = dict(data, UserData=parse_user_data(data["UserData"]))
    return _create_version(self, data, description)


# AWS lists a launch template's current tags. moto copied them once at creation, so CreateTags
# and DeleteTags on a template never showed in DescribeLaunchTemplates.
_template_tags = property(lambda self: self.get_tags(), lambda self, value: None)

_create_group = AutoScalingResponse.create_auto_scaling_group
_update_group = AutoScalingResponse.update_auto_scaling_group


def _group_settings(self, group, creating):
    # AWS stores DefaultInstanceWarmup and MaxInstanceLifetime (moto dropped both) and updates
    # TerminationPolicies and CapacityRebalance in place (moto kept the values from creation).
    warmup = self._get_int_param("DefaultInstanceWarmup")
    if warmup is not None:
        group.default_instance_warmup = None if warmup < 0 else warmup
    lifetime = self._get_int_param("MaxInstanceLifetime")
    if lifetime is not None:
        group.max_instance_lifetime = lifetime or None
    # CapacityReservationSpecification (moto dropped it); preference `default` and no targets
    # when the group has none.
    spec = self._get_param("CapacityReservationSpecification")
    if spec:
        target = spec.get("CapacityReservationTarget") or {}
        group.capacity_reservation_specification = {
            "CapacityReservationPreference": spec.get("CapacityReservationPreference", "default"),
            "CapacityReservationTarget": {k: v for k, v in target.items() if v},
        }
    # DesiredCapacityType (moto dropped it): what the sizes count.
    capacity_type = self._get_param("DesiredCapacityType")
    if capacity_type:
        group.desired_capacity_type = capacity_type
    # InstanceMaintenancePolicy (moto dropped it); -1 and -1 clear it.
    policy = self._get_param("InstanceMaintenancePolicy")
    if policy:
        low, high = int(policy.get("MinHealthyPercentage", -1)), int(policy.get("MaxHealthyPercentage", -1))
        group.instance_maintenance_policy = None if low < 0 else {"MinHealthyPercentage": low, "MaxHealthyPercentage": high}
    if not creating:
        policies = self._get_param("TerminationPolicies", [])
        if policies:
            group.termination_policies = policies
        rebalance = self._get_bool_param("CapacityRebalance")
        if rebalance is not None:
            group.capacity_rebalance = rebalance


def create_auto_scaling_group(self):
    name = self._get_param("AutoScalingGroupName")
    result = _create_group(self)
    _group_settings(self, self.autoscaling_backend.autoscaling_groups[name], True)
    # A new group starts without the hooks and notifications of a deleted one of the same name.
    backend = self.autoscaling_backend
    for key in [k for k, h in backend.lifecycle_hooks.items() if h.auto_scaling_group_name == name]:
        del backend.lifecycle_hooks[key]
    for key in [k for k in _notifications(backend) if k[0] == name]:
        del _notifications(backend)[key]
    for spec in self._get_param("LifecycleHookSpecificationList", []) or []:
        _put_hook(backend, name, spec)
    return result


# Lifecycle hooks as AWS keeps them: moto answered a made-up target and role for every hook,
# dropped the metadata, and ignored hooks given to CreateAutoScalingGroup.
def _put_hook(backend, group, spec):
    key = f"{group}_{spec['LifecycleHookName']}"
    old = backend.lifecycle_hooks.get(key)
    hook = LifecycleHook(
        spec["LifecycleHookName"],
        group,
        spec.get("LifecycleTransition") or (old.lifecycle_transition if old else None),
        int(spec["HeartbeatTimeout"]) if spec.get("HeartbeatTimeout") else None,
        spec.get("DefaultResult"),
    )
    hook.role_arn = spec.get("RoleARN")
    hook.notification_target_arn = spec.get("NotificationTargetARN")
    hook.notification_metadata = spec.get("NotificationMetadata")
    backend.lifecycle_hooks[key] = hook


def put_lifecycle_hook(self):
    spec = {k: self._get_param(k) for k in ("LifecycleHookName", "LifecycleTransition", "HeartbeatTimeout", "DefaultResult", "RoleARN", "NotificationTargetARN", "NotificationMetadata")}
    _put_hook(self.autoscaling_backend, self._get_param("AutoScalingGroupName"), spec)
    return ActionResult({})


# Group notifications (moto has none): one list of notification types per group and SNS topic.
def _notifications(backend):
    return backend.__dict__.setdefault("_lbstack_notifications", {})


def put_notification_configuration(self):
    key = (self._get_param("AutoScalingGroupName"), self._get_param("TopicARN"))
    _notifications(self.autoscaling_backend)[key] = list(self._get_param("NotificationTypes", []) or [])
    return ActionResult({})


def delete_notification_configuration(self):
    _notifications(self.autoscaling_backend).pop((self._get_param("AutoScalingGroupName"), self._get_param("TopicARN")), None)
    return ActionResult({})


def describe_notification_configurations(self):
    names = self._get_param("AutoScalingGroupNames", []) or []
    found = [
        {"AutoScalingGroupName": group, "TopicARN": topic, "NotificationType": kind}
        for (group, topic), kinds in sorted(_notifications(self.autoscaling_backend).items())
        if not names or group in names
        for kind in kinds
    ]
    return ActionResult({"NotificationConfigurations": found})


def update_auto_scaling_group(self):
    result = _update_group(self)
    _group_settings(self, self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")], False)
    return result


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


# Creates that meet what exists answer like AWS. lbstack relies on these when a create's answer is
# lost and the SDK sends it again: the retry must find the resource, not make a second one.

_create_lb = ELBv2Backend.create_load_balancer


def create_load_balancer(self, name, security_groups, subnet_ids, subnet_mappings=None, scheme="internet-facing", loadbalancer_type=None, ip_address_type="ipv4", tags=None):
    # AWS: a CreateLoadBalancer with the name and settings of an existing one returns it; other
    # settings fail with DuplicateLoadBalancerName. moto made a second load balancer.
    for lb in self.load_balancers.values():
        if lb.name == name:
            if (lb.scheme, lb.type) == (scheme, loadbalancer_type or "application"):
                return lb
            raise DuplicateLoadBalancerName()
    # AWS: `dualstack-without-public-ipv4` is an IP address type of internet-facing application load
    # balancers; moto took only ipv4 and dualstack.
    without_public = ip_address_type == "dualstack-without-public-ipv4"
    if without_public and ((loadbalancer_type or "application") != "application" or scheme == "internal"):
        raise InvalidConfigurationRequest("dualstack-without-public-ipv4 is for internet-facing application load balancers")
    lb = _create_lb(self, name, security_groups, subnet_ids, subnet_mappings, scheme, loadbalancer_type, "dualstack" if without_public else ip_address_type, tags)
    if without_public:
        lb.ip_address_type = ip_address_type
    # AWS keeps a subnet mapping's Elastic IP, private IPv4 and IPv6 address and lists them under
    # AvailabilityZones[].LoadBalancerAddresses; moto dropped them.
    lb._lbstack_addresses = {
        m["SubnetId"]: {k: m[k] for k in ("AllocationId", "PrivateIPv4Address", "IPv6Address") if m.get(k)}
        for m in subnet_mappings or []
        if any(m.get(k) for k in ("AllocationId", "PrivateIPv4Address", "IPv6Address"))
    }
    return lb


_create_tg = ELBv2Backend.create_target_group


def create_target_group(self, name, **kwargs):
    # AWS: a CreateTargetGroup with the name and settings of an existing one returns it. moto
    # refused every repeat with DuplicateTargetGroupName.
    for tg in self.target_groups.values():
        if tg.name == name:
            same = str(tg.protocol) == str(kwargs.get("protocol")) and str(tg.port) == str(kwargs.get("port")) and tg.vpc_id == kwargs.get("vpc_id")
            if same:
                return tg
            raise DuplicateTargetGroupName()
    return _create_tg(self, name, **kwargs)


_create_listener = ELBv2Backend.create_listener


def create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, alpn_policy=None, tags=None):
    # AWS: one listener per port; the same CreateListener again returns it, another protocol on
    # the port fails with DuplicateListener. moto keyed listeners by ARN and took any port twice.
    balancer = self.load_balancers.get(load_balancer_arn)
    if balancer is not None:
        for listener in balancer.listeners.values():
            if str(listener.port) == str(port):
                if listener.protocol == protocol:
                    return listener
                raise DuplicateListenerError()
    return _create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, alpn_policy, tags)


class AlreadyExistsFault(AutoscalingClientError):
    code = "AlreadyExists"


_create_asg_backend = AutoScalingBackend.create_auto_scaling_group


def create_auto_scaling_group_backend(self, name, *args, **kwargs):
    # AWS: CreateAutoScalingGroup with a taken name fails with AlreadyExists. moto replaced the group.
    if name in self.autoscaling_groups:
        raise AlreadyExistsFault(f"AutoScalingGroup by this name already exists - A group with the name {name} already exists")
    return _create_asg_backend(self, name, *args, **kwargs)


class WAFDuplicateItem(WAFv2ClientError):
    # The modelled code; moto answered `WafV2DuplicateItem`, which no SDK knows.
    def __init__(self):
        super().__init__("WAFDuplicateItemException", "AWS WAF could not perform the operation because some resource in your request is a duplicate of an existing one.")


_create_ip_set = WAFV2Backend.create_ip_set
_create_web_acl = WAFV2Backend.create_web_acl


def create_ip_set(self, name, scope, *args, **kwargs):
    # AWS: IP set names are unique per scope (WAFDuplicateItemException). moto made a second one.
    if any(s.name == name and s.scope == scope for s in self.ip_sets.values()):
        raise WAFDuplicateItem()
    return _create_ip_set(self, name, scope, *args, **kwargs)


def create_web_acl(self, name, *args, **kwargs):
    if self._is_duplicate_name(name):
        raise WAFDuplicateItem()
    return _create_web_acl(self, name, *args, **kwargs)


_request_certificate = AWSCertificateManagerBackend.request_certificate
_acm_lock = threading.Lock()


def request_certificate(self, *args, **kwargs):
    # AWS: requests with one idempotency token give one certificate, however close together.
    # moto checked and recorded the token in two steps, so two threads could both create one.
    with _acm_lock:
        return _request_certificate(self, *args, **kwargs)



# Group metrics as AWS keeps them: EnableMetricsCollection adds to what is collected (moto replaced
# the list, and an empty list, which means every metric, enabled none); DisableMetricsCollection,
# which moto lacks, removes the metrics named, or all of them.
_GROUP_METRICS = [
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
    "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances", "GroupInServiceCapacity",
    "GroupPendingCapacity", "GroupStandbyCapacity", "GroupTerminatingCapacity", "GroupTotalCapacity",
    "WarmPoolDesiredCapacity", "WarmPoolWarmedCapacity", "WarmPoolPendingCapacity", "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity", "GroupAndWarmPoolTotalCapacity", "WarmPoolMinSize",
]


def enable_metrics_collection(self):
    group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])[0]
    wanted = self._get_param("Metrics") or _GROUP_METRICS
    group.metrics = [m for m in _GROUP_METRICS if m in wanted or m in group.metrics]
    return ActionResult({})


def disable_metrics_collection(self):
    group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])[0]
    unwanted = self._get_param("Metrics") or _GROUP_METRICS
    group.metrics = [m for m in group.metrics if m not in unwanted]
    return ActionResult({})


# A mixed-instances group launches its whole desired capacity, On-Demand and Spot together (EC2
# Auto Scaling user guide, "Auto Scaling groups with multiple instance types and purchase
# options"). moto rounded the two shares down apart: a base of 1 and 50 % On-Demand above it made
# 1 + int(0.5) + int(0.5) = 1 instance of 2, so the group never reached its size. The first
# override's weight counts, as moto assumes the prioritized strategy.
_set_desired_capacity = FakeAutoScalingGroup.set_desired_capacity


def set_desired_capacity(self, new_capacity):
    _set_desired_capacity(self, new_capacity)
    overrides = ((self.mixed_instances_policy or {}).get("LaunchTemplate") or {}).get("Overrides") or []
    if not overrides:
        return
    weight = str(overrides[0].get("WeightedCapacity", "1"))
    weight = int(weight) if weight.isdigit() and int(weight) > 0 else 1
    missing = math.ceil((self.desired_capacity or 0) / weight) - len(self.active_instances())
    if missing > 0:
        self.replace_autoscaling_group_instances(missing, self.get_propagated_tags())


# Instance refreshes (moto has none). A refresh replaces the instances that were in the group when
# it started, one every EMU_REFRESH_SECONDS_PER_INSTANCE seconds (default 0.5), terminating the
# old instance and launching one from the group's current launch template; progress is worked
# out when the refresh is described. Newest first, as AWS lists them.
_REFRESHES = {}  # group name -> [refresh dict]
_SECONDS_PER_INSTANCE = float(os.environ.get("EMU_REFRESH_SECONDS_PER_INSTANCE", "0.5"))


def _advance(backend, refresh):
    if refresh["Status"] not in ("Pending", "InProgress"):
        return
    group = backend.autoscaling_groups.get(refresh["AutoScalingGroupName"])
    if group is None:
        refresh.update(Status="Failed", StatusReason="The Auto Scaling group was deleted.", EndTime=datetime.now(timezone.utc))
        return
    refresh["Status"] = "InProgress"
    total = len(refresh["_old"])
    due = total if _SECONDS_PER_INSTANCE <= 0 else min(total, int((time.time() - refresh["_started"]) / _SECONDS_PER_INSTANCE))
    while refresh["_replaced"] < due:
        old_id = refresh["_old"][refresh["_replaced"]]
        states = [s for s in group.instance_states if s.instance.id == old_id]
        if states:
            # Launch the replacement first: a failed launch must not leave the group short.
            group.replace_autoscaling_group_instances(1, group.get_propagated_tags())
            backend.ec2_backend.terminate_instances([old_id])
            group.instance_states = [s for s in group.instance_states if s.instance.id != old_id]
        refresh["_replaced"] += 1
    backend.update_attached_target_groups(group.name)
    refresh["PercentageComplete"] = 100 if total == 0 else int(100 * refresh["_replaced"] / total)
    refresh["InstancesToUpdate"] = total - refresh["_replaced"]
    if refresh["_replaced"] >= total:
        refresh.update(Status="Successful", StatusReason="", EndTime=datetime.now(timezone.utc))


def start_instance_refresh(self):
    name = self._get_param("AutoScalingGroupName")
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    for r in _REFRESHES.get(name, []):
        _advance(backend, r)
        if r["Status"] in ("Pending", "InProgress", "Cancelling"):
            raise InstanceRefreshInProgress(f"An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
    refresh = {
        "InstanceRefreshId": str(uuid.uuid4()),
        "AutoScalingGroupName": name,
        "Status": "Pending",
        "StatusReason": "",
        "StartTime": datetime.now(timezone.utc),
        "PercentageComplete": 0,
        "InstancesToUpdate": len(group.instance_states),
        "Preferences": self._get_params().get("Preferences") or {},
        "_started": time.time(),
        "_old": [s.instance.id for s in group.instance_states],
        "_replaced": 0,
    }
    _REFRESHES.setdefault(name, []).insert(0, refresh)
    return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})


def _public(refresh):
    return {k: v for k, v in refresh.items() if not k.startswith("_")}


def describe_instance_refreshes(self):
    name = self._get_param("AutoScalingGroupName")
    ids = self._get_param("InstanceRefreshIds", [])
    refreshes = [r for r in _REFRESHES.get(name, []) if not ids or r["InstanceRefreshId"] in ids]
    for r in refreshes:
        _advance(self.autoscaling_backend, r)
    limit = self._get_int_param("MaxRecords")
    if limit:
        refreshes = refreshes[:limit]
    return ActionResult({"InstanceRefreshes": [_public(r) for r in refreshes]})


def cancel_instance_refresh(self):
    name = self._get_param("AutoScalingGroupName")
    for r in _REFRESHES.get(name, []):
        _advance(self.autoscaling_backend, r)
        if r["Status"] in ("Pending", "InProgress"):
            r.update(Status="Cancelled", StatusReason="Cancelled by request.", EndTime=datetime.now(timezone.utc))
            return ActionResult({"InstanceRefreshId": r["InstanceRefreshId"]})
    raise ActiveInstanceRefreshNotFound("No in progress or pending Instance Refresh found for Auto Scaling group " + name)


# CloudWatch over Smithy RPC v2 CBOR. Current AWS SDKs (Rust included) call CloudWatch with
# `POST /service/GraniteServiceVersion20100801/operation/<Op>` and CBOR bodies; moto serves only
# the query protocol. AWS accepts both, so each CBOR call is translated to query with botocore's
# model of the service, handed to moto, and its XML answer re-encoded as CBOR.
_CBOR_PATH = re.compile(r"^/service/GraniteServiceVersion20100801/operation/(\w+)$")
_dispatch = DomainDispatcherApplication.__call__
_cloudwatch_model = None


def _cbor_text_map(pairs):
    # A CBOR map of short text strings (error bodies).
    out = bytearray([0xA0 | len(pairs)])
    for k, v in pairs.items():
        for text in (k, v):
            data = text.encode()
            if len(data) < 24:
                out.append(0x60 | len(data))
            elif len(data) < 256:
                out += bytes([0x78, len(data)])
            else:
                out += bytes([0x79]) + len(data).to_bytes(2, "big")
            out += data
    return bytes(out)


def _cloudwatch_cbor(app, environ, start_response, operation):
    global _cloudwatch_model
    import botocore.session
    from botocore.parsers import QueryParser, RpcV2CBORParser
    from botocore.serialize import QuerySerializer, RpcV2CBORSerializer

    if _cloudwatch_model is None:
        _cloudwatch_model = botocore.session.get_session().get_service_model("cloudwatch")
    op = _cloudwatch_model.operation_model(operation)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    params = RpcV2CBORParser()._initial_body_parse(body) or {}
    form = urllib.parse.urlencode(QuerySerializer().serialize_to_request(params, op)["body"]).encode()
    inner = dict(environ)
    inner.update({"PATH_INFO": "/", "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(form)), "wsgi.input": io.BytesIO(form)})
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"] = status
        return lambda data: None

    xml = b"".join(_paged_dispatch(app, inner, capture))
    code = int(captured["status"].split()[0])
    headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    if code < 300:
        out = bytearray()
        if op.output_shape is None:
            out += b"\xa0"
        else:
            parsed = QueryParser().parse({"body": xml, "headers": {}, "status_code": code}, op.output_shape)
            parsed.pop("ResponseMetadata", None)
            RpcV2CBORSerializer()._serialize_data_item(out, parsed, op.output_shape)
        payload = bytes(out)
    else:
        error = QueryParser().parse({"body": xml, "headers": {}, "status_code": code}, None).get("Error", {})
        name = error.get("Code") or str(code)
        payload = _cbor_text_map({"__type": f"com.amazonaws.cloudwatch#{name}", "message": error.get("Message", "")})
        headers.append(("x-amzn-query-error", f"{name};{'Sender' if code < 500 else 'Receiver'}"))
    headers.append(("Content-Length", str(len(payload))))
    start_response(captured["status"], headers)
    return [payload]


# AWS's request throttling, on demand (EMU_THROTTLE=aws). AWS limits each account and region with
# token buckets per action class; a call that finds its bucket empty is refused. Buckets here:
#   ELBv2 Describe*             40 tokens, 10 a second  (ELB user guide, "Request throttling for
#                                                         the Elastic Load Balancing API")
#   ELBv2 (De)RegisterTargets   20 tokens,  4 a second  (assumed; AWS does not publish them all)
#   ELBv2 other writes          20 tokens,  2 a second  (assumed)
#   EC2 Describe*              100 tokens, 20 a second  (EC2 API reference, "Request throttling")
#   EC2 writes                 200 tokens,  5 a second  (same page, mutating actions)
# EMU_THROTTLE_SCALE multiplies every refill rate (0.5 halves them). Refused calls answer as AWS
# does (HTTP 400, `Throttling` for ELBv2, `RequestLimitExceeded` for EC2); GET /_emulator/throttled
# counts them by action; POST /_emulator/throttle with body `aws` or `off` switches the mode (and
# refills the buckets) while the server runs.
_THROTTLE = os.environ.get("EMU_THROTTLE") == "aws"
_THROTTLE_SCALE = float(os.environ.get("EMU_THROTTLE_SCALE", "1"))
_BUCKET_SIZES = {
    ("2015-12-01", "describe"): (40, 10),
    ("2015-12-01", "register"): (20, 4),
    ("2015-12-01", "write"): (20, 2),
    ("2016-11-15", "describe"): (100, 20),
    ("2016-11-15", "write"): (200, 5),
}
_buckets = {}
_throttled = {}
_throttle_lock = threading.Lock()


def _take(version, action):
    if action.startswith("Describe"):
        kind = "describe"
    elif version == "2015-12-01" and action in ("RegisterTargets", "DeregisterTargets"):
        kind = "register"
    else:
        kind = "write"
    size = _BUCKET_SIZES.get((version, kind))
    if size is None:
        return True
    capacity, rate = size[0], size[1] * _THROTTLE_SCALE
    now = time.monotonic()
    with _throttle_lock:
        tokens, last = _buckets.get((version, kind), (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens >= 1:
            _buckets[(version, kind)] = (tokens - 1, now)
            return True
        _buckets[(version, kind)] = (tokens, now)
        _throttled[action] = _throttled.get(action, 0) + 1
        return False


def _throttle(environ, start_response):
    """None when the call may go on; the throttling answer when its bucket is empty."""
    if environ.get("REQUEST_METHOD") != "POST" or "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    action, version = form.get("Action", [""])[0], form.get("Version", [""])[0]
    if _take(version, action):
        return None
    request_id = str(uuid.uuid4())
    if version == "2016-11-15":
        xml = f"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
    else:
        xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    start_response("400 Bad Request", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)])
    return [xml.encode()]


# Pages as AWS answers them. moto answers most lists in one piece and cuts DescribeLaunchTemplates
# at 15 without a marker, so a caller that stopped early or never followed a marker looked right.
# The emulator pages these lists itself, at AWS's page sizes, with an opaque marker. Small pages on
# demand: EMU_PAGE_SIZE=N, or POST /_emulator/pages with a number (`off` ends it), caps every list
# lbstack calls at N items a page, these and the ones moto pages itself. AWS may end any page early,
# so a correct caller cannot tell. GET /_emulator/paged counts, by action, the requests that asked
# for a page after the first: a test checks every list was followed to its end.
#   action: (size parameter, AWS's default page size or None for all, marker parameter,
#            marker element of the answer, list element, item element)
_QUERY_LISTS = {
    "DescribeTargetGroups": ("PageSize", 400, "Marker", "NextMarker", "TargetGroups", "member"),
    "DescribeListeners": ("PageSize", 400, "Marker", "NextMarker", "Listeners", "member"),
    "DescribeListenerCertificates": ("PageSize", 400, "Marker", "NextMarker", "Certificates", "member"),
    "DescribePolicies": ("MaxRecords", 50, "NextToken", "NextToken", "ScalingPolicies", "member"),
    "DescribeScheduledActions": ("MaxRecords", 50, "NextToken", "NextToken", "ScheduledUpdateGroupActions", "member"),
    "DescribeAlarms": ("MaxRecords", 50, "NextToken", "NextToken", "MetricAlarms", "member"),
    "DescribeSecurityGroups": ("MaxResults", None, "NextToken", "nextToken", "securityGroupInfo", "item"),
    "DescribeSubnets": ("MaxResults", None, "NextToken", "nextToken", "subnetSet", "item"),
    "DescribeLaunchTemplates": ("MaxResults", None, "NextToken", "nextToken", "launchTemplates", "item"),
}
# Lists moto pages itself: small pages only cap the size asked for. action: (size, marker parameter)
_QUERY_CAPPED = {"DescribeLoadBalancers": ("PageSize", "Marker"), "DescribeRules": ("PageSize", "Marker"), "DescribeAutoScalingGroups": ("MaxRecords", "NextToken")}
_JSON_CAPPED = {"AWSWAF_20190729.ListIPSets": ("Limit", "NextMarker"), "AWSWAF_20190729.ListWebACLs": ("Limit", "NextMarker")}
_PAGE = int(os.environ.get("EMU_PAGE_SIZE") or 0)
_long_markers = {}
_continued = {}


def _page_size(requested, default):
    """Items in this page: what the caller asked for, else AWS's default, at most the small-page cap."""
    size = requested or default
    if _PAGE and (size is None or size > _PAGE):
        size = _PAGE
    return size


def _count_continued(action):
    with _throttle_lock:
        _continued[action] = _continued.get(action, 0) + 1


def _items(text, list_tag, item_tag):
    """(start, end, items) of the first <list_tag> element's top-level items, or None."""
    opened = re.search(rf"<{list_tag}>|<{list_tag}/>", text)
    if opened is None or opened.group(0).endswith("/>"):
        return None
    items, depth, begin = [], 0, None
    for m in re.finditer(rf"<(/?){item_tag}>|<{item_tag}/>|</{list_tag}>", text[opened.end():]):
        at = opened.end() + m.start()
        tag = m.group(0)
        if tag == f"</{list_tag}>" and depth == 0:
            return opened.end(), at, items
        if tag == f"<{item_tag}/>":
            if depth == 0:
                items.append(tag)
        elif m.group(1):
            depth -= 1
            if depth == 0:
                items.append(text[begin : opened.end() + m.end()])
        else:
            if depth == 0:
                begin = at
            depth += 1
    return None


def _read_body(environ):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _set_body(environ, body):
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _call(app, environ):
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    body = b"".join(_dispatch(app, environ, capture))
    return captured["status"], captured["headers"], body


def _answer(start_response, status, headers, body):
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


def _strict_dispatch(app, environ, start_response, pipeline):
    """moto's answer, after AWS's own checks: the request against its API model (aws_shapes), then
    AWS's refusals on the state it meets (aws_rules); what AWS remembers after a success is
    recorded once moto has answered."""
    service = aws_shapes.service_of(environ)
    if service is None:
        return pipeline(app, environ, start_response)
    body = _read_body(environ)
    cbor = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
    if cbor is not None:
        from botocore.parsers import RpcV2CBORParser

        op = aws_shapes.model(service).operation_model(cbor.group(1))
        params = RpcV2CBORParser()._initial_body_parse(body) or {}
    else:
        op, params = aws_shapes.request_params(service, environ, body)
    if op is None:
        return pipeline(app, environ, start_response)

    def refuse(code, text, status=400):
        if cbor is None:
            return _answer(start_response, *aws_shapes.error_answer(service, code, text, status, json_body="HTTP_X_AMZ_TARGET" in environ))
        payload = _cbor_text_map({"__type": f"com.amazonaws.{service}#{code}", "message": text})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-query-error", f"{code};Sender")]
        return _answer(start_response, f"{status} Bad Request", headers, payload)

    if "model" not in aws_rules.LENIENT and op.input_shape is not None:
        found = aws_shapes.problems(op.input_shape, params)
        if found:
            return refuse(aws_shapes.CODES[service], aws_shapes.message(found[:10]))
    region = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID") or "123456789012"
    request = aws_rules.Request(service, op.name, params, account, region.group(1) if region else "us-east-1")
    try:
        aws_rules.check(request)
    except aws_rules.Refusal as refusal:
        return refuse(refusal.code, refusal.message, refusal.status)
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    out = b"".join(pipeline(app, environ, capture))
    if captured["status"].startswith("2"):
        aws_rules.succeeded(request)
    return _answer(start_response, captured["status"], captured["headers"], out)


def _pipeline(app, environ, start_response):
    match = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
    if match is None:
        return _paged_dispatch(app, environ, start_response)
    return _cloudwatch_cbor(app, environ, start_response, match.group(1))


def _paged_dispatch(app, environ, start_response):
    """moto's answer, paged as AWS pages it."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target == "CertificateManager.ListCertificates":
        return _paged_json(app, environ, start_response)
    if target in _JSON_CAPPED:
        size_key, marker_key = _JSON_CAPPED[target]
        request = json.loads(_read_body(environ) or b"{}")
        if request.get(marker_key):
            _count_continued(target.split(".")[1])
        size = _page_size(request.get(size_key), None)
        if size:
            request[size_key] = size
            _set_body(environ, json.dumps(request).encode())
        return _dispatch(app, environ, start_response)
    if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").rstrip("/").endswith("/hostedzone"):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if query.get("marker"):
            _count_continued("ListHostedZones")
            # AWS's markers are zone ids (at most 64 characters, the model says); moto's are long
            # base64 tokens, so the emulator hands out short ones and keeps moto's behind them.
            query["marker"] = [_long_markers.get(query["marker"][0], query["marker"][0])]
        size = _page_size(int(query.get("maxitems", ["0"])[0] or 0), None)
        if size:
            query["maxitems"] = [str(size)]
        environ["QUERY_STRING"] = urllib.parse.urlencode(query, doseq=True)
        status, headers, body = _call(app, environ)

        def short(m):
            token = "Z" + uuid.uuid4().hex[:20].upper()
            _long_markers[token] = m.group(1).decode()
            return f"<NextMarker>{token}</NextMarker>".encode()

        return _answer(start_response, status, headers, re.sub(rb"<NextMarker>([^<]*)</NextMarker>", short, body))
    if environ.get("REQUEST_METHOD") != "POST" or "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return _dispatch(app, environ, start_response)
    form = urllib.parse.parse_qs(_read_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
    action = form.get("Action", [""])[0]
    if action in _QUERY_CAPPED:
        size_key, marker_key = _QUERY_CAPPED[action]
        if form.get(marker_key):
            _count_continued(action)
        size = _page_size(int(form.get(size_key, ["0"])[0] or 0), None)
        if size:
            form[size_key] = [str(size)]
            _set_body(environ, urllib.parse.urlencode(form, doseq=True).encode())
        return _dispatch(app, environ, start_response)
    if action not in _QUERY_LISTS:
        return _dispatch(app, environ, start_response)
    size_key, default, marker_key, marker_tag, list_tag, item_tag = _QUERY_LISTS[action]
    marker = form.pop(marker_key, [""])[0]
    start = int(marker) if marker.isdigit() else 0
    if start:
        _count_continued(action)
    size = _page_size(int(form.pop(size_key, ["0"])[0] or 0), default)
    if action == "DescribeLaunchTemplates":
        form["MaxResults"] = ["1000000"]
    _set_body(environ, urllib.parse.urlencode(form, doseq=True).encode())
    status, headers, body = _call(app, environ)
    text = body.decode("utf-8")
    found = _items(text, list_tag, item_tag) if status.startswith("2") else None
    if found is not None:
        begin, end, items = found
        page = items[start : start + size] if size else items[start:]
        text = re.sub(rf"<{marker_tag}>[^<]*</{marker_tag}>|<{marker_tag}/>", "", text[:begin] + "".join(page) + text[end:])
        if size and start + size < len(items):
            close = f"</{list_tag}>"
            at = text.index(close, begin) + len(close)
            text = f"{text[:at]}<{marker_tag}>{start + size}</{marker_tag}>{text[at:]}"
        body = text.encode("utf-8")
    return _answer(start_response, status, headers, body)


def _paged_json(app, environ, start_response):
    request = json.loads(_read_body(environ) or b"{}")
    marker = str(request.pop("NextToken", "") or "")
    start = int(marker) if marker.isdigit() else 0
    if start:
        _count_continued("ListCertificates")
    size = _page_size(request.pop("MaxItems", None), None)
    _set_body(environ, json.dumps(request).encode())
    status, headers, body = _call(app, environ)
    if status.startswith("2"):
        answer = json.loads(body)
        items = answer.get("CertificateSummaryList", [])
        answer["CertificateSummaryList"] = items[start : start + size] if size else items[start:]
        answer.pop("NextToken", None)
        if size and start + size < len(items):
            answer["NextToken"] = str(start + size)
        body = json.dumps(answer).encode()
    return _answer(start_response, status, headers, body)


def dispatch(self, environ, start_response):
    if environ.get("PATH_INFO") == "/_emulator/throttled":
        with _throttle_lock:
            body = json.dumps(_throttled).encode()
        return _answer(start_response, "200 OK", [("Content-Type", "application/json")], body)
    if environ.get("PATH_INFO") == "/_emulator/throttle" and environ.get("REQUEST_METHOD") == "POST":
        global _THROTTLE
        mode = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode().strip()
        with _throttle_lock:
            _THROTTLE = mode == "aws"
            _buckets.clear()
            _throttled.clear()
        return _answer(start_response, "200 OK", [("Content-Type", "text/plain")], mode.encode())
    if environ.get("PATH_INFO") == "/_emulator/lenient" and environ.get("REQUEST_METHOD") == "POST":
        names = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode().strip()
        aws_rules.LENIENT.clear()
        aws_rules.LENIENT.update(n.strip() for n in names.split(",") if n.strip())
        return _answer(start_response, "200 OK", [("Content-Type", "text/plain")], ",".join(sorted(aws_rules.LENIENT)).encode())
    if environ.get("PATH_INFO") == "/_emulator/rules":
        body = json.dumps({"rules": aws_rules.names(), "lenient": sorted(aws_rules.LENIENT), "time_scale": aws_rules.SCALE, "durations": aws_rules.DURATIONS}).encode()
        return _answer(start_response, "200 OK", [("Content-Type", "application/json")], body)
    if environ.get("PATH_INFO") == "/_emulator/paged":
        with _throttle_lock:
            body = json.dumps(_continued).encode()
        return _answer(start_response, "200 OK", [("Content-Type", "application/json")], body)
    if environ.get("PATH_INFO") == "/_emulator/pages" and environ.get("REQUEST_METHOD") == "POST":
        global _PAGE
        mode = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode().strip()
        with _throttle_lock:
            _PAGE = int(mode) if mode.isdigit() else 0
            _continued.clear()
        return _answer(start_response, "200 OK", [("Content-Type", "text/plain")], mode.encode())
    if _THROTTLE:
        refused = _throttle(environ, start_response)
        if refused is not None:
            return refused
    return _strict_dispatch(self, environ, start_response, _pipeline)


DomainDispatcherApplication.__call__ = dispatch

# Speed, not behaviour: moto listed its package folder on disk (one isdir per module, some 150)
# for every request, holding the dispatcher lock that all requests queue on. The folder does not
# change while the server runs.
import moto.backends as _backends

_modules = tuple(_backends.list_of_moto_modules())
_backends.list_of_moto_modules = lambda: _modules
# One log line per request costs a tenth of the server's time; EMU_LOG=1 keeps them.
if os.environ.get("EMU_LOG") != "1":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
ELBv2Backend.create_load_balancer = create_load_balancer
ELBv2Backend.create_target_group = create_target_group
ELBv2Backend.create_listener = create_listener
AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group_backend
WAFV2Backend.create_ip_set = create_ip_set
WAFV2Backend.create_web_acl = create_web_acl
AWSCertificateManagerBackend.request_certificate = request_certificate
LaunchTemplate.create_version = create_version
AWSCertificateManagerBackend._get_arn_from_idempotency_token = _get_arn_from_idempotency_token
LaunchTemplate.tags = _template_tags
AutoScalingResponse.create_auto_scaling_group = create_auto_scaling_group
AutoScalingResponse.update_auto_scaling_group = update_auto_scaling_group
AutoScalingResponse.start_instance_refresh = start_instance_refresh
AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh
AutoScalingResponse.enable_metrics_collection = enable_metrics_collection
FakeAutoScalingGroup.set_desired_capacity = set_desired_capacity
AutoScalingResponse.disable_metrics_collection = disable_metrics_collection
AutoScalingResponse.put_lifecycle_hook = put_lifecycle_hook
AutoScalingResponse.put_notification_configuration = put_notification_configuration
AutoScalingResponse.delete_notification_configuration = delete_notification_configuration
AutoScalingResponse.describe_notification_configurations = describe_notification_configurations
WAFV2Backend.associate_web_acl = associate_web_acl
ELBV2Response.modify_target_group = modify_target_group
ELBv2Backend.modify_listener = modify_listener_backend
Route53Backend.change_resource_record_sets = change_resource_record_sets
FakeZone.delete_rrset_by_id = delete_rrset_by_id
ELBv2Backend.set_rule_priorities = set_rule_priorities
# PutCompositeAlarm: moto stores a composite alarm through PutMetricAlarm's handler (it reads
# AlarmRule) but never routed the action itself.
CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm

from moto.cloudwatch.models import CloudWatchBackend  # noqa: E402

_delete_alarms = CloudWatchBackend.delete_alarms


def delete_alarms(self, alarm_names):
    # AWS: an alarm's tags go with it; moto kept them by ARN, so an alarm made again under the
    # same name came back with the deleted one's tags.
    for name in alarm_names:
        alarm = self.alarms.get(name)
        if alarm is not None:
            self.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
    return _delete_alarms(self, alarm_names)


CloudWatchBackend.delete_alarms = delete_alarms


# Shield's DescribeSubscription: AWS answers timestamps as epoch seconds (awsJson); moto wrote
# "30/11/2026, 03:55:14", which no SDK reads.
from moto.shield.models import Subscription as ShieldSubscription

_shield_subscription_dict = ShieldSubscription.to_dict


def _shield_subscription_to_dict(self):
    out = _shield_subscription_dict(self)
    out["StartTime"] = self.start_time.timestamp()
    out["EndTime"] = self.end_time.timestamp()
    return out


ShieldSubscription.to_dict = _shield_subscription_to_dict


# Trust stores for mutual TLS (moto has none): kept per backend by ARN. The CA bundle's S3
# location is recorded, not fetched. Listeners keep their MutualAuthentication as given.
from moto.elbv2.exceptions import ELBClientError


class _ElbError(ELBClientError):
    def __init__(self, code, message):
        super().__init__(code, message)


def _trust_stores(backend):
    if not hasattr(backend, "lbstack_trust_stores"):
        backend.lbstack_trust_stores = {}
    return backend.lbstack_trust_stores


def _trust_store(backend, arn):
    store = _trust_stores(backend).get(arn)
    if store is None:
        raise _ElbError("TrustStoreNotFound", f"Trust store '{arn}' not found")
    return store


def _trust_store_view(store):
    return {"Name": store["Name"], "TrustStoreArn": store["TrustStoreArn"], "Status": "ACTIVE", "NumberOfCaCertificates": 1, "TotalRevokedEntries": 0}


def create_trust_store(self):
    backend = self.elbv2_backend
    name = self._get_param("Name")
    stores = _trust_stores(backend)
    if any(s["Name"] == name for s in stores.values()):
        raise _ElbError("DuplicateTrustStoreName", f"A trust store with the name '{name}' already exists")
    arn = f"arn:aws:elasticloadbalancing:{backend.region_name}:{backend.account_id}:truststore/{name}/{uuid.uuid4().hex[:16]}"
    stores[arn] = {"Name": name, "TrustStoreArn": arn, "Bucket": self._get_param("CaCertificatesBundleS3Bucket"), "Key": self._get_param("CaCertificatesBundleS3Key")}
    tags = self._get_params().get("Tags") or []
    if tags:
        backend.tagging_service.tag_resource(arn, tags)
    return ActionResult({"TrustStores": [_trust_store_view(stores[arn])]})


def describe_trust_stores(self):
    backend = self.elbv2_backend
    arns = self._get_param("TrustStoreArns", []) or []
    names = self._get_param("Names", []) or []
    stores = list(_trust_stores(backend).values())
    for arn in arns:
        _trust_store(backend, arn)
    if arns:
        stores = [s for s in stores if s["TrustStoreArn"] in arns]
    if names:
        stores = [s for s in stores if s["Name"] in names]
        if not stores:
            raise _ElbError("TrustStoreNotFound", "No trust store has one of these names")
    return ActionResult({"TrustStores": [_trust_store_view(s) for s in stores]})


def modify_trust_store(self):
    store = _trust_store(self.elbv2_backend, self._get_param("TrustStoreArn"))
    store["Bucket"] = self._get_param("CaCertificatesBundleS3Bucket")
    store["Key"] = self._get_param("CaCertificatesBundleS3Key")
    return ActionResult({"TrustStores": [_trust_store_view(store)]})


def delete_trust_store(self):
    backend = self.elbv2_backend
    arn = self._get_param("TrustStoreArn")
    _trust_store(backend, arn)
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            if (getattr(listener, "mutual_authentication", None) or {}).get("TrustStoreArn") == arn:
                raise _ElbError("TrustStoreInUse", f"Trust store '{arn}' is in use")
    del _trust_stores(backend)[arn]
    return ActionResult({})


# AWS (2025): path, host and header conditions take RegexValues in place of Values, rules take
# Transforms (a host-header rewrite and a URL rewrite, kept by ModifyRule unless ResetTransforms),
# and actions include jwt-validation. moto read only Values (a KeyError, HTTP 500), dropped
# Transforms, and refused jwt-validation with InvalidActionTypeError.
from moto.elbv2 import models as _elbv2_models  # noqa: E402
from moto.elbv2.exceptions import InvalidConditionValueError  # noqa: E402

if "jwt-validation" not in _elbv2_models.ALLOWED_ACTIONS:
    _elbv2_models.ALLOWED_ACTIONS.append("jwt-validation")


def _regex_or(original, config_key, field):
    def validate(self, condition):
        config = condition.get(config_key) or {}
        regex = config.get("RegexValues") or []
        if regex and not config.get("Values"):
            for value in regex:
                if not 1 <= len(value) <= 128:
                    raise InvalidConditionValueError(f"The '{field}' regular expression must be 1-128 characters")
            return None
        return original(self, condition)

    return validate


for _field, _key in (("host-header", "HostHeaderConfig"), ("path-pattern", "PathPatternConfig"), ("http-header", "HttpHeaderConfig")):
    _name = "_validate_" + _field.replace("-", "_") + "_condition"
    setattr(ELBv2Backend, _name, _regex_or(getattr(ELBv2Backend, _name), _key, _field))

_validate_actions = ELBv2Backend._validate_actions


def validate_actions(self, actions):
    return _validate_actions(self, [a for a in actions if a.type != "jwt-validation"])


def create_rule_response(self):
    params = self._get_params()
    rule = self.elbv2_backend.create_rule(
        listener_arn=params["ListenerArn"],
        conditions=params["Conditions"],
        priority=params["Priority"],
        actions=params["Actions"],
        tags=params.get("Tags"),
    )
    rule.transforms = params.get("Transforms") or []
    return ActionResult({"Rules": [rule]})


def modify_rule_response(self):
    params = self._get_params()
    rule = self.elbv2_backend.modify_rule(rule_arn=params["RuleArn"], conditions=params.get("Conditions", []), actions=params.get("Actions", []))
    if params.get("ResetTransforms") in (True, "true"):
        rule.transforms = []
    elif params.get("Transforms"):
        rule.transforms = params["Transforms"]
    return ActionResult({"Rules": [rule]})


ELBv2Backend._validate_actions = validate_actions
ELBV2Response.create_rule = create_rule_response
ELBV2Response.modify_rule = modify_rule_response
# AWS: SetIpAddressType takes `dualstack-without-public-ipv4` for internet-facing application load
# balancers (API reference, SetIpAddressType); moto allowed only ipv4 and dualstack.
from moto.elbv2.exceptions import InvalidConfigurationRequest, LoadBalancerNotFoundError  # noqa: E402


def set_ip_address_type(self, arn, ip_type):
    balancer = self.load_balancers.get(arn)
    if balancer is None:
        raise LoadBalancerNotFoundError()
    if ip_type == "dualstack-without-public-ipv4" and (balancer.type != "application" or balancer.scheme == "internal"):
        raise InvalidConfigurationRequest("dualstack-without-public-ipv4 is for internet-facing application load balancers")
    balancer.ip_address_type = ip_type


ELBv2Backend.set_ip_address_type = set_ip_address_type
# AWS launches from a template whose block device mappings suppress a device (NoDevice); moto
# read every mapping's Ebs when launching (a KeyError, HTTP 500). Launches see the template
# without the suppressed mappings; the template itself keeps them, as AWS does.
from moto.ec2.models.instances import InstanceBackend  # noqa: E402

_template_from_args = InstanceBackend._get_template_from_args


class _LaunchedTemplate:
    def __init__(self, version):
        self._version = version
        self.data = dict(version.data)
        if "BlockDeviceMappings" in self.data:
            self.data["BlockDeviceMappings"] = [m for m in self.data["BlockDeviceMappings"] or [] if "Ebs" in m]

    def __getattr__(self, name):
        return getattr(self._version, name)


def get_template_from_args(self, launch_template_arg):
    return _LaunchedTemplate(_template_from_args(self, launch_template_arg))


InstanceBackend._get_template_from_args = get_template_from_args

# AWS keeps CreateLaunchTemplate's TagSpecifications (the template's own tags) on the template, not
# in its launch data; moto copied them into the data, as if instances were to be tagged so.
from moto.ec2.models.launch_templates import LaunchTemplateBackend  # noqa: E402

_create_template = LaunchTemplateBackend.create_launch_template


def create_launch_template_backend(self, name, description, template_data, tag_spec):
    specs = [t for t in template_data.get("TagSpecifications") or [] if t.get("ResourceType") != "launch-template"]
    if "TagSpecifications" in template_data:
        template_data["TagSpecifications"] = specs
        if not specs:
            del template_data["TagSpecifications"]
    return _create_template(self, name, description, template_data, tag_spec)


LaunchTemplateBackend.create_launch_template = create_launch_template_backend

# AWS: SetSecurityGroups takes EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic (network load
# balancers with security groups; `on` by default) and DescribeLoadBalancers reports it; moto
# dropped it.
def set_security_groups_response(self):
    arn = self._get_param("LoadBalancerArn")
    groups = self._get_param("SecurityGroups", [])
    self.elbv2_backend.set_security_groups(arn, groups)
    enforce = self._get_param("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
    balancer = self.elbv2_backend.load_balancers.get(arn)
    if enforce and balancer is not None:
        if balancer.type != "network":
            raise InvalidConfigurationRequest("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic applies to network load balancers")
        balancer.enforce_security_group_inbound_rules_on_private_link_traffic = enforce
    result = {"SecurityGroups": groups}
    if enforce:
        result["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = enforce
    return ActionResult(result)


ELBV2Response.set_security_groups = set_security_groups_response

_zones = _elbv2_models.FakeLoadBalancer.availability_zones


def _zones_with_addresses(self):
    zones = _zones.fget(self)
    for zone in zones:
        address = getattr(self, "_lbstack_addresses", {}).get(zone.subnet_id)
        if address:
            zone.load_balancer_addresses = [address]
    return zones


_elbv2_models.FakeLoadBalancer.availability_zones = property(_zones_with_addresses)
# AWS's attributes of an application load balancer's health-check logs (moto knew `enabled` only).
_elbv2_models.FakeLoadBalancer.VALID_ATTRS |= {"health_check_logs.s3.bucket", "health_check_logs.s3.prefix"}

_get_resource_by_arn = ELBv2Backend._get_resource_by_arn


def get_resource_by_arn(self, arn):
    if ":truststore/" in arn:
        return _trust_store(self, arn)
    return _get_resource_by_arn(self, arn)


def _mutual_authentication(response, listener):
    given = response._get_params().get("MutualAuthentication")
    if given is None or listener is None:
        return
    mode = given.get("Mode", "off")
    value = {"Mode": mode}
    if mode == "verify":
        store = given.get("TrustStoreArn")
        _trust_store(response.elbv2_backend, store)
        value["TrustStoreArn"] = store
        value["IgnoreClientCertificateExpiry"] = str(given.get("IgnoreClientCertificateExpiry", "false")).lower() == "true"
    listener.mutual_authentication = value


_create_listener_response = ELBV2Response.create_listener
_modify_listener_response = ELBV2Response.modify_listener


def _listener_of(response):
    arn = response._get_param("ListenerArn")
    if arn:
        return response.elbv2_backend.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
    balancer = response.elbv2_backend.load_balancers.get(response._get_param("LoadBalancerArn"))
    port = str(response._get_param("Port"))
    return next((l for l in balancer.listeners.values() if str(l.port) == port), None) if balancer else None


def create_listener_response(self):
    result = _create_listener_response(self)
    _mutual_authentication(self, _listener_of(self))
    return result


def modify_listener_response(self):
    result = _modify_listener_response(self)
    _mutual_authentication(self, _listener_of(self))
    return result


ELBV2Response.create_trust_store = create_trust_store
ELBV2Response.describe_trust_stores = describe_trust_stores
ELBV2Response.modify_trust_store = modify_trust_store
ELBV2Response.delete_trust_store = delete_trust_store
ELBV2Response.create_listener = create_listener_response
ELBV2Response.modify_listener = modify_listener_response
ELBv2Backend._get_resource_by_arn = get_resource_by_arn

# WAF lock tokens are UUIDs (the model's LockToken pattern); moto gave IP sets six hex digits,
# which AWS's own validation of the next UpdateIPSet or DeleteIPSet refuses.
from moto.wafv2.models import FakeIPSet

_ip_set_init, _ip_set_update = FakeIPSet.__init__, FakeIPSet.update


def _ip_set_init_uuid(self, *args, **kwargs):
    _ip_set_init(self, *args, **kwargs)
    self.lock_token = str(uuid.uuid4())


def _ip_set_update_uuid(self, *args, **kwargs):
    _ip_set_update(self, *args, **kwargs)
    self.lock_token = str(uuid.uuid4())


FakeIPSet.__init__, FakeIPSet.update = _ip_set_init_uuid, _ip_set_update_uuid

aws_rules.install_clock()

if __name__ == "__main__":
    sys.exit(main())
