"""A control under way is officer work whatever the risk channel: a green (or blue) consignment an
officer selected for inspection or asked documents for by hand, or one an arrival held for an
officer (a finding, a relief to check), is in the triage queue and the workload counts, as a
yellow or red one is. A green consignment that merely waits for its arrival is not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from declarations.models import Declaration, Status
from tests.lifecycle_helpers import decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def green(operator_a, example, django_capture_on_commit_callbacks):
    ids = []
    for n in range(2):
        body = dict(
            example,
            lrn=f"GREEN-{n}",
            transport_document={"type": "house_waybill", "number": f"66{n:06d}"},
        )
        with django_capture_on_commit_callbacks(execute=True):
            answer = operator_a.post("/api/v1/declarations", body)
        assert answer.status_code == 201, answer.content
        ids.append(answer.json()["id"])
    rows = dict(Declaration.objects.filter(pk__in=ids).values_list("pk", "channel"))
    assert set(rows.values()) == {"green"}
    return ids


def _in_queue(client, pk, **params) -> bool:
    html = client.get(reverse("declarations:queue"), params).content.decode()
    return reverse("declarations:consignment", args=[pk]) in html


def _tile(client, key) -> int:
    import re

    html = client.get(reverse("declarations:workload")).content.decode()
    tile = html.split(f'id="tile-{key}"', 1)[1].split("</a>", 1)[0]
    return int(re.search(r'<div class="kpi">(\d+)</div>', tile).group(1))


def test_a_green_consignment_an_officer_put_under_control_is_in_the_queue(
    client, customs_user, green
):
    inspected, asked = green
    client.force_login(customs_user("officer"))
    assert not _in_queue(client, inspected)  # green, waiting for its arrival: no officer work
    url = reverse("declarations:consignment_action", args=[inspected, "inspect"])
    client.post(url, decision(inspected, {"inspection_kind": "physical"}))
    assert Declaration.objects.get(pk=inspected).status == Status.INSPECTION
    url = reverse("declarations:consignment_action", args=[asked, "request_documents"])
    client.post(url, decision(asked, {"documents": ["invoice"]}))
    assert Declaration.objects.get(pk=asked).status == Status.DOCUMENTS_REQUESTED
    assert _in_queue(client, inspected) and _in_queue(client, asked)
    assert _in_queue(client, inspected, channel="green", status="inspection")
    assert not _in_queue(client, inspected, channel="red")
    assert _tile(client, "unassigned") == 2
    assert _tile(client, "waiting") == 1
    listed = client.get(reverse("declarations:consignments"), {"work": "unassigned"})
    html = listed.content.decode()
    assert all(reverse("declarations:consignment", args=[pk]) in html for pk in green)
