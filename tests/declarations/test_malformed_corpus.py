"""Every malformed declaration of the corpus is rejected with exactly the expected problems."""

import pytest

from declarations.errors import ERROR_CODES
from declarations.profiles import default_profile_specs
from declarations.schemas import validate_declaration
from tests.declarations.corpus import MALFORMED_CASES, TODAY, rate_lookup

PROFILES = default_profile_specs()


def test_corpus_is_large_and_ids_are_unique():
    ids = [case.id for case in MALFORMED_CASES]
    assert len(ids) >= 110
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=lambda case: case.id)
def test_malformed_declaration_rejected_with_exact_problems(case):
    result = validate_declaration(
        case.body, profiles=PROFILES, rate_lookup=rate_lookup, today=TODAY
    )

    assert result.declaration is None
    assert case.status == 422
    assert sorted((p.pointer, p.code) for p in result.errors) == sorted(case.expected)
    for problem in result.errors:
        assert problem.code in ERROR_CODES
        assert problem.detail and problem.detail[-1] != " "


def test_corpus_exercises_every_layer_one_to_three_code_but_internal_fallback():
    emitted = {code for case in MALFORMED_CASES for _, code in case.expected}
    # `invalid` is the internal fallback; `datetime_in_future` and `datetime_too_old` belong to
    # the arrivals body (tests/declarations/test_arrival_time.py) and `date_invalid` to the
    # estimator's calendar dates (tests/revenue/test_estimator_inputs.py), not to a declaration.
    assert set(ERROR_CODES) - emitted == {
        "invalid",
        "datetime_in_future",
        "datetime_too_old",
        "date_invalid",
    }
