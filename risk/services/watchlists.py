"""Watchlists: the per-process screening index (rebuilt when the list changes), the CSV import
and the clearing of a false positive, each followed by the re-assessment of pending
declarations."""

from __future__ import annotations

import csv
import gc
import io
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from customs_ecom.platform.audit import audit_record

from ..models import WatchlistEntry, WatchlistFalsePositive
from ..watchlist import WatchlistEntry as WatchlistEntrySpec
from ..watchlist import WatchlistIndex
from .reassessment import enqueue_reassessment

_watchlist_cache: dict[str, Any] = {
    "stamp": None,
    "index": None,
    "generation": None,
    "checked": 0.0,
}
WATCHLIST_RECHECK_SECONDS = 5.0
WATCHLIST_GENERATION_KEY = "risk:watchlist:generation"


def _watchlist_bump() -> None:
    """Tell every process that the watchlist changed (their cached index is rebuilt)."""
    try:
        cache.incr(WATCHLIST_GENERATION_KEY)
    except ValueError:
        cache.set(WATCHLIST_GENERATION_KEY, 1, timeout=None)


def watchlist_index() -> WatchlistIndex:
    """The active watchlist as a screening index, rebuilt only when it changed (a 10,000-entry
    index takes a noticeable fraction of a second to build; a batch takes milliseconds)."""
    generation = cache.get(WATCHLIST_GENERATION_KEY, 0)
    now = time.monotonic()
    # Every change through the services bumps the generation, seen at once; the table itself
    # (an edit that bypassed them) is counted at most every few seconds, not for every batch.
    if (
        _watchlist_cache["index"] is not None
        and _watchlist_cache["generation"] == generation
        and now - _watchlist_cache["checked"] < WATCHLIST_RECHECK_SECONDS
    ):
        return _watchlist_cache["index"]
    stats = WatchlistEntry.objects.filter(is_active=True).aggregate(n=Count("id"), top=Max("id"))
    stamp = (generation, stats["n"], stats["top"])
    _watchlist_cache.update(generation=generation, checked=now)
    if _watchlist_cache["stamp"] != stamp:
        entries = [
            WatchlistEntrySpec(
                id=str(row.pk),
                name=row.name,
                aliases=tuple(row.aliases or ()),
                country=row.country or None,
                address=row.address or None,
                identifiers=tuple(row.identifiers or ()),
            )
            for row in WatchlistEntry.objects.filter(is_active=True)
        ]
        _watchlist_cache.update(stamp=stamp, index=WatchlistIndex(entries))
        # The index is hundreds of thousands of long-lived objects: moved out of the collector's
        # reach, they are no longer traversed by every full collection during a batch (which had
        # made each model instantiation in the batch cost ~0.1 ms).
        gc.collect()
        gc.freeze()
    return _watchlist_cache["index"]


WATCHLIST_COLUMNS = ("name", "aliases", "country", "address", "identifiers", "list", "reason")


@dataclass
class WatchlistImport:
    """The result of a CSV import: rows created, or every row error (then nothing is created)."""

    created: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def watchlist_import_csv(*, text: str, actor: Any, reason: str = "") -> WatchlistImport:
    """Import watchlist entries from CSV (header: name, aliases, country, address, identifiers,
    list, reason; aliases and identifiers separated by ';'). All or nothing: any row error is
    reported with its row number and column and nothing is imported."""
    result = WatchlistImport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name",) if c not in header]
    unknown = [h for h in header if h not in WATCHLIST_COLUMNS]
    if missing or unknown:
        if missing:
            result.errors.append((1, "name", "the header must have a 'name' column"))
        for column in unknown:
            result.errors.append(
                (1, column, f"unknown column; expected {', '.join(WATCHLIST_COLUMNS)}")
            )
        return result
    reader.fieldnames = header
    rows: list[WatchlistEntry] = []
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            result.errors.append((number, "", "more fields than columns in the header"))
            continue
        name = row.get("name", "")
        country = row.get("country", "").upper()
        if not name:
            result.errors.append((number, "name", "a name is required"))
        elif len(name) > 200:
            result.errors.append((number, "name", "at most 200 characters"))
        if country and (len(country) != 2 or not country.isalpha()):
            result.errors.append((number, "country", f"'{country}' is not a 2-letter code"))
        if len(row.get("address", "")) > 300:
            result.errors.append((number, "address", "at most 300 characters"))
        if len(row.get("list", "")) > 60:
            result.errors.append((number, "list", "at most 60 characters"))
        if len(row.get("reason", "")) > 300:
            result.errors.append((number, "reason", "at most 300 characters"))
        rows.append(
            WatchlistEntry(
                list_name=row.get("list") or "national",
                name=name,
                aliases=_split(row.get("aliases", "")),
                country=country,
                address=row.get("address", ""),
                identifiers=_split(row.get("identifiers", "")),
                reason=row.get("reason", ""),
            )
        )
    if not rows and not result.errors:
        result.errors.append((2, "", "the file has no rows"))
    if result.errors:
        return result
    with transaction.atomic():
        WatchlistEntry.objects.bulk_create(rows, batch_size=1000)
        audit_record(
            actor=actor,
            action="watchlist.import",
            object_type="watchlist",
            object_id=",".join(sorted({r.list_name for r in rows}))[:64],
            before=None,
            after={"entries": len(rows), "names": [r.name for r in rows[:20]]},
            reason=reason,
        )
        transaction.on_commit(_watchlist_bump)
        enqueue_reassessment(reason="watchlist import")
    result.created = len(rows)
    return result


def watchlist_false_positive_create(
    *,
    entry_id: int,
    party_key: str,
    actor: Any,
    reason: str = "",
    declaration_id: int | None = None,
) -> WatchlistFalsePositive:
    """An officer clears a watchlist match for one party: the pair stops firing, and pending
    declarations are re-assessed. Cleared from a consignment's page (``declaration_id``), the
    clearance is on that consignment's audit trail too. Its release still needs four eyes: the
    match is kept as a `FourEyesFlag`."""
    with transaction.atomic():
        entry = WatchlistEntry.objects.get(pk=entry_id)
        marked, created = WatchlistFalsePositive.objects.get_or_create(
            entry=entry,
            party_key=party_key[:300],
            defaults={"created_by": actor if getattr(actor, "pk", None) else None,
                      "reason": reason[:300]},
        )  # fmt: skip
        if created:
            audit_record(
                actor=actor,
                action="watchlist.false_positive",
                object_type="watchlist_entry",
                object_id=entry.pk,
                before=None,
                after={"entry": entry.name, "party_key": party_key},
                reason=reason,
            )
            if declaration_id is not None:
                audit_record(
                    actor=actor,
                    action="watchlist.false_positive",
                    object_type="declaration",
                    object_id=declaration_id,
                    before={"watchlist_match": entry.name, "party_key": party_key},
                    after={"watchlist_match": "cleared as a false positive"},
                    reason=reason,
                )
            enqueue_reassessment(reason="watchlist false positive")
    return marked
