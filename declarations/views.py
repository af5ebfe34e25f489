"""Officer pages: the triage queue with saved views, the consignment page and its actions."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customs_ecom.platform.extensions import call
from customs_ecom.platform.roles import CAN_ACT_ON_CONSIGNMENTS, CAN_VIEW_CONSIGNMENTS, has_any_role
from customs_ecom.platform.templatetags.human import form_errors_sentence

from . import lifecycle, selectors
from .forms import (
    INSPECTION_KINDS,
    QUEUE_FILTER_FIELDS,
    DecisionForm,
    NoteForm,
    QueueFilterForm,
    SavedViewForm,
)
from .models import OfficerNote, Status
from .statuses import REVALUABLE, TRANSITIONS
from .workspace import officer_note_add, saved_view_delete, saved_view_save

QUEUE_PAGE = 50


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


def _filter_query(request: HttpRequest) -> str:
    return urlencode(
        [(k, request.GET[k]) for k in QUEUE_FILTER_FIELDS if request.GET.get(k)], doseq=False
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    form = QueueFilterForm(request.GET or None, rule_codes=selectors.rule_codes())
    filters = form.valid_filters() if request.GET else {}
    qs = selectors.queue_declarations(filters=filters)
    after = request.GET.get("after")
    if after:
        try:
            priority, received, pk = after.split("_", 2)
            moment = parse_datetime(received.replace(" ", "+"))
            if moment is None:
                raise ValueError(after)
            qs = selectors.queue_after(qs, priority=int(priority), received_at=moment, pk=int(pk))
        except (ValueError, TypeError):
            after = None
    rows = list(qs[: QUEUE_PAGE + 1])
    has_more = len(rows) > QUEUE_PAGE
    rows = rows[:QUEUE_PAGE]
    query = _filter_query(request)
    next_query = None
    if has_more and rows:
        last = rows[-1]
        cursor = f"{last.priority}_{last.received_at.isoformat()}_{last.pk}"
        next_query = urlencode({"after": cursor}) + (f"&{query}" if query else "")
    context = {
        "rows": rows,
        "form": form,
        "next_query": next_query,
        "query": query,
        "saved_views": selectors.saved_views_for(user=request.user),
        "save_form": SavedViewForm(initial={"query": query}),
    }
    partial = bool(
        request.headers.get("HX-Request") and request.headers.get("HX-Target") != "queue-page"
    )
    context["partial"] = partial
    template = "declarations/_queue_rows.html" if partial else "declarations/queue.html"
    return render(request, template, context)


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    form = SavedViewForm(request.POST)
    if form.is_valid():
        saved_view_save(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
        messages.success(request, _("View saved."))
        query = form.cleaned_data["query"]
        return redirect(reverse("declarations:queue") + (f"?{query}" if query else ""))
    if "name" in form.errors:
        messages.error(request, _("Give the view a name (80 characters at most)."))
    else:
        messages.error(
            request, _("Please correct the form: %(e)s") % {"e": form_errors_sentence(form)}
        )
    return redirect("declarations:queue")


@login_required
@require_POST
def saved_view_remove(request: HttpRequest, view_id: int) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    if not saved_view_delete(user=request.user, view_id=view_id):
        raise Http404
    messages.success(request, _("View deleted."))
    return redirect("declarations:queue")


def _optional_template(name: str) -> str | None:
    """A partial another app provides, or None while it has not landed."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def _decision_context(declaration, user) -> dict:
    """What the decision bar offers: exactly the actions the lifecycle allows this person now, and
    why a release is not possible yet (each guard's refusal), when release is the next step."""
    actions = {a.code: a for a in lifecycle.available_actions(declaration, user)}
    release_refusals = []
    if "release" not in actions and Status.RELEASED in TRANSITIONS[declaration.status]:
        release_refusals = lifecycle.action_refusals(declaration, "release", user)
    return {
        "actions": actions,
        "irreversible": [
            ("release", _("Release"), "ok"),
            ("detain", _("Detain"), "secondary"),
            ("seize", _("Seize"), "danger"),
            ("close_case", _("Close the case"), "secondary"),
        ],
        "release_refusals": release_refusals,
        "open_cases": list(declaration.cases.filter(closed_at__isnull=True)),
        "claim_holder": lifecycle.claim_holder_id(declaration),
        # A revaluation is refused without the claim (lifecycle.claim_problem): not offered then,
        # and the bar says why in its place, as the revenue page does.
        "revalue_problem": lifecycle.claim_problem(declaration, user),
    }


