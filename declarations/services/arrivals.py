"""Arrivals: a carrier reports goods at the border, and an assessed consignment moves on (released,
documents requested, inspection); a payment releases what only waited for its taxes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record, operator_actor

from .. import lifecycle
from ..models import Declaration, Status, StatusEvent
from ..normalise import document_key

# The audit entry of an arrival report names up to this many of the consignments it stamped.
AUDITED_IDS = 1000


def _arrival_follow_up(
    declaration: Declaration,
    *,
    action: str = "arrival",
    release_reason: str = "released on arrival",
    actor: Any = None,
) -> None:
    """What happens to an assessed consignment once it has arrived: green and blue are released at
    once if every release guard allows it; one that risk holds back (a hit that needs an officer)
    goes to inspection; one that waits for its taxes stays until they are paid. Yellow waits for
    documents; red goes to inspection (docs/lifecycle.md)."""
    if declaration.status != Status.ASSESSED or declaration.arrived_at is None:
        return
    if declaration.channel in ("green", "blue"):
        if declaration.claimed_by_id is not None:
            # An officer holds it: the release is an officer's decision, never automatic. A claim
            # that lapsed still holds (it lets another officer take the work): customs' control,
            # once an officer started it, is ended by an officer's decision or a supervisor
            # freeing the claim, not by reporting the arrival again, a payment or an amendment.
            return
        try:
            lifecycle.transition(
                declaration_id=declaration.pk,
                to_status=Status.RELEASED,
                actor=actor,
                action=action,
                public_reason=release_reason,
            )
        except lifecycle.LifecycleRefused as refused:
            hold = lifecycle.officer_hold(refused.refusals)
            if hold is not None:
                # Documents asked for before an amendment are still awaited: back to the request,
                # unless something else needs an inspection.
                lifecycle.transition(
                    declaration_id=declaration.pk,
                    to_status=hold,
                    actor=actor,
                    action="arrival",
                    public_reason=(
                        _latest_documents_request(declaration)
                        if hold == Status.DOCUMENTS_REQUESTED
                        else lifecycle.ACTIONS["inspect"].public_reason
                    ),
                    note="; ".join(f"{r.code}: {r}" for r in refused.refusals),
                )
            # Otherwise (consignee at the border): duties and taxes are collected before release
            # (Standard 8); the payment releases it (`declaration_release_if_cleared`).
    elif declaration.channel == "yellow":
        lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.DOCUMENTS_REQUESTED,
            actor=actor,
            action="arrival",
            public_reason="documents requested: invoice",
        )
    elif declaration.channel == "red":
        lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.INSPECTION,
            actor=actor,
            action="arrival",
            public_reason=lifecycle.ACTIONS["inspect"].public_reason,
        )


def _latest_documents_request(declaration: Declaration) -> str:
    """The reason of the latest documents request (which documents it named), on this
    declaration or on another declaration of the same goods by the same operator, repeated when
    the request still stands after an amendment or a new declaration."""
    others = lifecycle.same_goods([declaration]).get(declaration.pk, [])
    ids = [declaration.pk, *(pk for pk, _status in others)]
    # The operator reads the request made to itself only, never one made to another declarant.
    return (
        StatusEvent.objects.filter(
            declaration_id__in=ids,
            operator_id=declaration.operator_id,
            to_status=Status.DOCUMENTS_REQUESTED,
        )
        .order_by("-id")
        .values_list("public_reason", flat=True)
        .first()
        or "documents requested"
    )


def declaration_release_if_cleared(*, declaration_id: int, actor: Any = None) -> Declaration | None:
    """After a payment: an arrived green or blue consignment that nothing holds any more is
    released, exactly as on arrival, and says the payment released it and who paid: the
    operator through its API key (``operator_actor``) or the officer who recorded it."""
    declaration = Declaration.objects.filter(pk=declaration_id).first()
    if declaration is not None:
        _arrival_follow_up(
            declaration,
            action="payment",
            release_reason="released: duties and taxes paid",
            actor=actor if getattr(actor, "pk", None) or getattr(actor, "username", "") else None,
        )
        declaration.refresh_from_db(fields=["status"])
    return declaration


def arrivals_record(
    *,
    operator: Operator,
    transport_documents: Iterable[str],
    arrived_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """A carrier reports arrival by transport document: stamp arrival, release green ones at once.
    Only the operator's own declarations are touched; unknown documents are reported back. The
    arrival is stamped at `arrived_at` when the carrier gives it (never later than now: the API
    refuses a future time), else now; a consignment already arrived keeps its first arrival."""
    results: list[dict[str, Any]] = []
    now = timezone.now()
    stamped = min(arrived_at, now) if arrived_at is not None else now
    # The operator reported it: the status changes it causes and the audit name the operator.
    actor = operator_actor(operator.code)
    arrived: list[int] = []
    for number in transport_documents:
        matches = list(
            Declaration.objects.filter(
                operator=operator, transport_document_key=document_key(number)
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
                    declaration.arrived_at = stamped
                    declaration.updated_at = now
                    declaration.save(update_fields=["arrived_at", "updated_at"])
                    arrived.append(declaration.pk)
                _arrival_follow_up(declaration, actor=actor)
            declaration.refresh_from_db(fields=["status"])
            touched.append(
                {"id": declaration.pk, "lrn": declaration.lrn, "status": declaration.status}
            )
        results.append({"transport_document": number, "found": True, "declarations": touched})
    if arrived:
        audit_record(
            actor=actor,
            action="declaration.arrival",
            object_type="arrivals",
            object_id=arrived[0],
            before={"arrived_at": None},
            after={
                "arrived_at": stamped.isoformat(),
                "declarations": arrived[:AUDITED_IDS],
                "count": len(arrived),
            },
            reason="arrival reported through the API",
        )
    return results
