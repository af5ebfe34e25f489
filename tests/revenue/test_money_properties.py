"""Properties of the money helpers, the assessment and the ledger arithmetic (hypothesis)."""

import inspect
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revenue import calculators, ledger_math, money, regimes
from revenue.calculators import ConsignmentIn, ItemIn, assess
from revenue.ledger_math import (
    NegativeBalanceError,
    apply_entries,
    debt_paid_toward,
    refundable,
    refunds_by_payer,
)
from revenue.money import apportion, convert, format_rate, round_money, to_decimal
from revenue.regimes import load_shipped_regimes
from tests.revenue.rounding_rule import rounding_faults

SHIPPED = load_shipped_regimes()
HS_CODES = [
    "610910",
    "61091000",
    "392690",
    "490199",
    "490290",
    "220421",
    "190531",
    "851830",
    "8471300000",
    "640411",
    "950300",
    "",
]
SCHEMES = [None, "IOSS", "VOEC", "UK_VAT", "AU_GST", "NZ_GST"]
ROLES = list(calculators.OPERATOR_ROLES)

cents = st.decimals(min_value=D("0"), max_value=D("5000"), places=2)
amounts = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)


@st.composite
def consignments(draw):
    regime = draw(st.sampled_from(SHIPPED))
    if regime.converts_law_amounts:  # the EUR 150 of a member state outside the euro area
        law_rate = draw(st.decimals(min_value=D("1"), max_value=D("400"), places=4))
        regime = regime.in_regime_currency(law_rate, law_rate)
    currency = draw(st.sampled_from([regime.currency, "USD", "CNY"]))
    fx_rate = (
        D("1")
        if currency == regime.currency
        else draw(st.decimals(min_value=D("0.05"), max_value=D("12"), places=4))
    )
    count = draw(st.integers(min_value=1, max_value=5))
    items = tuple(
        ItemIn(
            line=line,
            hs_code=draw(st.sampled_from(HS_CODES)),
            value=draw(cents),
            quantity=D(draw(st.integers(min_value=1, max_value=4))),
        )
        for line in range(1, count + 1)
    )
    consignment = ConsignmentIn(
        currency=currency,
        items=items,
        transport_cost=draw(st.decimals(min_value=D("0"), max_value=D("80"), places=2)),
        insurance_cost=draw(st.decimals(min_value=D("0"), max_value=D("10"), places=2)),
        category=draw(st.sampled_from(["sale_of_goods", "sale_of_goods", "gift"])),
        tax_scheme=draw(st.sampled_from(SCHEMES)),
        tax_scheme_number_valid=draw(st.booleans()),
        operator_role=draw(st.sampled_from(ROLES)),
        deferred_payment_authorised=draw(st.booleans()),
        consignee_prior_value_today=draw(st.decimals(min_value=0, max_value=900, places=2)),
        self_assessed=tuple(
            (tax_type, draw(cents))
            for tax_type in draw(st.lists(st.sampled_from(["duty", "vat", "fee"]), max_size=3))
        ),
    )
    return consignment, regime, fx_rate


# --- the one rounding helper --------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "quantum", "mode", "expected"),
    [
        ("0.005", "0.01", "ROUND_HALF_UP", "0.01"),
        ("0.005", "0.01", "ROUND_HALF_EVEN", "0.00"),
        ("0.015", "0.01", "ROUND_HALF_EVEN", "0.02"),
        ("2.5", "1", "ROUND_HALF_UP", "3"),
        ("2.99", "1", "ROUND_DOWN", "2"),
        ("3", "0.01", "ROUND_HALF_UP", "3.00"),
        # Quanta that are not a power of ten round to a multiple of themselves (Swiss 5 centimes).
        ("5.022", "0.05", "ROUND_HALF_UP", "5.00"),
        ("5.025", "0.05", "ROUND_HALF_UP", "5.05"),
        ("5.025", "0.05", "ROUND_HALF_EVEN", "5.00"),
        ("5.103", "0.05", "ROUND_HALF_UP", "5.10"),
        ("-2.03", "0.05", "ROUND_HALF_UP", "-2.05"),
        ("7", "0.05", "ROUND_HALF_UP", "7.00"),
        ("1235", "10", "ROUND_HALF_UP", "1240"),
    ],
)
def test_round_money_examples(amount, quantum, mode, expected):
    result = round_money(D(amount), quantum=quantum, mode=mode)
    assert result == D(expected)
    assert result.as_tuple().exponent == D(expected).as_tuple().exponent


def test_round_money_refuses_floats_and_unknown_modes():
    with pytest.raises(TypeError):
        round_money(0.1)
    with pytest.raises(ValueError):
        round_money(D("1"), mode="ROUND_TO_TASTE")
    with pytest.raises(ValueError):
        to_decimal("twelve")
    with pytest.raises(ValueError):
        to_decimal("NaN")


def test_format_rate():
    assert format_rate(D("0.055")) == "5.5%"
    assert format_rate(D("0.20")) == "20%"
    assert format_rate(D("0")) == "0%"


