"""Address screening: a party shipping under another name from or to a listed address is caught,
conservatively, and a clearance holds for one name at one address only."""

import time

import pytest

from risk.bench_engine import synthetic_watchlist
from risk.facts import party_key, screening_key
from risk.models import FOUR_EYES_RULES
from risk.watchlist import WatchlistEntry, WatchlistIndex, normalise_address
from tests.risk import hits_of, make_context, make_facts, make_party, make_seller

LISTED = (
    WatchlistEntry(
        "WL-A", "Shadow Freight Ltd", country="GB", address="Flat 4, 221 Baker St, London NW1 6XE"
    ),
    WatchlistEntry(
        "WL-B",
        "Schwarz Handel GmbH",
        country="DE",
        address="Hauptstr. 17, 10115 Berlin, Deutschland",
    ),  # fmt: skip
    WatchlistEntry("WL-C", "Dupont Export", country="FR", address="12 av. des Champs-Élysées"),
    WatchlistEntry("WL-D", "Lonely City Entry", country="FR", address="Paris"),
)


@pytest.fixture(scope="module")
def index():
    return WatchlistIndex(LISTED)


def _by_address(index, **party):
    return [m for m in index.match("Someone Else Entirely", **party) if m.by_address]


def test_normalise_address_expands_abbreviations_and_folds():
    assert normalise_address("221 Baker St.") == normalise_address("221, BAKER STREET")
    assert normalise_address("Hauptstr. 17") == normalise_address("Hauptstraße 17")
    assert normalise_address("Haupt Straße 17") == normalise_address("hauptstrasse 17")
    assert normalise_address("12 av. des Champs-Élysées") == normalise_address(
        "12 Avenue des Champs Elysees"
    )
    assert normalise_address("5 Mill Rd") == normalise_address("5 mill road")
    # The unit number is kept: another flat is another address.
    assert normalise_address("Apt 4, 221 Baker St") != normalise_address("Apt 5, 221 Baker St")


@pytest.mark.parametrize(
    ("party", "entry_id"),
    [
        ({"street": "Flat 4, 221 Baker Street", "postcode": "NW16XE", "country": "GB"}, "WL-A"),
        ({"street": "221 Bakr St, Flat 4", "postcode": "nw1 6xe", "country": "GB"}, "WL-A"),
        ({"street": "Hauptstrasse 17", "postcode": "10115", "country": "DE"}, "WL-B"),
        ({"street": "Haupt-Straße 17", "postcode": "", "country": ""}, "WL-B"),
        ({"street": "12 Avenue des Champs Elysees", "postcode": "75008", "country": "FR"}, "WL-C"),
    ],
)
def test_an_unknown_name_at_a_listed_address_matches(index, party, entry_id):
    found = _by_address(index, **party)
    assert [m.entry_id for m in found] == [entry_id]
    assert f"entry {entry_id}" in found[0].explanation
    assert "address" in found[0].explanation


@pytest.mark.parametrize(
    "party",
    [
        # another house number, another flat, another postcode, another country
        {"street": "Flat 4, 223 Baker Street", "postcode": "NW1 6XE", "country": "GB"},
        {"street": "Flat 5, 221 Baker Street", "postcode": "NW1 6XE", "country": "GB"},
        {"street": "Flat 4, 221 Baker Street", "postcode": "NW1 6XF", "country": "GB"},
        {"street": "Hauptstrasse 17", "postcode": "10115", "country": "AT"},
        {"street": "Hauptstrasse 17", "postcode": "80331", "country": "DE"},
        # no house number, a lone city, a lone country
        {"street": "Baker Street", "postcode": "NW1 6XE", "country": "GB"},
        {"street": "", "postcode": "75008", "country": "FR"},
        {"street": "Paris", "postcode": "", "country": "FR"},
        {"street": "France", "postcode": "", "country": "FR"},
        # another street at the same number
        {"street": "221 Oxford Street", "postcode": "", "country": "GB"},
    ],
)
def test_address_matching_is_conservative(index, party):
    assert _by_address(index, **party) == []


