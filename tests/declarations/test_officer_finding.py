"""Finding and working consignments: the search box, the all-consignments list and its facets,
workload counts, bulk actions, target times, the case file and its report."""

import pytest
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from declarations import codelists
from declarations.models import Declaration, Status
from declarations.search import compact_key, search_consignments
from declarations.services import declaration_amend, declarations_submit, document_attach
from declarations.workload import target_hours, workload_targets_set
from declarations.workspace import officer_note_add

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _s10(serial: str, country: str = "DE") -> str:
    return f"RR{serial}{codelists.s10_check_digit(serial)}{country}"


def _body(example, n, *, risky=True, **changes):
    body = dict(
        example,
        lrn=f"FIND-{n}",
        transport_document={"type": "house_waybill", "number": f"55{n:06d}"},
    )
    if risky:
        body["items"] = [
            dict(
                example["items"][0],
                description="Replica Rolex watch",
                hs_code="910221",
                value="15.00",
            )
        ]
        body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    body.update(changes)
    return body


def _revisions(ids):
    """Each ticked row's revision, as the list sends it with a bulk decision."""
    return {
        f"revision_{pk}": revision
        for pk, revision in Declaration.objects.filter(pk__in=ids).values_list("pk", "revision")
    }


def _submit(operator, bodies, capture):
    with capture(execute=True):
        outcomes = declarations_submit(operator=operator, bodies=bodies)
    assert all(o.declaration is not None for o in outcomes), [o.problems for o in outcomes]
    return [o.declaration.pk for o in outcomes]


@pytest.fixture
def consignments(operator_a, example, django_capture_on_commit_callbacks):
    bodies = [_body(example, n) for n in range(4)]
    bodies.append(
        _body(
            example,
            9,
            risky=False,
            transport_document={"type": "postal_item", "number": _s10("12345678")},
            consignee=dict(example["consignee"], name="Jean-Luc Picard"),
            seller=dict(example["seller"], name="Starfleet Surplus Ltd"),
            vendor_tax_scheme={"scheme": "IOSS", "number": "IM2500000026"},
        )
    )
    return _submit(operator_a.operator, bodies, django_capture_on_commit_callbacks)


@pytest.fixture
def officer(customs_user):
    return customs_user("officer")


@pytest.fixture
def officer_client(client, officer):
    """The test client logged in as the officer, who works most of the pages tested here."""
    client.force_login(officer)
    return client


# --- search ------------------------------------------------------------------------------------


def test_compact_key_reads_a_barcode_as_scanned_or_typed():
    assert compact_key(" rr 123-456 785 de ") == "RR123456785DE"


def test_search_by_lrn_in_any_case_opens_the_consignment(consignments, officer_client):
    response = officer_client.get(reverse("declarations:search"), {"q": " find-2 "})
    assert response.status_code == 302
    assert response["Location"] == reverse("declarations:consignment", args=[consignments[2]])


def test_search_by_s10_barcode_with_spaces_opens_the_consignment(consignments, officer_client):
    barcode = _s10("12345678").lower()
    typed = f"{barcode[:2]} {barcode[2:6]} {barcode[6:11]} {barcode[11:]}"
    response = officer_client.get(reverse("declarations:search"), {"q": typed})
    assert response["Location"] == reverse("declarations:consignment", args=[consignments[4]])


def test_search_by_tax_scheme_number_and_by_part_of_a_name(consignments):
    assert search_consignments("im2500000026").matched_by == "tax_scheme"
    by_seller = search_consignments("starfleet")
    assert by_seller.matched_by == "name"
    assert [d.pk for d in by_seller.declarations] == [consignments[4]]
    # the consignee's name in another word order and case still finds the consignee key
    assert consignments[4] in [d.pk for d in search_consignments("PICARD jean luc").declarations]


