"""Officer pages: permissions, the queue without N+1 queries, actions through the transition service."""

import pytest
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, Status
from declarations.services import declarations_submit
from tests.lifecycle_helpers import decision

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


def _act(client, pk, action, data=None):
    return client.post(
        reverse("declarations:consignment_action", args=[pk, action]),
        decision(pk, data),
        follow=True,
    )


def test_officer_actions_go_through_the_lifecycle_with_audit(
    client, customs_user, red_consignments
):
    from risk.guards import four_eyes_hits
    from tests.lifecycle_helpers import arrive, pay_at_border

    officer = customs_user("officer")
    client.force_login(officer)
    pk = red_consignments[0]
    # Red and yellow work is claimed first.
    refused = _act(client, pk, "request_documents", {"documents": ["invoice"]})
    assert "Claim the consignment before acting on it." in refused.content.decode()
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    _act(client, pk, "claim")
    response = _act(
        client, pk, "request_documents", {"documents": ["invoice"], "note": "check brand"}
    )
    assert response.status_code == 200
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.status == Status.DOCUMENTS_REQUESTED
    event = declaration.events.get(to_status=Status.DOCUMENTS_REQUESTED)
    assert event.public_reason == "documents requested: invoice" and event.note == "check brand"
    assert AuditEvent.objects.filter(
        actor=officer, action="declaration.documents_requested"
    ).exists()
    _act(client, pk, "inspect")
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION
    # No release before arrival and an inspection outcome, whatever the officer clicks.
    page = _act(client, pk, "release", {"reason": "looks fine", "confirm": "on"}).content.decode()
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION
    assert "The goods have not arrived yet." in page and "compliant" in page
    arrive(pk)
    # The EU flat duty of this IOSS parcel is owed by the declarant at import: paid first.
    pay_at_border(pk)
    client.post(
        reverse("risk:outcome_create", args=[pk]),
        {"result": "compliant", "revision": "1", "outcome_seen": "0"},
    )
    # Irreversible: a reason and a confirmation.
    _act(client, pk, "release", {"reason": "inspected"})
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION
    _act(client, pk, "release", {"reason": "inspected, compliant", "confirm": "on"})
    declaration = Declaration.objects.get(pk=pk)
    if four_eyes_hits([declaration]):  # prohibited goods or a watchlist match: a second person
        assert declaration.status == Status.INSPECTION
        client.force_login(customs_user("supervisor"))
        _act(client, pk, "take_over")
        _act(client, pk, "release", {"reason": "approved", "confirm": "on"})
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED


def test_claimed_consignment_cannot_be_decided_by_another_officer(
    client, customs_user, red_consignments
):
    first, second = customs_user("officer", "first"), customs_user("officer", "second")
    pk = red_consignments[1]
    client.force_login(first)
    client.post(reverse("declarations:consignment_action", args=[pk, "claim"]), decision(pk))
    client.force_login(second)
    client.post(reverse("declarations:consignment_action", args=[pk, "release"]), decision(pk))
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
    statuses = [
        client.post(reverse("login"), {"username": "officer", "password": "wrong"}).status_code
        for _ in range(settings.LOGIN_MAX_FAILURES)
    ]
    # The failure that reaches the limit already answers the lockout (django-axes).
    assert statuses == [200] * (settings.LOGIN_MAX_FAILURES - 1) + [429]
    locked = client.post(reverse("login"), {"username": "officer", "password": "pw-for-tests-1"})
    assert locked.status_code == 429


def test_queue_filters_by_rule_hit_origin_and_date(client, customs_user, red_consignments):
    client.force_login(customs_user("officer"))
    url = reverse("declarations:queue")
    hit = client.get(url, {"rule": "luxury_brand_low_value"}).content.decode()
    assert all(reverse("declarations:consignment", args=[pk]) in hit for pk in red_consignments)
    none = client.get(url, {"rule": "splitting", "origin": "US"}).content.decode()
    assert (
        "No consignment needing action matches these filters." in none and "Well done" not in none
    )
    future = client.get(url, {"received_from": "2999-01-01"}).content.decode()
    assert "No consignment needing action matches these filters." in future
    bad = client.get(url, {"origin": "CHN", "received_to": "not-a-date"})
    assert bad.status_code == 200
    assert "Two letters, e.g. CN." in bad.content.decode()  # a bad filter is reported, not a 500


