"""What an assessment batch reads: the declarations as ``RiskRow`` tuples, their ``Facts``
snapshots (history looked up once for the whole batch) and the ``BatchContext`` (lists,
benchmarks, watchlist index, known tax numbers, cleared false positives)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection

from aeo.models import Operator
from customs_ecom.platform.bulk import fetch_binary, values_in
from customs_ecom.platform.extensions import call
from declarations.models import Declaration, Status
from declarations.selectors import declaration_rows

from ..facts import Facts, ItemFacts, PartyFacts, PriorConsignment
from ..models import RuleSet, TaxNumberSeller, WatchlistFalsePositive
from ..rules import BatchContext
from .rulesets import random_seed
from .watchlists import watchlist_index

SPLITTING_LOOKBACK = timedelta(days=7)
BUSINESS_SCHEMES = {"EORI", "VAT"}


def _party(data: dict[str, Any] | None) -> PartyFacts | None:
    if not data:
        return None
    address = data.get("address") or {}
    identifiers = tuple(
        (i.get("scheme", ""), i.get("value", "")) for i in data.get("identifiers") or ()
    )
    return PartyFacts(
        name=data.get("name", ""),
        street=address.get("street") or "",
        city=address.get("city") or "",
        postcode=address.get("postcode") or "",
        country=address.get("country") or "",
        identifiers=identifiers,
        is_business=any(scheme in BUSINESS_SCHEMES for scheme, _ in identifiers),
    )


def _operator_benefits(operator_ids: set[int]) -> dict[int, Any]:
    """AEO benefits read from the registry at assessment time (a suspension counts at once), for
    all the operators of the batch at once."""
    from aeo import benefits

    return benefits.benefits_for_operators(operator_ids)


# What ``Facts.seller_prior_count`` counts up to: beyond it a seller is simply well known, and
# counting a large marketplace seller's millions of consignments for every parcel would make each
# batch slower as history grows.
SELLER_FAMILIARITY_CAP = 50


def _seller_counts(names: set[str]) -> dict[str, int]:
    """Consignments per seller name, each count capped at ``SELLER_FAMILIARITY_CAP + 1``: one
    statement, at most that many index entries read per seller."""
    if not names:
        return {}
    ordered = sorted(names)
    table = connection.ops.quote_name(Declaration._meta.db_table)
    rows = ", ".join(["(%s)"] * len(ordered))
    sql = (
        # table name from the model, one placeholder per name
        f"WITH s(name) AS (VALUES {rows}) SELECT s.name, (SELECT COUNT(*) FROM "  # noqa: S608
        f"(SELECT 1 FROM {table} d WHERE d.seller_name = s.name LIMIT %s) AS capped) FROM s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ordered, SELLER_FAMILIARITY_CAP + 1])
        return dict(cursor.fetchall())


# The columns of a declaration that risk reads: a batch loads these as plain tuples, not model
# instances (``build_facts`` takes either).
RISK_FIELDS = (
    "pk",
    "revision",
    "status",
    "risk_revision",
    "operator_id",
    "dataset",
    "category",
    "transport_mode",
    "transport_document_type",
    "country_of_dispatch",
    "total_value",
    "total_value_eur",
    "total_gross_mass_kg",
    "tax_scheme",
    "tax_scheme_number",
    "dq_score",
    "received_at",
    "seller_name",
    "consignee_key",
    "payload",
)


# The parts of the payload that risk reads, as separate columns: PostgreSQL extracts them from
# the stored document without building a new one, and absent parts come back as NULL.
_PAYLOAD_PARTS = ("items", "seller", "sender", "consignee")


class RiskRow(NamedTuple):
    """A declaration as risk reads it (``RISK_FIELDS``); ``build_facts`` also takes models."""

    pk: int
    revision: int
    status: str
    risk_revision: int
    operator_id: int
    dataset: str
    category: str
    transport_mode: str
    transport_document_type: str
    country_of_dispatch: str
    total_value: Decimal
    total_value_eur: Decimal | None
    total_gross_mass_kg: Decimal
    tax_scheme: str
    tax_scheme_number: str
    dq_score: int | None
    received_at: Any
    seller_name: str
    consignee_key: str
    payload: dict[str, Any]  # on PostgreSQL only items, seller, sender and consignee


def risk_rows(declaration_ids: Sequence[int]) -> list[RiskRow]:
    """The declarations of a batch as ``RiskRow`` tuples, in id order. On PostgreSQL one plain
    statement read in binary (``fetch_binary``): a third of the cost of building model rows."""
    if connection.vendor != "postgresql":
        return [
            RiskRow(*row)
            for row in Declaration.objects.filter(pk__in=declaration_ids)
            .order_by("pk")
            .values_list(*RISK_FIELDS)
        ]
    # Only the parts of the payload that risk reads: decoding whole payloads (buyer, order,
    # documents...) was the larger part of loading a batch.
    return [
        RiskRow(*row) for row in declaration_rows(declaration_ids, RISK_FIELDS[:-1], _PAYLOAD_PARTS)
    ]


# Splitting needs the consignee's recent parcels, not all of them: beyond this many within the
# look-back the ceiling is crossed many times over, so older ones add no evidence.
RECENT_CONSIGNMENTS_CAP = 100


def _submitted_at(prior: PriorConsignment):
    return prior.submitted_at


def _recent_before(
    recent_sorted: dict[str, tuple[list[PriorConsignment], list[Any]]], declaration: Declaration
) -> tuple[PriorConsignment, ...]:
    rows, times = recent_sorted.get(declaration.consignee_key, ([], []))
    end = bisect_right(times, declaration.received_at)
    window = rows[max(0, end - RECENT_CONSIGNMENTS_CAP - 1) : end]
    return tuple(p for p in window if p.declaration_id != declaration.pk)[-RECENT_CONSIGNMENTS_CAP:]


def _recent_to_consignees(keys: set[str], oldest: Any) -> list[tuple]:
    """(id, consignee key, EUR value, received at) of the consignments to these consignees since
    ``oldest``, invalidated ones left out: the thousands of rows of the batch's heaviest read."""
    if not keys:
        return []
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        return fetch_binary(
            f"SELECT id, consignee_key, total_value_eur, received_at FROM {table} "  # noqa: S608
            "WHERE consignee_key = ANY(%s) AND received_at >= %s AND status <> %s",
            [sorted(keys), oldest, str(Status.INVALIDATED)],
        )
    return list(
        Declaration.objects.filter(consignee_key__in=keys, received_at__gte=oldest)
        .exclude(status=Status.INVALIDATED)
        .values_list("pk", "consignee_key", "total_value_eur", "received_at")
    )


