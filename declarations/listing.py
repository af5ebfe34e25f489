"""Cursor pagination of an operator's declarations (stable under inserts: keyset on updated_at, id)."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.core import signing
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from customs_ecom.platform.problems import ProblemError
from customs_ecom.platform.query import datetime_param, limit_param, text_param

from .models import Declaration, Status
from .normalise import document_key

MAX_LIMIT = 500


def _bad(pointer: str, code: str, detail: str) -> ProblemError:
    return ProblemError(
        400,
        "query-invalid",
        "Invalid query parameter",
        errors=[{"pointer": pointer, "code": code, "detail": detail}],
    )


# The cursor is signed (HMAC with the secret key): one the API did not issue, or altered, is
# refused rather than read as a position.
_SIGNER = signing.Signer(salt="declarations.listing.cursor", sep=".")


def _encode(updated_at: str, pk: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([updated_at, pk]).encode()).decode().rstrip("=")
    return _SIGNER.sign(payload)


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        payload = _SIGNER.unsign(cursor)
        padded = payload + "=" * (-len(payload) % 4)
        updated_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = parse_datetime(updated_at)
        if moment is None:
            raise ValueError
        return moment, int(pk)
    except (signing.BadSignature, ValueError, TypeError, json.JSONDecodeError):
        raise _bad(
            "/cursor", "cursor_invalid", gettext("cursor is not one this API issued")
        ) from None


def list_declarations(*, operator: Any, params: Any) -> dict[str, Any]:
    qs = Declaration.objects.filter(operator=operator)
    status = params.get("status")
    if status is not None:
        if status not in Status.values:
            raise _bad(
                "/status",
                "enum_invalid",
                gettext("status must be one of %(values)s") % {"values": ", ".join(Status.values)},
            )
        qs = qs.filter(status=status)
    for name in ("lrn", "transport_document"):
        # An empty filter is a mistake (an unset variable), not "no filter": every declaration
        # would come back as if it matched, so it is refused as an empty status= is.
        if params.get(name) == "":
            raise _bad(
                f"/{name}",
                "string_too_short",
                gettext("%(name)s is empty: leave it out or fill it") % {"name": name},
            )
    lrn = text_param(params, "lrn")
    if lrn:
        qs = qs.filter(lrn=lrn)
    transport_document = text_param(params, "transport_document")
    if transport_document:
        qs = qs.filter(transport_document_key=document_key(transport_document))
    since = datetime_param(params, "updated_since")
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    limit = limit_param(params, default=100, maximum=MAX_LIMIT)
    cursor = params.get("cursor")
    if cursor is not None:  # even empty: a cursor is a next_cursor this API answered
        moment, pk = _decode(cursor)
        from django.db.models import Q

        qs = qs.filter(Q(updated_at__lt=moment) | Q(updated_at=moment, pk__lt=pk))
    rows = list(
        qs.order_by("-updated_at", "-id").values(
            "id",
            "lrn",
            "revision",
            "status",
            "dataset",
            "transport_document_type",
            "transport_document_number",
            "received_at",
            "updated_at",
        )[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    results = [
        {
            "id": r["id"],
            "lrn": r["lrn"],
            "revision": r["revision"],
            "status": r["status"],
            "dataset": r["dataset"],
            # The declaration's own element, as its detail and the submitter wrote it (the
            # columns are the stored declaration's, which validation canonicalised).
            "transport_document": {
                "type": r["transport_document_type"],
                "number": r["transport_document_number"],
            },
            "received_at": r["received_at"].isoformat(),
            "updated_at": r["updated_at"].isoformat(),
        }
        for r in rows
    ]
    next_cursor = (
        _encode(rows[-1]["updated_at"].isoformat(), rows[-1]["id"]) if has_more and rows else None
    )
    return {"results": results, "next_cursor": next_cursor, "has_more": has_more}
