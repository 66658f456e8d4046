"""AWS's refusals and AWS's clock, where moto is more lenient than AWS.

The emulator is the oracle of lbstack's tests, so it must refuse what AWS refuses: an ordering
mistake (deleting a security group a load balancer still uses) must fail in a test, not on the
first real account. Each rule here is one refusal AWS makes, with AWS's error code, HTTP status
and message shape, and the place in AWS's documentation that states it. A rule runs before moto
sees the request, on the request read back into the API model's shape (aws_shapes) and on
moto's state; hooks after a successful call record what AWS remembers and moto does not (when
a load balancer's network interfaces are released, when a web ACL was made).

Time passes as on AWS, scaled: EMU_TIME_SCALE (default 1, AWS's own durations; the start script
sets 0.01 for tests) multiplies every duration in DURATIONS, so a test waits a second where AWS
makes a person wait minutes, and every wait and retry path of lbstack still runs.

EMU_LENIENT=rule,rule turns rules off by name (`model` turns off the API-model check); so does
POST /_emulator/lenient with the names as its body. A test that needs the lenient behaviour says
why.
"""

import os
import time

# AWS's typical durations, in seconds (no AWS page gives exact figures: these are what the
# services' user guides describe as typical, and what a person waits on a real account).
DURATIONS = {
    # ELB user guide: a new load balancer is `provisioning` "for a few minutes" before `active`.
    "load_balancer_provisioning": 180.0,
    # EC2: the network interfaces of a deleted load balancer stay attached to its security groups
    # for a while; DeleteSecurityGroup meets DependencyViolation until they are released.
    "network_interfaces_release": 120.0,
    # WAF: a new web ACL propagates before it can be associated (WAFNonexistentItemException,
    # "It can take from a few seconds to a number of minutes for changes to propagate").
    "web_acl_propagation": 30.0,
    # ACM: InUseBy catches up with a listener that stopped using a certificate.
    "certificate_release": 30.0,
    # ACM user guide, DNS validation: "can take up to several minutes" after the record exists.
    "certificate_validation": 120.0,
    # EC2 Auto Scaling: an instance is `Pending` while it boots, then `InService`.
    "instance_boot": 60.0,
}

SCALE = float(os.environ.get("EMU_TIME_SCALE") or 1.0)
LENIENT = {r.strip() for r in (os.environ.get("EMU_LENIENT") or "").split(",") if r.strip()}


def seconds(name):
    return DURATIONS[name] * SCALE


def passed(since, name):
    """Whether the duration `name` has passed since the moment `since` (time.time())."""
    return since is None or time.time() - since >= seconds(name)


class Refusal(Exception):
    """AWS refusing a request: its error code, message and HTTP status."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Request:
    """One request, as a rule sees it: the operation, its parameters shaped by the model, and the
    account and region it is for (moto's backends are kept per account and region)."""

    def __init__(self, service, operation, params, account, region):
        self.service, self.operation, self.params = service, operation, params
        self.account, self.region = account, region

    def get(self, *path, default=None):
        value = self.params
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def elbv2(self):
        from moto.elbv2.models import elbv2_backends

        return elbv2_backends[self.account][self.region]

    def ec2(self):
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account][self.region]

    def acm(self):
        from moto.acm.models import acm_backends

        return acm_backends[self.account][self.region]

    def wafv2(self):
        from moto.wafv2.models import wafv2_backends

        return wafv2_backends[self.account][self.region]

    def autoscaling(self):
        from moto.autoscaling.models import autoscaling_backends

        return autoscaling_backends[self.account][self.region]


_BEFORE = {}
_AFTER = {}
_NAMES = set()


def rule(name, service, *operations):
    """A refusal: `check(request)` raises Refusal when AWS would refuse the request."""

    def register(check):
        _NAMES.add(name)
        for op in operations:
            _BEFORE.setdefault((service, op), []).append((name, check))
        return check

    return register


def after(service, *operations):
    """What AWS remembers after a call succeeded: `hook(request)`."""

    def register(hook):
        for op in operations:
            _AFTER.setdefault((service, op), []).append(hook)
        return hook

    return register


def names():
    return sorted(_NAMES)


