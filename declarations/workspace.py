"""Writes of the officer workspace that are not status changes: notes and saved queue views.
Each is one transaction with its audit row (who, when, before, after)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from customs_ecom.platform.audit import audit_record

from .models import Declaration, OfficerNote, SavedView


@transaction.atomic
def officer_note_add(
    *, declaration: Declaration, author: Any, text: str, notes_seen: int | None = None
) -> tuple[OfficerNote, bool]:
    """Add a note (audited) and say whether it is new. With ``notes_seen``, the newest note the
    author's page showed, a note of the same author and text written after it is that same note
    sent twice: it is returned, nothing is written again."""
    Declaration.objects.select_for_update().filter(pk=declaration.pk).first()
    if notes_seen is not None:
        repeated = (
            OfficerNote.objects.filter(
                declaration=declaration, author=author, text=text, pk__gt=notes_seen
            )
            .order_by("pk")
            .first()
        )
        if repeated is not None:
            return repeated, False
    note = OfficerNote.objects.create(declaration=declaration, author=author, text=text)
    audit_record(
        actor=author,
        action="declaration.note",
        object_type="declaration",
        object_id=declaration.pk,
        after={"note_id": note.pk},
        reason=text,
    )
    return note, True


@transaction.atomic
def saved_view_save(*, user: Any, name: str, query: str) -> SavedView:
    """Create or overwrite the user's view of that name."""
    existing = SavedView.objects.select_for_update().filter(user=user, name=name).first()
    before = {"query": existing.query} if existing else None
    view, _ = SavedView.objects.update_or_create(user=user, name=name, defaults={"query": query})
    audit_record(
        actor=user,
        action="saved_view.save",
        object_type="saved_view",
        object_id=view.pk,
        before=before,
        after={"name": name, "query": query},
    )
    return view


@transaction.atomic
def saved_view_delete(*, user: Any, view_id: int) -> bool:
    view = SavedView.objects.filter(user=user, pk=view_id).first()
    if view is None:
        return False
    audit_record(
        actor=user,
        action="saved_view.delete",
        object_type="saved_view",
        object_id=view.pk,
        before={"name": view.name, "query": view.query},
    )
    view.delete()
    return True
