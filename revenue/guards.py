"""Revenue's rules for the consignment lifecycle, registered at start-up (`RevenueConfig.ready`).

- `taxes_unpaid`: under the consignee-at-the-border model the duties and taxes due must be collected
  before release (WCO Standard 8); an assessment must exist whatever the model, so that every
  amount assessed has a payer and a collection channel in the ledger before the goods leave.
- `relief_unverified`: goods assessed with the returned goods relief (the duty or tax it covers
  relieved on a claim) leave only once an officer has granted the relief for the current
  revision, on the evidence of their export (`services.reliefs`); a green consignment claiming
  it is put before an officer instead of leaving on arrival. A bulk release does not grant it.
- `revaluation_pending`: goods an officer found undervalued (risk's outcome for the current
  revision) leave only once the taxes have been reassessed with the values found (a revaluation
  recorded after that finding): closing the revaluation case or a later "compliant" does not do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from declarations.lifecycle import GuardContext, register_guard
from declarations.statuses import Status


def _taxes_settled(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    from .selectors import release_blockers

    refused: dict[int, Any] = {}
    for declaration in declarations:
        blockers = release_blockers(declaration)
        if blockers:
            refused[declaration.pk] = " ".join(str(b) for b in blockers)
    return refused


def _relief_verified(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    from .services.reliefs import latest_relief_decisions, relief_claims

    claimed = relief_claims(d.pk for d in declarations)
    if not claimed:
        return {}
    decisions = latest_relief_decisions(claimed)
    refused: dict[int, Any] = {}
    for d in declarations:
        if d.pk not in claimed:
            continue
        decision = decisions.get(d.pk)
        if decision is None or decision.decision != "granted" or decision.revision != d.revision:
            refused[d.pk] = _(
                "Returned goods relief claimed: an officer grants it on the evidence of the "
                "goods' export, or refuses it, before release."
            )
    return refused


def _revalued(declarations: Sequence[Any], context: GuardContext) -> dict[int, Any]:
    from customs_ecom.platform.extensions import call

    from .models import TaxAssessment

    found = call("risk.undervaluations", declarations, default={})
    if not found:
        return {}
    revisions = {d.pk: d.revision for d in declarations if d.pk in found}
    revalued: dict[int, Any] = {}
    # A reassessment with values found: a relief decision reassesses too, but with no values.
    for declaration_id, revision, created_at in (
        TaxAssessment.objects.filter(declaration_id__in=list(revisions), reason="revaluation")
        .exclude(revised_values={})
        .values_list("declaration_id", "revision", "created_at")
    ):
        if revision == revisions[declaration_id]:
            latest = revalued.get(declaration_id)
            revalued[declaration_id] = created_at if latest is None else max(latest, created_at)
    refused: dict[int, Any] = {}
    for pk, (at, value) in found.items():
        if revalued.get(pk) is None or revalued[pk] < at:
            refused[pk] = _(
                "Undervaluation found at inspection%(value)s: the taxes are reassessed with the "
                "values found (Revaluation after inspection) before release."
            ) % {"value": f" (EUR {value})" if value is not None else ""}
    return refused


def register() -> None:
    register_guard(
        "taxes_unpaid", to_statuses=[Status.RELEASED], check=_taxes_settled, owner="revenue"
    )
    register_guard(
        "relief_unverified",
        to_statuses=[Status.RELEASED],
        check=_relief_verified,
        owner="revenue",
        holds_for_officer=True,
    )
    register_guard(
        "revaluation_pending",
        to_statuses=[Status.RELEASED],
        check=_revalued,
        owner="revenue",
        holds_for_officer=True,
    )
