"""The documentation in the repository is the contract: its example files are posted as they are,
its example problem is what the API answers, and every path it names exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from declarations.models import Declaration
from tests.examples import DATASET_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _load(name: str):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_dataset_example_file_is_the_tests_example():
    assert _load("declaration.json") == DATASET_EXAMPLE


def test_the_example_in_dataset_md_is_the_example_file():
    text = (ROOT / "docs" / "dataset.md").read_text(encoding="utf-8")
    block = text.split("## Example (eu-h7, IOSS)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(block) == DATASET_EXAMPLE


@pytest.mark.django_db
def test_example_declaration_is_accepted_as_the_readme_posts_it(operator_a):
    body = (EXAMPLES / "declaration.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"/api/v1/declarations/{response.json()['id']}"
    assert response.json()["declaration"]["order"]["payment"]["amount"] == "47.80"


@pytest.mark.django_db
def test_example_invalid_declaration_answers_the_example_problem(operator_a):
    body = (EXAMPLES / "declaration-invalid.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == _load("declaration-invalid.problem.json")
    assert not Declaration.objects.exists()


@pytest.mark.django_db
def test_example_batch_accepts_one_and_rejects_one(operator_a):
    body = (EXAMPLES / "batch.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations/batch", body, content_type="application/json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["errors"][0]["code"] == "excise_goods_not_admissible"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_path_the_documentation_names_exists(document):
    text = document.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"(?<![\w/.-])((?:docs|declarations|customs_ecom|aeo|revenue|risk|templates|tests)/[\w./-]*[\w/])",
            text,
        )
    )
    # Paths name a file (with an extension) or a folder (ending in /); "declarations/s" is a rate.
    named = {p for p in named if "." in p.rsplit("/", 1)[-1] or p.endswith("/")}
    named |= set(re.findall(r"-d @([\w./-]+)", text))
    missing = sorted(p for p in named if not (ROOT / p).exists() and "<" not in p)
    assert missing == []
