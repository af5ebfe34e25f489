"""Writes for risk: rule-set versions and their activation, the assessment and re-assessment of
declarations in batches, inspection outcomes, watchlists and the learned model."""

from __future__ import annotations

import csv
import gc
import io
import logging
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bulk import fetch_binary, insert_rows, values_in
from declarations import lifecycle
from declarations.messages import with_message
from declarations.models import Case, Declaration, Status
from declarations.selectors import declaration_rows
from declarations.services import (
    declarations_complete_assessment_bulk,
    declarations_record_risk,
    declarations_set_risk_bulk,
)
from declarations.statuses import OPEN

from .channels import ChannelPolicy, Outcome, evaluate_batch
from .facts import Facts, ItemFacts, PartyFacts, PriorConsignment, party_key
from .learning import FEATURES, MIN_OUTCOMES, TrainedModel, raw_features, train
from .models import (
    SEIZURE_RESULTS,
    InspectionOutcome,
    RiskAssessment,
    RiskHit,
    RiskModel,
    RuleSet,
    TaxNumberSeller,
    WatchlistEntry,
    WatchlistFalsePositive,
)
from .rules import DEFAULT_RULESET, BatchContext, validate_params
from .watchlist import WatchlistEntry as WatchlistEntrySpec
from .watchlist import WatchlistIndex

logger = logging.getLogger(__name__)
SPLITTING_LOOKBACK = timedelta(days=7)
BUSINESS_SCHEMES = {"EORI", "VAT"}


def default_policy() -> dict[str, Any]:
    policy = ChannelPolicy()
    return {
        "thresholds": dict(policy.thresholds),
        "random_rates": {k: float(v) for k, v in policy.random_rates.items()},
        "target_rates": {k: float(v) for k, v in policy.target_rates.items()},
        "aeo_score_factor": str(policy.aeo_score_factor),
        "aeo_random_factor": str(policy.aeo_random_factor),
    }


def policy_from_dict(data: dict[str, Any]) -> ChannelPolicy:
    return ChannelPolicy(
        thresholds={k: int(v) for k, v in data["thresholds"].items()},
        random_rates={k: float(v) for k, v in data["random_rates"].items()},
        target_rates={
            k: float(v)
            for k, v in (data.get("target_rates") or ChannelPolicy().target_rates).items()
        },
        aeo_score_factor=Decimal(str(data["aeo_score_factor"])),
        aeo_random_factor=Decimal(str(data["aeo_random_factor"])),
    )


def ensure_default_ruleset() -> None:
    """Rule set version 1, active, from the shipped defaults (idempotent; runs after migrate)."""
    if RuleSet.objects.exists():
        return
    RuleSet.objects.create(
        version=1,
        state=RuleSet.State.ACTIVE,
        rules=[dict(rule) for rule in DEFAULT_RULESET],
        policy=default_policy(),
        note="Shipped default rule set",
        activated_at=timezone.now(),
    )


def active_ruleset() -> RuleSet:
    ruleset = RuleSet.objects.filter(state=RuleSet.State.ACTIVE).order_by("-version").first()
    if ruleset is None:
        ensure_default_ruleset()
        ruleset = RuleSet.objects.get(state=RuleSet.State.ACTIVE)
    return ruleset


@transaction.atomic
def ruleset_create_version(
    *,
    rules: list[dict[str, Any]],
    policy: dict[str, Any],
    actor: Any,
    note: str = "",
    effective_from: Any = None,
) -> RuleSet:
    """A new draft version; parameters are validated rule by rule (ValueError names the field)."""
    cleaned = [
        {
            "code": r["code"],
            "enabled": bool(r.get("enabled", True)),
            "params": validate_params(r["code"], r.get("params") or {}),
        }
        for r in rules
    ]
    policy_from_dict(policy)
    latest = RuleSet.objects.select_for_update().order_by("-version").first()
    ruleset = RuleSet.objects.create(
        version=(latest.version + 1) if latest else 1,
        rules=cleaned,
        policy=policy,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
        effective_from=effective_from or timezone.now(),
    )
    audit_record(
        actor=actor,
        action="ruleset.create",
        object_type="ruleset",
        object_id=ruleset.version,
        before={"version": latest.version, "rules": latest.rules, "policy": latest.policy}
        if latest
        else None,
        after={
            "version": ruleset.version,
            "rules": cleaned,
            "policy": policy,
            "effective_from": ruleset.effective_from.isoformat(),
        },
        reason=note,
    )
    return ruleset


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
            )
        )
    return facts


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


