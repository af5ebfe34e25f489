"""Officer pages for finding and working consignments: the search box, the "all consignments"
list with its facets, workload counts, bulk actions, the supervisor's claims and target times,
and the case file's inline document viewer and printable report."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from customs_ecom.platform.bounds import as_id
from customs_ecom.platform.navigation import back_to
from customs_ecom.platform.roles import (
    ADMINISTRATOR,
    CAN_ACT_ON_CONSIGNMENTS,
    CAN_VIEW_CONSIGNMENTS,
    SUPERVISOR,
    has_any_role,
)
from customs_ecom.platform.templatetags.human import form_errors_sentence

from . import consignment_list, selectors, workload
from .forms import DOCUMENT_CHOICES
from .models import Channel, Declaration
from .search import search_consignments

# Documents an officer may look at in the page itself; anything else is only downloaded.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
SUPERVISE = {SUPERVISOR, ADMINISTRATOR}


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


# --- search ------------------------------------------------------------------------------------


@login_required
def search(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    result = search_consignments(request.GET.get("q", ""))
    if result.single is not None:
        return redirect("declarations:consignment", declaration_id=result.single.pk)
    return render(request, "declarations/search_results.html", {"result": result})


# --- all consignments --------------------------------------------------------------------------


def _list_query(request: HttpRequest) -> str:
    return urlencode(
        [(k, request.GET[k]) for k in consignment_list.LIST_FILTER_FIELDS if request.GET.get(k)]
    )


def _work_tabs(request: HttpRequest) -> list[tuple[str, str, int]]:
    counts = workload.workload_counts(user=request.user)
    return [(key, label, counts[key]) for key, label in consignment_list.WORK_CHOICES]


@login_required
def consignments(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    form = consignment_list.ConsignmentFilterForm(
        request.GET or None, rule_codes=selectors.rule_codes()
    )
    filters = form.valid_filters() if request.GET else {}
    qs = consignment_list.filtered_consignments(
        filters=filters, user=request.user, targets=workload.target_hours()
    )
    cursor = request.GET.get("after")
    if cursor:
        continued = consignment_list.after_cursor(qs, cursor)
        if continued is None:
            messages.error(request, _("That page link is no longer valid: back to the first page."))
        else:
            qs = continued
    rows, next_cursor = consignment_list.page(qs)
    query = _list_query(request)
    context = {
        "form": form,
        "rows": rows,
        "query": query,
        "next_query": urlencode({"after": next_cursor}) + (f"&{query}" if query else "")
        if next_cursor
        else None,
        "filtered": bool(filters),
        "can_act": has_any_role(request.user, CAN_ACT_ON_CONSIGNMENTS),
        "bulk_form": BulkForm(),
        "work_tabs": _work_tabs(request),
        "work": filters.get("work", ""),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "more":
        return render(request, "declarations/_consignment_rows.html", context)
    return render(request, "declarations/consignments.html", context)


# --- bulk actions ------------------------------------------------------------------------------


class BulkForm(forms.Form):
    ids = forms.MultipleChoiceField(required=True)
    documents = forms.MultipleChoiceField(
        choices=DOCUMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Documents needed"),
    )
    note = forms.CharField(
        required=False, max_length=2000, label=gettext_lazy("Note (customs only)")
    )
    # Bulk release is irreversible: a reason (audited) and a confirmation.
    reason = forms.CharField(
        required=False, max_length=2000, label=gettext_lazy("Reason (kept in the audit trail)")
    )
    confirm = forms.BooleanField(
        required=False, label=gettext_lazy("I confirm: this cannot be undone.")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any id is a valid choice; the service looks each one up and reports the missing.
        ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        # Any text is a choice: the view names what is no consignment (a number too large to name
        # a row never reaches the database).
        self.fields["ids"].choices = [(i, i) for i in ids]


@login_required
@require_POST
def bulk_action(request: HttpRequest, action: str) -> HttpResponse:
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    if action not in workload.BULK_ACTIONS:
        raise Http404
    back = back_to(request, reverse("declarations:consignments"))
    form = BulkForm(request.POST)
    if not form.is_valid():
        if "ids" in form.errors:
            messages.error(request, _("Tick at least one consignment."))
        else:  # the consignments are ticked: what else is wrong, by its label
            messages.error(
                request,
                _("Please correct the form: %(e)s") % {"e": form_errors_sentence(form)},
            )
        return redirect(back)
    if action == "release" and not form.cleaned_data["confirm"]:
        messages.error(request, _("This decision cannot be undone: tick the confirmation."))
        return redirect(back)
    ids = [(text, as_id(text)) for text in form.cleaned_data["ids"]]
    named = [pk for _text, pk in ids if pk is not None]
    outcomes = workload.bulk_apply(
        action=action,
        declaration_ids=named,
        user=request.user,
        params={
            "documents": form.cleaned_data["documents"],
            "note": form.cleaned_data["note"],
            "reason": form.cleaned_data["reason"],
            # The revision each ticked row showed (`revision_<id>`): a consignment amended since
            # the list was read is refused, as from its own page.
            "revisions": {
                pk: revision
                for pk in named
                if (revision := as_id(request.POST.get(f"revision_{pk}"))) is not None
            },
        },
    )
    outcomes += [
        workload.BulkOutcome(0, text[:30], False, _("No such consignment."))
        for text, pk in ids
        if pk is None
    ]
    done = [o for o in outcomes if o.ok]
    if done:
        messages.success(
            request,
            _("%(count)d consignment(s): %(what)s.")
            % {"count": len(done), "what": done[0].message},
        )
    for refused in (o for o in outcomes if not o.ok):
        messages.error(
            request,
            # The reason is a sentence of its own: its full stop is the message's, never doubled.
            _("%(lrn)s refused: %(reason)s.")
            % {"lrn": refused.lrn, "reason": str(refused.message).rstrip().rstrip(".")},
        )
    return redirect(back)


# --- workload ----------------------------------------------------------------------------------


@login_required
def workload_page(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    counts = workload.workload_counts(user=request.user)
    targets = workload.target_hours()
    return render(
        request,
        "declarations/workload.html",
        {
            "tiles": [(key, label, counts[key]) for key, label in consignment_list.WORK_CHOICES],
            "targets": [(Channel(c).label, h) for c, h in sorted(targets.items())],
            "claims": workload.claims_by_officer()
            if has_any_role(request.user, SUPERVISE)
            else None,
            "can_supervise": has_any_role(request.user, SUPERVISE),
        },
    )


class TargetsForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label=gettext_lazy("Reason for the change"), required=True
    )

    def __init__(self, *args, initial_hours: dict[str, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Channel.choices:
            self.fields[f"hours_{value}"] = forms.IntegerField(
                min_value=1,
                max_value=24 * 30,
                required=False,
                initial=initial_hours.get(value),
                label=_("%(channel)s: hours") % {"channel": label},
            )


@login_required
def workload_targets(request: HttpRequest) -> HttpResponse:
    _require(request, SUPERVISE)
    current = workload.target_hours()
    form = TargetsForm(request.POST or None, initial_hours=current)
    if request.method == "POST" and form.is_valid():
        hours = {
            value: form.cleaned_data[f"hours_{value}"]
            for value, _label in Channel.choices
            if form.cleaned_data.get(f"hours_{value}")
        }
        workload.workload_targets_set(
            actor=request.user, hours=hours, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Target times saved."))
        return redirect("declarations:workload")
    return render(request, "declarations/workload_targets.html", {"form": form})


# The claims page, oldest claim first, a page at a time (as the other lists: **More**).
CLAIMS_PAGE = consignment_list.PAGE_SIZE


def _claims_after(qs, cursor: str):
    """Claims after the keyset cursor (claimed_at, id), oldest claim first, or None when the
    cursor is not one this page issued."""
    return consignment_list.after_cursor(qs, cursor, "claimed_at", newest_first=False)


@login_required
def claims(request: HttpRequest) -> HttpResponse:
    """The supervisor's list of claimed consignments, filtered by officer: every open claim, the
    oldest first, a page at a time, with how many match. A lapsed claim is listed, marked: it is
    nobody's any more (anyone may claim the consignment), but it still holds an automatic release
    until someone decides or frees it."""
    from .statuses import ENDS_CLAIM

    _require(request, SUPERVISE | {"auditor"})
    officer = request.GET.get("officer", "")
    # Claims end on release, invalidation and return (a detained consignment is still worked);
    # a claim always has its time (lifecycle.claim), which orders the list.
    qs = (
        consignment_list.filtered_consignments(filters={})
        .filter(claimed_by__isnull=False, claimed_at__isnull=False)
        .exclude(status__in=ENDS_CLAIM)
        .order_by("claimed_at", "id")
    )
    officer_id = as_id(officer)
    if officer_id is not None:
        qs = qs.filter(claimed_by_id=officer_id)
    total = qs.count()
    cursor = request.GET.get("after")
    if cursor:
        continued = _claims_after(qs, cursor)
        if continued is None:
            messages.error(request, _("That page link is no longer valid: back to the first page."))
            return redirect(
                reverse("declarations:claims")
                + (f"?{urlencode({'officer': officer})}" if officer else "")
            )
        qs = continued
    rows = list(
        qs.only(*consignment_list.LIST_COLUMNS, "claimed_at", "claimed_by__username")[
            : CLAIMS_PAGE + 1
        ]
    )
    more = len(rows) > CLAIMS_PAGE
    rows = rows[:CLAIMS_PAGE]
    next_query = None
    shown = total
    if more and rows:
        last = rows[-1]
        # How many of them the officer has seen up to this page: all but those after it.
        shown = total - _claims_after(qs, f"{last.claimed_at.isoformat()}_{last.pk}").count()
        next_query = urlencode(
            {"after": f"{last.claimed_at.isoformat()}_{last.pk}"}
            | ({"officer": officer} if officer else {})
        )
    can_reassign = has_any_role(request.user, SUPERVISE)
    context = {
        "rows": rows,
        "total": total,
        "shown": shown,
        "next_query": next_query,
        "officers": workload.claims_by_officer(),
        "officer": officer,
        "can_reassign": can_reassign,
        "assignees": _assignees() if can_reassign else [],
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "more":
        return render(request, "declarations/_claim_rows.html", context)
    return render(request, "declarations/claims.html", context)


def _assignees():
    """The people who can hold a claim: active officers, supervisors and administrators."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=sorted(CAN_ACT_ON_CONSIGNMENTS))
        .distinct()
        .order_by("username")
        .only("pk", "username")
    )


