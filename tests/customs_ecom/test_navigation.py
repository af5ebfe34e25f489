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
    ],
)
def test_back_to_stays_on_this_site(sent, expected):
    request = RequestFactory().post("/x/", {"next": sent}, HTTP_HOST="testserver")
    assert back_to(request, "/default/") == expected