def _seller_key(payload: dict[str, Any]) -> str | None:
    """The ``party_key`` of the seller (or, without one, the sender) of a declaration payload."""
    party = payload.get("seller") or payload.get("sender") or {}
    name = party.get("name")
    if not name:
        return None
    country = (party.get("address") or {}).get("country") or ""
    return party_key(PartyFacts(str(name), "", "", "", str(country)))


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


def _record_tax_number_sellers(declarations: Sequence[Any]) -> None:
    """Remember the (number, seller) pairs of assessed declarations; existing pairs are kept as
    they are. Rows go in key order so concurrent batches never wait on each other in a cycle."""
    pairs: dict[tuple[str, str], int] = {}
    for d in declarations:
        key = _seller_key(d.payload) if d.tax_scheme_number else None
        if key:
            pairs.setdefault((d.tax_scheme_number, key[:300]), d.pk)
    if not pairs:
        return
    rows = sorted(pairs.items())
    if connection.vendor != "postgresql":
        TaxNumberSeller.objects.bulk_create(
            [
                TaxNumberSeller(number=number, party_key=key, first_declaration_id=pk)
                for (number, key), pk in rows
            ],
            ignore_conflicts=True,
        )
        return
    table = connection.ops.quote_name(TaxNumberSeller._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (number, party_key, first_declaration_id, first_seen_at) "  # noqa: S608
            "SELECT n, k, d, now() FROM unnest(%s::text[], %s::text[], %s::bigint[]) "
            "AS v(n, k, d) ON CONFLICT DO NOTHING",
            [[n for (n, _), _ in rows], [k for (_, k), _ in rows], [pk for _, pk in rows]],
        )


def _false_positives() -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(entry_id), key)
        for entry_id, key in WatchlistFalsePositive.objects.values_list("entry_id", "party_key")
    )


def load_batch_context(ruleset: RuleSet, declarations: Sequence[Declaration] = ()) -> BatchContext:
    """Lists and benchmarks, loaded once per batch."""
    from declarations.selectors import value_benchmarks

    from .valuation import reference_book

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
        random_seed=f"ruleset-{ruleset.version}",
    )


# --- the learned model at assessment time -------------------------------------------------------

_model_cache: dict[str, Any] = {"key": None, "model": None, "promoted": False}


def current_model() -> tuple[int | None, TrainedModel | None]:
    """The newest trained model (cached per process until another row is the newest: the key
    holds the row and its training time, so a database rebuilt under a running process, with a
    new model of the same version number, is never answered from the cache)."""
    newest = (
        RiskModel.objects.order_by("-version").values_list("version", "pk", "trained_at").first()
    )
    if newest is None:
        return None, None
    version = newest[0]
    if _model_cache["key"] != newest:
        blob, metrics = (
            RiskModel.objects.filter(version=version).values_list("blob", "metrics").first()
        )
        _model_cache.update(
            key=newest,
            model=TrainedModel.loads(blob),
            promoted=bool((metrics or {}).get("promoted")),
        )
    return version, _model_cache["model"]


# Issue 17: what a promoted model's flag weighs. A model is promoted only when it beat the rules
# on the same held-out outcomes (``learning.train``); it then adds a hit like a rule, at least a
# documentary check, never reducing what the rules decided.
MODEL_HIT_SCORE = 40
MODEL_HIT_MIN_CHANNEL = "yellow"


