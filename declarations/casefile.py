"""The consignment page as a case file: a timeline in sentences, the documents requested against
those received, and the context of the printable inspection and seizure report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Declaration, Status

# Audit actions the timeline tells from another row: the status event tells each status change,
# the note row tells each note.
_TOLD_ELSEWHERE = {"declaration.note"} | {f"declaration.{s}" for s in Status.values}

# Column names of an amendment's changes, as words.
FIELD_LABELS = {
    "category": gettext_lazy("Category"),
    "transport_mode": gettext_lazy("Transport mode"),
    "transport_document_type": gettext_lazy("Transport document type"),
    "transport_document_number": gettext_lazy("Transport document"),
    "country_of_dispatch": gettext_lazy("Country of dispatch"),
    "currency": gettext_lazy("Currency"),
    "total_value": gettext_lazy("Value"),
    "total_value_eur": gettext_lazy("Value (EUR)"),
    "total_gross_mass_kg": gettext_lazy("Gross mass (kg)"),
    "packages": gettext_lazy("Packages"),
    "item_count": gettext_lazy("Items"),
    "seller_name": gettext_lazy("Seller"),
    "consignee_name": gettext_lazy("Consignee"),
    "consignee_country": gettext_lazy("Consignee country"),
    "tax_scheme": gettext_lazy("Tax scheme"),
    "tax_scheme_number": gettext_lazy("Tax-scheme number"),
    "expected_arrival": gettext_lazy("Expected arrival"),
}
# Normalised keys the officer never reads.
_HIDDEN_FIELDS = {"consignee_key"}


@dataclass
class TimelineEntry:
    at: datetime
    who: str
    sentence: str
    customs_only: bool
    text: str = ""  # a note or reason, shown as written
    operator_reads: str = ""
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def _status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value or "-"


def _field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))


# Decimal columns of an amendment's changes and the places they are shown with.
_DECIMAL_PLACES = {"total_value": 2, "total_value_eur": 2, "total_gross_mass_kg": 3}


def _shown(name: str, value: Any) -> Any:
    if name in _DECIMAL_PLACES and value not in (None, ""):
        from customs_ecom.platform.templatetags.human import number

        return number(value, _DECIMAL_PLACES[name]) or value
    return value


def _audit_sentence(action: str, after: Any, before: Any) -> tuple[str, bool]:
    """What an audit row says, as a sentence, and whether only customs may read it."""
    after = after if isinstance(after, dict) else {}
    if action == "declaration.claim":
        return _("Claimed the consignment."), True
    if action == "declaration.release_claim" or action == "declaration.unclaim":
        return _("Released the claim on the consignment."), True
    if action == "declaration.reassign":
        return _("Reassigned the consignment."), True
    if action == "declaration.amend":
        return _("Amended the declaration (revision %(revision)s).") % {
            "revision": after.get("revision", "?")
        }, False
    if action == "declaration.document":
        from django.utils.translation import gettext

        from customs_ecom.platform.templatetags.human import label

        return gettext("Uploaded a document: %(type)s.") % {
            "type": label(after.get("type", ""))
        }, False
    if action == "risk.outcome":
        from customs_ecom.platform.templatetags.human import label

        return _("Recorded the control outcome: %(result)s.") % {
            "result": label(after.get("result", ""))
        }, True
    if action == "taxes.revalue":
        return _("Revalued the goods and reassessed the taxes."), True
    if action == "relief.granted":
        return _("Granted the returned goods relief on the evidence of export."), True
    if action == "relief.refused":
        return _("Refused the returned goods relief: no evidence of export."), True
    if action == "relief.reopened":
        return _("Reopened the refused returned goods relief."), True
    from customs_ecom.platform.templatetags.human import action as action_words

    # Any other audit action by its words ("ledger.payment": "Payment recorded."), never its code.
    return _("%(action)s.") % {"action": action_words(action)}, True


def readable_timeline(*, declaration: Declaration) -> list[TimelineEntry]:
    """Status changes, audit rows and notes merged in time order, each told once, as a sentence."""
    from customs_ecom.platform.models import AuditEvent

    entries: list[TimelineEntry] = []
    for e in declaration.events.all():
        if e.from_status:
            sentence = _("Status changed from %(from)s to %(to)s.") % {
                "from": _status_label(e.from_status),
                "to": _status_label(e.to_status),
            }
        else:
            sentence = _("Declaration received: %(to)s.") % {"to": _status_label(e.to_status)}
        entries.append(
            TimelineEntry(
                at=e.at,
                who=e.actor.username if e.actor_id else "",
                sentence=sentence,
                customs_only=False,
                text=e.note,
                operator_reads=e.public_reason,
            )
        )
    audits = AuditEvent.objects.filter(
        object_type="declaration", object_id=str(declaration.pk)
    ).order_by("at", "id")
    for a in audits:
        if a.action in _TOLD_ELSEWHERE:
            continue
        sentence, customs_only = _audit_sentence(a.action, a.after, a.before)
        changes = []
        if isinstance(a.after, dict) and isinstance(a.after.get("changes"), dict):
            changes = [
                (_field_label(name), _shown(name, values[0]), _shown(name, values[1]))
                for name, values in sorted(a.after["changes"].items())
                if name not in _HIDDEN_FIELDS and isinstance(values, list) and len(values) == 2
            ]
        entries.append(
            TimelineEntry(
                at=a.at,
                who=a.actor_label if a.actor_label != "system" else "",
                sentence=sentence,
                customs_only=customs_only,
                text=a.reason,
                changes=changes,
            )
        )
    for n in declaration.notes.all():
        entries.append(
            TimelineEntry(
                at=n.created_at,
                who=n.author.username,
                sentence=_("Added a note."),
                customs_only=True,
                text=n.text,
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


REQUEST_PREFIX = "documents requested:"


def requested_documents(*, declaration: Declaration) -> list[str]:
    """Document types asked for in the latest request (the operator's reason says which)."""
    requested: list[str] = []
    for e in declaration.events.all():
        if e.to_status == Status.DOCUMENTS_REQUESTED and e.public_reason.startswith(REQUEST_PREFIX):
            requested = [
                part.strip()
                for part in e.public_reason[len(REQUEST_PREFIX) :].split(",")
                if part.strip()
            ]
    return requested


@dataclass
class ChecklistLine:
    type: str
    received: list[Any]
    requested: bool


def document_checklist(
    *, declaration: Declaration, documents: list[Any] | None
) -> list[ChecklistLine]:
    """Each requested type with the documents received for it, then any other document received."""
    documents = documents or []
    requested = requested_documents(declaration=declaration)
    lines = [ChecklistLine(t, [d for d in documents if d.type == t], True) for t in requested]
    others = sorted({d.type for d in documents} - set(requested))
    lines += [ChecklistLine(t, [d for d in documents if d.type == t], False) for t in others]
    return lines


def case_report_context(*, declaration: Declaration, user: Any) -> dict[str, Any]:
    from django.utils import timezone

    from customs_ecom.platform.extensions import call

    from . import selectors

    # Risk provides its part of the report (risk sits above declarations).
    risk_part = call(
        "risk.case_report", declaration, default={"risk": None, "outcomes": [], "seized": False}
    )
    outcomes = risk_part["outcomes"]
    documents = selectors.declaration_documents(declaration=declaration)
    return {
        "d": declaration,
        "risk": risk_part["risk"],
        "outcomes": outcomes,
        "timeline": readable_timeline(declaration=declaration),
        "checklist": document_checklist(declaration=declaration, documents=documents),
        "printed_at": timezone.now(),
        "printed_by": user.get_username(),
        "seizure": declaration.status == Status.DETAINED or risk_part["seized"],
    }
