"""The consignment lifecycle: the one owner of every status change.

Every change of a consignment's status, single or bulk (assessment completion, arrivals, payments,
officer decisions, amendments, invalidations, returns), goes through `transition` or
`transition_bulk`. Each checks the table of allowed changes (`statuses.TRANSITIONS`) and every
guard registered for the target status, writes the status event and the audit event in the same
transaction, and does nothing to a consignment already in the target status.

Guards are contributed at start-up (`AppConfig.ready()`) by the apps that own the facts:
declarations itself (arrival, open seizure or revaluation cases, assessment complete), risk (the
risk is cleared; four eyes on prohibited goods and watchlist matches) and revenue (the taxes due at
the border are paid). `declarations` imports none of them: they register here.

Officer decisions are actions (`ACTIONS`): the page offers exactly the actions
`available_actions` allows for this status, role and person, and `perform` checks them again
under the row lock. See docs/lifecycle.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bulk import insert_rows
from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.roles import (
    ADMINISTRATOR,
    CAN_ACT_ON_CONSIGNMENTS,
    SUPERVISOR,
    user_roles,
)

from .models import Case, Declaration, Profile, StatusEvent
from .statuses import CLOSED, ENDS_CLAIM, TRANSITIONS, Status

logger = logging.getLogger(__name__)

# Channels whose consignments an officer works (claims, documents, inspection).
CONTROLLED_CHANNELS = frozenset({"yellow", "red"})
CLEARED_CHANNELS = frozenset({"green", "blue"})
SUPERVISORS = frozenset({SUPERVISOR, ADMINISTRATOR})

# The columns a guard may read: loaded once for a whole batch.
GUARD_FIELDS = (
    "id",
    "operator_id",
    "profile_id",
    "lrn",
    "status",
    "channel",
    "revision",
    "risk_revision",
    "tax_revision",
    "arrived_at",
    "claimed_by_id",
    "claimed_at",
    "tax_scheme",
    "transport_document_type",
    "transport_document_number",
    "transport_document_key",
    "master_document_key",
    "received_at",
)


def kpi_days_changed(received: Iterable[Any]) -> None:
    """After the transaction commits, tell the KPIs that consignments received on these days
    changed (a status, a channel): the beat refreshes only today's and yesterday's aggregates,
    so an older day is refreshed on its own (extension point ``kpis.days_changed``, provided by
    the composing layer). Days within the beat's reach are left to it."""
    from customs_ecom.platform.extensions import call

    # KPI days are the installation's days (settings.TIME_ZONE), not the acting officer's.
    zone = timezone.get_default_timezone()
    recent = timezone.localdate(timezone=zone) - timedelta(days=1)
    days = sorted(
        {
            day
            for at in received
            if at is not None and (day := timezone.localdate(at, zone)) < recent
        }
    )
    if days:
        transaction.on_commit(lambda: call("kpis.days_changed", days))


# Declarations of the same goods whose holds still count: any but those released or returned
# (goods gone under their own declaration: a number used again names other goods).
_GOODS_GONE = (Status.RELEASED, Status.RETURNED)


def same_goods(declarations: Sequence[Declaration]) -> dict[int, list[tuple[int, str]]]:
    """For each consignment, the other declarations of the same goods, as (id, status): the same
    transport document (by its key: `normalise.document_key`), of any type, declared by any
    operator, withdrawn or still open. Customs' holds on those (a documents request, a finding, a
    four-eyes hit, a seizure) follow the goods into every other declaration of them, so that
    neither declaring the parcel again under a new lrn (after withdrawing the first or not), nor
    a second declarant, nor another document type ends any of them; and an open one under
    control holds the others (risk guard ``same_goods_under_control``). A declaration's transport
    document is what its goods travel under: nothing can confirm that a master waybill declared
    as one covers several consignments, so consignments of a consolidation are declared under
    their own house waybills (the master in `master_transport_document`). A declaration naming
    a master waybill as its transport document covers the goods of every house waybill under
    that master: it and each of them are the same goods (two house waybills of one master are
    not)."""
    # Each consignment's own key and its master waybill's, computed once.
    named = {d.pk: (_goods_key(d), _master_key(d)) for d in declarations}
    keys = {key for key, _master in named.values()} - {""}
    masters = {master for _key, master in named.values()} - {""}
    if not keys:
        return {}
    memo = _SAME_GOODS_MEMO.get()
    asked = frozenset(named.items())
    if memo is not None and asked in memo:
        return memo[asked]
    rows = (
        Declaration.objects.filter(
            Q(transport_document_key__in=keys | masters) | Q(master_document_key__in=keys)
        )
        .exclude(status__in=_GOODS_GONE)
        .values_list("pk", "transport_document_key", "master_document_key", "status")
    )
    by_key: dict[str, list[tuple[int, str]]] = {}
    under_master: dict[str, list[tuple[int, str]]] = {}
    for pk, key, master, status in rows:
        by_key.setdefault(key, []).append((pk, status))
        if master:
            under_master.setdefault(master, []).append((pk, status))
    found: dict[int, list[tuple[int, str]]] = {}
    for pk, (key, master) in named.items():
        candidates = [
            *by_key.get(key, ()),
            # declared under the master waybill d's house waybill travels in
            *(by_key.get(master, ()) if master else ()),
            # house waybills travelling under the master waybill d is declared under
            *(under_master.get(key, ()) if key else ()),
        ]
        others = list(dict.fromkeys(c for c in candidates if c[0] != pk))
        if others:
            found[pk] = others
    if memo is not None:
        memo[asked] = found
    return found


