"""Normalised keys for parties, so that 'Marie DUPONT, 3 Rue des Lilas' and 'marie dupont 3 rue des lilas'
are the same consignee when risk looks for split consignments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_non_alnum = re.compile(r"[^a-z0-9]+")
# Letters of other scripts that read as Latin ones on a label (Cyrillic and Greek capitals).
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEKMHOPCTYXIJSABEZHIKMNOPTYX")


def document_key(number: str) -> str:
    """A transport document number as the goods' key: letters and digits only (compatibility
    forms folded, spaces, dashes, dots, slashes and invisible characters dropped), upper case,
    Cyrillic and Greek look-alikes read as Latin, O as 0 and I as 1 ('rr 123-456 785 de' ->
    'RR123456785DE'; intake accepts Latin letters and digits only, the rest is defence), so
    that the same waybill or postal item written another way is the same goods (holds follow
    them) and is found by a search or an arrival."""
    folded = unicodedata.normalize("NFKC", number or "").upper().translate(_LOOKALIKES)
    # The letters O and I read as the digits 0 and 1 on a label: one key for both.
    return "".join(ch for ch in folded if ch.isalnum()).replace("O", "0").replace("I", "1")


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
