"""Inspection outcomes: what an officer's check found, audited; a finding that holds the goods
opens a seizure or revaluation case."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from declarations import lifecycle
from declarations.models import Case, Declaration

from ..models import SEIZURE_RESULTS, InspectionOutcome


class OutcomeRefused(ValueError):
    """An outcome the officer must record again (the declaration changed since the page)."""


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
    revision: int | None = None,
    outcome_seen: int | None = None,
) -> InspectionOutcome:
    """An officer records what a check found: it feeds hit rates and the learned model. The
    outcome is of the current revision; `revision` is the one the officer checked (the page
    sends it): a declaration amended since is refused (`OutcomeRefused`), so an outcome never
    clears goods nobody looked at. `outcome_seen` (the officer's page) is the newest outcome of
    the consignment the officer read (0: none): one recorded since is refused, so the same form
    sent twice, or two officers recording at once, records one outcome (hit and seizure rates and
    the learned model count each outcome)."""
    if result not in InspectionOutcome.Result.values:
        raise ValueError(f"unknown result '{result}'")
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        if revision is not None and revision != declaration.revision:
            raise OutcomeRefused(
                _("The declaration was amended since you opened it: check it again, then record.")
            )
        if outcome_seen is not None and outcome_seen != latest_outcome_id(declaration.pk):
            raise OutcomeRefused(
                _(
                    "An inspection outcome was recorded since you opened the page (perhaps this "
                    "one): read it again, then record."
                )
            )
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


def latest_outcome_id(declaration_id: int) -> int:
    """The number of the newest inspection outcome of a consignment (0: none): what the outcome
    form of the consignment page sends back as `outcome_seen`."""
    return (
        InspectionOutcome.objects.filter(declaration_id=declaration_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


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
        revision=declaration.revision,
    )
    audit_record(
        actor=officer,
        action="risk.outcome",
        object_type="declaration",
        object_id=declaration.pk,
        before={"declared_value_eur": str(declaration.total_value_eur)},
        after={
            "result": result,
            "revision": declaration.revision,
            "revised_value_eur": str(revised_value_eur) if revised_value_eur is not None else None,
        },
        reason=note,
    )
    return outcome
