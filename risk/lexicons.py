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
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if "υ" in decomposed:
        # Greek "ου" is one sound, romanised "ou" (ELOT 743), not "oy".
        decomposed = decomposed.replace("ου", "ou")
    transliterated = decomposed.translate(_TRANSLITERATION_TABLE)
    return transliterated.encode("ascii", "ignore").decode("ascii")


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
    """Every word and run of up to four words of a description, folded.

    Keyword lookup then becomes a set intersection, which keeps the rules fast no matter how many
    keywords the lists hold.
    """
    words = tokens(description)
    terms: set[str] = set(words)
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
