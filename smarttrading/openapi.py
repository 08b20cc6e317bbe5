"""Every status an operation can answer, in the OpenAPI schema (a drf-spectacular hook).

The views document their successes; the errors come from shared machinery (authentication,
permissions, the parsers, field validation, a missing object, the body size guard, a busy
database), so they are added here, by the rule each piece follows. An error body is an object
with a ``detail`` text or a list of reasons per field. A documented 400 body of the operation's
own (a bulk refusal) stays, as one alternative beside the error body.
"""

from __future__ import annotations

ERROR_SCHEMA = "Error"
ERROR_COMPONENT = {
    "type": "object",
    "description": "What went wrong: `detail`, or the reasons by field name (`non_field_errors` for the whole)",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
WRITES = {"post", "put", "patch", "delete"}
# Operations that refuse, with the reason, an action the object's state does not allow.
CONFLICTS = ("/pause/", "/resume/", "/cancel/", "/rotate/", "/kill-switch/")
REASONS = {
    "400": "Bad input: the reasons by field, or a body that is not JSON",
    "401": "No credentials, or an unknown or revoked token",
    "403": "The caller's role may not do this",
    "404": "No such object, or not one the caller may see",
    "409": "The object's state does not allow it now; the reason is given",
    "413": "The request body is larger than the product takes; nothing was read",
    "415": "The body's content type is not one the operation takes",
    "503": "The database could not serve the request now; nothing was saved; retry (Retry-After)",
}


def _error(code: str) -> dict:
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    return {"description": REASONS[code], "content": {"application/json": {"schema": ref}}}


def _codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["401", "403"]
    if method in WRITES or operation.get("parameters"):
        codes.append("400")
    if "{" in path:
        codes.append("404")
    if method in WRITES:
        codes += ["413", "415", "503"]
        if any(marker in path for marker in CONFLICTS):
            codes.append("409")
    return codes


def add_error_responses(result, generator, request, public):
    """``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``: the error statuses of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = ERROR_COMPONENT
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _codes(path, method, operation):
                own = responses.get(code)
                if own is None:
                    responses[code] = _error(code)
                    continue
                schema = own.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None and schema.get("$ref") != f"#/components/schemas/{ERROR_SCHEMA}":
                    own["content"]["application/json"]["schema"] = {
                        "anyOf": [schema, _error(code)["content"]["application/json"]["schema"]]
                    }
    return result
