"""Intake: validate, score and store submitted declarations in bulk (COPY on PostgreSQL), answering
each body with its own outcome (created, replay, conflict, invalid)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone

from aeo.models import Operator
from customs_ecom.platform.bulk import copy_rows, field_defaults, insert_family, reserve_ids
from customs_ecom.platform.heap import collector_paused
from declarations.messages import stored as stored_message

from ..coalesce import assessment_request, coalesces, pending_written
from ..errors import Problem
from ..models import (
    OPEN_DOCUMENT_CONSTRAINT,
    Declaration,
    DeclarationItem,
    PendingAssessment,
    Profile,
    QualityFinding,
    RejectionCount,
    Status,
    StatusEvent,
)
from ..normalise import document_key
from ..quality import assess_quality
from ..rates import RateBook
from ..reference import active_profiles
from ..schemas import canonical_dict, declaration_fingerprint, validate_declaration
from ..selectors import declarations_by_lrn
from ..statuses import STILL_DECLARED
from ._common import _columns, _findings, _items, _quality_context, _same_body

logger = logging.getLogger(__name__)

# The database cannot be reached: the client must retry (503), its declaration is not at fault.
UNREACHABLE = (OperationalError, InterfaceError)


@dataclass
class SubmitOutcome:
    """The fate of one submitted body: 201 created, 200 replay of the same lrn and body, 409 same lrn with
    another body, 422 invalid."""

    status: int
    declaration: Declaration | None = None
    errors: list[Problem] = field(default_factory=list)


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
    enqueued on commit. Invalid bodies store nothing (a counter only); each body is independent.
    A batch runs without cyclic garbage collections (customs_ecom.platform.heap)."""
    with collector_paused(len(bodies) >= COPY_THRESHOLD):
        return _submit(operator, bodies)


def _submit(operator: Operator, bodies: Sequence[object]) -> list[SubmitOutcome]:
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

    if len(bodies) == 1 and len(candidates) == 1 and _one_statement():
        outcomes[0] = _submit_single(operator, candidates[0], bodies[0], profiles, rates, now)
        return [o if o is not None else SubmitOutcome(409) for o in outcomes]
    existing = declarations_by_lrn(operator=operator, lrns=[c[1]["lrn"] for c in candidates])
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
    fresh = _one_per_document(operator, fresh, outcomes)

    if fresh:
        try:
            with transaction.atomic():
                created = _store(operator, fresh, profiles, rates, now)
        except UNREACHABLE:
            raise  # the database is unreachable: 503 with Retry-After (platform middleware)
        except Exception:  # noqa: BLE001 - settled row by row below, each failure its own answer
            # A concurrent retry stored one of these lrns between our read and write, or one row
            # could not be written: settle row by row, so that one row never fails the others.
            created = {}
            for row in fresh:
                try:
                    with transaction.atomic():
                        created.update(_store(operator, [row], profiles, rates, now))
                except IntegrityError as exc:
                    outcomes[row[0]] = _not_written(operator, row, bodies[row[0]], exc)
                except UNREACHABLE:
                    raise
                except Exception:  # noqa: BLE001 - this row's 422, never the batch's 500
                    logger.exception("declaration %r could not be stored", row[1]["lrn"])
                    outcomes[row[0]] = _not_storable(row[1]["lrn"])
        for index, declaration in created.items():
            outcomes[index] = SubmitOutcome(201, declaration=declaration)
    for index, first_index in repeats:
        first = outcomes[first_index]
        # The same lrn and body again: a replay of what the first one got (a refusal too).
        outcomes[index] = (
            SubmitOutcome(200, declaration=first.declaration)
            if first is not None and first.declaration is not None
            else first
        )
    _count_rejections(operator, sum(1 for o in outcomes if o is not None and o.status == 422))
    return [o if o is not None else SubmitOutcome(409) for o in outcomes]


