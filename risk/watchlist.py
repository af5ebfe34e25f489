"""Watchlist screening: fuzzy, explainable name matching that stays fast with 10,000+ entries.

A name is first normalised (accents, scripts, legal forms, punctuation and word order removed),
then candidates are found through a blocking index of sound-alike word keys, and only those few
candidates are scored with an edit-distance similarity. The score blends the spelling similarity
of the normalised names with the similarity of their sound-alike keys, so "Shenzen Exampel
Trading" still matches "Shenzhen Example Trading Co., Ltd." and "Aleksandr Petrov" matches
"Alexander Petroff", while every match says why it was made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from rapidfuzz import process
from rapidfuzz.distance import Indel

from declarations.messages import Message
from risk.lexicons import (
    _ABBREVIATION_DOT,
    _NON_ALNUM,
    LEGAL_SUFFIXES,
    fold,
    look_alike,
    name_tokens,
    readings,
)

# Penalty when the party's country and the entry's country are both known and differ: a
# same-name business in another country is weaker evidence, but not none (front companies move).
COUNTRY_MISMATCH_PENALTY = 10.0
# A blocking key shared by more than this share of name variants says little about identity
# ("trading", "group"); it is not used to find candidates, only to score them.
COMMON_KEY_SHARE = 0.005
COMMON_KEY_MIN_POSTINGS = 50
MAX_CANDIDATES = 30
_CACHE_LIMIT = 65536


@dataclass(frozen=True)
class WatchlistEntry:
    """A watchlisted party: its names, where it is and identifiers known for it."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    address: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One screening match, with a human explanation of why it matched."""

    entry_id: str
    matched_name: str
    score: float
    explanation: str
    # An identifier listed for the entry, not a name: a clearance of the name does not answer it.
    by_identifier: bool = False
    # The party's address is the entry's, whatever the name (a listed party under a new name).
    by_address: bool = False


@lru_cache(maxsize=131072)
def normalise_name(s: str) -> str:
    """Comparable form of a party name.

    NFKD, accents stripped, Cyrillic and Greek transliterated, lower case, legal forms (Co., Ltd,
    GmbH, LLC, SARL...) and punctuation dropped, words sorted so word order does not matter.
    A name made only of legal forms keeps them, so it does not vanish.
    """
    words = name_tokens(s)
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    return " ".join(sorted(kept or words))


_PHONETIC_DIGRAPHS = (
    ("tsch", "s"), ("sch", "s"), ("tch", "s"), ("ch", "s"), ("sh", "s"), ("zh", "s"), ("ts", "s"),
    ("tz", "s"), ("ph", "f"), ("th", "t"), ("kh", "k"), ("ck", "k"), ("gh", "g"), ("dj", "j"),
    ("qu", "k"), ("ou", "u"),
)  # fmt: skip
_PHONETIC_LETTERS = str.maketrans({"c": "k", "q": "k", "x": "ks", "z": "s", "w": "f", "v": "f",
                                   "y": "i", "j": "i"})  # fmt: skip
_VOWELS_AND_H = re.compile(r"[aeiouh]")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=262144)
def phonetic_key(word: str) -> str:
    """A coarse sound-alike key for one folded word, tolerant of transliteration variants.

    Sibilant digraphs collapse ("Shenzhen" and "Shenzen" -> "snsn"), c/k/q, v/f/w and y/i/j are
    merged, vowels after the first letter are dropped and doubled letters collapsed.
    """
    for digraph, replacement in _PHONETIC_DIGRAPHS:
        if digraph in word:
            word = word.replace(digraph, replacement)
    word = word.translate(_PHONETIC_LETTERS)
    if not word:
        return ""
    key = word[0] + _VOWELS_AND_H.sub("", word[1:])
    return _REPEATS.sub(r"\1", key)


def _phonetic_form(normalised: str) -> str:
    return " ".join(sorted(phonetic_key(w) for w in normalised.split()))


def normalise_identifier(value: str) -> str:
    """Identifiers compared without spaces, dots or dashes, upper case ("DE 123.456" = "DE123456").

    Identifiers are written in Latin letters and digits: full-width or mathematical forms read
    as the plain ones, and a Cyrillic or Greek letter drawn like a Latin one as that letter
    ("DЕ123" with a Cyrillic "Е" is "DE123"), rather than being dropped."""
    if not value.isascii():
        value = fold(look_alike(value))
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


# --- addresses ----------------------------------------------------------------------------------

