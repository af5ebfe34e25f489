"""Watchlists: the per-process screening index (rebuilt when the list changes), the CSV import
and the clearing of a false positive, each followed by the re-assessment of pending
declarations."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.bounds import as_id
from customs_ecom.platform.csvfile import csv_dict_reader, csv_header, csv_rows
from declarations.messages import Message

from ..models import WatchlistEntry, WatchlistFalsePositive
from ..reference import unknown_column, unreadable_error
from ..watchlist import WatchlistEntry as WatchlistEntrySpec
from ..watchlist import WatchlistIndex, normalise_name
from .reassessment import enqueue_reassessment

_watchlist_cache: dict[str, Any] = {
    "stamp": None,
    "index": None,
    "generation": None,
    "checked": 0.0,
}
WATCHLIST_RECHECK_SECONDS = 5.0
WATCHLIST_GENERATION_KEY = "risk:watchlist:generation"


def _watchlist_bump() -> None:
    """Tell every process that the watchlist changed (their cached index is rebuilt)."""
    try:
        cache.incr(WATCHLIST_GENERATION_KEY)
    except ValueError:
        cache.set(WATCHLIST_GENERATION_KEY, 1, timeout=None)


def watchlist_index() -> WatchlistIndex:
    """The active watchlist as a screening index, rebuilt only when it changed (a 10,000-entry
    index takes a noticeable fraction of a second to build; a batch takes milliseconds)."""
    generation = cache.get(WATCHLIST_GENERATION_KEY, 0)
    now = time.monotonic()
    # Every change through the services bumps the generation, seen at once; the table itself
    # (an edit that bypassed them) is counted at most every few seconds, not for every batch.
    if (
        _watchlist_cache["index"] is not None
        and _watchlist_cache["generation"] == generation
        and now - _watchlist_cache["checked"] < WATCHLIST_RECHECK_SECONDS
    ):
        return _watchlist_cache["index"]
    # The newest change too: an update of a published list changes entries in place (names,
    # aliases, identifiers), which leaves their number and highest id as they were.
    stats = WatchlistEntry.objects.filter(is_active=True).aggregate(
        n=Count("id"), top=Max("id"), changed=Max("updated_at")
    )
    stamp = (generation, stats["n"], stats["top"], stats["changed"])
    _watchlist_cache.update(generation=generation, checked=now)
    if _watchlist_cache["stamp"] != stamp:
        entries = [
            WatchlistEntrySpec(
                id=str(row.pk),
                name=row.name,
                aliases=tuple(row.aliases or ()),
                country=row.country or None,
                address=row.address or None,
                identifiers=tuple(row.identifiers or ()),
            )
            for row in WatchlistEntry.objects.filter(is_active=True)
        ]
        _watchlist_cache.update(stamp=stamp, index=WatchlistIndex(entries))
        # The index is hundreds of thousands of long-lived objects: moved out of the collector's
        # reach, they are no longer traversed by every full collection during a batch (which had
        # made each model instantiation in the batch cost ~0.1 ms).
        gc.collect()
        gc.freeze()
    return _watchlist_cache["index"]


WATCHLIST_COLUMNS = ("name", "aliases", "country", "address", "identifiers", "list", "reason")


@dataclass
class WatchlistImport:
    """The result of a CSV import: rows created, or every row error (then nothing is created)."""

    created: int = 0
    # (row, column, message): English text that keeps its message id and parameters, so a page
    # shows it in the reader's language (declarations.messages).
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    # Rows already on their list as they are (the same file sent twice): not added again.
    already_listed: int = 0


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _at_most(length: int) -> Message:
    return Message("at most %(length)s characters", length=length)


# The audit of an import lists the entries added, up to this many.
AUDITED_ENTRIES = 2000


def watchlist_import_csv(*, text: str, actor: Any, reason: str = "") -> WatchlistImport:
    """Import watchlist entries from CSV (header: name, aliases, country, address, identifiers,
    list, reason; aliases and identifiers separated by ';'). All or nothing: any row error is
    reported with its row number and column and nothing is imported."""
    result = WatchlistImport()
    reader = csv_dict_reader(text)
    header = csv_header(reader, unreadable_error(result.errors))
    if header is None:
        return result
    missing = [c for c in ("name",) if c not in header]
    unknown = [h for h in header if h not in WATCHLIST_COLUMNS]
    if missing or unknown:
        if missing:
            result.errors.append((1, "name", Message("the header must have a 'name' column")))
        for column in unknown:
            result.errors.append((1, column, unknown_column(WATCHLIST_COLUMNS)))
        return result
    rows: list[WatchlistEntry] = []
    for number, raw in csv_rows(reader, unreadable_error(result.errors)):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            result.errors.append((number, "", Message("more fields than columns in the header")))
            continue
        name = row.get("name", "")
        country = row.get("country", "").upper()
        if not name:
            result.errors.append((number, "name", Message("a name is required")))
        elif len(name) > 200:
            result.errors.append((number, "name", _at_most(200)))
        elif not normalise_name(name):
            # Punctuation or invisible characters only: an entry no name could ever match.
            result.errors.append(
                (number, "name", Message("the name has no letter or digit to match"))
            )
        if country and (len(country) != 2 or not country.isalpha()):
            result.errors.append(
                (number, "country", Message("'%(value)s' is not a 2-letter code", value=country))
            )
        if len(row.get("address", "")) > 300:
            result.errors.append((number, "address", _at_most(300)))
        if len(row.get("list", "")) > 60:
            result.errors.append((number, "list", _at_most(60)))
        if len(row.get("reason", "")) > 300:
            result.errors.append((number, "reason", _at_most(300)))
        rows.append(
            WatchlistEntry(
                list_name=row.get("list") or "national",
                name=name,
                aliases=_split(row.get("aliases", "")),
                country=country,
                address=row.get("address", ""),
                identifiers=_split(row.get("identifiers", "")),
                reason=row.get("reason", ""),
            )
        )
    if not rows and not result.errors:
        result.errors.append((2, "", Message("the file has no rows")))
    if result.errors:
        return result
    with transaction.atomic():
        lists = sorted({r.list_name for r in rows})
        # An entry already on its list exactly as given (an import sent twice, a row repeated)
        # is not added again: a second entry of the same party would fire a second match that a
        # false-positive clearance of the first does not clear.
        listed = {
            _entry_identity(entry)
            for entry in WatchlistEntry.objects.filter(list_name__in=lists, is_active=True)
        }
        fresh = []
        for row in rows:
            identity = _entry_identity(row)
            if identity not in listed:
                listed.add(identity)
                fresh.append(row)
        result.already_listed = len(rows) - len(fresh)
        rows = fresh
        if not rows:
            return result
        before = dict(
            WatchlistEntry.objects.filter(list_name__in=lists)
            .values("list_name")
            .annotate(n=Count("pk"))
            .values_list("list_name", "n")
        )
        WatchlistEntry.objects.bulk_create(rows, batch_size=1000)
        # The entries added, themselves (up to AUDITED_ENTRIES), and how many each list held.
        added = [
            {
                "list": r.list_name,
                "name": r.name,
                "aliases": list(r.aliases),
                "country": r.country,
                "address": r.address,
                "identifiers": list(r.identifiers),
                "reason": r.reason,
            }
            for r in rows[:AUDITED_ENTRIES]
        ]
        audit_record(
            actor=actor,
            action="watchlist.import",
            object_type="watchlist",
            object_id=",".join(lists)[:64],
            before={"entries_by_list": {name: before.get(name, 0) for name in lists}},
            after={
                "entries": len(rows),
                "entries_by_list": {
                    name: before.get(name, 0) + sum(1 for r in rows if r.list_name == name)
                    for name in lists
                },
                "added": added,
                **({"added_truncated": True} if len(rows) > AUDITED_ENTRIES else {}),
            },
            reason=reason,
        )
        transaction.on_commit(_watchlist_bump)
        enqueue_reassessment(reason="watchlist import")
    result.created = len(rows)
    return result


def _entry_identity(entry: WatchlistEntry) -> tuple:
    return (
        entry.list_name,
        entry.name,
        tuple(entry.aliases or ()),
        entry.country,
        entry.address,
        tuple(entry.identifiers or ()),
        entry.reason,
    )


class ClearanceRefused(ValueError):
    """A watchlist clearance refused: the message says why, for the officer."""


def _page_problem(declaration_id: int, actor: Any, entry_id: int, party_key: str) -> str | None:
    """Why a clearance may not be proposed or confirmed from this consignment's page: another
    officer holds it, or it does not carry the match. None when it may."""
    from declarations import lifecycle
    from declarations.models import Declaration

    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    problem = lifecycle.held_by_another(declaration, actor)
    if problem is None and not _matched_on(declaration_id, entry_id, party_key):
        problem = _("This consignment does not carry that watchlist match.")
    return problem


def _matched_on(declaration_id: int, entry_id: int, party_key: str) -> bool:
    """True when the consignment's current risk assessment holds this watchlist match."""
    from ..models import RiskAssessment

    latest = (
        RiskAssessment.objects.filter(declaration_id=declaration_id)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None:
        return False
    return any(
        str(data.get("entry_id")) == str(entry_id)
        and (data.get("party_key") == party_key or _name_only(data.get("party_key")) == party_key)
        for data in latest.hits.filter(rule_code="watchlist_screening").values_list(
            "data", flat=True
        )
    )


def watchlist_false_positive_create(
    *,
    entry_id: int,
    party_key: str,
    actor: Any,
    reason: str = "",
    declaration_id: int | None = None,
) -> WatchlistFalsePositive:
    """Propose that a watchlist match is not the listed party. From a consignment's page
    (``declaration_id``) the match must be one of that consignment's current hits and no other
    officer may hold it. The proposal changes nothing until a second person confirms it
    (`watchlist_false_positive_confirm`): one person alone never takes a party off the list.
    Both steps are audited on the entry and on the consignment."""
    with transaction.atomic():
        entry = WatchlistEntry.objects.get(pk=entry_id)
        if declaration_id is not None:
            problem = _page_problem(declaration_id, actor, entry.pk, party_key)
            if problem is not None:
                raise ClearanceRefused(problem)
        marked, created = WatchlistFalsePositive.objects.get_or_create(
            entry=entry,
            party_key=party_key[:300],
            defaults={"created_by": actor if getattr(actor, "pk", None) else None,
                      "reason": reason[:300]},
        )  # fmt: skip
        if created:
            proposal = {"entry": entry.name, "party_key": party_key, "confirmed": False}
            audit_record(
                actor=actor,
                action="watchlist.false_positive_proposed",
                object_type="watchlist_entry",
                object_id=entry.pk,
                before=None,
                after=proposal,
                reason=reason,
            )
            if declaration_id is not None:
                audit_record(
                    actor=actor,
                    action="watchlist.false_positive_proposed",
                    object_type="declaration",
                    object_id=declaration_id,
                    before={"watchlist_match": entry.name, "party_key": party_key},
                    after={"watchlist_match": "proposed as a false positive"},
                    reason=reason,
                )
    return marked


def watchlist_false_positive_confirm(
    *, clearance_id: int, actor: Any, declaration_id: int | None = None
) -> WatchlistFalsePositive:
    """The second person confirms a proposed clearance: from then the pair stops firing and
    pending declarations are re-assessed (each channel the re-assessment changes is on that
    consignment's audit trail). The proposer cannot confirm their own proposal."""
    with transaction.atomic():
        marked = (
            WatchlistFalsePositive.objects.select_for_update()
            .select_related("entry")
            .get(pk=clearance_id)
        )
        if marked.confirmed_at is not None:
            return marked
        if not getattr(actor, "pk", None) or marked.created_by_id == actor.pk:
            raise ClearanceRefused(
                _("A second person confirms a clearance: you proposed this one.")
            )
        if declaration_id is not None:
            problem = _page_problem(declaration_id, actor, marked.entry_id, marked.party_key)
            if problem is not None:
                raise ClearanceRefused(problem)
        marked.confirmed_by = actor
        marked.confirmed_at = timezone.now()
        marked.save(update_fields=["confirmed_by", "confirmed_at"])
        proposer = marked.created_by.get_username() if marked.created_by else "system"
        audit_record(
            actor=actor,
            action="watchlist.false_positive",
            object_type="watchlist_entry",
            object_id=marked.entry_id,
            before={"entry": marked.entry.name, "party_key": marked.party_key, "confirmed": False},
            after={"entry": marked.entry.name, "party_key": marked.party_key, "confirmed": True,
                   "proposed_by": proposer},
            reason=marked.reason,
        )  # fmt: skip
        if declaration_id is not None:
            audit_record(
                actor=actor,
                action="watchlist.false_positive",
                object_type="declaration",
                object_id=declaration_id,
                before={"watchlist_match": marked.entry.name, "party_key": marked.party_key},
                after={"watchlist_match": "cleared as a false positive",
                       "proposed_by": proposer},
                reason=marked.reason,
            )  # fmt: skip
        enqueue_reassessment(reason="watchlist false positive")
    return marked


def _name_only(key: Any) -> str:
    """The name-and-country part of a watchlist hit's party key (``risk.facts.screening_key``):
    the key of clearances made before addresses were part of it."""
    return str(key or "").split("|@", 1)[0]


def watchlist_clearance_of(entry_id: Any, party_key: str) -> WatchlistFalsePositive | None:
    """The clearance (proposed or confirmed) of one watchlist match, if any: for that name at
    that address, else one made for the name before addresses were part of the key."""
    pk = as_id(entry_id)
    if pk is None:
        return None
    keys = list(dict.fromkeys((party_key, _name_only(party_key))))
    found = {
        c.party_key: c
        for c in WatchlistFalsePositive.objects.select_related("created_by").filter(
            entry_id=pk, party_key__in=keys
        )
    }
    return next((found[k] for k in keys if k in found), None)
