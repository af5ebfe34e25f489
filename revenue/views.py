"""Revenue pages: regimes (administrators edit, others read), the verification queue, the ledger
of a declaration (payments, revaluation), statements, reconciliation, and the public estimator."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customs_ecom.platform import bounds, spreadsheet
from customs_ecom.platform.navigation import back_to
from customs_ecom.platform.roles import (
    CAN_ACT_ON_CONSIGNMENTS,
    CAN_CONFIGURE,
    CAN_VIEW_CONSIGNMENTS,
    ROLES,
    has_any_role,
)
from customs_ecom.platform.templatetags.human import colon, form_errors_sentence
from declarations.generated_text import problem_detail, tax_name, word
from declarations.lifecycle import claim_problem
from declarations.messages import Message
from declarations.messages import render as render_message
from declarations.models import Declaration
from declarations.statuses import CLOSED, REVALUABLE

from . import selectors
from .estimates import EstimateProblem, estimate
from .forms import (
    EstimateForm,
    EstimateItemFormSet,
    PaymentForm,
    RateChangeForm,
    RegimeParametersForm,
    RegistryImportForm,
    ReliefDecisionForm,
    RevalueForm,
    TariffImportForm,
)
from .localtime import local_date
from .models import Regime, TaxSchemeRegistration
from .selectors import border_accounts, border_balance, release_blockers
from .services.ledger import LedgerError, latest_entry_id, ledger_payment_record
from .services.regimes import (
    RegimeChangeError,
    active_regimes,
    regime_import_tariff,
    regime_new_version,
    regime_on,
    spec_of,
)
from .services.registry import tax_scheme_registrations_import
from .services.reliefs import ReliefError, relief_decide
from .services.revaluation import RevaluationError, taxes_revalue

VERIFICATION_PAGE = 100


def _require(request: HttpRequest, roles: set[str]) -> None:
    if not has_any_role(request.user, roles):
        raise PermissionDenied


# --- Regimes -----------------------------------------------------------------------------------


@login_required
def regimes(request: HttpRequest) -> HttpResponse:
    _require(request, set(ROLES))
    return render(
        request,
        "revenue/regimes.html",
        {
            "groups": selectors.regimes_overview(),
            "can_configure": has_any_role(request.user, CAN_CONFIGURE),
        },
    )


# A regime's value basis and the scope of its vendor schemes, as words (regime_rules).
VALUE_BASIS_WORDS: dict[str, Any] = {
    "intrinsic": gettext_lazy("Intrinsic value of the goods"),
    "customs": gettext_lazy("Customs value"),
}
SCOPE_WORDS: dict[str, Any] = {
    "item": gettext_lazy("per item"),
    "consignment": gettext_lazy("per consignment"),
}


# The exchange-rate rules of revenue.rates, as words.
RATE_RULE_WORDS: dict[str, Any] = {
    "eu_monthly_customs": gettext_lazy("EU customs rate of the month"),
    "hmrc_monthly": gettext_lazy("HMRC rate of the month"),
    "daily": gettext_lazy("official rate of the day of importation"),
    "ecb_daily": gettext_lazy("ECB rate of the day of importation"),
    "ecb_payment_date": gettext_lazy("ECB rate of the day"),
    "previous_business_day": gettext_lazy("rate of the last trading day before importation"),
    "nz_fortnightly": gettext_lazy("New Zealand Customs rate of the fortnight"),
    "export_day": gettext_lazy("rate of the day of exportation"),
    "eu_annual_october": gettext_lazy(
        "rate of the first working day of October, for the following year"
    ),
}


def rate_rule_words(rule: str) -> str:
    """An exchange-rate rule in words, with the code a regime file names it by."""
    words = RATE_RULE_WORDS.get(rule)
    return f"{words} ({rule})" if words else rule


def regime_rules(spec: Any) -> list[dict[str, str]]:
    """Each rule of a regime with its figure and the legal act it rests on, for the regimes
    page (issue: a regime a finance ministry can sign off shows where every figure comes from)."""

    law_currency = spec.threshold_currency or spec.currency

    def figure(value: Any) -> str:
        """A figure as the law writes it, with the reader's decimal mark ("2,5" in French)."""
        return formats.number_format(Decimal(str(value)), use_l10n=True)

    def money(value: Any) -> str:
        """An amount the law states: in euro for Poland, whose regime is in zloty."""
        return "" if value is None else f"{law_currency} {figure(value)}"

    def national(value: Any) -> str:
        """A national amount (fees, minimums): in the regime currency."""
        return "" if value is None else f"{spec.currency} {figure(value)}"

    def percent(value: Any) -> str:
        return _("%(rate)s%%") % {"rate": figure(f"{(value * 100).normalize():f}")}

    if spec.threshold_currency:
        currency_rule = _(
            "%(currency)s; amounts fixed in %(law)s converted: customs amounts at the "
            "%(customs_rule)s, tax ceilings and reliefs at the %(tax_rule)s"
        ) % {
            "currency": spec.currency,
            "law": spec.threshold_currency,
            "customs_rule": rate_rule_words(spec.exchange_rate_rule),
            "tax_rule": rate_rule_words(spec.effective_tax_threshold_rate_rule),
        }
    rows: list[tuple[str, str, str]] = []
    if spec.threshold_currency:
        rows.append((_("Currency"), currency_rule, "threshold_conversion"))
    rows += [
        (
            _("Value basis"),
            VALUE_BASIS_WORDS.get(spec.value_basis, spec.value_basis),
            "customs_value",
        ),
        (_("Duty threshold"), money(spec.duty_threshold) or _("none"), "duty_relief"),
        (_("Tax threshold"), money(spec.tax_threshold) or _("none"), "tax_relief"),
        (
            _("%(tax)s standard rate") % {"tax": tax_name(spec.tax_name)},
            percent(spec.vat_standard_rate),
            "vat",
        ),
    ]
    if spec.regional_tax_rates:
        rows.append(
            (
                _("%(tax)s by region of delivery") % {"tax": tax_name(spec.regional_tax_name)},
                ", ".join(
                    f"{region} {percent(rate)}"
                    for region, rate in sorted(spec.regional_tax_rates.items())
                ),
                "regional_tax",
            )
        )
    if spec.vat_reduced_rates:
        rows.append(
            (
                _("Reduced rates"),
                ", ".join(
                    f"{colon(f'HS {k}')} {percent(v)}"
                    for k, v in sorted(spec.vat_reduced_rates.items())
                ),
                "vat_reduced",
            )
        )
    rows.append(
        (
            _("Duty tariff"),
            _("sample rates") if spec.sample_rates else (spec.tariff_source or _("statutory")),
            "duty",
        )
    )
    if spec.flat_duty_per_hs6 is not None:
        rows.append(
            (
                _("Flat-rate duty"),
                f"{money(spec.flat_duty_per_hs6)} / {spec.flat_duty_digits}"
                + (f" (≤ {money(spec.flat_duty_max_value)})" if spec.flat_duty_max_value else ""),
                "flat_duty",
            )
        )
        rows.append(
            (
                _("Debtor of a duty the scheme return does not carry"),
                _("declarant"),
                "declarant_debt",
            )
        )
    for scheme, ceiling in spec.vendor_schemes.items():
        rows.append(
            (
                _("Vendor scheme %(scheme)s") % {"scheme": scheme},
                f"≤ {money(ceiling)} ({SCOPE_WORDS.get(spec.effective_vendor_scope, spec.effective_vendor_scope)})",
                "vendor_scheme",
            )
        )
    if spec.deemed_supplier_roles:
        rows.append(
            (
                _("Deemed supplier"),
                ", ".join(str(word(role)) for role in spec.deemed_supplier_roles),
                "deemed_supplier",
            )
        )
    if spec.deferred_roles:
        rows.append(
            (
                _("Deferred payment by intermediaries"),
                _("due on day %(day)s of the following month") % {"day": spec.deferred_due_day},
                "deferred",
            )
        )
    if spec.gift_duty_relief is not None or spec.gift_tax_relief is not None:
        rows.append(
            (
                _("Gift relief (duty / tax)"),
                f"{money(spec.gift_duty_relief) or '—'} / {money(spec.gift_tax_relief) or '—'}",
                "gift_relief",
            )
        )
    if spec.returned_goods_relief:
        rows.append(
            (
                _("Returned goods relief"),
                _(
                    "%(taxes)s, claimed; an officer grants or refuses it on the evidence of "
                    "export before release"
                )
                % {
                    "taxes": " / ".join(
                        word(t) if t == "duty" else tax_name(spec.tax_name)
                        for t in spec.returned_goods_relief
                    )
                },
                "returned_goods",
            )
        )
    if spec.gift_relief_deducted:
        rows.append(
            (
                _("Gift above the relief"),
                _("taxed on the value over the relief"),
                "gift_relief",
            )
        )
    if spec.tax_rounding_quantum:
        rows.append(
            (
                _("Rounding of duty, tax and fee amounts"),
                _("to %(quantum)s") % {"quantum": national(spec.tax_rounding_quantum)},
                "rounding",
            )
        )
    if spec.gift_duty_rate is not None:
        rows.append(
            (
                _("Duty on gifts above the relief"),
                f"{percent(spec.gift_duty_rate)} (≤ {money(spec.gift_duty_rate_max_value)})",
                "gift_duty",
            )
        )
    if spec.minimum_collected:
        rows.append(
            (
                _("Amounts not levied below"),
                ", ".join(
                    f"{colon(word(k))} {national(v)}" for k, v in spec.minimum_collected.items()
                ),
                "minimum",
            )
        )
    if spec.fee_per_declaration or spec.fee_per_line:
        rows.append(
            (_("Fee per declaration"), national(spec.fee_per_declaration), "fee_declaration")
        )
    if spec.formal_entry_threshold is not None:
        rows.append(
            (
                _("Fee of a formal entry, above %(value)s")
                % {"value": national(spec.formal_entry_threshold)},
                _("%(rate)s of the value, at least %(low)s, at most %(high)s")
                % {
                    "rate": percent(spec.formal_fee_rate),
                    "low": national(spec.formal_fee_min),
                    "high": national(spec.formal_fee_max),
                },
                "fee_formal",
            )
        )
    if spec.fee_exempt_transports:
        rows.append(
            (
                _("No fees on"),
                ", ".join(str(word(t)) for t in spec.fee_exempt_transports),
                "fee_exempt",
            )
        )
    if spec.origin_duty_rates:
        rows.append(
            (
                _("Duty by origin"),
                ", ".join(f"{colon(k)} {percent(v)}" for k, v in spec.origin_duty_rates.items()),
                "origin_duty",
            )
        )
    if spec.origin_duty_excluded_hs:
        rows.append(
            (
                _("No duty by origin on"),
                ", ".join(f"HS {prefix}" for prefix in spec.origin_duty_excluded_hs),
                "origin_duty_excluded",
            )
        )
    if spec.postal_origin_duty_only:
        rows.append(
            (
                _("Postal items"),
                _("duty by origin alone, no tariff duty"),
                "postal_ad_valorem",
            )
        )
    if spec.postal_duty_per_item:
        rows.append(
            (
                _("Specific duty per postal item"),
                ", ".join(
                    f"{colon(k)} {national(v)}" for k, v in spec.postal_duty_per_item.items()
                ),
                "postal_duty",
            )
        )
    for override in spec.threshold_overrides:
        rows.append(
            (
                _("Thresholds for %(origins)s by %(transports)s")
                % {
                    "origins": ", ".join(override.get("origins") or ["*"]),
                    "transports": ", ".join(override.get("transports") or ["*"]),
                },
                f"{national(override.get('duty_threshold'))} / {national(override.get('tax_threshold'))}",
                override.get("legal_ref", ""),
            )
        )
    for fee in spec.national_fees:
        conditions = [
            _("per distinct HS subheading") if fee["per"] == "subheading" else _("per consignment")
        ]
        if fee.get("max_value") is not None:
            conditions.append(_("goods ≤ %(value)s") % {"value": national(fee["max_value"])})
        if fee.get("transports"):
            conditions.append(", ".join(str(word(t)) for t in fee["transports"]))
        if fee.get("bears_tax"):
            conditions.append(_("plus %(tax)s") % {"tax": tax_name(spec.tax_name)})
        conditions.append(
            _("billed to the declarant")
            if fee["payer"] == "declarant_account"
            else _("owed with the import taxes")
        )
        rows.append(
            (
                fee["name"],
                f"{national(fee['amount'])} · " + " · ".join(str(c) for c in conditions),
                fee["legal_ref"],
            )
        )
    if "business_buyer" in spec.legal_refs:
        rows.append((_("Business buyers"), _("not covered by vendor schemes"), "business_buyer"))
    rows.append(
        (
            _("Time zone and exchange rate"),
            f"{spec.timezone}{' ' + spec.starts_at if spec.starts_at else ''} · "
            f"{rate_rule_words(spec.exchange_rate_rule)} "
            + _("(at most %(days)s days old)")
            % {"days": spec.exchange_rate_max_age_days},
            "exchange_rate",
        )
    )
    # A row's key names the citation of the regime; an override row carries its citation itself.
    return [
        {
            "rule": str(rule),
            "value": str(value),
            "source": spec.legal_refs.get(key, "") if key in RULE_KEYS else key,
        }
        for rule, value, key in rows
    ]


