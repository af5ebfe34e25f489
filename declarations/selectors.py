"""Reads that are more than a `get()`: the officer queue, a consignment's page, operator listings,
facts for the engines."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from aeo.models import Operator

from .models import NEEDS_ACTION_STATUSES, Declaration, StatusEvent

_benchmarks_cache: tuple[float, Mapping[str, Any]] | None = None
BENCHMARK_CACHE_SECONDS = 600.0


def value_benchmarks() -> Mapping[str, Any]:
    """Usual EUR-per-kg values by HS level, learned from accepted history (cached per process)."""
    global _benchmarks_cache
    now = time.monotonic()
    if _benchmarks_cache and now - _benchmarks_cache[0] < BENCHMARK_CACHE_SECONDS:
        return _benchmarks_cache[1]
    from .benchmarks import learned_value_benchmarks

    data = learned_value_benchmarks()
    _benchmarks_cache = (now, data)
    return data


def manifest_facts_for(transport_document_number: str) -> Any:
    """The carrier's manifest line for a transport document, as a second source (None if none)."""
    from .benchmarks import manifest_facts

    return manifest_facts(transport_document_number)


def queue_declarations(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Declaration]:
    """Consignments needing an officer, most urgent first (channel, score, then waiting time)."""
    qs = Declaration.objects.filter(status__in=NEEDS_ACTION_STATUSES, channel__in=("yellow", "red"))
    filters = filters or {}
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("operator"):
        qs = qs.filter(operator_id=filters["operator"])
    if filters.get("origin"):
        qs = qs.filter(country_of_dispatch=filters["origin"])
    return qs.select_related("operator", "claimed_by").order_by("-priority", "received_at", "id")


def operator_declarations(*, operator: Operator) -> QuerySet[Declaration]:
    return Declaration.objects.filter(operator=operator)


def declaration_for_operator(*, operator: Operator, declaration_id: int) -> Declaration | None:
    """An operator's own declaration, or None: another operator's is indistinguishable from a missing one."""
    return (
        Declaration.objects.filter(operator=operator, pk=declaration_id)
        .prefetch_related("items", "events", "quality_findings")
        .first()
    )


def declaration_detail(*, declaration_id: int) -> Declaration | None:
    return (
        Declaration.objects.select_related("operator", "profile", "claimed_by")
        .prefetch_related("items", "quality_findings", "events__actor")
        .filter(pk=declaration_id)
        .first()
    )


def events_for_operator(
    *, operator: Operator, after_id: int = 0, limit: int = 100
) -> list[StatusEvent]:
    return list(
        StatusEvent.objects.filter(operator=operator, id__gt=after_id)
        .select_related("declaration")
        .order_by("id")[:limit]
    )