# While the guards of one change run, the declarations of the same goods are read once: several
# guards (four eyes, seizures, findings, documents, control) ask the same question of the same
# rows, and nothing is written between them.
_SAME_GOODS_MEMO: ContextVar[dict[frozenset, dict[int, list[tuple[int, str]]]] | None] = ContextVar(
    "same_goods_memo", default=None
)


def _goods_key(declaration: Any) -> str:
    from .normalise import document_key

    return getattr(declaration, "transport_document_key", "") or document_key(
        getattr(declaration, "transport_document_number", "")
    )


def _master_key(declaration: Any) -> str:
    """The key of the master waybill a consignment of a consolidation travels under, or ""."""
    return getattr(declaration, "master_document_key", "") or ""


# --- refusals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why the lifecycle refuses a change: the guard's stable code and a sentence in the reader's
    language (a lazy translation, rendered when shown)."""

    code: str
    message: Any

    def __str__(self) -> str:
        return str(self.message)


class LifecycleRefused(Exception):
    """A status change or an action the lifecycle refuses, with every reason."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__("; ".join(f"{r.code}: {r.message}" for r in refusals))
        self.refusals = list(refusals)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.refusals]


class TransitionNotAllowed(LifecycleRefused):
    """The table of allowed changes has no arrow from the current status to the target."""

    def __init__(self, declaration: Declaration, to_status: str) -> None:
        self.from_status = declaration.status
        self.to_status = to_status
        super().__init__([_not_allowed(declaration.status, to_status)])


def _not_allowed(from_status: str, to_status: str) -> Refusal:
    return Refusal(
        "transition_not_allowed",
        _("Not possible from status %(from)s to %(to)s.")
        % {"from": Status(from_status).label, "to": Status(to_status).label},
    )


# --- the guard registry -------------------------------------------------------------------------


# The paths on which a consignment moves because something happened to it rather than because
# someone decided (`services.arrivals`): a guard that needs a person's decision refuses them.
AUTOMATIC_ACTIONS = frozenset({"arrival", "payment"})


@dataclass(frozen=True)
class GuardContext:
    """Who asks for the change and through which path (an officer's action, an arrival, a
    payment, the system)."""

    actor: Any = None
    action: str = ""

    @property
    def person(self) -> Any:
        return self.actor if getattr(self.actor, "pk", None) else None

    @property
    def automatic(self) -> bool:
        """The change follows an event (an arrival, a payment), not a person's decision on the
        consignment, whoever recorded the event."""
        return self.action in AUTOMATIC_ACTIONS


# A guard's check: the consignments of a batch (rows with GUARD_FIELDS) in, {id: message} out for
# those it refuses. One call for a whole batch, so a guard reads its facts with one query.
GuardCheck = Callable[[Sequence[Declaration], GuardContext], Mapping[int, Any]]


@dataclass(frozen=True)
class Guard:
    code: str
    to_statuses: frozenset[str]
    check: GuardCheck
    owner: str = ""
    # Refused by this guard, a consignment that would have left on its own (green or blue, on
    # arrival) is put before an officer instead of waiting.
    holds_for_officer: bool = False
    # Where such a consignment waits for the officer: an inspection, unless the guard holds it for
    # documents customs asked for (``documents_requested``); ``None``: where the other guards
    # refusing it put it, an inspection when it is alone.
    holds_in: str | None = Status.INSPECTION


