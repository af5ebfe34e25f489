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


def _stray_quote(header: str, good: str, opened: str) -> str:
    """Row 2 good, row 3 opening a quote that swallows 30,000 lines: the reader gives up far
    below, over the 128 KiB limit, but the row to fix is row 3."""
    return f"{header}\n{good}\n{opened}\n" + f"{good}\n" * 30_000


def test_a_stray_quote_is_an_error_at_its_row_in_every_csv_import():
    from declarations.imports import ImportFileError, read_rows
    from risk.reference import parse_reference_csv
    from risk.services.watchlists import watchlist_import_csv

    rates = exchange_rates_load(
        text=_stray_quote(
            "currency,valid_from,units_per_eur", "USD,2026-11-01,1.25", 'GBP,"2026-11-01,1'
        ),
        actor="command:test",
    )
    assert [e["line"] for e in rates.errors] == [3]
    _, tariff = parse_tariff_csv(_stray_quote("hs_prefix,rate", "6109,5%", '6110,"4%'))
    assert [e.row for e in tariff] == [3]
    _, registry = tax_scheme_registrations_import(
        csv_text=_stray_quote(
            "scheme,number,valid_from", "IOSS,IM2760000001,2026-01-01", 'IOSS,"IM2,2026-01-01'
        ),
        actor="command:test",
    )
    assert [e.row for e in registry] == [3]
    watchlist = watchlist_import_csv(
        text=_stray_quote("name,country", "John Smith,GB", 'Jane,"GB'),
        actor="command:test",
    )
    assert [row for row, _, _ in watchlist.errors] == [3]
    reference = parse_reference_csv(
        _stray_quote(
            "hs_code,basis,keywords,value_eur,source,as_of,note",
            "610910,per_kg,,3,Comext,2023-12-31,",
            '610910,per_kg,,3,"Comext,2023-12-31,',
        )
    )
    assert [row for row, _, _ in reference.errors] == [3]
    with pytest.raises(ImportFileError, match="at line 3: field larger than field limit"):
        list(
            read_rows(
                "manifest.csv", _stray_quote("lrn,seller_name", "A1,Shop", 'A2,"Shop').encode()
            )
        )
    assert not ExchangeRate.objects.exists() and not TaxSchemeRegistration.objects.exists()
