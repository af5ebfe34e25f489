"""Reads that are more than a `get()`: the officer queue, a consignment's page, operator listings,
facts for the engines."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value

from aeo.models import Operator
from customs_ecom.platform.bulk import fetch_binary
from customs_ecom.platform.extensions import call
from customs_ecom.platform.officer_tz import installation_day_start

from .models import (
    TRIAGE_CONDITION,
    Declaration,
    SavedView,
    Status,
    StatusEvent,
)
from .statuses import NEEDS_ACTION

_benchmarks_cache: tuple[float, Mapping[str, Any]] | None = None
# Reading the stored medians is one small-table read; computing them is the beat task's job
# (risk.refresh_value_medians), done once for all processes.
BENCHMARK_CACHE_SECONDS = 60.0


def value_benchmarks() -> Mapping[str, Any]:
    """Usual EUR-per-kg values by HS level, learned from accepted history by the beat task and
    read from its table (cached per process for a minute)."""
    global _benchmarks_cache
    now = time.monotonic()
    if _benchmarks_cache and now - _benchmarks_cache[0] < BENCHMARK_CACHE_SECONDS:
        return _benchmarks_cache[1]
    from .benchmarks import stored_value_benchmarks

    data = stored_value_benchmarks()
    _benchmarks_cache = (now, data)
    return data


def declaration_rows(
    declaration_ids: Sequence[int], fields: Sequence[str], payload_parts: Sequence[str]
) -> list[tuple]:
    """PostgreSQL only: the declarations with these ids, in id order, each as a tuple of the named
    model fields (``pk`` for the id) followed by one dict of the named top-level payload parts
    (absent parts left out). One statement read in binary (``fetch_binary``); the server extracts
    the parts, so the batch tasks decode only what they read, not whole payloads."""
    columns = ", ".join(
        "id" if name == "pk" else Declaration._meta.get_field(name).column for name in fields
    )
    columns += "".join(f", payload->'{part}'" for part in payload_parts)
    table = connection.ops.quote_name(Declaration._meta.db_table)
    width = len(fields)
    return [
        (
            *row[:width],
            {
                part: value
                for part, value in zip(payload_parts, row[width:], strict=True)
                if value is not None
            },
        )
        for row in fetch_binary(
            f"SELECT {columns} FROM {table} WHERE id = ANY(%s) ORDER BY id",  # noqa: S608
            [list(declaration_ids)],
        )
    ]


def declarations_by_lrn(*, operator: Operator, lrns: list[str]) -> dict[str, Declaration]:
    """The operator's declarations already stored under these lrns (retries and conflicts). On
    PostgreSQL the usual answer, none, costs one statement with the lrns as one array parameter:
    a thousand placeholders cost more to build and to plan than the lookup itself."""
    if not lrns:
        return {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        found = fetch_binary(
            f"SELECT id FROM {table} WHERE operator_id = %s AND lrn = ANY(%s)",  # noqa: S608
            [operator.pk, lrns],
        )
        if not found:
            return {}
        rows = Declaration.objects.filter(pk__in=[pk for (pk,) in found])
    else:
        rows = Declaration.objects.filter(operator=operator, lrn__in=lrns)
    return {d.lrn: d for d in rows.only("id", "lrn", "fingerprint")}


def manifest_facts_for(transport_document_number: str) -> Any:
    """The carrier's manifest line for a transport document, as a second source (None if none)."""
    from .benchmarks import manifest_facts

    return manifest_facts(transport_document_number)


QUEUE_STATUSES = NEEDS_ACTION


def queue_declarations(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Declaration]:
    """Consignments needing an officer, most urgent first (channel, score, then waiting time).

    `filters` are already validated (`QueueFilterForm.cleaned_data`): channel, status, operator (an
    Operator), origin, rule (a rule code that fired in the latest assessment), received_from/_to."""
    qs = Declaration.objects.filter(TRIAGE_CONDITION)
    filters = filters or {}
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("operator"):
        qs = qs.filter(operator=filters["operator"])
    if filters.get("origin"):
        qs = qs.filter(country_of_dispatch=filters["origin"].upper())
    # Days of the installation's time zone, as the dashboard and the consignments list read them.
    if filters.get("received_from"):
        qs = qs.filter(received_at__gte=installation_day_start(filters["received_from"]))
    if filters.get("received_to") and filters["received_to"] < date.max:
        qs = qs.filter(
            received_at__lt=installation_day_start(filters["received_to"] + timedelta(days=1))
        )
    if filters.get("rule"):
        # Risk provides the condition "this rule hit the consignment" (risk sits above).
        qs = qs.filter(call("risk.rule_hit_exists", filters["rule"], default=Value(False)))
    # The row says when documents asked for have arrived since the request (issue 16).
    from .consignment_list import documents_received_q

    qs = qs.annotate(
        documents_received=ExpressionWrapper(documents_received_q(), output_field=BooleanField())
    )
    # The canonical payload is large and the queue never shows it.
    return (
        qs.select_related("operator", "claimed_by")
        .defer("payload")
        .order_by("-priority", "received_at", "id")
    )