_GUARDS: dict[str, Guard] = {}


def register_guard(
    code: str,
    *,
    to_statuses: Iterable[str],
    check: GuardCheck,
    owner: str = "",
    holds_for_officer: bool = False,
    holds_in: str | None = Status.INSPECTION,
) -> None:
    """Register (or replace, by code) a guard for changes into these statuses. Called from
    `AppConfig.ready()` by the app that owns the facts the guard reads."""
    _GUARDS[code] = Guard(
        code, frozenset(str(s) for s in to_statuses), check, owner, holds_for_officer, holds_in
    )


def officer_hold(refusals: Sequence[Refusal]) -> str | None:
    """Where refusals put a consignment before an officer: ``None`` when no guard refusing needs
    one (it waits, as for unpaid taxes); ``documents_requested`` when every guard that does holds
    it for documents (guards without a place of their own follow the others); ``inspection``
    otherwise."""
    holding = [
        guard
        for r in refusals
        if (guard := _GUARDS.get(r.code)) is not None and guard.holds_for_officer
    ]
    if not holding:
        return None
    places = {guard.holds_in for guard in holding if guard.holds_in is not None}
    return places.pop() if len(places) == 1 else Status.INSPECTION


def registered_guards(to_status: str | None = None) -> list[Guard]:
    return [g for g in _GUARDS.values() if to_status is None or to_status in g.to_statuses]


def guard_refusals(
    declarations: Sequence[Declaration], to_status: str, context: GuardContext
) -> dict[int, list[Refusal]]:
    """Every registered guard's refusals for moving these consignments to `to_status`."""
    refused: dict[int, list[Refusal]] = {}
    if not declarations:
        return refused
    token = _SAME_GOODS_MEMO.set({})
    try:
        for guard in registered_guards(to_status):
            for pk, message in guard.check(declarations, context).items():
                refused.setdefault(pk, []).append(Refusal(guard.code, message))
    finally:
        _SAME_GOODS_MEMO.reset(token)
    return refused


# --- the guards declarations owns ---------------------------------------------------------------


def _guard_arrived(declarations: Sequence[Declaration], context: GuardContext) -> dict[int, Any]:
    """Goods are released where they are: after arrival, unless the profile allows release before
    arrival (and says so in its specification, `pre_arrival_release`)."""
    waiting = [d for d in declarations if d.arrived_at is None]
    if not waiting:
        return {}
    allows = {
        pk
        for pk, spec in Profile.objects.filter(pk__in={d.profile_id for d in waiting}).values_list(
            "pk", "spec"
        )
        if isinstance(spec, dict) and spec.get("pre_arrival_release") is True
    }
    return {
        d.pk: _("The goods have not arrived yet.") for d in waiting if d.profile_id not in allows
    }


def _guard_no_open_case(
    declarations: Sequence[Declaration], context: GuardContext
) -> dict[int, Any]:
    """A consignment under seizure or revaluation stays held until a supervisor closes the case."""
    open_cases = Case.objects.filter(
        declaration_id__in=[d.pk for d in declarations], closed_at__isnull=True
    ).values_list("declaration_id", "kind")
    refused: dict[int, Any] = {}
    for pk, kind in open_cases:
        refused[pk] = _("A %(kind)s case is open: a supervisor must close it first.") % {
            "kind": Case.Kind(kind).label.lower()
        }
    return refused


def _guard_assessment_complete(
    declarations: Sequence[Declaration], context: GuardContext
) -> dict[int, Any]:
    """`assessed` means both risk and revenue have assessed the current revision (each stamps the
    revision it assessed through `declarations.services`)."""
    return {
        d.pk: _("Risk and revenue have not both assessed this revision yet.")
        for d in declarations
        if d.risk_revision != d.revision or d.tax_revision != d.revision
    }


def _guard_not_claimed(
    declarations: Sequence[Declaration], context: GuardContext
) -> dict[int, Any]:
    """An officer holds the consignment: an arrival, a payment or a finished re-assessment does
    not release it; the officer decides (or a supervisor frees the claim). Read on the locked
    row, so a claim taken while the automatic release was on its way still holds."""
    if not context.automatic:
        return {}
    return {
        d.pk: _("An officer holds this consignment: releasing it is the officer's decision.")
        for d in declarations
        if d.claimed_by_id is not None
    }


