"""Payments on the ledger: a declaration's border duties and taxes, or an intermediary's deferred
monthly statement, never more than is outstanding."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record, operator_actor
from customs_ecom.platform.templatetags.human import amount as human_amount
from declarations.models import Declaration, Status
from declarations.services import declaration_release_if_cleared
from revenue.calculators import CONSIGNEE_BORDER, INTERMEDIARY_DEFERRED
from revenue.ledger_math import debt_paid_toward
from revenue.localtime import local_date
from revenue.models import DeferredStatement, LedgerEntry, TaxAssessment
from revenue.money import round_money
from revenue.selectors import border_accounts, statement_outstanding


class LedgerError(ValueError):
    """A ledger write refused; `code` is stable, `pointer` names the element (API) or field."""

    def __init__(self, code: str, pointer: str, detail: str, *, status: int = 422) -> None:
        super().__init__(detail)
        self.code = code
        self.pointer = pointer
        self.detail = detail
        self.status = status


def _money_amount(amount: Any, pointer: str = "/amount") -> Decimal:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise LedgerError("amount_invalid", pointer, _("not an amount")) from None
    if not value.is_finite() or value <= 0:
        raise LedgerError("amount_invalid", pointer, _("the amount must be positive"))
    if value != round_money(value):
        raise LedgerError("amount_invalid", pointer, _("at most two decimals"))
    return round_money(value)


def latest_entry_id(declaration_id: int) -> int:
    """The number of the newest ledger entry of a declaration (0: none): what the payment form
    of the officer's page sends back as `ledger_seen`."""
    return (
        LedgerEntry.objects.filter(declaration_id=declaration_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


def _refuse_repeated_reference(reference: str, **target: Any) -> None:
    """A receipt or transfer reference is recorded once per declaration or statement: the same
    one again is the same money recorded twice (a retry without its Idempotency-Key, a receipt
    typed in twice), which would show taxes as paid that nobody paid."""
    if not reference:
        return
    earlier = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT, reference=reference, **target)
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        raise LedgerError(
            "duplicate_reference",
            "/reference",
            _(
                "A payment with the reference %(reference)s was already recorded on "
                "%(date)s (%(amount)s): the same payment is not recorded twice."
            )
            % {
                "reference": reference,
                "date": local_date(earlier.at).isoformat(),
                "amount": human_amount(earlier.amount, earlier.currency),
            },
            status=409,
        )


def ledger_payment_record(
    *,
    amount: Any,
    currency: str,
    reference: str = "",
    payer: str = "",
    declaration_id: int | None = None,
    statement_id: int | None = None,
    operator: Operator | None = None,
    actor: Any = None,
    ledger_seen: int | None = None,
) -> LedgerEntry:
    """Record a payment of a declaration's border duties and taxes, or of a deferred monthly
    statement. With `operator` (the API), the declaration or statement must be that operator's:
    anything else is `not_found`, exactly like a missing one. A payment never exceeds what is
    outstanding; overpayments are refused rather than turned into credits.

    A border payment settles one debtor's debt, recorded with it (`debtor`): the payer's own
    when the payer owes something at the border, otherwise the consignee's, or the declarant's
    when only the declarant owes (``ledger_math.debt_paid_toward``); it may not exceed what that
    debtor still owes. `payer` is who paid: the operator through the API unless it names another,
    the debtor itself when an officer names nobody.

    `ledger_seen` (the officer's page): the newest ledger entry of the declaration the officer
    read (0: none). A ledger that changed since is refused (`ledger_changed`): the same form sent
    twice, or another payment recorded meanwhile, never records the money twice."""
    if (declaration_id is None) == (statement_id is None):
        raise LedgerError(
            "payment_target_required",
            "",
            _("Give exactly one of declaration_id and statement_id."),
        )
    value = _money_amount(amount)
    currency = (currency or "").upper()
    reference = (reference or "").strip()[:120]
    with transaction.atomic():
        if declaration_id is not None:
            found = Declaration.objects.select_for_update().filter(pk=declaration_id)
            if operator is not None:
                found = found.filter(operator=operator)
            declaration = found.first()
            if declaration is None:
                raise LedgerError(
                    "not_found", "/declaration_id", _("No such declaration."), status=404
                )
            if declaration.status in (Status.INVALIDATED, Status.RETURNED):
                raise LedgerError(
                    "nothing_due",
                    "/declaration_id",
                    _("The declaration is invalidated or returned: nothing is due."),
                    status=409,
                )
            if ledger_seen is not None and ledger_seen != latest_entry_id(declaration.pk):
                raise LedgerError(
                    "ledger_changed",
                    "",
                    _(
                        "The ledger changed since you opened the page (a payment was recorded, "
                        "perhaps this one): read it again before recording a payment."
                    ),
                    status=409,
                )
            assessment = TaxAssessment.objects.filter(
                declaration=declaration, is_current=True
            ).first()
            if assessment is None:
                raise LedgerError(
                    "not_assessed", "/declaration_id", _("The declaration is not assessed yet.")
                )
            if currency != assessment.currency:
                raise LedgerError(
                    "currency_mismatch",
                    "/currency",
                    _("Pay in %(currency)s, the currency of the assessment.")
                    % {"currency": assessment.currency},
                )
            _refuse_repeated_reference(reference, declaration=declaration)
            # Each debtor's account on its own (docs/revenue.md): the payment settles one debt,
            # recorded with it, and never more than that debtor still owes.
            owing = {a.debtor: a.outstanding for a in border_accounts(declaration.pk)}
            outstanding = sum(owing.values(), Decimal("0.00"))
            # Through the API the operator pays (a carrier collecting on delivery, or the
            # declarant its own duty); an officer records the payment of whoever owes.
            named = (payer or (operator.name if operator else "")).strip()[:200]
            debtor = debt_paid_toward(named, owing, consignee=declaration.consignee_name[:200])
            due = owing.get(debtor, Decimal("0.00")) if debtor is not None else Decimal("0.00")
            if value > due:
                raise LedgerError(
                    "payment_exceeds_due",
                    "/amount",
                    _("%(amount)s exceeds the %(outstanding)s %(currency)s outstanding.")
                    % {
                        "amount": human_amount(value, currency),
                        "outstanding": human_amount(due, currency),
                        "currency": currency,
                    },
                )
            entry = LedgerEntry.objects.create(
                declaration=declaration,
                kind=LedgerEntry.Kind.PAYMENT,
                amount=value,
                currency=currency,
                collection_model=CONSIGNEE_BORDER,
                payer=named or debtor,
                debtor=debtor,
                actor=actor if getattr(actor, "pk", None) else None,
                reference=reference[:120],
            )
            object_type, object_id = "declaration", declaration.pk
        else:
            found = DeferredStatement.objects.select_for_update().filter(pk=statement_id)
            if operator is not None:
                found = found.filter(operator=operator)
            statement = found.first()
            if statement is None:
                raise LedgerError("not_found", "/statement_id", _("No such statement."), status=404)
            if currency != statement.currency:
                raise LedgerError(
                    "currency_mismatch",
                    "/currency",
                    _("Pay in %(currency)s, the currency of the statement.")
                    % {"currency": statement.currency},
                )
            _refuse_repeated_reference(reference, statement=statement)
            outstanding = statement_outstanding(statement)
            if value > outstanding:
                raise LedgerError(
                    "payment_exceeds_due",
                    "/amount",
                    _("%(amount)s exceeds the %(outstanding)s %(currency)s outstanding.")
                    % {
                        "amount": human_amount(value, currency),
                        "outstanding": human_amount(outstanding, currency),
                        "currency": currency,
                    },
                )
            entry = LedgerEntry.objects.create(
                account_id=statement.operator_id,
                statement=statement,
                kind=LedgerEntry.Kind.PAYMENT,
                amount=value,
                currency=currency,
                collection_model=INTERMEDIARY_DEFERRED,
                # Trimmed as a border payment's payer is: only whitespace names nobody.
                payer=((payer or "").strip() or statement.operator.name)[:200],
                actor=actor if getattr(actor, "pk", None) else None,
                reference=reference[:120],
            )
            object_type, object_id = "deferred_statement", statement.pk
        audit_record(
            actor=operator_actor(operator.code) if operator is not None else actor,
            action="ledger.payment",
            object_type=object_type,
            object_id=object_id,
            before={"outstanding": str(outstanding)},
            after={
                "entry": entry.pk,
                "amount": str(value),
                "currency": currency,
                "outstanding": str(outstanding - value),
                "reference": reference[:120],
                "operator": operator.code if operator is not None else None,
            },
            reason=f"paid through the API by operator {operator.code}" if operator else "",
        )
        if object_type == "declaration":
            # The release the payment causes names who paid: the operator through its API key,
            # else the officer who recorded it.
            declaration_release_if_cleared(
                declaration_id=object_id,
                actor=operator_actor(operator.code) if operator is not None else actor,
            )
        return entry
