"""Every write on declarations: intake, the one status-transition service, arrivals, assessment completion."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bulk import copy_rows, fetch_binary, field_defaults, reserve_ids
from declarations.messages import stored as stored_message

from . import lifecycle
from .carriers import carrier_ids_for
from .coalesce import assessment_request
from .errors import Problem
from .models import (
    CHANNEL_PRIORITY,
    Declaration,
    DeclarationItem,
    Profile,
    QualityFinding,
    RejectionCount,
    Status,
    StatusEvent,
)
from .normalise import party_key
from .quality import QualityContext, assess_quality
from .rates import RateBook
from .reference import active_profiles
from .schemas import (
    body_fingerprint,
    canonical_dict,
    declaration_fingerprint,
    validate_declaration,
)
from .statuses import AMENDABLE, INVALIDATABLE

# The lifecycle owns every status change; these names stay for the callers that use them.
declaration_transition = lifecycle.transition
declaration_claim = lifecycle.claim
TransitionNotAllowed = lifecycle.TransitionNotAllowed

logger = logging.getLogger(__name__)

ASSESSMENT_TASKS = ("risk.assess_batch", "revenue.assess_batch")


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
            message=stored_message(f.detail),
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
        canonical = canonical_dict(result.declaration)
        candidates.append(
            (index, canonical, declaration_fingerprint(result.declaration, canonical))
        )

    existing = _existing_by_lrn(operator, [c[1]["lrn"] for c in candidates])
    fresh: list[tuple[int, dict[str, Any], str]] = []
    first_in_batch: dict[str, tuple[int, str]] = {}
    repeats: list[
        tuple[int, int]
    ] = []  # (index, index of the first occurrence of the same lrn and body)
    for index, canonical, fingerprint in candidates:
        lrn = canonical["lrn"]
        prior = existing.get(lrn)
        if prior is not None:
            outcomes[index] = _replay_or_conflict(prior, fingerprint, bodies[index])
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
        except Exception:  # noqa: BLE001 - settled row by row below, each failure its own answer
            # A concurrent retry stored one of these lrns between our read and write, or one row
            # could not be written: settle row by row, so that one row never fails the others.
            created = {}
            for row in fresh:
                try:
                    with transaction.atomic():
                        created.update(_store(operator, [row], profiles, rates, now))
                except IntegrityError:
                    prior = Declaration.objects.filter(operator=operator, lrn=row[1]["lrn"]).first()
                    outcomes[row[0]] = (
                        _replay_or_conflict(prior, row[2], bodies[row[0]])
                        if prior is not None
                        else _not_storable(row[1]["lrn"])
                    )
                except Exception:  # noqa: BLE001 - this row's 422, never the batch's 500
                    logger.exception("declaration %r could not be stored", row[1]["lrn"])
                    outcomes[row[0]] = _not_storable(row[1]["lrn"])
        for index, declaration in created.items():
            outcomes[index] = SubmitOutcome(201, declaration=declaration)
    for index, first_index in repeats:
        first = outcomes[first_index]
        outcomes[index] = SubmitOutcome(200, declaration=first.declaration) if first else None
    _count_rejections(operator, sum(1 for o in outcomes if o is not None and o.status == 422))
    return [o if o is not None else SubmitOutcome(409) for o in outcomes]


def _not_storable(lrn: str) -> SubmitOutcome:
    # Validation and the columns agree on every bound (customs_ecom.platform.bounds), so this answers only
    # a fault of the system; it is logged and names the declaration, and nothing of it is stored.
    return SubmitOutcome(
        422,
        errors=[
            Problem(
                "",
                "not_storable",
                f"the declaration {lrn!r} passed validation but could not be stored; nothing "
                "of it was kept, and the fault was logged",
            )
        ],
    )


def _existing_by_lrn(operator: Operator, lrns: list[str]) -> dict[str, Declaration]:
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


def _conflict_problem(lrn: str) -> Problem:
    return Problem(
        "/lrn",
        "lrn_conflict",
        f"lrn {lrn!r} was already used by this operator with a different body",
    )


def _same_body(stored: str, fingerprint: str, body: object) -> bool:
    """The stored fingerprint is the declaration's (numbers in normal form), or, for declarations
    stored before that form, the hash of the body as it was sent."""
    return stored == fingerprint or (body is not None and stored == body_fingerprint(body))


def _replay_or_conflict(prior: Declaration, fingerprint: str, body: object = None) -> SubmitOutcome:
    if _same_body(prior.fingerprint, fingerprint, body):
        return SubmitOutcome(200, declaration=prior)
    return SubmitOutcome(409, errors=[_conflict_problem(prior.lrn)])


def _store(
    operator: Operator,
    rows: list[tuple[int, dict[str, Any], str]],
    profiles: dict[str, tuple[int, Any]],
    rates: RateBook,
    now: datetime,
) -> dict[int, Declaration]:
    """Score and write a batch: on PostgreSQL ids are reserved in one statement and the declarations,
    items, findings and events are streamed with COPY (four statements for any batch size); elsewhere
    bulk inserts. Either way inside the caller's transaction, so a failure writes nothing."""
    from .benchmarks import manifest_facts_many
    from .selectors import value_benchmarks

    benchmarks = value_benchmarks()
    manifests = manifest_facts_many(
        (c["transport_document"]["number"] for _, c, _ in rows),
        carrier_ids=carrier_ids_for(operator.pk),
    )
    records: list[dict[str, Any]] = []
    reports = []
    for _, canonical, fingerprint in rows:
        context = _quality_context(
            canonical, rates, now, benchmarks=benchmarks, manifests=manifests
        )
        report = assess_quality(canonical, context)
        reports.append(report)
        records.append(
            {
                "operator_id": operator.pk,
                "lrn": canonical["lrn"],
                "profile_id": profiles[canonical["dataset"]][0],
                "payload": canonical,
                "fingerprint": fingerprint,
                "dq_score": report.score,
                "received_at": now,
                "updated_at": now,
                "enqueued_at": now,
                **_columns(canonical, rates, now),
            }
        )
    if connection.vendor == "postgresql" and len(records) >= COPY_THRESHOLD:
        ids = _copy_store(operator, records, reports, now)
        declarations = [_stored(pk, record) for pk, record in zip(ids, records, strict=True)]
    else:
        declarations = [Declaration(**record) for record in records]
        shown = {
            pk: Profile(pk=pk, code=code, version=spec.version, spec={})
            for code, (pk, spec) in profiles.items()
        }
        for declaration in declarations:
            declaration.profile = shown[declaration.profile_id]
        Declaration.objects.bulk_create(declarations)
        items: list[DeclarationItem] = []
        findings: list[QualityFinding] = []
        events: list[StatusEvent] = []
        for declaration, record, report in zip(declarations, records, reports, strict=True):
            items.extend(_items(declaration, record["payload"]))
            own_findings = _findings(declaration, report)
            findings.extend(own_findings)
            event = StatusEvent(
                declaration=declaration,
                operator=operator,
                from_status="",
                to_status=Status.ACCEPTED,
                at=now,
            )
            events.append(event)
            # What the 201 answer shows is in memory already: no query to read it back.
            declaration._prefetched_objects_cache = {
                "events": [event],
                "quality_findings": own_findings,
            }
        DeclarationItem.objects.bulk_create(items)
        QualityFinding.objects.bulk_create(findings)
        StatusEvent.objects.bulk_create(events)
        ids = [d.pk for d in declarations]
    assessment_request(ids)
    return {
        index: declaration for (index, _, _), declaration in zip(rows, declarations, strict=True)
    }