def _one_per_document(
    operator: Operator,
    fresh: list[tuple[int, dict[str, Any], str]],
    outcomes: list[SubmitOutcome | None],
) -> list[tuple[int, dict[str, Any], str]]:
    """The new declarations of a batch less those of a transport document this operator has
    declared already and not yet seen released, returned or withdrawn (statuses.STILL_DECLARED),
    or declared earlier in the same batch under another lrn: each of those is 409
    `transport_document_declared`. The constraint OPEN_DOCUMENT_CONSTRAINT refuses a concurrent
    one that this read cannot see."""
    if not fresh:
        return fresh
    keys = {index: document_key(c["transport_document"]["number"]) for index, c, _ in fresh}
    open_lrns = dict(
        Declaration.objects.filter(
            operator=operator,
            transport_document_key__in=set(keys.values()) - {""},
            status__in=STILL_DECLARED,
        ).values_list("transport_document_key", "lrn")
    )
    kept = []
    for row in fresh:
        index, canonical, _ = row
        key = keys[index]
        # Open under this very lrn: a concurrent retry stored it since the lrns were read; the
        # write below meets the lrn and answers the replay (or lrn_conflict).
        if key and key in open_lrns and open_lrns[key] != canonical["lrn"]:
            number = canonical["transport_document"]["number"]
            outcomes[index] = SubmitOutcome(409, errors=[_declared_problem(number, open_lrns[key])])
            continue
        if key:
            open_lrns[key] = canonical["lrn"]
        kept.append(row)
    return kept


