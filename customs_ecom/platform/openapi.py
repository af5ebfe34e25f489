"""The published OpenAPI document, exact at every edge (docs/api.md).

drf-spectacular describes each operation from its view; this post-processing hook adds what is
the same for every operation, so that no view can forget it:

- every error status an operation can answer, as ``application/problem+json`` with the one
  problem schema (RFC 9457 with ``code`` and JSON-Pointer ``errors``);
- the headers of every answer (``X-Request-ID``, ``RateLimit-*``), ``Location`` on 201,
  ``Retry-After`` on 409/429/503, ``Idempotent-Replayed`` on replays;
- the request headers (``X-Request-ID``, ``Idempotency-Key`` on POST).

Request bodies given as pydantic models are published as the API reads them (validation mode:
an amount is a JSON string or number); answers as it writes them (strings).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.pydantic import PydanticExtension
from drf_spectacular.plumbing import ResolvedComponent
from pydantic.json_schema import model_json_schema

from customs_ecom.platform import bounds

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Texts hold no control character other than tab and line breaks (customs_ecom.platform.bounds).
NO_CONTROL_CHARACTERS = bounds.NO_CONTROL_PATTERN
# ISO 8601 date-times the API accepts: a year 1900-2999 and an offset within +/-14:00 (that the
# year in UTC is in range too, a pattern cannot say: datetime_out_of_range).
BOUNDED_DATETIME = (
    r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "RFC 9457 problem details with a stable `code` (docs/api.md, Errors). `title` and "
        "`detail`, and each element's `detail` under `errors`, are for people and follow "
        "Accept-Language (English by default, French with `Accept-Language: fr`); `type`, "
        "`status`, `code` and `pointer` are the same in every language: branch on those."
    ),
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "A page explaining the problem type (`/problems/<type>`).",
        },
        "title": {
            "type": "string",
            "description": "Short summary of the problem type, in the language of Accept-Language.",
        },
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "detail": {
            "type": "string",
            "description": "This occurrence explained, in the language of Accept-Language.",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "code", "detail"],
                "properties": {
                    "pointer": {
                        "type": "string",
                        "description": "RFC 6901 JSON Pointer into the request ('' = whole).",
                    },
                    "code": {"type": "string"},
                    "detail": {
                        "type": "string",
                        "description": "The element's problem, in the language of Accept-Language.",
                    },
                },
            },
        },
    },
    "additionalProperties": True,
    "example": {
        "type": "/problems/declaration-invalid",
        "title": "Declaration failed validation",
        "status": 422,
        "code": "declaration_invalid",
        "errors": [
            {
                "pointer": "/items/1/hs_code",
                "code": "hs_code_unknown",
                "detail": "999999 is not an HS 2022 subheading",
            }
        ],
    },
}

STATUS_TEXT = {
    400: "Malformed JSON, an object naming a member twice (`duplicate_member` at that member) "
    "or an invalid query parameter (`malformed_json`, `query_invalid`).",
    401: "No valid API key (`unauthenticated`).",
    403: "The key's operator may not use this operation (`forbidden`).",
    404: "No such resource for this operator (`not_found`); another operator's is the same.",
    405: "Method not allowed on this path (`method_not_allowed`).",
    406: "Only JSON answers are produced (`not_acceptable`).",
    411: "A chunked body without Content-Length (`length_required`).",
    409: "Conflict with the stored state (`lrn_conflict`, `transport_document_declared`, "
    "`*_not_allowed`, "
    "`idempotency_in_progress` with `Retry-After`).",
    413: "Body over the limit (`body_too_large`).",
    415: "Body not JSON by its Content-Type, or a document not PDF/PNG/JPEG "
    "(`unsupported_media_type`, `document_type_unsupported`).",
    422: "The body parsed but failed the contract; `errors` names each element.",
    429: "Throttled (`rate_limited`); retry after `Retry-After` seconds.",
    503: "Temporarily unavailable (`service_unavailable`); retry after `Retry-After` seconds.",
}

_READ_STATUSES = (400, 401, 403, 404, 405, 406, 429, 503)
_WRITE_STATUSES = (400, 401, 403, 404, 405, 406, 409, 411, 413, 415, 422, 429, 503)
_PUBLIC_STATUSES = (400, 405, 406, 411, 413, 415, 422, 429, 503)

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the client's `X-Request-ID` if it sent a valid one "
        "(1-128 letters, digits and `-_.:`), else a new UUID; logged with the request.",
        "schema": {"type": "string"},
    },
    "RateLimit-Limit": {
        "description": "Requests allowed in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Location": {
        "description": "The URL of the resource created.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this answer replays the first answer to the same "
        "`Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

REQUEST_ID_PARAMETER = {
    "in": "header",
    "name": "X-Request-ID",
    "required": False,
    "description": "Your id for this request, echoed in the answer when it is 1-128 letters, "
    "digits and `-_.:`; otherwise (or when absent) a new one is generated.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "A retry with the same key and body replays the first answer "
    "(`Idempotent-Replayed: true`); the same key with another body is 422. Kept 24 hours; "
    "at most 255 characters.",
    "schema": {"type": "string", "maxLength": 255},
}


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _problem_response(status: int) -> dict[str, Any]:
    headers = ["X-Request-ID"]
    if status in (409, 429, 503):
        headers.append("Retry-After")
    if status == 429:
        headers += ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
    return {
        "description": STATUS_TEXT[status],
        "headers": _header_refs(*headers),
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }


def _statuses(path: str, method: str, operation: dict[str, Any]) -> tuple[int, ...]:
    if not operation.get("security", True) or operation.get("security") == [{}]:
        return _PUBLIC_STATUSES
    return _READ_STATUSES if method == "get" else _WRITE_STATUSES


def _with_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    for existing in parameters:
        if existing.get("in") == parameter["in"] and existing.get("name") == parameter["name"]:
            existing.update({k: v for k, v in parameter.items() if k != "required"})
            return
    parameters.append(dict(parameter))


def postprocess_problems(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("headers", {}).update(HEADERS)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _with_parameter(operation, REQUEST_ID_PARAMETER)
            if method == "post":
                _with_parameter(operation, IDEMPOTENCY_PARAMETER)
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses[str(status)] = _problem_response(status)
            for status, response in responses.items():
                if not status.startswith("2"):
                    continue
                names = [
                    "X-Request-ID",
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                    "RateLimit-Reset",
                ]
                if status == "201":
                    names.append("Location")
                if method == "post":
                    names.append("Idempotent-Replayed")
                response.setdefault("headers", {}).update(_header_refs(*names))
    return result


class ValidatedRequestPydanticExtension(PydanticExtension):
    """Request bodies described by pydantic models are published in pydantic's *validation* mode,
    as the API reads them: an amount (``Decimal``) is a JSON string or a JSON number there
    (docs/dataset.md), where drf-spectacular's own extension uses the serialization mode for
    both directions and would publish a string only. Answers keep the serialization mode.
    Registered by being defined (the platform app imports this module when it is ready)."""

    priority = 1  # before drf-spectacular's own (priority 0)

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction != "request":
            return super().map_serializer(auto_schema, direction)
        schema = model_json_schema(
            self.target, ref_template="#/components/schemas/{model}", mode="validation"
        )
        for sub_name, sub_schema in schema.pop("$defs", {}).items():
            auto_schema.registry.register_on_missing(
                ResolvedComponent(
                    name=sub_name, type=ResolvedComponent.SCHEMA, object=sub_name, schema=sub_schema
                )
            )
        return schema
