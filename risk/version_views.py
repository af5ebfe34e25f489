"""Rule-set versions for analysts and supervisors: what a version changes (a diff against the
active version or any other), and its activation with four eyes: an analyst proposes with a
reason and a confirmation, a supervisor approves (or rejects) with a reason. Thin: forms
validate, ``risk.approval`` decides and audits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customs_ecom.platform.roles import (
    ADMINISTRATOR,
    AUDITOR,
    CAN_EDIT_RULES,
    RISK_ANALYST,
    SUPERVISOR,
    has_any_role,
)
from customs_ecom.platform.templatetags.human import colon

from . import approval
from .models import RuleSet
from .rules import RULES
from .services import rulesets
from .versions import ruleset_diff

CAN_VIEW_VERSIONS = {RISK_ANALYST, ADMINISTRATOR, SUPERVISOR, AUDITOR}
CAN_APPROVE_RULES = {SUPERVISOR, ADMINISTRATOR}


class ProposalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why activate this version (recorded in the audit trail)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have read the differences and the back-test of this version"),
        required=True,
    )
    confirm_older = forms.BooleanField(
        label=gettext_lazy("Yes, activate this older version and undo the later changes"),
        required=False,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why send it back (recorded in the audit trail)"), max_length=500
    )


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


def _rule_title(scope: str) -> str:
    rule = RULES.get(scope)
    return rule.title if rule else scope


@login_required
def version_detail(request: HttpRequest, version: int) -> HttpResponse:
    _require(request, CAN_VIEW_VERSIONS)
    ruleset = get_object_or_404(RuleSet.objects.select_related("created_by"), version=version)
    active = rulesets.active_ruleset()
    against_version = request.GET.get("against")
    if against_version and against_version.isdigit():
        against = get_object_or_404(RuleSet, version=int(against_version))
    else:
        against = active if active.pk != ruleset.pk else None
    changes = []
    if against is not None:
        changes = [
            {"change": c, "title": _rule_title(c.scope)}
            for c in ruleset_diff(
                against.rules,
                against.policy,
                ruleset.rules,
                ruleset.policy,
                before_effective=against.effective_from.isoformat(),
                after_effective=ruleset.effective_from.isoformat(),
            )
        ]
    proposal = approval.pending_proposal(ruleset)
    user_id = getattr(request.user, "pk", None)
    return render(
        request,
        "risk/version.html",
        {
            "ruleset": ruleset,
            "active": active,
            "against": against,
            "changes": changes,
            "versions": RuleSet.objects.order_by("-version").values_list("version", flat=True)[:50],
            "proposal": proposal,
            "older": approval.is_older_than_active(ruleset, active),
            "can_propose": has_any_role(request.user, CAN_EDIT_RULES)
            and ruleset.state == RuleSet.State.DRAFT
            and proposal is None,
            "can_approve": has_any_role(request.user, CAN_APPROVE_RULES)
            and proposal is not None
            and proposal.proposed_by_id != user_id,
            "own_proposal": proposal is not None and proposal.proposed_by_id == user_id,
            "form": ProposalForm(),
            "reject_form": RejectForm(),
        },
    )


def _refused(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{colon(label)} {error}" if label else error)


def _decision(
    request: HttpRequest,
    version: int,
    *,
    role: Any,
    form_class: type[forms.Form],
    act: Callable[[RuleSet, dict], object],
    refusals: tuple[type[Exception], ...],
    success: str,
    done: str = "",
) -> HttpResponse:
    """A proposal, an approval or a rejection of a rule-set version: the role, a valid form (its
    errors as messages), the approval service, its refusal as a message; back to the version page
    (or to `done` when it succeeds)."""
    _require(request, role)
    ruleset = get_object_or_404(RuleSet, version=version)
    form = form_class(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return redirect("risk:version", version=version)
    try:
        act(ruleset, form.cleaned_data)
    except refusals as error:
        messages.error(request, str(error))
        return redirect("risk:version", version=version)
    messages.success(request, success)
    return redirect(done) if done else redirect("risk:version", version=version)


@login_required
@require_POST
def version_propose(request: HttpRequest, version: int) -> HttpResponse:
    return _decision(
        request,
        version,
        role=CAN_EDIT_RULES,
        form_class=ProposalForm,
        act=lambda ruleset, data: approval.ruleset_propose(
            ruleset_id=ruleset.pk,
            actor=request.user,
            reason=data["reason"],
            confirm_older=data["confirm_older"],
        ),
        refusals=(approval.ApprovalRefused,),
        success=_("Version %(v)s is proposed for activation; a supervisor must approve it.")
        % {"v": version},
    )


@login_required
@require_POST
def version_approve(request: HttpRequest, version: int) -> HttpResponse:
    return _decision(
        request,
        version,
        role=CAN_APPROVE_RULES,
        form_class=ProposalForm,
        act=lambda ruleset, data: approval.ruleset_approve(
            ruleset_id=ruleset.pk,
            actor=request.user,
            reason=data["reason"],
            confirm_older=data["confirm_older"],
        ),
        refusals=(approval.ApprovalRefused, rulesets.ActivationRefused),
        success=_("Version %(v)s is active; pending consignments are being re-assessed.")
        % {"v": version},
        done="risk:rules",
    )


@login_required
@require_POST
def version_reject(request: HttpRequest, version: int) -> HttpResponse:
    return _decision(
        request,
        version,
        role=CAN_APPROVE_RULES,
        form_class=RejectForm,
        act=lambda ruleset, data: approval.ruleset_reject(
            ruleset_id=ruleset.pk, actor=request.user, reason=data["reason"]
        ),
        refusals=(approval.ApprovalRefused,),
        success=_("The proposal was sent back to the analyst."),
    )
