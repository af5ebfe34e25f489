"""Query parameters of the operator API's lists, read one way everywhere (docs/api.md, "Lists").

``limit`` is an integer from 1 to the list's maximum, refused (400 ``limit_invalid``) outside
that range rather than clamped; text filters refuse control characters; date-times must carry
an offset within +/-14:00. Every refusal is a problem document naming the parameter.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from customs_ecom.platform import bounds

from .problems import ProblemError


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
            "limit", "limit_invalid", f"limit must be an integer from 1 to {maximum}"
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
            name, "string_too_long", f"{name} has more than {max_length} characters"
        )
    found = bounds.control_character(raw)
    if found is not None:
        raise query_problem(name, "control_character", f"{name} holds the character {found}")
    return raw


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
        raise query_problem(name, "datetime_invalid", f"{name} must be an ISO 8601 date-time")
    fraction = bounds.fraction_problem(raw)
    if fraction is not None:
        raise query_problem(name, "datetime_invalid", f"{name}: {fraction}")
    if moment.tzinfo is None:
        raise query_problem(name, "datetime_timezone_required", f"{name} needs a UTC offset or Z")
    problem = bounds.datetime_problem(moment)
    if problem is not None:
        raise query_problem(name, problem[0], f"{name}: {problem[1]}")
    return moment