@given(st.decimals(min_value=D("-1e9"), max_value=D("1e9"), allow_nan=False, places=6))
def test_round_money_is_idempotent_and_within_half_a_cent(amount):
    once = round_money(amount)
    assert round_money(once) == once
    assert abs(once - amount) <= D("0.005")


@given(
    st.decimals(min_value=D("-1e9"), max_value=D("1e9"), allow_nan=False, places=6),
    st.sampled_from(["0.05", "0.10", "0.5", "5", "10"]),
)
def test_round_money_to_any_step_gives_a_multiple_of_it_within_half_a_step(amount, quantum):
    step = D(quantum)
    once = round_money(amount, quantum=quantum)
    assert once % step == 0
    assert abs(once - amount) <= step / 2
    assert round_money(once, quantum=quantum) == once


@given(amounts, st.lists(cents, min_size=1, max_size=8))
def test_apportion_in_steps_of_five_cents_is_exact(total, weights):
    shares = apportion(total, weights, quantum="0.05")
    assert sum(shares, D(0)) == round_money(total, quantum="0.05")
    assert all(share >= 0 and share % D("0.05") == 0 for share in shares)


@given(amounts, st.decimals(min_value=D("0.0001"), max_value=D("100"), places=4))
def test_convert_equals_rounded_product(amount, fx_rate):
    assert convert(amount, fx_rate) == round_money(amount * fx_rate)


@given(amounts, st.lists(cents, min_size=1, max_size=8))
def test_apportion_is_exact_and_never_negative(total, weights):
    shares = apportion(total, weights)
    assert sum(shares, D(0)) == total
    assert all(share >= 0 for share in shares)
    assert all(share.as_tuple().exponent == -2 for share in shares)


def test_only_the_money_module_quantizes():
    for module in (calculators, regimes, ledger_math):
        source = inspect.getsource(module)
        assert ".quantize(" not in source, module.__name__
    assert ".quantize(" in inspect.getsource(money)


def test_calculators_hold_no_threshold_figures():
    source = inspect.getsource(calculators)
    for figure in ("150", "135", "3000", "1000", "800"):
        assert figure not in source


# --- assessment properties -----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(consignments())
def test_totals_equal_the_sum_of_lines(case):
    consignment, regime, fx_rate = case
    result = assess(consignment, regime, fx_rate=fx_rate)

    for tax_type in ("duty", "vat", "fee"):
        assert result.totals[tax_type] == sum(
            (line.amount for line in result.lines if line.tax_type == tax_type), D(0)
        )
    assert result.totals["total"] == sum((line.amount for line in result.lines), D(0))
    assert result.totals["total"] == (
        result.totals["duty"] + result.totals["vat"] + result.totals["fee"]
    )
    assert result.due_at_border + result.pre_collected + result.deferred == (result.totals["total"])


@settings(max_examples=150, deadline=None)
@given(consignments())
def test_every_amount_is_rounded_once_by_the_regime_rule(case):
    consignment, regime, fx_rate = case
    result = assess(consignment, regime, fx_rate=fx_rate)

    quantum_exponent = D(regime.rounding_quantum).as_tuple().exponent
    for line in result.lines:
        assert line.amount >= 0
        assert line.amount.as_tuple().exponent == quantum_exponent
        assert line.currency == regime.currency
        assert line.collection_model in calculators.COLLECTION_MODELS
        assert line.payer in calculators.PAYERS
        assert line.legal_reason
        if "not levied" in line.legal_reason:
            assert line.amount == 0
        if line.collected_at_border:
            assert line.payer in ("consignee", "declarant")
        if line.payer == "declarant":
            # A duty the scheme return does not carry (at the border), or a national levy billed
            # to the declarant's account (New Zealand's low-value goods levy).
            assert line.collection_channel in ("border", "deferred_statement")
            assert line.collected_at_border == (line.collection_channel == "border")
        else:
            assert line.collection_channel == {"consignee": "border"}.get(
                line.payer,
                "deferred_statement" if line.payer == "intermediary" else "scheme_return",
            )
    # Amounts customs assesses take the regime's amount quantum (whole kroner in Norway), line
    # by line or once on the consignment's total of each tax type (Switzerland, Norway); those a
    # seller collects at checkout keep the value quantum.
    assert rounding_faults(result.lines, regime) == []
    # Every assessed amount has exactly one collection channel.
    assert (
        sum(
            (amount for per_type in result.by_channel.values() for amount in per_type.values()),
            D(0),
        )
        == result.totals["total"]
    )
    assert result.exchange_rate == fx_rate


@settings(max_examples=100, deadline=None)
@given(consignments())
def test_discrepancies_are_assessed_minus_declared(case):
    consignment, regime, fx_rate = case
    result = assess(consignment, regime, fx_rate=fx_rate)

    for discrepancy in result.discrepancies:
        assert discrepancy.difference == discrepancy.assessed - discrepancy.declared
        assert discrepancy.difference != 0
        assert discrepancy.assessed == result.totals[discrepancy.tax_type]


