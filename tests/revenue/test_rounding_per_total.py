"""Switzerland and Norway round the duty and the tax of a consignment once, on its total, not line
by line: 5 centimes and the CHF 5 minimum in Switzerland, whole kroner in Norway. The same goods
pay the same however they are split into lines.

Worked examples computed by hand (a tester's reports: three lines of CHF 20.69, 20.69 and 20.07
paid CHF 5.05 where CHF 61.45 on one line pays nothing; ten lines of NOK 101 paid NOK 250 VAT
instead of 253). The engine, the public estimator and a declaration's assessment, single and in a
batch, agree to the cent.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from declarations.services import declarations_submit
from revenue.calculators import ConsignmentIn, ItemIn, assess
from revenue.regimes import load_shipped_regimes, regime_for
from revenue.services.assessment import taxes_assess_batch
from tests.conftest import make_operator
from tests.revenue.rounding_rule import rounding_faults

SHIPPED = load_shipped_regimes()
CH = regime_for(SHIPPED, "CH", date(2026, 10, 20))
NO = regime_for(SHIPPED, "NO", date(2026, 10, 20))


def _consignment(currency: str, hs_code: str, values: list[str], **kwargs) -> ConsignmentIn:
    return ConsignmentIn(
        currency=currency,
        items=tuple(
            ItemIn(line=n, hs_code=hs_code, value=D(value)) for n, value in enumerate(values, 1)
        ),
        origin_country="CN",
        dispatch_country="CN",
        **kwargs,
    )


def _amounts(result, tax_type: str) -> list[D]:
    return [line.amount for line in result.lines if line.tax_type == tax_type]


def _totals(result) -> dict[str, str]:
    return {key: str(value) for key, value in result.totals.items()}


def test_the_shipped_regimes_round_the_consignments_total():
    assert (CH.code, CH.rounding_scope, CH.tax_rounding_quantum) == ("CH-2024", "total", "0.05")
    assert (NO.code, NO.rounding_scope, NO.tax_rounding_quantum) == ("NO-VOEC-2024", "total", "1")
    ch_2018 = regime_for(SHIPPED, "CH", date(2023, 6, 1))
    assert (ch_2018.code, ch_2018.rounding_scope) == ("CH-2018", "total")


# --- Switzerland: 5 centimes, and a tax of CHF 5 or less not levied ------------------------------


def test_switzerland_three_lines_whose_tax_is_chf_5_pay_nothing_as_one_line_would():
    # 61.45 x 8.1% = 4.97745, CHF 5.00 in 5 centimes: not more than CHF 5, not levied. Line by
    # line it was 1.70 + 1.70 + 1.65 = 5.05, levied.
    result = assess(_consignment("CHF", "610910", ["20.69", "20.69", "20.07"]), CH, fx_rate=D(1))
    assert _totals(result) == {"duty": "0.00", "vat": "0.00", "fee": "0.00", "total": "0.00"}
    assert result.due_at_border == D("0.00")
    vat = [line for line in result.lines if line.tax_type == "vat"]
    assert [(line.item_line, line.basis, line.rate, line.amount) for line in vat] == [
        (1, D("20.69"), D("0.081"), D("0.00")),
        (2, D("20.69"), D("0.081"), D("0.00")),
        (3, D("20.07"), D("0.081"), D("0.00")),
    ]
    for line in vat:
        assert (line.payer, line.collection_channel) == ("consignee", "border")
        assert line.legal_reason.startswith("Below the minimum amount, not levied")
        assert "VAT at 8.1% on goods value CHF" in line.legal_reason
    assert (
        "VAT CHF 5.00 below the minimum CHF 5.01: not levied (Verordnung des EFD (SR 641.204) "
        "art. 1: import tax of CHF 5 or less is not levied)."
    ) in result.explanation
    one_line = assess(_consignment("CHF", "610910", ["61.45"]), CH, fx_rate=D(1))
    assert _totals(one_line) == _totals(result)


def test_switzerland_ten_lines_pay_the_tax_of_their_total_in_5_centimes():
    # 312.00 x 8.1% = 25.272, CHF 25.25 (line by line 2.5272 -> 2.55, ten times 25.50). Spread
    # back in 5 centimes: 2.50 each and the 5 quanta left over to the first five lines.
    result = assess(_consignment("CHF", "610910", ["31.20"] * 10), CH, fx_rate=D(1))
    assert result.totals["vat"] == D("25.25") and result.due_at_border == D("25.25")
    assert _amounts(result, "vat") == [D("2.55")] * 5 + [D("2.50")] * 5
    vat = [line for line in result.lines if line.tax_type == "vat"]
    assert all(line.basis == D("31.20") and line.rate == D("0.081") for line in vat)
    assert rounding_faults(result.lines, CH) == []
    one_line = assess(_consignment("CHF", "610910", ["312.00"]), CH, fx_rate=D(1))
    assert _totals(one_line) == _totals(result)


@pytest.mark.parametrize(
    ("values", "vat", "amounts"),
    [
        # The BAZG's CHF 62 (5.022 -> 5.00, not levied) and CHF 63 (5.103 -> 5.10), split.
        (["20.00", "20.00", "22.00"], "0.00", ["0.00", "0.00", "0.00"]),
        # 21 x 8.1% = 1.701 each: 1.70 three times, 5.10.
        (["21.00", "21.00", "21.00"], "5.10", ["1.70", "1.70", "1.70"]),
    ],
)
def test_switzerland_the_bazg_assessment_basis_split_into_lines(values, vat, amounts):
    result = assess(_consignment("CHF", "610910", values), CH, fx_rate=D(1))
    assert str(result.totals["vat"]) == vat
    assert [str(a) for a in _amounts(result, "vat")] == amounts


def test_switzerland_goods_at_two_rates_share_one_rounding():
    # 40.00 x 8.1% = 3.24 and 40.00 x 2.6% = 1.04 (a book): VAT 4.28 -> 4.30 in 5 centimes,
    # not more than CHF 5: not levied. 70.00 and 40.00: 5.67 + 1.04 = 6.71 -> 6.70, levied,
    # spread 5.65 + 1.05.
    c = ConsignmentIn(
        currency="CHF",
        items=(ItemIn(1, "610910", D("70.00")), ItemIn(2, "490199", D("40.00"))),
    )
    result = assess(c, CH, fx_rate=D(1))
    assert result.totals["vat"] == D("6.70")
    assert _amounts(result, "vat") == [D("5.65"), D("1.05")]
    small = ConsignmentIn(
        currency="CHF",
        items=(ItemIn(1, "610910", D("40.00")), ItemIn(2, "490199", D("40.00"))),
    )
    assert assess(small, CH, fx_rate=D(1)).totals["vat"] == D("0.00")


# --- Norway: whole kroner ------------------------------------------------------------------------


def test_norway_ten_lines_pay_the_vat_of_their_total_in_whole_kroner():
    # Phones (HS 851762, duty 0): 10 x 101 x 25% = 252.50, NOK 253 (line by line 25.25 -> 25,
    # ten times 250). Spread back in kroner: 25 each and 3 left over to the first three lines.
    result = assess(_consignment("NOK", "851762", ["101.00"] * 10), NO, fx_rate=D(1))
    assert _totals(result) == {
        "duty": "0.00",
        "vat": "253.00",
        "fee": "0.00",
        "total": "253.00",
    }
    # Written with the places of the values, as the lines of one line's consignment are.
    assert [str(a) for a in _amounts(result, "vat")] == ["26.00"] * 3 + ["25.00"] * 7
    for line in result.lines:
        assert (line.payer, line.collection_channel) == ("consignee", "border")
        assert line.legal_reason and line.rate is not None and line.basis == D("101.00")


def test_norway_duty_is_rounded_on_its_total_and_the_vat_is_on_the_duty_charged():
    # T-shirts (HS 610910, sample duty 10.7%): duty 1,010 x 10.7% = 108.07, NOK 108 (line by line
    # 10.807 -> 11, ten times 110); spread: 10 each, 8 left over (remainders 0.8 each) to the
    # first eight lines. VAT 25% of 1,010 + 108 = 1,118: 279.50, NOK 280.
    result = assess(_consignment("NOK", "610910", ["101.00"] * 10), NO, fx_rate=D(1))
    assert _totals(result) == {
        "duty": "108.00",
        "vat": "280.00",
        "fee": "0.00",
        "total": "388.00",
    }
    assert _amounts(result, "duty") == [D("11.00")] * 8 + [D("10.00")] * 2
    vat = [line for line in result.lines if line.tax_type == "vat"]
    # Each item's VAT basis carries the duty charged on it.
    assert [line.basis for line in vat] == [D("112.00")] * 8 + [D("111.00")] * 2
    assert sum((line.basis for line in vat), D(0)) == D("1118.00")
    assert "plus duty NOK 111.00" in vat[9].legal_reason
    assert rounding_faults(result.lines, NO) == []
    one_line = assess(_consignment("NOK", "610910", ["1010.00"]), NO, fx_rate=D(1))
    assert _totals(one_line) == _totals(result)


def test_norway_the_vat_a_voec_seller_charges_keeps_its_ore_line_by_line():
    # Under VOEC the seller charges the VAT at checkout: 101.01 x 25% = 25.2525, 25.25 on each of
    # two lines (50.50); customs' whole kroner and rounding per total are not its rules.
    result = assess(
        _consignment(
            "NOK",
            "610910",
            ["101.01", "101.01"],
            tax_scheme="VOEC",
            tax_scheme_number_valid=True,
            operator_role="vendor",
        ),
        NO,
        fx_rate=D(1),
    )
    assert _amounts(result, "vat") == [D("25.25"), D("25.25")]
    assert result.pre_collected == D("50.50") and result.due_at_border == D("0.00")


HS_CODES = ["610910", "851762", "490199", "190531", "640299"]


@settings(max_examples=80, deadline=None)
@given(
    regime=st.sampled_from([CH, NO]),
    hs_code=st.sampled_from(HS_CODES),
    values=st.lists(
        st.decimals(min_value=D("0.01"), max_value=D("900"), places=2), min_size=2, max_size=10
    ),
)
def test_the_same_goods_pay_the_same_however_they_are_split_into_lines(regime, hs_code, values):
    currency = regime.currency
    split = assess(_consignment(currency, hs_code, [str(v) for v in values]), regime, fx_rate=D(1))
    whole = assess(_consignment(currency, hs_code, [str(sum(values))]), regime, fx_rate=D(1))
    assert split.totals == whole.totals
    assert split.due_at_border == whole.due_at_border
    assert rounding_faults(split.lines, regime) == []
    for tax_type in ("duty", "vat"):
        assert sum(_amounts(split, tax_type), D(0)) == split.totals[tax_type]


# --- the estimator and a declaration's assessment agree --------------------------------------------


def _estimate(body: dict) -> dict:
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _as_text(lines: list[dict], reason: str) -> list[tuple]:
    return [
        (
            line["tax_type"],
            line["item_line"],
            line["basis"],
            line["rate"],
            line["amount"],
            line["payer"],
            line["collection_channel"],
            line[reason],
        )
        for line in lines
    ]


@pytest.mark.django_db
def test_the_estimator_gives_the_worked_examples():
    ch = _estimate(
        {
            "destination": "CH",
            "date": "2026-10-20",
            "origin_country": "CN",
            "currency": "CHF",
            "items": [{"hs_code": "610910", "value": v} for v in ("20.69", "20.69", "20.07")],
        }
    )
    assert ch["regime"]["code"] == "CH-2024"
    assert ch["totals"]["total"] == "0.00" and ch["you_pay_on_delivery"] == "0.00"
    assert all("not levied" in line["reason"] for line in ch["lines"] if line["tax_type"] == "vat")
    ch_10 = _estimate(
        {
            "destination": "CH",
            "date": "2026-10-20",
            "origin_country": "CN",
            "currency": "CHF",
            "items": [{"hs_code": "610910", "value": "31.20"}] * 10,
        }
    )
    assert ch_10["totals"]["vat"] == "25.25" and ch_10["you_pay_on_delivery"] == "25.25"
    for hs_code, duty, vat in (("851762", "0.00", "253.00"), ("610910", "108.00", "280.00")):
        no = _estimate(
            {
                "destination": "NO",
                "date": "2026-10-20",
                "origin_country": "CN",
                "currency": "NOK",
                "items": [{"hs_code": hs_code, "value": "101.00"}] * 10,
            }
        )
        assert (no["totals"]["duty"], no["totals"]["vat"]) == (duty, vat)
        amounts = [D(line["amount"]) for line in no["lines"] if line["tax_type"] == "vat"]
        assert sum(amounts, D(0)) == D(vat)
        for line in no["lines"]:
            assert line["basis"] and line["rate"] and line["payer"] == "consignee"
            assert line["collection_channel"] == "border" and line["reason"]


def _body(lrn: str, jurisdiction: str, currency: str, hs_code: str, values: list[str]) -> dict:
    postcode = {"CH": "8001", "NO": "0150"}[jurisdiction]
    return {
        "lrn": lrn,
        "dataset": "wco-core",
        "category": "sale_of_goods",
        "transport_document": {"type": "house_waybill", "number": f"TD{lrn[-6:]}"},
        "transport_mode": "air",
        "country_of_dispatch": "CN",
        "order": {"number": f"O-{lrn}", "date": "2026-11-24T10:00:00Z", "platform": "X"},
        "seller": {
            "name": "Seller Ltd",
            "address": {"street": "1 Road", "city": "Shenzhen", "postcode": "1", "country": "CN"},
        },
        "consignee": {
            "name": "A. Buyer",
            "address": {
                "street": "1 Main Street",
                "city": "Town",
                "postcode": postcode,
                "country": jurisdiction,
            },
        },
        "currency": currency,
        "total_gross_mass_kg": "1.000",
        "packages": 1,
        "items": [
            {
                "line": n,
                "description": "Goods",
                "hs_code": hs_code,
                "quantity": 1,
                "value": value,
                "origin_country": "CN",
            }
            for n, value in enumerate(values, 1)
        ],
    }


CASES = [
    # jurisdiction, currency, HS code, values, totals by hand
    ("CH", "CHF", "610910", ["20.69", "20.69", "20.07"], ("0.00", "0.00", "0.00")),
    ("CH", "CHF", "610910", ["31.20"] * 10, ("0.00", "25.25", "25.25")),
    ("NO", "NOK", "851762", ["101.00"] * 10, ("0.00", "253.00", "253.00")),
    ("NO", "NOK", "610910", ["101.00"] * 10, ("108.00", "280.00", "388.00")),
]


@pytest.mark.django_db
@pytest.mark.parametrize("jurisdiction", ["CH", "NO"])
def test_a_declaration_assessed_alone_and_in_a_batch_agrees_with_the_estimator(
    settings, django_capture_on_commit_callbacks, jurisdiction
):
    settings.CUSTOMS_JURISDICTION = jurisdiction
    cases = [case for case in CASES if case[0] == jurisdiction]
    carrier = make_operator(f"express-{jurisdiction.lower()}", role="express_carrier")
    # Alone: posted through the API, assessed when the request commits.
    alone = []
    for n, (_j, currency, hs_code, values, _totals) in enumerate(cases):
        body = _body(f"R-{jurisdiction}-A{n:04d}", jurisdiction, currency, hs_code, values)
        with django_capture_on_commit_callbacks(execute=True):
            response = carrier.post("/api/v1/declarations", body)
        assert response.status_code == 201, response.content
        alone.append(carrier.get(f"/api/v1/declarations/{response.json()['id']}").json()["taxes"])
    # In a batch: stored together, then assessed in one run.
    outcomes = declarations_submit(
        operator=carrier.operator,
        bodies=[
            _body(f"R-{jurisdiction}-B{n:04d}", jurisdiction, currency, hs_code, values)
            for n, (_j, currency, hs_code, values, _totals) in enumerate(cases)
        ],
    )
    ids = [outcome.declaration.pk for outcome in outcomes]
    taxes_assess_batch(declaration_ids=ids)
    batch = [carrier.get(f"/api/v1/declarations/{pk}").json()["taxes"] for pk in ids]

    for (_j, currency, hs_code, values, (duty, vat, total)), single, batched in zip(
        cases, alone, batch, strict=True
    ):
        estimate = _estimate(
            {
                "destination": jurisdiction,
                "origin_country": "CN",
                "currency": currency,
                "transport": "express",
                "items": [{"hs_code": hs_code, "value": value} for value in values],
            }
        )
        for taxes in (single, batched):
            assert taxes is not None
            assert (taxes["totals"]["duty"], taxes["totals"]["vat"]) == (duty, vat)
            assert taxes["totals"]["total"] == total
            assert taxes["totals"] == estimate["totals"]
            assert _as_text(taxes["lines"], "legal_reason") == _as_text(estimate["lines"], "reason")


@pytest.mark.django_db
def test_an_installation_gets_the_rounding_per_total_after_migrate_audited():
    from customs_ecom.platform.models import AuditEvent
    from revenue.models import Regime
    from revenue.services.regimes import ensure_shipped_regimes

    ensure_shipped_regimes()
    # As an earlier release installed them: rounded line by line.
    for code in ("CH-2018", "CH-2024", "NO-VOEC-2024"):
        row = Regime.objects.get(code=code, version=1)
        Regime.objects.filter(pk=row.pk).update(spec={**row.spec, "rounding_scope": "line"})
    ensure_shipped_regimes()
    for code in ("CH-2018", "CH-2024", "NO-VOEC-2024"):
        row = Regime.objects.get(code=code, version=1)
        assert row.spec["rounding_scope"] == "total"
        event = AuditEvent.objects.get(action="regime.shipped_update", object_id=str(row.pk))
        assert (event.before["rounding_scope"], event.after["rounding_scope"]) == ("line", "total")
