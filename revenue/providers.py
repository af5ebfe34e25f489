"""What revenue provides to the layers below it, registered at start-up (`RevenueConfig.ready`)."""

from __future__ import annotations

from typing import Any

from customs_ecom.platform.extensions import provide


def _consignment_taxes(declaration_id: int) -> Any:
    from .selectors import current_tax_assessment

    return current_tax_assessment(declaration_id=declaration_id)


def _taxes_for_operator(*args: Any, **kwargs: Any) -> Any:
    from .selectors import taxes_for_operator

    return taxes_for_operator(*args, **kwargs)


def register() -> None:
    provide("consignment.taxes", _consignment_taxes)
    provide("declaration.taxes_for_operator", _taxes_for_operator)
