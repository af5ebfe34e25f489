"""Claims as the lists show them. A claim lapses after CLAIM_TTL_MINUTES (lifecycle.claim_holder_id):
it is then nobody's, so "Mine" and its counts leave it out and "Unassigned" holds it; the
supervisor's claims page still lists it, marked lapsed (it still holds an automatic release until
someone decides or frees it). The claims page says how many claims match and pages through all
of them, oldest claim first, as the other lists do."""

from __future__ import annotations

import html as html_text
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from declarations import lifecycle
from declarations.models import Declaration, Status
from declarations.services import declarations_submit

pytestmark = pytest.mark.django_db


def _body(example, n):
    return dict(
        example,
        lrn=f"CLAIMS-{n}",
        transport_document={"type": "house_waybill", "number": f"77{n:06d}"},
        items=[
            dict(
                example["items"][0],
                description="Replica Rolex watch",
                hs_code="910221",
                value="15.00",
            )
        ],
        order={k: v for k, v in example["order"].items() if k != "payment"},
    )


@pytest.fixture
def queued(operator_a, example, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = declarations_submit(
            operator=operator_a.operator, bodies=[_body(example, n) for n in range(5)]
        )
    ids = [o.declaration.pk for o in outcomes]
    rows = list(
        Declaration.objects.filter(
            pk__in=ids, status=Status.ASSESSED, channel__in=["red", "yellow"]
        ).values_list("pk", flat=True)
    )
    assert len(rows) == 5
    return sorted(rows)


def _lapse(pk):
    Declaration.objects.filter(pk=pk).update(
        claimed_at=timezone.now() - lifecycle.claim_ttl() - timedelta(minutes=1)
    )


def _tile(html, key):
    tile = html.split(f'id="tile-{key}"', 1)[1].split("</a>", 1)[0]
    return int(re.search(r'<div class="kpi">(\d+)</div>', tile).group(1))


def _ids_listed(html):
    return {int(pk) for pk in re.findall(r'name="ids" value="(\d+)"', html)}


def test_a_lapsed_claim_is_not_mine_but_unassigned(client, customs_user, queued):
    officer = customs_user("officer")
    for pk in queued[:2]:
        lifecycle.claim(declaration_id=pk, user=officer)
    _lapse(queued[1])
    client.force_login(officer)
    html = client.get(reverse("declarations:workload")).content.decode()
    assert _tile(html, "mine") == 1
    assert _tile(html, "unassigned") == 4
    listed = client.get(reverse("declarations:consignments"), {"work": "mine"}).content.decode()
    assert _ids_listed(listed) == {queued[0]}
    assert re.search(r'id="work-mine"[^>]*>[^<]*<span class="count">1</span>', listed)
    free = client.get(reverse("declarations:consignments"), {"work": "unassigned"})
    assert _ids_listed(free.content.decode()) == set(queued[1:])
    # Wherever the officer's name is shown for it, the claim is said to have lapsed.
    for url in (
        reverse("declarations:consignments"),
        reverse("declarations:queue"),
        reverse("declarations:consignment", args=[queued[1]]),
    ):
        page = client.get(url).content.decode()
        assert page.count("claim lapsed") == 1, url
    # The lapsed consignment is free to claim by anyone, and then it is theirs.
    other = customs_user("officer", "officer-2")
    lifecycle.claim(declaration_id=queued[1], user=other)
    client.force_login(other)
    html = client.get(reverse("declarations:workload")).content.decode()
    assert _tile(html, "mine") == 1


def test_supervisors_see_lapsed_claims_apart(client, customs_user, queued):
    officer = customs_user("officer")
    for pk in queued[:3]:
        lifecycle.claim(declaration_id=pk, user=officer)
    _lapse(queued[2])
    # A detained consignment is still worked: its claim is listed and counted (statuses.ENDS_CLAIM).
    Declaration.objects.filter(pk=queued[1]).update(status=Status.DETAINED)
    client.force_login(customs_user("supervisor"))
    html = client.get(reverse("declarations:workload")).content.decode()
    row = html.split(f"?officer={officer.pk}", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2", "1"]  # open, red, lapsed
    page = client.get(reverse("declarations:claims"), {"officer": officer.pk}).content.decode()
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("</tr>")
    by_id = {
        pk: next(r for r in rows if reverse("declarations:consignment", args=[pk]) in r)
        for pk in queued[:3]
    }
    assert "lapsed" in by_id[queued[2]] and "lapsed" not in by_id[queued[0]]
    assert "lapsed" not in by_id[queued[1]]
    assert f"{officer.username} (2, 1 lapsed)" in html_text.unescape(page)


def test_the_claims_page_says_how_many_and_pages_through_them(
    client, customs_user, queued, monkeypatch
):
    from declarations import officer_views

    monkeypatch.setattr(officer_views, "CLAIMS_PAGE", 2)
    officer = customs_user("officer")
    for n, pk in enumerate(queued):
        lifecycle.claim(declaration_id=pk, user=officer)
        Declaration.objects.filter(pk=pk).update(
            claimed_at=timezone.now() - timedelta(minutes=10 - n)
        )
    client.force_login(customs_user("supervisor"))
    url = reverse("declarations:claims")
    seen = []
    page = client.get(url).content.decode()
    assert "Showing 2 of 5 claimed consignments" in page
    for _ in range(5):
        seen += [int(pk) for pk in re.findall(r'action="/workload/claims/(\d+)/reassign/"', page)]
        more = re.search(r'id="next-page" href="\?([^"]+)"', page)
        if more is None:
            break
        page = client.get(f"{url}?{html_text.unescape(more.group(1))}").content.decode()
    assert seen == queued  # oldest claim first, each once, all of them
    # The officer filter is kept from page to page, and the HTMX "More" answers rows only.
    first = client.get(url, {"officer": officer.pk}).content.decode()
    link = html_text.unescape(re.search(r'id="next-page" href="\?([^"]+)"', first).group(1))
    assert f"officer={officer.pk}" in link
    rows = client.get(f"{url}?{link}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="more")
    assert "<h1>" not in rows.content.decode() and "<tr" in rows.content.decode()
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "2 envois pris en charge affichés sur 5 jusqu’ici." in html_text.unescape(french)
    # A cursor this page did not issue: back to the first page, said so.
    bad = client.get(url, {"after": "yesterday"}, follow=True).content.decode()
    assert "no longer valid" in bad


def test_the_claims_count_reads_in_french(client, customs_user, queued):
    officer = customs_user("officer")
    lifecycle.claim(declaration_id=queued[0], user=officer)
    _lapse(queued[0])
    client.force_login(customs_user("supervisor"))
    page = html_text.unescape(
        client.get(reverse("declarations:claims"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert "1 envoi pris en charge, la prise en charge la plus ancienne d’abord." in page
    assert "prise en charge échue" in page
    assert f"{officer.username} (0, 1 échue)" in page
