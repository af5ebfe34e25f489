"""Registry verdicts for a whole batch agree with the one-number check, in two queries."""

from datetime import date

import pytest

from revenue.models import TaxSchemeRegistration
from revenue.selectors import tax_scheme_number_status, tax_scheme_number_statuses

pytestmark = pytest.mark.django_db


def test_batch_verdicts_match_single_verdicts(django_assert_max_num_queries):
    TaxSchemeRegistration.objects.create(
        scheme="IOSS", number="IM2500000015", valid_from=date(2024, 1, 1)
    )
    TaxSchemeRegistration.objects.create(
        scheme="IOSS",
        number="IM2500000023",
        valid_from=date(2024, 1, 1),
        valid_to=date(2025, 12, 31),
    )
    keys = {
        ("IOSS", "IM2500000015", date(2026, 11, 28)),  # valid
        ("IOSS", "im2500000015 ", date(2023, 6, 1)),  # before its validity
        ("IOSS", "IM2500000023", date(2026, 11, 28)),  # expired
        ("IOSS", "IM2500000031", date(2026, 11, 28)),  # never registered
        ("VOEC", "VOEC1234567", date(2026, 11, 28)),  # no VOEC registry loaded
    }
    with django_assert_max_num_queries(2):
        batch = tax_scheme_number_statuses(keys)
    assert batch == {key: tax_scheme_number_status(*key) for key in keys}
    assert sorted(batch.values()) == ["unchecked", "unknown", "unknown", "unknown", "valid"]