def register_core_guards() -> None:
    register_guard(
        "not_arrived", to_statuses=[Status.RELEASED], check=_guard_arrived, owner="declarations"
    )
    register_guard(
        "claimed_by_officer",
        to_statuses=[Status.RELEASED],
        check=_guard_not_claimed,
        owner="declarations",
    )
    register_guard(
        "case_open", to_statuses=[Status.RELEASED], check=_guard_no_open_case, owner="declarations"
    )
    register_guard(
        "assessment_incomplete",
        to_statuses=[Status.ASSESSED],
        check=_guard_assessment_complete,
        owner="declarations",
    )


# --- transitions --------------------------------------------------------------------------------


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "username", "") or str(actor) or "system"


def _status_columns(to_status: str, now: Any) -> dict[str, Any]:
    columns: dict[str, Any] = {"status": to_status, "updated_at": now}
    if to_status == Status.RELEASED:
        columns["released_at"] = now
    if to_status == Status.ASSESSED:
        columns["assessed_at"] = now
    if to_status in ENDS_CLAIM:
        columns["claimed_by"] = None
        columns["claimed_at"] = None
    return columns


def transition(
    *,
    declaration_id: int,
    to_status: str,
    actor: Any = None,
    action: str = "",
    public_reason: str = "",
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> Declaration:
    """The one way to change one consignment's status: lock, check the table and every guard,
    write the change, the status event and the audit event. A consignment already in `to_status`
    is returned unchanged (idempotent). Raises `TransitionNotAllowed` or `LifecycleRefused`."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if declaration.status == to_status:
            return declaration
        if to_status not in TRANSITIONS[declaration.status]:
            raise TransitionNotAllowed(declaration, to_status)
        refusals = guard_refusals([declaration], to_status, GuardContext(actor, action))
        if refusals:
            raise LifecycleRefused(refusals[declaration.pk])
        before = {"status": declaration.status}
        now = timezone.now()
        columns = {**_status_columns(to_status, now), **(changes or {})}
        for name, value in columns.items():
            setattr(declaration, name, value)
        declaration.save(update_fields=list(columns))
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
        kpi_days_changed([declaration.received_at])
        return declaration


@dataclass
class BulkOutcome:
    """What `transition_bulk` did: the ids it moved, those already there, and the refused ones
    with every reason."""

    done: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: dict[int, list[Refusal]] = field(default_factory=dict)


def _write_rows(
    ids: list[int], common: dict[str, Any], row_changes: Mapping[int, Mapping[str, Any]]
) -> None:
    """One UPDATE for the rows: the same status columns for all, and each row's own changes
    (PostgreSQL: from arrays by unnest; elsewhere row by row)."""
    names = sorted({name for pk in ids for name in row_changes.get(pk, {})})
    if not names:
        Declaration.objects.filter(pk__in=ids).update(**common)
        return
    if connection.vendor != "postgresql":
        for pk in ids:
            Declaration.objects.filter(pk=pk).update(**common, **row_changes.get(pk, {}))
        return
    # Rows without a change of their own keep their value (COALESCE with the row's column is
    # not enough for NULLs, so such rows are written apart).
    full = [pk for pk in ids if set(row_changes.get(pk, {})) == set(names)]
    rest = [pk for pk in ids if pk not in set(full)]
    for pk in rest:
        Declaration.objects.filter(pk=pk).update(**common, **row_changes.get(pk, {}))
    if not full:
        return
    meta = Declaration._meta
    table = connection.ops.quote_name(meta.db_table)
    fields = [meta.get_field(name) for name in names]
    common_fields = [meta.get_field(name) for name in common]
    assignments = [f"{connection.ops.quote_name(f.column)} = %s" for f in common_fields] + [
        f"{connection.ops.quote_name(f.column)} = v.c{i}" for i, f in enumerate(fields)
    ]
    arrays = ", ".join(["%s::bigint[]"] + [f"%s::{f.db_type(connection)}[]" for f in fields])
    columns = ", ".join(["id"] + [f"c{i}" for i in range(len(fields))])
    params = (
        [f.get_db_prep_save(common[f.name], connection) for f in common_fields]
        + [full]
        + [[row_changes[pk][f.name] for pk in full] for f in fields]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # names from the model, values as parameters
            f"UPDATE {table} AS d SET {', '.join(assignments)} "  # noqa: S608
            f"FROM unnest({arrays}) AS v({columns}) WHERE d.id = v.id",
            params,
        )


def transition_bulk(
    *,
    declaration_ids: Sequence[int],
    to_status: str,
    actor: Any = None,
    action: str = "",
    public_reason: str | Mapping[int, str] = "",
    note: str = "",
    row_changes: Mapping[int, Mapping[str, Any]] | None = None,
) -> BulkOutcome:
    """`transition` for a batch, in one transaction and a few statements: rows are locked in id
    order (concurrent batches wait for each other instead of deadlocking), each is checked against
    the table and every guard, the allowed ones are moved with one UPDATE and their status and
    audit events written with one COPY each on PostgreSQL. `row_changes` are other columns written
    with the status, per row (completion's channel and stamps); the guards see them."""
    outcome = BulkOutcome()
    if not declaration_ids:
        return outcome
    with transaction.atomic():
        rows = list(
            Declaration.objects.select_for_update()
            .filter(pk__in=sorted(set(declaration_ids)))
            .order_by("pk")
            .only(*GUARD_FIELDS)
        )
        movable = []
        for row in rows:
            if row.status == to_status:
                outcome.unchanged.append(row.pk)
            elif to_status not in TRANSITIONS[row.status]:
                outcome.refused[row.pk] = [_not_allowed(row.status, to_status)]
            else:
                for name, value in (row_changes or {}).get(row.pk, {}).items():
                    setattr(row, name, value)
                movable.append(row)
        refused = guard_refusals(movable, to_status, GuardContext(actor, action))
        outcome.refused.update(refused)
        moving = [row for row in movable if row.pk not in refused]
        if not moving:
            return outcome
        now = timezone.now()
        ids = [row.pk for row in moving]
        _write_rows(ids, _status_columns(to_status, now), row_changes or {})
        user_id = actor.pk if getattr(actor, "pk", None) else None

        def reason(pk: int) -> str:
            text = public_reason if isinstance(public_reason, str) else public_reason.get(pk, "")
            return text[:300]

        insert_rows(
            StatusEvent,
            [
                {
                    "declaration_id": row.pk,
                    "operator_id": row.operator_id,
                    "from_status": str(row.status),
                    "to_status": str(to_status),
                    "at": now,
                    "actor_id": user_id,
                    "public_reason": reason(row.pk),
                    "note": note,
                }
                for row in moving
            ],
            ids=False,
        )
        insert_rows(
            AuditEvent,
            [
                {
                    "at": now,
                    "actor_id": user_id,
                    "actor_label": _actor_label(actor),
                    "action": f"declaration.{to_status}",
                    "object_type": "declaration",
                    "object_id": str(row.pk),
                    "before": {"status": str(row.status)},
                    "after": {"status": str(to_status), "public_reason": reason(row.pk)},
                    "reason": note,
                }
                for row in moving
            ],
            ids=False,
        )
        kpi_days_changed(row.received_at for row in moving)
        outcome.done = ids
    return outcome


# --- claims -------------------------------------------------------------------------------------


def claim_ttl() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "CLAIM_TTL_MINUTES", 240)))


