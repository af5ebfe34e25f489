"""Officer pages: permissions, the queue without N+1 queries, actions through the transition service."""

import pytest
from django.urls import reverse

from aeo.models import AuditEvent
from declarations.models import Declaration, Status
from declarations.services import declarations_submit

pytestmark = pytest.mark.django_db


def _risky(example, n):
    body = dict(
        example,
        lrn=f"RED-{n}",
        transport_document={"type": "house_waybill", "number": f"77{n:06d}"},
    )
    body["items"] = [
        dict(
            example["items"][0], description="Replica Rolex watch", hs_code="910221", value="15.00"
        )
    ]
    body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    return body


@pytest.fixture
def red_consignments(operator_a, example, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = declarations_submit(
            operator=operator_a.operator, bodies=[_risky(example, n) for n in range(6)]
        )
    ids = [o.declaration.pk for o in outcomes]
    assert set(Declaration.objects.filter(pk__in=ids).values_list("channel", flat=True)) <= {
        "red",
        "yellow",
    }
    return ids


def test_login_required_and_roles_checked(client, customs_user):
    assert client.get(reverse("declarations:queue")).status_code == 302
    client.force_login(customs_user("risk_analyst"))
    assert client.get(reverse("declarations:queue")).status_code == 200
    response = client.post(reverse("declarations:consignment_action", args=[1, "release"]))
    assert response.status_code == 403


def test_queue_lists_consignments_needing_action_with_constant_queries(
    client, customs_user, red_consignments, django_assert_max_num_queries
):
    client.force_login(customs_user("officer"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("declarations:queue"))
    assert response.status_code == 200
    for pk in red_consignments:
        assert reverse("declarations:consignment", args=[pk]).encode() in response.content


def test_consignment_page_shows_channel_hits_and_taxes(client, customs_user, red_consignments):
    client.force_login(customs_user("officer"))
    response = client.get(reverse("declarations:consignment", args=[red_consignments[0]]))
    html = response.content.decode()
    assert 'id="channel"' in html and ("Red" in html or "Yellow" in html)
    assert "prohibited_goods_keyword" in html or "counterfeit" in html.lower()
    assert 'id="tax-lines"' in html


def test_officer_actions_go_through_transition_service_with_audit(
    client, customs_user, red_consignments
):
    officer = customs_user("officer")
    client.force_login(officer)
    pk = red_consignments[0]
    url = reverse("declarations:consignment_action", args=[pk, "request_documents"])
    response = client.post(url, {"documents": ["invoice"], "note": "check brand"})
    assert response.status_code == 302
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.status == Status.DOCUMENTS_REQUESTED
    event = declaration.events.get(to_status=Status.DOCUMENTS_REQUESTED)
    assert event.public_reason == "documents requested: invoice" and event.note == "check brand"
    assert AuditEvent.objects.filter(
        actor=officer, action="declaration.documents_requested"
    ).exists()
    client.post(reverse("declarations:consignment_action", args=[pk, "inspect"]))
    client.post(reverse("declarations:consignment_action", args=[pk, "release"]))
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED


def test_claimed_consignment_cannot_be_decided_by_another_officer(
    client, customs_user, red_consignments
):
    first, second = customs_user("officer", "first"), customs_user("officer", "second")
    pk = red_consignments[1]
    client.force_login(first)
    client.post(reverse("declarations:consignment_action", args=[pk, "claim"]))
    client.force_login(second)
    client.post(reverse("declarations:consignment_action", args=[pk, "release"]))
    assert Declaration.objects.get(pk=pk).status != Status.RELEASED


def test_dashboard_shows_volume_and_channel_mix(client, customs_user, red_consignments):
    from customs_ecom.kpis import aggregate_recent

    aggregate_recent()
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="volume-chart"' in html and 'id="mix-chart"' in html
    assert '<div class="kpi" id="kpi-total">6</div>' in html


def test_login_is_locked_after_repeated_failures(client, customs_user, settings):
    customs_user("officer")
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert (
            client.post(reverse("login"), {"username": "officer", "password": "wrong"}).status_code
            == 200
        )
    locked = client.post(reverse("login"), {"username": "officer", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
