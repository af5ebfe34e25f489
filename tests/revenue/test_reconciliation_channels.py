"""Reconciliation per scheme number and month shows, for the consignments declared under a
number, every amount they were assessed by the channel that collects it (the scheme return, the
border, the deferred statements), for duty, VAT and national fees, so that the channels add up
to what those consignments were assessed; and what the ledger says was paid at the border."""

from __future__ import annotations

import copy
import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aeo.models import AEOAuthorisation
from declarations.models import Declaration
from revenue.models import TaxAssessment, TaxSchemeRegistration
from revenue.services.ledger import ledger_payment_record
from tests.conftest import DATASET_EXAMPLE, make_operator
from tests.revenue.helpers import submit

pytestmark = pytest.mark.django_db

LISTED, UNLISTED = "IM2500000015", "IM2500000023"
TYPES = ("vat", "duty", "fee")
CHANNELS = ("scheme_return", "border", "deferred_statement")
# The columns the export had before the channels were added: kept, in this order.
EARLIER = [
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
]
ADDED = [
    "total",
    "vat_border",
    "vat_deferred_statement",
    "fee_border",
    "fee_deferred_statement",
    "fee_scheme_return",
    "border_paid",
    "border_outstanding",
]


def _ioss(lrn: str, *, number: str = LISTED, value: str | None = None) -> dict:
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {
        "type": "house_waybill",
        "number": f"6{abs(hash(lrn)) % 10**9:09d}",
    }
    body["vendor_tax_scheme"] = {"scheme": "IOSS", "number": number}
    body.pop("self_assessed_taxes")
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    if value is not None:
        # Above the IOSS ceiling: refused from the scheme, declared in a full dataset.
        body["items"] = [dict(body["items"][0], value=value, quantity=1)]
        body["dataset"] = "wco-core"
    return body


def _money(cell: str) -> Decimal:
    return Decimal(cell.replace("\xa0", " ").split(" ")[0].replace(",", ""))


@pytest.fixture
def consignments(operator_a):
    """IOSS consignments of one scheme number before and after the flat duty of 1 July 2026,
    one above the ceiling, one received at 23:30 UTC on 31 October (1 November in Paris), one
    under special arrangements; and, under a number the registry does not list, one under
    special arrangements whose VAT is deferred."""
    TaxSchemeRegistration.objects.create(
        scheme="IOSS", number=LISTED, valid_from=date(2025, 1, 1), holder="Seller"
    )
    submit(operator_a.operator, [_ioss("RC-MAY")], received_days_from_today=-200)
    submit(operator_a.operator, [_ioss("RC-NOV"), _ioss("RC-BIG", value="400.00")])
    (edge,) = submit(operator_a.operator, [_ioss("RC-EDGE")])
    Declaration.objects.filter(pk=edge.pk).update(
        received_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    )
    carrier = make_operator("aeo-carrier-rc", role="express_carrier")
    AEOAuthorisation.objects.create(
        operator=carrier.operator,
        kind="AEOF",
        status="authorised",
        valid_from=timezone.localdate() - timedelta(days=300),
    )
    submit(carrier.operator, [_ioss("RC-DEF"), _ioss("RC-UNK", number=UNLISTED)])
    nov = Declaration.objects.get(lrn="RC-NOV")
    ledger_payment_record(declaration_id=nov.pk, amount="4.00", currency="EUR")
    return carrier


def _assessed(number: str, lrns: list[str]) -> dict[str, Decimal]:
    """What the current assessments of those consignments say, read line by line."""
    found: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for assessment in TaxAssessment.objects.filter(
        is_current=True, declaration__lrn__in=lrns, declaration__tax_scheme_number=number
    ):
        found["total"] += assessment.total
        for line in assessment.lines.all():
            found[line.tax_type] += line.amount
            found[f"{line.tax_type}_{line.collection_channel}"] += line.amount
    return found