def _is_document_conflict(exc: BaseException) -> bool:
    """Whether a write failed on OPEN_DOCUMENT_CONSTRAINT (another open declaration of the same
    transport document by this operator, stored concurrently)."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:  # PostgreSQL names the constraint
        return name == OPEN_DOCUMENT_CONSTRAINT
    return "transport_document_key" in str(exc)  # SQLite names its columns


def _declared_problem(number: str, lrn: str | None) -> Problem:
    under = f" under lrn {lrn!r}" if lrn else ""
    return Problem(
        "/transport_document/number",
        "transport_document_declared",
        f"transport document {number!r} is already declared by this operator{under}, and that "
        "declaration is neither released nor withdrawn: correct it with an amendment, or "
        "withdraw it (invalidation) before declaring the goods again",
    )


def _document_declared(operator: Operator, canonical: dict[str, Any]) -> SubmitOutcome:
    """409 for a declaration refused by OPEN_DOCUMENT_CONSTRAINT, naming the open one."""
    number = canonical["transport_document"]["number"]
    lrn = (
        Declaration.objects.filter(
            operator=operator,
            transport_document_key=document_key(number),
            status__in=STILL_DECLARED,
        )
        .values_list("lrn", flat=True)
        .first()
    )
    return SubmitOutcome(409, errors=[_declared_problem(number, lrn)])


def _not_written(
    operator: Operator,
    candidate: tuple[int, dict[str, Any], str],
    body: object,
    exc: BaseException | None = None,
) -> SubmitOutcome:
    """The answer to a declaration whose write stored nothing: its lrn's replay (or
    lrn_conflict) when that lrn is stored, for a concurrent retry of it may meet the document's
    constraint before its lrn's; 409 `transport_document_declared` when the write failed on
    OPEN_DOCUMENT_CONSTRAINT; otherwise 422 not_storable (the lrn was taken by a transaction that
    rolled back since, or the row could not be written)."""
    _, canonical, fingerprint = candidate
    prior = Declaration.objects.filter(operator=operator, lrn=canonical["lrn"]).first()
    if prior is not None:
        return _replay_or_conflict(prior, fingerprint, body)
    if exc is not None and _is_document_conflict(exc):
        return _document_declared(operator, canonical)
    return _not_storable(canonical["lrn"])


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


def _conflict_problem(lrn: str) -> Problem:
    return Problem(
        "/lrn",
        "lrn_conflict",
        f"lrn {lrn!r} was already used by this operator with a different body",
    )


def _replay_or_conflict(prior: Declaration, fingerprint: str, body: object = None) -> SubmitOutcome:
    if _same_body(prior.fingerprint, fingerprint, body):
        return SubmitOutcome(200, declaration=prior)
    return SubmitOutcome(409, errors=[_conflict_problem(prior.lrn)])


def _records(
    operator: Operator,
    rows: list[tuple[int, dict[str, Any], str]],
    profiles: dict[str, tuple[int, Any]],
    rates: RateBook,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Score a batch: each declaration's row (by attname) and its quality report."""
    from ..benchmarks import manifest_facts_many
    from ..selectors import value_benchmarks

    benchmarks = value_benchmarks()
    manifests = manifest_facts_many(
        (c["transport_document"]["number"] for _, c, _ in rows),
        declarant_id=operator.pk,
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
    return records, reports


def _one_statement() -> bool:
    """Whether a single declaration is written in one statement (PostgreSQL, coalesced
    assessment: the pending row is one of the statement's inserts)."""
    return connection.vendor == "postgresql" and coalesces(1)


def _submit_single(
    operator: Operator,
    candidate: tuple[int, dict[str, Any], str],
    body: object,
    profiles: dict[str, tuple[int, Any]],
    rates: RateBook,
    now: datetime,
) -> SubmitOutcome:
    """One valid declaration on PostgreSQL, most of the traffic: no lookup before the write. The
    declaration, its items, findings, first event and pending-assessment row are one statement
    that inserts nothing if the lrn is taken; only then is the stored one read, to answer a
    replay (200) or a conflict (409)."""
    lrn = candidate[1]["lrn"]
    try:
        if connection.in_atomic_block:  # an Idempotency-Key's transaction: keep it usable
            with transaction.atomic():
                declaration = _store_single(operator, candidate, profiles, rates, now)
        else:
            declaration = _store_single(operator, candidate, profiles, rates, now)
    except UNREACHABLE:
        raise  # the database is unreachable: 503 with Retry-After (platform middleware)
    except Exception as exc:  # noqa: BLE001 - this declaration's 422, never a 500
        if isinstance(exc, IntegrityError) and _is_document_conflict(exc):
            return _not_written(operator, candidate, body, exc)
        logger.exception("declaration %r could not be stored", lrn)
        return _not_storable(lrn)
    if declaration is not None:
        return SubmitOutcome(201, declaration=declaration)
    return _not_written(operator, candidate, body)


def _store_single(
    operator: Operator,
    candidate: tuple[int, dict[str, Any], str],
    profiles: dict[str, tuple[int, Any]],
    rates: RateBook,
    now: datetime,
) -> Declaration | None:
    """Score and write one declaration with ``insert_family``; None if its lrn is taken."""
    (record,), (report,) = _records(operator, [candidate], profiles, rates, now)
    declaration = _stored(0, record)
    findings = _findings(declaration, report)
    event = StatusEvent(
        declaration=declaration,
        operator=operator,
        from_status="",
        to_status=Status.ACCEPTED,
        at=now,
    )
    pk = insert_family(
        Declaration,
        record,
        [
            (DeclarationItem, "declaration_id", [_item_row(i) for i in record["payload"]["items"]]),
            (QualityFinding, "declaration_id", [_finding_row(f) for f in report.findings]),
            (StatusEvent, "declaration_id", [_event_row(event)]),
            (PendingAssessment, "declaration_id", [{"queued_at": now}]),
        ],
        conflict=("operator", "lrn"),
    )
    if pk is None:
        return None
    pending_written()
    declaration.pk = pk
    profile_pk, spec = profiles[record["dataset"]]
    declaration.profile = Profile(
        pk=profile_pk, code=record["dataset"], version=spec.version, spec={}
    )
    # What the 201 answer shows is in memory already: no query to read it back.
    declaration._prefetched_objects_cache = {"events": [event], "quality_findings": findings}
    return declaration


def _item_row(item: dict[str, Any]) -> dict[str, Any]:
    """A goods item's columns (by attname, without its declaration)."""
    quantity = item.get("quantity")
    mass = item.get("net_mass_kg")
    return {
        "line": item["line"],
        "description": item["description"],
        "hs_code": item.get("hs_code") or "",
        "quantity": Decimal(str(quantity)) if quantity is not None else None,
        "unit": item.get("unit") or "H87",
        "net_mass_kg": Decimal(str(mass)) if mass is not None else None,
        "value": Decimal(str(item["value"])),
        "origin_country": item.get("origin_country") or "",
    }


def _finding_row(finding: Any) -> dict[str, Any]:
    """A quality finding's columns (by attname, without its declaration)."""
    return {
        "dimension": finding.dimension,
        "code": finding.code,
        "pointer": finding.pointer[:120],
        "detail": finding.detail[:400],
        "message": stored_message(finding.detail),
        "penalty": finding.penalty,
    }


def _event_row(event: StatusEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "operator_id": event.operator_id,
        "from_status": event.from_status,
        "to_status": str(event.to_status),
        "at": event.at,
    }


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
    records, reports = _records(operator, rows, profiles, rates, now)
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
    callable defaults (those the record lacks) called for each instance so that no two share a
    mutable value."""
    fixed, computed = field_defaults(Declaration)
    declaration = Declaration.__new__(Declaration)
    values = declaration.__dict__
    values.update(fixed)
    for model_field in computed:
        if model_field.attname not in record:  # received_at and updated_at come with the record
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

        copy_rows(
            cursor,
            DeclarationItem,
            (
                {"declaration_id": pk, **_item_row(item)}
                for pk, record in zip(ids, records, strict=True)
                for item in record["payload"]["items"]
            ),
        )
        copy_rows(
            cursor,
            QualityFinding,
            (
                {"declaration_id": pk, **_finding_row(f)}
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