# COPY costs two round trips per table where INSERT costs one: it pays from a few dozen rows on.
COPY_THRESHOLD = 50


def _stored(pk: int, record: dict[str, Any]) -> Declaration:
    """A Declaration instance for a row just written by COPY, without re-reading it and without
    Model.__init__ (a thousand of them per batch): the record's values over the fields' defaults,
    callable defaults called for each instance so that no two share a mutable value."""
    fixed, computed = field_defaults(Declaration)
    declaration = Declaration.__new__(Declaration)
    values = declaration.__dict__
    values.update(fixed)
    for model_field in computed:
        values[model_field.attname] = model_field.get_default()
    values.update(record)
    values["id"] = pk
    state = ModelState()
    state.adding = False
    state.db = "default"
    values["_state"] = state
    return declaration


def _copy_store(
    operator: Operator, records: list[dict[str, Any]], reports: list[Any], now: datetime
) -> list[int]:
    """The PostgreSQL hot path of intake: reserve ids, then COPY the four tables."""
    import uuid

    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor: COPY is not part of the DB-API
        ids = reserve_ids(cursor, Declaration, len(records))
        # Declarations first: the id column is filled from the reserved sequence values.
        _copy_declarations(cursor, ids, records)

        def item_rows():
            for pk, record in zip(ids, records, strict=True):
                for item in record["payload"]["items"]:
                    quantity = item.get("quantity")
                    mass = item.get("net_mass_kg")
                    yield {
                        "declaration_id": pk,
                        "line": item["line"],
                        "description": item["description"],
                        "hs_code": item.get("hs_code") or "",
                        "quantity": Decimal(str(quantity)) if quantity is not None else None,
                        "unit": item.get("unit") or "H87",
                        "net_mass_kg": Decimal(str(mass)) if mass is not None else None,
                        "value": Decimal(str(item["value"])),
                        "origin_country": item.get("origin_country") or "",
                    }

        copy_rows(cursor, DeclarationItem, item_rows())
        copy_rows(
            cursor,
            QualityFinding,
            (
                {
                    "declaration_id": pk,
                    "dimension": f.dimension,
                    "code": f.code,
                    "pointer": f.pointer[:120],
                    "detail": f.detail[:400],
                    "message": stored_message(f.detail),
                    "penalty": f.penalty,
                }
                for pk, report in zip(ids, reports, strict=True)
                for f in report.findings
            ),
        )
        copy_rows(
            cursor,
            StatusEvent,
            (
                {
                    "event_id": uuid.uuid4(),
                    "declaration_id": pk,
                    "operator_id": operator.pk,
                    "from_status": "",
                    "to_status": str(Status.ACCEPTED),
                    "at": now,
                }
                for pk in ids
            ),
        )
    return ids