def check(request):
    for name, rule_check in _BEFORE.get((request.service, request.operation), []):
        if name not in LENIENT:
            rule_check(request)


def succeeded(request):
    for hook in _AFTER.get((request.service, request.operation), []):
        hook(request)


# ------------------------------------------------------------------ shared views of moto's state


def _listeners(backend):
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            yield balancer, listener


def _action_target_groups(action):
    data = action.data if hasattr(action, "data") else action
    found = []
    if data.get("TargetGroupArn"):
        found.append(data["TargetGroupArn"])
    for tg in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
        if tg.get("TargetGroupArn"):
            found.append(tg["TargetGroupArn"])
    return found


def _listener_target_groups(listener):
    found = set()
    for action in listener.default_actions or []:
        found.update(_action_target_groups(action))
    for r in listener.rules.values():
        for action in r.actions:
            found.update(_action_target_groups(action))
    return found


def _target_group_users(backend):
    """Target group ARN -> the load balancer ARNs whose listeners or rules forward to it."""
    users = {}
    for balancer, listener in _listeners(backend):
        for arn in _listener_target_groups(listener):
            users.setdefault(arn, set()).add(balancer.arn)
    return users


def _request_target_groups(actions):
    found = []
    for action in actions or []:
        found.extend(_action_target_groups(action))
    return found


def _listener(backend, arn):
    for balancer, listener in _listeners(backend):
        if listener.arn == arn:
            return balancer, listener
    return None, None


def _rule_listener(backend, rule_arn):
    for balancer, listener in _listeners(backend):
        if rule_arn in listener.rules:
            return balancer, listener
    return None, None


# ------------------------------------------------------------------ Elastic Load Balancing


@rule("deletion_protection", "elbv2", "DeleteLoadBalancer")
def _deletion_protection(request):
    # API reference, DeleteLoadBalancer: "If deletion protection is enabled, the load balancer
    # cannot be deleted" (OperationNotPermitted, HTTP 400).
    arn = request.get("LoadBalancerArn")
    balancer = request.elbv2().load_balancers.get(arn)
    if balancer is not None and str(balancer.attrs.get("deletion_protection.enabled", "false")).lower() == "true":
        raise Refusal("OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")


@after("elbv2", "DeleteLoadBalancer")
def _release_later(request):
    # The deleted load balancer's network interfaces keep its security groups in use for a while.
    _released_groups.update({g: time.time() for g in _deleted_groups.pop(request.get("LoadBalancerArn"), [])})


_deleted_groups = {}  # load balancer ARN -> its security groups, recorded just before the delete
_released_groups = {}  # security group id -> when its last load balancer was deleted


@rule("network_interfaces_release", "elbv2", "DeleteLoadBalancer")
def _remember_groups(request):
    balancer = request.elbv2().load_balancers.get(request.get("LoadBalancerArn"))
    if balancer is not None:
        _deleted_groups[balancer.arn] = list(balancer.security_groups or [])


def _port_holder(balancer, port, except_arn=None):
    for listener in balancer.listeners.values():
        if listener.arn != except_arn and str(listener.port) == str(port):
            return listener
    return None


# ELB quotas (Application and Network Load Balancer user guides, "Quotas"), at their defaults.
LISTENERS_PER_LOAD_BALANCER = 50
RULES_PER_LOAD_BALANCER = 100
CERTIFICATES_PER_LOAD_BALANCER = 25
LOAD_BALANCERS_PER_TARGET_GROUP = 1

_PROTOCOLS = {
    "application": {"HTTP", "HTTPS"},
    "network": {"TCP", "TLS", "UDP", "TCP_UDP"},
    "gateway": {"GENEVE"},
}