def test_several_matches_are_listed_and_an_operator_is_offered(
    consignments, operator_a, officer_client
):
    response = officer_client.get(reverse("declarations:search"), {"q": "Marie Dupont"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="search-results"' in html
    for pk in consignments[:4]:
        assert reverse("declarations:consignment", args=[pk]) in html
    operator = operator_a.operator
    response = officer_client.get(reverse("declarations:search"), {"q": operator.name[:6]})
    assert f"?operator={operator.pk}" in response.content.decode()


def test_a_search_without_match_says_so(consignments, officer_client):
    response = officer_client.get(reverse("declarations:search"), {"q": "ZZ999999999ZZ"})
    html = response.content.decode()
    assert 'id="no-results"' in html and "Well done" not in html


def test_the_search_box_is_on_every_officer_page(client, customs_user):
    client.force_login(customs_user("auditor"))
    for url in ("/queue/", "/dashboard/", reverse("declarations:consignments")):
        assert 'id="site-search"' in client.get(url).content.decode(), url


def test_operators_cannot_reach_the_search(client, customs_user):
    assert client.get(reverse("declarations:search"), {"q": "x"}).status_code == 302


# --- the all-consignments list -----------------------------------------------------------------


def test_all_consignments_lists_every_channel_with_facets(consignments, officer_client):
    url = reverse("declarations:consignments")
    html = officer_client.get(url).content.decode()
    for pk in consignments:
        assert reverse("declarations:consignment", args=[pk]) in html
    channel = Declaration.objects.get(pk=consignments[4]).channel
    html = officer_client.get(url, {"channel": channel, "origin": "cn"}).content.decode()
    assert reverse("declarations:consignment", args=[consignments[4]]) in html
    html = officer_client.get(url, {"value_min": "1000000"}).content.decode()
    assert 'id="no-match"' in html and "No consignment matches these filters." in html
    assert "Well done" not in html


@pytest.mark.parametrize("url", ["declarations:consignments", "declarations:queue"])
def test_the_rule_filter_offers_rules_by_their_titles_in_french(url, officer_client):
    html = officer_client.get(reverse(url), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    choice = html.split('name="rule"', 1)[1].split("</select>", 1)[0]
    assert '<option value="splitting">Fractionnement d&#x27;un achat en plusieurs envois' in choice
    assert ">splitting<" not in choice and ">watchlist_screening<" not in choice


def test_a_bad_facet_is_reported_and_ignored(consignments, officer_client):
    response = officer_client.get(
        reverse("declarations:consignments"), {"origin": "CHN", "value_min": "x"}
    )
    assert response.status_code == 200
    assert "Two letters" in response.content.decode()


def test_the_list_pages_by_keyset_with_constant_queries(
    consignments, django_assert_max_num_queries, monkeypatch, officer_client
):
    from declarations import consignment_list

    monkeypatch.setattr(consignment_list, "PAGE_SIZE", 2)
    seen = []
    url = reverse("declarations:consignments")
    query = ""
    for _ in range(3):
        with django_assert_max_num_queries(12):
            html = officer_client.get(f"{url}?{query}").content.decode()
        seen += [pk for pk in consignments if f'name="ids" value="{pk}"' in html]
        if 'id="next-page"' not in html:
            break
        query = html.split('id="next-page" href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert sorted(seen) == sorted(consignments) and len(seen) == len(set(seen))


# --- workload and bulk actions -----------------------------------------------------------------


def _queued(ids):
    return list(
        Declaration.objects.filter(
            pk__in=ids, status=Status.ASSESSED, channel__in=["red", "yellow"]
        ).values_list("pk", flat=True)
    )


def test_bulk_claim_then_counts_show_mine_and_unassigned(consignments, officer, officer_client):
    queued = _queued(consignments)
    assert len(queued) >= 3
    response = officer_client.post(
        reverse("declarations:bulk_action", args=["claim"]), {"ids": queued[:2]}, follow=True
    )
    assert "2 consignment(s): claimed." in response.content.decode()
    assert set(Declaration.objects.filter(claimed_by=officer).values_list("pk", flat=True)) == set(
        queued[:2]
    )
    html = officer_client.get(reverse("declarations:workload")).content.decode()
    mine = html.split('id="tile-mine"', 1)[1]
    assert '<div class="kpi">2</div>' in mine.split("</a>", 1)[0]
    html = officer_client.get(
        reverse("declarations:consignments"), {"work": "mine"}
    ).content.decode()
    assert all(f'name="ids" value="{pk}"' in html for pk in queued[:2])
    assert f'name="ids" value="{queued[2]}"' not in html


def test_bulk_request_documents_reports_each_refusal(customs_user, consignments, officer_client):
    queued = _queued(consignments)
    other = customs_user("supervisor", username="other-officer")
    from declarations.services import declaration_claim

    declaration_claim(declaration_id=queued[0], user=other)
    # Red and yellow work is claimed before any decision (docs/lifecycle.md).
    officer_client.post(reverse("declarations:bulk_action", args=["claim"]), {"ids": queued[:3]})
    response = officer_client.post(
        reverse("declarations:bulk_action", args=["request_documents"]),
        {
            "ids": queued[:3],
            "documents": ["invoice"],
            "note": "check the value",
            **_revisions(queued[:3]),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "2 consignment(s): documents requested." in html
    lrn = Declaration.objects.get(pk=queued[0]).lrn
    assert f"{lrn} refused: Another officer is working on this consignment." in html
    statuses = dict(Declaration.objects.filter(pk__in=queued[:3]).values_list("pk", "status"))
    assert statuses[queued[0]] == Status.ASSESSED
    assert statuses[queued[1]] == statuses[queued[2]] == Status.DOCUMENTS_REQUESTED
    event = AuditEvent.objects.filter(action="declaration.documents_requested").first()
    assert event.after["public_reason"] == "documents requested: invoice"


def test_documents_received_moves_a_consignment_from_waiting_to_received(
    consignments, operator_a, settings, tmp_path, officer, officer_client
):
    settings.MEDIA_ROOT = tmp_path
    queued = _queued(consignments)
    officer_client.post(reverse("declarations:bulk_action", args=["claim"]), {"ids": queued[:2]})
    officer_client.post(
        reverse("declarations:bulk_action", args=["request_documents"]),
        {"ids": queued[:2], "documents": ["invoice"], **_revisions(queued[:2])},
    )
    document_attach(
        operator=operator_a.operator,
        declaration_id=queued[0],
        doc_type="invoice",
        content=PDF,
        content_type="application/pdf",
        extension="pdf",
        original_name="invoice.pdf",
    )
    from declarations.workload import workload_counts

    counts = workload_counts(user=officer)
    assert counts["received"] == 1 and counts["waiting"] == 1
    rows = officer_client.get(reverse("declarations:queue")).content.decode().split("<tr ")
    marked = [r for r in rows if "docs-received" in r]
    assert len(marked) == 1 and reverse("declarations:consignment", args=[queued[0]]) in marked[0]


def test_overdue_against_the_channel_target_time(customs_user, consignments):
    import time_machine
    from django.utils import timezone

    supervisor = customs_user("supervisor")
    from declarations.workload import workload_counts

    assert workload_counts(user=supervisor)["overdue"] == 0
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=30)):
        assert workload_counts(user=supervisor)["overdue"] == len(_queued(consignments))
        workload_targets_set(actor=supervisor, hours={"red": 48, "yellow": 48}, reason="holiday")
        assert workload_counts(user=supervisor)["overdue"] == 0


def test_target_times_are_set_by_supervisors_and_audited(client, customs_user):
    client.force_login(customs_user("officer"))
    assert client.get(reverse("declarations:workload_targets")).status_code == 403
    client.force_login(customs_user("supervisor"))
    response = client.post(
        reverse("declarations:workload_targets"),
        {"hours_yellow": "4", "hours_red": "12", "reason": "new staffing"},
    )
    assert response.status_code == 302
    assert target_hours()["yellow"] == 4 and target_hours()["red"] == 12
    event = AuditEvent.objects.get(action="workload.targets")
    assert event.before["yellow"] == 8 and event.after["yellow"] == 4
    assert event.reason == "new staffing" and event.actor_label == "supervisor"


def test_bulk_release_needs_a_confirmation_and_each_guard(consignments, officer_client):
    queued = _queued(consignments)
    url = reverse("declarations:bulk_action", args=["release"])
    assert officer_client.post(url, {"ids": queued[:2], "reason": "go"}).status_code == 302
    response = officer_client.post(
        url,
        {"ids": queued[:2], "reason": "go", "confirm": "on", **_revisions(queued[:2])},
        follow=True,
    )
    html = response.content.decode()
    assert "refused:" in html and "Claim the consignment before acting on it" in html
    assert set(Declaration.objects.filter(pk__in=queued[:2]).values_list("status", flat=True)) == {
        Status.ASSESSED
    }


def test_supervisors_list_claims_by_officer(client, customs_user, consignments):
    from declarations.services import declaration_claim

    queued = _queued(consignments)
    officer = customs_user("officer")
    declaration_claim(declaration_id=queued[0], user=officer)
    client.force_login(customs_user("supervisor"))
    html = client.get(reverse("declarations:workload")).content.decode()
    assert f"?officer={officer.pk}" in html
    html = client.get(reverse("declarations:claims"), {"officer": officer.pk}).content.decode()
    assert reverse("declarations:consignment", args=[queued[0]]) in html
    client.force_login(officer)
    assert client.get(reverse("declarations:claims")).status_code == 403


# --- the case file -----------------------------------------------------------------------------


def test_timeline_tells_each_note_once_in_sentences_without_codes(
    consignments, officer, officer_client
):
    from declarations.services import declaration_claim

    pk = _queued(consignments)[0]
    declaration_claim(declaration_id=pk, user=officer)
    declaration = Declaration.objects.get(pk=pk)
    officer_note_add(declaration=declaration, author=officer, text="Seller known for replicas")
    html = officer_client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("Seller known for replicas") == 1
    assert "Claimed the consignment." in timeline and "declaration.claim" not in timeline
    assert "Customs only" in timeline
    assert "{&#x27;" not in timeline and "{'" not in timeline


def test_an_amendment_shows_its_field_changes(
    consignments, operator_a, example, django_capture_on_commit_callbacks, officer_client
):
    pk = consignments[0]
    body = _body(example, 0)
    body["items"] = [dict(body["items"][0], value="19.00")]
    with django_capture_on_commit_callbacks(execute=True):
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator, declaration_id=pk, body=body
        )
    assert status == 200 and not problems
    html = officer_client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Amended the declaration (revision 2)." in timeline
    assert "<del>15.00</del>" in timeline and "<ins>19.00</ins>" in timeline


def test_case_file_checklist_and_inline_viewer(
    consignments, operator_a, settings, tmp_path, officer_client
):
    settings.MEDIA_ROOT = tmp_path
    pk = _queued(consignments)[0]
    officer_client.post(reverse("declarations:bulk_action", args=["claim"]), {"ids": [pk]})
    officer_client.post(
        reverse("declarations:bulk_action", args=["request_documents"]),
        {"ids": [pk], "documents": ["invoice", "licence"], **_revisions([pk])},
    )
    document = document_attach(
        operator=operator_a.operator,
        declaration_id=pk,
        doc_type="invoice",
        content=PDF,
        content_type="application/pdf",
        extension="pdf",
        original_name="invoice-77.pdf",
    )
    html = officer_client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    checklist = html.split('id="document-checklist"', 1)[1].split("</ul>", 1)[0]
    assert "requested, received" in checklist and "requested, not received yet" in checklist
    viewer = reverse("declarations:document_inline", args=[pk, document.pk])
    assert f'src="{viewer}"' in checklist
    response = officer_client.get(viewer)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert not response.get("Content-Disposition", "").startswith("attachment")


@pytest.mark.parametrize(
    ("original_name", "expected"),
    [
        ("evil.html", "evil.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
        ("noext", "noext.pdf"),
        ("", None),
    ],
)
def test_a_document_is_named_by_its_sniffed_type_for_the_officer(
    consignments, operator_a, settings, tmp_path, original_name, expected, officer_client
):
    # PDF bytes named `evil.html` were downloaded as `evil.html`: saved and opened, the browser
    # reads the file as HTML. A right-to-left override made `.exe` read as `.pdf` on the page.
    settings.MEDIA_ROOT = tmp_path
    pk = _queued(consignments)[0]
    document = document_attach(
        operator=operator_a.operator,
        declaration_id=pk,
        doc_type="invoice",
        content=PDF,
        content_type="application/pdf",
        extension="pdf",
        original_name=original_name,
    )
    expected = expected or f"document-{document.pk}.pdf"
    for name in ("consignment_document", "document_inline"):
        response = officer_client.get(reverse(f"declarations:{name}", args=[pk, document.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'filename="{expected}"')
    html = officer_client.get(reverse("declarations:consignment", args=[pk])).content.decode()
    assert expected in html and "\u202e" not in html


def test_inspection_report_is_a_pdf(client, customs_user, consignments):
    client.force_login(customs_user("auditor"))
    pk = consignments[0]
    response = client.get(reverse("declarations:case_report", args=[pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    html = client.get(reverse("declarations:case_report", args=[pk]), {"format": "html"})
    assert b'id="report-lrn">FIND-0<' in html.content


def test_filter_forms_cost_one_query_whatever_the_number_of_operators(
    consignments, django_assert_max_num_queries, officer_client
):
    from aeo.services import operator_create

    for n in range(15):
        operator_create(code=f"extra-{n}", name=f"Extra operator {n}", role="vendor")
    for url in (reverse("declarations:consignments"), reverse("declarations:queue")):
        with django_assert_max_num_queries(10):
            assert officer_client.get(url).status_code == 200


def test_supervisor_reassigns_a_claim_from_the_claims_page_with_a_reason(
    client, customs_user, consignments
):
    from customs_ecom.platform.models import AuditEvent
    from declarations.services import declaration_claim

    pk = _queued(consignments)[0]
    first, second = customs_user("officer"), customs_user("officer", "officer2")
    declaration_claim(declaration_id=pk, user=first)
    client.force_login(customs_user("supervisor"))
    html = client.get(reverse("declarations:claims")).content.decode()
    url = reverse("declarations:claim_reassign", args=[pk])
    assert url in html and f'<option value="{second.pk}">' in html
    # A reason is required; nothing changes without one.
    client.post(url, {"to": second.pk, "reason": ""})
    assert Declaration.objects.get(pk=pk).claimed_by == first
    response = client.post(url, {"to": second.pk, "reason": "shift change"}, follow=True)
    assert "reassigned to" in response.content.decode()
    assert Declaration.objects.get(pk=pk).claimed_by == second
    event = AuditEvent.objects.get(action="declaration.reassign")
    assert event.before == {"claimed_by": first.pk} and event.after == {"claimed_by": second.pk}
    assert event.reason == "shift change"
    # Freeing the claim, and an officer may not reassign.
    client.post(url, {"to": "", "reason": "back to the pool"})
    assert Declaration.objects.get(pk=pk).claimed_by is None
    client.force_login(first)
    assert client.post(url, {"to": first.pk, "reason": "mine"}).status_code == 403


def test_a_reassignment_sent_twice_is_recorded_once(client, customs_user, consignments):
    """The same reassignment sent again (a double click) changes nothing and writes no second
    audit entry; a lapsed claim given again to its holder is renewed, and freeing a lapsed claim
    still frees it."""
    from datetime import timedelta

    from django.utils import timezone

    from customs_ecom.platform.models import AuditEvent
    from declarations.services import declaration_claim

    pk = _queued(consignments)[0]
    first, second = customs_user("officer"), customs_user("officer", "officer2")
    declaration_claim(declaration_id=pk, user=first)
    client.force_login(customs_user("supervisor"))
    url = reverse("declarations:claim_reassign", args=[pk])
    for _ in range(2):
        client.post(url, {"to": second.pk, "reason": "shift change"})
    assert Declaration.objects.get(pk=pk).claimed_by == second
    assert AuditEvent.objects.filter(action="declaration.reassign").count() == 1
    # The claim lapses: given again to its holder it is renewed (audited), and freed it is freed.
    lapsed = timezone.now() - timedelta(days=2)
    Declaration.objects.filter(pk=pk).update(claimed_at=lapsed)
    client.post(url, {"to": second.pk, "reason": "still on it"})
    assert Declaration.objects.get(pk=pk).claimed_at > lapsed
    Declaration.objects.filter(pk=pk).update(claimed_at=lapsed)
    client.post(url, {"to": "", "reason": "back to the pool"})
    assert Declaration.objects.get(pk=pk).claimed_by is None
    assert AuditEvent.objects.filter(action="declaration.reassign").count() == 3
    client.post(url, {"to": "", "reason": "back to the pool"})
    assert AuditEvent.objects.filter(action="declaration.reassign").count() == 3


def test_pages_name_the_time_zone_their_times_are_shown_in(consignments, officer_client):
    """The list and the case file show times without a zone beside each one: the header names it,
    the browser's zone when the officer's cookie gives one, the installation's otherwise."""
    html = officer_client.get(reverse("declarations:consignments")).content.decode()
    assert 'id="shown-zone">Time zone: UTC<' in html
    officer_client.cookies["officer_tz"] = "Europe/Paris"
    url = reverse("declarations:consignment", args=[consignments[0]])
    html = officer_client.get(url).content.decode()
    assert 'id="shown-zone">Time zone: Europe/Paris<' in html
    officer_client.cookies["django_language"] = "fr"
    html = officer_client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="shown-zone">Fuseau horaire\u00a0: Europe/Paris<' in html
