"""The demo's two weeks, replayed in order on their own calendar so every date agrees.

Each event happens at its own instant (``time_machine`` moves the clock, so services, model
defaults and the in-process Celery tasks all read the same time): a watchlist is loaded, each
declaration is submitted when it is received, carriers report arrivals around the expected
arrival, carriers pay at delivery (which releases green parcels), officers inspect the yellow
and red ones, record what they found (outcomes, seizures) and release or detain. Everything goes
through the same services as the API and the officer pages. The story is relative to the day it
is run and is the same on every run for the same seed.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.utils import timezone

from aeo.models import Operator
from declarations.models import Channel, Declaration, Status
from declarations.synthetic import make_declaration

logger = logging.getLogger(__name__)

DAYS = 14
# Share of declarations that reach customs late: under the two-hour minimum lead time before the
# expected arrival, or after it (timeliness, WCO Standard 1). A few per cent is what good
# advance-data programmes see; the rest arrive one to six days ahead.
LATE_SHARE = 0.06
AFTER_EXPECTED_SHARE = 0.02
# Post-release audits of green and blue parcels: the unbiased sample that measures hit rates and
# gives the learned model outcomes of both kinds.
POST_RELEASE_AUDIT_SHARE = 0.25
# Consignees that the demo watchlist names (spelt a little differently, as lists are).
WATCHED_CONSIGNEES = ("Viktor Kessler", "Olena Marchuk")
DEMO_WATCHLIST_CSV = (
    "name,aliases,country,address,identifiers,list,reason\n"
    "Viktor Kesler,V. Kessler,FR,,,national,known receiver of counterfeit goods (demo)\n"
    "Olena Martchuk,,FR,,,national,suspected smuggling of tobacco products (demo)\n"
)
OFFICER_USERNAME = "officer"
SUPERVISOR_USERNAME = "supervisor"


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


class Story:
    """The demo timeline for ``count`` declarations of ``operators``, ending at ``now``."""

    def __init__(
        self, *, operators: list[Operator], count: int, start_index: int, seed: int, now: datetime
    ) -> None:
        self.operators = operators
        self.count = count
        self.start_index = start_index
        self.rng = random.Random(seed)
        self.now = now
        self.events: list[_Event] = []
        self.sequence = itertools.count()
        self.lrn_ids: dict[str, int] = {}

    # --- scheduling -------------------------------------------------------------------------

    def _at(self, moment: datetime, kind: str, **data: Any) -> None:
        if moment < self.now:
            heapq.heappush(self.events, _Event(moment, next(self.sequence), kind, data))

    def _plan(self) -> None:
        rng = self.rng
        start = self.now - timedelta(days=DAYS)
        self._at(start - timedelta(hours=1), "watchlist")
        # The analysts retrain the learned model every other day once outcomes allow it, so the
        # last days' consignments carry its score and its hit rate can be measured.
        for days_back in (6, 4, 2):
            self._at(self.now - timedelta(days=days_back), "train")
        for index in range(self.start_index, self.start_index + self.count):
            operator = self.operators[index % len(self.operators)]
            received = self.now - timedelta(minutes=rng.randint(30, 60 * 24 * DAYS))
            risky = rng.random() < 0.06
            profile = "upu-cn23" if operator.role == "postal_operator" else None
            body = make_declaration(
                rng,
                index,
                lrn_prefix=operator.code.upper(),
                risky=risky,
                profile=profile,
                received=received,
            )
            lateness = rng.random()
            if lateness < AFTER_EXPECTED_SHARE:
                expected = received - timedelta(minutes=rng.randint(30, 600))
            elif lateness < LATE_SHARE:
                expected = received + timedelta(minutes=rng.randint(20, 110))
            else:
                expected = received + timedelta(hours=rng.randint(20, 140))
            body["expected_arrival"] = expected.isoformat()
            if rng.random() < 0.012:
                body["consignee"]["name"] = rng.choice(WATCHED_CONSIGNEES)
            self._at(received, "submit", operator=operator, body=body)
            # Carriers scan parcels in around the expected arrival (never before receipt).
            arrival = max(expected, received) + timedelta(minutes=rng.randint(-120, 240))
            arrival = max(arrival, received + timedelta(minutes=rng.randint(10, 60)))
            self._at(
                arrival,
                "arrive",
                operator=operator,
                number=body["transport_document"]["number"],
                lrn=body["lrn"],
            )

    # --- replay -----------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        self.officer = users.filter(username=OFFICER_USERNAME).first()
        self.supervisor = users.filter(username=SUPERVISOR_USERNAME).first()
        self._plan()
        counts: dict[str, int] = {}
        while self.events:
            event = heapq.heappop(self.events)
            with time_machine.travel(event.at, tick=False):
                getattr(self, f"_{event.kind}")(**event.data)
            counts[event.kind] = counts.get(event.kind, 0) + 1
        return counts

    def _watchlist(self) -> None:
        from risk.models import WatchlistEntry
        from risk.services.watchlists import watchlist_import_csv

        if not WatchlistEntry.objects.filter(list_name="national").exists():
            watchlist_import_csv(
                text=DEMO_WATCHLIST_CSV, actor=self.supervisor, reason="national list (demo)"
            )

    def _train(self) -> None:
        from risk.services.learning import risk_model_train

        risk_model_train(actor=None)

    def _submit(self, operator: Operator, body: dict[str, Any]) -> None:
        from declarations.services import declarations_submit

        outcome = declarations_submit(operator=operator, bodies=[body])[0]
        if outcome.declaration is not None:
            self.lrn_ids[body["lrn"]] = outcome.declaration.pk

    def _arrive(self, operator: Operator, number: str, lrn: str) -> None:
        from declarations.services import arrivals_record

        if lrn not in self.lrn_ids:
            return
        arrivals_record(operator=operator, transport_documents=[number])
        declaration = Declaration.objects.get(pk=self.lrn_ids[lrn])
        rng = self.rng
        if declaration.channel in (Channel.YELLOW, Channel.RED):
            # The officer on duty picks it up within the shift.
            self._at(timezone.now() + timedelta(minutes=rng.randint(30, 300)), "inspect", pk=lrn)
        elif rng.random() < 0.85:
            self._at(timezone.now() + timedelta(minutes=rng.randint(5, 240)), "pay", pk=lrn)

    def _pay(self, pk: str) -> None:
        from revenue.selectors import border_accounts, current_tax_assessment
        from revenue.services.ledger import ledger_payment_record

        declaration_id = self.lrn_ids[pk]
        assessment = current_tax_assessment(declaration_id=declaration_id)
        # Each debtor's own debt (the consignee's taxes, the declarant's duty), paid in its name.
        for account in border_accounts(declaration_id) if assessment is not None else ():
            if account.outstanding > 0:
                ledger_payment_record(
                    declaration_id=declaration_id,
                    amount=account.outstanding,
                    currency=assessment.currency,
                    payer=account.debtor,
                    reference="paid by the carrier at delivery",
                )
        if Declaration.objects.filter(pk=declaration_id, status=Status.INSPECTION).exists():
            self._officer_release(declaration_id)
        else:
            from declarations.services import declaration_release_if_cleared

            declaration_release_if_cleared(declaration_id=declaration_id)
            # Post-release audits of a few green and blue parcels keep hit rates honest.
            if self.rng.random() < POST_RELEASE_AUDIT_SHARE:
                self._at(timezone.now() + timedelta(hours=self.rng.randint(12, 72)), "audit", pk=pk)

    def _audit(self, pk: str) -> None:
        from risk.services.outcomes import outcome_record

        declaration = Declaration.objects.get(pk=self.lrn_ids[pk])
        result, revised = self._finding(declaration)
        outcome_record(
            declaration_id=declaration.pk,
            officer=self.officer,
            result=result,
            revised_value_eur=revised,
            note="post-release audit (demo)",
        )

    def _officer_release(self, declaration_id: int) -> None:
        from declarations.services import declaration_transition

        try:
            declaration_transition(
                declaration_id=declaration_id,
                to_status=Status.RELEASED,
                actor=self.officer,
                public_reason="released by customs",
                note="inspection finished, duties paid (demo)",
            )
        except Exception as refused:  # noqa: BLE001 - a lifecycle guard may hold it back
            logger.info("demo: %s stays in inspection (%s)", declaration_id, refused)

    def _inspect(self, pk: str) -> None:
        from declarations.services import TransitionNotAllowed, declaration_transition

        declaration_id = self.lrn_ids[pk]
        declaration = Declaration.objects.get(pk=declaration_id)
        if declaration.status in (Status.ASSESSED, Status.DOCUMENTS_REQUESTED):
            try:
                declaration_transition(
                    declaration_id=declaration_id,
                    to_status=Status.INSPECTION,
                    actor=self.officer,
                    public_reason="selected for inspection",
                    note="[physical] demo inspection",
                )
            except TransitionNotAllowed:
                return
        elif declaration.status != Status.INSPECTION:  # red ones are held for inspection on arrival
            return
        result, revised = self._finding(declaration)
        self._at(
            timezone.now() + timedelta(minutes=self.rng.randint(20, 180)),
            "conclude",
            pk=pk,
            result=result,
            revised=revised,
        )

    def _finding(self, declaration: Declaration) -> tuple[str, Decimal | None]:
        """What the officer finds: the rules that fired make a finding likely, not certain."""
        from risk.models import InspectionOutcome, RiskHit

        codes = set(
            RiskHit.objects.filter(assessment__declaration=declaration).values_list(
                "rule_code", flat=True
            )
        )
        draw = self.rng.random()
        result = InspectionOutcome.Result
        if codes & {"prohibited_goods_keyword", "prohibited_goods_hs", "lithium_battery_post"}:
            return (result.PROHIBITED if draw < 0.7 else result.COMPLIANT), None
        if "luxury_brand_low_value" in codes:
            return (result.COUNTERFEIT if draw < 0.6 else result.COMPLIANT), None
        if "undervaluation" in codes and draw < 0.5:
            value = declaration.total_value_eur or Decimal("20")
            return result.UNDERVALUATION, (value * 3).quantize(Decimal("0.01"))
        if "watchlist_screening" in codes and draw < 0.4:
            return result.OTHER, None
        if draw < 0.12:
            return result.MISDESCRIPTION, None
        return result.COMPLIANT, None

    def _conclude(self, pk: str, result: str, revised: Decimal | None) -> None:
        from declarations.services import TransitionNotAllowed, declaration_transition
        from risk.models import SEIZURE_RESULTS
        from risk.services.outcomes import outcome_record

        declaration_id = self.lrn_ids[pk]
        outcome_record(
            declaration_id=declaration_id,
            officer=self.officer,
            result=result,
            revised_value_eur=revised,
            note="demo inspection finding",
        )
        if result in SEIZURE_RESULTS:
            with contextlib.suppress(TransitionNotAllowed):
                declaration_transition(
                    declaration_id=declaration_id,
                    to_status=Status.DETAINED,
                    actor=self.officer,
                    public_reason="detained by customs",
                    note="goods seized after inspection (demo)",
                )
            return
        self._at(timezone.now() + timedelta(minutes=self.rng.randint(5, 60)), "pay", pk=pk)