def claim_problem(declaration: Declaration, user: Any) -> str | None:
    """Why ``user`` may not decide on the consignment's taxes or reliefs for want of its claim
    (the decisions outside `ACTIONS`: a revaluation, a relief decision): another officer holds
    it, whatever its channel, or nobody does and yellow and red work is claimed first."""
    holder = claim_holder_id(declaration)
    if holder is None and declaration.channel in CONTROLLED_CHANNELS:
        return _("Claim the consignment before acting on it.")
    return _another_holds(holder, user)


def held_by_another(declaration: Declaration, user: Any) -> str | None:
    """Why ``user`` may not act for want of the claim another officer holds, or None."""
    return _another_holds(claim_holder_id(declaration), user)


def _another_holds(holder: int | None, user: Any) -> str | None:
    if holder is not None and holder != getattr(user, "pk", None):
        return _("Another officer holds this consignment: take it over first.")
    return None


def claim_holder_id(declaration: Declaration, now: Any = None) -> int | None:
    """The officer whose claim is still valid (claims expire after `CLAIM_TTL_MINUTES`)."""
    if not declaration.claimed_by_id or declaration.claimed_at is None:
        return None
    if declaration.claimed_at + claim_ttl() <= (now or timezone.now()):
        return None
    return declaration.claimed_by_id


