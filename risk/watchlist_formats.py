"""Screening lists as their publishers publish them (no ORM): FollowTheMoney entities (the format of
OpenSanctions' data sets), the EU consolidated financial sanctions list (XML) and the UN Security
Council consolidated list (XML).

Each parser turns a file into ``ListedParty`` rows with the publisher's own id, so an update of the
list finds the same watchlist entry again (and keeps the false positives officers cleared on it).
Only parties a customs declaration can name are kept: people, companies and organisations; vessels,
aircraft, addresses and the links between entities are not parties of a consignment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from defusedxml import ElementTree
from django.utils.translation import gettext_noop

from declarations.messages import Message

FORMATS = ("ftm", "eu_xml", "un_xml")
# English, marked for the catalogs; the upload form and the pages that name a list's format read
# them here (risk.forms.PublishedListForm, risk.models.watchlist_format_label).
FORMAT_LABELS = {
    "ftm": gettext_noop("FollowTheMoney entities (JSON lines, e.g. OpenSanctions)"),
    "eu_xml": gettext_noop("EU consolidated financial sanctions list (XML)"),
    "un_xml": gettext_noop("UN Security Council consolidated list (XML)"),
}
MAX_NAME = 200
MAX_ALIASES = 50


class ListFormatError(ValueError):
    """The file is not in the announced format; the message says where (a
    ``declarations.messages.Message``: English, shown in the reader's language)."""


@dataclass(frozen=True)
class ListedParty:
    """One party of a published list, as the watchlist stores it."""

    external_id: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    identifiers: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class ParsedList:
    parties: list[ListedParty] = field(default_factory=list)
    publisher_date: str = ""
    skipped: int = 0  # entities that are not parties (vessels, addresses, links...)


def _clean(values, limit: int = MAX_NAME) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        text = " ".join(str(value or "").split())[:limit]
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _party(external_id: str, names: list[str], **fields) -> ListedParty | None:
    names = _clean(names)
    if not names or not external_id:
        return None
    aliases = tuple(n for n in names[1:] if n != names[0])[:MAX_ALIASES]
    return ListedParty(external_id[:120], names[0], aliases, **fields)


# --- FollowTheMoney -------------------------------------------------------------------------------

_FTM_IDENTIFIER_PROPS = (
    "registrationNumber", "taxNumber", "vatCode", "innCode", "ogrnCode", "leiCode", "swiftBic",
    "idNumber", "passportNumber", "imoNumber",
)  # fmt: skip


def parse_ftm(text: str) -> ParsedList:
    """FollowTheMoney entities, one JSON object per line (OpenSanctions' ``entities.ftm.json``).
    Entities of the LegalEntity schemata (Person, Company, Organization...) become parties; their
    names, aliases and weak aliases, country and identifiers are kept, with the data sets and
    topics as the reason."""
    from followthemoney import model
    from followthemoney.exc import InvalidData

    parsed = ParsedList()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            proxy = model.get_proxy(data)
        except (ValueError, TypeError, KeyError, InvalidData) as error:
            raise ListFormatError(
                Message(
                    "line %(line)s: not a FollowTheMoney entity (%(error)s)",
                    line=number,
                    error=str(error),
                )
            ) from None
        if not proxy.schema.is_a("LegalEntity"):
            parsed.skipped += 1
            continue
        names = proxy.get("name") + proxy.get("alias") + proxy.get("weakAlias", quiet=True)
        identifiers = []
        for prop in _FTM_IDENTIFIER_PROPS:
            identifiers.extend(proxy.get(prop, quiet=True))
        countries = sorted(proxy.countries)
        topics = proxy.get("topics", quiet=True)
        datasets = data.get("datasets") or []
        reason = "; ".join(part for part in (", ".join(datasets), ", ".join(topics)) if part)
        party = _party(
            proxy.id or "",
            names,
            country=countries[0].upper() if len(countries) == 1 and len(countries[0]) == 2 else "",
            identifiers=tuple(_clean(identifiers, 60)),
            reason=reason[:300],
        )
        if party is None:
            parsed.skipped += 1
        else:
            parsed.parties.append(party)
        dates = data.get("last_change") or data.get("last_seen")
        if dates and dates > parsed.publisher_date:
            parsed.publisher_date = str(dates)[:40]
    return parsed


# --- XML helpers ----------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return " ".join((child.text or "").split())
    return ""


def _xml_root(text: str | bytes, expected: str):
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ListFormatError(Message("not well-formed XML: %(error)s", error=str(error))) from None
    except Exception as error:  # defusedxml refuses entities and DTDs: a hostile file
        raise ListFormatError(
            Message("refused XML: %(error)s", error=error.__class__.__name__)
        ) from None
    if _local(root.tag) != expected:
        raise ListFormatError(
            Message(
                "root element is <%(found)s>, expected <%(expected)s>",
                found=_local(root.tag),
                expected=expected,
            )
        )
    return root


# --- EU consolidated financial sanctions list -----------------------------------------------------


def parse_eu_xml(text: str | bytes) -> ParsedList:
    """The EU consolidated list (``xmlFullSanctionsList_1_1``): each ``sanctionEntity`` of subject
    type person or enterprise, its ``nameAlias`` whole names, citizenship or address country,
    identification numbers and the regulation's programme; ``logicalId`` is the publisher's id."""
    root = _xml_root(text, "export")
    parsed = ParsedList(publisher_date=root.get("generationDate", "")[:40])
    for entity in _children(root, "sanctionEntity"):
        subject = next(iter(_children(entity, "subjectType")), None)
        code = subject.get("code", "") if subject is not None else ""
        if code not in ("person", "enterprise"):
            parsed.skipped += 1
            continue
        names = [alias.get("wholeName", "") for alias in _children(entity, "nameAlias")]
        countries = [
            c.get("countryIso2Code", "")
            for c in _children(entity, "citizenship") + _children(entity, "address")
        ]
        countries = sorted({c.upper() for c in countries if len(c) == 2 and c != "00"})
        identifiers = [i.get("number", "") for i in _children(entity, "identification")]
        programmes = sorted(
            {r.get("programme", "") for r in _children(entity, "regulation")} - {""}
        )
        reference = entity.get("euReferenceNumber", "")
        reason = " ".join(p for p in (f"EU {reference}".strip(), ", ".join(programmes)) if p)
        party = _party(
            entity.get("logicalId", ""),
            names,
            country=countries[0] if len(countries) == 1 else "",
            identifiers=tuple(_clean(identifiers, 60)),
            reason=reason[:300],
        )
        if party is None:
            parsed.skipped += 1
        else:
            parsed.parties.append(party)
    return parsed


# --- UN Security Council consolidated list --------------------------------------------------------


@lru_cache(maxsize=1024)
def _country_code(name: str) -> str:
    """ISO alpha-2 code of a country named in English (the UN list names countries), or ""."""
    import pycountry

    if not name:
        return ""
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        try:
            return pycountry.countries.search_fuzzy(name)[0].alpha_2
        except LookupError:
            return ""


def parse_un_xml(text: str | bytes) -> ParsedList:
    """The UN consolidated list (``CONSOLIDATED_LIST``): ``INDIVIDUAL`` and ``ENTITY`` records,
    names from FIRST_NAME .. FOURTH_NAME, aliases, nationality or address country, document
    numbers, list type and reference number; ``DATAID`` is the publisher's id."""
    root = _xml_root(text, "CONSOLIDATED_LIST")
    parsed = ParsedList(publisher_date=root.get("dateGenerated", "")[:40])
    for group, record, alias_tag, address_tag in (
        ("INDIVIDUALS", "INDIVIDUAL", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("ENTITIES", "ENTITY", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    ):
        for container in _children(root, group):
            for entry in _children(container, record):
                name = " ".join(
                    part
                    for part in (_text(entry, tag) for tag in
                                 ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"))
                    if part
                )  # fmt: skip
                aliases = [_text(a, "ALIAS_NAME") for a in _children(entry, alias_tag)]
                countries = {
                    _country_code(_text(n, "VALUE")) for n in _children(entry, "NATIONALITY")
                } | {_country_code(_text(a, "COUNTRY")) for a in _children(entry, address_tag)}
                countries.discard("")
                documents = [_text(d, "NUMBER") for d in _children(entry, "INDIVIDUAL_DOCUMENT")]
                reason = " ".join(
                    p for p in (f"UN {_text(entry, 'UN_LIST_TYPE')}",
                                _text(entry, "REFERENCE_NUMBER")) if p
                )  # fmt: skip
                party = _party(
                    _text(entry, "DATAID"),
                    [name, *aliases],
                    country=next(iter(countries)) if len(countries) == 1 else "",
                    identifiers=tuple(_clean(documents, 60)),
                    reason=reason[:300],
                )
                if party is None:
                    parsed.skipped += 1
                else:
                    parsed.parties.append(party)
    return parsed


PARSERS = {"ftm": parse_ftm, "eu_xml": parse_eu_xml, "un_xml": parse_un_xml}


def parse_list(fmt: str, content: str | bytes) -> ParsedList:
    """Parse a published list in one of ``FORMATS``; ListFormatError says what is wrong."""
    if fmt not in PARSERS:
        raise ListFormatError(
            Message(
                "unknown format '%(format)s'; known: %(known)s",
                format=fmt,
                known=", ".join(FORMATS),
            )
        )
    if fmt == "ftm" and isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ListFormatError(Message("the file is not UTF-8 text")) from None
    parsed = PARSERS[fmt](content)
    ids = [p.external_id for p in parsed.parties]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ListFormatError(
            Message("the same id appears twice: %(ids)s", ids=", ".join(duplicates))
        )
    return parsed