# Street types and unit words written out one way ("st." and "street" are one word).
_ADDRESS_WORDS = {
    "st": "street", "str": "strasse", "strase": "strasse", "rd": "road", "av": "avenue",
    "ave": "avenue", "blvd": "boulevard", "bd": "boulevard", "bvd": "boulevard", "ln": "lane",
    "dr": "drive", "ct": "court", "pl": "place", "sq": "square", "hwy": "highway",
    "pkwy": "parkway", "cres": "crescent", "ter": "terrace", "rte": "route", "chem": "chemin",
    "imp": "impasse", "pza": "piazza", "ul": "ulica",
    "apt": "unit", "apartment": "unit", "appt": "unit", "app": "unit", "flat": "unit",
    "suite": "unit", "ste": "unit", "rm": "unit", "room": "unit", "bureau": "unit",
    "no": "", "nr": "", "num": "", "numero": "",
}  # fmt: skip
# German compounds ("Hauptstraße", "Hauptstr.") split so "Haupt Straße 17" reads the same.
_COMPOUND_STREET = re.compile(r"^(\w{3,}?)(strasse|str|weg|gasse|platz|allee|ring)$")
_COMPOUND_ENDINGS = ("strasse", "str", "weg", "gasse", "platz", "allee", "ring")
# Words that say what kind of street or unit it is: they never identify an address alone.
_ADDRESS_KINDS = frozenset(
    {"street", "strasse", "road", "avenue", "boulevard", "lane", "drive", "court", "place",
     "square", "highway", "parkway", "crescent", "terrace", "route", "chemin", "impasse",
     "piazza", "calle", "ulica", "rue", "via", "weg", "gasse", "platz", "allee", "ring", "unit",
     "de", "des", "du", "la", "le", "les", "di", "del", "der", "the", "of", "and", "building",
     "floor", "house", "way", "close", "plaza"}
)  # fmt: skip
# How alike the party's street line and the entry's must be (spelling of the sorted words).
ADDRESS_MIN_SIMILARITY = 0.9


@lru_cache(maxsize=131072)
def normalise_address(text: str) -> tuple[str, ...]:
    """Comparable words of an address line: folded (case, accents, scripts, punctuation), street
    types and unit words written out ("St." = "Street", "Str." = "Straße" = "strasse", "av." =
    "avenue", "Apt"/"Flat"/"Suite" = "unit"), German compounds split, and a unit word joined
    to its number ("unit4") so another flat is another address."""
    words: list[str] = []
    # Plain ASCII (most addresses) folds to its lower case; the rest goes through `fold`.
    raw = (
        _NON_ALNUM.sub(" ", _ABBREVIATION_DOT.sub("", text.lower())).split()
        if text.isascii()
        else name_tokens(text)
    )
    for word in raw:
        compound = _COMPOUND_STREET.match(word) if word.endswith(_COMPOUND_ENDINGS) else None
        if compound:
            word_parts = [
                compound.group(1),
                _ADDRESS_WORDS.get(compound.group(2), compound.group(2)),
            ]
        else:
            word_parts = [_ADDRESS_WORDS.get(word, word)]
        for part in word_parts:
            if not part:
                continue
            if words and words[-1] == "unit" and _DIGIT.search(part):
                words[-1] = f"unit{part}"
            else:
                words.append(part)
    return tuple(words)


_DIGIT = re.compile(r"\d")


def _numbers(words: Iterable[str]) -> frozenset[str]:
    return frozenset(filter(_DIGIT.search, words))


def _distinctive(words: Iterable[str]) -> list[str]:
    return [w for w in words if len(w) > 2 and w.isalpha() and w not in _ADDRESS_KINDS]


