"""Revaluation after inspection: a declaration reassessed with the values found, the difference
recorded on the ledger as adjustments."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from aeo.benefits import operator_benefits
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.templatetags.human import amount as human_amount
from declarations.lifecycle import claim_problem
from declarations.models import Declaration, Status
from declarations.statuses import REVALUABLE
from revenue.calculators import INTERMEDIARY_DEFERRED, assess
from revenue.models import LedgerEntry, TaxAssessment
from revenue.money import round_money
from revenue.rates import RateResolver, in_regime_currency
from revenue.selectors import tax_scheme_number_status
from revenue.services._common import _store_result, consignment_input
from revenue.services.assessment import _ledger_values
from revenue.services.refunds import refund_overpayments_after_commit
from revenue.services.regimes import spec_of
from revenue.services.reliefs import relief_refused


class RevaluationError(ValueError):
    pass


def taxes_revalue(
    *,
    declaration_id: int,
    revised_values_by_line: Mapping[int, Decimal],
    actor: Any,
    reason: str,
    refuse_relief: bool = False,
    reopen_relief: bool = False,
    revision: int | None = None,
) -> TaxAssessment:
    """Reassess a declaration with the values found at inspection (declaration currency, whole
    line), under the regime version and exchange rate of its current assessment. The new
    assessment (reason `revaluation`) becomes current; the ledger records the difference as
    adjustments and the audit trail the totals before and after.

    `refuse_relief`: the officer found no evidence for the returned goods relief the declaration
    claims (called by `services.reliefs.relief_decide`, which records the refusal); the goods are
    taxed as an import that is not a sale (category `other`), now and in every later assessment.
    Values may then stay as declared. `reopen_relief`: a supervisor reopened a refused relief
    (recorded by `relief_decide`); the goods are reassessed with it. `revision` is the one the
    officer saw (a declaration amended since is refused); while an officer holds the consignment,
    only that officer revalues it."""
    if not reason.strip():
        raise RevaluationError(_("Say why the values are revised."))
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("operator")
            .get(pk=declaration_id)
        )
        if declaration.status in (Status.INVALIDATED, Status.RETURNED):
            raise RevaluationError(_("An invalidated or returned declaration is not revalued."))
        if revised_values_by_line and declaration.status not in REVALUABLE:
            raise RevaluationError(
                _(
                    "Values are revised after a control (documents requested, inspection or "
                    "detention), before release."
                )
            )
        if revision is not None and revision != declaration.revision:
            raise RevaluationError(
                _("The declaration was amended since you opened it: read it again, then revalue.")
            )
        problem = claim_problem(declaration, actor) if getattr(actor, "pk", None) else None
        if problem is not None:
            raise RevaluationError(problem)
        previous = (
            TaxAssessment.objects.filter(declaration=declaration, is_current=True)
            .select_related("regime")
            .first()
        )
        if previous is None:
            raise RevaluationError(_("The declaration has not been assessed yet."))
        declared = {
            int(item["line"]): Decimal(str(item["value"])) for item in declaration.payload["items"]
        }
        values: dict[int, Decimal] = {}
        for line, value in revised_values_by_line.items():
            if int(line) not in declared:
                raise RevaluationError(
                    _("Line %(line)s is not on the declaration.") % {"line": line}
                )
            value = Decimal(value)
            if not value.is_finite() or value < 0:
                raise RevaluationError(_("Values must be positive amounts."))
            # Customs revise a value up (undervaluation found); a lower value is the declarant's
            # amendment, validated and assessed again, never one officer's word alone.
            if value < declared[int(line)]:
                raise RevaluationError(
                    _(
                        "Line %(line)s: a revaluation does not lower the declared value "
                        "%(declared)s; the declarant amends the declaration instead."
                    )
                    % {
                        "line": line,
                        "declared": human_amount(
                            declared[int(line)], declaration.payload.get("currency", "")
                        ),
                    }
                )
            values[int(line)] = value
        if not values and not (refuse_relief or reopen_relief):
            raise RevaluationError(_("Give at least one revised value."))
        if values and all(value == declared[line] for line, value in values.items()):
            # Values as declared are no values found: a revaluation that changed nothing would
            # lift the hold of an undervaluation finding with the declared (under)value.
            raise RevaluationError(
                _(
                    "Every value given is the declared one: a revaluation raises at least one "
                    "line to the value found."
                )
            )
        # Values found at an earlier inspection of this revision stand unless revised again.
        found_before = (
            {int(k): Decimal(v) for k, v in previous.revised_values.items()}
            if previous.revision == declaration.revision and previous.revised_values
            else {}
        )
        values = {**found_before, **values}
        claimed = declaration.category == "returned_goods"
        if (refuse_relief or reopen_relief) and not claimed:
            raise RevaluationError(_("The declaration claims no returned goods relief."))
        spec = spec_of(previous.regime)
        # The amounts the law fixes in another currency, converted as on the first assessment.
        converted = in_regime_currency(RateResolver(), spec, previous.rate_date)
        if converted is None:
            raise RevaluationError(
                _("No exchange rate converts the amounts of regime %(code)s for %(day)s.")
                % {"code": spec.code, "day": previous.rate_date.isoformat()}
            )
        spec = converted[0]
        if spec.currency != previous.currency:
            # The shipped regime changed currency since (a member state outside the euro area
            # assessed in euro by an earlier release): the old rate cannot be reused.
            raise RevaluationError(
                _(
                    "The regime is now in %(now)s, the assessment in %(then)s: amend the "
                    "declaration to have it assessed again."
                )
                % {"now": spec.currency, "then": previous.currency}
            )
        # A relief an officer refused stays refused (services.reliefs).
        refused = refuse_relief or (claimed and declaration.pk in relief_refused([declaration.pk]))
        scheme_status = (
            tax_scheme_number_status(
                declaration.tax_scheme, declaration.tax_scheme_number, previous.rate_date
            )
            if declaration.tax_scheme_number
            else None
        )
        consignment = consignment_input(
            declaration,
            deferred_payment_authorised=previous.collection_model == INTERMEDIARY_DEFERRED
            or operator_benefits(declaration.operator).deferred_payment,
            scheme_status=scheme_status,
            values_by_line=values,
            category="other" if refused else None,
        )
        # The rate of the first assessment, as it converted: its official figures, unrounded.
        result = assess(consignment, spec, fx_rate=previous.cross_rate)
        assessment = _store_result(
            declaration,
            previous.regime,
            result,
            previous.rate_date,
            "revaluation",
            scheme_status=scheme_status,
            actor=actor,
            note=reason,
        )
        difference = assessment.total - previous.total
        # The same rate as before, so the same facts about it: rule, fixing day, staleness.
        assessment.rate_rule = previous.rate_rule
        assessment.rate_fixed_on = previous.rate_fixed_on
        assessment.rate_published_on = previous.rate_published_on
        assessment.rate_stale = previous.rate_stale
        rate_lines = [
            text for text in previous.explanation if text.startswith("Exchange rate rule ")
        ]
        assessment.explanation = [
            *assessment.explanation,
            *rate_lines,
            f"Revaluation after inspection: total {previous.total} -> {assessment.total} "
            f"{assessment.currency} (difference {difference}).",
        ]
        if refused:
            assessment.explanation.append(
                "Returned goods relief refused by an officer, no evidence of export: taxed as an "
                "import that is not a sale."
            )
        assessment.revised_values = {str(k): str(v) for k, v in sorted(values.items())}
        assessment.save(
            update_fields=[
                "explanation",
                "revised_values",
                "rate_rule",
                "rate_fixed_on",
                "rate_published_on",
                "rate_stale",
            ]
        )
        LedgerEntry.objects.bulk_create(_ledger_adjustments(declaration, assessment, actor=actor))
        # A granted relief may leave less due than was already paid: the excess is refunded.
        refund_overpayments_after_commit(
            {declaration.pk: f"{declaration.pk}:assessment:{assessment.pk}"}
        )
        audit_record(
            actor=actor,
            action="taxes.revalue",
            object_type="declaration",
            object_id=declaration.pk,
            before={
                "assessment": previous.pk,
                # The values the taxes were assessed on until now: those an earlier revaluation
                # of this revision found, else the declared ones.
                "values": {
                    str(k): str(v)
                    for k, v in {**_declared_values(declaration), **found_before}.items()
                },
                "total": str(previous.total),
                "due_at_border": str(previous.due_at_border),
                **({"returned_goods_relief": "claimed"} if refuse_relief else {}),
            },
            after={
                "assessment": assessment.pk,
                "values": {str(k): str(v) for k, v in values.items()},
                "total": str(assessment.total),
                "due_at_border": str(assessment.due_at_border),
                "difference": str(difference),
                **({"returned_goods_relief": "refused"} if refuse_relief else {}),
            },
            reason=reason,
        )
        return assessment


def _ledger_adjustments(
    declaration: Declaration, assessment: TaxAssessment, *, actor: Any
) -> list[LedgerEntry]:
    """What the ledger must record so that each channel is owed what the new assessment says, in
    the name of whoever owes it: for each (model, account, payer) the difference between the
    assessment's entries (as an initial assessment would write them) and what the ledger owes.
    A revaluation that takes a consignment out of the IOSS moves the EU flat duty from the
    declarant to the consignee: the declarant's debt is cancelled in its name and the consignee's
    raised in its own, never netted under one name. Revalued out of a scheme, the scheme's part is
    reversed under the model that assessed it."""
    target: dict[tuple[str, int | None, str], Decimal] = {}
    for values in _ledger_values(
        declaration, assessment.pk, list(assessment.lines.all()), assessment.currency
    ):
        key = (values["collection_model"], values.get("account_id"), values["payer"])
        target[key] = target.get(key, Decimal(0)) + values["amount"]
    owed: dict[tuple[str, int | None, str], Decimal] = {}
    for row in (
        LedgerEntry.objects.filter(
            declaration=declaration,
            kind__in=(LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT),
        )
        .values("collection_model", "account_id", "payer")
        .annotate(total=Sum("amount"))
    ):
        key = (row["collection_model"], row["account_id"], row["payer"])
        owed[key] = round_money(row["total"] or Decimal(0))
    adjustments = []
    per_model: dict[str, int] = {}
    for key in sorted(set(target) | set(owed), key=lambda k: (k[0], k[1] or 0, k[2])):
        model, account_id, payer = key
        delta = round_money(target.get(key, Decimal(0)) - owed.get(key, Decimal(0)))
        if not delta:
            continue
        n = per_model[model] = per_model.get(model, -1) + 1
        adjustments.append(
            LedgerEntry(
                declaration=declaration,
                account_id=account_id,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=delta,
                currency=assessment.currency,
                collection_model=model,
                payer=payer[:200],
                actor=actor if getattr(actor, "pk", None) else None,
                reference=f"revaluation {assessment.pk}",
                source_key=f"assessment:{assessment.pk}:{model}" + (f":{n}" if n else ""),
            )
        )
    return adjustments


def _declared_values(declaration: Declaration) -> dict[int, Decimal]:
    return {int(i["line"]): Decimal(str(i["value"])) for i in declaration.payload["items"]}
