"""A refused payment's problem details read in the request's language, as the estimator's and
the declarations API's do: with Accept-Language: fr the answer said Content-Language: fr over
English sentences. Pointers and codes are the same in every language; English is unchanged."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _errors(operator, body, language: str) -> list[tuple[str, str, str]]:
    answer = operator.post("/api/v1/payments", body, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code in (404, 409, 422), answer.content
    problem = answer.json()
    rows = problem.get("errors") or [{"pointer": "", "code": problem["code"], "detail": ""}]
    return [(e["pointer"], e["code"], e["detail"]) for e in rows], problem


BODIES = [
    [1, 2],
    {"amount": "10", "currency": "EUR", "declaration_id": 1, "colour": "red"},
    {"currency": ""},
    {"amount": "10", "currency": "EUR", "declaration_id": "1", "statement_id": 2.5},
    {"amount": True, "currency": 978, "reference": 5, "payer": []},
    {"amount": "10", "currency": "EURO", "reference": "x" * 121, "payer": "a\x07b"},
    {"amount": "10", "currency": "eur"},
    {"amount": "10.001", "currency": "EUR"},
    {"amount": "1e3", "currency": "EUR"},
    {"amount": "-0", "currency": "EUR"},
    {"amount": "1" * 20, "currency": "EUR"},
]


@pytest.mark.parametrize("body", BODIES)
def test_a_refused_payments_details_read_french(operator_a, body):
    english, english_problem = _errors(operator_a, body, "en")
    french, french_problem = _errors(operator_a, body, "fr")
    assert [row[:2] for row in french] == [row[:2] for row in english]
    assert french_problem["code"] == english_problem["code"]
    for (_, _, en), (_, _, fr) in zip(english, french, strict=True):
        assert en and fr and fr != en, (en, fr)
    assert french_problem["detail"] != english_problem["detail"]


def test_english_details_are_unchanged(operator_a):
    english, _ = _errors(operator_a, BODIES[1], "en")
    assert ("/colour", "unknown_element", "'colour' is not an element") in english
    english, _ = _errors(operator_a, BODIES[5], "en")
    assert english == [
        ("/currency", "string_too_long", "at most 3 characters"),
        ("/payer", "control_character", "holds the character U+0007"),
        ("/reference", "string_too_long", "at most 120 characters"),
    ]


def test_the_french_sentences(operator_a):
    french, problem = _errors(operator_a, BODIES[1], "fr")
    assert ("/colour", "unknown_element", "'colour' n'est pas un élément attendu") in french
    french, _ = _errors(operator_a, BODIES[5], "fr")
    assert french == [
        ("/currency", "string_too_long", "3 caractères au plus"),
        ("/payer", "control_character", "contient le caractère U+0007"),
        ("/reference", "string_too_long", "120 caractères au plus"),
    ]
    french, _ = _errors(operator_a, BODIES[6], "fr")
    assert french == [
        ("/currency", "pattern_mismatch", "un code ISO 4217 : trois lettres majuscules")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "10", "currency": "EUR"},  # neither a declaration nor a statement
        {"amount": "10", "currency": "EUR", "declaration_id": 999999},  # 404
        {"amount": "10", "currency": "EUR", "statement_id": 999999},  # 404
    ],
)
def test_the_ledgers_refusals_read_french(operator_a, body):
    english, english_problem = _errors(operator_a, body, "en")
    french, french_problem = _errors(operator_a, body, "fr")
    assert french_problem["code"] == english_problem["code"]
    assert french_problem["detail"] != english_problem["detail"]