RULE_KEYS = frozenset(
    {
        "customs_value", "duty_relief", "tax_relief", "vat", "vat_reduced", "duty", "flat_duty",
        "declarant_debt", "vendor_scheme", "deemed_supplier", "deferred", "gift_relief",
        "gift_duty",
        "minimum", "fee_declaration", "fee_exempt", "origin_duty", "postal_duty", "postal_ad_valorem",
        "origin_duty_excluded", "fee_formal",
        "business_buyer", "rounding", "exchange_rate", "threshold_conversion", "regional_tax",
        "returned_goods",
    }
)  # fmt: skip


def _regime_context(request: HttpRequest, regime: Regime, **extra) -> dict:
    spec = spec_of(regime)
    newest = Regime.objects.filter(code=regime.code).order_by("-version").first()
    return {
        "regime": regime,
        "spec": spec,
        "versions": Regime.objects.filter(code=regime.code)
        .select_related("created_by")
        .order_by("-version"),
        "is_newest": newest is not None and newest.pk == regime.pk,
        "can_configure": has_any_role(request.user, CAN_CONFIGURE),
        "duty_rates": sorted(spec.duty_rates.items()),
        "vat_reduced_rates": sorted(spec.vat_reduced_rates.items()),
        "rules": regime_rules(spec),
        # The currency of the amounts the law fixes (EUR 150 in Poland, whose regime is in PLN).
        "law_currency": spec.threshold_currency or spec.currency,
        **extra,
    }


