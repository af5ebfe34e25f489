"""What goods usually cost, for the undervaluation rule and data quality: the reference table (read
once per process, replaced by an administrator's file) and the learned medians (computed by a beat
task into a table once for all processes, read by every process)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from customs_ecom.platform.audit import audit_record

from .models import LearnedValueMedian, ReferenceValue
from .reference import ReferenceBook, parse_reference_csv
from .reference import ReferenceValue as ReferenceSpec

logger = logging.getLogger(__name__)

REFERENCE_GENERATION_KEY = "risk:reference:generation"
REFERENCE_RECHECK_SECONDS = 30.0
_reference_cache: dict[str, Any] = {"stamp": None, "book": None, "checked": 0.0, "generation": None}


def _bump_reference() -> None:
    try:
        cache.incr(REFERENCE_GENERATION_KEY)
    except ValueError:
        cache.set(REFERENCE_GENERATION_KEY, 1, timeout=None)


def reference_book() -> ReferenceBook:
    """The reference table as the rule reads it, rebuilt only when the table changed."""
    generation = cache.get(REFERENCE_GENERATION_KEY, 0)
    now = time.monotonic()
    if (
        _reference_cache["book"] is not None
        and _reference_cache["generation"] == generation
        and now - _reference_cache["checked"] < REFERENCE_RECHECK_SECONDS
    ):
        return _reference_cache["book"]
    stats = ReferenceValue.objects.aggregate(n=Count("id"), top=Max("id"), at=Max("loaded_at"))
    stamp = (stats["n"], stats["top"], stats["at"])
    _reference_cache.update(generation=generation, checked=now)
    if _reference_cache["stamp"] != stamp or _reference_cache["book"] is None:
        rows = [
            ReferenceSpec(
                hs_code=row.hs_code,
                basis=row.basis,
                value_eur=row.value_eur,
                source=row.source,
                as_of=row.as_of,
                keywords=tuple(row.keywords or ()),
                note=row.note,
            )
            for row in ReferenceValue.objects.order_by("id")
        ]
        _reference_cache.update(stamp=stamp, book=ReferenceBook(rows))
    return _reference_cache["book"]


@dataclass
class ReferenceReplace:
    """The result of an upload: rows loaded, or every row error (then nothing changed)."""

    loaded: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def reference_values_replace(*, text: str, actor: Any, reason: str = "") -> ReferenceReplace:
    """Replace the whole reference table with an administrator's file (for example one exported
    from the administration's own valuation database). All or nothing; audited with the file's
    digest and the size of the table before and after; pending declarations are re-assessed."""
    from .services.reassessment import enqueue_reassessment

    parsed = parse_reference_csv(text)
    if parsed.errors:
        return ReferenceReplace(errors=parsed.errors)
    with transaction.atomic():
        before = _table_facts(
            {
                "hs_code": v.hs_code,
                "basis": v.basis,
                "keywords": list(v.keywords),
                "value_eur": str(v.value_eur),
                "source": v.source,
                "as_of": v.as_of.isoformat() if v.as_of else None,
                "note": v.note,
            }
            for v in ReferenceValue.objects.order_by("hs_code", "basis", "pk")
        )
        ReferenceValue.objects.all().delete()
        now = timezone.now()
        ReferenceValue.objects.bulk_create(
            ReferenceValue(
                hs_code=row.hs_code,
                basis=row.basis,
                keywords=list(row.keywords),
                value_eur=row.value_eur,
                source=row.source,
                as_of=row.as_of,
                note=row.note,
                loaded_at=now,
            )
            for row in parsed.rows
        )
        audit_record(
            actor=actor,
            action="risk.reference_values.replace",
            object_type="reference_values",
            object_id="table",
            before=before,
            after={
                **_table_facts(
                    {
                        "hs_code": row.hs_code,
                        "basis": row.basis,
                        "keywords": list(row.keywords),
                        "value_eur": str(row.value_eur),
                        "source": row.source,
                        "as_of": row.as_of.isoformat() if row.as_of else None,
                        "note": row.note,
                    }
                    for row in parsed.rows
                ),
                "file_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "sources": sorted({row.source for row in parsed.rows})[:20],
            },
            reason=reason,
        )
        transaction.on_commit(_bump_reference)
        _reference_cache["book"] = None  # this process sees its own change at once
        enqueue_reassessment(reason="reference values replaced")
    return ReferenceReplace(loaded=len(parsed.rows))


# The audit keeps the rows themselves, before and after, up to this many (a digest of all of them
# always), so that an auditor reads what a replacement changed.
AUDITED_ROWS = 2000


def _table_facts(rows: Any) -> dict[str, Any]:
    rows = list(rows)
    digest = hashlib.sha256(
        json.dumps(rows, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    facts: dict[str, Any] = {"rows": len(rows), "sha256": digest, "values": rows[:AUDITED_ROWS]}
    if len(rows) > AUDITED_ROWS:
        facts["values_truncated"] = True
    return facts


# --- learned medians ------------------------------------------------------------------------------


def learned_medians_refresh() -> int:
    """Compute the medians of accepted history (one statement) and store them for every process:
    the beat task ``risk.refresh_value_medians``. Replaces the table in one transaction."""
    from declarations.benchmarks import learned_value_benchmarks

    computed = learned_value_benchmarks()
    now = timezone.now()
    with transaction.atomic():
        LearnedValueMedian.objects.all().delete()
        LearnedValueMedian.objects.bulk_create(
            (
                LearnedValueMedian(
                    prefix=prefix,
                    level=benchmark.level,
                    median_eur_per_kg=benchmark.median_eur_per_kg,
                    samples=benchmark.sample_size,
                    computed_at=now,
                )
                for prefix, benchmark in computed.items()
            ),
            batch_size=2000,
        )
    logger.info("learned value medians refreshed: %d HS prefixes", len(computed))
    return len(computed)


def learned_medians() -> Mapping[str, tuple[Decimal, int, str]]:
    """prefix -> (median EUR per kg, samples, level) as last stored by the beat task."""
    return {
        prefix: (median, samples, level)
        for prefix, median, samples, level in LearnedValueMedian.objects.values_list(
            "prefix", "median_eur_per_kg", "samples", "level"
        )
    }