def build_facts(declarations: Sequence[Declaration]) -> list[Facts]:
    """Facts snapshots for a batch: history lookups (consignee window, seller familiarity, AEO) are done
    with one query each for the whole batch, never per declaration.

    The consignee identity is the key intake stored (``declarations.normalise.party_key``) on both
    sides of the splitting comparison, so one normaliser decides who "the same consignee" is."""
    if not declarations:
        return []
    keys = {d.consignee_key for d in declarations if d.consignee_key}
    oldest = min(d.received_at for d in declarations) - SPLITTING_LOOKBACK
    recent: dict[str, list[PriorConsignment]] = defaultdict(list)
    for pk, key, value_eur, received_at in _recent_to_consignees(keys, oldest):
        recent[key].append(
            PriorConsignment(
                declaration_id=pk,
                consignee_key=key,
                value_eur=value_eur or Decimal(0),
                submitted_at=received_at,
            )
        )
    seller_counts = _seller_counts({d.seller_name for d in declarations if d.seller_name})
    operator_ids = {d.operator_id for d in declarations}
    roles = dict(Operator.objects.filter(pk__in=operator_ids).values_list("pk", "role"))
    benefits = _operator_benefits(operator_ids)
    # Sorted once per consignee, so each declaration takes its window with a bisection instead of
    # scanning every parcel the consignee ever received.
    recent_sorted = {
        key: (
            sorted(rows, key=_submitted_at),
            [r.submitted_at for r in sorted(rows, key=_submitted_at)],
        )
        for key, rows in recent.items()
    }
    # Asked once per batch for the IOSS consignments only (revenue knows the rates; risk does
    # not import it).
    ioss_factors = {
        d.pk: call("revenue.ioss_ceiling_factor", d.received_at, default=Decimal(1))
        for d in declarations
        if d.tax_scheme == "IOSS"
    }
    facts: list[Facts] = []
    for d in declarations:
        payload = d.payload
        eur_factor = (
            (d.total_value_eur / d.total_value)
            if d.total_value and d.total_value_eur is not None
            else Decimal(1)
        )
        items = tuple(
            ItemFacts(
                line=int(i["line"]),
                description=i["description"],
                hs_code=i.get("hs_code") or "",
                value_eur=(Decimal(str(i["value"])) * eur_factor).quantize(Decimal("0.01")),
                quantity=Decimal(str(i.get("quantity") or 1)),
                net_mass_kg=Decimal(str(i["net_mass_kg"]))
                if i.get("net_mass_kg") is not None
                else None,
                origin_country=i.get("origin_country"),
            )
            for i in payload["items"]
        )
        seller = _party(payload.get("seller"))
        benefit = benefits[d.operator_id]
        facts.append(
            Facts(
                declaration_id=d.pk,
                operator_id=d.operator_id,
                operator_role=roles[d.operator_id],
                operator_is_aeo=benefit.is_aeo,
                dataset=d.dataset,
                category=d.category,
                transport_mode=d.transport_mode or None,
                transport_document_type=d.transport_document_type,
                country_of_dispatch=d.country_of_dispatch,
                total_value_eur=d.total_value_eur or Decimal(0),
                total_gross_mass_kg=d.total_gross_mass_kg,
                items=items,
                seller=seller,
                sender=_party(payload.get("sender")) or seller,
                consignee=_party(payload["consignee"]),
                tax_scheme=d.tax_scheme or None,
                tax_scheme_number=d.tax_scheme_number or None,
                dq_score=d.dq_score,
                submitted_at=d.received_at,
                seller_prior_count=max(0, seller_counts.get(d.seller_name, 0) - 1),
                consignee_recent=_recent_before(recent_sorted, d),
                consignee_key=d.consignee_key,
                aeo_score_factor=benefit.risk_score_factor if benefit.is_aeo else None,
                aeo_random_factor=benefit.random_rate_factor if benefit.is_aeo else None,
                ioss_ceiling_factor=ioss_factors.get(d.pk, Decimal(1)),
            )
        )
    return facts