@rule("listener_protocol", "elbv2", "CreateListener", "ModifyListener")
def _listener_protocol(request):
    # API reference, CreateListener: "For Application Load Balancers, the supported protocols are
    # HTTP and HTTPS. For Network Load Balancers, the supported protocols are TCP, TLS, UDP, and
    # TCP_UDP." (UnsupportedProtocol). HTTPS and TLS need a certificate, others take none
    # (ValidationError: "A certificate must be specified for HTTPS listeners").
    backend = request.elbv2()
    if request.operation == "CreateListener":
        balancer, listener = backend.load_balancers.get(request.get("LoadBalancerArn")), None
    else:
        balancer, listener = _listener(backend, request.get("ListenerArn"))
    if balancer is None:
        return
    protocol = request.get("Protocol") or (listener.protocol if listener is not None else None)
    if protocol and balancer.type in _PROTOCOLS and protocol not in _PROTOCOLS[balancer.type]:
        raise Refusal("UnsupportedProtocol", f"Protocol '{protocol}' is not supported for {balancer.type} load balancers")
    given = request.get("Certificates")
    has = bool(given) if given is not None else bool(listener is not None and listener.certificates)
    if protocol in ("HTTPS", "TLS") and not has:
        raise Refusal("ValidationError", f"A certificate must be specified for {protocol} listeners")
    if protocol not in ("HTTPS", "TLS") and given:
        raise Refusal("ValidationError", f"A certificate cannot be specified for {protocol} listeners")


@rule("duplicate_listener", "elbv2", "CreateListener", "ModifyListener")
def _duplicate_listener(request):
    # API reference, CreateListener/ModifyListener: DuplicateListener, "A listener with the
    # specified port already exists". A repeated identical CreateListener returns the listener.
    backend = request.elbv2()
    port = request.get("Port")
    if port is None:
        return
    if request.operation == "ModifyListener":
        balancer, listener = _listener(backend, request.get("ListenerArn"))
        if balancer is not None and _port_holder(balancer, port, listener.arn) is not None:
            raise Refusal("DuplicateListener", f"A listener already exists on this port for this load balancer '{balancer.arn}'")
        return
    balancer = backend.load_balancers.get(request.get("LoadBalancerArn"))
    held = _port_holder(balancer, port) if balancer is not None else None
    if held is None:
        if balancer is not None and len(balancer.listeners) >= LISTENERS_PER_LOAD_BALANCER:
            raise Refusal("TooManyListeners", "You've reached the limit on the number of listeners per load balancer")
        return
    same = held.protocol == request.get("Protocol") and sorted(_listener_target_groups(held)) == sorted(_request_target_groups(request.get("DefaultActions")))
    if not same:
        raise Refusal("DuplicateListener", f"A listener already exists on this port for this load balancer '{balancer.arn}'")


def _check_association(request, balancer, actions):
    # Quotas, "Load balancers per target group: 1" (TargetGroupAssociationLimit): a target group
    # another load balancer forwards to cannot be used by this one.
    if balancer is None:
        return
    users = _target_group_users(request.elbv2())
    taken = [arn for arn in _request_target_groups(actions) if users.get(arn, set()) - {balancer.arn}]
    if taken:
        raise Refusal("TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: " + ", ".join(sorted(set(taken))))
    _check_protocols(request, balancer, actions)


def _check_protocols(request, balancer, actions):
    # API reference, CreateListener/CreateRule: IncompatibleProtocols, "The specified
    # configuration is not valid with this protocol": an application load balancer forwards to
    # HTTP/HTTPS target groups, a network one to TCP/TLS/UDP/TCP_UDP ones, a gateway one to GENEVE.
    groups = request.elbv2().target_groups
    for arn in _request_target_groups(actions):
        tg = groups.get(arn)
        if tg is None or tg.protocol is None or balancer.type not in _PROTOCOLS:
            continue
        if tg.protocol not in _PROTOCOLS[balancer.type]:
            raise Refusal("IncompatibleProtocols", f"The target group '{arn}' uses protocol {tg.protocol}, which {balancer.type} load balancers do not forward to")


@rule("target_group_association", "elbv2", "CreateListener", "ModifyListener", "CreateRule", "ModifyRule")
def _target_group_association(request):
    backend = request.elbv2()
    if request.operation == "CreateListener":
        balancer = backend.load_balancers.get(request.get("LoadBalancerArn"))
        _check_association(request, balancer, request.get("DefaultActions"))
    elif request.operation == "ModifyListener":
        balancer, _ = _listener(backend, request.get("ListenerArn"))
        _check_association(request, balancer, request.get("DefaultActions"))
    elif request.operation == "CreateRule":
        balancer, _ = _listener(backend, request.get("ListenerArn"))
        _check_association(request, balancer, request.get("Actions"))
    else:
        balancer, _ = _rule_listener(backend, request.get("RuleArn"))
        _check_association(request, balancer, request.get("Actions"))


