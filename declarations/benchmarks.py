"""Learned reference values for data quality and risk: the usual value per kilogram of each HS code
learned from accepted history, and the carrier manifest facts (a second source) for a transport
document. The medians are computed by a beat task into a table (`stored_value_benchmarks` reads it,
`selectors.value_benchmarks` caches that read a minute per process)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from statistics import median

from django.db import connection
from django.utils import timezone

from .models import Manifest, ManifestLine
from .normalise import document_key
from .quality import ManifestFacts, ValueBenchmark
from .statuses import NOT_A_PRICE_REFERENCE

# Only recent history counts (prices move), and declarations customs refused or cancelled do not.
HISTORY_DAYS = 365
EXCLUDED_STATUSES = NOT_A_PRICE_REFERENCE
LEVELS = (("hs6", 6), ("hs4", 4), ("hs2", 2))

_PG_SQL = """
WITH v AS (
    SELECT i.hs_code,
           (i.value * d.total_value_eur / d.total_value) / i.net_mass_kg AS eur_per_kg
    FROM declarations_declarationitem i
    JOIN declarations_declaration d ON d.id = i.declaration_id
    WHERE d.received_at >= %s
      AND NOT (d.status = ANY(%s))
      AND d.total_value > 0 AND d.total_value_eur IS NOT NULL
      AND i.value > 0 AND i.net_mass_kg > 0
      AND length(i.hs_code) >= 6
)
SELECT l.level, l.prefix,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v.eur_per_kg) AS median_eur_per_kg,
       count(*) AS samples
FROM v
CROSS JOIN LATERAL (VALUES ('hs6', left(v.hs_code, 6)), ('hs4', left(v.hs_code, 4)),
                           ('hs2', left(v.hs_code, 2))) AS l(level, prefix)
GROUP BY l.level, l.prefix
"""

_PORTABLE_SQL = """
SELECT i.hs_code, i.value, i.net_mass_kg, d.total_value, d.total_value_eur
FROM declarations_declarationitem i
JOIN declarations_declaration d ON d.id = i.declaration_id
WHERE d.received_at >= %s
  AND d.status NOT IN ({placeholders})
  AND d.total_value > 0 AND d.total_value_eur IS NOT NULL
  AND i.value > 0 AND i.net_mass_kg > 0