def test_a_name_match_and_an_address_match_are_told_apart(index):
    named = index.match("Shadow Freight Limited", country="GB")
    assert named and not named[0].by_address
    by_address = _by_address(index, street="221 Baker St Flat 4", postcode="NW1 6XE", country="GB")
    assert by_address[0].by_address and not by_address[0].by_identifier


def test_the_rule_hits_a_party_at_a_listed_address_with_a_four_eyes_code():
    ctx = make_context(watchlist=WatchlistIndex(LISTED))
    seller = make_seller("Brand New Name Co", street="Hauptstr. 17", postcode="10115",
                         city="Berlin", country="DE")  # fmt: skip
    hits = hits_of("watchlist_screening", make_facts(seller=seller), ctx)
    assert len(hits) == 1
    assert hits[0].rule_code in FOUR_EYES_RULES
    assert hits[0].min_channel == "red" and not hits[0].overridable_by_aeo
    assert hits[0].confidential_data["by_address"] is True
    assert hits[0].explanation.startswith("seller address")
    assert "WL-B" in hits[0].explanation


def test_a_clearance_holds_for_one_name_at_one_address():
    ctx = make_context(watchlist=WatchlistIndex(LISTED))
    here = make_party("Shadow Freight", street="10 Other Road", postcode="E1 1AA", country="GB")
    there = make_party("Shadow Freight", street="99 Far Lane", postcode="M1 1AA", country="GB")
    assert len(hits_of("watchlist_screening", make_facts(consignee=here), ctx)) == 1
    cleared = make_context(
        watchlist=ctx.watchlist, false_positives=frozenset({("WL-A", screening_key(here))})
    )
    assert hits_of("watchlist_screening", make_facts(consignee=here), cleared) == []
    # The same name elsewhere fires again: the clearance was for that address.
    assert len(hits_of("watchlist_screening", make_facts(consignee=there), cleared)) == 1
    # A hit carries the key a clearance is made on.
    hit = hits_of("watchlist_screening", make_facts(consignee=there), cleared)[0]
    assert hit.confidential_data["party_key"] == screening_key(there)


def test_an_address_match_is_cleared_the_same_way():
    ctx = make_context(watchlist=WatchlistIndex(LISTED))
    party = make_party("Innocent Tenant", street="Hauptstraße 17", postcode="10115", country="DE")
    facts = make_facts(consignee=party)
    assert len(hits_of("watchlist_screening", facts, ctx)) == 1
    cleared = make_context(
        watchlist=ctx.watchlist, false_positives=frozenset({("WL-B", screening_key(party))})
    )
    assert hits_of("watchlist_screening", facts, cleared) == []


def test_a_clearance_made_before_addresses_were_kept_stays_name_only():
    ctx = make_context(watchlist=WatchlistIndex(LISTED))
    party = make_party("Shadow Freight", street="99 Far Lane", postcode="M1 1AA", country="GB")
    legacy = make_context(
        watchlist=ctx.watchlist, false_positives=frozenset({("WL-A", party_key(party))})
    )
    assert hits_of("watchlist_screening", make_facts(consignee=party), legacy) == []


def test_address_screening_stays_fast_with_ten_thousand_entries():
    entries = synthetic_watchlist(10_000)
    assert sum(1 for e in entries if e.address) > 9_000
    index = WatchlistIndex(entries)
    target = next(e for e in entries[1234:] if e.address)
    queries = [
        {"street": f"{n % 300 + 1} Lastname{n % 97} Road", "postcode": f"{n:05d}", "country": "FR"}
        for n in range(2_000)
    ]
    started = time.perf_counter()
    for n, party in enumerate(queries):
        index.match(f"Customer Number{n}", **party)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, f"{len(queries) / elapsed:.0f} screenings/s"
    street, postcode = target.address.split(", ")[:2]
    found = index.match("Nobody Known", street=street, postcode=postcode, country=target.country)
    assert target.id in [m.entry_id for m in found if m.by_address]


