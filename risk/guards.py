"""Risk's rules for the consignment lifecycle, registered at start-up (`RiskConfig.ready`).

- `risk_not_cleared`: a consignment leaves only when its risk is cleared: a green or blue channel,
  or, for yellow and red, an inspection outcome "compliant" recorded by an officer for the
  revision being released.
- `four_eyes`: when prohibited or restricted goods or a watchlist match hit any revision of the
  consignment (`FourEyesFlag`, kept when an amendment or a cleared false positive makes the hit
  go away), or an officer seized the goods or found them prohibited, restricted or counterfeit (a
  seizure case, open or closed), the release needs two people: an officer who records the outcome
  "compliant" for the revision being released (after the seizure), then a supervisor who is not
  that officer, deciding the release himself: an arrival or a payment never releases such goods.
- `documents_request_open`: once customs asked for documents on a consignment (on any revision),
  an arrival, a payment or a reassessment never releases it by itself: an amendment in reply to
  the request does not end it. An officer decides, or records the outcome "compliant" for the
  current revision, after which the automatic release may go ahead.
- `finding_open`: when the latest inspection outcome recorded for a consignment (on any revision)
  is a finding (misdescription, undervaluation, other...), an arrival, a payment or a reassessment
  never releases it by itself, whatever the channel: an officer decides, or records "compliant"
  for the current revision.
- `same_goods_under_control`: while another declaration of the same goods (the same transport
  document, by any declarant; `lifecycle.same_goods`) is under control (documents asked for, an
  inspection, goods held, or a yellow or red channel), an arrival or a payment never releases
  this one: an officer decides which declaration stands. The holds above follow the goods too:
  a documents request, a finding, a four-eyes hit or a seizure on any other declaration of them
  (withdrawn or open) counts as on this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.roles import ADMINISTRATOR, SUPERVISOR, user_roles
from declarations.lifecycle import (
    CLEARED_CHANNELS,
    GuardContext,
    register_guard,
    same_goods,
)
from declarations.models import Case, Declaration, StatusEvent
from declarations.statuses import Status

from .models import FOUR_EYES_RULES, FourEyesFlag, InspectionOutcome

__all__ = ["FOUR_EYES_RULES", "four_eyes_hits", "latest_outcomes", "register"]


class CurrentOutcome(NamedTuple):
    result: str
    officer_id: int | None
    at: Any
    revised_value_eur: Any


def latest_outcomes(
    declarations: Sequence[Any], *, result: str | None = None
) -> dict[int, CurrentOutcome]:
    """The latest inspection outcome (of ``result`` when given) recorded for the current revision
    of each consignment. An outcome of an earlier revision clears nothing."""
    revisions = {d.pk: d.revision for d in declarations}
    rows = InspectionOutcome.objects.filter(declaration_id__in=list(revisions))
    if result is not None:
        rows = rows.filter(result=result)
    latest: dict[int, CurrentOutcome] = {}
    for declaration_id, revision, *fields in rows.order_by(
        "declaration_id", "-at", "-id"
    ).values_list("declaration_id", "revision", "result", "officer_id", "at", "revised_value_eur"):
        if revision == revisions[declaration_id]:
            latest.setdefault(declaration_id, CurrentOutcome(*fields))
    return latest


_NONE = CurrentOutcome("", None, None, None)


# What a seizure case (an officer's finding of prohibited, restricted or counterfeit goods, or a
# seizure) counts as among the four-eyes reasons.
SEIZED = "seizure"


def _goods(declarations: Sequence[Any]) -> dict[int, set[int]]:
    """Each consignment's id, and those of the other declarations of the same goods (withdrawn or
    open, by any declarant: `lifecycle.same_goods`), mapped to the consignments they concern: what
    customs found or flagged on one declaration of the goods holds them under every other."""
    owner: dict[int, set[int]] = {d.pk: {d.pk} for d in declarations}
    for pk, others in same_goods(declarations).items():
        for other, _status in others:
            owner.setdefault(other, set()).add(pk)
    return owner


def four_eyes_hits(declarations: Sequence[Any]) -> dict[int, set[str]]:
    """The four-eyes rules that hit any revision of each consignment, now or before, or a
    other declaration of the same goods: the flags every stored hit of such a
    rule leaves (`services.assessment`, and migration risk 0009 for the hits stored before flags
    existed); and ``SEIZED`` when a seizure case was ever opened."""
    owner = _goods(declarations)
    hits: dict[int, set[str]] = {}
    for declaration_id, rule_code in FourEyesFlag.objects.filter(
        declaration_id__in=list(owner), rule_code__in=FOUR_EYES_RULES
    ).values_list("declaration_id", "rule_code"):
        for pk in owner[declaration_id]:
            hits.setdefault(pk, set()).add(rule_code)
    for declaration_id in seizures(declarations):
        hits.setdefault(declaration_id, set()).add(SEIZED)
    return hits


def seizures(declarations: Sequence[Any]) -> dict[int, Any]:
    """When the latest seizure case of each consignment that has one (or of a declaration of the
    same goods) was opened."""
    owner = _goods(declarations)
    latest: dict[int, Any] = {}
    for declaration_id, opened_at in Case.objects.filter(
        declaration_id__in=list(owner), kind=Case.Kind.SEIZURE
    ).values_list("declaration_id", "opened_at"):
        for pk in owner[declaration_id]:
            if pk not in latest or opened_at > latest[pk]:
                latest[pk] = opened_at
    return latest


def _risk_cleared(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    refused: dict[int, Any] = {}
    controlled = []
    for d in declarations:
        if d.channel is None or d.risk_revision != d.revision:
            refused[d.pk] = _("Risk has not assessed this revision yet.")
        elif d.channel not in CLEARED_CHANNELS:
            controlled.append(d)
    outcomes = latest_outcomes(controlled) if controlled else {}
    for d in controlled:
        result, officer_id = outcomes.get(d.pk, _NONE)[:2]
        if result != InspectionOutcome.Result.COMPLIANT or officer_id is None:
            refused[d.pk] = _(
                "A %(channel)s consignment is released only after an officer records the "
                "inspection outcome “compliant” for its current revision."
            ) % {"channel": _("yellow") if d.channel == "yellow" else _("red")}
    return refused


def _four_eyes(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    flagged = four_eyes_hits(declarations)
    if not flagged:
        return {}
    person = context.person
    is_supervisor = person is not None and bool(user_roles(person) & {SUPERVISOR, ADMINISTRATOR})
    flagged_rows = [d for d in declarations if d.pk in flagged]
    outcomes = latest_outcomes(flagged_rows)
    seized = seizures(flagged_rows)
    refused: dict[int, Any] = {}
    for pk in flagged:
        result, inspector, at = outcomes.get(pk, _NONE)[:3]
        if pk in seized and (at is None or at <= seized[pk]):
            # The seizure came after any outcome: goods found prohibited, restricted or
            # counterfeit are inspected again and found compliant before anyone releases them.
            refused[pk] = _(
                "The goods were seized or found prohibited, restricted or counterfeit: an officer "
                "must record the outcome “compliant” for the current revision after that finding, "
                "then a supervisor may release (four eyes)."
            )
        elif result != InspectionOutcome.Result.COMPLIANT or inspector is None:
            refused[pk] = _(
                "Prohibited or restricted goods or a watchlist match (on this or an earlier "
                "revision, or on another declaration of the same goods): an "
                "officer must inspect and record the outcome “compliant” for the current "
                "revision, then a supervisor may release (four eyes)."
            )
        elif context.automatic:
            refused[pk] = _(
                "Prohibited or restricted goods, a watchlist match or a seizure: the release is a "
                "supervisor's decision on the consignment's page, never automatic on arrival or "
                "payment (four eyes)."
            )
        elif not is_supervisor:
            refused[pk] = _(
                "Prohibited or restricted goods or a watchlist match: only a supervisor may "
                "release, after the inspection (four eyes)."
            )
        elif inspector == person.pk:
            refused[pk] = _(
                "Four eyes: you recorded the inspection outcome, so another supervisor must "
                "approve the release."
            )
    return refused


def _documents_request_open(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    if not context.automatic:
        # An officer's own release is the officer's decision on the documents.
        return {}
    owner = _goods(declarations)
    requested = {
        pk
        for declaration_id in StatusEvent.objects.filter(
            declaration_id__in=list(owner), to_status=Status.DOCUMENTS_REQUESTED
        ).values_list("declaration_id", flat=True)
        for pk in owner[declaration_id]
    }
    if not requested:
        return {}
    outcomes = latest_outcomes(
        [d for d in declarations if d.pk in requested], result=InspectionOutcome.Result.COMPLIANT
    )
    return {
        pk: _(
            "Customs asked for documents on this consignment (on this or an earlier revision, "
            "or on another declaration of the same goods): an amendment does not "
            "end the request, so an officer decides its release."
        )
        for pk in requested
        if outcomes.get(pk, _NONE).officer_id is None
    }


def _finding_open(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    if not context.automatic:
        return {}
    owner = _goods(declarations)
    latest: dict[int, tuple[Any, int, str]] = {}
    for declaration_id, at, pk, result in InspectionOutcome.objects.filter(
        declaration_id__in=list(owner)
    ).values_list("declaration_id", "at", "id", "result"):
        for key in owner[declaration_id]:
            if key not in latest or (at, pk) > latest[key][:2]:
                latest[key] = (at, pk, result)
    return {
        pk: _(
            "An officer recorded a finding on this consignment (on this or an earlier revision, "
            "or on another declaration of the same goods): it is not released by itself; an "
            "officer decides."
        )
        for pk, (_at, _id, result) in latest.items()
        if result != InspectionOutcome.Result.COMPLIANT
    }


# Another declaration of the same goods is under customs' control: asked for documents, selected
# for inspection, held, or on a yellow or red channel.
_UNDER_CONTROL = (Status.DOCUMENTS_REQUESTED, Status.INSPECTION, Status.DETAINED)


def _same_goods_under_control(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    if not context.automatic:
        return {}  # the officer's release is the officer's decision on both declarations
    siblings = {
        pk: [other for other, status in others if status != Status.INVALIDATED]
        for pk, others in same_goods(declarations).items()
    }
    wanted = {other for others in siblings.values() for other in others}
    if not wanted:
        return {}
    controlled = set(
        Declaration.objects.filter(pk__in=wanted)
        .filter(Q(status__in=_UNDER_CONTROL) | Q(channel__in=("yellow", "red")))
        .values_list("pk", flat=True)
    )
    return {
        pk: _(
            "The same goods are declared under another declaration that customs is controlling: "
            "an arrival or a payment does not release them; an officer decides which declaration "
            "stands."
        )
        for pk, others in siblings.items()
        if controlled.intersection(others)
    }


def register() -> None:
    # Every risk guard holds release for an officer (rather than making the consignment wait), in
    # an inspection, or, for documents customs asked for, back to the request.
    for code, check, holds_in in (
        ("finding_open", _finding_open, Status.INSPECTION),
        ("documents_request_open", _documents_request_open, Status.DOCUMENTS_REQUESTED),
        ("risk_not_cleared", _risk_cleared, Status.INSPECTION),
        ("four_eyes", _four_eyes, Status.INSPECTION),
        # Where the other declaration's hold puts it (documents asked for), else an inspection.
        ("same_goods_under_control", _same_goods_under_control, None),
    ):
        register_guard(
            code,
            to_statuses=[Status.RELEASED],
            check=check,
            owner="risk",
            holds_for_officer=True,
            holds_in=holds_in,
        )