def _postcode_key(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", fold(value or "")).upper()


def _address_keys(numbers: Iterable[str], words: Iterable[str]) -> set[str]:
    # A house number with a sound-alike key of a distinctive street word: misspellings of the
    # street still meet, a lone number or a lone name does not.
    keys = {phonetic_key(w) for w in words}
    return {f"{n}|{k}" for n in numbers for k in keys if k}


@lru_cache(maxsize=65536)
def _street_profile(street: str) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """The words of a street line, its numbers and its blocking keys (none without a number and
    a distinctive word: a lone city, country or street name never matches)."""
    if not _DIGIT.search(street):
        return (), frozenset(), ()
    words = normalise_address(street)
    numbers = _numbers(words)
    # The same keys the index files each listed address under.
    return words, numbers, tuple(_address_keys(numbers, _distinctive(words)))


@dataclass(frozen=True, slots=True)
class _Address:
    entry: WatchlistEntry
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Variant:
    entry: WatchlistEntry
    written: str
    normalised: str
    phonetic: str


def _min_spelling(threshold: float) -> float:
    # The blended score (spelling + sound-alike) / 2 reaches the threshold only if spelling is at
    # least 2 * threshold - 100, since sound-alike is at most 100.
    return max(0.0, 2 * threshold - 100) / 100


class WatchlistIndex:
    """Screening index over watchlist entries, built once per batch.

    Names and aliases are normalised once; a blocking index maps each word's sound-alike key to
    the name variants containing it, so a query only scores the handful of entries sharing a
    distinctive word with it.
    """

    def __init__(self, entries: Iterable[WatchlistEntry]):
        self.entries: tuple[WatchlistEntry, ...] = tuple(entries)
        self._variants: list[_Variant] = []
        self._exact: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        self._by_identifier: dict[str, list[WatchlistEntry]] = {}
        self._addresses: list[_Address] = []
        self._address_postings: dict[str, list[int]] = {}
        for entry in self.entries:
            if entry.address:
                words = normalise_address(entry.address)
                numbers = _numbers(words)
                keys = _address_keys(numbers, _distinctive(words))
                if keys:
                    for key in keys:
                        self._address_postings.setdefault(key, []).append(len(self._addresses))
                    self._addresses.append(_Address(entry, words))
            for written in dict.fromkeys((entry.name, *entry.aliases)):
                normalised = normalise_name(written)
                if not normalised:
                    continue
                position = len(self._variants)
                self._variants.append(
                    _Variant(entry, written, normalised, _phonetic_form(normalised))
                )
                self._exact.setdefault(normalised, []).append(position)
                for key in {phonetic_key(w) for w in normalised.split() if len(w) > 1}:
                    postings.setdefault(key, []).append(position)
            for identifier in entry.identifiers:
                normalised_id = normalise_identifier(identifier)
                if normalised_id:
                    self._by_identifier.setdefault(normalised_id, []).append(entry)
        common_limit = max(COMMON_KEY_MIN_POSTINGS, int(len(self._variants) * COMMON_KEY_SHARE))
        self._postings: dict[str, tuple[int, ...]] = {
            key: tuple(ids) for key, ids in postings.items() if len(ids) <= common_limit
        }
        self._cache: dict[tuple, list[Match]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def match(
        self,
        name: str,
        *,
        country: str | None = None,
        identifiers: Iterable[str] = (),
        threshold: float = 88.0,
        street: str = "",
        postcode: str = "",
    ) -> list[Match]:
        """Entries matching a party, best first, at or above ``threshold`` (0-100).

        An identical identifier (EORI, VAT, ...) is a match of 100 whatever the name; a party
        whose street line and postcode are an entry's address matches it whatever the name
        (``by_address``, see `_match_address`).
        """
        cache_key = (name, country, tuple(identifiers), threshold)
        result = self._cache.get(cache_key)
        if result is None:
            result = self._match(name, country, cache_key[2], threshold)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[cache_key] = result
        if not street or not self._addresses:
            return result
        # Addresses apart from names: the same name at many addresses (a common consignee name)
        # keeps its one cached name screening; a street line is looked up in the address index
        # (its words and keys are cached, the lookup itself costs less than a cache would).
        at_address = self._match_address(street, postcode, country)
        if not at_address:
            return result
        named = {m.entry_id for m in result}
        extra = [m for m in at_address if m.entry_id not in named]
        if extra:
            result = sorted(result + extra, key=lambda m: (-m.score, m.entry_id))
        return result

    def _match(
        self, name: str, country: str | None, identifiers: tuple[str, ...], threshold: float
    ) -> list[Match]:
        best: dict[str, Match] = {}
        for identifier in identifiers:
            normalised_id = normalise_identifier(identifier)
            for entry in self._by_identifier.get(normalised_id, ()):
                best[entry.id] = Match(
                    entry.id,
                    entry.name,
                    100.0,
                    f"identifier {identifier} is listed for watchlist entry {entry.id} "
                    f"'{entry.name}'",
                    by_identifier=True,
                )
        # Every reading of the name (invisible characters taken for spaces, letters of other
        # scripts for the Latin ones they look like): the best match of an entry counts.
        for normalised in dict.fromkeys(normalise_name(r) for r in readings(name)):
            if normalised:
                self._match_name(name, normalised, country, threshold, best)
        return sorted(best.values(), key=lambda m: (-m.score, m.entry_id))

    def _match_name(
        self,
        name: str,
        normalised: str,
        country: str | None,
        threshold: float,
        best: dict[str, Match],
    ) -> None:
        positions = self._candidates(normalised)
        # Spelling similarity of all candidates in one vectorised call; only the few close
        # enough get the full, explained score.
        close = process.extract(
            normalised,
            [self._variants[p].normalised for p in positions],
            scorer=Indel.normalized_similarity,
            score_cutoff=_min_spelling(threshold),
            limit=None,
        )
        for _text, similarity, index in close:
            variant = self._variants[positions[index]]
            previous = best.get(variant.entry.id)
            if previous is not None and previous.score >= 100:
                continue  # an identifier, or a name matched exactly
            found = self._score(name, normalised, similarity * 100, country, variant, threshold)
            if found is not None and (previous is None or found.score > previous.score):
                best[found.entry_id] = found

    def _candidates(self, normalised: str) -> list[int]:
        exact = self._exact.get(normalised, [])
        keys = {phonetic_key(w) for w in normalised.split() if len(w) > 1}
        shared = Counter(chain.from_iterable(self._postings.get(k, ()) for k in keys))
        ranked = [position for position, _count in shared.most_common(MAX_CANDIDATES)]
        return list(dict.fromkeys(exact + ranked))

    def _score(
        self,
        name: str,
        normalised: str,
        spelling: float,
        country: str | None,
        variant: _Variant,
        threshold: float,
    ) -> Match | None:
        # Sound-alike similarity lifts the score at most to the midpoint between the two, so a
        # phonetic coincidence alone never reaches a high score.
        phonetic = Indel.normalized_similarity(_phonetic_form(normalised), variant.phonetic) * 100
        score = max(spelling, (spelling + phonetic) / 2)
        entry = variant.entry
        country_note: str = ""
        if country and entry.country:
            if country.upper() == entry.country.upper():
                country_note = Message("; same country %(country)s", country=entry.country)
            else:
                score -= COUNTRY_MISMATCH_PENALTY
                country_note = Message(
                    "; country %(country)s differs from listed %(listed)s (-%(penalty)s)",
                    country=country,
                    listed=entry.country,
                    penalty=f"{COUNTRY_MISMATCH_PENALTY:.0f}",
                )
        score = round(score, 1)
        if score < threshold:
            return None
        alias_note = "" if variant.written == entry.name else f" (alias '{variant.written}')"
        explanation = Message(
            "'%(name)s' matches watchlist entry %(entry)s '%(listed)s'%(alias)s: score "
            "%(score)s/100 (spelling %(spelling)s, sound-alike %(phonetic)s; accents, scripts, "
            "legal forms and word order ignored)%(country)s",
            name=name,
            entry=entry.id,
            listed=entry.name,
            alias=alias_note,
            score=f"{score:.0f}",
            spelling=f"{spelling:.0f}",
            phonetic=f"{phonetic:.0f}",
            country=country_note,
        )
        return Match(entry.id, entry.name, score, explanation)

    def _match_address(self, street: str, postcode: str, country: str | None) -> list[Match]:
        """Entries listed at the party's address, conservatively: the street line must carry a
        house number and a distinctive word; the numbers (house, unit) must be the same; the
        street words at least ``ADDRESS_MIN_SIMILARITY`` alike; the countries the same when
        both are known; and the postcode the same when both have one (an entry whose address
        holds another number than the street's is taken to have another postcode). A city or a
        country alone never matches."""
        words, numbers, keys = _street_profile(street)
        postings = self._address_postings
        hits = [postings[k] for k in keys if k in postings]
        if not hits:
            return []
        positions = dict.fromkeys(chain.from_iterable(hits))
        wanted = " ".join(sorted(words))
        size = len(words)
        party_postcode = _postcode_key(postcode)
        found: list[Match] = []
        for position in positions:
            listed = self._addresses[position]
            entry = listed.entry
            if country and entry.country and country.upper() != entry.country.upper():
                continue
            best, rest = 0.0, ()
            for width in (size - 1, size, size + 1):
                for start in range(0, len(listed.words) - width + 1):
                    window = listed.words[start : start + width]
                    if width < 1 or _numbers(window) != numbers:
                        continue
                    similarity = Indel.normalized_similarity(wanted, " ".join(sorted(window)))
                    if similarity > best:
                        best = similarity
                        rest = listed.words[:start] + listed.words[start + width :]
            if best < ADDRESS_MIN_SIMILARITY:
                continue
            postcode_note: str = ""
            if party_postcode:
                joined = {
                    "".join(rest[i : i + n]).upper()
                    for n in (1, 2, 3)
                    for i in range(0, len(rest) - n + 1)
                }
                if party_postcode in joined:
                    postcode_note = Message("; same postcode %(postcode)s", postcode=postcode)
                elif _numbers(rest):
                    continue  # the entry's address has another postcode
            country_note: str = ""
            if country and entry.country:
                country_note = Message("; same country %(country)s", country=entry.country)
            score = round(best * 100, 1)
            explanation = Message(
                "address '%(address)s' matches the address of watchlist entry %(entry)s "
                "'%(listed)s' ('%(listed_address)s'): street %(similarity)s/100 alike with the "
                "same numbers (case, accents, punctuation and abbreviations ignored)"
                "%(postcode)s%(country)s",
                address=", ".join(p for p in (street, postcode) if p),
                entry=entry.id,
                listed=entry.name,
                listed_address=entry.address,
                similarity=f"{score:.0f}",
                postcode=postcode_note,
                country=country_note,
            )
            found.append(Match(entry.id, entry.name, score, explanation, by_address=True))
        return found