@login_required
@require_POST
def claim_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor gives a claimed consignment to another officer, or frees it (audited, with a
    reason)."""
    from django.contrib.auth import get_user_model

    from . import lifecycle

    _require(request, SUPERVISE)
    to = request.POST.get("to", "")
    to_user = None
    if as_id(pk) is None or not Declaration.objects.filter(pk=pk).exists():
        raise Http404
    if to:
        to_id = as_id(to)
        to_user = get_user_model().objects.filter(pk=to_id).first() if to_id else None
        if to_user is None:
            messages.error(request, _("No such officer."))
            return redirect("declarations:claims")
    try:
        declaration = lifecycle.claim_reassign(
            declaration_id=pk,
            to_user=to_user,
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
    except lifecycle.LifecycleRefused as refused:
        for r in refused.refusals:
            messages.error(request, str(r.message))
        return redirect("declarations:claims")
    if to_user is None:
        messages.success(request, _("%(lrn)s is free for any officer.") % {"lrn": declaration.lrn})
    else:
        messages.success(
            request,
            _("%(lrn)s reassigned to %(officer)s.")
            % {"lrn": declaration.lrn, "officer": to_user.get_username()},
        )
    return redirect("declarations:claims")


# --- case file ---------------------------------------------------------------------------------


def _document(declaration_id: int, document_id: int):
    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    documents = selectors.declaration_documents(declaration=declaration) if declaration else None
    document = next((d for d in documents or [] if d.pk == document_id), None)
    if document is None:
        raise Http404
    return declaration, document


@login_required
@xframe_options_sameorigin
def document_inline(request: HttpRequest, declaration_id: int, document_id: int) -> HttpResponse:
    """A PDF or image shown inside the case file."""
    _require(request, CAN_VIEW_CONSIGNMENTS)
    _declaration, document = _document(declaration_id, document_id)
    if document.content_type not in INLINE_TYPES:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=False,
        filename=document.download_name,
        content_type=document.content_type,
    )
    # The type was sniffed from the bytes at upload and is never re-sniffed here, so the file
    # cannot be read as HTML. Images are also sandboxed; a PDF is not, because the browser's PDF
    # viewer refuses to open inside a sandbox (and runs in its own).
    response["X-Content-Type-Options"] = "nosniff"
    if document.content_type != "application/pdf":
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the report fetches no resource ({url})")


@login_required
def case_report(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """The inspection and seizure report: the declaration, the officer's findings and notes, the
    timeline, as a PDF (or as a printable page with ?format=html)."""
    _require(request, CAN_VIEW_CONSIGNMENTS)
    from .casefile import case_report_context

    declaration = selectors.declaration_detail(declaration_id=declaration_id)
    if declaration is None:
        raise Http404
    context = case_report_context(declaration=declaration, user=request.user)
    if request.GET.get("format") == "html":
        return render(request, "declarations/case_report.html", context)
    html = render_to_string("declarations/case_report.html", context, request=request)
    from weasyprint import HTML

    # Self-contained HTML (inline styles): the renderer fetches nothing, not even from this server.
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{declaration.lrn}.pdf"'
    return response
