"""Every request checked against the API model AWS publishes for its service.

botocore ships each service's model (`botocore/data/<service>/<version>/service-2.json`): the
input shape of every operation with its required members, length and value bounds, enums and
patterns. AWS refuses a request that breaks one of them before it looks at anything else, with
the service's validation code and a message naming each member that failed:

    1 validation error detected: Value 'x' at 'healthCheckTimeoutSeconds' failed to satisfy
    constraint: Member must have value greater than or equal to 2

moto checks few of these, so a request AWS would refuse for its shape passed every test. Here
the request is read back into the model's shape (query and EC2 forms, JSON bodies, Route 53's
XML, CloudWatch's CBOR) and checked member by member, as AWS's request validation does.
botocore's own ParamValidator checks only types, required members and minimums.

Patterns match the whole value, as AWS's request validation matches them (ACM's unanchored tag pattern
refuses a comma as the ELBv2 one does), and
are compiled with `regex`, which knows the `\\p{L}` classes the models use. A pattern that does not
compile even so is skipped, never guessed.
"""

import json
import re
import urllib.parse
from xml.etree import ElementTree

import botocore.session
import regex

# The SigV4 signing name of each service the emulator answers, and its botocore model name.
SERVICES = {
    "elasticloadbalancing": "elbv2",
    "ec2": "ec2",
    "autoscaling": "autoscaling",
    "monitoring": "cloudwatch",
    "acm": "acm",
    "wafv2": "wafv2",
    "route53": "route53",
    "sns": "sns",
    "shield": "shield",
    "ssm": "ssm",
    "sts": "sts",
}

# The code each service answers for a request that breaks its model (the services' API
# references, "Common errors"): query services ValidationError, EC2 InvalidParameterValue, JSON
# services ValidationException, Route 53 InvalidInput.
CODES = {
    "elbv2": "ValidationError",
    "autoscaling": "ValidationError",
    "cloudwatch": "ValidationError",
    "sns": "InvalidParameter",
    "sts": "ValidationError",
    "ec2": "InvalidParameterValue",
    "acm": "ValidationException",
    "wafv2": "ValidationException",
    "shield": "ValidationException",
    "ssm": "ValidationException",
    "route53": "InvalidInput",
}

_session = botocore.session.get_session()
_models = {}
_patterns = {}


def model(service):
    if service not in _models:
        _models[service] = _session.get_service_model(service)
    return _models[service]


def _compiled(pattern):
    if pattern not in _patterns:
        # Java writes a supplementary-plane range as surrogate pairs; `regex` takes code points.
        text = pattern.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\U00010000-\\U0010FFFF")
        try:
            _patterns[pattern] = regex.compile(text)
        except regex.error:
            _patterns[pattern] = None
    return _patterns[pattern]


def service_of(environ):
    """The botocore name of the service a signed request is for, or None."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request", auth)
    return SERVICES.get(m.group(1)) if m else None


# ------------------------------------------------------------------ reading a request back


def _query_name(name, shape, ec2):
    if ec2:
        query = shape.serialization.get("queryName")
        if query:
            return query
        location = shape.serialization.get("name")
        return (location[0].upper() + location[1:]) if location else name
    return shape.serialization.get("name", name)


def _has(form, key):
    if key in form:
        return True
    dotted = key + "."
    return any(k.startswith(dotted) for k in form)


def _indices(form, base):
    found = set()
    dotted = base + "."
    for k in form:
        if k.startswith(dotted):
            head = k[len(dotted):].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _scalar(text, shape):
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return text.lower() == "true" if text.lower() in ("true", "false") else text
    return text


def from_query(form, shape, prefix, ec2):
    """The value a query (or EC2) form holds for `shape` under `prefix`."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = _query_name(name, member, ec2)
            full = f"{prefix}.{key}" if prefix else key
            if _has(form, full):
                out[name] = from_query(form, member, full, ec2)
        return out
    if kind == "list":
        if form.get(prefix) == "":
            return []
        if ec2 or shape.serialization.get("flattened"):
            base = prefix
        else:
            base = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        return [from_query(form, shape.member, f"{base}.{i}", ec2) for i in _indices(form, base)]
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out = {}
        for i in _indices(form, base):
            k = form.get(f"{base}.{i}.{key_name}", "")
            out[k] = from_query(form, shape.value, f"{base}.{i}.{value_name}", ec2)
        return out
    return _scalar(form.get(prefix, ""), shape)


def _from_xml(node, shape):
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue
            tag = member.serialization.get("name", name)
            child = _child(node, tag)
            if child is not None:
                out[name] = _from_xml(child, member)
        return out
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return [_from_xml(c, shape.member) for c in node if _local(c.tag) == tag]
    return _scalar((node.text or "").strip(), shape)


def _local(tag):
    return tag.split("}", 1)[-1]


def _child(node, tag):
    for c in node:
        if _local(c.tag) == tag:
            return c
    return None


_rest_routes = {}


def _rest_operation(service, method, path):
    """(operation, uri parameters) of a REST request."""
    if service not in _rest_routes:
        routes = []
        for name in model(service).operation_names:
            op = model(service).operation_model(name)
            uri = op.http.get("requestUri", "/").split("?", 1)[0]
            pattern = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", uri)
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
            routes.append((op.http.get("method"), re.compile("^" + pattern.rstrip("/") + "/?$"), op))
        _rest_routes[service] = routes
    for verb, pattern, op in _rest_routes[service]:
        m = pattern.match(path)
        if verb == method and m:
            return op, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
    return None, {}