@rule("lambda_target_permission", "elbv2", "RegisterTargets")
def _lambda_target_permission(request):
    # ELB user guide, "Lambda functions as targets": the function must grant
    # elasticloadbalancing.amazonaws.com lambda:InvokeFunction for the target group before it is
    # registered, else RegisterTargets fails with AccessDenied.
    import json

    from moto.awslambda.models import lambda_backends

    group = request.elbv2().target_groups.get(request.get("TargetGroupArn"))
    if group is None or group.target_type != "lambda":
        return
    backend = lambda_backends[request.account][request.region]
    for target in request.get("Targets", default=[]) or []:
        function = target.get("Id", "")
        try:
            # moto answers GetPolicy's whole body: the policy document is a string inside it.
            policy = json.loads(json.loads(backend.get_policy(function))["Policy"])
        except Exception:
            policy = {"Statement": []}
        allowed = any(
            s.get("Principal", {}).get("Service") == "elasticloadbalancing.amazonaws.com"
            and (s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") in (None, group.arn))
            for s in policy.get("Statement", [])
        )
        if not allowed:
            raise Refusal(
                "AccessDenied",
                f"elasticloadbalancing principal does not have permission to invoke {function} from target group {group.arn}",
                403,
            )


@rule("two_zones", "elbv2", "CreateLoadBalancer", "SetSubnets")
def _two_zones(request):
    # ALB user guide, "Availability Zones and subnets": an application load balancer needs subnets in
    # at least two Availability Zones (ValidationError, "At least two subnets in two different
    # Availability Zones must be specified").
    if request.operation == "CreateLoadBalancer":
        if (request.get("Type") or "application") != "application":
            return
    else:
        balancer = next((b for b in request.elbv2().load_balancers.values() if b.arn == request.get("LoadBalancerArn")), None)
        if balancer is None or getattr(balancer, "type", "application") != "application":
            return
    ids = list(request.get("Subnets") or []) + [m.get("SubnetId") for m in request.get("SubnetMappings") or [] if isinstance(m, dict)]
    zones = set()
    for subnet in ids:
        try:
            zones.add(request.ec2().get_subnet(subnet).availability_zone)
        except Exception:
            return
    if ids and len(zones) < 2:
        raise Refusal("ValidationError", "At least two subnets in two different Availability Zones must be specified")


@rule("too_many_rules", "elbv2", "CreateRule")
def _too_many_rules(request):
    # Application Load Balancer quotas: 100 rules per load balancer, default rules excluded
    # (TooManyRules).
    backend = request.elbv2()
    balancer, _ = _listener(backend, request.get("ListenerArn"))
    if balancer is None:
        return
    count = sum(1 for l in balancer.listeners.values() for r in l.rules.values() if not getattr(r, "is_default", False) and str(r.priority) != "default")
    if count >= RULES_PER_LOAD_BALANCER:
        raise Refusal("TooManyRules", "You've reached the limit on the number of rules per load balancer")


@rule("too_many_certificates", "elbv2", "AddListenerCertificates")
def _too_many_certificates(request):
    # Application Load Balancer quotas: 25 certificates per load balancer, default certificates
    # excluded (TooManyCertificates).
    backend = request.elbv2()
    balancer, listener = _listener(backend, request.get("ListenerArn"))
    if balancer is None:
        return
    extra = {c for l in balancer.listeners.values() for c in (l.certificates or [])[1:]}
    extra.update(c.get("CertificateArn") for c in request.get("Certificates", default=[]) or [])
    if len(extra) > CERTIFICATES_PER_LOAD_BALANCER:
        raise Refusal("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer")


def _health_check_conflict(protocol, timeout, interval):
    # Target group health checks (ALB user guide): the timeout must be smaller than the interval
    # for HTTP and HTTPS target groups; Network Load Balancer target groups (NLB user guide) take a
    # timeout up to the interval.
    if timeout is None or interval is None:
        return None
    timeout, interval = int(timeout), int(interval)
    if protocol in ("HTTP", "HTTPS") and timeout >= interval:
        return f"Health check timeout '{timeout}' must be smaller than the interval '{interval}'"
    if timeout > interval:
        return f"Health check timeout '{timeout}' must be smaller than or equal to the interval '{interval}'"
    return None


def _health_check_defaults(protocol, target_type, check_protocol):
    """AWS's default (interval, timeout) for a new target group (API reference, CreateTargetGroup;
    ALB and NLB user guides, health check settings)."""
    if target_type == "lambda":
        return 35, 30
    if protocol == "GENEVE":
        return 10, 5
    if protocol in ("HTTP", "HTTPS"):
        return 30, 5
    # Network load balancer target groups: 6 s for an HTTP check, 10 s for TCP and HTTPS.
    return 30, 6 if check_protocol == "HTTP" else 10


@rule("health_check_timeout", "elbv2", "CreateTargetGroup", "ModifyTargetGroup")
def _health_check_timeout(request):
    if request.operation == "CreateTargetGroup":
        protocol = request.get("Protocol")
        check = request.get("HealthCheckProtocol") or ("HTTP" if protocol in ("HTTP", "HTTPS") else "TCP")
        interval, timeout = _health_check_defaults(protocol, request.get("TargetType"), check)
        timeout = request.get("HealthCheckTimeoutSeconds", default=timeout)
        interval = request.get("HealthCheckIntervalSeconds", default=interval)
        problem = _health_check_conflict(protocol, timeout, interval)
        if problem:
            raise Refusal("ValidationError", problem)
        return
    tg = request.elbv2().target_groups.get(request.get("TargetGroupArn"))
    if tg is None:
        return
    timeout = request.get("HealthCheckTimeoutSeconds", default=tg.health_check_timeout_seconds)
    interval = request.get("HealthCheckIntervalSeconds", default=tg.health_check_interval_seconds)
    problem = _health_check_conflict(tg.protocol, timeout, interval)
    if problem:
        raise Refusal("ValidationError", problem)


@rule("health_check_protocol", "elbv2", "CreateTargetGroup", "ModifyTargetGroup")
def _health_check_protocol(request):
    # API reference, CreateTargetGroup, HealthCheckProtocol: "The TCP protocol is not supported for
    # health checks if the protocol of the target group is HTTP or HTTPS."
    protocol = request.get("Protocol")
    if request.operation == "ModifyTargetGroup":
        tg = request.elbv2().target_groups.get(request.get("TargetGroupArn"))
        protocol = tg.protocol if tg is not None else None
    if protocol in ("HTTP", "HTTPS") and request.get("HealthCheckProtocol") == "TCP":
        raise Refusal("InvalidConfigurationRequest", f"Health check protocol 'TCP' is not supported for target groups with the {protocol} protocol")


# ------------------------------------------------------------------ EC2


def _group_users(request, group_id):
    """Why a security group cannot be deleted now, or None."""
    for balancer in request.elbv2().load_balancers.values():
        if group_id in (balancer.security_groups or []):
            return f"load balancer {balancer.name}"
    if not passed(_released_groups.get(group_id), "network_interfaces_release"):
        return "the network interfaces of a deleted load balancer"
    ec2 = request.ec2()
    for reservation in ec2.reservations.values():
        for instance in reservation.instances:
            if instance.state != "terminated" and any(g.id == group_id for g in instance.security_groups):
                return f"instance {instance.id}"
    for groups in ec2.groups.values():
        for other in groups.values():
            if other.id == group_id:
                continue
            for permission in list(other.ingress_rules) + list(other.egress_rules):
                if (permission.source_group or {}).get("GroupId") == group_id:
                    return f"a rule of security group {other.id}"
    return None


@rule("security_group_in_use", "ec2", "DeleteSecurityGroup")
def _security_group_in_use(request):
    # EC2 API reference, DeleteSecurityGroup: "If you attempt to delete a security group that is
    # associated with an instance or network interface, is referenced by another security group in
    # the same VPC, ... the operation fails with DependencyViolation."
    group_id = request.get("GroupId")
    if not group_id:
        return
    user = _group_users(request, group_id)
    if user:
        raise Refusal("DependencyViolation", f"resource {group_id} has a dependent object ({user})")


# ------------------------------------------------------------------ ACM

_released_certificates = {}  # certificate ARN -> when a listener last stopped using it


def _certificates_of(listener):
    found = set(listener.certificates or [])
    if getattr(listener, "certificate", None):
        found.add(listener.certificate)
    return found


def _certificate_users(request):
    users = {}
    for balancer, listener in _listeners(request.elbv2()):
        for arn in _certificates_of(listener):
            users.setdefault(arn, balancer.arn)
    return users


@rule("certificate_in_use", "acm", "DeleteCertificate")
def _certificate_in_use(request):
    # ACM API reference, DeleteCertificate: "You cannot delete an ACM certificate that is being
    # used by another AWS service" (ResourceInUseException); InUseBy lags a listener that stopped
    # using it by a little.
    arn = request.get("CertificateArn")
    user = _certificate_users(request).get(arn)
    if user:
        raise Refusal("ResourceInUseException", f"Certificate {arn} in use by {user}")
    if not passed(_released_certificates.get(arn), "certificate_release"):
        raise Refusal("ResourceInUseException", f"Certificate {arn} in use by a listener that stopped using it moments ago")


class _CertificateWatch:
    """Certificates in use before a listener write, to see which ones it released."""

    before = {}


@rule("certificate_release", "elbv2", "ModifyListener", "DeleteListener", "RemoveListenerCertificates", "DeleteLoadBalancer")
def _certificates_before(request):
    _CertificateWatch.before[id(request)] = set(_certificate_users(request))


@after("elbv2", "ModifyListener", "DeleteListener", "RemoveListenerCertificates", "DeleteLoadBalancer")
def _certificates_after(request):
    before = _CertificateWatch.before.pop(id(request), set())
    now = time.time()
    for arn in before - set(_certificate_users(request)):
        _released_certificates[arn] = now


# ------------------------------------------------------------------ WAF

_web_acl_made = {}  # web ACL ARN -> when it was created


@after("wafv2", "CreateWebACL")
def _web_acl_created(request):
    for acl in request.wafv2().wacls.values():
        if acl.name == request.get("Name") and acl.arn not in _web_acl_made:
            _web_acl_made[acl.arn] = time.time()


@rule("waf_association", "wafv2", "AssociateWebACL")
def _waf_association(request):
    # WAFv2 API reference, AssociateWebACL: WAFUnavailableEntityException, "AWS WAF couldn't
    # retrieve a resource that you specified for this operation. If you've just created a resource
    # that you're using in this operation, you might just need to wait a few minutes." A load
    # balancer is associable once active; a web ACL once propagated; an unknown resource is
    # WAFNonexistentItemException.
    acl_arn, resource = request.get("WebACLArn"), request.get("ResourceArn")
    if ":loadbalancer/" in (resource or ""):
        balancer = request.elbv2().load_balancers.get(resource)
        if balancer is None:
            raise Refusal("WAFNonexistentItemException", "AWS WAF couldn’t perform the operation because your resource doesn’t exist.")
        balancer.activate()
        if balancer.state != "active":
            raise Refusal("WAFUnavailableEntityException", "AWS WAF couldn’t retrieve the resource that you requested. Retry your request.")
        if balancer.type != "application":
            raise Refusal("WAFInvalidParameterException", "Error reason: The resource type is not supported., field: RESOURCE_ARN")
    if not passed(_web_acl_made.get(acl_arn), "web_acl_propagation"):
        raise Refusal("WAFNonexistentItemException", "AWS WAF couldn’t perform the operation because your resource doesn’t exist.")


@rule("web_acl_in_use", "wafv2", "DeleteWebACL")
def _web_acl_in_use(request):
    # WAFv2 API reference, DeleteWebACL: "Before deleting any web ACL, first disassociate it from
    # all resources" (WAFAssociatedItemException).
    for acl in request.wafv2().wacls.values():
        if acl.name == request.get("Name") and getattr(acl, "id", None) == request.get("Id") and acl.associated_resources:
            raise Refusal(
                "WAFAssociatedItemException",
                "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.",
            )


def _mentions(value, arn):
    if isinstance(value, dict):
        return any(_mentions(v, arn) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, arn) for v in value)
    return value == arn


