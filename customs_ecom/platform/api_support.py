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
    oversized body is a 413 before it is read into memory, malformed JSON is a 400."""
    if (
        not request.META.get("CONTENT_LENGTH")
        and "chunked" in (request.META.get("HTTP_TRANSFER_ENCODING") or "").lower()
    ):
        # A chunked body reaches Django without a length and would read as empty: say so.
        raise ProblemError(
            411,
            "length-required",
            "Length required",
            detail="Send the body with a Content-Length header, not chunked.",
            errors=[{"pointer": "", "code": "length_required", "detail": "no Content-Length"}],
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
            detail=f"The body has {declared_length} bytes; the limit is {max_bytes}.",
            errors=[
                {"pointer": "", "code": "body_too_large", "detail": f"limit is {max_bytes} bytes"}
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
            detail=f"Send application/json, not {content_type}.",
        )
    coding = (request.META.get("HTTP_CONTENT_ENCODING") or "").strip().lower()
    if coding and coding != "identity":
        # A compressed body (gzip, br, ...) is not read as JSON whose bytes happen to be
        # undecodable: the coding is not accepted, said as RFC 7694 says (415, Accept-Encoding).
        raise ProblemError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            detail=f"Send the body uncompressed: Content-Encoding {coding[:40]} is not accepted.",
            headers={"Accept-Encoding": "identity"},
        )
    raw = request._request.read(max_bytes + 1)  # the WSGI stream; DRF has not touched it
    if len(raw) > max_bytes:
        raise ProblemError(
            413,
            "body-too-large",
            "Body too large",
            detail=f"The body exceeds the limit of {max_bytes} bytes.",
            errors=[
                {"pointer": "", "code": "body_too_large", "detail": f"limit is {max_bytes} bytes"}
            ],
        )
    try:
        text = raw.decode("utf-8")
        # The JSON integer -0 keeps its sign (an amount written -0 is refused, as -0.0 is); the
        # hook is only set for a body that may hold one, the C scanner's int reads the others.
        body = json.loads(
            text,
            parse_float=json_decimal,
            parse_int=json_int if MAY_HOLD_NEGATIVE_ZERO.search(text) else None,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProblemError(
            400,
            "malformed-json",
            "Body is not valid JSON",
            detail=str(exc)[:300],
            errors=[{"pointer": "", "code": "malformed_json", "detail": str(exc)[:300]}],
        ) from None
    if _SURROGATE_ESCAPE.search(text):
        pointer = _lone_surrogate(body, "")
        if pointer is not None:
            detail = "a \\u escape encodes half of a UTF-16 surrogate pair, not a character"
            raise ProblemError(
                400,
                "malformed-json",
                "Body is not valid JSON",
                detail=f"{pointer or '/'}: {detail}",
                errors=[{"pointer": pointer, "code": "malformed_json", "detail": detail}],
            )
    return body


# JSON may escape a character outside the BMP as a surrogate pair (\ud83d\ude00), which the
# parser joins; a lone half survives as a string no encoder can write, so it is refused here.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _lone_surrogate(value: Any, pointer: str) -> str | None:
    """The JSON Pointer of the first string (or key) holding a lone surrogate, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return pointer
        return None
    if isinstance(value, list):
        for index, entry in enumerate(value):
            found = _lone_surrogate(entry, f"{pointer}/{index}")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, entry in value.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            if _lone_surrogate(key, "") is not None:
                return f"{pointer}/{escaped.encode('utf-8', 'replace').decode()}"
            found = _lone_surrogate(entry, f"{pointer}/{escaped}")
            if found is not None:
                return found
    return None


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
                    "detail": "at most 255 characters",
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
                    "detail": "a key has no control characters",
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
                        "detail": f"key {key!r} was first used with another body or endpoint",
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