def _with_promoted_model(
    facts: Sequence[Facts],
    outcomes: list[Outcome],
    version: int | None,
    scored: list[tuple[float, list[dict]]] | None,
    ruleset: RuleSet,
) -> list[Outcome]:
    if not scored or version is None or not _model_cache.get("promoted"):
        return outcomes
    from .channels import decide
    from .learning import FLAG_PROBABILITY
    from .rules import Hit

    policy = policy_from_dict(ruleset.policy)
    result = []
    for fact, outcome, (probability, _features) in zip(facts, outcomes, scored, strict=True):
        if probability < FLAG_PROBABILITY:
            result.append(outcome)
            continue
        hits = [h for h in outcome.hits if h.rule_code != "random_selection"]
        hits.append(
            Hit(
                "learned_model",
                MODEL_HIT_SCORE,
                f"learned model v{version} (promoted: it beat the rules on held-out outcomes) "
                f"gives a probability of non-compliance of {probability:.0%}",
                MODEL_HIT_MIN_CHANNEL,
                {"probability": round(probability, 4), "model_version": version},
            )
        )
        result.append(
            decide(
                hits,
                declaration_id=fact.declaration_id,
                is_aeo=fact.operator_is_aeo,
                random_seed=f"ruleset-{ruleset.version}",
                policy=policy,
                aeo_score_factor=fact.aeo_score_factor,
                aeo_random_factor=fact.aeo_random_factor,
            )
        )
    return result


def _model_scores(
    facts: Sequence[Facts], context: BatchContext
) -> tuple[int | None, list[tuple[float, list[dict]]] | None]:
    version, model = current_model()
    if model is None:
        return None, None
    try:
        return version, model.explain([raw_features(f, context) for f in facts])
    except Exception:  # a broken model must never stop clearance; the rules still decide
        logger.exception("learned model v%s failed; assessing without it", version)
        return None, None


# --- assessment ---------------------------------------------------------------------------------


def _evaluate(
    declarations: Sequence[Declaration], ruleset: RuleSet
) -> tuple[list[Outcome], int | None, list[tuple[float, list[dict]]] | None]:
    facts = build_facts(declarations)
    context = load_batch_context(ruleset, declarations)
    outcomes = evaluate_batch(facts, ruleset.rules, context, policy_from_dict(ruleset.policy))
    model_version, scored = _model_scores(facts, context)
    outcomes = _with_promoted_model(facts, outcomes, model_version, scored, ruleset)
    return outcomes, model_version, scored


def _hit_values(assessment_id: int, hit: Any) -> dict[str, Any]:
    return {
        "assessment_id": assessment_id,
        "rule_code": hit.rule_code,
        "score": hit.score,
        "explanation": hit.explanation[:500],
        "min_channel": hit.min_channel or "",
        # The explanation's message id and parameters, so pages render it in French too.
        "data": _jsonable(with_message(hit.confidential_data, hit.explanation)),
    }


def _hit_rows(assessment: RiskAssessment, outcome: Outcome) -> list[RiskHit]:
    return [RiskHit(**_hit_values(assessment.pk, hit)) for hit in outcome.hits]


def _assessment_values(
    outcome: Outcome, model_version: int | None, scored: tuple[float, list[dict]] | None
) -> dict[str, Any]:
    return {
        "score": outcome.score,
        "channel": outcome.channel,
        "random_selected": outcome.random_selected,
        "model_version": model_version if scored else None,
        "model_probability": Decimal(str(round(scored[0], 4))) if scored else None,
        "model_features": scored[1] if scored else [],
    }


