"""Revenue's rules for the consignment lifecycle, registered at start-up (`RevenueConfig.ready`).

- `taxes_unpaid`: under the consignee-at-the-border model the duties and taxes due must be collected
  before release (WCO Standard 8); an assessment must exist whatever the model, so that every
  amount assessed has a payer and a collection channel in the ledger before the goods leave.
- `relief_unverified`: goods assessed with the returned goods relief (duty and VAT relieved on a
  claim) leave only on an officer's release, after the officer has checked the evidence of their
  export; a green consignment claiming it is put before an officer instead of leaving on arrival.
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
    from .calculators import RETURNED_GOODS_RELIEF
    from .models import TaxLine

    if context.person is not None:
        return {}
    claimed = set(
        TaxLine.objects.filter(
            assessment__declaration_id__in=[d.pk for d in declarations],
            assessment__is_current=True,
            legal_reason__startswith=RETURNED_GOODS_RELIEF,
        ).values_list("assessment__declaration_id", flat=True)
    )
    return {
        pk: _(
            "Returned goods relief claimed: an officer checks the evidence of the goods' export "
            "and releases them."
        )
        for pk in claimed
    }


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
