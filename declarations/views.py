"""Officer pages: the triage queue, the consignment page and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aeo.models import Operator
from customs_ecom.roles import CAN_ACT_ON_CONSIGNMENTS, CAN_VIEW_CONSIGNMENTS, has_any_role

from . import selectors
from .forms import DecisionForm
from .models import Channel, Status
from .services import TransitionNotAllowed, declaration_claim, declaration_transition

QUEUE_PAGE = 50

ACTIONS = {
    "release": (Status.RELEASED, "released by customs"),
    "request_documents": (Status.DOCUMENTS_REQUESTED, "documents requested"),
    "inspect": (Status.INSPECTION, "selected for inspection"),
    "detain": (Status.DETAINED, "detained by customs"),
}


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    filters = {k: request.GET.get(k, "") for k in ("channel", "status", "operator", "origin")}
    qs = selectors.queue_declarations(filters=filters)
    after = request.GET.get("after")
    if after:
        try:
            priority, received, pk = after.split("_", 2)
            from django.db.models import Q
            from django.utils.dateparse import parse_datetime

            moment = parse_datetime(received)
            qs = qs.filter(
                Q(priority__lt=int(priority))
                | Q(priority=int(priority), received_at__gt=moment)
                | Q(priority=int(priority), received_at=moment, pk__gt=int(pk))
            )
        except (ValueError, TypeError):
            after = None
    rows = list(qs[: QUEUE_PAGE + 1])
    has_more = len(rows) > QUEUE_PAGE
    rows = rows[:QUEUE_PAGE]
    next_after = (
        f"{rows[-1].priority}_{rows[-1].received_at.isoformat()}_{rows[-1].pk}"
        if has_more and rows
        else None
    )
    context = {
        "rows": rows,
        "filters": filters,
        "next_after": next_after,
        "channels": Channel.choices,
        "statuses": [
            (s, label)
            for s, label in Status.choices
            if s in ("assessed", "documents_requested", "inspection")
        ],
        "operators": Operator.objects.only("id", "name").order_by("name"),
    }
    template = (
        "declarations/_queue_rows.html"
        if request.headers.get("HX-Request")
        else "declarations/queue.html"
    )
    return render(request, template, context)


@login_required
def consignment(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    if declaration is None:
        raise Http404
    from revenue.selectors import current_tax_assessment
    from risk.selectors import latest_assessment

    return render(
        request,
        "declarations/consignment.html",
        {
            "d": declaration,
            "risk": latest_assessment(declaration_id=declaration.pk),
            "taxes": current_tax_assessment(declaration_id=declaration.pk),
            "can_act": has_any_role(request.user, CAN_ACT_ON_CONSIGNMENTS),
            "form": DecisionForm(),
            "actions": ACTIONS,
        },
    )


@login_required
@require_POST
def consignment_action(request: HttpRequest, declaration_id: int, action: str) -> HttpResponse:
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    if action == "claim":
        try:
            declaration_claim(declaration_id=declaration_id, user=request.user)
            messages.success(request, _("You are now working on this consignment."))
        except PermissionError:
            messages.error(request, _("Another officer is already working on this consignment."))
        return redirect("declarations:consignment", declaration_id=declaration_id)
    if action not in ACTIONS:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the form."))
        return redirect("declarations:consignment", declaration_id=declaration_id)
    to_status, public = ACTIONS[action]
    if action == "request_documents" and form.cleaned_data["documents"]:
        public = _("documents requested: %(docs)s") % {
            "docs": ", ".join(form.cleaned_data["documents"])
        }
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    if declaration is None:
        raise Http404
    if declaration.claimed_by_id and declaration.claimed_by_id != request.user.pk:
        messages.error(request, _("Another officer is already working on this consignment."))
        return redirect("declarations:consignment", declaration_id=declaration_id)
    try:
        declaration_transition(
            declaration_id=declaration_id,
            to_status=to_status,
            actor=request.user,
            public_reason=str(public),
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Done: %(status)s.") % {"status": Status(to_status).label})
    except TransitionNotAllowed as exc:
        messages.error(
            request,
            _("Not possible from status %(from)s.") % {"from": Status(exc.from_status).label},
        )
    return redirect("declarations:consignment", declaration_id=declaration_id)
