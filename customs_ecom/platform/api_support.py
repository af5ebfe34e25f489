"""Shared API plumbing: strict JSON body reading (400/413 as problems) and Idempotency-Key replay."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from .bounds import MAY_HOLD_NEGATIVE_ZERO, json_decimal, json_int
from .faults import retry_on_conflict
from .problems import PROBLEM_CONTENT_TYPE, ProblemError

IDEMPOTENCY_TTL = timedelta(hours=24)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number in JSON")


def read_json_body(request: Request, *, max_bytes: int) -> Any:
    """Parse the raw body ourselves: decimals stay exact (no float), NaN/Infinity are refused, an
    oversized body is a 413 before it is read into memory, malformed JSON is a 400, and so is an
    object naming a member twice or a string holding half of a surrogate pair, at its pointer."""
    body, defects = read_json_body_and_defects(request, max_bytes=max_bytes)
    if defects:
        raise body_defects_problem(defects)
    return body


def read_json_body_and_defects(
    request: Request, *, max_bytes: int
) -> tuple[Any, list[dict[str, str]]]:
    """The body as :func:`read_json_body` reads it, with the rows of its defects (duplicated
    members, lone surrogates) instead of a 400 for them: a batch answers the defects of one of
    its declarations as that declaration's own result (declarations.api)."""
    if (
        not request.META.get("CONTENT_LENGTH")
        and "chunked" in (request.META.get("HTTP_TRANSFER_ENCODING") or "").lower()
    ):
        # A chunked body reaches Django without a length and would read as empty: say so.
        raise ProblemError(
            411,
            "length-required",
            "Length required",
            detail=gettext("Send the body with a Content-Length header, not chunked."),
            errors=[
                {"pointer": "", "code": "length_required", "detail": gettext("no Content-Length")}
            ],
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        declared_length = int(declared)
    except ValueError:
        declared_length = 0
    if declared_length > max_bytes:
        raise ProblemError(
            413,
            "body-too-large",
            "Body too large",
            detail=gettext("The body has %(size)d bytes; the limit is %(limit)d.")
            % {"size": declared_length, "limit": max_bytes},
            errors=[
                {
                    "pointer": "",
                    "code": "body_too_large",
                    "detail": gettext("limit is %(limit)d bytes") % {"limit": max_bytes},
                }
            ],
        )
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if (
        content_type
        and content_type not in ("application/json", "application/problem+json")
        and not content_type.endswith("+json")
    ):
        raise ProblemError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            detail=gettext("Send application/json, not %(type)s.") % {"type": content_type},
        )
    coding = (request.META.get("HTTP_CONTENT_ENCODING") or "").strip().lower()
    if coding and coding != "identity":
        # A compressed body (gzip, br, ...) is not read as JSON whose bytes happen to be
        # undecodable: the coding is not accepted, said as RFC 7694 says (415, Accept-Encoding).
        raise ProblemError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            detail=gettext(
                "Send the body uncompressed: Content-Encoding %(coding)s is not accepted."
            )
            % {"coding": coding[:40]},
            headers={"Accept-Encoding": "identity"},
        )
    raw = request._request.read(max_bytes + 1)  # the WSGI stream; DRF has not touched it
    if len(raw) > max_bytes:
        raise ProblemError(
            413,
            "body-too-large",
            "Body too large",
            detail=gettext("The body exceeds the limit of %(limit)d bytes.") % {"limit": max_bytes},
            errors=[
                {
                    "pointer": "",
                    "code": "body_too_large",
                    "detail": gettext("limit is %(limit)d bytes") % {"limit": max_bytes},
                }
            ],
        )
    return parse_json_text(raw)