def request_params(service, environ, body):
    """(operation model, parameters as the model shapes them) of a request, or (None, None)."""
    protocol = model(service).protocol
    content_type = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in content_type:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        action = form.get("Action")
        if not action or action not in model(service).operation_names:
            return None, None
        op = model(service).operation_model(action)
        if op.input_shape is None:
            return op, {}
        return op, from_query(form, op.input_shape, "", protocol == "ec2")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        name = target.split(".", 1)[-1]
        if name not in model(service).operation_names:
            return None, None
        op = model(service).operation_model(name)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return None, None
        return op, params if isinstance(params, dict) else {}
    if protocol == "rest-xml":
        op, params = _rest_operation(service, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""))
        if op is None or op.input_shape is None:
            return op, {}
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        shape = op.input_shape
        out = {}
        if body.strip():
            try:
                out = _from_xml(ElementTree.fromstring(body), shape)
            except ElementTree.ParseError:
                return None, None
        for name, member in shape.members.items():
            where, key = member.serialization.get("location"), member.serialization.get("name", name)
            if where == "uri" and key in params:
                out[name] = _scalar(params[key], member)
            elif where == "querystring" and key in query:
                out[name] = _scalar(query[key][0], member)
            elif where == "header":
                value = environ.get("HTTP_" + key.upper().replace("-", "_"))
                if value is not None:
                    out[name] = _scalar(value, member)
        return op, out
    return None, None


# ------------------------------------------------------------------ checking it


def _camel(name):
    return name[0].lower() + name[1:] if name else name


def _shown(value):
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 200 else text[:200] + "..."


def problems(shape, value, path="", out=None):
    """Every constraint of the model the value breaks: (path, value, constraint) triples."""
    out = [] if out is None else out
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return out
        if shape.metadata.get("union") or shape.metadata.get("document"):
            return out
        for name in shape.required_members:
            if value.get(name) is None:
                out.append((_join(path, _camel(name)), None, "Member must not be null"))
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                problems(member, value[name], _join(path, _camel(name)), out)
        return out
    if kind == "list":
        if not isinstance(value, list):
            return out
        _bounds(out, path, value, len(value), meta, "length")
        for i, item in enumerate(value, 1):
            problems(shape.member, item, f"{path}.{i}.member", out)
        return out
    if kind == "map":
        if not isinstance(value, dict):
            return out
        _bounds(out, path, value, len(value), meta, "length")
        for k, v in value.items():
            problems(shape.key, k, f"{path}.{k}.key", out)
            problems(shape.value, v, f"{path}.{k}.value", out)
        return out
    if kind == "string":
        if not isinstance(value, str):
            return out
        _bounds(out, path, value, len(value), meta, "length")
        if shape.enum and value not in shape.enum:
            out.append((path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
        pattern = meta.get("pattern")
        if pattern:
            compiled = _compiled(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                out.append((path, value, f"Member must satisfy regular expression pattern: {pattern}"))
        return out
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, str) or isinstance(value, bool):
            if isinstance(value, str):
                out.append((path, value, f"Member must be a number"))
            return out
        _bounds(out, path, value, value, meta, "value")
        return out
    if kind == "blob" and isinstance(value, (str, bytes)):
        _bounds(out, path, value, len(value), meta, "length")
    return out


def _join(path, name):
    return f"{path}.{name}" if path else name


def _bounds(out, path, value, measure, meta, what):
    low, high = meta.get("min"), meta.get("max")
    if low is not None and measure < low:
        out.append((path, value, f"Member must have {what} greater than or equal to {low:g}" if isinstance(low, float) else f"Member must have {what} greater than or equal to {low}"))
    if high is not None and measure > high:
        out.append((path, value, f"Member must have {what} less than or equal to {high:g}" if isinstance(high, float) else f"Member must have {what} less than or equal to {high}"))


def message(found):
    """AWS's message for a request's validation problems."""
    parts = []
    for path, value, constraint in found:
        shown = "null" if value is None else f"'{_shown(value)}'"
        parts.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")
    count = len(found)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(parts)


def check(environ, body):
    """None when the request fits its model; else (service, code, message)."""
    service = service_of(environ)
    if service is None:
        return None
    op, params = request_params(service, environ, body)
    if op is None or op.input_shape is None:
        return None
    found = problems(op.input_shape, params)
    if not found:
        return None
    return service, CODES.get(service, "ValidationError"), message(found[:10])


def error_answer(service, code, text, status=400, json_body=False):
    """(status line, headers, body) of an AWS error in the protocol the request came in."""
    import uuid
    from xml.sax.saxutils import escape

    request_id = str(uuid.uuid4())
    protocol = model(service).protocol if service else "query"
    reason = {400: "Bad Request", 409: "Conflict", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    status_line = f"{status} {reason}"
    if json_body:
        body = json.dumps({"__type": code, "message": text}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    elif protocol == "ec2":
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(text)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>".encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:
        kind = "Sender" if status < 500 else "Receiver"
        body = f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{escape(text)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>".encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body