def test_filters_changed_in_place_are_the_ones_a_saved_view_keeps(
    client, customs_user, red_consignments
):
    """The filters form swaps only the rows (htmx): the answer also updates the hidden query of
    "Save this view", which otherwise kept the filters of the page as first loaded."""
    client.force_login(customs_user("officer"))
    url = reverse("declarations:queue")
    page = client.get(url).content.decode()
    assert 'id="saved-view-query" value=""' in page and "hx-swap-oob" not in page
    rows = client.get(
        url, {"origin": "CN", "channel": "red"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-body"
    ).content.decode()
    assert "<html" not in rows
    oob = (
        '<input type="hidden" name="query" id="saved-view-query" value="channel=red&amp;origin=CN"'
    )
    assert oob + ' hx-swap-oob="true">' in rows


def test_queue_keyset_pages_never_repeat_a_row(
    client, customs_user, red_consignments, monkeypatch, django_assert_max_num_queries
):
    from declarations import views

    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    client.force_login(customs_user("officer"))
    seen, url = [], reverse("declarations:queue")
    response = client.get(url, {"origin": "CN"})
    while True:
        rows = response.context["rows"]
        seen += [d.pk for d in rows]
        if not response.context["next_query"]:
            break
        with django_assert_max_num_queries(8):
            response = client.get(f"{url}?{response.context['next_query']}")
    assert sorted(seen) == sorted(red_consignments) and len(seen) == len(set(seen))


def test_saved_views_belong_to_their_officer_and_are_audited(client, customs_user):
    from declarations.models import SavedView

    first, second = customs_user("officer", "first"), customs_user("officer", "second")
    client.force_login(first)
    response = client.post(
        reverse("declarations:saved_view_create"),
        {"name": "Red CN", "query": "channel=red&origin=CN"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?channel=red&origin=CN")
    view = SavedView.objects.get(user=first)
    assert AuditEvent.objects.filter(actor=first, action="saved_view.save").exists()
    assert b"Red CN" in client.get(reverse("declarations:queue")).content
    client.force_login(second)
    assert b"Red CN" not in client.get(reverse("declarations:queue")).content
    assert client.post(reverse("declarations:saved_view_delete", args=[view.pk])).status_code == 404
    client.force_login(first)
    client.post(reverse("declarations:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_notes_are_added_audited_and_shown_in_the_timeline(client, customs_user, red_consignments):
    officer = customs_user("officer")
    client.force_login(officer)
    pk = red_consignments[2]
    url = reverse("declarations:consignment_action", args=[pk, "note"])
    client.post(url, {"text": "Seller known for replicas"})
    assert AuditEvent.objects.filter(actor=officer, action="declaration.note").exists()
    html = client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    assert "Seller known for replicas" in html and 'id="timeline"' in html
    client.post(url, {"text": ""})
    assert Declaration.objects.get(pk=pk).notes.count() == 1


def test_an_officers_inspection_reads_as_one_the_channel_orders_whatever_its_kind(
    client, customs_user, red_consignments, operator_a
):
    """The operator reads the same reason whatever caused the inspection (docs/api.md): one an
    officer orders, of either kind, reads as the one arrival orders for a red channel; the kind
    stays in the customs-only note."""
    from declarations.services.arrivals import arrivals_record

    client.force_login(customs_user("officer"))
    reasons = {}
    for pk, kind in ((red_consignments[3], "nii"), (red_consignments[4], "physical")):
        client.post(reverse("declarations:consignment_action", args=[pk, "claim"]), decision(pk))
        client.post(
            reverse("declarations:consignment_action", args=[pk, "inspect"]),
            decision(pk, {"inspection_kind": kind, "note": "scan"}),
        )
        event = Declaration.objects.get(pk=pk).events.get(to_status=Status.INSPECTION)
        reasons[kind] = event.public_reason
        assert event.note.startswith(
            "[Non-intrusive inspection (scan)]" if kind == "nii" else "[Physical examination]"
        )
    red = next(pk for pk in red_consignments[:3] if Declaration.objects.get(pk=pk).channel == "red")
    arrivals_record(
        operator=operator_a.operator,
        transport_documents=[Declaration.objects.get(pk=red).transport_document_number],
    )
    by_channel = Declaration.objects.get(pk=red).events.get(to_status=Status.INSPECTION)
    assert reasons == {"nii": by_channel.public_reason, "physical": by_channel.public_reason}
    assert by_channel.public_reason == "selected for inspection"


def test_request_documents_needs_the_list_of_documents(client, customs_user, red_consignments):
    client.force_login(customs_user("officer"))
    pk = red_consignments[4]
    client.post(reverse("declarations:consignment_action", args=[pk, "claim"]), decision(pk))
    client.post(
        reverse("declarations:consignment_action", args=[pk, "request_documents"]), decision(pk)
    )
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED


def test_release_refused_while_revenue_blocks_it(client, customs_user, red_consignments):
    from revenue.selectors import release_blockers

    client.force_login(customs_user("officer"))
    pk = red_consignments[5]
    declaration = Declaration.objects.get(pk=pk)
    from revenue.models import TaxAssessment

    TaxAssessment.objects.filter(declaration=declaration).update(is_current=False)
    assert release_blockers(declaration)
    response = client.post(
        reverse("declarations:consignment_action", args=[pk, "release"]),
        decision(pk, {"reason": "go", "confirm": "on"}),
        follow=True,
    )
    assert Declaration.objects.get(pk=pk).status != Status.RELEASED
    html = response.content.decode()
    assert "Refused:" in html and "Duties and taxes have not been assessed yet." in html
    assert 'data-guard="taxes_unpaid"' in html


def test_consignment_page_shows_parties_related_consignments_and_documents(
    client, customs_user, red_consignments, django_assert_max_num_queries
):
    client.force_login(customs_user("auditor"))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("declarations:consignment", args=[red_consignments[0]]))
    html = response.content.decode()
    assert 'id="h-parties"' in html and "Shenzhen Example Trading" in html
    for other in red_consignments[1:]:  # same consignee, same week
        assert reverse("declarations:consignment", args=[other]) in html
    assert 'id="h-documents"' in html
    assert 'id="h-actions"' not in html  # auditors read only


@pytest.mark.parametrize("role", ["risk_analyst", "auditor"])
def test_read_only_roles_cannot_act(client, customs_user, red_consignments, role):
    client.force_login(customs_user(role))
    pk = red_consignments[0]
    for action in ("claim", "release", "note", "inspect"):
        url = reverse("declarations:consignment_action", args=[pk, action])
        assert client.post(url, {"text": "x"}).status_code == 403
    assert client.post(reverse("declarations:saved_view_create"), {"name": "x"}).status_code == 302


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("officer", ["/queue/", "/revenue/verification/", "/imports/"], ["/registry/"]),
        ("supervisor", ["/queue/", "/registry/", "/revenue/verification/"], []),
        ("risk_analyst", ["/risk/"], ["/registry/", "/imports/"]),
    ],
)
def test_navigation_links_follow_the_role(client, customs_user, role, visible, hidden):
    client.force_login(customs_user(role))
    html = client.get(reverse("dashboard")).content.decode()
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    for href in visible:
        assert f'href="{href}' in nav, href
    for href in hidden:
        assert f'href="{href}' not in nav, href


def test_login_page_points_consumers_to_the_public_estimator(client):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("revenue:estimate")}"' in html