def parse_json_text(raw: bytes | str) -> tuple[Any, list[dict[str, str]]]:
    """The API's JSON reading of ``raw`` and the rows of its defects (an object naming a member
    twice: ``duplicate_member``; a string or name holding half of a surrogate pair:
    ``malformed_json``), each at its JSON Pointer, in the request's language. Syntax errors,
    bytes that are not UTF-8, NaN/Infinity and nesting too deep raise a 400 at once."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        # The JSON integer -0 keeps its sign (an amount written -0 is refused, as -0.0 is); the
        # hook is only set for a body that may hold one, the C scanner's int reads the others.
        parse_int = json_int if MAY_HOLD_NEGATIVE_ZERO.search(text) else None
        duplicated = False
        try:
            body = json.loads(
                text,
                parse_float=json_decimal,
                parse_int=parse_int,
                parse_constant=_reject_constant,
                object_pairs_hook=_unique_members,
            )
        except _DuplicateMember:
            # Rare: read again, marking each object that names a member twice, to say where.
            duplicated = True
            body = json.loads(
                text,
                parse_float=json_decimal,
                parse_int=parse_int,
                parse_constant=_reject_constant,
                object_pairs_hook=_marked_members,
            )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProblemError(
            400,
            "malformed-json",
            "Body is not valid JSON",
            detail=str(exc)[:300],
            errors=[{"pointer": "", "code": "malformed_json", "detail": str(exc)[:300]}],
        ) from None
    if not duplicated and not _SURROGATE_ESCAPE.search(text):
        return body, []
    rows: list[dict[str, str]] = []
    _collect_defects(body, "", rows)
    return body, [
        {**row, "detail": _detail_in_language(row["code"], row["detail"])} for row in rows
    ]


def body_defects_problem(defects: list[dict[str, str]]) -> ProblemError:
    """The 400 of a body whose JSON is well formed but which no two readers would read alike."""
    return ProblemError(400, "malformed-json", "Body is not valid JSON", errors=defects)


def _detail_in_language(code: str, detail: str) -> str:
    from .extensions import call

    return call("problems.detail_in_language", code, detail, default=detail)


class _DuplicateMember(ValueError):
    """An object of the body names a member more than once."""


def _unique_members(pairs: list[tuple[str, Any]], _dict: type = dict, _len: Any = len) -> dict:
    # ``object_pairs_hook`` of every read: one dict as the scanner would build it, refused when
    # it holds fewer members than were written (a name repeated, the last value winning).
    obj = _dict(pairs)
    if _len(obj) != _len(pairs):
        raise _DuplicateMember
    return obj


class _Duplicated(dict):
    """An object that named members more than once (``names``), kept to report where."""

    names: list[str]


def _marked_members(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Duplicated(obj)
    seen: set[str] = set()
    marked.names = []
    for name, _value in pairs:
        if name in seen and name not in marked.names:
            marked.names.append(name)
        seen.add(name)
    return marked


# JSON may escape a character outside the BMP as a surrogate pair (\ud83d\ude00), which the
# parser joins; a lone half survives as a string no encoder can write, so it is refused here.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE_DETAIL = "a \\u escape encodes half of a UTF-16 surrogate pair, not a character"


def _pointer_token(name: str) -> str:
    escaped = name.replace("~", "~0").replace("/", "~1")
    if _lone_surrogate(name):
        return escaped.encode("utf-8", "replace").decode()
    return escaped


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _collect_defects(value: Any, pointer: str, rows: list[dict[str, str]]) -> None:
    """Append a row for each member named twice and each string (or name) holding a lone
    surrogate under ``value``, in the order of the body."""
    if isinstance(value, str):
        if _lone_surrogate(value):
            rows.append({"pointer": pointer, "code": "malformed_json", "detail": _SURROGATE_DETAIL})
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            _collect_defects(entry, f"{pointer}/{index}", rows)
    elif isinstance(value, dict):
        duplicated = getattr(value, "names", ())
        for name, entry in value.items():
            here = f"{pointer}/{_pointer_token(name)}"
            if name in duplicated:
                rows.append(
                    {
                        "pointer": here,
                        "code": "duplicate_member",
                        "detail": f"the member {name!r} appears more than once in this object "
                        "(readers differ on which one counts): send each element once",
                    }
                )
            if _lone_surrogate(name):
                rows.append(
                    {"pointer": here, "code": "malformed_json", "detail": _SURROGATE_DETAIL}
                )
                continue
            _collect_defects(entry, here, rows)


def _fingerprint(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def check_idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, refused (422 ``idempotency_key_invalid``) when longer than
    255 characters: every POST holds that bound, even one whose answer is a pure function of its
    body (the public estimator), where a retry gives the same answer without a stored copy."""
    key = request.headers.get("Idempotency-Key")
    if key and len(key) > 255:
        raise ProblemError(
            422,
            "idempotency-key-invalid",
            "Idempotency-Key too long",
            errors=[
                {
                    "pointer": "",
                    "code": "idempotency_key_invalid",
                    "detail": gettext("at most 255 characters"),
                }
            ],
        )
    if key and any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        # A control character (NUL among them) is no key, and PostgreSQL stores no NUL in text.
        raise ProblemError(
            422,
            "idempotency-key-invalid",
            "Idempotency-Key invalid",
            errors=[
                {
                    "pointer": "",
                    "code": "idempotency_key_invalid",
                    "detail": gettext("a key has no control characters"),
                }
            ],
        )
    return key or None