# --- through the database: import, assessment, clearance by two people ----------------------


def _watchlist_hits(declaration):
    from risk.models import RiskAssessment

    latest = RiskAssessment.objects.filter(declaration=declaration).latest("created_at", "pk")
    return list(latest.hits.filter(rule_code="watchlist_screening"))


def _import(text, customs_user, capture):
    from risk.apps import forget_process_caches
    from risk.services.watchlists import watchlist_import_csv

    # Each test's rows reuse the ids of the previous test's: the process's index is dropped.
    forget_process_caches()

    with capture(execute=True):
        result = watchlist_import_csv(text=text, actor=customs_user("risk_analyst"))
    assert result.created and not result.errors


def _clear(hit, declaration, customs_user, capture):
    from risk.services.watchlists import (
        watchlist_false_positive_confirm,
        watchlist_false_positive_create,
    )

    with capture(execute=True):
        proposal = watchlist_false_positive_create(
            entry_id=int(hit.data["entry_id"]),
            party_key=hit.data["party_key"],
            actor=customs_user("officer"),
            reason="another person",
            declaration_id=declaration.pk,
        )
        watchlist_false_positive_confirm(
            clearance_id=proposal.pk,
            actor=customs_user("supervisor"),
            declaration_id=declaration.pk,
        )


