"""Every assessed amount has a payer and a collection channel on the ledger, whatever happens to
the declaration: random sequences of what operators and officers do (submit, amend, pay, revalue,
decide a relief, invalidate, arrive, release, return, the refund and statement tasks), run
against the real services and database, with the ledger checked after every step:

(a) the current assessment's lines, channel by channel and payer by payer, are what the ledger
    says each is owed (assessed plus adjustments), to the cent; no amount without a payer;
(b) what was collected at the border (payments less refunds) is never negative, never more than
    was paid, never more than is owed (an excess is refunded at once);
(c) an invalidated or returned declaration, once the refund task ran, owes nothing on any
    channel and has had everything collected refunded, once;
(d) every line carries its basis, rate and legal reason, and its amount is the regime's rounding
    of basis x rate, line by line or, in Norway, once on the consignment's total of each tax type
    (or a zero that says why it is not levied);
(e) amounts are Decimal, in cents, and multiples of the regime's quantum;
(f) once a month's deferred statements are closed, each carries every deferred entry of its
    month, each entry on one statement (a credit written later belongs to the next statement,
    never to none);
(g) each payer on its own at the border: every payment and refund names the debtor whose account
    it is in, no account holds more than its debtor owes (an amendment that moves the border
    debt between the consignee and the declarant, into a vendor scheme or out of it, refunds the
    one who paid), no payer is refunded more than it paid into an account, and released goods
    owe nothing at the border, debtor by debtor."""

from __future__ import annotations

import contextlib
import copy
import os
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from aeo.models import AEOAuthorisation
from declarations import lifecycle
from declarations.models import Declaration, Status, StatusEvent
from declarations.services import (
    declaration_amend,
    declaration_invalidate,
    declarations_submit,
)
from declarations.services.amendments import IntakeRefused
from declarations.services.returns import declaration_return
from declarations.statuses import CLOSED, REFUNDABLE
from revenue.calculators import (
    BORDER,
    CONSIGNEE_BORDER,
    DEFERRED_STATEMENT,
    INTERMEDIARY_DEFERRED,
    PAYERS,
    SCHEME_RETURN,
)
from revenue.ledger_math import debt_paid_toward
from revenue.localtime import jurisdiction_zone
from revenue.models import DeferredStatement, LedgerEntry, TaxAssessment
from revenue.money import round_money
from revenue.selectors import (
    border_accounts,
    border_balance,
    channel_balances,
    model_balances,
    statement_outstanding,
)
from revenue.services.ledger import LedgerError, ledger_payment_record
from revenue.services.refunds import refunds_reconcile
from revenue.services.regimes import spec_of
from revenue.services.reliefs import ReliefError, relief_decide
from revenue.services.revaluation import RevaluationError, taxes_revalue
from revenue.services.statements import deferred_statements_close
from tests.conftest import make_operator
from tests.revenue.rounding_rule import rounding_faults

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
CHANNELS = (BORDER, DEFERRED_STATEMENT, SCHEME_RETURN)

# Destination, its currency, another currency a seller may price in, and the scheme number its
# sellers register under (None: no vendor scheme at the border of that country).
DESTINATIONS = {
    "FR": ("EUR", "USD", ("IOSS", "IM2500000015"), "69003"),
    "DE": ("EUR", "GBP", ("IOSS", "IM2500000015"), "10115"),
    "GB": ("GBP", "EUR", ("UK_VAT", "GB980780684"), "SW1A 1AA"),
    "NO": ("NOK", "EUR", ("VOEC", "VOEC1234567"), "0150"),
    "US": ("USD", "EUR", None, "10001"),
}
SHAPES = ("border", "scheme", "deferred", "gift", "returned")
# Who pays at the border: the consignee, the declarant, a carrier that collected it on delivery,
# or nobody named (an officer records the debtor's payment; through the API, the operator's).
PAYERS_AT_THE_BORDER = ("consignee", "declarant", "carrier", "unnamed")
GOODS = (
    ("Women's cotton T-shirt, knitted", "610910"),
    ("Phone case, silicone, for smartphone", "392690"),
    ("Printed book, novel", "490199"),
    ("Bluetooth headphones", "851830"),
    ("Sports shoes rubber soles", "640299"),
)
value_strategy = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("900.00"), places=2)


