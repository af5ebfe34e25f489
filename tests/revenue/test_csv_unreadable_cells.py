"""A cell too long for the csv reader (over 128 KiB) is a row error in every administrator's CSV
load, never a server error, and nothing is loaded."""

from __future__ import annotations

import pytest

from declarations.models import ExchangeRate
from declarations.services.reference_data import exchange_rates_load
from revenue.models import TaxSchemeRegistration
from revenue.services.regimes import parse_tariff_csv
from revenue.services.registry import tax_scheme_registrations_import

BIG = '"' + "x" * 200_000 + '"'

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("csv_default_field_limit")]


def test_registry_cell_too_long_is_a_row_error():
    loaded, errors = tax_scheme_registrations_import(
        csv_text=f"scheme,number,valid_from\nIOSS,IM2760000001,2026-01-01\nIOSS,{BIG},2026-01-01\n",
        actor="command:test",
    )
    assert loaded == 0 and [(e.row, e.column) for e in errors] == [(3, "")]
    assert not TaxSchemeRegistration.objects.exists()


@pytest.mark.parametrize("where", ["header", "row"])
def test_header_or_row_cell_too_long_in_rates_and_tariff_is_a_row_error(where):
    if where == "header":
        rates, tariff, line = f"currency,{BIG}\n", f"hs_prefix,{BIG}\n", 1
    else:
        rates = f"currency,valid_from,units_per_eur\nUSD,{BIG},1\n"
        tariff, line = f"hs_prefix,rate\n6109,{BIG}\n", 2
    result = exchange_rates_load(text=rates, actor="command:test")
    assert [e["line"] for e in result.errors] == [line] and not ExchangeRate.objects.exists()
    rows, errors = parse_tariff_csv(tariff)
    assert not rows and [e.row for e in errors] == [line]