@pytest.mark.django_db
def test_a_consignee_at_a_listed_address_goes_red_under_four_eyes(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    from risk.guards import four_eyes_hits
    from tests.risk.test_pages import body, submit

    _import(
        'name,country,address\nNobody Known Sarl,FR,"3, Rue des Lilas, 69 003 Lyon, France"\n',
        customs_user,
        django_capture_on_commit_callbacks,
    )
    declaration = submit(operator_a, body(example, "LRN-ADDR"), django_capture_on_commit_callbacks)
    assert declaration.channel == "red"
    [hit] = _watchlist_hits(declaration)
    assert hit.data["by_address"] is True and hit.data["role"] == "consignee"
    assert "matches the address of watchlist entry" in hit.explanation
    assert four_eyes_hits([declaration]) == {declaration.pk: {"watchlist_screening"}}
    # Cleared for Marie Dupont at that address: the consignment is re-assessed and turns green.
    _clear(hit, declaration, customs_user, django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    assert declaration.channel != "red"
    # Someone else at that address is not covered by Marie Dupont's clearance.
    other = body(example, "LRN-ADDR2")
    other["consignee"]["name"] = "Jean Martin"
    assert _watchlist_hits(submit(operator_a, other, django_capture_on_commit_callbacks))


@pytest.mark.django_db
def test_a_name_cleared_at_one_address_fires_again_at_another(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    from tests.risk.test_pages import body, submit

    _import(
        'name,country,address\nMarie Dupont,FR,"40 Quai Perrache, 69002 Lyon"\n',
        customs_user,
        django_capture_on_commit_callbacks,
    )
    declaration = submit(operator_a, body(example, "LRN-NAME"), django_capture_on_commit_callbacks)
    [hit] = _watchlist_hits(declaration)
    assert "by_address" not in hit.data
    _clear(hit, declaration, customs_user, django_capture_on_commit_callbacks)
    same = submit(operator_a, body(example, "LRN-NAME2"), django_capture_on_commit_callbacks)
    assert _watchlist_hits(same) == []
    moved = body(example, "LRN-NAME3")
    moved["consignee"]["address"]["street"] = "8 rue Garibaldi"
    assert len(_watchlist_hits(submit(operator_a, moved, django_capture_on_commit_callbacks))) == 1


def test_the_address_explanation_reads_in_french(index):
    from django.utils import translation
    from django.utils.translation import gettext

    from declarations.messages import render

    [found] = _by_address(index, street="Hauptstraße 17", postcode="10115", country="DE")
    with translation.override("fr"):
        text = render(found.explanation, gettext)
    assert text.startswith("adresse 'Hauptstraße 17, 10115' : c'est l'adresse de l'entrée WL-B")
    assert "même code postal 10115" in text and "même pays DE" in text


@pytest.mark.django_db
def test_older_clearances_are_narrowed_to_the_address_of_their_consignment(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from customs_ecom.platform.audit import audit_record
    from risk.models import WatchlistEntry as Entry
    from risk.models import WatchlistFalsePositive
    from tests.risk.test_pages import body, submit

    _import(
        "name,country\nMarie Dupont,FR\nJean Martin,FR\n",
        customs_user,
        django_capture_on_commit_callbacks,
    )
    declaration = submit(operator_a, body(example, "LRN-OLD"), django_capture_on_commit_callbacks)
    marie, jean = Entry.objects.get(name="Marie Dupont"), Entry.objects.get(name="Jean Martin")
    officer, supervisor = customs_user("officer"), customs_user("supervisor")

    def cleared_as_before(entry, name_key, declaration_id=None):
        # As clearances were recorded before addresses were kept: the name and country only.
        if declaration_id is not None:
            audit_record(actor=officer, action="watchlist.false_positive_proposed",
                         object_type="declaration", object_id=declaration_id,
                         before={"watchlist_match": entry.name, "party_key": name_key},
                         after={"watchlist_match": "proposed as a false positive"})  # fmt: skip
        return WatchlistFalsePositive.objects.create(
            entry=entry, party_key=name_key, created_by=officer, confirmed_by=supervisor,
            confirmed_at=timezone.now(),
        )  # fmt: skip

    from_page = cleared_as_before(marie, "dupont marie|FR", declaration.pk)
    unknown = cleared_as_before(jean, "jean martin|FR")
    migration = importlib.import_module("risk.migrations.0013_watchlist_clearances_by_address")
    migration.narrow_to_address(apps, None)
    from_page.refresh_from_db()
    unknown.refresh_from_db()
    assert from_page.party_key == "dupont marie|FR|@3 rue des lilas|69003"
    assert unknown.party_key == "jean martin|FR"
    from customs_ecom.platform.models import AuditEvent

    [narrowed] = AuditEvent.objects.filter(action="watchlist.false_positive_narrowed")
    assert narrowed.object_id == str(marie.pk) and narrowed.actor_label == "system"
    assert narrowed.before["party_key"] == "dupont marie|FR"
    assert narrowed.after["declaration"] == str(declaration.pk)


@pytest.mark.django_db
def test_an_older_proposal_is_still_shown_and_confirmed_from_a_consignment(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    from risk.models import WatchlistFalsePositive
    from risk.services.watchlists import (
        watchlist_clearance_of,
        watchlist_false_positive_confirm,
    )
    from tests.risk.test_pages import body, submit

    _import("name,country\nMarie Dupont,FR\n", customs_user, django_capture_on_commit_callbacks)
    declaration = submit(operator_a, body(example, "LRN-PROP"), django_capture_on_commit_callbacks)
    [hit] = _watchlist_hits(declaration)
    # Proposed, by name only, before addresses were part of the key; not yet confirmed.
    older = WatchlistFalsePositive.objects.create(
        entry_id=int(hit.data["entry_id"]),
        party_key="dupont marie|FR",
        created_by=customs_user("officer"),
    )
    assert watchlist_clearance_of(hit.data["entry_id"], hit.data["party_key"]) == older
    with django_capture_on_commit_callbacks(execute=True):
        watchlist_false_positive_confirm(
            clearance_id=older.pk, actor=customs_user("supervisor"), declaration_id=declaration.pk
        )
    assert _watchlist_hits(declaration) == []
