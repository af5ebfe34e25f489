"""A problem document's ``title`` reads in the request's language, as its ``detail`` does: with
Accept-Language: fr the details were French under an English title ("Payment failed
validation"). English stays the default; ``type`` and ``code`` are the same in every language."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from customs_ecom.platform.problem_types import OTHER_TITLES, PROBLEM_TYPES
from customs_ecom.platform.problems import _DRF_MAP, ProblemError

ROOT = Path(__file__).resolve().parents[2]
# A title whose French is, by nature, written as its English (none today).
SAME_IN_FRENCH: set[str] = set()


def _english(text) -> str:
    with translation.override("en"):
        return str(text)


def _french(text) -> str:
    with translation.override("fr"):
        return translation.gettext(_english(text))


def _all_titles() -> list[str]:
    return [_english(p.title) for p in PROBLEM_TYPES.values()] + list(OTHER_TITLES)


@pytest.mark.parametrize("title", _all_titles())
def test_every_problem_title_has_its_french(title):
    french = _french(title)
    assert french.strip(), title
    if title not in SAME_IN_FRENCH:
        assert french != title, f"no French for the problem title {title!r}"


def _literal_titles(node: ast.AST) -> set[str]:
    """The string literals of a title expression (a literal, ``str(_("..."))``, a conditional)."""
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _titles_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("aeo", "customs_ecom", "declarations", "revenue", "risk"):
        for source in (ROOT / folder).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "ProblemError" and len(node.args) >= 3:
                    found |= _literal_titles(node.args[2])
                if name in ("ProblemError", "validation_problem"):
                    for keyword in node.keywords:
                        if keyword.arg == "title":
                            found |= _literal_titles(keyword.value)
    found |= {title for _slug, title in _DRF_MAP.values()}
    found.add("Error")  # the title of a DRF error no entry of _DRF_MAP names
    return found


def test_every_title_the_code_raises_is_one_the_catalogue_translates():
    titles = _titles_in_code()
    assert {"Payment failed validation", "Batch failed validation", "Not found"} <= titles
    known = set(_all_titles())
    assert titles <= known, sorted(titles - known)


def test_the_document_translates_its_title_when_written():
    problem = ProblemError(422, "payment-invalid", "Payment failed validation", errors=[])
    with translation.override("fr"):
        french = problem.body()
    with translation.override("en"):
        english = problem.body()
    assert english["title"] == "Payment failed validation"
    assert french["title"] == "Le paiement n'a pas passé la validation"
    assert (french["type"], french["code"]) == (english["type"], english["code"])
    assert english["code"] == "payment_invalid"


@pytest.mark.django_db
def test_a_malformed_body_and_an_invalid_declaration_in_french(operator_a):
    answer = operator_a.post("/api/v1/declarations", "{", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["title"] == "Le corps n'est pas du JSON valide"
    assert (problem["type"], problem["code"]) == ("/problems/malformed-json", "malformed_json")

    answer = operator_a.post("/api/v1/declarations", {}, HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["title"] == "La déclaration n'a pas passé la validation"
    assert problem["code"] == "declaration_invalid"
    assert problem["type"] == "/problems/declaration-invalid"

    english = operator_a.post("/api/v1/declarations", {}).json()
    assert english["title"] == "Declaration failed validation"
    assert english["errors"] and [e["code"] for e in english["errors"]] == [
        e["code"] for e in problem["errors"]
    ]


@pytest.mark.django_db
def test_payment_estimate_and_unmatched_path_titles_in_french(operator_a):
    body = {"amount": "10", "currency": "EUR", "declaration_id": 1, "colour": "red"}
    english = operator_a.post("/api/v1/payments", body).json()
    french = operator_a.post("/api/v1/payments", body, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert english["title"] == "Payment failed validation"
    assert french["title"] == "Le paiement n'a pas passé la validation"
    assert french["code"] == english["code"] == "payment_invalid"

    basket = {"destination": "FR", "date": "2026-11-25", "origin_country": "DE", "items": []}
    answer = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        json.dumps(basket),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["title"] == "La demande d'estimation n'a pas passé la validation"
    assert answer.json()["code"] == "estimate_invalid"

    answer = Client().get("/api/v1/nothing", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 404
    assert (answer.json()["title"], answer.json()["code"]) == ("Introuvable", "not_found")
    assert Client().get("/api/v1/nothing").json()["title"] == "Not found"


@pytest.mark.django_db
def test_batch_title_in_french(operator_a):
    answer = operator_a.post("/api/v1/declarations/batch", [], HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 422, answer.content
    assert answer.json()["title"] == "Le lot n'a pas passé la validation"
    assert operator_a.post("/api/v1/declarations/batch", []).json()["title"] == (
        "Batch failed validation"
    )


@pytest.mark.django_db
def test_the_plumbings_own_details_read_in_french(operator_a):
    """Details written where the problem is raised (not from an element's code) stayed English
    under a French title: an unknown path, a declaration of another operator, a body of another
    media type, a batch's envelope, a limit out of range."""
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    answer = Client().get("/api/v1/nothing", **fr).json()
    assert answer["detail"] == "Aucune opération à cette adresse."
    answer = operator_a.client.get("/api/v1/declarations/999999", **fr).json()
    assert answer["detail"] == "Aucune déclaration de ce numéro pour cet opérateur."
    answer = operator_a.client.generic(
        "POST", "/api/v1/declarations", "x", content_type="text/plain", **fr
    ).json()
    assert answer["detail"] == "Envoyez application/json, pas text/plain."
    answer = operator_a.post("/api/v1/declarations/batch", {"x": 1}, **fr).json()
    assert [(e["pointer"], e["code"], e["detail"]) for e in answer["errors"]] == [
        ("/declarations", "required", "declarations est absent"),
        ("/x", "unknown_element", "ne fait pas partie d’un lot"),
    ]
    answer = operator_a.client.get("/api/v1/declarations?limit=abc", **fr).json()
    assert answer["errors"][0]["detail"] == "limit doit être un entier de 1 à 500"

    english = operator_a.post("/api/v1/declarations/batch", {"x": 1}).json()
    assert [e["detail"] for e in english["errors"]] == [
        "declarations is missing",
        "not part of a batch",
    ]
    assert Client().get("/api/v1/nothing").json()["detail"] == "No operation at this path."
