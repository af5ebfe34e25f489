"""The returned goods relief: an officer grants it (the evidence of export was seen) or refuses it
(the goods are then taxed as an import that is not a sale). The release guard `relief_unverified`
(revenue/guards.py) holds a consignment whose assessment applies the relief until it is granted
for its current revision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.roles import ADMINISTRATOR, SUPERVISOR, user_roles
from declarations.lifecycle import claim_problem
from declarations.models import Declaration, Status
from revenue.calculators import RETURNED_GOODS_RELIEF
from revenue.models import ReliefDecision, TaxAssessment, TaxLine


class ReliefError(ValueError):
    pass


SUPERVISORS = frozenset({SUPERVISOR, ADMINISTRATOR})
# Where a relief decision makes sense: assessed and before customs.
_DECIDABLE = frozenset(
    {Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.INSPECTION, Status.DETAINED}
)


def relief_claims(declaration_ids: Iterable[int]) -> set[int]:
    """The declarations whose current assessment applies the returned goods relief."""
    return set(
        TaxLine.objects.filter(
            assessment__declaration_id__in=list(declaration_ids),
            assessment__is_current=True,
            legal_reason__startswith=RETURNED_GOODS_RELIEF,
        ).values_list("assessment__declaration_id", flat=True)
    )


def latest_relief_decisions(declaration_ids: Iterable[int]) -> dict[int, ReliefDecision]:
    """The latest relief decision of each declaration that has one."""
    latest: dict[int, ReliefDecision] = {}
    for decision in ReliefDecision.objects.filter(
        declaration_id__in=list(declaration_ids)
    ).order_by("id"):
        latest[decision.declaration_id] = decision  # the last one recorded wins
    return latest


def relief_refused(declaration_ids: Iterable[int]) -> set[int]:
    """The declarations whose relief an officer refused (and did not grant since): taxed as
    imports that are not sales, whatever a later revision claims."""
    return {
        pk
        for pk, decision in latest_relief_decisions(declaration_ids).items()
        if decision.decision == ReliefDecision.Decision.REFUSED
    }


def relief_state(declaration: Any, user: Any = None) -> str:
    """For the consignment page: "" (no relief claimed or refused), "claimed" (waiting for an
    officer), "granted" (for the current revision), "refused", or "refused_reopenable" (refused,
    and ``user`` is a supervisor who may reopen the claim)."""
    if getattr(declaration, "category", "") != "returned_goods":
        return ""
    latest = latest_relief_decisions([declaration.pk]).get(declaration.pk)
    if latest is not None and latest.decision == ReliefDecision.Decision.REFUSED:
        reopenable = user is not None and bool(user_roles(user) & SUPERVISORS)
        return (
            "refused_reopenable" if reopenable and declaration.status in _DECIDABLE else "refused"
        )
    if declaration.pk not in relief_claims([declaration.pk]):
        return ""
    if (
        latest is not None
        and latest.decision == ReliefDecision.Decision.GRANTED
        and latest.revision == declaration.revision
    ):
        return "granted"
    return "claimed"


def relief_decide(
    *,
    declaration_id: int,
    decision: str,
    actor: Any,
    reason: str,
    revision: int | None = None,
) -> ReliefDecision:
    """An officer grants or refuses the returned goods relief the current assessment applies, or a
    supervisor reopens a refused one (reassessed with the relief, the claim open again).
    Granted: recorded for the current revision, the release guard lets the goods go. Refused:
    the declaration is reassessed as an import that is not a sale (a revaluation keeping the
    values found at inspection; the ledger records the difference), now and for every later
    revision. `revision` is the one the officer saw: a decision on a declaration amended since is
    refused. Audited."""
    from revenue.services.revaluation import RevaluationError, taxes_revalue

    if decision not in ReliefDecision.Decision.values:
        raise ReliefError(_("Grant or refuse the relief."))
    if not reason.strip():
        raise ReliefError(_("Say what evidence of export you saw, or what is missing."))
    if not getattr(actor, "pk", None):
        raise ReliefError(_("Only an officer decides on a relief."))
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if revision is not None and revision != declaration.revision:
            raise ReliefError(
                _("The declaration was amended since you opened it: read it again, then decide.")
            )
        if declaration.status not in _DECIDABLE:
            raise ReliefError(_("A relief is decided on an assessed consignment before release."))
        problem = claim_problem(declaration, actor)
        if problem is not None:
            raise ReliefError(problem)
        assessment = TaxAssessment.objects.filter(
            declaration_id=declaration_id, is_current=True
        ).first()
        earlier = latest_relief_decisions([declaration_id]).get(declaration_id)
        if decision == ReliefDecision.Decision.REOPENED:
            if not user_roles(actor) & SUPERVISORS:
                raise ReliefError(_("Only a supervisor reopens a refused relief."))
            if earlier is None or earlier.decision != ReliefDecision.Decision.REFUSED:
                raise ReliefError(_("Only a refused relief is reopened."))
        elif (
            assessment is None
            or assessment.revision != declaration.revision
            or declaration.tax_revision != declaration.revision
            or declaration_id not in relief_claims([declaration_id])
        ):
            raise ReliefError(_("No returned goods relief is claimed on this consignment."))
        if (
            decision == ReliefDecision.Decision.GRANTED
            and earlier is not None
            and earlier.decision == ReliefDecision.Decision.GRANTED
            and earlier.revision == declaration.revision
        ):
            # Already granted for this revision (the same form sent twice): nothing changes, and
            # the audit trail does not record a grant of a claim that was no longer waiting.
            return earlier
        record = ReliefDecision.objects.create(
            declaration=declaration,
            revision=declaration.revision,
            decision=decision,
            actor=actor,
            reason=reason.strip()[:300],
        )
        audit_record(
            actor=actor,
            action=f"relief.{decision}",
            object_type="declaration",
            object_id=declaration.pk,
            before={
                "returned_goods_relief": "refused"
                if decision == ReliefDecision.Decision.REOPENED
                else "claimed",
                "total": str(assessment.total) if assessment is not None else None,
                **(
                    {"earlier_decision": earlier.decision, "earlier_revision": earlier.revision}
                    if earlier is not None
                    else {}
                ),
            },
            after={"returned_goods_relief": decision, "revision": declaration.revision},
            reason=reason,
        )
        if decision in (ReliefDecision.Decision.REFUSED, ReliefDecision.Decision.REOPENED):
            # Refused: reassessed without the relief. Reopened: with it again, the claim open.
            try:
                taxes_revalue(
                    declaration_id=declaration_id,
                    revised_values_by_line={},
                    actor=actor,
                    reason=reason,
                    refuse_relief=decision == ReliefDecision.Decision.REFUSED,
                    reopen_relief=decision == ReliefDecision.Decision.REOPENED,
                )
            except RevaluationError as exc:  # nothing is recorded: the transaction rolls back
                raise ReliefError(str(exc)) from exc
    return record