def _body(
    lrn: str, shape: str, jurisdiction: str, currency: str, items: list[tuple[int, str]]
) -> dict:
    _currency, _other, scheme, postcode = DESTINATIONS[jurisdiction]
    body = {
        "lrn": lrn,
        "dataset": "wco-core",
        "category": {"gift": "gift", "returned": "returned_goods"}.get(shape, "sale_of_goods"),
        "transport_document": {"type": "house_waybill", "number": f"TD{lrn[-6:]}"},
        "transport_mode": "air",
        "country_of_dispatch": "CN",
        "order": {"number": f"O-{lrn}", "date": "2026-11-24T10:00:00Z", "platform": "X"},
        "seller": {
            "name": "Seller Ltd",
            "address": {"street": "1 Road", "city": "Shenzhen", "postcode": "1", "country": "CN"},
        },
        "consignee": {
            "name": f"Consignee {lrn[-3:]}",
            "address": {
                "street": "1 Main Street",
                "city": "Town",
                "postcode": postcode,
                "country": jurisdiction,
            },
        },
        "currency": currency,
        "transport_cost": "5.00",
        "total_gross_mass_kg": "1.000",
        "packages": 1,
        "items": [
            {
                "line": n,
                "description": GOODS[goods][0],
                "hs_code": GOODS[goods][1],
                "quantity": 1,
                "value": str(value),
                "origin_country": "CN",
            }
            for n, (goods, value) in enumerate(items, 1)
        ],
    }
    if shape == "scheme" and scheme is not None:
        body["vendor_tax_scheme"] = {"scheme": scheme[0], "number": scheme[1]}
    return body