def _store_new(
    declarations: Sequence[Declaration],
    outcomes: Sequence[Outcome],
    ruleset: RuleSet,
    model_version: int | None,
    scored: Sequence | None,
) -> None:
    """The hot path: one transaction and bulk statements for the batch. A redelivered batch (or
    a race with another worker) collides with the unique constraint and falls back row by row."""
    try:
        with transaction.atomic():
            now = timezone.now()
            assessment_ids = insert_rows(
                RiskAssessment,
                [
                    {
                        "declaration_id": d.pk,
                        "revision": d.revision,
                        "ruleset_id": ruleset.pk,
                        "created_at": now,
                        **_assessment_values(o, model_version, scored[i] if scored else None),
                    }
                    for i, (d, o) in enumerate(zip(declarations, outcomes, strict=True))
                ],
            )
            insert_rows(
                RiskHit,
                [
                    _hit_values(assessment_id, hit)
                    for assessment_id, outcome in zip(assessment_ids, outcomes, strict=True)
                    for hit in outcome.hits
                ],
            )
            # Risk's stamp on the declarations (channel, score, the revision assessed), in the
            # same transaction: completion reads the stamps, never risk's tables.
            declarations_record_risk(
                results=[
                    (d.pk, d.revision, o.channel, o.score)
                    for d, o in zip(declarations, outcomes, strict=True)
                ]
            )
            _record_tax_number_sellers(declarations)
        return
    except IntegrityError:
        logger.info("risk batch partly stored already; storing row by row")
    for i, (d, o) in enumerate(zip(declarations, outcomes, strict=True)):
        _store_one(d, o, ruleset, model_version, scored[i] if scored else None, replace=False)


def _store_one(
    declaration: Any,
    outcome: Outcome,
    ruleset: RuleSet,
    model_version: int | None,
    scored: tuple[float, list[dict]] | None,
    *,
    replace: bool,
) -> bool:
    """Store one assessment; with ``replace`` an existing one for the same (declaration, revision,
    rule set) is updated in place (a watchlist change re-assesses under the same version)."""
    values = _assessment_values(outcome, model_version, scored)
    with transaction.atomic():
        existing = (
            RiskAssessment.objects.select_for_update()
            .filter(declaration_id=declaration.pk, revision=declaration.revision, ruleset=ruleset)
            .first()
        )
        if existing is not None and not replace:
            logger.info(
                "risk for declaration %s revision %s already stored",
                declaration.pk,
                declaration.revision,
            )
            return False
        if existing is None:
            assessment = RiskAssessment.objects.create(
                declaration_id=declaration.pk,
                revision=declaration.revision,
                ruleset=ruleset,
                **values,
            )
        else:
            assessment = existing
            for name, value in values.items():
                setattr(assessment, name, value)
            assessment.created_at = timezone.now()
            assessment.save()
            assessment.hits.all().delete()
        RiskHit.objects.bulk_create(_hit_rows(assessment, outcome))
        declarations_set_risk_bulk(
            results=[(declaration.pk, declaration.revision, outcome.channel, outcome.score)]
        )
        _record_tax_number_sellers([declaration])
    return True


