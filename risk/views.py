"""Risk pages: the rule library with hit rates, rule and policy edits (each a new draft version),
back-test, activation, watchlist import, and the officer actions on a consignment (outcome, false
positive). Thin: forms validate, services write, selectors read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from customs_ecom.platform import bounds
from customs_ecom.platform.extensions import call
from customs_ecom.platform.roles import (
    ADMINISTRATOR,
    AUDITOR,
    CAN_ACT_ON_CONSIGNMENTS,
    CAN_CONFIGURE,
    CAN_EDIT_RULES,
    RISK_ANALYST,
    SUPERVISOR,
    has_any_role,
)
from customs_ecom.platform.templatetags.human import colon
from declarations import lifecycle
from declarations.generated_text import in_language
from declarations.models import Declaration

from . import selectors
from .approval import pending_proposals
from .channels import CHANNELS
from .forms import (
    BacktestForm,
    FalsePositiveForm,
    OutcomeForm,
    PolicyForm,
    PublishedListForm,
    ReferenceValuesForm,
    RuleForm,
    WatchlistImportForm,
    WithdrawalDecisionForm,
)
from .learning import MIN_OUTCOMES
from .models import (
    ReferenceValue,
    RuleSet,
    WatchlistEntry,
    WatchlistFalsePositive,
    WatchlistUpdate,
    WatchlistWithdrawal,
)
from .rules import RULES
from .services import outcomes, rulesets, watchlists
from .services.learning import risk_model_train_requested
from .watchlist_import import ListFormatError, watchlist_import_published
from .watchlist_withdrawals import (
    CAN_DECIDE_WITHDRAWALS,
    WithdrawalRefused,
    may_decide,
    pending_withdrawals,
    watchlist_withdrawal_confirm,
    watchlist_withdrawal_reject,
)

CAN_VIEW_RULES = {RISK_ANALYST, ADMINISTRATOR, SUPERVISOR, AUDITOR}
CAN_RECORD_OUTCOMES = CAN_ACT_ON_CONSIGNMENTS
CAN_CLEAR_MATCHES = CAN_ACT_ON_CONSIGNMENTS | {RISK_ANALYST}
CHANNEL_COLOURS = {"green": "#2e7d32", "blue": "#0b5cad", "yellow": "#f9a825", "red": "#c62828"}


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_RULES)
    call("kpis.refresh_without_beat")
    active = rulesets.active_ruleset()
    base = selectors.ruleset_working_base()
    rates = selectors.rule_hit_rates()
    counts = selectors.rule_hit_counts()
    # Issue 17: recall per rule on recorded outcomes and on the scenario corpus.
    stats = selectors.outcome_stats()
    caught = selectors.rule_recall_from_outcomes()
    targeting = selectors.latest_targeting_run()
    corpus = {r["code"]: r for r in (targeting.summary.get("rules", []) if targeting else [])}
    rows = []
    for entry in base.rules:
        rule = RULES.get(entry["code"])
        rows.append(
            {
                "code": entry["code"],
                "title": rule.title if rule else entry["code"],
                "enabled": entry.get("enabled", True),
                "score": (entry.get("params") or {}).get("score"),
                "min_channel": (entry.get("params") or {}).get("min_channel"),
                "hits": counts.get(entry["code"], 0),
                "rate": rates.get(entry["code"]),
                "recall": selectors.Rate(stats.non_compliant, caught.get(entry["code"], 0)),
                "corpus": corpus.get(entry["code"]),
            }
        )
    random_rate = rates.get("random_selection")
    context = {
        "active": active,
        "base": base,
        "rows": rows,
        "random_rate": random_rate,
        "random_hits": counts.get("random_selection", 0),
        "versions": RuleSet.objects.select_related("created_by").order_by("-version")[:15],
        "stats": stats,
        "model": selectors.latest_model(),
        "outcome_count": selectors.outcome_count(),
        "min_outcomes": MIN_OUTCOMES,
        "can_edit": has_any_role(request.user, CAN_EDIT_RULES),
        "watchlist_size": WatchlistEntry.objects.filter(is_active=True).count(),
        "backtest_form": BacktestForm(initial={"days": 30}),
        "policy": base.policy,
        "targeting": targeting,
        "proposed": set(pending_proposals()),
    }
    return render(request, "risk/rules.html", context)


def _draft_saved(request: HttpRequest, make_draft: Callable[[], Any]) -> HttpResponse:
    """Run a rule or policy edit and say what came of it: a new draft version, or nothing when
    the edit changes nothing in the version it starts from (the form sent twice)."""
    try:
        draft = make_draft()
    except rulesets.RuleSetUnchanged as unchanged:
        messages.info(
            request,
            _("Nothing changed: version %(v)s already holds these values.")
            % {"v": unchanged.base.version},
        )
        return redirect("risk:rules")
    messages.success(
        request,
        _("Draft version %(v)s created. Back-test it, then activate it.") % {"v": draft.version},
    )
    return redirect("risk:rules")


@login_required
def rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, CAN_VIEW_RULES)
    if code not in RULES:
        raise Http404
    base = selectors.ruleset_working_base()
    current = next((r for r in base.rules if r["code"] == code), {"code": code, "params": {}})
    can_edit = has_any_role(request.user, CAN_EDIT_RULES)
    if request.method == "POST":
        _require(request, CAN_EDIT_RULES)
        form = RuleForm(request.POST, code=code, current=current)
        if form.is_valid():
            return _draft_saved(
                request,
                lambda: rulesets.ruleset_edit_rule(
                    base=base,
                    code=code,
                    enabled=form.cleaned_data["enabled"],
                    params=form.cleaned_data["params"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                ),
            )
    else:
        form = RuleForm(code=code, current=current)
    return render(
        request,
        "risk/rule_edit.html",
        {"form": form, "rule": RULES[code], "base": base, "can_edit": can_edit},
    )


@login_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_RULES)
    base = selectors.ruleset_working_base()
    can_edit = has_any_role(request.user, CAN_EDIT_RULES)
    if request.method == "POST":
        _require(request, CAN_EDIT_RULES)
        form = PolicyForm(request.POST)
        if form.is_valid():
            return _draft_saved(
                request,
                lambda: rulesets.ruleset_edit_policy(
                    base=base,
                    policy=form.cleaned_data["policy"],
                    effective_from=form.cleaned_data["effective_from"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                ),
            )
    else:
        form = PolicyForm(initial=PolicyForm.initial_from(base.policy, base.effective_from))
    return render(
        request, "risk/policy_edit.html", {"form": form, "base": base, "can_edit": can_edit}
    )


@login_required
def backtest(request: HttpRequest, version: int) -> HttpResponse:
    _require(request, CAN_VIEW_RULES)
    ruleset = get_object_or_404(RuleSet, version=version)
    form = BacktestForm(request.GET or {"days": 30})
    result = None
    if form.is_valid():
        result = selectors.backtest(ruleset=ruleset, days=form.cleaned_data["days"])
    chart = None
    if result is not None:
        chart = {
            "channels": [str(c) for c in CHANNELS],
            "current": [round(r["current_share"] * 100, 2) for r in result.rows()],
            "draft": [round(r["draft_share"] * 100, 2) for r in result.rows()],
            "target": [
                round(r["target"] * 100, 2) if r["target"] is not None else None
                for r in result.rows()
            ],
            "colours": [CHANNEL_COLOURS[c] for c in CHANNELS],
        }
    return render(
        request,
        "risk/backtest.html",
        {
            "ruleset": ruleset,
            "form": form,
            "result": result,
            "chart_json": json.dumps(chart),
            "transitions": sorted(result.transitions.items(), key=lambda kv: -kv[1])
            if result
            else [],
            "can_edit": has_any_role(request.user, CAN_EDIT_RULES),
            "active": rulesets.active_ruleset(),
        },
    )


@login_required
@require_POST
def train_model(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_EDIT_RULES)
    from .tasks import train_model as task

    try:
        task.delay(requested_by=request.user.pk)
    except Exception:  # broker down: say so rather than answer 500
        import logging

        logging.getLogger(__name__).warning(
            "could not request the training of the learned model", exc_info=True
        )
        messages.error(request, _("The task queue is unreachable; request the training again."))
        return redirect("risk:rules")
    # The request itself is on record, whether or not the training stores a new model.
    risk_model_train_requested(actor=request.user)
    messages.success(request, _("Training of the learned model was requested."))
    return redirect("risk:rules")


def _back_to_consignment(declaration_id: int) -> HttpResponse:
    return redirect("declarations:consignment", declaration_id=declaration_id)


@login_required
@require_POST
def outcome_create(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_RECORD_OUTCOMES)
    pk = get_object_or_404(Declaration, pk=declaration_id).pk
    form = OutcomeForm(request.POST)
    with transaction.atomic():
        # Checked on the row under its lock, in the transaction that records the outcome: the
        # goods may have been released, or the claim taken over, since the page was read.
        declaration = Declaration.objects.select_for_update().get(pk=pk)
        refusals = lifecycle.action_refusals(declaration, "record_outcome", request.user)
        if refusals:
            for refusal in refusals:
                messages.error(request, _("Refused: %(reason)s") % {"reason": refusal.message})
            return _back_to_consignment(pk)
        if not form.is_valid():
            if "outcome_seen" in form.errors:
                # Sent from no consignment page (or a tampered one): nothing says what was read.
                messages.error(
                    request,
                    _(
                        "The outcome does not say which outcomes of the consignment you read: "
                        "read the page again, then record."
                    ),
                )
                return _back_to_consignment(pk)
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{colon(label)} {error}" if label else error)
            return _back_to_consignment(pk)
        try:
            outcomes.outcome_record(
                declaration_id=pk,
                officer=request.user,
                result=form.cleaned_data["result"],
                revised_value_eur=form.cleaned_data["revised_value_eur"],
                note=form.cleaned_data["note"],
                revision=form.cleaned_data["revision"],
                outcome_seen=form.cleaned_data["outcome_seen"],
            )
        except outcomes.OutcomeRefused as refused:
            messages.error(request, str(refused))
            return _back_to_consignment(pk)
    messages.success(request, _("Inspection outcome recorded."))
    return _back_to_consignment(pk)


@login_required
@require_POST
def false_positive_create(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_CLEAR_MATCHES)
    declaration = get_object_or_404(Declaration, pk=declaration_id)
    form = FalsePositiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this match is a false positive."))
        return _back_to_consignment(declaration.pk)
    if not WatchlistEntry.objects.filter(pk=form.cleaned_data["entry_id"]).exists():
        raise Http404
    try:
        watchlists.watchlist_false_positive_create(
            entry_id=form.cleaned_data["entry_id"],
            party_key=form.cleaned_data["party_key"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            declaration_id=declaration.pk,
        )
    except watchlists.ClearanceRefused as refused:
        messages.error(request, str(refused))
        return _back_to_consignment(declaration.pk)
    messages.success(
        request,
        _("Proposed as a false positive: the match stands until a second person confirms it."),
    )
    return _back_to_consignment(declaration.pk)


@login_required
@require_POST
def false_positive_confirm(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """The second person confirms a proposed clearance from the consignment's page."""
    _require(request, CAN_CLEAR_MATCHES)
    declaration = get_object_or_404(Declaration, pk=declaration_id)
    clearance_id = bounds.as_id(request.POST.get("clearance_id"))
    if clearance_id is None:
        raise Http404
    try:
        watchlists.watchlist_false_positive_confirm(
            clearance_id=clearance_id, actor=request.user, declaration_id=declaration.pk
        )
    except WatchlistFalsePositive.DoesNotExist:
        raise Http404 from None
    except watchlists.ClearanceRefused as refused:
        messages.error(request, str(refused))
        return _back_to_consignment(declaration.pk)
    messages.success(
        request,
        _("Clearance confirmed; pending consignments are re-assessed."),
    )
    return _back_to_consignment(declaration.pk)