def _copy_declarations(cursor: Any, ids: list[int], records: list[dict[str, Any]]) -> None:
    copy_rows(
        cursor,
        Declaration,
        ({"id": pk, **record} for pk, record in zip(ids, records, strict=True)),
    )


def _arrival_follow_up(declaration: Declaration) -> None:
    """What happens to an assessed consignment once it has arrived: green and blue are released at
    once if every release guard allows it; one that risk holds back (a hit that needs an officer)
    goes to inspection; one that waits for its taxes stays until they are paid. Yellow waits for
    documents; red goes to inspection (docs/lifecycle.md)."""
    if declaration.status != Status.ASSESSED or declaration.arrived_at is None:
        return
    if declaration.channel in ("green", "blue"):
        try:
            lifecycle.transition(
                declaration_id=declaration.pk,
                to_status=Status.RELEASED,
                action="arrival",
                public_reason="released on arrival",
            )
        except lifecycle.LifecycleRefused as refused:
            if lifecycle.needs_an_officer(refused.refusals):
                lifecycle.transition(
                    declaration_id=declaration.pk,
                    to_status=Status.INSPECTION,
                    action="arrival",
                    public_reason="selected for inspection",
                    note="; ".join(f"{r.code}: {r}" for r in refused.refusals),
                )
            # Otherwise (consignee at the border): duties and taxes are collected before release
            # (Standard 8); the payment releases it (`declaration_release_if_cleared`).
    elif declaration.channel == "yellow":
        lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.DOCUMENTS_REQUESTED,
            action="arrival",
            public_reason="documents requested: invoice",
        )
    elif declaration.channel == "red":
        lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.INSPECTION,
            action="arrival",
            public_reason="selected for inspection",
        )


def declaration_release_if_cleared(*, declaration_id: int) -> Declaration | None:
    """After a payment: an arrived green or blue consignment that nothing holds any more is
    released, exactly as on arrival."""
    declaration = Declaration.objects.filter(pk=declaration_id).first()
    if declaration is not None:
        _arrival_follow_up(declaration)
        declaration.refresh_from_db(fields=["status"])
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


