"""Every write on declarations: intake, the one status-transition service, arrivals, assessment completion."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aeo.models import Operator
from aeo.services import audit_record

from .errors import Problem
from .models import (
    CHANNEL_PRIORITY,
    Declaration,
    DeclarationItem,
    QualityFinding,
    RejectionCount,
    Status,
    StatusEvent,
)
from .normalise import party_key
from .quality import QualityContext, assess_quality
from .rates import RateBook
from .reference import active_profiles
from .schemas import body_fingerprint, canonical_dict, validate_declaration

logger = logging.getLogger(__name__)

# The one table of allowed status changes (api.md "Statuses an operator sees").
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACCEPTED: frozenset({Status.ASSESSED, Status.INVALIDATED}),
    Status.ASSESSED: frozenset(
        {
            Status.RELEASED,
            Status.DOCUMENTS_REQUESTED,
            Status.INSPECTION,
            Status.INVALIDATED,
            Status.ACCEPTED,
        }
    ),
    Status.DOCUMENTS_REQUESTED: frozenset(
        {Status.RELEASED, Status.INSPECTION, Status.DETAINED, Status.INVALIDATED, Status.ACCEPTED}
    ),
    Status.INSPECTION: frozenset({Status.RELEASED, Status.DETAINED}),
    Status.DETAINED: frozenset({Status.RELEASED}),
    Status.RELEASED: frozenset({Status.RETURNED}),
    Status.INVALIDATED: frozenset(),
    Status.RETURNED: frozenset(),
}
ASSESSMENT_TASKS = ("risk.assess_batch", "revenue.assess_batch")


class TransitionNotAllowed(Exception):
    def __init__(self, declaration: Declaration, to_status: str) -> None:
        super().__init__(f"{declaration.status} -> {to_status} is not allowed")
        self.from_status = declaration.status
        self.to_status = to_status


@dataclass
class SubmitOutcome:
    """The fate of one submitted body: 201 created, 200 replay of the same lrn and body, 409 same lrn with
    another body, 422 invalid."""

    status: int
    declaration: Declaration | None = None
    errors: list[Problem] = field(default_factory=list)


def enqueue_assessment(declaration_ids: Sequence[int]) -> None:
    """Send risk and revenue work for these declarations. A broker failure is logged, not raised: the
    rows are committed and the beat sweeper re-enqueues whatever stays unassessed."""
    if not declaration_ids:
        return
    from celery import current_app

    ids = list(declaration_ids)
    for name in ASSESSMENT_TASKS:
        try:
            current_app.tasks[name].apply_async(args=[ids])
        except Exception:  # broker down: the database is the source of truth
            logger.exception(
                "could not enqueue %s for %d declarations; the sweeper will retry", name, len(ids)
            )
            if current_app.conf.task_always_eager:
                raise


def _parse_dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return parse_datetime(str(value))


def _columns(canonical: dict[str, Any], rates: RateBook, received: datetime) -> dict[str, Any]:
    items = canonical["items"]
    total = sum((Decimal(str(i["value"])) for i in items), Decimal(0))
    seller = canonical.get("seller") or {}
    consignee = canonical["consignee"]
    scheme = canonical.get("vendor_tax_scheme") or {}
    currency = canonical["currency"]
    return {
        "dataset": canonical["dataset"],
        "category": canonical["category"],
        "transport_mode": canonical.get("transport_mode") or "",
        "transport_document_type": canonical["transport_document"]["type"],
        "transport_document_number": canonical["transport_document"]["number"],
        "country_of_dispatch": canonical["country_of_dispatch"],
        "currency": currency,
        "total_value": total,
        "total_value_eur": rates.to_eur(total, currency, received.date()),
        "total_gross_mass_kg": Decimal(str(canonical["total_gross_mass_kg"])),
        "packages": int(canonical.get("packages") or 1),
        "item_count": len(items),
        "seller_name": (seller.get("name") or "")[:140],
        "consignee_name": consignee["name"][:140],
        "consignee_country": consignee["address"]["country"],
        "consignee_key": party_key(consignee),
        "tax_scheme": scheme.get("scheme", ""),
        "tax_scheme_number": scheme.get("number", ""),
        "expected_arrival": _parse_dt(canonical.get("expected_arrival")),
    }


def _items(declaration: Declaration, canonical: dict[str, Any]) -> list[DeclarationItem]:
    return [
        DeclarationItem(
            declaration=declaration,
            line=item["line"],
            description=item["description"],
            hs_code=item.get("hs_code") or "",
            quantity=Decimal(str(item["quantity"])) if item.get("quantity") is not None else None,
            unit=item.get("unit") or "H87",
            net_mass_kg=Decimal(str(item["net_mass_kg"]))
            if item.get("net_mass_kg") is not None
            else None,
            value=Decimal(str(item["value"])),
            origin_country=item.get("origin_country") or "",
        )
        for item in canonical["items"]
    ]


def _quality_context(
    canonical: dict[str, Any],
    rates: RateBook,
    received: datetime,
    *,
    benchmarks: Any = None,
    manifests: dict[str, Any] | None = None,
    **extra: Any,
) -> QualityContext:
    """The facts around one declaration. A batch passes the benchmarks and the manifest facts it read
    once for all its declarations, so scoring costs no query per row."""
    rate = rates(canonical["currency"], received.date())
    eur_per_unit = (Decimal(1) / rate) if rate else Decimal(1)
    from .selectors import manifest_facts_for, value_benchmarks

    number = canonical["transport_document"]["number"]
    return QualityContext(
        received_at=received,
        eur_per_unit=eur_per_unit,
        benchmarks=value_benchmarks() if benchmarks is None else benchmarks,
        manifest=manifests.get(number) if manifests is not None else manifest_facts_for(number),
        **extra,
    )


def _findings(declaration: Declaration, report: Any) -> list[QualityFinding]:
    return [
        QualityFinding(
            declaration=declaration,
            dimension=f.dimension,
            code=f.code,
            pointer=f.pointer[:120],
            detail=f.detail[:400],
            penalty=f.penalty,
        )
        for f in report.findings
    ]


def _count_rejections(operator: Operator, count: int) -> None:
    if not count:
        return
    today = timezone.localdate()
    updated = RejectionCount.objects.filter(operator=operator, day=today).update(
        count=F("count") + count
    )
    if not updated:
        try:
            with transaction.atomic():
                RejectionCount.objects.create(operator=operator, day=today, count=count)
        except IntegrityError:
            RejectionCount.objects.filter(operator=operator, day=today).update(
                count=F("count") + count
            )


def declarations_submit(*, operator: Operator, bodies: Sequence[object]) -> list[SubmitOutcome]:
    """Validate, score and store declarations in one transaction with bulk writes; risk and revenue are
    enqueued on commit. Invalid bodies store nothing (a counter only); each body is independent."""
    profiles = active_profiles()
    specs = {code: spec for code, (_, spec) in profiles.items()}
    rates = RateBook()
    now = timezone.now()
    outcomes: list[SubmitOutcome | None] = [None] * len(bodies)
    candidates: list[tuple[int, dict[str, Any], str]] = []
    for index, body in enumerate(bodies):
        result = validate_declaration(body, profiles=specs, rate_lookup=rates, today=now.date())
        if result.errors or result.declaration is None:
            outcomes[index] = SubmitOutcome(422, errors=list(result.errors))
            continue
        candidates.append((index, canonical_dict(result.declaration), body_fingerprint(body)))

    lrns = [c[1]["lrn"] for c in candidates]
    existing = (
        {
            d.lrn: d
            for d in Declaration.objects.filter(operator=operator, lrn__in=lrns).only(
                "id", "lrn", "fingerprint"
            )
        }
        if lrns
        else {}
    )
    fresh: list[tuple[int, dict[str, Any], str]] = []
    first_in_batch: dict[str, tuple[int, str]] = {}
    repeats: list[
        tuple[int, int]
    ] = []  # (index, index of the first occurrence of the same lrn and body)
    for index, canonical, fingerprint in candidates:
        lrn = canonical["lrn"]
        prior = existing.get(lrn)
        if prior is not None:
            outcomes[index] = _replay_or_conflict(prior, fingerprint)
        elif lrn in first_in_batch:
            first_index, first_fingerprint = first_in_batch[lrn]
            if first_fingerprint == fingerprint:
                repeats.append((index, first_index))
            else:
                outcomes[index] = SubmitOutcome(409, errors=[_conflict_problem(lrn)])
        else:
            first_in_batch[lrn] = (index, fingerprint)
            fresh.append((index, canonical, fingerprint))

    if fresh:
        try:
            with transaction.atomic():
                created = _store(operator, fresh, profiles, rates, now)
        except IntegrityError:
            # A concurrent retry stored one of these lrns between our read and write: settle row by row.
            created = {}
            for row in fresh:
                try:
                    with transaction.atomic():
                        created.update(_store(operator, [row], profiles, rates, now))
                except IntegrityError:
                    prior = Declaration.objects.get(operator=operator, lrn=row[1]["lrn"])
                    outcomes[row[0]] = _replay_or_conflict(prior, row[2])
        for index, declaration in created.items():
            outcomes[index] = SubmitOutcome(201, declaration=declaration)
    for index, first_index in repeats:
        first = outcomes[first_index]
        outcomes[index] = SubmitOutcome(200, declaration=first.declaration) if first else None
    _count_rejections(operator, sum(1 for o in outcomes if o is not None and o.status == 422))
    return [o if o is not None else SubmitOutcome(409) for o in outcomes]


def _conflict_problem(lrn: str) -> Problem:
    return Problem(
        "/lrn",
        "lrn_conflict",
        f"lrn {lrn!r} was already used by this operator with a different body",
    )


def _replay_or_conflict(prior: Declaration, fingerprint: str) -> SubmitOutcome:
    if prior.fingerprint == fingerprint:
        return SubmitOutcome(200, declaration=prior)
    return SubmitOutcome(409, errors=[_conflict_problem(prior.lrn)])


def _store(
    operator: Operator,
    rows: list[tuple[int, dict[str, Any], str]],
    profiles: dict[str, tuple[int, Any]],
    rates: RateBook,
    now: datetime,
) -> dict[int, Declaration]:
    from .benchmarks import manifest_facts_many
    from .selectors import value_benchmarks

    benchmarks = value_benchmarks()
    manifests = manifest_facts_many(c["transport_document"]["number"] for _, c, _ in rows)
    declarations: list[Declaration] = []
    reports = []
    for _, canonical, fingerprint in rows:
        context = _quality_context(
            canonical, rates, now, benchmarks=benchmarks, manifests=manifests
        )
        report = assess_quality(canonical, context)
        reports.append(report)
        declarations.append(
            Declaration(
                operator=operator,
                lrn=canonical["lrn"],
                profile_id=profiles[canonical["dataset"]][0],
                payload=canonical,
                fingerprint=fingerprint,
                dq_score=report.score,
                received_at=now,
                updated_at=now,
                enqueued_at=now,
                **_columns(canonical, rates, now),
            )
        )
    Declaration.objects.bulk_create(declarations)
    items: list[DeclarationItem] = []
    findings: list[QualityFinding] = []
    events: list[StatusEvent] = []
    for declaration, (_, canonical, _), report in zip(declarations, rows, reports, strict=True):
        items.extend(_items(declaration, canonical))
        findings.extend(_findings(declaration, report))
        events.append(
            StatusEvent(
                declaration=declaration,
                operator=operator,
                from_status="",
                to_status=Status.ACCEPTED,
                at=now,
            )
        )
    DeclarationItem.objects.bulk_create(items)
    QualityFinding.objects.bulk_create(findings)
    StatusEvent.objects.bulk_create(events)
    ids = [d.pk for d in declarations]
    transaction.on_commit(lambda: enqueue_assessment(ids))
    return {
        index: declaration for (index, _, _), declaration in zip(rows, declarations, strict=True)
    }


def declaration_transition(
    *,
    declaration_id: int,
    to_status: str,
    actor: Any = None,
    public_reason: str = "",
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> Declaration:
    """The one way to change a status: lock, check the table, write the change, the event and the audit
    row. A declaration already in `to_status` is returned unchanged (idempotent)."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if declaration.status == to_status:
            return declaration
        if to_status not in TRANSITIONS[declaration.status]:
            raise TransitionNotAllowed(declaration, to_status)
        before = {"status": declaration.status}
        now = timezone.now()
        declaration.status = to_status
        declaration.updated_at = now
        update_fields = ["status", "updated_at"]
        if to_status == Status.RELEASED:
            declaration.released_at = now
            update_fields.append("released_at")
        if to_status in (Status.RELEASED, Status.DETAINED, Status.INVALIDATED, Status.RETURNED):
            declaration.claimed_by = None
            declaration.claimed_at = None
            update_fields += ["claimed_by", "claimed_at"]
        for name, value in (changes or {}).items():
            setattr(declaration, name, value)
            update_fields.append(name)
        declaration.save(update_fields=update_fields)
        user = actor if getattr(actor, "pk", None) else None
        StatusEvent.objects.create(
            declaration=declaration,
            operator_id=declaration.operator_id,
            from_status=before["status"],
            to_status=to_status,
            at=now,
            actor=user,
            public_reason=public_reason[:300],
            note=note,
        )
        audit_record(
            actor=actor,
            action=f"declaration.{to_status}",
            object_type="declaration",
            object_id=declaration.pk,
            before=before,
            after={"status": to_status, "public_reason": public_reason},
            reason=note,
        )
        return declaration