def test_channels_add_up_to_what_the_scheme_consignments_were_assessed(
    client, customs_user, consignments
):
    client.force_login(customs_user("supervisor"))
    response = client.get(reverse("revenue:reconciliation"), {"format": "csv"})
    header, *_ = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == EARLIER + ADDED
    rows = {
        (row["number"], row["month"]): row
        for row in csv.DictReader(io.StringIO(response.content.decode()))
    }
    assert set(rows) == {(LISTED, "2026-05"), (LISTED, "2026-11"), (UNLISTED, "2026-11")}
    expected = {
        (LISTED, "2026-05"): ["RC-MAY"],
        (LISTED, "2026-11"): ["RC-NOV", "RC-BIG", "RC-EDGE", "RC-DEF"],
        (UNLISTED, "2026-11"): ["RC-UNK"],
    }
    for key, row in rows.items():
        amounts = {name: Decimal(row[name]) for name in EARLIER[5:] + ADDED if name != "flagged"}
        assessed = _assessed(key[0], expected[key])
        assert row["declarations"] == str(len(expected[key]))
        assert amounts["total"] == assessed["total"] > 0
        # The three channels carry the whole of what was assessed, and each tax type too.
        assert amounts["assessed"] + amounts["at_border"] + amounts["deferred"] == amounts["total"]
        assert sum(amounts[t] for t in TYPES) == amounts["total"]
        for tax_type in TYPES:
            assert amounts[tax_type] == assessed[tax_type]
            assert sum(amounts[f"{tax_type}_{c}"] for c in CHANNELS) == amounts[tax_type]
            for channel in CHANNELS:
                assert amounts[f"{tax_type}_{channel}"] == assessed[f"{tax_type}_{channel}"]
        for channel, column in (("border", "at_border"), ("deferred_statement", "deferred")):
            assert sum(amounts[f"{t}_{channel}"] for t in TYPES) == amounts[column]
        assert amounts["border_paid"] + amounts["border_outstanding"] == amounts["at_border"]
    may, nov, unlisted = (
        rows[(LISTED, "2026-05")],
        rows[(LISTED, "2026-11")],
        rows[(UNLISTED, "2026-11")],
    )
    # Before 1 July 2026 an IOSS consignment of this value owes no duty.
    assert Decimal(may["duty"]) == 0 and Decimal(may["vat_scheme_return"]) > 0
    # From July the EUR 3 per subheading is the declarant's at the border (RC-NOV, RC-EDGE) or on
    # the carrier's deferred statement (RC-DEF); the consignment above the ceiling pays its VAT
    # and duty at the border.
    big = _assessed(LISTED, ["RC-BIG"])
    assert Decimal(nov["duty_deferred_statement"]) == Decimal("6.00")
    assert Decimal(nov["duty_border"]) == Decimal("12.00") + big["duty"]
    assert Decimal(nov["vat_border"]) == big["vat"] > 0
    assert Decimal(nov["fee_deferred_statement"]) == Decimal("4.00")
    assert Decimal(nov["fee_border"]) == Decimal("8.00")
    assert Decimal(nov["border_paid"]) == Decimal("4.00")
    # A number the registry does not list: the VAT is deferred with the duty.
    assert Decimal(unlisted["vat_scheme_return"]) == 0
    assert Decimal(unlisted["vat_deferred_statement"]) > 0

    # The page shows the same figures, the new columns after the earlier ones.
    page = client.get(reverse("revenue:reconciliation"), {"month": "2026-11"}).content.decode()
    table = page.split('<table id="reconciliation">')[1]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert headers[-9:] == [
        "Total assessed",
        "VAT assessed",
        "VAT at the border",
        "VAT on deferred statements",
        "Fees at the border",
        "Fees on deferred statements",
        "Fees in the scheme return",
        "Paid at the border",
        "Outstanding at the border",
    ]
    body_rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>(.*?)</tr>", table)
    shown = {
        number: re.findall(r'<td class="num">([^<]*)</td>', cells)
        for _s, number, cells in body_rows
    }
    assert set(shown) == {LISTED, UNLISTED}
    for number, cells in shown.items():
        row = rows[(number, "2026-11")]
        assert [_money(c) for c in cells[-9:]] == [
            Decimal(row[name])
            for name in (
                "total",
                "vat",
                "vat_border",
                "vat_deferred_statement",
                "fee_border",
                "fee_deferred_statement",
                "fee_scheme_return",
                "border_paid",
                "border_outstanding",
            )
        ]
    french = client.get(
        reverse("revenue:reconciliation"), {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    for heading in ("Total liquidé", "TVA à la frontière", "Restant dû à la frontière"):
        assert heading in french
