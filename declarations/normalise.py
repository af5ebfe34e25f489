"""Normalised keys for parties, so that 'Marie DUPONT, 3 Rue des Lilas' and 'marie dupont 3 rue des lilas'
are the same consignee when risk looks for split consignments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_non_alnum = re.compile(r"[^a-z0-9]+")
_document_gaps = re.compile(r"[\s\-]+")


def document_key(number: str) -> str:
    """A transport document number as the goods' key: spaces and dashes dropped, upper case
    ('rr 123-456 785 de' -> 'RR123456785DE'), so that the same waybill or postal item written
    another way is the same goods (holds follow them) and is found by a search or an arrival."""
    return _document_gaps.sub("", number or "").upper()


def fold(text: str) -> str:
    """Casefold, strip accents and punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _non_alnum.sub(" ", ascii_text).strip()


def party_key(party: Mapping[str, Any] | None) -> str:
    """Name tokens sorted (word order does not matter) + postcode + country."""
    if not party:
        return ""
    address = party.get("address") or {}
    name = " ".join(sorted(fold(party.get("name", "")).split()))
    postcode = fold(address.get("postcode") or "").replace(" ", "")
    return f"{name}|{postcode}|{(address.get('country') or '').upper()}"[:200]
