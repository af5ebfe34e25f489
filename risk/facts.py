"""The facts snapshot a risk assessment reads: plain frozen dataclasses, no ORM.

The Django side builds one ``Facts`` per declaration from the database (money converted to EUR at
the customs rate of the day), so the rules are pure functions that test without a database and
an assessment can be replayed from the stored snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from hashlib import sha256

from risk.lexicons import tokens
from risk.watchlist import normalise_address, normalise_name


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """A party (seller, sender, consignee); ``identifiers`` are (scheme, value) pairs."""

    name: str
    street: str
    city: str
    postcode: str
    country: str
    identifiers: tuple[tuple[str, str], ...] = ()
    is_business: bool = False


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """One goods item; ``value_eur`` is the value of the whole line."""

    line: int
    description: str
    hs_code: str
    value_eur: Decimal
    quantity: Decimal
    net_mass_kg: Decimal | None
    origin_country: str | None


@dataclass(frozen=True, slots=True)
class PriorConsignment:
    """An earlier (or concurrent) consignment to the same normalised consignee."""

    declaration_id: int
    consignee_key: str
    value_eur: Decimal
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the rules may look at for one declaration."""

    declaration_id: int
    operator_id: int
    operator_role: str
    operator_is_aeo: bool
    dataset: str
    category: str
    transport_mode: str | None
    transport_document_type: str
    country_of_dispatch: str
    total_value_eur: Decimal
    total_gross_mass_kg: Decimal
    items: tuple[ItemFacts, ...]
    seller: PartyFacts | None
    sender: PartyFacts | None
    consignee: PartyFacts
    tax_scheme: str | None
    tax_scheme_number: str | None
    dq_score: int | None
    submitted_at: datetime
    seller_prior_count: int
    consignee_recent: tuple[PriorConsignment, ...] = ()
    # The consignee identity stored with each consignment by the Django side; when set, the
    # splitting rule compares it with ``PriorConsignment.consignee_key`` (same normaliser on both
    # sides) instead of recomputing ``consignee_key(consignee)``.
    consignee_key: str = ""
    # The operator's AEO benefit factors as the AEO registry grants them at assessment time;
    # None means the rule-set policy's factors apply.
    aeo_score_factor: Decimal | None = None
    aeo_random_factor: Decimal | None = None
    # The IOSS ceiling's worth in euro at the customs rate of the month, as a factor of the
    # ceiling: 1 in the euro area; outside it the ceiling is converted at the October rate
    # (art. 369zc) while the value is converted at the month's rate (revenue provides it).
    ioss_ceiling_factor: Decimal = Decimal(1)


def _folded_words(text: str) -> str:
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def _consignee_key(name: str, street: str, postcode: str, country: str) -> str:
    postcode_key = "".join(tokens(postcode)).upper()
    return "|".join(
        (normalise_name(name), _folded_words(street), postcode_key, country.strip().upper())
    )


def consignee_key(party: PartyFacts) -> str:
    """Normalised name + street + postcode + country, the identity used to detect splitting.

    Accents, case, punctuation, legal forms and word order of the name are ignored, so "DUPONT
    Marie, 3 Rue des Lilas" and "Marie Dupont, 3 rue des lilas" are the same consignee. The Django
    side must store this key with each consignment to build ``Facts.consignee_recent``.
    """
    return _consignee_key(party.name, party.street, party.postcode, party.country)


@lru_cache(maxsize=65536)
def _party_key(name: str, country: str) -> str:
    return f"{normalise_name(name)}|{country.strip().upper()}"


def party_key(party: PartyFacts) -> str:
    """Normalised name + country: the identity of a seller or sender.

    Used for ``BatchContext.known_tax_numbers`` (seller keys seen with a tax-scheme number) and
    ``BatchContext.false_positives`` (entry id, party key).
    """
    return _party_key(party.name, party.country)


# Clearances store the key in 300 characters; a longer one keeps its address as a digest.
_SCREENING_KEY_LENGTH = 300


@lru_cache(maxsize=65536)
def _screening_key(name: str, country: str, street: str, postcode: str) -> str:
    address = " ".join(normalise_address(street))
    postcode_key = "".join(tokens(postcode)).upper()
    key = f"{_party_key(name, country)}|@{address}|{postcode_key}"
    if len(key) > _SCREENING_KEY_LENGTH:
        digest = sha256(f"{address}|{postcode_key}".encode()).hexdigest()[:32]
        key = f"{_party_key(name, country)[: _SCREENING_KEY_LENGTH - 35]}|@#{digest}"
    return key


def screening_key(party: PartyFacts) -> str:
    """Normalised name + country + normalised street line and postcode: the party a watchlist
    clearance is made for, so clearing "John Smith" at one address does not clear every John
    Smith. Clearances made before addresses were kept hold the plain `party_key` (name only)."""
    return _screening_key(party.name, party.country, party.street, party.postcode)
