"""A page form returns to its ``next`` address only when that stays on this site."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from customs_ecom.platform.navigation import back_to


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/consignments/7/", "/consignments/7/"),
        ("", "/default/"),
        ("//evil.example/", "/default/"),
        ("/\\evil.example/", "/default/"),
        ("https://evil.example/", "/default/"),
        ("javascript:alert(1)", "/default/"),
        # Not a path: redirect() would look these up as route names (a 500), or the Location
        # header could not hold them.
        ("abc", "/default/"),
        ("-1", "/default/"),
        ("consignments", "/default/"),
        ("/queue/\x00", "/default/"),
        ("/queue/\r\nSet-Cookie: a=b", "/default/"),
        ("/consignments/?status=assessed&page=2", "/consignments/?status=assessed&page=2"),
    ],
)
def test_back_to_stays_on_this_site(sent, expected):
    request = RequestFactory().post("/x/", {"next": sent}, HTTP_HOST="testserver")
    assert back_to(request, "/default/") == expected


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["abc", "-1", "0", "1e400", "/queue/\x00"])
def test_a_bulk_action_with_an_odd_next_returns_to_the_list(client, customs_user, sent):
    from django.urls import reverse

    client.force_login(customs_user("officer"))
    answer = client.post(
        reverse("declarations:bulk_action", args=["claim"]), {"ids": ["1"], "next": sent}
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("declarations:consignments")
