"""Reading the generated OpenAPI document the way a client would: find an operation's response
for a status, and validate a real reply's body and headers against it with jsonschema.

The document's ``$ref``s point into the document itself, so every schema is validated with the
whole document as its root resource: the root carries the response schema's keywords next to
the document's own (``openapi``, ``paths``, ... are no JSON Schema keywords and are ignored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from mock_media.core.facts import ERROR_STATUS, ErrorCode

ErrorBody = dict[str, Any]


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/a/b``) to what it names, as many times as needed."""
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operation(document: Mapping[str, Any], method: str, template: str) -> dict[str, Any]:
    """The operation object at ``paths[template][method]``."""
    found: dict[str, Any] = document["paths"][template][method.lower()]
    return found


def response(document: Mapping[str, Any], method: str, template: str, status: int) -> dict[str, Any]:
    """The response object an operation documents for ``status`` (KeyError: undocumented)."""
    responses = operation(document, method, template)["responses"]
    found: dict[str, Any] = resolve(document, responses[str(status)])
    return found


def validator(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Draft202012Validator:
    """A 2020-12 validator (OpenAPI 3.1's dialect) for ``schema``, refs resolved in ``document``."""
    root = {**document, **schema}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Mapping[str, Any], schema: Mapping[str, Any], instance: Any) -> list[str]:
    """Every violation, as ``path: message`` lines (empty: the instance conforms)."""
    errors = validator(document, schema).iter_errors(instance)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors)


def conformance_errors(
    document: Mapping[str, Any],
    method: str,
    template: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> list[str]:
    """What in a reply the document does not allow: an undocumented status, a missing required
    header or one whose value breaks its schema, an undocumented content type, a body off-schema.

    ``headers`` are matched case-insensitively.
    """
    try:
        documented = response(document, method, template, status)
    except KeyError:
        return [f"{method} {template} does not document status {status}"]
    problems: list[str] = []
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, spec in documented.get("headers", {}).items():
        value = lowered.get(name.lower())
        if value is None:
            if spec.get("required"):
                problems.append(f"header {name} is required")
            continue
        typed: Any = int(value) if spec["schema"].get("type") == "integer" and value.isdigit() else value
        problems += [f"header {name}: {e}" for e in schema_errors(document, spec["schema"], typed)]
    content = documented.get("content", {})
    if not body:
        return problems
    media = lowered.get("content-type", "").split(";")[0].strip()
    if media not in content:
        return [*problems, f"content type {media!r} is not among {sorted(content)}"]
    if media == "application/json":
        problems += schema_errors(document, content[media]["schema"], json.loads(body))
    return problems


def decision_3_errors(status: int, body: ErrorBody) -> list[str]:
    """Decision 3 beyond what a schema can say: the code fits the status, detail repeats message."""
    problems = []
    if list(body) != ["error", "detail"]:
        problems.append(f"keys {list(body)} are not ['error', 'detail']")
    error = body.get("error", {})
    code = error.get("code")
    if code not in {str(c) for c in ErrorCode}:
        problems.append(f"code {code!r} is not a documented code")
    elif ERROR_STATUS[ErrorCode(code)] != status:
        problems.append(f"code {code} is not a {status}")
    if error.get("status") != status:
        problems.append(f"error.status {error.get('status')!r} is not the HTTP status {status}")
    if body.get("detail") != error.get("message"):
        problems.append("detail is not error.message")
    if (code == ErrorCode.INVALID_PARAMETER) != ("param" in error):
        problems.append("param is given exactly for invalid_parameter")
    return problems
