"""A second revaluation of the same revision is audited with the values the taxes were assessed
on until then (those the first revaluation found), not the declared ones: the audit trail shows
each step from one value to the next."""

from decimal import Decimal

import pytest

from customs_ecom.platform.models import AuditEvent
from revenue.services.revaluation import taxes_revalue
from tests.revenue.helpers import border_body, submit, under_inspection

pytestmark = pytest.mark.django_db


def _values(side: dict) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in side["values"].items()}


def test_a_second_revaluation_is_audited_from_the_values_the_first_found(customs_user, operator_b):
    declaration = submit(operator_b.operator, [border_body("REVAL-TWICE", value="100.00")])[0]
    under_inspection(declaration.pk)
    officer = customs_user("officer")
    taxes_revalue(
        declaration_id=declaration.pk,
        revised_values_by_line={1: Decimal("140.00")},
        actor=officer,
        reason="invoice found in the parcel",
        revision=1,
    )
    taxes_revalue(
        declaration_id=declaration.pk,
        revised_values_by_line={1: Decimal("160.00")},
        actor=officer,
        reason="second invoice, higher",
        revision=1,
    )
    first, second = AuditEvent.objects.filter(action="taxes.revalue").order_by("pk")
    assert (_values(first.before), _values(first.after)) == (
        {"1": Decimal("100.00")},
        {"1": Decimal("140.00")},
    )
    assert (_values(second.before), _values(second.after)) == (
        {"1": Decimal("140.00")},
        {"1": Decimal("160.00")},
    )