class LedgerSequences(RuleBasedStateMachine):
    """A few declarations of different shapes in one destination, and what may happen to them."""

    def __init__(self, fixtures) -> None:
        super().__init__()
        self.fixtures = fixtures
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.overridden = None
        self.travel = None
        self.declarations: list[dict] = []
        self.reconciled_events: set[int] = set()

    def teardown(self) -> None:
        try:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        finally:
            if self.overridden is not None:
                self.overridden.disable()
            if self.travel is not None:
                self.travel.stop()

    # --- helpers ---------------------------------------------------------------------------

    def _committed(self, action):
        """Run ``action`` as a request would: its after-commit work (assessment, refunds of an
        excess) runs when it is done."""
        with self.fixtures["capture"](execute=True):
            return action()

    def _declaration(self, index: int) -> Declaration:
        state = self.declarations[index % len(self.declarations)]
        return Declaration.objects.select_related("operator").get(pk=state["pk"])

    # --- the start: a destination and its declarations --------------------------------------

    @initialize(
        jurisdiction=st.sampled_from(sorted(DESTINATIONS)),
        shapes=st.lists(st.sampled_from(SHAPES), min_size=3, max_size=4, unique=True),
        data=st.data(),
    )
    def submit(self, jurisdiction, shapes, data):
        own, other, _scheme, _postcode = DESTINATIONS[jurisdiction]
        consignments = [
            (
                shape,
                data.draw(st.sampled_from([own, own, other]), label=f"currency {shape}"),
                data.draw(
                    st.lists(
                        st.tuples(st.integers(0, len(GOODS) - 1), value_strategy),
                        min_size=1,
                        max_size=3,
                    ),
                    label=f"items {shape}",
                ),
            )
            for shape in shapes
        ]
        self.start(jurisdiction, consignments)

    def start(self, jurisdiction: str, consignments: list[tuple]) -> None:
        """Declarations of the given (shape, currency, [(goods, value), ...]) in one destination,
        submitted and assessed."""
        from revenue import providers

        self.overridden = override_settings(CUSTOMS_JURISDICTION=jurisdiction)
        self.overridden.enable()
        providers._IOSS_FACTORS.clear()
        providers._ZONES.clear()
        self.jurisdiction = jurisdiction
        self.officer = self.fixtures["customs_user"]("officer")
        self.supervisor = self.fixtures["customs_user"]("supervisor")
        operators = {
            "border": make_operator("border-market", role="marketplace"),
            "scheme": make_operator("scheme-market", role="marketplace"),
            "gift": make_operator("gift-post", role="postal_operator"),
            "returned": make_operator("return-express", role="express_carrier"),
            "deferred": make_operator("aeo-express", role="express_carrier"),
        }
        AEOAuthorisation.objects.create(
            operator=operators["deferred"].operator,
            kind="AEOF",
            status="authorised",
            valid_from=timezone.localdate() - timedelta(days=30),
        )
        for n, (shape, currency, items) in enumerate(consignments):
            body = _body(f"SEQ-{jurisdiction}-{n}00{n}", shape, jurisdiction, currency, items)
            client = operators[shape]
            outcome = self._committed(
                lambda client=client, body=body: declarations_submit(
                    operator=client.operator, bodies=[body]
                )[0]
            )
            assert outcome.declaration is not None, outcome.errors
            self.declarations.append(
                {"pk": outcome.declaration.pk, "shape": shape, "body": body, "client": client}
            )
        self.check()

    # --- what operators do -------------------------------------------------------------------

    @rule(
        index=st.integers(0, 3),
        change=st.sampled_from(["up", "down", "add", "remove"]),
        factor=st.decimals(min_value=Decimal("0.05"), max_value=Decimal("4"), places=2),
    )
    def amend(self, index, change, factor):
        state = self.declarations[index % len(self.declarations)]
        body = copy.deepcopy(state["body"])
        items = body["items"]
        if change in ("up", "down"):
            item = items[0]
            value = Decimal(item["value"])
            scaled = value * (factor + 1 if change == "up" else min(factor, Decimal("0.95")))
            item["value"] = str(max(round_money(scaled), CENT))
        elif change == "add":
            items.append(
                {
                    **items[-1],
                    "line": len(items) + 1,
                    "description": GOODS[len(items) % len(GOODS)][0],
                    "hs_code": GOODS[len(items) % len(GOODS)][1],
                    "value": str(round_money(Decimal(20) * factor + 1)),
                }
            )
        elif len(items) > 1:
            items.pop()
        else:
            return
        self._amended(index, state, body)

    def _amended(self, index: int, state: dict, body: dict) -> None:
        declaration = self._declaration(index)
        try:
            status, _d, problems = self._committed(
                lambda: declaration_amend(
                    operator=declaration.operator, declaration_id=declaration.pk, body=body
                )
            )
        except IntakeRefused as refused:
            assert declaration.status not in ("accepted", "assessed") or refused.code in (
                "amendment_not_allowed",
            ), refused.code
            return
        if status == 200:
            state["body"] = body
        else:
            assert status == 422, (status, problems)

    @rule(
        index=st.integers(0, 3),
        how=st.sampled_from(["part", "all", "over", "api"]),
        share=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.99"), places=2),
        who=st.sampled_from(PAYERS_AT_THE_BORDER),
    )
    def pay(self, index, how, share, who="unnamed"):
        """A payment at the border: by the consignee, the declarant, a carrier that collected it,
        or recorded by an officer naming nobody; through the API the operator pays unless it
        names someone else. It settles one debtor's debt (the payer's own if it owes), never more
        than that debtor owes."""
        declaration = self._declaration(index)
        assessment = TaxAssessment.objects.filter(declaration=declaration, is_current=True).first()
        payer = {
            "consignee": declaration.consignee_name,
            "declarant": declaration.operator.name,
            "carrier": "Swift Express Couriers",
            "unnamed": "",
        }[who]
        owing = {a.debtor: a.outstanding for a in border_accounts(declaration.pk)}
        named = payer or (declaration.operator.name if how == "api" else "")
        debtor = debt_paid_toward(named, owing, consignee=declaration.consignee_name)
        outstanding = owing.get(debtor, Decimal("0.00"))
        amount = {
            "part": round_money(outstanding * share),
            "all": outstanding,
            "api": outstanding,
            "over": outstanding + CENT,
        }[how]
        if amount <= 0:
            return
        entries = LedgerEntry.objects.filter(declaration=declaration, kind="payment").count()
        try:
            self._committed(
                lambda: ledger_payment_record(
                    declaration_id=declaration.pk,
                    amount=amount,
                    currency=assessment.currency if assessment else "EUR",
                    operator=declaration.operator if how == "api" else None,
                    payer=payer,
                    reference=f"{how} payment {entries + 1}",  # each receipt its own
                )
            )
        except LedgerError as refused:
            if declaration.status in CLOSED:
                assert refused.code == "nothing_due"
            else:
                assert how == "over" and refused.code == "payment_exceeds_due", refused.code
            return
        assert how != "over", "a payment above what is outstanding was accepted"
        entry = LedgerEntry.objects.filter(declaration=declaration, kind="payment").order_by("pk")[
            entries
        ]
        assert (entry.debtor, entry.payer) == (debtor, named or debtor), (entry.debtor, who)

    @rule(
        index=st.integers(0, 3),
        how=st.sampled_from(["all", "api", "part"]),
        share=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.99"), places=2),
        who=st.sampled_from(PAYERS_AT_THE_BORDER),
    )
    def pay_again(self, index, how, share, who="unnamed"):
        """Payments are most of what happens to a consignment at the border."""
        self.pay(index, how, share, who)

    @rule(index=st.integers(0, 3))
    def switch_scheme(self, index):
        """The operator amends a sale into its seller's vendor scheme (the IOSS, the UK scheme,
        VOEC), or out of it: the border debt moves between the consignee and the declarant (the
        EU flat duty and France's small-parcel tax stay at the border under the IOSS, owed by the
        declarant), and whoever paid before keeps their own money."""
        state = self.declarations[index % len(self.declarations)]
        scheme = DESTINATIONS[self.jurisdiction][2]
        if scheme is None or state["shape"] not in ("border", "scheme"):
            return
        body = copy.deepcopy(state["body"])
        if body.pop("vendor_tax_scheme", None) is None:
            body["vendor_tax_scheme"] = {"scheme": scheme[0], "number": scheme[1]}
        self._amended(index, state, body)

    @rule(index=st.integers(0, 3))
    def invalidate(self, index):
        declaration = self._declaration(index)
        try:
            self._committed(
                lambda: declaration_invalidate(
                    operator=declaration.operator, declaration_id=declaration.pk, reason="not sent"
                )
            )
        except IntakeRefused:
            assert declaration.status not in ("accepted", "assessed")

    @rule(index=st.integers(0, 3))
    def arrive(self, index):
        from declarations.services import arrivals_record

        declaration = self._declaration(index)
        self._committed(
            lambda: arrivals_record(
                operator=declaration.operator,
                transport_documents=[declaration.transport_document_number],
            )
        )

    @rule(index=st.integers(0, 3))
    def return_goods(self, index):
        declaration = self._declaration(index)
        try:
            self._committed(
                lambda: declaration_return(
                    operator=declaration.operator,
                    lrn=declaration.lrn,
                    transport_document={"type": "house_waybill", "number": "RET1234"},
                    reason="refused by the buyer",
                )
            )
        except IntakeRefused:
            assert declaration.status != Status.RELEASED

    # --- what officers do ----------------------------------------------------------------------

    def _claimed(self, declaration: Declaration) -> bool:
        try:
            lifecycle.claim(declaration_id=declaration.pk, user=self.officer)
        except lifecycle.LifecycleRefused:
            return False
        return True

    @rule(
        index=st.integers(0, 3),
        control=st.sampled_from(["inspect", "request_documents"]),
        factor=st.decimals(min_value=Decimal("1.01"), max_value=Decimal("6"), places=2),
    )
    def revalue(self, index, control, factor):
        declaration = self._declaration(index)
        if declaration.status in (Status.ASSESSED,) and self._claimed(declaration):
            try:
                self._committed(
                    lambda: lifecycle.perform(
                        declaration_id=declaration.pk, code=control, user=self.officer
                    )
                )
            except lifecycle.LifecycleRefused:
                return
        declared = Decimal(str(declaration.payload["items"][0]["value"]))
        self._claimed(declaration)
        with contextlib.suppress(RevaluationError):  # not under control, or closed
            self._committed(
                lambda: taxes_revalue(
                    declaration_id=declaration.pk,
                    revised_values_by_line={1: round_money(declared * factor)},
                    actor=self.officer,
                    reason="the invoice shows more",
                )
            )

    @rule(index=st.integers(0, 3), decision=st.sampled_from(["granted", "refused", "reopened"]))
    def relief(self, index, decision):
        declaration = self._declaration(index)
        self._claimed(declaration)
        actor = self.supervisor if decision == "reopened" else self.officer
        if decision == "reopened":
            with contextlib.suppress(lifecycle.LifecycleRefused):
                lifecycle.claim(declaration_id=declaration.pk, user=actor, take_over=True)
        with contextlib.suppress(ReliefError):  # no claim, decided already, released...
            self._committed(
                lambda: relief_decide(
                    declaration_id=declaration.pk,
                    decision=decision,
                    actor=actor,
                    reason="export declaration seen" if decision != "refused" else "none",
                )
            )

    @rule(index=st.integers(0, 3))
    def release(self, index):
        from risk.services.outcomes import outcome_record

        declaration = self._declaration(index)
        if declaration.status not in (
            Status.ASSESSED,
            Status.DOCUMENTS_REQUESTED,
            Status.INSPECTION,
            Status.DETAINED,
        ):
            return
        try:
            if declaration.arrived_at is None:
                self.arrive(index)
            declaration.refresh_from_db()
            if declaration.status == Status.RELEASED:
                return
            self._claimed(declaration)
            if declaration.channel in lifecycle.CONTROLLED_CHANNELS:
                outcome_record(
                    declaration_id=declaration.pk, officer=self.officer, result="compliant"
                )
            lifecycle.claim(declaration_id=declaration.pk, user=self.supervisor, take_over=True)
            self._committed(
                lambda: lifecycle.perform(
                    declaration_id=declaration.pk,
                    code="release",
                    user=self.supervisor,
                    reason="cleared",
                )
            )
        except lifecycle.LifecycleRefused:
            pass
        except Exception as exc:  # an outcome refused for a stale revision and the like
            if type(exc).__name__ not in ("OutcomeRefused",):
                raise

    # --- the beat tasks --------------------------------------------------------------------------

    @rule()
    def reconcile(self):
        self._committed(refunds_reconcile)
        self.reconciled_events = set(
            StatusEvent.objects.filter(
                declaration_id__in=[d["pk"] for d in self.declarations],
                to_status__in=REFUNDABLE,
            ).values_list("pk", flat=True)
        )

    @rule()
    def pay_statements(self):
        """The intermediary pays what each closed statement still says it owes."""
        for statement in DeferredStatement.objects.select_related("operator"):
            outstanding = statement_outstanding(statement)
            if outstanding > 0:
                self._committed(
                    lambda: ledger_payment_record(
                        statement_id=statement.pk,  # noqa: B023 (called at once)
                        amount=outstanding,  # noqa: B023
                        currency=statement.currency,  # noqa: B023
                        operator=statement.operator,  # noqa: B023
                        reference=f"statement {statement.pk} payment",  # noqa: B023
                    )
                )

    @precondition(lambda self: self.travel is None)
    @rule()
    def close_month(self):
        """The month ends: the clock moves to the 1st of the next month (local), and the beat task
        closes the statements of the month that ended."""
        now = timezone.localtime(timezone.now(), jurisdiction_zone())
        first = (now.replace(day=28) + timedelta(days=4)).replace(
            day=1, hour=0, minute=5, second=0, microsecond=0
        )
        self.travel = time_machine.travel(first, tick=True)
        self.travel.start()
        self._committed(lambda: deferred_statements_close(today=first.date()))

    # --- the checks after every step -----------------------------------------------------------

    @invariant()
    def check(self):
        if not self.declarations:
            return
        for state in self.declarations:
            self._check_declaration(state)
        self._check_statements()

    def _check_declaration(self, state: dict) -> None:
        declaration = Declaration.objects.select_related("operator").get(pk=state["pk"])
        assessment = (
            TaxAssessment.objects.filter(declaration=declaration, is_current=True)
            .select_related("regime")
            .first()
        )
        assert assessment is not None, f"{state['shape']} not assessed"
        lines = list(assessment.lines.all())
        entries = list(LedgerEntry.objects.filter(declaration=declaration))
        spec = spec_of(assessment.regime)
        label = f"{state['shape']} {declaration.pk} {declaration.status}"

        # (e) Decimal amounts in cents, multiples of the regime's quantum.
        for value in (
            assessment.total,
            assessment.due_at_border,
            assessment.deferred,
            assessment.pre_collected,
            *(line.amount for line in lines),
            *(entry.amount for entry in entries),
        ):
            assert isinstance(value, Decimal) and value == value.quantize(CENT), (label, value)
        # (d) basis, rate and legal reason on every line; amount = basis x rate as the regime
        # rounds it (line by line, or once on the consignment's total of each tax type), or a
        # zero that says it is not levied below a minimum.
        for line in lines:
            assert line.payer in PAYERS and line.collection_channel in CHANNELS, (label, line)
            assert line.basis is not None and line.rate is not None, (label, line.legal_reason)
            assert line.legal_reason.strip(), label
            assert line.amount >= 0, (label, line.legal_reason)
            assert line.amount % Decimal(spec.rounding_quantum) == 0, (label, line.amount)
        assert rounding_faults(lines, spec) == [], label
        # No ledger amount without a payer.
        for entry in entries:
            assert entry.payer.strip(), (label, entry.kind, entry.reference)
            assert entry.collection_model, (label, entry.kind)

        owed, paid, refunded = border_balance(declaration.pk)
        # (b) what was collected is never negative nor more than was paid or than is owed.
        assert Decimal(0) <= refunded <= paid, (label, paid, refunded)
        settled = declaration.status in CLOSED and self._settled(declaration)
        if not settled:
            assert paid - refunded <= max(owed, Decimal(0)), (label, owed, paid, refunded)
        # (g) each payer on its own: no account holds more than its debtor owes, nobody is
        # refunded more than it paid into an account, released goods owe nothing at the border.
        accounts = border_accounts(declaration.pk)
        by_payer: dict[tuple[str, str], Decimal] = {}
        for entry in entries:
            if entry.kind in ("payment", "refund"):
                assert entry.debtor in {a.debtor for a in accounts}, (label, entry.debtor)
                key = (entry.debtor, entry.payer)
                by_payer[key] = by_payer.get(key, Decimal(0)) + (
                    entry.amount if entry.kind == "payment" else -entry.amount
                )
        assert all(v >= 0 for v in by_payer.values()), (label, by_payer)
        for account in accounts:
            assert Decimal(0) <= account.refunded <= account.paid, (label, account)
            if not settled:
                assert account.collected <= max(account.owed, Decimal(0)), (label, account)
        if declaration.status == Status.RELEASED:
            assert all(a.outstanding == 0 for a in accounts), (label, accounts)
        if settled:
            assert all(a.collected == 0 for a in accounts), (label, accounts)
            # (c) nothing owed on any channel, everything collected refunded, once.
            balances = {k: v for k, v in model_balances(declaration.pk).items() if v}
            assert all(v == v.quantize(CENT) for v in model_balances(declaration.pk).values())
            assert balances == {}, (label, balances)
            assert paid == refunded, (label, paid, refunded)
            # Once: one settlement refund per account and payer, all of one event.
            settlement_refunds = [
                e
                for e in entries
                if e.kind == "refund" and (e.source_key or "").startswith("event:")
            ]
            assert len({(e.debtor, e.payer) for e in settlement_refunds}) == len(
                settlement_refunds
            ), (label, settlement_refunds)
            assert len({e.source_key.split(":")[1] for e in settlement_refunds}) <= 1, label
            return
        # (a) the current assessment, channel by channel and payer by payer, is what the ledger
        # says is owed.
        by_channel = {channel: Decimal("0.00") for channel in CHANNELS}
        for line in lines:
            by_channel[line.collection_channel] += line.amount
        assert channel_balances(declaration.pk) == by_channel, (
            label,
            channel_balances(declaration.pk),
            by_channel,
        )
        assert by_channel == {
            BORDER: assessment.due_at_border,
            DEFERRED_STATEMENT: assessment.deferred,
            SCHEME_RETURN: assessment.pre_collected,
        }, label
        names = {"consignee": declaration.consignee_name, "declarant": declaration.operator.name}
        lines_by_payer: dict[str, Decimal] = {}
        for line in lines:
            if line.collection_channel == BORDER and line.amount:
                name = names[line.payer]
                lines_by_payer[name] = lines_by_payer.get(name, Decimal(0)) + line.amount
        ledger_by_payer = {
            row["payer"]: round_money(row["total"])
            for row in LedgerEntry.objects.filter(
                declaration=declaration,
                collection_model=CONSIGNEE_BORDER,
                kind__in=(LedgerEntry.Kind.ASSESSED, LedgerEntry.Kind.ADJUSTMENT),
            )
            .values("payer")
            .annotate(total=Sum("amount"))
            if round_money(row["total"])
        }
        assert ledger_by_payer == lines_by_payer, (label, ledger_by_payer, lines_by_payer)

    def _settled(self, declaration: Declaration) -> bool:
        return StatusEvent.objects.filter(
            declaration_id=declaration.pk,
            to_status__in=REFUNDABLE,
            pk__in=self.reconciled_events,
        ).exists()

    def _check_statements(self) -> None:
        # (f) a closed month's statement carries every deferred entry of its month, each on one
        # statement: the entries it bills (its month's, and late ones of earlier months).
        zone = jurisdiction_zone()
        for statement in DeferredStatement.objects.all():
            billed = list(statement.billed_entries.all())
            # Plus the credit its intermediary's previous statement held, carried in once.
            assert statement.total == sum((e.amount for e in billed), Decimal(0)) + (
                statement.brought_forward
            ), (statement.total, billed)
            assert statement.entry_count == len(billed)
            assert all(
                timezone.localtime(e.at, zone).date().replace(day=1) <= statement.period
                for e in billed
            )
            assert statement.late_entries == sum(
                timezone.localtime(e.at, zone).date().replace(day=1) < statement.period
                for e in billed
            )
            assert statement.brought_forward <= 0
            if statement.brought_forward:
                assert statement.carried_from.period < statement.period
        # No deferred entry of a closed month is on no statement (entries are written at the
        # current time here, so none is late).
        closed = set(DeferredStatement.objects.values_list("operator_id", "currency", "period"))
        for entry in LedgerEntry.objects.filter(
            collection_model=INTERMEDIARY_DEFERRED, billed_on__isnull=True
        ).exclude(kind=LedgerEntry.Kind.PAYMENT):
            period = timezone.localtime(entry.at, zone).date().replace(day=1)
            assert (entry.account_id, entry.currency, period) not in closed, entry
        # A credit is counted on one statement only: the total of what the statements still say
        # is owed equals what they were closed for, less what was paid.
        statements = list(DeferredStatement.objects.all())
        closed_for = sum((s.total - s.brought_forward for s in statements), Decimal(0))
        paid = LedgerEntry.objects.filter(
            statement__isnull=False, kind=LedgerEntry.Kind.PAYMENT
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert sum((statement_outstanding(s) for s in statements), Decimal(0)) == round_money(
            closed_for - paid
        )


# 40 sequences of up to 20 steps in each CI run (two minutes on PostgreSQL at 60 kept CI past its
# 20 minutes); a deeper search: LEDGER_SEQUENCES=500 pytest tests/revenue/test_ledger_sequences.py
SETTINGS = hypothesis_settings(
    max_examples=int(os.environ.get("LEDGER_SEQUENCES", "40")),
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fixtures(customs_user, django_capture_on_commit_callbacks):
    return {"customs_user": customs_user, "capture": django_capture_on_commit_callbacks}


def test_the_ledger_owes_what_each_assessment_says_through_any_sequence(fixtures):
    run_state_machine_as_test(lambda: LedgerSequences(fixtures), settings=SETTINGS)


# Sequences that once broke the ledger, run step by step with every check after each.
SEQUENCES = {
    # A revaluation took an IOSS consignment out of the scheme: the EUR 3 flat duty and the small-
    # parcel tax the declarant owed became the consignee's, but the ledger kept them on the
    # declarant's name and raised the consignee's debt by the difference only.
    "ioss revalued out of the scheme, released and returned": (
        "FR",
        [("scheme", "EUR", [(0, Decimal("24.00")), (1, Decimal("15.80"))])],
        [
            ("revalue", {"index": 0, "control": "inspect", "factor": Decimal("6")}),
            ("pay", {"index": 0, "how": "all", "share": Decimal("0.5")}),
            ("release", {"index": 0}),
            ("return_goods", {"index": 0}),
            ("reconcile", {}),
        ],
    ),
    # The consignee paid her 18.60 at the border; amended into the IOSS, only the declarant owed
    # (its 5.00 of flat duty and small-parcel tax): she was refunded 13.60 and the rest of her
    # money settled the declarant's debt, so the goods could leave with the declarant never paying.
    "consignee paid, amended into the ioss, released only once the declarant pays": (
        "FR",
        [("border", "EUR", [(0, Decimal("60.00"))])],
        [
            ("pay", {"index": 0, "how": "all", "share": Decimal("0.5"), "who": "consignee"}),
            ("switch_scheme", {"index": 0}),
            ("release", {"index": 0}),
            ("pay", {"index": 0, "how": "api", "share": Decimal("0.5"), "who": "declarant"}),
            ("release", {"index": 0}),
        ],
    ),
    # The mirror: the declarant's 5.00 counted against the consignee's debt once amended out of
    # the IOSS; invalidated afterwards, each is refunded what it paid.
    "declarant paid, amended out of the ioss, invalidated": (
        "FR",
        [("scheme", "EUR", [(0, Decimal("60.00"))])],
        [
            ("pay", {"index": 0, "how": "api", "share": Decimal("0.5"), "who": "declarant"}),
            ("switch_scheme", {"index": 0}),
            ("pay", {"index": 0, "how": "part", "share": Decimal("0.5"), "who": "carrier"}),
            ("switch_scheme", {"index": 0}),
            ("pay", {"index": 0, "how": "all", "share": Decimal("0.5"), "who": "unnamed"}),
            ("invalidate", {"index": 0}),
            ("reconcile", {}),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequences_that_once_broke_the_ledger(fixtures, name):
    jurisdiction, consignments, steps = SEQUENCES[name]
    machine = LedgerSequences(fixtures)
    try:
        machine.start(jurisdiction, consignments)
        for step, arguments in steps:
            getattr(machine, step)(**arguments)
            machine.check()
    finally:
        machine.teardown()


def test_a_model_whose_entries_cancel_out_owes_nothing_to_the_cent(fixtures):
    """SQLite sums amounts as floating point: 0.10 + 0.20 - 0.30 is 5.55e-17 there. A model's
    balance is brought back to the cent, so a cancelled declaration owes 0.00 on it, and its
    settlement writes no reversal of a residue."""
    machine = LedgerSequences(fixtures)
    try:
        machine.start("NO", [("scheme", "NOK", [(0, Decimal("1.00"))])])
        declaration = machine._declaration(0)
        model = TaxAssessment.objects.get(declaration=declaration, is_current=True)
        scheme_model = model.collection_model
        entries = LedgerEntry.objects.filter(declaration=declaration, collection_model=scheme_model)
        already = sum((e.amount for e in entries), Decimal(0))
        for amount in (-already, Decimal("0.10"), Decimal("0.20"), Decimal("-0.30")):
            LedgerEntry.objects.create(
                declaration=declaration,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=amount,
                currency="NOK",
                collection_model=scheme_model,
                payer="VOEC VOEC1234567",
            )
        assert model_balances(declaration.pk)[scheme_model] == Decimal("0.00")
        assert str(model_balances(declaration.pk)[scheme_model]) == "0.00"
        machine.invalidate(0)
        machine.reconcile()
        reversals = LedgerEntry.objects.filter(
            declaration=declaration, source_key__startswith="event:"
        )
        assert not [e for e in reversals if e.collection_model == scheme_model]
    finally:
        machine.teardown()