def claim_held_q(now: Any = None) -> Q:
    """The consignments whose claim is still valid, as `claim_holder_id` reads one row: claimed,
    and claimed less than `CLAIM_TTL_MINUTES` ago. A lapsed claim is nobody's (anyone may claim
    the consignment); it still holds an automatic release until an officer decides or a
    supervisor frees it (guard ``claimed_by_officer``)."""
    cutoff = (now or timezone.now()) - claim_ttl()
    return Q(claimed_by__isnull=False, claimed_at__gt=cutoff)


def claim_free_q(now: Any = None) -> Q:
    """The consignments nobody holds: never claimed, freed, or whose claim lapsed (the complement
    of `claim_held_q`, written out so that a NULL column never drops a row)."""
    cutoff = (now or timezone.now()) - claim_ttl()
    return Q(claimed_by__isnull=True) | Q(claimed_at__isnull=True) | Q(claimed_at__lte=cutoff)


class ClaimRefused(LifecycleRefused):
    pass


def claim(*, declaration_id: int, user: Any, take_over: bool = False) -> Declaration:
    """An officer claims a consignment so that two officers never work the same one. A claim held
    by someone else refuses, unless it expired, or a supervisor takes it over (audited)."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        holder = claim_holder_id(declaration)
        if holder == user.pk:
            return declaration
        if holder is not None and not (take_over and user_roles(user) & SUPERVISORS):
            raise ClaimRefused(
                [Refusal("claimed_by_other", _("Another officer is working on this consignment."))]
            )
        if declaration.status in ENDS_CLAIM:
            raise ClaimRefused([Refusal("claim_closed", _("This consignment needs no more work."))])
        before = {"claimed_by": declaration.claimed_by_id}
        declaration.claimed_by = user
        declaration.claimed_at = timezone.now()
        declaration.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            actor=user,
            action="declaration.take_over" if holder is not None else "declaration.claim",
            object_type="declaration",
            object_id=declaration.pk,
            before=before,
            after={"claimed_by": user.pk},
        )
        return declaration


def claim_reassign(*, declaration_id: int, to_user: Any, by: Any, reason: str = "") -> Declaration:
    """A supervisor gives a consignment's claim to another officer (or frees it: `to_user` None)."""
    if not user_roles(by) & SUPERVISORS:
        raise ClaimRefused([Refusal("role", _("Only a supervisor can reassign a consignment."))])
    if to_user is not None and not user_roles(to_user) & CAN_ACT_ON_CONSIGNMENTS:
        raise ClaimRefused([Refusal("role", _("That person cannot act on consignments."))])
    if not reason.strip():
        raise ClaimRefused([Refusal("reason_required", _("Give a reason for the reassignment."))])
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if declaration.status in ENDS_CLAIM and to_user is not None:
            raise ClaimRefused([Refusal("claim_closed", _("This consignment needs no more work."))])
        to_id = getattr(to_user, "pk", None)
        if declaration.claimed_by_id == to_id and (
            to_user is None or claim_holder_id(declaration) == to_id
        ):
            # Already so (the same form sent twice): nothing changes, nothing is recorded. A lapsed
            # claim given again to its holder is renewed.
            return declaration
        before = {"claimed_by": declaration.claimed_by_id}
        declaration.claimed_by = to_user
        declaration.claimed_at = timezone.now() if to_user is not None else None
        declaration.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            actor=by,
            action="declaration.reassign",
            object_type="declaration",
            object_id=declaration.pk,
            before=before,
            after={"claimed_by": getattr(to_user, "pk", None)},
            reason=reason,
        )
        return declaration


# --- cases (seizure, revaluation) ---------------------------------------------------------------


