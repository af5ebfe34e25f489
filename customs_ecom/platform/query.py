"""Query parameters of the operator API's lists, read one way everywhere (docs/api.md, "Lists").

``limit`` is an integer from 1 to the list's maximum, refused (400 ``limit_invalid``) outside
that range rather than clamped; text filters refuse control characters; date-times must carry
an offset within +/-14:00. Every refusal is a problem document naming the parameter.
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from customs_ecom.platform import bounds

from .problems import PROBLEM_CONTENT_TYPE, ProblemError


def query_problem(name: str, code: str, detail: str) -> ProblemError:
    return ProblemError(
        400,
        "query-invalid",
        "Invalid query parameter",
        errors=[{"pointer": f"/{name}", "code": code, "detail": detail}],
    )


def limit_param(params: Any, *, default: int, maximum: int) -> int:
    """``limit``: absent means ``default``; otherwise (even empty) an integer from 1 to ``maximum``."""
    raw = params.get("limit")
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        raise query_problem(
            "limit",
            "limit_invalid",
            gettext("limit must be an integer from 1 to %(maximum)d") % {"maximum": maximum},
        )
    return int(raw)


def text_param(params: Any, name: str, *, max_length: int = 64) -> str | None:
    """A text filter: None when absent or empty, refused when too long or holding a control
    character (which no stored value can hold)."""
    raw = params.get(name)
    if not raw:
        return None
    if len(raw) > max_length:
        raise query_problem(
            name,
            "string_too_long",
            gettext("%(name)s has more than %(most)d characters")
            % {"name": name, "most": max_length},
        )
    found = bounds.control_character(raw)
    if found is not None:
        raise query_problem(
            name,
            "control_character",
            gettext("%(name)s holds the character %(character)s")
            % {"name": name, "character": found},
        )
    return raw


def _named(name: str, detail: str) -> str:
    # "updated_since: ..."; French puts a non-breaking space before the colon.
    return gettext("%(name)s: %(detail)s") % {"name": name, "detail": detail}


def datetime_param(params: Any, name: str) -> datetime.datetime | None:
    """An ISO 8601 date-time with an offset within +/-14:00 (a ``+`` read as a space is restored);
    None when absent, refused when empty."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+")) if len(raw) <= 64 else None
    except ValueError:  # well formed but impossible, such as an offset of +99:00
        moment = None
    if moment is None:
        raise query_problem(
            name,
            "datetime_invalid",
            gettext("%(name)s must be an ISO 8601 date-time") % {"name": name},
        )
    fraction = bounds.fraction_problem(raw, gettext)
    if fraction is not None:
        raise query_problem(name, "datetime_invalid", _named(name, fraction))
    if moment.tzinfo is None:
        raise query_problem(
            name,
            "datetime_timezone_required",
            gettext("%(name)s needs a UTC offset or Z") % {"name": name},
        )
    problem = bounds.datetime_problem(moment, gettext)
    if problem is not None:
        raise query_problem(name, problem[0], _named(name, problem[1]))
    return moment


def undecodable_parameter(query_string: str) -> str | None:
    """The name of the first query parameter whose name or value is not UTF-8 once
    percent-decoded (``?lrn=%FF%FE``), or None. Django would read it with replacement characters
    and filter on a text nobody sent."""
    if query_string.isascii() and "%" not in query_string:
        return None
    try:
        raw = query_string.encode("latin-1")  # WSGI hands the bytes over as latin-1
    except UnicodeEncodeError:
        raw = query_string.encode("utf-8")
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" "))
        try:
            name.decode("utf-8")
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return name.decode("utf-8", errors="replace")
    return None


class QueryEncodingMiddleware:
    """An API request whose query string is not UTF-8 is refused (400 ``encoding_invalid``
    naming the parameter), as a body that is not UTF-8 is (docs/api.md, "Lists")."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.path.startswith("/api/"):
            name = undecodable_parameter(request.META.get("QUERY_STRING", ""))
            if name is not None:
                problem = query_problem(
                    name,
                    "encoding_invalid",
                    gettext("%(name)s is not UTF-8 once percent-decoded") % {"name": name},
                )
                return HttpResponse(
                    json.dumps(problem.body()), status=400, content_type=PROBLEM_CONTENT_TYPE
                )
        return self.get_response(request)
