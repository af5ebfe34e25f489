"""Text folding and the multilingual keyword lists used by the risk rules.

Descriptions arrive in many languages and scripts. Every comparison therefore happens on a
folded form: lower case, accents stripped, Cyrillic and Greek transliterated to Latin, punctuation
turned into spaces. Keyword lists live in ``risk/data/keywords.json`` so analysts can extend them
without touching code; rule parameters can add more on top.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# Simplified BGN/PCGN romanisation for Cyrillic and ELOT 743 for Greek: enough to make a name
# written in either script comparable with its Latin spelling on a parcel label.
_TRANSLITERATION = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye",
    "ґ": "g", "ў": "u", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz",
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
    "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    "&": " and ",
}  # fmt: skip
_TRANSLITERATION_TABLE = str.maketrans(_TRANSLITERATION)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Dots inside abbreviations ("S.A.R.L.", "Co.") are removed rather than split so the
# abbreviation stays one token.
_ABBREVIATION_DOT = re.compile(r"(?<=\w)\.(?=\w|\s|$)")


@lru_cache(maxsize=131072)
def fold(text: str) -> str:
    """Lower-case, transliterate and strip accents; keep only ASCII letters and digits."""
    # Decomposed before lower-casing: letters with no case mapping of their own (mathematical
    # bold "𝐆𝐔𝐍", circled "Ⓖ") become their capital Latin letter only once decomposed.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).lower())
    if "υ" in decomposed:
        # Greek "ου" is one sound, romanised "ou" (ELOT 743), not "oy".
        decomposed = decomposed.replace("ου", "ou")
    transliterated = decomposed.translate(_TRANSLITERATION_TABLE)
    return transliterated.encode("ascii", "ignore").decode("ascii")


# Letters of the Cyrillic, Greek and Armenian scripts drawn like Latin ones (the common subset
# of the Unicode confusables), mapped to the Latin letter they are read as. Case matters: "Н"
# looks like "H" but "н" does not.
_CONFUSABLES = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ӏ": "I",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
        "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ѵ": "v",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
        "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "α": "a", "υ": "u", "χ": "x",
        "ϲ": "c", "ϳ": "j", "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n",
    }
)  # fmt: skip
_CONFUSABLE_CHARACTERS = frozenset(chr(c) for c in _CONFUSABLES)


@lru_cache(maxsize=131072)
def readings(text: str) -> tuple[str, ...]:
    """The ways a name or description may be read, the text itself first.

    Invisible characters (zero-width spaces and joiners, soft hyphens, direction marks) vanish
    when the text is folded; written between two words, they hide the space a reader sees:
    a second reading takes each of them for a space. Letters of another script drawn like Latin
    ones ("Ѕhеnzhеn" with Cyrillic letters) are transliterated as their script is
    written; another reading takes them for the Latin letters they look like. A matcher uses
    every reading, so neither trick hides a name or a keyword.
    """
    if text.isascii():
        return (text,)
    found = [text]
    decomposed = unicodedata.normalize("NFKD", text)
    if any(unicodedata.category(c) == "Cf" for c in decomposed):
        spaced = "".join(" " if unicodedata.category(c) == "Cf" else c for c in decomposed)
        found.append(spaced)
    if _CONFUSABLE_CHARACTERS.intersection(decomposed) or _CONFUSABLE_CHARACTERS.intersection(text):
        found.extend(look_alike(reading) for reading in list(found))
    return tuple(dict.fromkeys(found))


def look_alike(text: str) -> str:
    """``text`` with letters of other scripts drawn like Latin ones taken for those, decomposed."""
    # Before and after decomposition: "Ϲ" decomposes to a sigma, "ё" to a look-alike "е".
    return unicodedata.normalize("NFKD", text.translate(_CONFUSABLES)).translate(_CONFUSABLES)


@lru_cache(maxsize=131072)
def tokens(text: str) -> tuple[str, ...]:
    """Folded words of ``text`` in their original order ("Li-Ion Akku" -> ("li", "ion", "akku"))."""
    return tuple(_NON_ALNUM.sub(" ", fold(text)).split())


@lru_cache(maxsize=131072)
def name_tokens(text: str) -> tuple[str, ...]:
    """Folded words of a party name; abbreviation dots are dropped so "S.A." stays "sa"."""
    return tuple(_NON_ALNUM.sub(" ", _ABBREVIATION_DOT.sub("", fold(text))).split())


def _phrase(text: str) -> str:
    return " ".join(tokens(text))


MAX_PHRASE_WORDS = 4


@lru_cache(maxsize=131072)
def description_terms(description: str) -> frozenset[str]:
    """Every word and run of up to four words of a description, folded, in each of its
    ``readings``.

    Keyword lookup then becomes a set intersection, which keeps the rules fast no matter how many
    keywords the lists hold.
    """
    terms: set[str] = set()
    for reading in readings(description):
        words = tokens(reading)
        terms.update(words)
        count = len(words)
        for size in range(2, MAX_PHRASE_WORDS + 1):
            for start in range(count - size + 1):
                terms.add(" ".join(words[start : start + size]))
    return frozenset(terms)


@dataclass(frozen=True)
class KeywordCategory:
    """A named keyword list: phrases that signal the category, phrases that cancel it."""

    name: str
    reason: str
    keywords: frozenset[str]
    exclude: frozenset[str]

    def find(self, terms: frozenset[str]) -> list[str]:
        """Keywords of this category present in ``terms``, unless an exclusion phrase is present."""
        found = terms & self.keywords
        if not found or terms & self.exclude:
            return []
        return sorted(found)


def make_category(name: str, reason: str, keywords: Any, exclude: Any = ()) -> KeywordCategory:
    """Build a category, folding every phrase the same way descriptions are folded."""
    return KeywordCategory(
        name=name,
        reason=reason,
        keywords=frozenset(p for p in (_phrase(k) for k in keywords) if p),
        exclude=frozenset(p for p in (_phrase(k) for k in exclude) if p),
    )


def _load() -> dict[str, Any]:
    with (DATA_DIR / "keywords.json").open(encoding="utf-8") as handle:
        return json.load(handle)


_RAW = _load()

PROHIBITED_CATEGORIES: MappingProxyType[str, KeywordCategory] = MappingProxyType(
    {
        name: make_category(name, spec["reason"], spec["keywords"], spec.get("exclude", ()))
        for name, spec in _RAW["prohibited"].items()
    }
)
LITHIUM_BATTERIES = make_category(
    "lithium_batteries",
    "lithium batteries",
    _RAW["lithium_batteries"]["keywords"],
    _RAW["lithium_batteries"]["exclude"],
)
LUXURY_BRANDS: frozenset[str] = frozenset(_phrase(b) for b in _RAW["luxury_brands"])
VAGUE_TERMS: frozenset[str] = frozenset(_phrase(t) for t in _RAW["vague_terms"])
STOPWORDS: frozenset[str] = frozenset(_phrase(t) for t in _RAW["stopwords"])
HS_CHAPTER_HINTS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {_phrase(k): frozenset(v) for k, v in _RAW["hs_chapter_hints"].items()}
)
COMMERCIAL_NAME_MARKERS: frozenset[str] = frozenset(
    _phrase(t) for t in _RAW["commercial_name_markers"]
)
LEGAL_SUFFIXES: frozenset[str] = frozenset(_phrase(t) for t in _RAW["legal_suffixes"])