@rule("ip_set_in_use", "wafv2", "DeleteIPSet")
def _ip_set_in_use(request):
    # WAFv2 API reference, DeleteIPSet: WAFAssociatedItemException while a rule refers to it.
    backend = request.wafv2()
    target = next((s for s in backend.ip_sets.values() if s.name == request.get("Name") and s.ip_set_id == request.get("Id")), None)
    if target is None:
        return
    for acl in backend.wacls.values():
        if any(_mentions(r.to_dict() if hasattr(r, "to_dict") else r, target.arn) for r in getattr(acl, "rules", None) or []):
            raise Refusal(
                "WAFAssociatedItemException",
                "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.",
            )


# ------------------------------------------------------------------ EC2 Auto Scaling

POLICIES_PER_GROUP = 50
SCHEDULED_ACTIONS_PER_GROUP = 125
LIFECYCLE_HOOKS_PER_GROUP = 50


@rule("group_in_use", "autoscaling", "DeleteAutoScalingGroup")
def _group_in_use(request):
    # API reference, DeleteAutoScalingGroup: "If the group has instances or scaling activities in
    # progress, you must specify the option to force the deletion in order for it to succeed"
    # (ResourceInUse).
    if str(request.get("ForceDelete", default=False)).lower() == "true":
        return
    group = request.autoscaling().autoscaling_groups.get(request.get("AutoScalingGroupName"))
    if group is not None and group.instance_states:
        raise Refusal("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.")