"""


def learned_value_benchmarks(*, history_days: int = HISTORY_DAYS) -> Mapping[str, ValueBenchmark]:
    """HS prefix ("610910", "6109", "61") -> median EUR per kg of net mass and the sample size, from
    accepted declarations of the last year. `quality.benchmark_for` picks the most specific level
    with enough samples (hs6, then hs4, then hs2)."""
    since = timezone.now() - timedelta(days=history_days)
    result: dict[str, ValueBenchmark] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_SQL, [since, [str(s) for s in EXCLUDED_STATUSES]])
            for level, prefix, value, samples in cursor.fetchall():
                result[prefix] = ValueBenchmark(
                    median_eur_per_kg=Decimal(str(value)).quantize(Decimal("0.01")),
                    sample_size=int(samples),
                    level=level,
                )
            return result
        # SQLite (development): no percentile aggregate, so the median is taken here.
        placeholders = ", ".join(["%s"] * len(EXCLUDED_STATUSES))
        cursor.execute(
            _PORTABLE_SQL.format(placeholders=placeholders),
            [since, *(str(s) for s in EXCLUDED_STATUSES)],
        )
        samples: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for hs_code, value, mass, total, total_eur in cursor.fetchall():
            if len(hs_code or "") < 6:
                continue
            eur_per_kg = Decimal(str(value)) * Decimal(str(total_eur)) / Decimal(str(total))
            eur_per_kg /= Decimal(str(mass))
            for level, digits in LEVELS:
                samples[(level, hs_code[:digits])].append(eur_per_kg)
    for (level, prefix), values in samples.items():
        result[prefix] = ValueBenchmark(
            median_eur_per_kg=Decimal(median(values)).quantize(Decimal("0.01")),
            sample_size=len(values),
            level=level,
        )
    return result


def stored_value_benchmarks() -> Mapping[str, ValueBenchmark]:
    """The medians as the beat task last stored them (risk's ``LearnedValueMedian`` table, read
    through the app registry: declarations does not import risk)."""
    from django.apps import apps

    model = apps.get_model("risk", "LearnedValueMedian")
    return {
        prefix: ValueBenchmark(median_eur_per_kg=median, sample_size=samples, level=level)
        for prefix, median, samples, level in model.objects.values_list(
            "prefix", "median_eur_per_kg", "samples", "level"
        )
    }


def manifest_facts_many(
    numbers: Iterable[str],
    *,
    carrier_ids: Iterable[int] | None = None,
    declarant_id: int | None = None,
) -> dict[str, ManifestFacts]:
    """The newest manifest line of each transport document, in one query (batch intake); with
    ``carrier_ids``, from those operators' manifests only; with ``declarant_id``, from the
    manifests of the declarant and of the carriers that carry for it (declarations.carriers),
    in the same query. Lines are found by the document's key (normalise.document_key), as
    arrivals are; the answer is keyed by the numbers as given."""
    from .carriers import manifest_operator_filter

    keys = {number: document_key(number) for number in numbers if number}
    wanted = sorted({key for key in keys.values() if key})
    if not wanted:
        return {}
    if declarant_id is not None and carrier_ids is None and connection.vendor == "postgresql":
        # Intake's own question, once per submission: one statement written once (building the
        # same query through the ORM cost about a fifth of a single POST's CPU).
        with connection.cursor() as cursor:
            sql, carries_for, carrier_roles = _declarant_manifest_query()
            cursor.execute(sql, [wanted, declarant_id, declarant_id, carries_for, carrier_roles])
            rows = cursor.fetchall()
    else:
        lines = ManifestLine.objects.filter(transport_document_key__in=wanted)
        if carrier_ids is not None:
            lines = lines.filter(manifest__operator_id__in=list(carrier_ids))
        if declarant_id is not None:
            lines = lines.filter(manifest_operator_filter(declarant_id))
        rows = lines.order_by("transport_document_key", "-id").values_list(
            "transport_document_key",
            "packages",
            "gross_mass_kg",
            "declared_value",
            "currency",
            "description",
        )
    by_key: dict[str, ManifestFacts] = {}
    for key, packages, mass, value, currency, description in rows:
        if key not in by_key:
            by_key[key] = ManifestFacts(
                packages=packages,
                gross_mass_kg=mass,
                declared_value=value,
                currency=currency or None,
                description=description or None,
            )
    return {number: by_key[key] for number, key in keys.items() if key in by_key}


@lru_cache(maxsize=1)
def _declarant_manifest_query() -> tuple[str, str, list[str]]:
    """The manifest lines that count for a declarant's transport documents (PostgreSQL): those of
    its own manifests and of the carriers linked as carrying for it, as
    ``declarations.carriers.manifest_operator_filter`` says; newest line first per document key.
    Returns the statement, the link kind and the carrier roles it is asked with."""
    from aeo.models import Operator, OperatorLink

    from .carriers import CARRIER_ROLES

    line, manifest = ManifestLine._meta.db_table, Manifest._meta.db_table
    link, operator = OperatorLink._meta.db_table, Operator._meta.db_table
    sql = (
        "SELECT l.transport_document_key, l.packages, l.gross_mass_kg, l.declared_value, "  # noqa: S608
        "l.currency, l.description "
        f"FROM {line} l INNER JOIN {manifest} m ON m.id = l.manifest_id "
        "WHERE l.transport_document_key = ANY(%s) AND (m.operator_id = %s OR m.operator_id IN ("
        f"SELECT k.source_id FROM {link} k INNER JOIN {operator} o ON o.id = k.source_id "
        "WHERE k.target_id = %s AND k.kind = %s AND o.role = ANY(%s))) "
        "ORDER BY l.transport_document_key, l.id DESC"
    )
    return sql, str(OperatorLink.Kind.CARRIES_FOR), sorted(str(role) for role in CARRIER_ROLES)


def manifest_facts(transport_document_number: str) -> ManifestFacts | None:
    """Carrier manifest facts for a transport document (second source), or None."""
    return manifest_facts_many([transport_document_number]).get(transport_document_number)