@settings(max_examples=100, deadline=None)
@given(consignments())
def test_a_valid_scheme_never_raises_the_amount_due_at_the_border(case):
    consignment, regime, fx_rate = case
    with_number = assess(consignment, regime, fx_rate=fx_rate)
    without_number = assess(
        ConsignmentIn(
            **{**consignment.__dict__, "tax_scheme": None, "tax_scheme_number_valid": False}
        ),
        regime,
        fx_rate=fx_rate,
    )
    assert with_number.due_at_border <= without_number.due_at_border


# --- ledger arithmetic ---------------------------------------------------------------------


@given(amounts, amounts, amounts)
def test_refunds_never_exceed_what_was_collected(collected, refunded_so_far, requested):
    if refunded_so_far > collected:
        with pytest.raises(ValueError):
            refundable(collected, refunded_so_far, requested)
        return
    granted = refundable(collected, refunded_so_far, requested)
    assert D(0) <= granted <= requested
    assert refunded_so_far + granted <= collected


@given(amounts, st.lists(amounts, max_size=10))
def test_repeated_refunds_stop_at_what_was_collected(collected, requests):
    refunded = D(0)
    for requested in requests:
        refunded += refundable(collected, refunded, requested)
    assert refunded <= collected
    if sum(requests, D(0)) >= collected:
        assert refunded == collected


@given(st.lists(st.decimals(min_value=D("-500"), max_value=D("500"), places=2), max_size=15))
def test_balances_never_go_negative(entries):
    running = D(0)
    first_negative = None
    for index, entry in enumerate(entries):
        running += entry
        if running < 0:
            first_negative = index
            break
    if first_negative is None:
        assert apply_entries(entries) == sum(entries, D(0))
    else:
        with pytest.raises(NegativeBalanceError) as raised:
            apply_entries(entries)
        assert raised.value.index == first_negative


def test_ledger_examples():
    assert refundable(D("20.00"), D("5.00"), D("30.00")) == D("15.00")
    assert refundable(D("20.00"), D("20.00"), D("1.00")) == D("0.00")
    assert apply_entries([D("10.00"), D("-4.00")], opening_balance=D("1.00")) == D("7.00")
    with pytest.raises(NegativeBalanceError, match="below zero"):
        apply_entries([D("10.00"), D("-10.01")])
    with pytest.raises(ValueError):
        refundable(D("10"), D("0"), D("-1"))


names = st.sampled_from(["Marie Dupont", "Operator A", "Swift Express Couriers"])


@given(names, st.dictionaries(names, amounts, max_size=3))
def test_a_payment_settles_its_payers_own_debt_first_and_only_a_debt(payer, outstanding):
    debtor = debt_paid_toward(payer, outstanding, consignee="Marie Dupont")
    owing = {name for name, amount in outstanding.items() if amount > 0}
    if not owing:
        assert debtor is None
    elif payer in owing:
        assert debtor == payer  # never another's while the payer owes something
    else:
        assert debtor in owing
        assert debtor == "Marie Dupont" or "Marie Dupont" not in owing


@given(
    st.dictionaries(names, amounts, max_size=3),
    st.permutations(["Marie Dupont", "Operator A", "Swift Express Couriers"]),
    amounts,
)
def test_a_refund_returns_to_each_payer_at_most_what_it_paid_in(collected, order, requested):
    shares = refunds_by_payer(collected, order, requested)
    assert all(D(0) < amount <= collected[payer] for payer, amount in shares)
    assert len({payer for payer, _ in shares}) == len(shares)
    available = sum((max(collected.get(p, D(0)), D(0)) for p in order), D(0))
    assert sum((amount for _, amount in shares), D(0)) == min(requested, available)
    # The latest payments first: every payer refunded but the last gets back all it has in.
    for (payer, amount), _later in zip(shares, shares[1:], strict=False):
        assert amount == collected[payer]


def test_payer_examples():
    owes = {"Marie Dupont": D("0.00"), "Operator A": D("5.00")}
    # Amended into the IOSS, only the declarant owes: its own payment, or a carrier's, settles it;
    # out of the IOSS, the declarant's payment is for the consignee it pays for.
    assert debt_paid_toward("Operator A", owes, consignee="Marie Dupont") == "Operator A"
    assert debt_paid_toward("Swift Express", owes, consignee="Marie Dupont") == "Operator A"
    owes = {"Marie Dupont": D("17.60"), "Operator A": D("0.00")}
    assert debt_paid_toward("Operator A", owes, consignee="Marie Dupont") == "Marie Dupont"
    assert debt_paid_toward("", {"Marie Dupont": D("0.00")}, consignee="Marie Dupont") is None
    assert refunds_by_payer(
        {"Marie Dupont": D("10.00"), "Swift Express": D("7.60")},
        ["Swift Express", "Marie Dupont"],
        D("12.60"),
    ) == [("Swift Express", D("7.60")), ("Marie Dupont", D("5.00"))]
