"""One page of a list of the operator API, the same way everywhere (docs/api.md, "Lists"):
newest first, ``limit`` 1..maximum (default 100), ``cursor`` the ``next_cursor`` of the previous
page (the id to continue below), ``has_more`` whether another page follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext

from .query import limit_param, query_problem

MAX_LIMIT = 500
CURSOR_SCHEMA = {"type": "string", "pattern": "^[0-9]{1,18}$"}
LIMIT_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}


def id_page(
    queryset: Any, params: Any, represent: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    limit = limit_param(params, default=100, maximum=MAX_LIMIT)
    cursor = params.get("cursor")
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
            raise query_problem(
                "cursor", "cursor_invalid", gettext("cursor is not one this API issued")
            )
        queryset = queryset.filter(pk__lt=int(cursor))
    rows = list(queryset.order_by("-pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {
        "results": [represent(row) for row in rows],
        "next_cursor": str(rows[-1].pk) if has_more and rows else None,
        "has_more": has_more,
    }