def with_idempotency(
    request: Request,
    operator: Any,
    body: Any,
    produce: Callable[[], Response],
    kept: Callable[[Any], Any] | None = None,
) -> Response:
    """api.md: a retry with the same Idempotency-Key and body replays the first response; the same key
    with another body is 422. Concurrent retries race on a unique row: exactly one produces.
    ``kept`` gives what is stored for the replay from the first response's data, when it holds
    something shown once (a secret) that must not be kept nor shown again."""
    key = check_idempotency_key(request)
    if not key:
        return produce()
    from customs_ecom.platform.models import IdempotencyRecord

    fingerprint = _fingerprint(body)
    method_path = f"{request.method} {request.path}"
    cutoff = timezone.now() - IDEMPOTENCY_TTL

    def replay(record: IdempotencyRecord) -> Response:
        if record.fingerprint != fingerprint or record.method_path != method_path:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused with a different request",
                errors=[
                    {
                        "pointer": "",
                        "code": "idempotency_key_reused",
                        "detail": gettext(
                            "key %(key)s was first used with another body or endpoint"
                        )
                        % {"key": repr(key)},
                    }
                ],
            )
        response = Response(record.body, status=record.status_code)
        response["Idempotent-Replayed"] = "true"
        if record.status_code >= 400:
            response.content_type = PROBLEM_CONTENT_TYPE
        return response

    existing = IdempotencyRecord.objects.filter(
        operator=operator, key=key, created_at__gte=cutoff
    ).first()
    if existing:
        return replay(existing)

    def once() -> Response:
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                operator=operator, key=key, created_at__lt=cutoff
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        operator=operator,
                        key=key,
                        method_path=method_path,
                        fingerprint=fingerprint,
                        status_code=0,
                        body={},
                    )
            except IntegrityError:
                record = None
            if record is None:
                # Another request holds the key; wait for its row (its transaction commits or
                # rolls back).
                existing = (
                    IdempotencyRecord.objects.select_for_update()
                    .filter(operator=operator, key=key)
                    .first()
                )
                if existing is None or existing.status_code == 0:
                    raise ProblemError(
                        409,
                        "idempotency-in-progress",
                        "A request with this Idempotency-Key is in progress",
                        headers={"Retry-After": "1"},
                    )
                return replay(existing)
            response = produce()
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.body = kept(response.data) if kept is not None else response.data
            try:
                with transaction.atomic():
                    record.save(update_fields=["status_code", "body"])
            except DatabaseError:
                # An answer the database cannot hold (a problem quoting a NUL of the request) is
                # not kept: a retry runs again and answers the same.
                record.delete()
            return response

    # The key's row and the work commit together: a deadlock or serialization failure rolled
    # back both, and the whole runs again in a fresh transaction. Without a key, the service
    # retries its own transaction where that is safe.
    return retry_on_conflict(once)


class StrictJSONParser(JSONParser):
    """DRF's parser of JSON bodies (``request.data``), reading as :func:`read_json_body` does:
    exact decimals, and a 400 naming the member for an object that names one twice."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body, defects = parse_json_text(stream.read() if stream is not None else b"")
        if defects:
            raise body_defects_problem(defects)
        return body
