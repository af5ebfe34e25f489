"""A refused query parameter's detail reads in the request's language, as the rest of a problem
document does: with Accept-Language: fr the lists answered English details (too long, control
character, date-time) inside a French problem. Codes and pointers are the same in every
language; English is unchanged."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PARAMETERS = [
    {"updated_since": "2026-11-25T09:00:00+23:59"},
    {"updated_since": "2026-11-25T09:00:00+99:00"},
    {"updated_since": "0001-01-01T00:00:00+14:00"},
    {"updated_since": "1900-01-01T00:00:00+14:00"},
    {"updated_since": "2026-11-25T09:00:00.123456789Z"},
    {"updated_since": "2026-11-25T09:00:00"},
    {"updated_since": ""},
    {"lrn": "MKT\x001"},
    {"transport_document": "9" * 65},
    {"limit": "0"},
    {"status": "x"},
    {"lrn": ""},
    {"cursor": "x"},
]


def _error(operator, params, language, path="/api/v1/declarations"):
    answer = operator.client.get(path, params, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 400, answer.content
    (error,) = answer.json()["errors"]
    return error


@pytest.mark.parametrize("params", PARAMETERS, ids=lambda p: next(iter(p)))
def test_a_refused_query_parameters_detail_reads_french(operator_a, params):
    english = _error(operator_a, params, "en")
    french = _error(operator_a, params, "fr")
    assert (french["pointer"], french["code"]) == (english["pointer"], english["code"])
    assert french["detail"] != english["detail"], english


def test_the_french_sentences(operator_a):
    def detail(params, language="fr"):
        return _error(operator_a, params, language)["detail"]

    assert detail({"lrn": "MKT\x001"}) == "lrn contient le caractère U+0000"
    assert detail({"transport_document": "9" * 65}) == (
        "transport_document a plus de 64 caractères"
    )
    assert detail({"updated_since": "2026-11-25T09:00:00"}) == (
        "updated_since doit indiquer un décalage UTC ou Z"
    )
    assert detail({"updated_since": "2026-11-25T09:00:00+23:59"}) == (
        "updated_since\u00a0: le décalage UTC +23:59 dépasse +/-14:00"
    )
    assert detail({"updated_since": "2026-11-25T09:00:00.123456789Z"}) == (
        "updated_since\u00a0: une fraction de seconde a au plus 6 chiffres (microsecondes), pas 9"
    )


def test_english_details_are_unchanged(operator_a):
    def detail(params):
        return _error(operator_a, params, "en")["detail"]

    assert detail({"lrn": "MKT\x001"}) == "lrn holds the character U+0000"
    assert detail({"transport_document": "9" * 65}) == (
        "transport_document has more than 64 characters"
    )
    assert detail({"updated_since": "x"}) == "updated_since must be an ISO 8601 date-time"
    assert detail({"updated_since": "2026-11-25T09:00:00"}) == (
        "updated_since needs a UTC offset or Z"
    )
    assert detail({"updated_since": "0001-01-01T00:00:00+14:00"}) == (
        "updated_since: the year 1 is not between 1900 and 2999"
    )
    assert detail({"updated_since": "1900-01-01T00:00:00+14:00"}) == (
        "updated_since: the year in UTC (1899-12-31T10:00Z) is not between 1900 and 2999"
    )
    assert detail({"updated_since": "2026-11-25T09:00:00.123456789Z"}) == (
        "updated_since: a fraction of a second has at most 6 digits (microseconds), not 9"
    )


def test_an_undecodable_parameter_reads_french(operator_a):
    answer = operator_a.client.get("/api/v1/declarations?lrn=%FF%FE", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/lrn", "encoding_invalid")
    assert error["detail"] == "lrn n’est pas en UTF-8 une fois les pourcentages décodés"


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/documents", "x"),
        ("/api/v1/payments", "1" * 19),
        ("/api/v1/events", "x"),
        ("/api/v1/events", "1" * 19),
    ],
)
def test_a_refused_cursor_reads_french(operator_a, path, cursor):
    english = _error(operator_a, {"cursor": cursor}, "en", path)
    french = _error(operator_a, {"cursor": cursor}, "fr", path)
    assert (
        (french["pointer"], french["code"])
        == ("/cursor", "cursor_invalid")
        == (
            english["pointer"],
            english["code"],
        )
    )
    assert french["detail"] != english["detail"], english