def declarations_record_risk(*, results: Sequence[tuple[int, int, str, int]]) -> None:
    """Risk's stamp: the channel and score it chose for (declaration_id, revision, channel, score)
    rows, and the revision it assessed (denormalised for the queue; stale revisions are ignored).
    ``updated_at`` is left alone: the channel is customs' own and never shown to the operator,
    whose listing cursor follows ``updated_at``."""
    if not results:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                # table name from the model, values as parameters
                f"UPDATE {table} AS d SET channel = v.channel, risk_score = v.score, "  # noqa: S608
                "priority = v.priority, risk_revision = v.revision "
                "FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::integer[], "
                "%s::integer[]) AS v(id, revision, channel, score, priority) "
                "WHERE d.id = v.id AND d.revision = v.revision",
                [
                    [r[0] for r in results],
                    [r[1] for r in results],
                    [r[2] for r in results],
                    [r[3] for r in results],
                    [CHANNEL_PRIORITY.get(r[2], 0) * 1000 + r[3] for r in results],
                ],
            )
        return
    groups: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for declaration_id, revision, channel, score in results:
        groups[(revision, channel, score)].append(declaration_id)
    for (revision, channel, score), ids in groups.items():
        Declaration.objects.filter(pk__in=ids, revision=revision).update(
            channel=channel,
            risk_score=score,
            priority=CHANNEL_PRIORITY.get(channel, 0) * 1000 + score,
            risk_revision=revision,
        )


# Re-assessments (a new rule set, a watchlist change) record their result the same way.
declarations_set_risk_bulk = declarations_record_risk


def declarations_record_tax(*, revisions: Sequence[tuple[int, int]]) -> None:
    """Revenue's stamp: the revision it has assessed, for (declaration_id, revision) pairs (stale
    revisions are ignored; stamping twice changes nothing)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for declaration_id, revision in revisions:
        groups[revision].append(declaration_id)
    for revision, ids in groups.items():
        Declaration.objects.filter(pk__in=ids, revision=revision).exclude(
            tax_revision=revision
        ).update(tax_revision=revision)


def declarations_complete_assessment_bulk(*, declaration_ids: Sequence[int]) -> list[int]:
    """Called by the risk and revenue tasks after each has stamped its part: the declarations
    whose current revision both have assessed become `assessed` through the lifecycle (one
    transaction, rows locked in id order, so the two workers completing overlapping batches wait
    for each other instead of deadlocking). Whoever stamps second completes, so nothing is
    missed. Consignments that arrived before their assessment finished move on at once. Returns
    the ids completed."""
    if not declaration_ids:
        return []
    # A look without locks first: most calls find nothing to do (the other half of the
    # assessment is still running), and locking rows to learn that costs more than the rest.
    ready = dict(
        Declaration.objects.filter(
            pk__in=list(declaration_ids),
            status=Status.ACCEPTED,
            risk_revision=F("revision"),
            tax_revision=F("revision"),
        ).values_list("pk", "arrived_at")
    )
    if not ready:
        return []
    outcome = lifecycle.transition_bulk(
        declaration_ids=list(ready),
        to_status=Status.ASSESSED,
        action="assessment",
        public_reason={
            pk: "assessed" if arrived else "assessed, awaiting arrival"
            for pk, arrived in ready.items()
        },
    )
    arrived = [pk for pk in outcome.done if ready[pk] is not None]
    for declaration in Declaration.objects.filter(pk__in=arrived) if arrived else ():
        _arrival_follow_up(declaration)
    return outcome.done


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


# --- Intake after acceptance: amendments, invalidation, returns, manifests, documents -------------

AMENDABLE_STATUSES = AMENDABLE
INVALIDATABLE_STATUSES = INVALIDATABLE


class IntakeRefused(Exception):
    """A well-formed request the declaration's state refuses (409), with the problems to report."""

    def __init__(self, code: str, problems: list[Problem], status: int = 409) -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems
        self.status = status


def _operator_label(operator: Operator) -> str:
    return f"operator:{operator.code}"


def _tax_scheme(payload: dict[str, Any]) -> tuple[str, str]:
    scheme = payload.get("vendor_tax_scheme") or {}
    return scheme.get("scheme", ""), scheme.get("number", "")