def _arrival_follow_up(declaration: Declaration) -> None:
    """What happens to an assessed consignment once it has arrived: green and blue are released at once;
    yellow waits for documents; red goes to inspection (domain.md, lifecycle)."""
    if declaration.status != Status.ASSESSED or declaration.arrived_at is None:
        return
    if declaration.channel in ("green", "blue"):
        declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.RELEASED,
            public_reason="released on arrival",
        )
    elif declaration.channel == "yellow":
        declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.DOCUMENTS_REQUESTED,
            public_reason="documents requested: invoice",
        )
    elif declaration.channel == "red":
        declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.INSPECTION,
            public_reason="selected for inspection",
        )


def declaration_complete_assessment(*, declaration_id: int) -> Declaration | None:
    """Called by the risk and revenue tasks after each writes its part: once both have assessed the
    current revision, the declaration becomes `assessed` (and is released if it already arrived)."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
        if declaration is None:
            return None
        ready = (
            declaration.status == Status.ACCEPTED
            and declaration.risk_revision == declaration.revision
            and declaration.tax_revision == declaration.revision
        )
        if not ready:
            return declaration
        declaration = declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.ASSESSED,
            public_reason="assessed, awaiting arrival"
            if declaration.arrived_at is None
            else "assessed",
            changes={"assessed_at": timezone.now()},
        )
        _arrival_follow_up(declaration)
    return declaration


def arrivals_record(
    *, operator: Operator, transport_documents: Iterable[str]
) -> list[dict[str, Any]]:
    """A carrier reports arrival by transport document: stamp arrival, release green ones at once.
    Only the operator's own declarations are touched; unknown documents are reported back."""
    results: list[dict[str, Any]] = []
    now = timezone.now()
    for number in transport_documents:
        matches = list(
            Declaration.objects.filter(
                operator=operator, transport_document_number=number
            ).values_list("pk", flat=True)
        )
        if not matches:
            results.append({"transport_document": number, "found": False, "declarations": []})
            continue
        touched = []
        for pk in matches:
            with transaction.atomic():
                declaration = Declaration.objects.select_for_update().get(pk=pk)
                if declaration.arrived_at is None:
                    declaration.arrived_at = now
                    declaration.updated_at = now
                    declaration.save(update_fields=["arrived_at", "updated_at"])
                _arrival_follow_up(declaration)
            declaration.refresh_from_db(fields=["status"])
            touched.append(
                {"id": declaration.pk, "lrn": declaration.lrn, "status": declaration.status}
            )
        results.append({"transport_document": number, "found": True, "declarations": touched})
    return results


