"""Assessment: a batch of accepted declarations assessed under the active rule set (one
assessment per declaration, revision and rule set, stored in bulk), the re-assessment of pending
declarations in place, and risk's stamp on the declarations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bulk import insert_rows, values_in
from declarations.lifecycle import kpi_days_changed
from declarations.messages import with_message
from declarations.models import Declaration, Status
from declarations.services import (
    declarations_complete_assessment_bulk,
    declarations_record_risk,
    declarations_set_risk_bulk,
)

from ..channels import CHANNELS, Outcome, evaluate_batch
from ..facts import PartyFacts, party_key
from ..models import (
    FOUR_EYES_RULES,
    FourEyesFlag,
    RiskAssessment,
    RiskHit,
    RuleSet,
    TaxNumberSeller,
)
from ..selectors import PENDING_STATUSES
from .batch import build_facts, load_batch_context, risk_rows
from .learning import _model_scores, _with_promoted_model
from .rulesets import active_ruleset, policy_from_dict

logger = logging.getLogger(__name__)

# Customs' control under way: a re-assessment never lowers the channel of these.
UNDER_CONTROL = (Status.DOCUMENTS_REQUESTED, Status.INSPECTION)
CHANNEL_RANK = {channel: rank for rank, channel in enumerate(CHANNELS)}


def _seller_key(payload: dict[str, Any]) -> str | None:
    """The ``party_key`` of the seller (or, without one, the sender) of a declaration payload."""
    party = payload.get("seller") or payload.get("sender") or {}
    name = party.get("name")
    if not name:
        return None
    country = (party.get("address") or {}).get("country") or ""
    return party_key(PartyFacts(str(name), "", "", "", str(country)))


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


def _flag_four_eyes(pairs: Sequence[tuple[Any, Outcome]]) -> None:
    """Keep for good that a four-eyes rule hit these revisions (`FourEyesFlag`): a later
    re-assessment replaces the hits, the flag stays."""
    flags = [
        FourEyesFlag(declaration_id=d.pk, revision=d.revision, rule_code=hit.rule_code)
        for d, outcome in pairs
        for hit in outcome.hits
        if hit.rule_code in FOUR_EYES_RULES
    ]
    if flags:
        FourEyesFlag.objects.bulk_create(flags, ignore_conflicts=True)


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
            _flag_four_eyes(list(zip(declarations, outcomes, strict=True)))
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
    channel: str | None = None,
) -> bool:
    """Store one assessment; with ``replace`` an existing one for the same (declaration, revision,
    rule set) is updated in place (a watchlist change re-assesses under the same version).
    ``channel``, when given, is the one written on the declaration instead of the outcome's (a
    control under way keeps its channel)."""
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
        _flag_four_eyes([(declaration, outcome)])
        declarations_set_risk_bulk(
            results=[
                (declaration.pk, declaration.revision, channel or outcome.channel, outcome.score)
            ]
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


def risk_reassess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Re-assess pending declarations under the active rule set (after a rule-set activation or a
    watchlist change): a new assessment row for a new version, the same row updated for the same
    version; the denormalised channel follows. Released consignments are left alone, one released
    while it was being re-assessed too. Safe to run twice: the second run writes the same result."""
    ruleset = active_ruleset()
    declarations = [d for d in risk_rows(declaration_ids) if d.status in PENDING_STATUSES]
    if not declarations:
        return 0
    outcomes, model_version, scored = _evaluate(declarations, ruleset)
    changed_days = []
    stored = 0
    for i, (declaration, outcome) in enumerate(zip(declarations, outcomes, strict=True)):
        result = _reassess_one(
            declaration, outcome, ruleset, model_version, scored[i] if scored else None
        )
        if result is None:
            continue
        stored += 1
        if result[0] not in (None, result[1]):
            changed_days.append(declaration.received_at)
    # The channel mix of the days those consignments were received changed too.
    with transaction.atomic():
        kpi_days_changed(changed_days)
    # Still-accepted declarations may now have both assessments for their revision.
    declarations_complete_assessment_bulk(
        declaration_ids=[d.pk for d in declarations if d.status == Status.ACCEPTED]
    )
    return stored


def _reassess_one(
    declaration: Any,
    outcome: Outcome,
    ruleset: RuleSet,
    model_version: int | None,
    scored: tuple[float, list[dict]] | None,
) -> tuple[str | None, str] | None:
    """Store one re-assessment, decided on the declaration as it is now (under its row lock,
    taken after the assessment's as on every path): one released, withdrawn or amended since it
    was read is left alone (None); a control under way (documents asked for, an inspection)
    keeps its channel when the rules would now pick a lower one, so it stays in the triage queue
    and an officer ends the control; the assessment itself is stored as the rules decided. A
    channel that changes is on the consignment's audit trail. Returns (channel before, after)."""
    with transaction.atomic():
        RiskAssessment.objects.select_for_update().filter(
            declaration_id=declaration.pk, revision=declaration.revision, ruleset=ruleset
        ).exists()
        current = (
            Declaration.objects.select_for_update()
            .filter(pk=declaration.pk)
            .values_list("status", "channel", "risk_score", "revision")
            .first()
        )
        if current is None:
            return None
        status, before, score, revision = current
        if status not in PENDING_STATUSES or revision != declaration.revision:
            return None
        written = (
            before
            if status in UNDER_CONTROL
            and before in CHANNEL_RANK
            and CHANNEL_RANK[before] > CHANNEL_RANK[outcome.channel]
            else outcome.channel
        )
        _store_one(
            declaration, outcome, ruleset, model_version, scored, replace=True, channel=written
        )
        if before and before != written:
            audit_record(
                actor=None,
                action="risk.reassessed",
                object_type="declaration",
                object_id=declaration.pk,
                before={"channel": before, "score": score},
                after={"channel": written, "score": outcome.score},
                reason=f"re-assessed under rule set {ruleset.version}",
            )
    return before, written


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