def case_open(*, declaration_id: int, kind: str, finding: str, actor: Any, note: str = "") -> Case:
    """Open a seizure or revaluation case and hold the goods (detention); both in one transaction.
    Opening a case of a kind already open returns that case."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        existing = Case.objects.filter(
            declaration=declaration, kind=kind, closed_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        # Goods already released (a post-release control) or not yet assessed cannot be detained:
        # the case alone then holds any later release.
        if (
            declaration.status != Status.DETAINED
            and Status.DETAINED in TRANSITIONS[declaration.status]
        ):
            public = (
                "held for revaluation" if kind == Case.Kind.REVALUATION else "detained by customs"
            )
            transition(
                declaration_id=declaration.pk,
                to_status=Status.DETAINED,
                actor=actor,
                action=f"open_{kind}",
                public_reason=public,
                note=note,
            )
        case = Case.objects.create(
            declaration=declaration,
            kind=kind,
            finding=finding,
            opened_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action=f"case.{kind}.open",
            object_type="declaration",
            object_id=declaration.pk,
            after={"case": case.pk, "kind": kind, "finding": finding},
            reason=note,
        )
        return case


def case_close(*, case_id: int, actor: Any, reason: str) -> Case:
    """A supervisor closes a case with a reason: the hold it put on the goods ends (release still
    needs every other guard)."""
    if not user_roles(actor) & SUPERVISORS:
        raise LifecycleRefused([Refusal("role", _("Only a supervisor can close a case."))])
    if not reason.strip():
        raise LifecycleRefused([Refusal("reason_required", _("Closing a case needs a reason."))])
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.closed_at is not None:
            return case
        case.closed_at = timezone.now()
        case.closed_by = actor
        case.closing_reason = reason
        case.save(update_fields=["closed_at", "closed_by", "closing_reason"])
        audit_record(
            actor=actor,
            action=f"case.{case.kind}.close",
            object_type="declaration",
            object_id=case.declaration_id,
            before={"case": case.pk, "open": True},
            after={"case": case.pk, "open": False},
            reason=reason,
        )
        return case


# --- officer actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An officer's decision on a consignment. Irreversible ones ask for confirmation and a
    reason; `to_status` None means the action changes no status."""

    code: str
    label: Any
    to_status: str | None = None
    irreversible: bool = False
    public_reason: str = ""
    supervisor_only: bool = False
    needs_claim: bool = True


ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action("claim", _("Claim"), needs_claim=False),
        Action("take_over", _("Take over"), needs_claim=False, supervisor_only=True),
        Action(
            "request_documents",
            _("Request documents"),
            Status.DOCUMENTS_REQUESTED,
            public_reason="documents requested",
        ),
        Action(
            "inspect",
            _("Select for inspection"),
            Status.INSPECTION,
            public_reason="selected for inspection",
        ),
        Action(
            "release",
            _("Release"),
            Status.RELEASED,
            irreversible=True,
            public_reason="released by customs",
        ),
        Action(
            "detain",
            _("Detain"),
            Status.DETAINED,
            irreversible=True,
            public_reason="detained by customs",
        ),
        Action("record_outcome", _("Record the inspection outcome")),
        Action("seize", _("Seize"), irreversible=True),
        Action("close_case", _("Close case"), irreversible=True, supervisor_only=True),
    )
}


def _is_officer(user: Any) -> bool:
    return bool(user_roles(user) & CAN_ACT_ON_CONSIGNMENTS)


def action_refusals(declaration: Declaration, code: str, user: Any) -> list[Refusal]:
    """Why `user` may not take action `code` on this consignment now (empty: allowed): role,
    claim, the table of changes and every guard of the target status."""
    action = ACTIONS.get(code)
    if action is None:
        return [Refusal("unknown_action", _("No such action."))]
    refusals: list[Refusal] = []
    roles = user_roles(user)
    if not roles & CAN_ACT_ON_CONSIGNMENTS:
        return [Refusal("role", _("Your role cannot act on consignments."))]
    if action.supervisor_only and not roles & SUPERVISORS:
        return [Refusal("role", _("Only a supervisor can do this."))]
    holder = claim_holder_id(declaration)
    if code == "claim":
        if declaration.status in ENDS_CLAIM:
            return [Refusal("claim_closed", _("This consignment needs no more work."))]
        if holder == user.pk:
            return [Refusal("claimed_already", _("You are already working on it."))]
        if holder is not None:
            return [
                Refusal("claimed_by_other", _("Another officer is working on this consignment."))
            ]
        return []
    if code == "take_over":
        if holder is None or holder == user.pk:
            return [Refusal("nothing_to_take_over", _("Nobody else holds this consignment."))]
        return []
    if code == "close_case":
        if not declaration.cases.filter(closed_at__isnull=True).exists():
            return [Refusal("no_open_case", _("No case is open."))]
        return []
    # After release the goods are gone: a finding then opens no case on them.
    if code == "record_outcome" and declaration.status in (
        Status.ACCEPTED,
        Status.RELEASED,
        *CLOSED,
    ):
        return [
            Refusal(
                "no_control",
                _("No control is possible in status %(status)s.")
                % {"status": Status(declaration.status).label},
            )
        ]
    # Another officer's claim holds whatever the channel; yellow and red work is claimed first.
    if action.needs_claim and holder is not None and holder != user.pk:
        refusals.append(
            Refusal("claimed_by_other", _("Another officer is working on this consignment."))
        )
    elif action.needs_claim and holder is None and declaration.channel in CONTROLLED_CHANNELS:
        refusals.append(Refusal("claim_required", _("Claim the consignment before acting on it.")))
    to_status = Status.DETAINED if code == "seize" else action.to_status
    if (
        code == "seize"
        and declaration.cases.filter(kind=Case.Kind.SEIZURE, closed_at__isnull=True).exists()
    ):
        refusals.append(Refusal("case_open", _("A seizure case is already open.")))
    if to_status is not None and declaration.status != to_status:
        if to_status not in TRANSITIONS[declaration.status]:
            refusals.append(_not_allowed(declaration.status, to_status))
        else:
            refusals += guard_refusals([declaration], to_status, GuardContext(user, code)).get(
                declaration.pk, []
            )
    elif to_status is not None and code != "seize":
        refusals.append(
            Refusal("already", _("Already %(status)s.") % {"status": Status(to_status).label})
        )
    return refusals