def _assessed_revisions(declaration_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(declaration id, revision) pairs risk has already assessed, under any rule set."""
    rows = values_in(
        RiskAssessment,
        ("declaration_id", "revision"),
        "declaration_id",
        declaration_ids,
        distinct=True,
    )
    return {(declaration_id, revision) for declaration_id, revision in rows}


def _restamp(declarations: Sequence[Any]) -> None:
    """Stamp again the result risk already stored for these (declaration, revision) pairs: the
    stamp goes with the assessment in one transaction, so this only repairs rows written before
    stamps existed; it costs one query when there are any."""
    if not declarations:
        return
    revisions = {d.pk: d.revision for d in declarations}
    latest: dict[int, tuple[str, int]] = {}
    for declaration_id, revision, channel, score in (
        RiskAssessment.objects.filter(declaration_id__in=list(revisions))
        .order_by("declaration_id", "-created_at", "-id")
        .values_list("declaration_id", "revision", "channel", "score")
    ):
        if revision == revisions[declaration_id]:
            latest.setdefault(declaration_id, (channel, score))
    declarations_record_risk(
        results=[(pk, revisions[pk], channel, score) for pk, (channel, score) in latest.items()]
    )


def risk_assess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Assess a batch under the active rule set; one assessment per (declaration, revision, rule set)."""
    ruleset = active_ruleset()
    rows = risk_rows(declaration_ids)
    done = _assessed_revisions([d.pk for d in rows if d.status == Status.ACCEPTED])
    declarations = [
        d for d in rows if d.status == Status.ACCEPTED and (d.pk, d.revision) not in done
    ]
    # Already assessed by risk (a redelivered task): completion may still be owed.
    pending = {d.pk for d in declarations}
    _restamp([d for d in rows if (d.pk, d.revision) in done])
    declarations_complete_assessment_bulk(
        declaration_ids=[pk for pk in declaration_ids if pk not in pending]
    )
    if not declarations:
        return 0
    outcomes, model_version, scored = _evaluate(declarations, ruleset)
    _store_new(declarations, outcomes, ruleset, model_version, scored)
    # Completion is a no-op until revenue has assessed the same revision. Our assessments are
    # committed before this call, and revenue completes after committing its own, so one of the
    # two always completes the declaration (and copies the channel onto it).
    declarations_complete_assessment_bulk(declaration_ids=[d.pk for d in declarations])
    return len(declarations)


# Not yet released: a new rule set, a watchlist change or new data may still change the channel.
PENDING_STATUSES = OPEN
REASSESS_BATCH = 500


def risk_reassess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Re-assess pending declarations under the active rule set (after a rule-set activation or a
    watchlist change): a new assessment row for a new version, the same row updated for the same
    version; the denormalised channel follows. Released consignments are left alone. Safe to run
    twice: the second run writes the same result."""
    ruleset = active_ruleset()
    declarations = [d for d in risk_rows(declaration_ids) if d.status in PENDING_STATUSES]
    if not declarations:
        return 0
    outcomes, model_version, scored = _evaluate(declarations, ruleset)
    for i, (declaration, outcome) in enumerate(zip(declarations, outcomes, strict=True)):
        _store_one(
            declaration,
            outcome,
            ruleset,
            model_version,
            scored[i] if scored else None,
            replace=True,
        )
    # Still-accepted declarations may now have both assessments for their revision.
    declarations_complete_assessment_bulk(
        declaration_ids=[d.pk for d in declarations if d.status == Status.ACCEPTED]
    )
    return len(declarations)


def pending_declaration_ids() -> list[int]:
    return list(
        Declaration.objects.filter(status__in=PENDING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def enqueue_reassessment(*, reason: str) -> None:
    """After commit, send the re-assessment of every pending declaration (in batches) to Celery."""

    def send() -> None:
        from .tasks import reassess_pending

        try:
            reassess_pending.delay(reason)
        except Exception:  # broker down: logged; the analyst can re-activate, nothing is lost
            logger.exception("could not enqueue the re-assessment of pending declarations")

    transaction.on_commit(send)


def reassess_pending_fan_out(*, reason: str) -> int:
    """Split the pending declarations into batches, one Celery task each."""
    from .tasks import reassess_batch

    ids = pending_declaration_ids()
    for start in range(0, len(ids), REASSESS_BATCH):
        reassess_batch.delay(ids[start : start + REASSESS_BATCH])
    logger.info("re-assessing %d pending declarations (%s)", len(ids), reason)
    return len(ids)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if isinstance(v, Decimal) else v for v in value]
        else:
            out[key] = (
                value
                if isinstance(value, str | int | float | bool | type(None) | dict)
                else str(value)
            )
    return out


# --- analyst changes: every change is a new draft version, audited ----------------------------


def ruleset_working_base() -> RuleSet:
    """The version an analyst's next change starts from: the newest draft newer than the active
    version, else the active version."""
    active = active_ruleset()
    draft = (
        RuleSet.objects.filter(state=RuleSet.State.DRAFT, version__gt=active.version)
        .order_by("-version")
        .first()
    )
    return draft or active


def ruleset_edit_rule(
    *,
    base: RuleSet,
    code: str,
    enabled: bool,
    params: dict[str, Any],
    actor: Any,
    note: str = "",
) -> RuleSet:
    """A new draft version equal to ``base`` with one rule changed (ValueError names the field)."""
    rules = [dict(r) for r in base.rules]
    for rule in rules:
        if rule["code"] == code:
            rule["enabled"] = enabled
            rule["params"] = params
            break
    else:
        rules.append({"code": code, "enabled": enabled, "params": params})
    return ruleset_create_version(
        rules=rules,
        policy=base.policy,
        actor=actor,
        note=note or f"rule {code} changed",
        effective_from=base.effective_from,
    )


def ruleset_edit_policy(
    *,
    base: RuleSet,
    policy: dict[str, Any],
    effective_from: Any,
    actor: Any,
    note: str = "",
) -> RuleSet:
    """A new draft version with new thresholds, random and target rates or effective date."""
    return ruleset_create_version(
        rules=base.rules,
        policy=policy,
        actor=actor,
        note=note or "channel policy changed",
        effective_from=effective_from,
    )


class ActivationRefused(ValueError):
    pass


def ruleset_activate(*, ruleset_id: int, actor: Any, note: str = "") -> RuleSet:
    """Make a draft the active version (the previous one is retired), audited; then every pending
    declaration is re-assessed under it by Celery, in batches."""
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
        if ruleset.state != RuleSet.State.DRAFT:
            raise ActivationRefused(f"version {ruleset.version} is {ruleset.state}, not a draft")
        if ruleset.effective_from > timezone.now():
            raise ActivationRefused(
                f"version {ruleset.version} takes effect on {ruleset.effective_from:%Y-%m-%d %H:%M}"
                " UTC; activate it from then on"
            )
        previous = list(RuleSet.objects.select_for_update().filter(state=RuleSet.State.ACTIVE))
        RuleSet.objects.filter(pk__in=[p.pk for p in previous]).update(state=RuleSet.State.RETIRED)
        ruleset.state = RuleSet.State.ACTIVE
        ruleset.activated_at = timezone.now()
        ruleset.save(update_fields=["state", "activated_at"])
        audit_record(
            actor=actor,
            action="ruleset.activate",
            object_type="ruleset",
            object_id=ruleset.version,
            before={"active_version": [p.version for p in previous]},
            after={"active_version": ruleset.version},
            reason=note,
        )
        enqueue_reassessment(reason=f"rule set v{ruleset.version} activated")
    return ruleset


# --- outcomes -----------------------------------------------------------------------------------


# Findings that hold the goods under a case (docs/lifecycle.md, "Outcomes drive the next step").
OUTCOME_CASES = {
    **dict.fromkeys(SEIZURE_RESULTS, Case.Kind.SEIZURE),
    InspectionOutcome.Result.UNDERVALUATION: Case.Kind.REVALUATION,
}


def outcome_record(
    *,
    declaration_id: int,
    officer: Any,
    result: str,
    revised_value_eur: Decimal | None = None,
    note: str = "",
) -> InspectionOutcome:
    """An officer records what a check found: it feeds hit rates and the learned model."""
    if result not in InspectionOutcome.Result.values:
        raise ValueError(f"unknown result '{result}'")
    declaration = Declaration.objects.get(pk=declaration_id)
    with transaction.atomic():
        outcome = _outcome_store(declaration, officer, result, revised_value_eur, note)
        case_kind = OUTCOME_CASES.get(result)
        if case_kind is not None:
            # The finding drives the next step: the goods are held under a seizure (prohibited,
            # counterfeit) or revaluation (undervaluation) case until a supervisor closes it.
            lifecycle.case_open(
                declaration_id=declaration.pk,
                kind=case_kind,
                finding=result,
                actor=officer,
                note=note,
            )
    return outcome


def _outcome_store(
    declaration: Declaration,
    officer: Any,
    result: str,
    revised_value_eur: Decimal | None,
    note: str,
) -> InspectionOutcome:
    outcome = InspectionOutcome.objects.create(
        declaration=declaration,
        officer=officer if getattr(officer, "pk", None) else None,
        result=result,
        revised_value_eur=revised_value_eur,
        note=note,
    )
    audit_record(
        actor=officer,
        action="risk.outcome",
        object_type="declaration",
        object_id=declaration.pk,
        before={"declared_value_eur": str(declaration.total_value_eur)},
        after={
            "result": result,
            "revised_value_eur": str(revised_value_eur) if revised_value_eur is not None else None,
        },
        reason=note,
    )
    return outcome


# --- watchlists ---------------------------------------------------------------------------------

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
    *, entry_id: int, party_key: str, actor: Any, reason: str = ""
) -> WatchlistFalsePositive:
    """An officer clears a watchlist match for one party: the pair stops firing, and pending
    declarations are re-assessed."""
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
            enqueue_reassessment(reason="watchlist false positive")
    return marked


# --- the learned model --------------------------------------------------------------------------


def _outcome_labels() -> dict[int, int]:
    labels: dict[int, int] = {}
    for declaration_id, result in InspectionOutcome.objects.values_list("declaration_id", "result"):
        bad = int(result != InspectionOutcome.Result.COMPLIANT)
        labels[declaration_id] = max(labels.get(declaration_id, 0), bad)
    return labels


def training_rows_with_rules(
    labels: dict[int, int] | None = None,
) -> tuple[list[dict[str, Any]], list[int], list[int], list[bool]]:
    """Features and labels of every declaration with an outcome, and what the active rules make
    of the same declarations (score; held in yellow or red, random draws left out): the model
    is compared with the rules on the same data before it may be promoted."""
    labels = _outcome_labels() if labels is None else labels
    ids = sorted(labels)
    rows: list[dict[str, Any]] = []
    ys: list[int] = []
    scores: list[int] = []
    held: list[bool] = []
    ruleset = active_ruleset()
    policy = policy_from_dict(ruleset.policy)
    no_draw = ChannelPolicy(
        thresholds=policy.thresholds,
        random_rates={},
        aeo_score_factor=policy.aeo_score_factor,
        aeo_random_factor=policy.aeo_random_factor,
        target_rates=policy.target_rates,
    )
    for start in range(0, len(ids), 1000):
        chunk = list(
            Declaration.objects.filter(pk__in=ids[start : start + 1000])
            .select_related("operator")
            .order_by("pk")
        )
        context = load_batch_context(ruleset, chunk)
        facts_list = build_facts(chunk)
        outcomes = evaluate_batch(facts_list, ruleset.rules, context, no_draw)
        for facts, outcome in zip(facts_list, outcomes, strict=True):
            rows.append(raw_features(facts, context))
            ys.append(labels[facts.declaration_id])
            scores.append(outcome.score)
            held.append(outcome.channel in ("yellow", "red"))
    return rows, ys, scores, held


def risk_model_train(*, actor: Any = None) -> RiskModel | None:
    """Train a new model version on outcome history; None (and nothing stored) with fewer than
    ``MIN_OUTCOMES`` outcomes or outcomes of a single kind."""
    rows, labels, rule_scores, rule_held = training_rows_with_rules()
    if len(rows) < MIN_OUTCOMES or len(set(labels)) < 2:
        logger.info("learned model not trained: %d outcomes", len(rows))
        return None
    model, metrics = train(rows, labels, rule_scores, rule_held)
    with transaction.atomic():
        latest = RiskModel.objects.select_for_update().order_by("-version").first()
        stored = RiskModel.objects.create(
            version=(latest.version + 1) if latest else 1,
            samples=len(rows),
            metrics=metrics,
            features=list(FEATURES),
            blob=model.dumps(),
        )
        audit_record(
            actor=actor,
            action="risk_model.train",
            object_type="risk_model",
            object_id=stored.version,
            before={"version": latest.version} if latest else None,
            after={"version": stored.version, "metrics": metrics},
        )
    return stored