@login_required
def consignment(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    if declaration is None:
        raise Http404
    payload = declaration.payload or {}
    parties = [
        (_("Seller"), payload.get("seller")),
        (_("Consignee"), payload.get("consignee")),
        (_("Order"), payload.get("order")),
        (_("Vendor tax scheme"), payload.get("vendor_tax_scheme")),
    ]
    return render(
        request,
        "declarations/consignment.html",
        {
            "d": declaration,
            # Risk and revenue provide their panels (both sit above declarations).
            "risk": call("consignment.risk", declaration.pk),
            "taxes": call("consignment.taxes", declaration.pk),
            "parties": [(label, data) for label, data in parties if data],
            "related": selectors.related_consignments(declaration=declaration),
            "documents": selectors.declaration_documents(declaration=declaration),
            "timeline": selectors.declaration_timeline(declaration=declaration),
            "can_act": has_any_role(request.user, CAN_ACT_ON_CONSIGNMENTS),
            **_decision_context(declaration, request.user),
            "form": DecisionForm(),
            "note_form": NoteForm(
                initial={
                    "notes_seen": OfficerNote.objects.filter(declaration=declaration)
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                    .first()
                    or 0
                }
            ),
            "outcome_template": _optional_template("risk/_outcome_form.html"),
            "revalue_template": _optional_template("revenue/_revalue_form.html"),
            "revaluable_statuses": REVALUABLE,
            "relief_template": _optional_template("revenue/_relief_form.html"),
            "relief_state": call("consignment.relief_state", declaration, request.user, default=""),
            "hit_actions_template": _optional_template("risk/_hit_actions.html"),
            "model_template": _optional_template("risk/_model_explanation.html"),
        },
    )


@login_required
def consignment_document(request: HttpRequest, declaration_id: int, document_id: int):
    """An uploaded document, for customs eyes only (served as an attachment, never inline HTML)."""
    _require(request, CAN_VIEW_CONSIGNMENTS)
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    documents = selectors.declaration_documents(declaration=declaration) if declaration else None
    document = next((d for d in documents or [] if d.pk == document_id), None)
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )


@login_required
@require_POST
def consignment_action(request: HttpRequest, declaration_id: int, action: str) -> HttpResponse:
    """Every officer decision goes through the lifecycle (`lifecycle.perform`): the same checks
    as the page's offer, again under the row lock, each refusal named."""
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    back = redirect("declarations:consignment", declaration_id=declaration_id)
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    if declaration is None:
        raise Http404
    if action == "note":
        holder = lifecycle.claim_holder_id(declaration)
        if holder is not None and holder != request.user.pk:
            messages.error(request, _("Another officer is already working on this consignment."))
            return back
        note_form = NoteForm(request.POST)
        if note_form.is_valid():
            _note, added = officer_note_add(
                declaration=declaration,
                author=request.user,
                text=note_form.cleaned_data["text"],
                notes_seen=note_form.cleaned_data["notes_seen"],
            )
            if added:
                messages.success(request, _("Note added."))
            else:
                messages.info(request, _("This note was already added: it is recorded once."))
        else:
            messages.error(request, _("A note needs some text (4000 characters at most)."))
        return back
    spec = lifecycle.ACTIONS.get(action)
    if spec is None or action == "record_outcome":
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    public = ""
    note = form.cleaned_data["note"]
    if action == "request_documents":
        documents = form.cleaned_data["documents"]
        if not documents:
            messages.error(request, _("Tick the documents the operator must provide."))
            return back
        public = "documents requested: " + ", ".join(documents)
    if action == "inspect":
        kind = form.cleaned_data["inspection_kind"] or "physical"
        # The operator reads the action's own reason, the words of an inspection that arrival
        # orders for a red channel or a hold: never which kind an officer chose, which would
        # tell an officer's choice from the channel (docs/api.md). The kind is in the note.
        note = f"[{dict(INSPECTION_KINDS)[kind]}] {note}".strip()
    if spec.irreversible and not form.cleaned_data["confirm"]:
        messages.error(request, _("This decision cannot be undone: tick the confirmation."))
        return back
    try:
        lifecycle.perform(
            declaration_id=declaration_id,
            code=action,
            user=request.user,
            reason=form.cleaned_data["reason"],
            public_reason=public,
            note=note,
            revision=form.cleaned_data["revision"],
        )
    except lifecycle.LifecycleRefused as refused:
        for refusal in refused.refusals:
            messages.error(request, _("Refused: %(reason)s") % {"reason": refusal.message})
        return back
    messages.success(request, _("Done: %(action)s.") % {"action": spec.label})
    return back
