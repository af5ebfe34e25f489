"""Withdrawals from a screening list take two people.

An update of a published list adds and changes entries at once (more matching never weakens
screening), but the entries it no longer lists, and the old content of entries it would weaken
(a name, alias or identifier dropped, the country changed: risk.watchlist_import), are only
*proposed* for withdrawal: they stay
active and keep matching until a supervisor or administrator who did not load the update confirms
the withdrawal on the watchlist page (or rejects it). One person alone never takes a party off a
list, just as one person alone never clears a match as a false positive. A later update of the
same list supersedes a pending proposal (it proposes again what it no longer lists).

The audit of the update, of the confirmation and of the rejection names the entries (publisher's
id and name) with the list's active entries before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.roles import ADMINISTRATOR, SUPERVISOR, has_any_role

from .models import WatchlistEntry, WatchlistWithdrawal

# Who may confirm or reject a withdrawal (never the person who loaded the update).
CAN_DECIDE_WITHDRAWALS = {SUPERVISOR, ADMINISTRATOR}
# The audit names at most this many entries of each kind.
AUDITED_ENTRIES = 2000

# The keys of these audit events, as words on the audit page (registered at start-up).
AUDIT_LABELS = {
    "active_entries": gettext_lazy("Active entries"),
    "external_id": gettext_lazy("Publisher's id"),
    "withdrawal_proposed": gettext_lazy("Withdrawal proposed (awaits a second person)"),
    "withdrawal_pending": gettext_lazy("Withdrawal awaiting a second person"),
    "withdrawn_entries": gettext_lazy("Entries withdrawn"),
    "kept_entries": gettext_lazy("Entries kept on the list"),
    "changed": gettext_lazy("Changed"),
    "changed_pending": gettext_lazy("Old content kept until a second person confirms"),
    "unchanged": gettext_lazy("Unchanged"),
    "format": gettext_lazy("File format"),
    "publisher_date": gettext_lazy("Publication date"),
    "source_url": gettext_lazy("Downloaded from"),
    "skipped_not_parties": gettext_lazy("Records skipped (not parties)"),
    "watchlist_update": gettext_lazy("List update"),
    "truncated": gettext_lazy("List shortened"),
    "superseded_withdrawal": gettext_lazy("Pending withdrawal superseded"),
}


class WithdrawalRefused(ValueError):
    """A confirmation or rejection refused: the message says why."""


def entry_refs(rows: Iterable[WatchlistEntry]) -> list[dict[str, Any]]:
    """Entries as the audit and the proposal name them: row id, publisher's id and name."""
    return [{"entry_id": r.pk, "external_id": r.external_id, "name": r.name} for r in rows]


