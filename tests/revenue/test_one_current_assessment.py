"""A declaration has one current tax assessment, and the database holds to it: the ledger page,
the statements and the KPIs join "the" current assessment, so a second one would count a
consignment's money twice."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from revenue.models import TaxAssessment
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def test_a_second_current_assessment_of_one_declaration_is_refused(operator_a):
    (declaration,) = submit(operator_a.operator, [border_body("ONE-CURRENT-1")])
    current = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    twin = TaxAssessment.objects.get(pk=current.pk)
    twin.pk = None
    twin.reason = "revaluation"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Retiring the current one first, as every writer does, is the way to store the next.
    TaxAssessment.objects.filter(pk=current.pk).update(is_current=False)
    twin.save()
    assert list(
        TaxAssessment.objects.filter(declaration=declaration, is_current=True).values_list(
            "pk", flat=True
        )
    ) == [twin.pk]
