"""Updates of published screening lists (FollowTheMoney, EU and UN XML) into the watchlist.

An update is matched to the list's rows by the publisher's own id: a party already listed keeps its
row (changed in place when its names or identifiers changed), so the false positives officers
cleared on it keep working; a party no longer published is withdrawn (inactive, not deleted, and
found again if it is relisted); a new party is added. Every update is recorded with its provenance
(format, publisher's date, source address, file digest, counts) and audited.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from customs_ecom.platform.audit import audit_record

from .models import WatchlistEntry, WatchlistUpdate
from .watchlist_formats import ListedParty, ListFormatError, parse_list

__all__ = ["ListFormatError", "watchlist_import_published"]


def _values(party: ListedParty, fmt: str) -> dict[str, Any]:
    return {
        "name": party.name[:200],
        "aliases": list(party.aliases),
        "country": party.country[:2],
        "identifiers": list(party.identifiers),
        "reason": party.reason[:300],
        "source": fmt,
    }


def watchlist_import_published(
    *,
    content: str | bytes,
    fmt: str,
    list_name: str,
    actor: Any,
    reason: str = "",
    source_url: str = "",
) -> WatchlistUpdate:
    """Load one publication of a list (ListFormatError if the file is not in ``fmt``; nothing
    changes then). Pending declarations are re-assessed after the update."""
    from .services.reassessment import enqueue_reassessment
    from .services.watchlists import _watchlist_bump

    parsed = parse_list(fmt, content)
    if not parsed.parties:
        raise ListFormatError("the file lists no parties")
    raw = content.encode("utf-8") if isinstance(content, str) else content
    now = timezone.now()
    with transaction.atomic():
        existing = {
            entry.external_id: entry
            for entry in WatchlistEntry.objects.select_for_update()
            .filter(list_name=list_name)
            .exclude(external_id="")
        }
        new_rows: list[WatchlistEntry] = []
        changed_rows: list[WatchlistEntry] = []
        unchanged = 0
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
            for key, value in values.items():
                setattr(row, key, value)
            row.is_active = True
            row.updated_at = now
            changed_rows.append(row)
        published = {p.external_id for p in parsed.parties}
        withdrawn = [row for key, row in existing.items() if key not in published and row.is_active]
        for row in withdrawn:
            row.is_active = False
            row.updated_at = now
        WatchlistEntry.objects.bulk_create(new_rows, batch_size=1000)
        WatchlistEntry.objects.bulk_update(
            changed_rows + withdrawn,
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
            changed=len(changed_rows),
            unchanged=unchanged,
            withdrawn=len(withdrawn),
            imported_by=actor if getattr(actor, "pk", None) else None,
            imported_at=now,
            reason=reason[:300],
        )
        audit_record(
            actor=actor,
            action="watchlist.update",
            object_type="watchlist",
            object_id=list_name[:64],
            before={"active": sum(r.is_active for r in existing.values()) + len(withdrawn)},
            after={
                "format": fmt,
                "publisher_date": parsed.publisher_date,
                "sha256": update.sha256,
                "added": update.added,
                "changed": update.changed,
                "unchanged": update.unchanged,
                "withdrawn": update.withdrawn,
                "skipped_not_parties": parsed.skipped,
            },
            reason=reason,
        )
        transaction.on_commit(_watchlist_bump)
        enqueue_reassessment(reason=f"watchlist {list_name} updated")
    return update