def available_actions(declaration: Declaration, user: Any) -> list[Action]:
    """The actions the page offers this person for this consignment, in a stable order."""
    if not _is_officer(user):
        return []
    return [a for code, a in ACTIONS.items() if not action_refusals(declaration, code, user)]


def perform(
    *,
    declaration_id: int,
    code: str,
    user: Any,
    reason: str = "",
    public_reason: str = "",
    note: str = "",
    revision: int | None = None,
) -> Declaration:
    """Carry out an officer's action, checked again under the row lock. Irreversible actions need
    a reason (kept in the audit trail as the note). ``revision`` is the one the officer saw (the
    page sends it): a declaration amended since is refused (``stale_revision``)."""
    action = ACTIONS.get(code)
    if action is None:
        raise LifecycleRefused([Refusal("unknown_action", _("No such action."))])
    if action.irreversible and not reason.strip():
        raise LifecycleRefused(
            [Refusal("reason_required", _("This decision cannot be undone: give a reason."))]
        )
    if code == "record_outcome":
        raise LifecycleRefused(
            [Refusal("unknown_action", _("Outcomes are recorded with their finding."))]
        )
    if code in ("claim", "take_over"):
        return claim(declaration_id=declaration_id, user=user, take_over=code == "take_over")
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if revision is not None and revision != declaration.revision:
            raise LifecycleRefused(
                [
                    Refusal(
                        "stale_revision",
                        _(
                            "The declaration was amended since you opened it (revision "
                            "%(now)s): read it again, then decide."
                        )
                        % {"now": declaration.revision},
                    )
                ]
            )
        refusals = action_refusals(declaration, code, user)
        if refusals:
            raise LifecycleRefused(refusals)
        full_note = "\n".join(part for part in (reason.strip(), note.strip()) if part)
        if code == "close_case":
            for case in declaration.cases.filter(closed_at__isnull=True):
                case_close(case_id=case.pk, actor=user, reason=reason)
            return declaration
        if code == "seize":
            case_open(
                declaration_id=declaration.pk,
                kind=Case.Kind.SEIZURE,
                finding="seized by officer",
                actor=user,
                note=full_note,
            )
            declaration.refresh_from_db()
            return declaration
        return transition(
            declaration_id=declaration.pk,
            to_status=action.to_status,
            actor=user,
            action=code,
            public_reason=public_reason or action.public_reason,
            note=full_note,
        )


def perform_bulk(
    *,
    declaration_ids: Sequence[int],
    code: str,
    user: Any,
    reason: str = "",
    public_reason: str = "",
) -> dict[int, list[Refusal]]:
    """The same action on many consignments, each checked exactly as on its page (every guard):
    returns the refusals by id (an empty dict: all done)."""
    refused: dict[int, list[Refusal]] = {}
    for pk in declaration_ids:
        try:
            perform(
                declaration_id=pk, code=code, user=user, reason=reason, public_reason=public_reason
            )
        except LifecycleRefused as exc:
            refused[pk] = exc.refusals
        except Declaration.DoesNotExist:
            refused[pk] = [Refusal("not_found", _("No such consignment."))]
    return refused
