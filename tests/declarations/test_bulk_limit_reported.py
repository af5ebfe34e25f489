"""A bulk action handles at most `workload.MAX_BULK` consignments at once; the rest are named in
the report as not handled, never left out without a word; a consignment ticked twice counts once
and is found like any other."""

import pytest
from django.urls import reverse

from declarations.models import Declaration
from declarations.services import declarations_submit
from declarations.workload import MAX_BULK

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(operator_a, example, django_capture_on_commit_callbacks):
    bodies = [
        dict(example, lrn=f"BULK-LIMIT-{n}", transport_document={"type": "house_waybill",
             "number": f"77700{n}"})
        for n in range(2)
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        return [
            o.declaration.pk
            for o in declarations_submit(operator=operator_a.operator, bodies=bodies)
        ]


def test_consignments_beyond_the_limit_are_reported_as_not_handled(client, customs_user, two):
    officer = customs_user("officer")
    client.force_login(officer)
    missing = [str(10**9 + n) for n in range(MAX_BULK)]  # numbers of no consignment
    page = client.post(
        reverse("declarations:bulk_action", args=["claim"]),
        {"ids": [*missing, *map(str, two)]},
        follow=True,
    ).content.decode()
    assert not Declaration.objects.filter(pk__in=two, claimed_by=officer).exists()
    assert "2 more consignment(s) refused: not handled, 200 at most at once" in page


def test_a_consignment_ticked_twice_is_handled_once_and_the_others_found(client, customs_user, two):
    officer = customs_user("officer")
    client.force_login(officer)
    first, second = two
    page = client.post(
        reverse("declarations:bulk_action", args=["claim"]),
        {"ids": [str(first)] * (MAX_BULK + 5) + [str(second)]},
        follow=True,
    ).content.decode()
    assert set(Declaration.objects.filter(claimed_by=officer).values_list("pk", flat=True)) == {
        first,
        second,
    }
    assert "No such consignment" not in page