def _known_tax_numbers(declarations: Sequence[Any]) -> dict[str, frozenset[str]]:
    """Tax-scheme number -> party keys of the sellers seen with it on earlier assessed
    consignments (``TaxNumberSeller``; a pair first seen in this batch is left out, so a
    declaration never vouches for itself), one indexed query for the batch."""
    numbers = {d.tax_scheme_number for d in declarations if d.tax_scheme_number}
    if not numbers:
        return {}
    batch = {d.pk for d in declarations}
    known: dict[str, set[str]] = defaultdict(set)
    for number, key, first in values_in(
        TaxNumberSeller, ("number", "party_key", "first_declaration_id"), "number", sorted(numbers)
    ):
        if first not in batch:
            known[number].add(key)
    return {number: frozenset(keys) for number, keys in known.items()}


def _false_positives() -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(entry_id), key)
        for entry_id, key in WatchlistFalsePositive.objects.filter(
            confirmed_at__isnull=False
        ).values_list("entry_id", "party_key")
    )


def load_batch_context(ruleset: RuleSet, declarations: Sequence[Declaration] = ()) -> BatchContext:
    """Lists and benchmarks, loaded once per batch."""
    from declarations.selectors import value_benchmarks

    from ..valuation import reference_book

    learned = value_benchmarks()
    benchmarks = {key: getattr(value, "median_eur_per_kg", value) for key, value in learned.items()}
    samples = {
        key: value.sample_size for key, value in learned.items() if hasattr(value, "sample_size")
    }
    return BatchContext(
        value_benchmarks=benchmarks,
        value_benchmark_samples=samples,
        reference=reference_book(),
        watchlist=watchlist_index(),
        known_tax_numbers=_known_tax_numbers(declarations),
        valid_tax_numbers=None,
        false_positives=_false_positives(),
        random_seed=random_seed(ruleset),
    )