def _requests_spot(group):
    template = getattr(group, "ec2_launch_template", None)
    if template is None:
        return False
    try:
        data = template.get_version(group.launch_template_version).data or {}
    except Exception:
        return False
    return (data.get("InstanceMarketOptions") or {}).get("MarketType") == "spot"


@rule("warm_pool_on_demand", "autoscaling", "PutWarmPool", "UpdateAutoScalingGroup")
def _warm_pool_on_demand(request):
    # API reference, PutWarmPool: "This operation cannot be called on an Auto Scaling group that
    # has a mixed instances policy or a launch template or launch configuration that requests Spot
    # Instances" (ValidationError); nor does a group with a warm pool take a mixed instances policy.
    group = request.autoscaling().autoscaling_groups.get(request.get("AutoScalingGroupName"))
    if group is None:
        return
    if request.operation == "PutWarmPool":
        refused = group.mixed_instances_policy or _requests_spot(group)
    else:
        refused = request.get("MixedInstancesPolicy") and getattr(group, "warm_pool", None) is not None
    if refused:
        raise Refusal("ValidationError", "You can't add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template or launch configuration that requests Spot Instances.")


@rule("schedule_in_the_past", "autoscaling", "PutScheduledUpdateGroupAction")
def _schedule_in_the_past(request):
    # API reference, PutScheduledUpdateGroupAction: "If you try to schedule your action in the past,
    # Amazon EC2 Auto Scaling returns an error message" (ValidationError).
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    for field, word in (("StartTime", "start"), ("EndTime", "end")):
        value = request.get(field)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            if value < now:
                raise Refusal("ValidationError", f"Given {word} time is in the past")


