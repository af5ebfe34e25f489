"""Watchlist screening: tolerant of spelling, scripts and word order, explainable, and fast."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.bench_engine import synthetic_watchlist
from risk.watchlist import (
    WatchlistEntry,
    WatchlistIndex,
    normalise_identifier,
    normalise_name,
    phonetic_key,
)
from tests.risk import WATCHLIST


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Shenzhen Example Trading Co., Ltd.", "example shenzhen trading"),
        ("Trading Example SHENZHEN", "example shenzhen trading"),
        ("Müller Küchen GmbH", "kuchen muller"),
        ("S.A.R.L. Dupont & Fils", "and dupont fils"),
        ("Александр Петров", "aleksandr petrov"),
        ("Γιώργος Παπαδόπουλος", "giorgos papadopoulos"),
        ("Ølstad Bryggeri AS", "bryggeri olstad"),
        ("Straße Import LLC", "import strasse"),
        ("Ltd", "ltd"),
    ],
)
def test_normalise_name(raw, normalised):
    assert normalise_name(raw) == normalised


@given(st.text(max_size=60))
def test_normalise_name_is_idempotent_and_ascii(raw):
    once = normalise_name(raw)
    assert normalise_name(once) == once
    assert once.isascii()


@given(st.lists(st.from_regex(r"[A-Za-z]{2,10}", fullmatch=True), min_size=1, max_size=5))
def test_normalise_name_ignores_word_order(words):
    assert normalise_name(" ".join(words)) == normalise_name(" ".join(reversed(words)))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("shenzhen", "shenzen"),
        ("aleksandr", "alexander"),
        ("petrov", "petroff"),
        ("mohammed", "muhammad"),
        ("dmitriy", "dmitri"),
        ("schmidt", "shmidt"),
    ],
)
def test_phonetic_key_folds_transliteration_variants(one, other):
    assert phonetic_key(one) == phonetic_key(other)


def test_normalise_identifier():
    assert normalise_identifier(" de 123.456-789 ") == "DE123456789"
    # Full-width forms, look-alike Cyrillic letters and invisible characters are not dropped.
    assert normalise_identifier("ＤＥ１２３４５６７８９") == "DE123456789"
    assert normalise_identifier("DЕ 123\u200b456 789") == "DE123456789"
    assert normalise_identifier("АВС-1") == "ABC1"


@pytest.fixture(scope="module")
def index():
    return WatchlistIndex(WATCHLIST)


@pytest.mark.parametrize(
    ("name", "entry_id"),
    [
        ("Shenzhen Bright Star Trading Co., Ltd.", "WL-1"),
        ("Shenzen Brigth Star Trading Company", "WL-1"),
        ("Trading Bright Star Shenzhen", "WL-1"),
        ("Aleksandr Petrov", "WL-2"),
        ("Александр Петров", "WL-2"),
        ("PETROV Sasha", "WL-2"),
        ("Golden Dragon Export", "WL-3"),
        ("Fast Lucky Watch Ltd", "WL-4"),
    ],
)
def test_match_tolerates_spelling_scripts_word_order_and_aliases(index, name, entry_id):
    matches = index.match(name)
    assert [m.entry_id for m in matches] == [entry_id]
    assert matches[0].score >= 88
    assert f"watchlist entry {entry_id}" in matches[0].explanation
    assert "spelling" in matches[0].explanation and "sound-alike" in matches[0].explanation


@pytest.mark.parametrize(
    ("name", "entry_id"),
    [
        # Latin letters swapped for Cyrillic or Greek look-alikes, one or throughout.
        ("Shenzhen Bright Stаr Trading", "WL-1"),
        ("Ѕhеnzhеn Вrіght Ѕtаr Тrаdіng", "WL-1"),
        ("Gоldеn Drаgоn Ехроrt", "WL-3"),
        ("ΡΕΤRΟV Sasha", "WL-2"),
        ("Ѕаѕhа Ρеtrоv", "WL-2"),
        # Mathematical letters, which have no lower case of their own.
        ("𝐆𝐎𝐋𝐃𝐄𝐍 𝐃𝐑𝐀𝐆𝐎𝐍 𝐄𝐗𝐏𝐎𝐑𝐓", "WL-3"),
        # Invisible characters inside a word or in place of the spaces.
        ("Gol\u200bden Dra\u200cgon Ex\u00adport", "WL-3"),
        ("Golden\u200bDragon\u200bExport", "WL-3"),
        ("Golden\u00adDragon\u2060Export\ufeff", "WL-3"),
        ("  golden   DRAGON\texport ", "WL-3"),
    ],
)
def test_match_sees_through_look_alike_letters_and_invisible_characters(index, name, entry_id):
    matches = index.match(name)
    assert [m.entry_id for m in matches] == [entry_id]
    assert matches[0].score >= 88
    # The explanation quotes the name as it was written.
    assert f"'{name}'" in matches[0].explanation


def test_a_name_written_in_cyrillic_is_still_read_in_its_own_script(index):
    assert [m.entry_id for m in index.match("Саша Петров")] == ["WL-2"]


@pytest.mark.parametrize(
    "name",
    [
        "Marie Dupont",
        "Bright Star Bakery",
        "Shenzhen Trading",
        "Alexander Smith",
        "Golden Gate Export",
    ],
)
def test_match_leaves_unrelated_names_alone(index, name):
    assert index.match(name) == []


def test_alias_match_says_which_alias(index):
    (match,) = index.match("Sasha Petrov")
    assert "(alias 'Sasha Petrov')" in match.explanation
    assert match.matched_name == "Alexander Petroff"


def test_identifier_match_wins_whatever_the_name(index):
    (match,) = index.match("Totally Different Name", identifiers=["DE123456789"])
    assert match.entry_id == "WL-3" and match.score == 100.0
    assert "identifier DE123456789" in match.explanation


def test_country_mismatch_lowers_the_score_and_says_so(index):
    (same,) = index.match("Shenzhen Bright Star Trading", country="CN")
    (other,) = index.match("Shenzhen Bright Star Trading", country="VN")
    assert same.score - other.score == pytest.approx(10)
    assert "same country CN" in same.explanation
    assert "country VN differs from listed CN (-10)" in other.explanation


def test_threshold_controls_tolerance(index):
    assert index.match("Aleksandr Petrov", threshold=95) == []
    assert index.match("Aleksandr Petrov", threshold=85)


def test_match_results_are_cached_but_identical(index):
    assert index.match("Aleksandr Petrov") == index.match("Aleksandr Petrov")


def test_empty_index_matches_nothing():
    empty = WatchlistIndex(())
    assert len(empty) == 0 and empty.match("Anyone") == []


def test_common_words_alone_do_not_flood_candidates():
    entries = [WatchlistEntry(f"E{n}", f"Trading Group {n}") for n in range(2_000)]
    entries.append(WatchlistEntry("TARGET", "Trading Group"))
    index = WatchlistIndex(entries)
    assert [m.entry_id for m in index.match("Trading Group Ltd")] == ["TARGET"]


def test_screening_stays_fast_with_ten_thousand_entries():
    entries = synthetic_watchlist(10_000)
    index = WatchlistIndex(entries)
    target = entries[1234]
    queries = [f"Customer Number{n} Lastname{n % 97}" for n in range(2_000)]
    started = time.perf_counter()
    for query in queries:
        index.match(query)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{len(queries) / elapsed:.0f} screenings/s"
    misspelt = target.name.replace("a", "e", 1) if "a" in target.name else target.name + "s"
    assert target.id in [m.entry_id for m in index.match(misspelt)]
