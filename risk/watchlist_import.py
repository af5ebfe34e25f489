"""Updates of published screening lists (FollowTheMoney, EU and UN XML) into the watchlist.

An update is matched to the list's rows by the publisher's own id: a party already listed keeps its
row (changed in place when the update only adds names or identifiers), so the false positives
officers cleared on it keep working; a new party is added. An update that would make an entry stop
matching something it matched (a name or alias dropped, an identifier dropped, the country changed)
does not change it in place: the new content is a new row of the same party, active at once, and
the old row keeps matching, unchanged, until a second person confirms its withdrawal like that of a
party no longer published (the clearances of the old row are carried over). A party no longer
published is only proposed for withdrawal: it keeps matching until a second person confirms
(risk.watchlist_withdrawals); then it is inactive, not deleted, and found again if it is relisted.
A publication older than the list's latest loaded one is refused. Every update is recorded with its
provenance (format, publisher's date, source address, file digest, counts) and audited with the
entries it added, changed and proposed for withdrawal.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customs_ecom.platform.audit import audit_record
from declarations.messages import Message

from .models import WatchlistEntry, WatchlistFalsePositive, WatchlistUpdate, WatchlistWithdrawal
from .watchlist import normalise_identifier, normalise_name
from .watchlist_formats import ListedParty, ListFormatError, parse_list
from .watchlist_withdrawals import AUDITED_ENTRIES, audited, entry_refs, supersede_pending

__all__ = ["ListFormatError", "PublicationRefused", "watchlist_import_published"]


class PublicationRefused(ListFormatError):
    """A well-formed file that may not be loaded (older than the list's latest publication)."""


def publication_moment(value: str) -> datetime | None:
    """The publisher's date as a moment (ISO 8601, a date alone at midnight; without a zone, UTC);
    None when there is none or it cannot be read."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_not_older(list_name: str, publisher_date: str) -> None:
    """Refuse a publication older than the latest one loaded for the list (or undated when the
    list's publications are dated): an old file would bring back what was since changed."""
    latest: tuple[datetime, str] | None = None
    for text in (
        WatchlistUpdate.objects.filter(list_name=list_name)
        .exclude(publisher_date="")
        .values_list("publisher_date", flat=True)
    ):
        moment = publication_moment(text)
        if moment is not None and (latest is None or moment > latest[0]):
            latest = (moment, text)
    if latest is None:
        return
    moment = publication_moment(publisher_date)
    if moment is None:
        raise PublicationRefused(
            Message(
                "the file carries no publication date, and list %(list)s was last loaded from "
                "its publication of %(latest)s.",
                list=list_name,
                latest=latest[1],
            )
        )
    if moment < latest[0]:
        raise PublicationRefused(
            Message(
                "this publication (%(date)s) is older than the latest one loaded for list "
                "%(list)s (%(latest)s).",
                date=publisher_date,
                list=list_name,
                latest=latest[1],
            )
        )


def _values(party: ListedParty, fmt: str) -> dict[str, Any]:
    return {
        "name": party.name[:200],
        "aliases": list(party.aliases),
        "country": party.country[:2],
        "identifiers": list(party.identifiers),
        "reason": party.reason[:300],
        "source": fmt,
    }


def _weakens(row: WatchlistEntry, values: dict[str, Any]) -> bool:
    """True when giving ``row`` the new ``values`` would make it stop matching something: a name
    or alias no longer among the new ones, an identifier dropped, the country changed."""
    if row.country != values["country"]:
        return True

    def names(name: str, aliases: list[str]) -> set[str]:
        return {normalise_name(n) for n in [name, *aliases] if n} - {""}

    def identifiers(values: list[str]) -> set[str]:
        return {normalise_identifier(v) for v in values if v} - {""}

    return bool(
        names(row.name, row.aliases or []) - names(values["name"], values["aliases"])
        or identifiers(row.identifiers or []) - identifiers(values["identifiers"])
    )


def _carry_clearances(replaced: list[tuple[WatchlistEntry, WatchlistEntry]]) -> None:
    """The clearances (and clearance proposals) of each replaced row, on its new row too: the
    parties officers cleared stay cleared whichever row of the party matches."""
    new_of = {old.pk: new for old, new in replaced}
    WatchlistFalsePositive.objects.bulk_create(
        [
            WatchlistFalsePositive(
                entry=new_of[fp.entry_id],
                party_key=fp.party_key,
                created_by_id=fp.created_by_id,
                reason=fp.reason,
                created_at=fp.created_at,
                confirmed_by_id=fp.confirmed_by_id,
                confirmed_at=fp.confirmed_at,
            )
            for fp in WatchlistFalsePositive.objects.filter(entry_id__in=new_of)
        ],
        batch_size=1000,
    )


def watchlist_import_published(
    *,
    content: str | bytes,
    fmt: str,
    list_name: str,
    actor: Any,
    reason: str = "",
    source_url: str = "",
) -> WatchlistUpdate:
    """Load one publication of a list (ListFormatError if the file is not in ``fmt``,
    PublicationRefused if it is older than the list's latest publication; nothing changes then).
    Entries added or changed apply at once; entries no longer published, and the old content of
    entries an update would weaken, are proposed for withdrawal and keep matching until a second
    person confirms. Pending declarations are re-assessed after the update."""
    from .services.reassessment import enqueue_reassessment
    from .services.watchlists import _watchlist_bump

    parsed = parse_list(fmt, content)
    if not parsed.parties:
        raise ListFormatError(Message("the file lists no parties"))
    raw = content.encode("utf-8") if isinstance(content, str) else content
    now = timezone.now()
    with transaction.atomic():
        # The list's rows are locked first: two updates of one list are checked one after the
        # other. A party's current row is the one an update changes; its superseded rows still
        # active (their withdrawal awaits a second person, or was rejected) are proposed again.
        rows = list(
            WatchlistEntry.objects.select_for_update()
            .filter(list_name=list_name)
            .exclude(external_id="")
        )
        existing = {entry.external_id: entry for entry in rows if entry.superseded_by_id is None}
        superseded_active = [r for r in rows if r.superseded_by_id is not None and r.is_active]
        _check_not_older(list_name, parsed.publisher_date)
        active_before = sum(r.is_active for r in rows)
        new_rows: list[WatchlistEntry] = []
        changed_rows: list[WatchlistEntry] = []
        # (old row, its new row): an update that would weaken the old one.
        replaced: list[tuple[WatchlistEntry, WatchlistEntry]] = []
        unchanged = relisted = 0
        for party in parsed.parties:
            values = _values(party, fmt)
            row = existing.get(party.external_id)
            if row is None:
                new_rows.append(
                    WatchlistEntry(
                        list_name=list_name,
                        external_id=party.external_id,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                continue
            if row.is_active and all(getattr(row, k) == v for k, v in values.items()):
                unchanged += 1
                continue
            if row.is_active and _weakens(row, values):
                replacement = WatchlistEntry(
                    list_name=list_name,
                    external_id=party.external_id,
                    address=row.address,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
                replaced.append((row, replacement))
                continue
            for key, value in values.items():
                setattr(row, key, value)
            relisted += not row.is_active
            row.is_active = True
            row.updated_at = now
            changed_rows.append(row)
        published = {p.external_id for p in parsed.parties}
        # No longer published: proposed for withdrawal, still active (a second person confirms).
        unlisted = sorted(
            [
                *(row for key, row in existing.items() if key not in published and row.is_active),
                *superseded_active,
                *(old for old, _new in replaced),
            ],
            key=lambda row: row.pk,
        )
        if replaced:
            # The old rows first leave the party's current place (for a moment superseded by
            # themselves), then the new rows take it.
            WatchlistEntry.objects.filter(pk__in=[old.pk for old, _new in replaced]).update(
                superseded_by=F("pk")
            )
        WatchlistEntry.objects.bulk_create(
            [*new_rows, *(new for _old, new in replaced)], batch_size=1000
        )
        for old, new in replaced:
            old.superseded_by = new
        WatchlistEntry.objects.bulk_update(
            [old for old, _new in replaced], ["superseded_by"], batch_size=1000
        )
        _carry_clearances(replaced)
        WatchlistEntry.objects.bulk_update(
            changed_rows,
            ["name", "aliases", "country", "identifiers", "reason", "source", "is_active",
             "updated_at"],
            batch_size=1000,
        )  # fmt: skip
        update = WatchlistUpdate.objects.create(
            list_name=list_name,
            source=fmt,
            publisher_date=parsed.publisher_date,
            source_url=source_url[:300],
            sha256=hashlib.sha256(raw).hexdigest(),
            entries=len(parsed.parties),
            added=len(new_rows),
            changed=len(changed_rows) + len(replaced),
            unchanged=unchanged,
            withdrawn=len(unlisted),
            imported_by=actor if getattr(actor, "pk", None) else None,
            imported_at=now,
            reason=reason[:300],
        )
        superseded = supersede_pending(list_name=list_name, by_update_id=update.pk)
        # The old content of an entry still listed (a newer row of the party applies): marked so
        # on the page.
        replaced_ids = {r.pk for r in superseded_active if r.external_id in published} | {
            old.pk for old, _new in replaced
        }
        proposed = [
            {**ref, "replaced": True} if ref["entry_id"] in replaced_ids else ref
            for ref in entry_refs(unlisted)
        ]
        if proposed:
            WatchlistWithdrawal.objects.create(
                update=update,
                list_name=list_name,
                entries=proposed,
                proposed_by=update.imported_by,
                proposed_at=now,
            )
        added = entry_refs(new_rows)
        changed = entry_refs([*changed_rows, *(new for _old, new in replaced)])
        changed_pending = entry_refs(old for old, _new in replaced)
        truncated = max(len(added), len(changed), len(proposed)) > AUDITED_ENTRIES
        audit_record(
            actor=actor,
            action="watchlist.update",
            object_type="watchlist",
            object_id=list_name[:64],
            before={
                "active_entries": active_before,
                **(
                    {"withdrawal_pending": audited(superseded.entries)}
                    if superseded is not None
                    else {}
                ),
            },
            after={
                "active_entries": active_before + len(new_rows) + relisted + len(replaced),
                "format": fmt,
                "publisher_date": parsed.publisher_date,
                "source_url": update.source_url,
                "sha256": update.sha256,
                "added": audited(added),
                "changed": audited(changed),
                **({"changed_pending": audited(changed_pending)} if changed_pending else {}),
                "unchanged": update.unchanged,
                "withdrawal_proposed": audited(proposed),
                **({"truncated": True} if truncated else {}),
                **(
                    {"superseded_withdrawal": superseded.update_id}
                    if superseded is not None
                    else {}
                ),
                "skipped_not_parties": parsed.skipped,
                "watchlist_update": update.pk,
            },
            reason=reason,
        )
        transaction.on_commit(_watchlist_bump)
        enqueue_reassessment(reason=f"watchlist {list_name} updated (update {update.pk})")
    return update