@rule("scaling_quotas", "autoscaling", "PutScalingPolicy", "PutScheduledUpdateGroupAction", "PutLifecycleHook")
def _scaling_quotas(request):
    # EC2 Auto Scaling quotas: 50 scaling policies, 125 scheduled actions and 50 lifecycle hooks
    # per group (LimitExceeded).
    backend = request.autoscaling()
    group = request.get("AutoScalingGroupName")
    if request.operation == "PutScalingPolicy":
        have = [p for p in backend.policies.values() if p.auto_scaling_group_name == group]
        name, limit, what = request.get("PolicyName"), POLICIES_PER_GROUP, "scaling policies"
        names_ = {p.name for p in have}
    elif request.operation == "PutScheduledUpdateGroupAction":
        have = [a for a in backend.scheduled_actions.values() if a.auto_scaling_group_name == group]
        name, limit, what = request.get("ScheduledActionName"), SCHEDULED_ACTIONS_PER_GROUP, "scheduled actions"
        names_ = {a.scheduled_action_name for a in have}
    else:
        have = [h for h in backend.lifecycle_hooks.values() if h.auto_scaling_group_name == group]
        name, limit, what = request.get("LifecycleHookName"), LIFECYCLE_HOOKS_PER_GROUP, "lifecycle hooks"
        names_ = {h.name for h in have}
    if name not in names_ and len(have) >= limit:
        raise Refusal("LimitExceeded", f"You have reached the limit of {limit} {what} for Auto Scaling group {group}")