def queue_after(qs: QuerySet[Declaration], *, priority: int, received_at: Any, pk: int):
    """Keyset continuation of `queue_declarations` after the row (priority, received_at, pk)."""
    return qs.filter(
        Q(priority__lt=priority)
        | Q(priority=priority, received_at__gt=received_at)
        | Q(priority=priority, received_at=received_at, pk__gt=pk)
    )


def rule_codes() -> list[str]:
    """Codes of the rules in the active rule set (for the queue's rule-hit filter)."""
    return call("risk.rule_codes", default=[])


def saved_views_for(*, user: Any) -> list[SavedView]:
    return list(SavedView.objects.filter(user=user).order_by("name"))


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
        .prefetch_related("items", "quality_findings", "events__actor", "notes__author")
        .filter(pk=declaration_id)
        .first()
    )


RELATED_WINDOW = timedelta(days=7)


def related_consignments(*, declaration: Declaration, limit: int = 20) -> list[Declaration]:
    """Other consignments to the same consignee or from the same seller within +-7 days: the pattern
    of split purchases and repeat shippers (Standard 10)."""
    start = declaration.received_at - RELATED_WINDOW
    end = declaration.received_at + RELATED_WINDOW
    match = Q()
    if declaration.consignee_key:
        match |= Q(consignee_key=declaration.consignee_key)
    if declaration.seller_name:
        match |= Q(seller_name=declaration.seller_name)
    if not match:
        return []
    return list(
        Declaration.objects.filter(match, received_at__gte=start, received_at__lte=end)
        .exclude(pk=declaration.pk)
        .select_related("operator")
        .only(
            "id",
            "lrn",
            "status",
            "channel",
            "received_at",
            "total_value",
            "currency",
            "seller_name",
            "consignee_key",
            "consignee_name",
            "operator__name",
        )
        .order_by("received_at", "id")[:limit]
    )


def declaration_documents(*, declaration: Declaration) -> list[Any] | None:
    """Documents the operator uploaded, or None while the installation has no document store."""
    manager = getattr(declaration, "documents", None)
    if manager is None:
        return None
    return list(manager.all())


def declaration_timeline(*, declaration: Declaration) -> list[dict[str, Any]]:
    """Status events, audit events and officer notes merged in time order (newest last)."""
    from customs_ecom.platform.models import AuditEvent

    entries: list[dict[str, Any]] = []
    for e in declaration.events.all():
        entries.append(
            {
                "at": e.at,
                "kind": "status",
                "who": e.actor.username if e.actor_id else "",
                "title": f"{e.from_status or '-'} -> {e.to_status}",
                "public": e.public_reason,
                "detail": e.note,
            }
        )
    audits = AuditEvent.objects.filter(
        object_type="declaration", object_id=str(declaration.pk)
    ).order_by("at", "id")
    for a in audits:
        if a.action.startswith("declaration.") and a.action.split(".", 1)[1] in Status.values:
            continue  # the status event above already tells this change
        entries.append(
            {
                "at": a.at,
                "kind": "audit",
                "who": a.actor_label,
                "title": a.action,
                "public": "",
                "detail": a.reason or (str(a.after) if a.after else ""),
            }
        )
    for n in declaration.notes.all():
        entries.append(
            {
                "at": n.created_at,
                "kind": "note",
                "who": n.author.username,
                "title": "note",
                "public": "",
                "detail": n.text,
            }
        )
    entries.sort(key=lambda e: e["at"])
    return entries


def events_for_operator(
    *, operator: Operator, after_id: int = 0, limit: int = 100
) -> list[StatusEvent]:
    return list(
        StatusEvent.objects.filter(operator=operator, id__gt=after_id)
        .select_related("declaration")
        .order_by("id")[:limit]
    )