@login_required
def watchlist(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_RULES)
    can_edit = has_any_role(request.user, CAN_EDIT_RULES)
    errors: list = []
    if request.method == "POST":
        _require(request, CAN_EDIT_RULES)
        form = WatchlistImportForm(request.POST, request.FILES)
        if form.is_valid():
            result = watchlists.watchlist_import_csv(
                text=form.cleaned_data["file"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if not result.errors:
                if result.created:
                    messages.success(
                        request,
                        _("%(n)s entries imported; pending consignments are re-assessed.")
                        % {"n": result.created},
                    )
                if result.already_listed:
                    messages.warning(
                        request,
                        ngettext(
                            "%(n)s entry of the file is already on its list as it is: not added "
                            "again.",
                            "%(n)s entries of the file are already on their list as they are: "
                            "not added again.",
                            result.already_listed,
                        )
                        % {"n": result.already_listed},
                    )
                return redirect("risk:watchlist")
            errors = result.errors
    else:
        form = WatchlistImportForm()
    lists = (
        WatchlistEntry.objects.filter(is_active=True)
        .values("list_name")
        .order_by("list_name")
        .annotate(n=Count("id"))
    )
    recent = WatchlistEntry.objects.order_by("-id")[:50]
    return render(
        request,
        "risk/watchlist.html",
        {
            "form": form,
            "errors": errors,
            "lists": lists,
            "recent": recent,
            "can_edit": can_edit,
            "published_form": PublishedListForm(),
            "updates": WatchlistUpdate.objects.select_related(
                "imported_by", "withdrawal__decided_by"
            )[:20],
            "withdrawals": [
                {"w": w, "may_decide": may_decide(w, request.user)} for w in pending_withdrawals()
            ],
            "decision_form": WithdrawalDecisionForm(),
        },
    )


@login_required
@require_POST
def watchlist_published(request: HttpRequest) -> HttpResponse:
    """Load an update of a published list (FollowTheMoney, EU or UN XML)."""
    _require(request, CAN_EDIT_RULES)
    form = PublishedListForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            update = watchlist_import_published(
                content=data["file"],
                fmt=data["format"],
                list_name=data["list_name"],
                actor=request.user,
                reason=data["reason"],
                source_url=data["source_url"],
            )
        except ListFormatError as error:
            messages.error(
                request,
                _("Nothing was imported: %(e)s")
                % {"e": in_language(error.args[0] if error.args else "")},
            )
        else:
            messages.success(
                request,
                _(
                    "List %(list)s updated: %(a)s added, %(c)s changed; pending consignments "
                    "are re-assessed."
                )
                % {"list": update.list_name, "a": update.added, "c": update.changed},
            )
            if update.withdrawn:
                messages.warning(
                    request,
                    ngettext(
                        "%(w)s entry is no longer published: it stays on the list and keeps "
                        "matching until a supervisor or administrator other than you confirms "
                        "its withdrawal.",
                        "%(w)s entries are no longer published: they stay on the list and keep "
                        "matching until a supervisor or administrator other than you confirms "
                        "their withdrawal.",
                        update.withdrawn,
                    )
                    % {"w": update.withdrawn},
                )
    else:
        for field, problems in form.errors.items():
            for problem in problems:
                messages.error(
                    request,
                    _("%(field)s: %(problem)s")
                    % {
                        "field": form.fields[field].label if field in form.fields else "",
                        "problem": problem,
                    },
                )
    return redirect("risk:watchlist")


@login_required
@require_POST
def watchlist_withdrawal_decide(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    """The second person confirms (the entries stop matching) or rejects (they stay listed) the
    withdrawals an update proposed; never the person who loaded it."""
    _require(request, CAN_DECIDE_WITHDRAWALS)
    withdrawal = get_object_or_404(WatchlistWithdrawal, pk=withdrawal_id)
    form = WithdrawalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose confirm or reject and say why."))
        return redirect("risk:watchlist")
    decide = (
        watchlist_withdrawal_confirm
        if form.cleaned_data["decision"] == "confirm"
        else watchlist_withdrawal_reject
    )
    try:
        decide(withdrawal_id=withdrawal.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except WithdrawalRefused as refused:
        messages.error(request, str(refused))
        return redirect("risk:watchlist")
    if form.cleaned_data["decision"] == "confirm":
        messages.success(
            request,
            ngettext(
                "Withdrawal confirmed: %(n)s entry no longer matches; pending consignments are "
                "re-assessed.",
                "Withdrawal confirmed: %(n)s entries no longer match; pending consignments are "
                "re-assessed.",
                len(withdrawal.entries),
            )
            % {"n": len(withdrawal.entries)},
        )
    else:
        messages.success(request, _("Withdrawal rejected: the entries stay on the list."))
    return redirect("risk:watchlist")


@login_required
def reference_values(request: HttpRequest) -> HttpResponse:
    """The reference table the undervaluation rule falls back on (issue 17): every row with its
    source and date; an administrator replaces it with a file of the same shape."""
    from .valuation import reference_values_replace

    _require(request, CAN_VIEW_RULES)
    can_replace = has_any_role(request.user, CAN_CONFIGURE)
    errors: list = []
    if request.method == "POST":
        _require(request, CAN_CONFIGURE)
        form = ReferenceValuesForm(request.POST, request.FILES)
        if form.is_valid():
            result = reference_values_replace(
                text=form.cleaned_data["file"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if not result.errors:
                messages.success(
                    request,
                    _("%(n)s reference values loaded; pending consignments are re-assessed.")
                    % {"n": result.loaded},
                )
                return redirect("risk:reference_values")
            errors = result.errors
    else:
        form = ReferenceValuesForm()
    return render(
        request,
        "risk/reference_values.html",
        {
            "rows": ReferenceValue.objects.order_by("hs_code", "basis", "id"),
            "form": form,
            "errors": errors,
            "can_replace": can_replace,
        },
    )