def declaration_set_risk(*, declaration_id: int, revision: int, channel: str, score: int) -> bool:
    """Record the channel chosen by risk for a revision (denormalised for the queue). False if stale."""
    updated = Declaration.objects.filter(pk=declaration_id, revision=revision).update(
        channel=channel,
        risk_score=score,
        priority=CHANNEL_PRIORITY.get(channel, 0) * 1000 + score,
        risk_revision=revision,
        updated_at=timezone.now(),
    )
    return bool(updated)


def declaration_set_taxes_done(*, declaration_id: int, revision: int) -> bool:
    updated = Declaration.objects.filter(pk=declaration_id, revision=revision).update(
        tax_revision=revision, updated_at=timezone.now()
    )
    return bool(updated)


def declaration_claim(*, declaration_id: int, user: Any) -> Declaration:
    """An officer claims a consignment so that two officers never work the same one."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if declaration.claimed_by_id and declaration.claimed_by_id != user.pk:
            raise PermissionError("claimed by another officer")
        if declaration.claimed_by_id != user.pk:
            declaration.claimed_by = user
            declaration.claimed_at = timezone.now()
            declaration.save(update_fields=["claimed_by", "claimed_at"])
            audit_record(
                actor=user,
                action="declaration.claim",
                object_type="declaration",
                object_id=declaration.pk,
            )
        return declaration


def requeue_unassessed(*, older_than: datetime, limit: int = 5000) -> int:
    """Find declarations that stayed `accepted` (crash between commit and enqueue, broker down) and send
    them again. The tasks are idempotent, so a duplicate is harmless."""
    ids = list(
        Declaration.objects.filter(status=Status.ACCEPTED, enqueued_at__lt=older_than)
        .order_by("enqueued_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    Declaration.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    for start in range(0, len(ids), 500):
        enqueue_assessment(ids[start : start + 500])
    logger.info("re-enqueued %d unassessed declarations", len(ids))
    return len(ids)
