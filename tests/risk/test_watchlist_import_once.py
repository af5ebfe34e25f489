"""A watchlist file sent twice (or a row repeated) adds each entry once: a second entry of the same
party would fire a second match, which a false-positive clearance of the first does not clear."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customs_ecom.platform.models import AuditEvent
from risk.models import WatchlistEntry
from risk.services.watchlists import watchlist_import_csv

pytestmark = pytest.mark.django_db

CSV = (
    "name,aliases,country,address,identifiers,list,reason\n"
    "Shenzen Exampel Trading,SZ Example Trade,CN,12 Example Road,S-9999,national,counterfeit\n"
)


def test_the_same_file_imported_twice_adds_its_entries_once(customs_user):
    analyst = customs_user("risk_analyst")
    first = watchlist_import_csv(text=CSV, actor=analyst, reason="new list")
    again = watchlist_import_csv(text=CSV, actor=analyst, reason="new list")
    assert (first.created, first.already_listed) == (1, 0)
    assert (again.created, again.already_listed) == (0, 1)
    assert WatchlistEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="watchlist.import").count() == 1
    # A row repeated in one file is one entry; another party of the file is added.
    repeated = CSV + CSV.splitlines()[1] + "\nOther Party Ltd,,CN,,,national,counterfeit\n"
    third = watchlist_import_csv(text=repeated, actor=analyst, reason="more")
    assert (third.created, third.already_listed) == (1, 2)
    assert WatchlistEntry.objects.count() == 2


def test_the_page_says_what_was_already_listed(client, customs_user):
    client.force_login(customs_user("risk_analyst"))
    for _ in range(2):
        upload = SimpleUploadedFile("list.csv", CSV.encode(), content_type="text/csv")
        page = client.post(
            "/risk/watchlist/", {"file": upload, "reason": "new list"}, follow=True
        ).content.decode()
    assert "1 entry of the file is already on its list as it is: not added again." in page
    assert WatchlistEntry.objects.count() == 1


@pytest.mark.parametrize("name", ["\u200b", "...", " - ", "\u00ad\u2060"])
def test_a_name_with_nothing_to_match_is_refused(customs_user, name):
    """Punctuation or invisible characters only: the entry was stored, listed on the page, and
    could never match any party."""
    text = f"name,country,list\n{name},CN,national\nGood Party Ltd,CN,national\n"
    result = watchlist_import_csv(text=text, actor=customs_user("risk_analyst"), reason="x")
    assert result.errors == [(2, "name", "the name has no letter or digit to match")]
    assert result.created == 0
    assert not WatchlistEntry.objects.exists()
