"""Revenue's rules for the consignment lifecycle, registered at start-up (`RevenueConfig.ready`).

- `taxes_unpaid`: under the consignee-at-the-border model the duties and taxes due must be collected
  before release (WCO Standard 8); an assessment must exist whatever the model, so that every
  amount assessed has a payer and a collection channel in the ledger before the goods leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def register() -> None:
    register_guard(
        "taxes_unpaid", to_statuses=[Status.RELEASED], check=_taxes_settled, owner="revenue"
    )
