"""Registry pages for supervisors and administrators: operators, AEO applications and reviews,
benefit policies and mutual recognition, and (administrators only) operator access."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customs_ecom.platform import extensions
from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.roles import ADMINISTRATOR, AUDITOR, SUPERVISOR, has_any_role
from customs_ecom.platform.templatetags.human import colon

from . import forms, selectors, services
from .benefits import (
    DEFAULT_POLICIES,
    aeo_operator_ids,
    ensure_benefit_policies,
    operator_benefits,
)
from .models import (
    AEOAuthorisation,
    BenefitPolicy,
    MutualRecognition,
    Operator,
    OperatorAPIKey,
    OperatorContact,
    OperatorIdentifier,
    OperatorLink,
)

REGISTRY_ROLES = {SUPERVISOR, ADMINISTRATOR}
ACCESS_ROLES = {ADMINISTRATOR}
PAGE_SIZE = 50
Status = AEOAuthorisation.Status

# Review decisions offered on the authorisation page: action -> target status.
DECISIONS: dict[str, str] = {
    "review": Status.UNDER_REVIEW,
    "authorise": Status.AUTHORISED,
    "reject": Status.REJECTED,
    "suspend": Status.SUSPENDED,
    "reinstate": Status.AUTHORISED,
    "revoke": Status.REVOKED,
}


def _require(request: HttpRequest, roles: set[str], *, form_only: bool = False) -> None:
    # Auditors read the registry pages (never API access); their writes are refused by
    # customs_ecom.platform.readonly whatever the view. A page that is only a form to change
    # the registry (`form_only`) is not theirs to open either.
    if roles is REGISTRY_ROLES and request.method in ("GET", "HEAD") and not form_only:
        roles = roles | {AUDITOR}
    if not has_any_role(request.user, roles):
        raise PermissionDenied


def _form_error(form: Form, exc: services.RegistryError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
def registry(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    query = request.GET.get("q", "")
    role = request.GET.get("role", "")
    aeo_only = request.GET.get("aeo") == "1"
    qs = selectors.operator_list(query=query, role=role, aeo_only=aeo_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    authorised = aeo_operator_ids([o.pk for o in rows])  # as risk and revenue see them
    for operator in rows:
        operator.has_authorisation = operator.pk in authorised
    return render(
        request,
        "aeo/registry.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "role": role,
            "aeo_only": aeo_only,
            "roles": forms.OperatorRole.choices,
            "to_review": selectors.authorisations_to_review().count(),
            "can_access": has_any_role(request.user, ACCESS_ROLES),
        },
    )


@login_required
def operator_new(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_ROLES, form_only=True)
    form = forms.OperatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        operator = services.operator_create(
            code=data["code"],
            name=data["name"],
            role=data["role"],
            country=data["country"],
            eori=data["eori"],
            vat_number=data["vat_number"],
            actor=request.user,
        )
        messages.success(request, _("Operator registered."))
        return redirect("aeo:operator", operator_id=operator.pk)
    return render(request, "aeo/operator_form.html", {"form": form, "operator": None})


@login_required
def operator_edit(request: HttpRequest, operator_id: int) -> HttpResponse:
    _require(request, REGISTRY_ROLES, form_only=True)
    operator = get_object_or_404(Operator, pk=operator_id)
    initial = {name: getattr(operator, name) for name in services.OPERATOR_FIELDS}
    form = forms.OperatorForm(request.POST or None, initial=initial, instance=operator)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        services.operator_update(operator_id=operator.pk, actor=request.user, reason=reason, **data)
        messages.success(request, _("Operator updated."))
        return redirect("aeo:operator", operator_id=operator.pk)
    return render(request, "aeo/operator_form.html", {"form": form, "operator": operator})


@login_required
def operator_page(request: HttpRequest, operator_id: int) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    operator = selectors.operator_detail(operator_id=operator_id)
    if operator is None:
        raise Http404
    profile = selectors.compliance_profile(operator=operator)
    return render(
        request,
        "aeo/operator.html",
        {
            "operator": operator,
            "benefits": operator_benefits(operator),
            "profile": profile,
            "chart": profile.chart_data(),
            "identifier_form": forms.IdentifierForm(),
            "contact_form": forms.ContactForm(),
            "link_form": forms.LinkForm(),
            "deliveries": extensions.call("aeo.operator_deliveries", operator=operator, default=[]),
            "audit": AuditEvent.objects.filter(object_type="operator", object_id=str(operator.pk))[
                :20
            ],
            "can_access": has_any_role(request.user, ACCESS_ROLES),
        },
    )


def _back(operator_id: int) -> HttpResponse:
    return redirect("aeo:operator", operator_id=operator_id)


@login_required
@require_POST
def operator_part_add(request: HttpRequest, operator_id: int, part: str) -> HttpResponse:
    """Add an identifier, a contact or a link from the operator page."""
    _require(request, REGISTRY_ROLES)
    operator = get_object_or_404(Operator, pk=operator_id)
    form_class = {
        "identifiers": forms.IdentifierForm,
        "contacts": forms.ContactForm,
        "links": forms.LinkForm,
    }.get(part)
    if form_class is None:
        raise Http404
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if part == "identifiers":
                services.operator_identifier_add(operator=operator, actor=request.user, **data)
            elif part == "contacts":
                services.operator_contact_add(operator=operator, actor=request.user, **data)
            else:
                services.operator_link_add(
                    source=operator,
                    target=data["target"],
                    kind=data["kind"],
                    since=data["since"],
                    actor=request.user,
                )
            messages.success(request, _("Saved."))
            return _back(operator.pk)
        except services.RegistryError as exc:
            _form_error(form, exc)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{colon(label)} {error}" if label else error)
    return _back(operator.pk)


@login_required
@require_POST
def operator_part_remove(
    request: HttpRequest, operator_id: int, part: str, part_id: int
) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    if part == "identifiers":
        obj = get_object_or_404(OperatorIdentifier, pk=part_id, operator_id=operator_id)
        services.operator_identifier_remove(identifier=obj, actor=request.user)
    elif part == "contacts":
        obj = get_object_or_404(OperatorContact, pk=part_id, operator_id=operator_id)
        services.operator_contact_remove(contact=obj, actor=request.user)
    elif part == "links":
        obj = get_object_or_404(OperatorLink, pk=part_id, source_id=operator_id)
        services.operator_link_remove(link=obj, actor=request.user)
    else:
        raise Http404
    messages.success(request, _("Removed."))
    return _back(operator_id)


# --- AEO applications and reviews -----------------------------------------------------------


@login_required
def authorisation_apply(request: HttpRequest, operator_id: int) -> HttpResponse:
    _require(request, REGISTRY_ROLES, form_only=True)
    operator = get_object_or_404(Operator, pk=operator_id)
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        authorisation = services.authorisation_apply(
            operator=operator,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        messages.success(request, _("Application recorded."))
        return redirect("aeo:authorisation", authorisation_id=authorisation.pk)
    return render(request, "aeo/apply.html", {"form": form, "operator": operator})


@login_required
def authorisation_recognise(request: HttpRequest, operator_id: int) -> HttpResponse:
    _require(request, REGISTRY_ROLES, form_only=True)
    operator = get_object_or_404(Operator, pk=operator_id)
    form = forms.RecognitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            authorisation = services.authorisation_recognise(
                operator=operator, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("Partner authorisation recognised."))
            return redirect("aeo:authorisation", authorisation_id=authorisation.pk)
        except services.RegistryError as exc:
            _form_error(form, exc)
    return render(
        request,
        "aeo/recognise.html",
        {"form": form, "operator": operator, "arrangements": MutualRecognition.objects.all()},
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    return render(
        request,
        "aeo/review_queue.html",
        {
            "rows": list(selectors.authorisations_to_review()[:200]),
            "recent": AEOAuthorisation.objects.select_related("operator")
            .exclude(status__in=(Status.APPLIED, Status.UNDER_REVIEW))
            .order_by("-status_changed_at")[:30],
        },
    )


@login_required
def authorisation_page(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    authorisation = get_object_or_404(
        AEOAuthorisation.objects.select_related("operator"), pk=authorisation_id
    )
    form = forms.DecisionForm(
        request.POST or None,
        initial={
            "certificate_number": authorisation.certificate_number,
            "valid_from": authorisation.valid_from,
            "valid_to": authorisation.valid_to,
        },
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in DECISIONS:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.authorisation_transition(
                    authorisation_id=authorisation.pk,
                    to_status=DECISIONS[action],
                    actor=request.user,
                    reason=data["reason"],
                    certificate_number=data["certificate_number"] or None,
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                )
                messages.success(request, _("Decision recorded."))
                return redirect("aeo:authorisation", authorisation_id=authorisation.pk)
            except services.RegistryError as exc:
                _form_error(form, exc)
    allowed = services.AEO_TRANSITIONS[authorisation.status]
    actions = [
        (action, target)
        for action, target in DECISIONS.items()
        if target in allowed
        and not (action == "reinstate" and authorisation.status != Status.SUSPENDED)
        and not (action == "authorise" and authorisation.status == Status.SUSPENDED)
    ]
    return render(
        request,
        "aeo/authorisation.html",
        {
            "a": authorisation,
            "form": form,
            "actions": actions,
            "profile": selectors.compliance_profile(operator=authorisation.operator),
            "history": AuditEvent.objects.filter(
                object_type="aeo_authorisation", object_id=str(authorisation.pk)
            ).order_by("at", "id"),
        },
    )


# --- benefits and mutual recognition ------------------------------------------------------------


@login_required
def benefits(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_ROLES)
    ensure_benefit_policies()
    can_edit = has_any_role(request.user, ACCESS_ROLES)
    policies = list(BenefitPolicy.objects.all())
    forms_by_kind = {
        p.kind: forms.BenefitPolicyForm(
            request.POST if request.POST.get("kind") == p.kind else None,
            prefix=p.kind,
            initial={
                "risk_score_factor": p.risk_score_factor,
                "random_rate_factor": p.random_rate_factor,
                "deferred_payment": p.deferred_payment,
                "max_batch": p.max_batch,
            },
        )
        for p in policies
    }
    mra_form = forms.MutualRecognitionForm(
        request.POST if "partner_country" in request.POST else None
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        kind = request.POST.get("kind")
        if kind in forms_by_kind:
            form = forms_by_kind[kind]
            if form.is_valid():
                try:
                    services.benefit_policy_update(
                        kind=kind, actor=request.user, **form.cleaned_data
                    )
                    messages.success(
                        request, _("Benefits updated; they apply to the next assessment.")
                    )
                    return redirect("aeo:benefits")
                except services.RegistryError as exc:
                    _form_error(form, exc)
        elif mra_form.is_bound and mra_form.is_valid():
            services.mutual_recognition_save(actor=request.user, **mra_form.cleaned_data)
            messages.success(request, _("Arrangement saved."))
            return redirect("aeo:benefits")
    return render(
        request,
        "aeo/benefits.html",
        {
            "policies": [(p, forms_by_kind[p.kind]) for p in policies],
            "defaults": DEFAULT_POLICIES,
            "arrangements": MutualRecognition.objects.all(),
            "mra_form": mra_form,
            "can_edit": can_edit,
        },
    )


# --- operator access (administrators) -------------------------------------------------------------


@login_required
def operator_access(request: HttpRequest, operator_id: int) -> HttpResponse:
    _require(request, ACCESS_ROLES)
    operator = get_object_or_404(Operator, pk=operator_id)
    new_key: str | None = None
    key_form = forms.ApiKeyForm(
        request.POST if request.POST.get("form") == "key" else None,
        initial={"keys_seen": services.api_key_count(operator)},
    )
    throttle_form = forms.ThrottleForm(
        request.POST if request.POST.get("form") == "throttle" else None,
        initial={"throttle_rate": operator.throttle_rate},
    )
    webhook_form = forms.WebhookForm(
        request.POST if request.POST.get("form") == "webhook" else None,
        initial={"webhook_url": operator.webhook_url},
    )
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "key" and key_form.is_valid():
                _key_obj, new_key = services.api_key_create(
                    operator=operator,
                    name=key_form.cleaned_data["name"],
                    actor=request.user,
                    keys_seen=key_form.cleaned_data["keys_seen"],
                    reason=key_form.cleaned_data["reason"],
                )
                key_form = forms.ApiKeyForm(initial={"keys_seen": services.api_key_count(operator)})
            elif which == "revoke":
                key_obj = get_object_or_404(
                    OperatorAPIKey, prefix=request.POST.get("prefix", ""), operator=operator
                )
                services.api_key_revoke(
                    key_obj=key_obj, actor=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Key revoked."))
                return redirect("aeo:access", operator_id=operator.pk)
            elif which == "throttle" and throttle_form.is_valid():
                services.operator_set_throttle(
                    operator_id=operator.pk, actor=request.user, **throttle_form.cleaned_data
                )
                messages.success(request, _("Rate limit saved."))
                return redirect("aeo:access", operator_id=operator.pk)
            elif which == "webhook" and webhook_form.is_valid():
                data = webhook_form.cleaned_data
                services.operator_set_webhook(
                    operator_id=operator.pk,
                    url=data["webhook_url"],
                    secret=data["webhook_secret"],
                    actor=request.user,
                    reason=data["reason"],
                )
                messages.success(request, _("Webhook saved."))
                return redirect("aeo:access", operator_id=operator.pk)
        except services.RegistryError as exc:
            form = {"throttle": throttle_form, "webhook": webhook_form}.get(which or "", key_form)
            _form_error(form, exc)
    response = render(
        request,
        "aeo/access.html",
        {
            "operator": operator,
            "keys": selectors.operator_api_keys(operator=operator),
            "new_key": new_key,
            "key_form": key_form,
            "throttle_form": throttle_form,
            "webhook_form": webhook_form,
            "deliveries": extensions.call("aeo.operator_deliveries", operator=operator, default=[]),
            "now": timezone.now(),
        },
    )
    if new_key:
        response["Cache-Control"] = "no-store"  # the key is shown once; keep it out of caches
    return response


def chart_json(data: dict[str, Any]) -> str:
    return json.dumps(data)