def audited(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entry references for an audit value (publisher's id and name), at most AUDITED_ENTRIES."""
    return [{"external_id": r["external_id"], "name": r["name"]} for r in refs[:AUDITED_ENTRIES]]


def active_count(list_name: str) -> int:
    return WatchlistEntry.objects.filter(list_name=list_name, is_active=True).count()


def pending_withdrawals() -> list[WatchlistWithdrawal]:
    """Every withdrawal awaiting its second person, oldest first."""
    return list(
        WatchlistWithdrawal.objects.filter(state=WatchlistWithdrawal.State.PENDING)
        .select_related("proposed_by", "update")
        .order_by("proposed_at", "id")
    )


def may_decide(withdrawal: WatchlistWithdrawal, user: Any) -> bool:
    """True when ``user`` may confirm or reject: a supervisor or administrator, not the
    proposer."""
    return (
        bool(getattr(user, "pk", None))
        and has_any_role(user, CAN_DECIDE_WITHDRAWALS)
        and withdrawal.proposed_by_id != user.pk
    )


def supersede_pending(*, list_name: str, by_update_id: int) -> WatchlistWithdrawal | None:
    """A new update of the list replaces the pending proposal (inside its transaction)."""
    pending = (
        WatchlistWithdrawal.objects.select_for_update()
        .filter(list_name=list_name, state=WatchlistWithdrawal.State.PENDING)
        .first()
    )
    if pending is None:
        return None
    pending.state = WatchlistWithdrawal.State.SUPERSEDED
    pending.decided_at = timezone.now()
    pending.decision_reason = f"superseded by list update {by_update_id}"[:300]
    pending.save(update_fields=["state", "decided_at", "decision_reason"])
    return pending


def _decide(withdrawal_id: int, actor: Any) -> WatchlistWithdrawal:
    withdrawal = (
        # Only the withdrawal's row: PostgreSQL locks no nullable side of an outer join.
        WatchlistWithdrawal.objects.select_for_update(of=("self",))
        .select_related("proposed_by")
        .get(pk=withdrawal_id)
    )
    if withdrawal.state != WatchlistWithdrawal.State.PENDING:
        raise WithdrawalRefused(_("This withdrawal was already decided or superseded."))
    if getattr(actor, "pk", None) and withdrawal.proposed_by_id == actor.pk:
        raise WithdrawalRefused(_("A second person confirms a withdrawal: you loaded this update."))
    if not may_decide(withdrawal, actor):
        raise WithdrawalRefused(
            _("Only a supervisor or an administrator confirms or rejects a withdrawal.")
        )
    return withdrawal


def watchlist_withdrawal_confirm(
    *, withdrawal_id: int, actor: Any, reason: str = ""
) -> WatchlistWithdrawal:
    """The second person confirms: the proposed entries become inactive (stop matching) and
    pending declarations are re-assessed. Audited as ``watchlist.withdrawal_confirmed`` with the
    entries withdrawn."""
    from .services.reassessment import enqueue_reassessment
    from .services.watchlists import _watchlist_bump

    with transaction.atomic():
        withdrawal = _decide(withdrawal_id, actor)
        ids = [ref["entry_id"] for ref in withdrawal.entries]
        before = active_count(withdrawal.list_name)
        rows = list(
            WatchlistEntry.objects.select_for_update()
            .filter(pk__in=ids, is_active=True)
            .order_by("pk")
        )
        now = timezone.now()
        WatchlistEntry.objects.filter(pk__in=[r.pk for r in rows]).update(
            is_active=False, updated_at=now
        )
        withdrawal.state = WatchlistWithdrawal.State.CONFIRMED
        withdrawal.decided_by = actor
        withdrawal.decided_at = now
        withdrawal.decision_reason = reason[:300]
        withdrawal.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        refs = entry_refs(rows)
        proposer = withdrawal.proposed_by.get_username() if withdrawal.proposed_by else "system"
        audit_record(
            actor=actor,
            action="watchlist.withdrawal_confirmed",
            object_type="watchlist",
            object_id=withdrawal.list_name[:64],
            before={"active_entries": before, "withdrawal_pending": audited(refs)},
            after={
                "active_entries": before - len(rows),
                "withdrawn_entries": audited(refs),
                **({"truncated": True} if len(refs) > AUDITED_ENTRIES else {}),
                "proposed_by": proposer,
                "watchlist_update": withdrawal.update_id,
            },
            reason=reason or f"list update {withdrawal.update_id}",
        )
        transaction.on_commit(_watchlist_bump)
        enqueue_reassessment(
            reason=f"watchlist {withdrawal.list_name}: withdrawal of update "
            f"{withdrawal.update_id} confirmed"
        )
    return withdrawal


def watchlist_withdrawal_reject(
    *, withdrawal_id: int, actor: Any, reason: str = ""
) -> WatchlistWithdrawal:
    """The second person rejects: the entries stay on the list. Audited as
    ``watchlist.withdrawal_rejected`` with the entries kept."""
    with transaction.atomic():
        withdrawal = _decide(withdrawal_id, actor)
        active = active_count(withdrawal.list_name)
        withdrawal.state = WatchlistWithdrawal.State.REJECTED
        withdrawal.decided_by = actor
        withdrawal.decided_at = timezone.now()
        withdrawal.decision_reason = reason[:300]
        withdrawal.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        proposer = withdrawal.proposed_by.get_username() if withdrawal.proposed_by else "system"
        audit_record(
            actor=actor,
            action="watchlist.withdrawal_rejected",
            object_type="watchlist",
            object_id=withdrawal.list_name[:64],
            before={"active_entries": active, "withdrawal_pending": audited(withdrawal.entries)},
            after={
                "active_entries": active,
                "kept_entries": audited(withdrawal.entries),
                "proposed_by": proposer,
                "watchlist_update": withdrawal.update_id,
            },
            reason=reason or f"list update {withdrawal.update_id}",
        )
    return withdrawal