def declaration_amend(
    *, operator: Operator, declaration_id: int, body: object
) -> tuple[int, Declaration | None, list[Problem]]:
    """Replace a declaration by a corrected full body before release: re-validated under the current
    profile, revision + 1, back to `accepted` through the one transition service, and re-assessed by
    risk and revenue. The same body again is a no-op (200). A tax-scheme number is frozen once the
    goods are released (api.md). Returns (status, declaration, problems)."""
    profiles = active_profiles()
    specs = {code: spec for code, (_, spec) in profiles.items()}
    rates = RateBook()
    now = timezone.now()
    result = validate_declaration(body, profiles=specs, rate_lookup=rates, today=now.date())
    if result.errors or result.declaration is None:
        return 422, None, list(result.errors)
    canonical = canonical_dict(result.declaration)
    fingerprint = declaration_fingerprint(result.declaration, canonical)
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .filter(operator=operator, pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        if canonical["lrn"] != declaration.lrn:
            return (
                422,
                None,
                [
                    Problem(
                        "/lrn",
                        "lrn_mismatch",
                        f"an amendment keeps the lrn {declaration.lrn!r}, got {canonical['lrn']!r}",
                    )
                ],
            )
        if _same_body(declaration.fingerprint, fingerprint, body):
            return 200, declaration, []
        if declaration.status not in AMENDABLE_STATUSES:
            released = declaration.released_at is not None
            if released and _tax_scheme(canonical) != _tax_scheme(declaration.payload):
                raise IntakeRefused(
                    "tax_scheme_number_frozen",
                    [
                        Problem(
                            "/vendor_tax_scheme",
                            "tax_scheme_number_frozen",
                            "the tax-scheme number cannot be added, changed or removed after "
                            "release",
                        )
                    ],
                )
            raise IntakeRefused(
                "amendment_not_allowed",
                [
                    Problem(
                        "",
                        "amendment_not_allowed",
                        f"a declaration in status {declaration.status!r} can no longer be amended",
                    )
                ],
            )
        before = {"revision": declaration.revision, "fingerprint": declaration.fingerprint}
        from .benchmarks import manifest_facts_many
        from .selectors import value_benchmarks

        context = _quality_context(
            canonical,
            rates,
            declaration.received_at,
            benchmarks=value_benchmarks(),
            manifests=manifest_facts_many(
                [canonical["transport_document"]["number"]],
                carrier_ids=carrier_ids_for(operator.pk),
            ),
            arrived_at=declaration.arrived_at,
        )
        report = assess_quality(canonical, context)
        columns = _columns(canonical, rates, declaration.received_at)
        # The case file's timeline shows what an amendment changed, field by field.
        changes = {
            name: [_audit_value(getattr(declaration, name)), _audit_value(value)]
            for name, value in columns.items()
            if getattr(declaration, name) != value
        }
        for name, value in columns.items():
            setattr(declaration, name, value)
        declaration.payload = canonical
        declaration.fingerprint = fingerprint
        declaration.profile_id = profiles[canonical["dataset"]][0]
        declaration.dq_score = report.score
        declaration.revision += 1
        declaration.updated_at = now
        declaration.enqueued_at = now
        declaration.save()
        declaration.items.all().delete()
        declaration.quality_findings.all().delete()
        DeclarationItem.objects.bulk_create(_items(declaration, canonical))
        QualityFinding.objects.bulk_create(_findings(declaration, report))
        audit_record(
            actor=_operator_label(operator),
            action="declaration.amend",
            object_type="declaration",
            object_id=declaration.pk,
            before=before,
            after={
                "revision": declaration.revision,
                "fingerprint": fingerprint,
                "changes": changes,
            },
        )
        if declaration.status != Status.ACCEPTED:
            declaration = declaration_transition(
                declaration_id=declaration.pk,
                to_status=Status.ACCEPTED,
                actor=_operator_label(operator),
                public_reason="amended, being assessed again",
            )
        assessment_request([declaration.pk])
    return 200, declaration, []


def _audit_value(value: Any) -> Any:
    """A column value as JSON for an audit row (Decimal and dates as text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def declaration_invalidate(*, operator: Operator, declaration_id: int, reason: str) -> Declaration:
    """Cancel a declaration that will not be shipped (api.md). After release the goods are reported
    with `POST /api/v1/returns` instead."""
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .filter(operator=operator, pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        if declaration.status == Status.INVALIDATED:
            return declaration
        if declaration.status not in INVALIDATABLE_STATUSES:
            raise IntakeRefused(
                "invalidation_not_allowed",
                [
                    Problem(
                        "",
                        "invalidation_not_allowed",
                        f"a declaration in status {declaration.status!r} cannot be invalidated"
                        + ("; report a return instead" if declaration.released_at else ""),
                    )
                ],
            )
        return declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.INVALIDATED,
            actor=_operator_label(operator),
            public_reason="invalidated by the declarant",
            note=reason,
        )


def declaration_return(
    *, operator: Operator, lrn: str, transport_document: dict[str, str], reason: str = ""
) -> Declaration:
    """Goods sent back after release with a new transport document: `released` -> `returned`;
    revenue reacts to the status change and starts the refund."""
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update().filter(operator=operator, lrn=lrn).first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        if declaration.status == Status.RETURNED:
            return declaration
        if declaration.status != Status.RELEASED:
            raise IntakeRefused(
                "return_not_allowed",
                [
                    Problem(
                        "/lrn",
                        "return_not_allowed",
                        f"only released goods can be returned; this declaration is "
                        f"{declaration.status!r}",
                    )
                ],
            )
        return declaration_transition(
            declaration_id=declaration.pk,
            to_status=Status.RETURNED,
            actor=_operator_label(operator),
            public_reason=f"returned under {transport_document['type']} "
            f"{transport_document['number']}",
            note=reason,
            changes={"return_transport_document": dict(transport_document)},
        )


def manifest_record(
    *, operator: Operator, reference: str, lines: Sequence[dict[str, Any]]
) -> tuple[Any, int]:
    """Store a carrier manifest and re-score the data quality of declarations already received for
    the same transport documents (the second source may come after the first). Returns the manifest
    and how many declarations were re-scored."""
    from .benchmarks import manifest_facts_many
    from .carriers import carried_operator_ids
    from .models import Manifest, ManifestLine
    from .selectors import value_benchmarks

    with transaction.atomic():
        manifest = Manifest.objects.create(operator=operator, reference=reference[:64])
        ManifestLine.objects.bulk_create(
            ManifestLine(
                manifest=manifest,
                transport_document_number=line["transport_document"],
                packages=line.get("packages"),
                gross_mass_kg=line.get("gross_mass_kg"),
                declared_value=line.get("declared_value"),
                currency=line.get("currency") or "",
                description=(line.get("description") or "")[:512],
            )
            for line in lines
        )
        numbers = {line["transport_document"] for line in lines}
        # Only the carrier's own consignments and those of the operators it carries for
        # (declarations.carriers): another operator's are neither touched nor counted.
        facts = manifest_facts_many(numbers, carrier_ids=[operator.pk])
        open_statuses = (Status.ACCEPTED, Status.ASSESSED, Status.DOCUMENTS_REQUESTED)
        touched = list(
            Declaration.objects.filter(
                transport_document_number__in=numbers,
                status__in=open_statuses,
                operator_id__in=carried_operator_ids(operator),
            )
        )
        if not touched:
            return manifest, 0
        rates = RateBook()
        benchmarks = value_benchmarks()
        QualityFinding.objects.filter(declaration__in=touched).delete()
        findings: list[QualityFinding] = []
        for declaration in touched:
            context = _quality_context(
                declaration.payload,
                rates,
                declaration.received_at,
                benchmarks=benchmarks,
                manifests=facts,
                arrived_at=declaration.arrived_at,
            )
            report = assess_quality(declaration.payload, context)
            declaration.dq_score = report.score
            findings.extend(_findings(declaration, report))
        Declaration.objects.bulk_update(touched, ["dq_score"])
        QualityFinding.objects.bulk_create(findings)
    return manifest, len(touched)


def document_attach(
    *,
    operator: Operator,
    declaration_id: int,
    doc_type: str,
    content: bytes,
    content_type: str,
    extension: str,
    original_name: str,
) -> Any:
    """Store an uploaded document under MEDIA_ROOT (never in the database) and list it for officers."""
    import hashlib

    from django.core.files.base import ContentFile

    from .models import Document

    with transaction.atomic():
        declaration = Declaration.objects.filter(operator=operator, pk=declaration_id).first()
        if declaration is None:
            raise Declaration.DoesNotExist
        document = Document(
            declaration=declaration,
            operator=operator,
            type=doc_type,
            original_name=original_name[:200],
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        document.file.save(f"upload.{extension}", ContentFile(content), save=False)
        document.save()
        audit_record(
            actor=_operator_label(operator),
            action="declaration.document",
            object_type="declaration",
            object_id=declaration.pk,
            after={"document": document.pk, "type": doc_type, "sha256": document.sha256},
        )
    return document


# --- Reference data maintained by administrators: exchange rates and profile versions -------------


@dataclass
class RateLoadResult:
    """Outcome of a CSV load: rows stored (0 when any row failed) and the per-row errors."""

    loaded: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


RATE_CSV_COLUMNS = ("currency", "valid_from", "units_per_eur")


def exchange_rates_load(
    *, text: str, actor: Any, source: str = "official", reason: str = ""
) -> RateLoadResult:
    """Load official monthly customs rates from CSV (`currency,valid_from,units_per_eur`, units of the
    currency per 1 EUR from that day). All or nothing: one bad row loads no row, and every bad row is
    reported with its line number. Re-loading a month replaces its rate; the change is audited."""
    import csv
    import io
    from datetime import date
    from decimal import InvalidOperation

    from .codelists import is_currency
    from .models import ExchangeRate

    result = RateLoadResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in RATE_CSV_COLUMNS if c not in header]
    if missing:
        result.errors.append(
            {"line": 1, "column": ",".join(missing), "error": "missing column(s) in the header"}
        )
        return result
    parsed: dict[tuple[str, date], Decimal] = {}
    for line_no, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        currency = row.get("currency", "").upper()
        if not is_currency(currency) or currency == "EUR":
            result.errors.append(
                {"line": line_no, "column": "currency", "error": f"{currency!r} is not a currency"}
            )
            continue
        try:
            valid_from = date.fromisoformat(row.get("valid_from", ""))
        except ValueError:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "valid_from",
                    "error": f"{row.get('valid_from')!r} is not a date (YYYY-MM-DD)",
                }
            )
            continue
        try:
            rate = Decimal(row.get("units_per_eur", ""))
            if not rate.is_finite() or rate <= 0 or rate >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "units_per_eur",
                    "error": f"{row.get('units_per_eur')!r} is not a positive decimal",
                }
            )
            continue
        if (currency, valid_from) in parsed:
            result.errors.append(
                {
                    "line": line_no,
                    "column": "valid_from",
                    "error": f"{currency} {valid_from} appears twice in the file",
                }
            )
            continue
        parsed[(currency, valid_from)] = rate.quantize(Decimal("0.000001"))
    if result.errors or not parsed:
        if not parsed and not result.errors:
            result.errors.append({"line": 1, "column": "", "error": "the file has no rows"})
        return result
    with transaction.atomic():
        existing = {
            (r.currency, r.valid_from): r
            for r in ExchangeRate.objects.select_for_update().filter(
                source=source, currency__in={c for c, _ in parsed}
            )
        }
        before: dict[str, str] = {}
        for (currency, valid_from), rate in parsed.items():
            row = existing.get((currency, valid_from))
            if row is None:
                ExchangeRate.objects.create(
                    currency=currency, valid_from=valid_from, units_per_eur=rate, source=source
                )
            elif row.units_per_eur != rate:
                before[f"{currency} {valid_from}"] = str(row.units_per_eur)
                row.units_per_eur = rate
                row.loaded_at = timezone.now()
                row.save(update_fields=["units_per_eur", "loaded_at"])
        audit_record(
            actor=actor,
            action="exchange_rates.load",
            object_type="exchange_rate",
            object_id=source,
            before=before or None,
            after={f"{c} {d}": str(r) for (c, d), r in sorted(parsed.items())},
            reason=reason,
        )
    result.loaded = len(parsed)
    return result


def profile_publish(*, spec_data: dict[str, Any], actor: Any, reason: str = "") -> Any:
    """Publish a new version of a reference-dataset profile: it validates every declaration received
    from now on, while stored declarations keep the version that validated them."""
    from django.db.models import Max

    from .models import Profile
    from .profiles import ProfileSpec
    from .reference import invalidate_profile_cache

    with transaction.atomic():
        code = str(spec_data.get("code", ""))
        current = (
            Profile.objects.select_for_update()
            .filter(code=code)
            .aggregate(Max("version"))["version__max"]
            or 0
        )
        data = {**spec_data, "version": current + 1}
        spec = ProfileSpec.from_dict(data)  # raises ValueError/KeyError on a malformed spec
        previous = Profile.objects.filter(code=code, is_active=True).order_by("-version").first()
        Profile.objects.filter(code=code, is_active=True).update(is_active=False)
        profile = Profile.objects.create(
            code=spec.code, version=spec.version, spec=spec.to_dict(), is_active=True
        )
        audit_record(
            actor=actor,
            action="profile.publish",
            object_type="profile",
            object_id=profile.pk,
            before={"code": code, "version": previous.version, "spec": previous.spec}
            if previous
            else None,
            after={"code": code, "version": profile.version, "spec": profile.spec},
            reason=reason,
        )
        transaction.on_commit(invalidate_profile_cache)
    invalidate_profile_cache()
    return profile


# --- File import for officers (CSV/XLSX from an operator without an API) ---------------------------

IMPORT_CHUNK = 200


def import_job_create(*, operator: Operator, user: Any, name: str, content: bytes) -> Any:
    """Record an uploaded file and start its import in the background (after commit)."""
    from django.core.files.base import ContentFile

    from .models import ImportJob

    with transaction.atomic():
        job = ImportJob(operator=operator, created_by=user, original_name=name[:200])
        suffix = "xlsx" if name.lower().endswith(".xlsx") else "csv"
        job.file.save(f"import.{suffix}", ContentFile(content), save=False)
        job.save()
        audit_record(
            actor=user,
            action="declarations.import",
            object_type="operator",
            object_id=operator.pk,
            after={"job": job.pk, "file": name[:200], "bytes": len(content)},
        )
        job_id = job.pk

        def start() -> None:
            from celery import current_app

            try:
                current_app.tasks["declarations.import_file"].apply_async(args=[job_id])
            except Exception:  # broker down: the job stays pending and the sweeper sends it
                if current_app.conf.task_always_eager:
                    raise
                logger.warning("could not enqueue import job %s; the sweeper will", job_id)

        transaction.on_commit(start)
    return job


def import_job_run(*, job_id: int) -> Any:
    """Read the file, submit its declarations in chunks through the same intake as the API, and keep
    the progress and per-row errors on the job. Safe to run twice: a finished job is left alone, and
    an lrn already stored with the same body is a replay, not a duplicate."""
    from .imports import ImportFileError, assemble, read_rows, row_for_pointer
    from .models import ImportJob

    job = ImportJob.objects.select_related("operator").filter(pk=job_id).first()
    if job is None or job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        imported = assemble(read_rows(job.original_name, content))
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, message=str(exc)[:400], finished_at=timezone.now()
        )
        return job
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(imported), processed=0)
    errors: list[dict[str, Any]] = []
    accepted = rejected = 0
    for start in range(0, len(imported), IMPORT_CHUNK):
        chunk = imported[start : start + IMPORT_CHUNK]
        outcomes = declarations_submit(operator=job.operator, bodies=[d.body for d in chunk])
        for declaration, outcome in zip(chunk, outcomes, strict=True):
            if outcome.declaration is not None:
                accepted += 1
                continue
            rejected += 1
            for problem in outcome.errors:
                row, column = row_for_pointer(declaration, problem.pointer)
                errors.append(
                    {
                        "row": row,
                        "lrn": declaration.lrn,
                        "column": column,
                        "pointer": problem.pointer,
                        "code": problem.code,
                        "detail": problem.detail,
                    }
                )
        ImportJob.objects.filter(pk=job.pk).update(
            processed=start + len(chunk), accepted=accepted, rejected=rejected
        )
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.DONE, errors=errors, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