@login_required
def regime_detail(request: HttpRequest, regime_id: int) -> HttpResponse:
    _require(request, set(ROLES))
    regime = get_object_or_404(Regime, pk=regime_id)
    return render(
        request,
        "revenue/regime_detail.html",
        _regime_context(request, regime, rate_form=RateChangeForm()),
    )


def _apply_change_error(form, exc: RegimeChangeError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
def regime_edit(request: HttpRequest, regime_id: int) -> HttpResponse:
    _require(request, CAN_CONFIGURE)
    regime = get_object_or_404(Regime, pk=regime_id)
    spec = spec_of(regime).to_dict()
    form = RegimeParametersForm(request.POST or None, spec=spec)
    if request.method == "POST" and form.is_valid():
        try:
            new = regime_new_version(
                regime_id=regime.pk,
                changes=form.changes(),
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except RegimeChangeError as exc:
            _apply_change_error(form, exc)
        else:
            messages.success(
                request,
                _("Version %(version)s of %(code)s applies from %(day)s.")
                % {"version": new.version, "code": new.code, "day": new.valid_from},
            )
            return redirect("revenue:regime", regime_id=new.pk)
    return render(request, "revenue/regime_edit.html", {"regime": regime, "form": form})


@login_required
@require_POST
def regime_rate(request: HttpRequest, regime_id: int) -> HttpResponse:
    _require(request, CAN_CONFIGURE)
    regime = get_object_or_404(Regime, pk=regime_id)
    form = RateChangeForm(request.POST)
    if form.is_valid():
        table = form.cleaned_data["table"]
        current = dict(spec_of(regime).to_dict()[table])
        current[form.cleaned_data["hs_prefix"]] = form.cleaned_data["rate"]
        try:
            new = regime_new_version(
                regime_id=regime.pk,
                changes={table: current},
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except RegimeChangeError as exc:
            _apply_change_error(form, exc)
        else:
            messages.success(
                request,
                _("Version %(version)s of %(code)s applies from %(day)s.")
                % {"version": new.version, "code": new.code, "day": new.valid_from},
            )
            return redirect("revenue:regime", regime_id=new.pk)
    return render(
        request,
        "revenue/regime_detail.html",
        _regime_context(request, regime, rate_form=form),
        status=422,
    )


@login_required
def regime_import(request: HttpRequest, regime_id: int) -> HttpResponse:
    _require(request, CAN_CONFIGURE)
    regime = get_object_or_404(Regime, pk=regime_id)
    form = TariffImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        try:
            new, row_errors = regime_import_tariff(
                regime_id=regime.pk,
                csv_text=text,
                effective_from=form.cleaned_data["effective_from"],
                replace=form.cleaned_data["replace"],
                source_name=name,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except RegimeChangeError as exc:
            _apply_change_error(form, exc)
            new = None
        if new is not None:
            messages.success(
                request,
                _("Tariff loaded into version %(version)s of %(code)s, from %(day)s.")
                % {"version": new.version, "code": new.code, "day": new.valid_from},
            )
            return redirect("revenue:regime", regime_id=new.pk)
    return render(
        request,
        "revenue/regime_import.html",
        {"regime": regime, "form": form, "row_errors": row_errors},
        status=422 if row_errors else 200,
    )


@login_required
def tax_schemes(request: HttpRequest) -> HttpResponse:
    _require(request, set(ROLES))
    can_configure = has_any_role(request.user, CAN_CONFIGURE)
    form = RegistryImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST":
        _require(request, CAN_CONFIGURE)
        if form.is_valid():
            created, row_errors = tax_scheme_registrations_import(
                csv_text=form.cleaned_data["file"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if not row_errors:
                messages.success(request, _("%(n)s numbers added.") % {"n": created})
                return redirect("revenue:tax_schemes")
    counts = {}
    for scheme in TaxSchemeRegistration.objects.values_list("scheme", flat=True):
        counts[scheme] = counts.get(scheme, 0) + 1
    return render(
        request,
        "revenue/tax_schemes.html",
        {
            "form": form,
            "row_errors": row_errors,
            "counts": sorted(counts.items()),
            "can_configure": can_configure,
        },
        status=422 if row_errors else 200,
    )


# --- Verification, ledger, revaluation --------------------------------------------------------


@login_required
def verification(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    try:
        before = int(request.GET.get("before") or 0) or None
    except ValueError:
        before = None
    rows = selectors.verification_queue(limit=VERIFICATION_PAGE + 1, before_id=before)
    more = len(rows) > VERIFICATION_PAGE
    rows = rows[:VERIFICATION_PAGE]
    stale_count, stale = selectors.stale_rate_assessments(limit=20)
    return render(
        request,
        "revenue/verification.html",
        {
            "rows": rows,
            "next_before": rows[-1].pk if more and rows else None,
            "problems": selectors.open_assessment_problems(limit=50),
            "stale_count": stale_count,
            "stale": stale,
        },
    )


def _declaration(declaration_id: int) -> Declaration:
    declaration = (
        Declaration.objects.select_related("operator")
        .prefetch_related("items")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise Http404
    return declaration


@login_required
def ledger(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    declaration = _declaration(declaration_id)
    owed, paid, refunded = border_balance(declaration.pk)
    # Each debtor on its own: one payer's money never shows another's debt as paid.
    accounts = border_accounts(declaration.pk)
    return render(
        request,
        "revenue/ledger.html",
        {
            "d": declaration,
            "entries": selectors.ledger_for_declaration(declaration_id=declaration.pk),
            "taxes": selectors.current_tax_assessment(declaration_id=declaration.pk),
            "owed": owed,
            "collected": paid - refunded,
            "outstanding": sum((a.outstanding for a in accounts), Decimal("0.00")),
            "accounts": [a for a in accounts if a.owed or a.paid or a.refunded],
            "blockers": release_blockers(declaration),
            "closed": declaration.status in CLOSED,
            "discrepancies": selectors.discrepancy_for(declaration_id=declaration.pk),
            "can_act": has_any_role(request.user, CAN_ACT_ON_CONSIGNMENTS),
            "payment_form": PaymentForm(initial={"ledger_seen": latest_entry_id(declaration.pk)}),
            "revalue_form": RevalueForm(items=list(declaration.items.all())),
            # Values are revised after a control, by the officer whose claim the revaluation
            # needs (lifecycle.claim_problem, as on the consignment page): anyone else reads why
            # instead of a form the server would refuse.
            "revaluable": declaration.status in REVALUABLE,
            "revalue_problem": claim_problem(declaration, request.user),
        },
    )


@login_required
@require_POST
def payment(request: HttpRequest, declaration_id: int) -> HttpResponse:
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    declaration = _declaration(declaration_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        taxes = selectors.current_tax_assessment(declaration_id=declaration.pk)
        try:
            ledger_payment_record(
                declaration_id=declaration.pk,
                amount=form.cleaned_data["amount"],
                currency=taxes.currency if taxes else "",
                payer=form.cleaned_data["payer"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
                ledger_seen=form.cleaned_data["ledger_seen"],
            )
            messages.success(request, _("Payment recorded."))
        except LedgerError as exc:
            messages.error(request, exc.detail)
    elif "ledger_seen" in form.errors:
        # Sent from no page of the ledger (or a tampered one): nothing says what the officer read.
        messages.error(
            request,
            _("The payment does not say which state of the ledger you read: read it again."),
        )
    else:
        messages.error(
            request, _("Please correct the form: %(e)s") % {"e": form_errors_sentence(form)}
        )
    return redirect("revenue:ledger", declaration_id=declaration.pk)


@login_required
@require_POST
def revalue(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """Target of `templates/revenue/_revalue_form.html` (URL name `revenue:revalue`)."""
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    declaration = _declaration(declaration_id)
    form = RevalueForm(request.POST, items=list(declaration.items.all()))
    if form.is_valid():
        try:
            assessment = taxes_revalue(
                declaration_id=declaration.pk,
                revised_values_by_line=form.revised_values(),
                actor=request.user,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(
                request,
                _("Reassessed: total %(total)s %(currency)s.")
                % {"total": assessment.total, "currency": assessment.currency},
            )
        except RevaluationError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(
            request, _("Please correct the form: %(e)s") % {"e": form_errors_sentence(form)}
        )
    return redirect(back_to(request, reverse("revenue:ledger", args=[declaration.pk])))


@login_required
@require_POST
def relief(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """Target of `templates/revenue/_relief_form.html` (URL name `revenue:relief`): an officer
    grants or refuses the returned goods relief a consignment claims."""
    _require(request, CAN_ACT_ON_CONSIGNMENTS)
    declaration = _declaration(declaration_id)
    form = ReliefDecisionForm(request.POST)
    if form.is_valid():
        try:
            relief_decide(
                declaration_id=declaration.pk,
                decision=form.cleaned_data["decision"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(
                request,
                {
                    "granted": _("Relief granted."),
                    "refused": _(
                        "Relief refused: the goods are taxed as an import that is not a sale."
                    ),
                    "reopened": _("Claim reopened: an officer decides it again."),
                }[form.cleaned_data["decision"]],
            )
        except ReliefError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(
            request, _("Please correct the form: %(e)s") % {"e": form_errors_sentence(form)}
        )
    return redirect(back_to(request, reverse("revenue:ledger", args=[declaration.pk])))


# --- Statements and reconciliation -------------------------------------------------------------


@login_required
def statements(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    return render(request, "revenue/statements.html", {"rows": selectors.deferred_statements()})


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _month(text: str) -> date | None:
    """``YYYY-MM`` as the first day of that month, or None: not a month, or not one of the years
    whose local midnights the reconciliation can compute (bounds.date_in_range: 1900 to 2999;
    9999-12 has no following month, and 0001-01 begins before year 1 in UTC)."""
    found = _MONTH.fullmatch(text)
    if found is None:
        return None
    try:
        month = date(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        return None
    return month if bounds.date_in_range(month) else None


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    _require(request, CAN_VIEW_CONSIGNMENTS)
    asked = request.GET.get("month", "")
    month = _month(asked)
    if asked and month is None:
        refusal = _(
            "There is no month %(month)s to reconcile: give a month as YYYY-MM, "
            "from %(earliest)s-01 to %(latest)s-12."
        ) % {"month": asked[:20], "earliest": bounds.EARLIEST_YEAR, "latest": bounds.LATEST_YEAR}
        if request.GET.get("format") == "csv":
            # An export names its month: refused, never every month under another name.
            return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")
        messages.warning(request, refusal + " " + _("Every month is shown."))
    rows = selectors.reconciliation(month=month)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"reconciliation-{month:%Y-%m}" if month else "reconciliation"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        writer = spreadsheet.Writer(response)
        columns = [
            "scheme",
            "number",
            "month",
            "currency",
            "declarations",
            "declared",
            "assessed",
            "difference",
            "at_border",
            "deferred",
            "flagged",
            "vat",
            "vat_scheme_return",
            "duty",
            "duty_border",
            "duty_deferred_statement",
            "duty_scheme_return",
            "fee",
            "total",
            "vat_border",
            "vat_deferred_statement",
            "fee_border",
            "fee_deferred_statement",
            "fee_scheme_return",
            "border_paid",
            "border_outstanding",
        ]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c] for c in columns])
        return response
    return render(
        request,
        "revenue/reconciliation.html",
        {"rows": rows, "month": month.strftime("%Y-%m") if month else ""},
    )


# --- Public estimator --------------------------------------------------------------------------


def estimate_page(request: HttpRequest) -> HttpResponse:
    """Public (no login): a consumer's basket, the same calculator as `POST /api/v1/estimates`."""
    form = EstimateForm(request.POST or None)
    items = EstimateItemFormSet(request.POST or None, prefix="items")
    context: dict = {"form": form, "items": items, "result": None, "problems": []}
    if request.method == "POST" and form.is_valid() and items.is_valid():
        basket_items = []
        rows = []  # the page's row of each item of the basket, to name it in a problem
        for row, item in enumerate(items.cleaned_data):
            if not item or not (
                item.get("value") is not None or item.get("description") or item.get("hs_code")
            ):
                continue  # a row left empty (its quantity keeps its initial 1)
            # A row that names goods but gives no price is not left out of the basket: the
            # estimator refuses it (/items/<n>/value required), next to that row.
            entry = {"quantity": str(item.get("quantity") or 1)}
            if item.get("value") is not None:
                entry["value"] = str(item["value"])
            if item.get("hs_code"):
                entry["hs_code"] = item["hs_code"].strip().replace(".", "")
            if item.get("description"):
                entry["description"] = item["description"]
            basket_items.append(entry)
            rows.append(row)
        body = {
            "origin_country": form.cleaned_data["origin_country"],
            "currency": form.cleaned_data["currency"],
            "shipping_cost": str(form.cleaned_data["shipping_cost"] or Decimal(0)),
            "items": basket_items,
            "category": form.cleaned_data["category"] or "sale_of_goods",
            "buyer": form.cleaned_data["buyer"] or "consumer",
            "transport": form.cleaned_data["transport"] or "other",
        }
        destination = form.cleaned_data["destination"]
        if destination:
            body["destination"] = destination
        if form.cleaned_data["date"]:
            body["date"] = form.cleaned_data["date"].isoformat()
        if form.cleaned_data["export_date"]:
            body["export_date"] = form.cleaned_data["export_date"].isoformat()
        if form.cleaned_data["buyer_number"]:
            body["buyer_number"] = form.cleaned_data["buyer_number"]
        if form.cleaned_data["region"]:
            body["region"] = form.cleaned_data["region"]
        if form.cleaned_data["seller_collects"]:
            # The schemes of the regime in force on the date of import asked for, not today's.
            jurisdiction = destination or settings.CUSTOMS_JURISDICTION
            on = form.cleaned_data["date"] or local_date(jurisdiction=jurisdiction)
            found = regime_on(jurisdiction, on, active_regimes())
            if found and found[1].vendor_schemes:
                body["tax_scheme"] = sorted(found[1].vendor_schemes)[0]
        try:
            context["result"] = estimate(body)
        except EstimateProblem as exc:
            context["problems"] = [
                {
                    **problem,
                    "detail": _in_reader_language(
                        problem.get("code", ""), problem.get("detail", "")
                    ),
                    "field": _estimate_field(form, items, problem.get("pointer", ""), rows),
                }
                for problem in exc.errors
            ]
    elif request.method == "POST":
        context["invalid"] = True
    if request.headers.get("HX-Request") and request.method == "POST":
        # The result, and the form again out of band: its messages sit next to the fields it
        # refused (or are cleared once they are corrected).
        result = render_to_string("revenue/_estimate_result.html", context, request)
        again = render_to_string("revenue/_estimate_form.html", {**context, "oob": True}, request)
        return HttpResponse(result + again)
    return render(request, "revenue/estimate.html", context)


def _in_reader_language(code: str, detail: Any) -> str:
    """A problem's detail in the page's language: the estimator's own sentence when it wrote it
    as a message (``not_an_import``, ``region_unknown``, a currency withdrawn before the date),
    never replaced by the general sentence of its code; other details by their code's sentence
    (the English sentence as written in English)."""
    if isinstance(detail, Message):
        return render_message(detail, _)
    return problem_detail(code, str(detail))


def _estimate_field(form: Any, items: Any, pointer: str, rows: list[int]) -> str:
    """The words of the field a problem's JSON pointer names ("/items/0/hs_code" -> "HS code
    (optional) 1"), or "" when the pointer names no field of the page. The pointer counts the
    basket's items; ``rows`` gives the page's row of each (empty rows are not sent)."""
    parts = pointer.strip("/").split("/")
    if len(parts) == 1 and parts[0] in form.fields:
        return str(form.fields[parts[0]].label)
    if parts == ["items"]:
        return _("Items")
    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
        field = items.form.base_fields.get(parts[2])
        index = int(parts[1])
        if field is not None:
            return f"{field.label} {(rows[index] if index < len(rows) else index) + 1}"
    return ""