# Page sizes the API reference states and the model does not carry (ValidationError).
_MAX_RECORDS = {"DescribeAutoScalingGroups": 100, "DescribePolicies": 50, "DescribeScheduledActions": 100, "DescribeLifecycleHooks": None, "DescribeWarmPool": 100}


@rule("page_size", "autoscaling", *[op for op, limit in _MAX_RECORDS.items() if limit])
def _page_size(request):
    # API reference, DescribeAutoScalingGroups/DescribeScheduledActions: "The maximum value is
    # 100"; DescribePolicies: "The maximum value is 50".
    limit, given = _MAX_RECORDS[request.operation], request.get("MaxRecords")
    if isinstance(given, int) and given > limit:
        raise Refusal("ValidationError", f"1 validation error detected: Value '{given}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to {limit}")


# ------------------------------------------------------------------ the clock, in moto's models


def install_clock():
    """Patch moto's models so that time passes as on AWS (scaled)."""
    from moto.acm.models import CertBundle
    from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
    from moto.elbv2.models import FakeLoadBalancer

    # Load balancers: `provisioning` until the provisioning time has passed (moto turned them
    # `active` on the first describe).
    born_lb = FakeLoadBalancer.__init__

    def lb_init(self, *args, **kwargs):
        born_lb(self, *args, **kwargs)
        self._born = time.time()

    def activate(self):
        if self.state == "provisioning" and ("clock" in LENIENT or passed(getattr(self, "_born", None), "load_balancer_provisioning")):
            self.state = "active"

    FakeLoadBalancer.__init__ = lb_init
    FakeLoadBalancer.activate = activate

    # Instances of a group: `Pending` while they boot (moto had them `InService` at once).
    born_instance = InstanceState.__init__

    def instance_init(self, *args, **kwargs):
        born_instance(self, *args, **kwargs)
        self._born = time.time()

    def get_state(self):
        state = self.__dict__.get("_lifecycle_state", "InService")
        if state == "InService" and "clock" not in LENIENT and not passed(self.__dict__.get("_born"), "instance_boot"):
            return "Pending"
        return state

    def set_state(self, value):
        self.__dict__["_lifecycle_state"] = value

    InstanceState.__init__ = instance_init
    InstanceState.lifecycle_state = property(get_state, set_state)
    # A booting instance counts toward the group's capacity, as on AWS: moto's own sizing reads
    # the state as set, not as described.
    FakeAutoScalingGroup.active_instances = lambda self: [x for x in self.instance_states if x.__dict__.get("_lifecycle_state", "InService") == "InService"]

    # ACM DNS validation: issued once the validation record exists in a hosted zone of the account
    # and the validation time has passed since (moto issued every certificate after a fixed wait,
    # record or not).
    def check(self):
        from moto.core.utils import utcnow

        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
            return
        if self.type != "AMAZON_ISSUED" or self.status != "PENDING_VALIDATION":
            return
        if "clock" in LENIENT:
            self.status = "ISSUED"
            return
        seen = getattr(self, "_record_seen", None)
        if seen is None:
            if _validation_records_exist(self):
                self._record_seen = time.time()
            return
        if passed(seen, "certificate_validation"):
            self.status = "ISSUED"

    CertBundle.check = check


def _validation_records_exist(bundle):
    from moto.route53.models import route53_backends

    names = set()
    for san in set(bundle.sans + ([bundle.common_name] if bundle.common_name else [])):
        base = san[2:] if san.startswith("*.") else san
        names.add(f"_d930b28be6c5927595552b219965053e.{base}".rstrip(".").lower())
    found = set()
    for backend in route53_backends[bundle.arn.split(":")[4]].values():
        for zone in backend.zones.values():
            for record in zone.rrsets:
                if record.type == "CNAME":
                    found.add(record.name.rstrip(".").lower())
    return names <= found
