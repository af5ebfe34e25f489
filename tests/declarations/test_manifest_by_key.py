"""A carrier's manifest line names a consignment by its transport document's key (letters and
digits, case aside, O and I read as 0 and 1), as an arrival does: 'rr 123-456 785 de' on a
manifest is the declaration of 'RR123456785DE', whichever came first."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from aeo.models import OperatorLink
from declarations.benchmarks import manifest_facts_many
from declarations.models import Declaration, Manifest, ManifestLine, QualityFinding
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db

NUMBER = "RR123456785DE"


@pytest.fixture
def carrier(operator_a, operator_b):
    """operator_b (an express carrier) carries for operator_a (declarations.carriers)."""
    OperatorLink.objects.create(
        source=operator_b.operator, target=operator_a.operator, kind="carries_for"
    )
    return operator_b


def _declaration(lrn: str = "KEY-1") -> dict:
    body = valid_declaration("eu-h7")
    body["lrn"] = lrn
    body["transport_document"]["number"] = NUMBER
    return body


def _manifest(number: str, packages: int = 3) -> dict:
    """A line whose packages and mass disagree with the declaration's."""
    return {
        "reference": "MAWB-KEY",
        "lines": [
            {
                "transport_document": number,
                "packages": packages,
                "gross_mass_kg": "4.5",
                "declared_value": "250.00",
                "currency": "EUR",
                "description": "shoes",
            }
        ],
    }


def _codes(declaration_id: int) -> set[str]:
    return set(
        QualityFinding.objects.filter(declaration_id=declaration_id).values_list("code", flat=True)
    )


@pytest.mark.parametrize("written", ["rr 123-456 785 de", "RR.123.456.785.DE", "rr123456785de"])
def test_a_line_written_another_way_rescores_the_declaration(operator_a, carrier, written):
    created = operator_a.post("/api/v1/declarations", _declaration()).json()
    score_before = Declaration.objects.get(pk=created["id"]).dq_score
    assert not {c for c in _codes(created["id"]) if c.startswith("manifest_")}

    response = carrier.post("/api/v1/manifests", _manifest(written))

    assert response.status_code == 201, response.content
    assert response.json()["declarations_rescored"] == 1
    assert {"manifest_packages_mismatch", "manifest_mass_mismatch"} <= _codes(created["id"])
    assert Declaration.objects.get(pk=created["id"]).dq_score < score_before
    line = ManifestLine.objects.get(manifest_id=response.json()["id"])
    assert (line.transport_document_number, line.transport_document_key) == (written, NUMBER)


def test_a_declaration_after_the_manifest_is_compared_at_intake(operator_a, carrier):
    assert carrier.post("/api/v1/manifests", _manifest("rr 123 456 785 de")).status_code == 201

    created = operator_a.post("/api/v1/declarations", _declaration())
    assert created.status_code == 201, created.content

    assert {"manifest_packages_mismatch", "manifest_mass_mismatch"} <= _codes(created.json()["id"])


def test_a_line_for_another_number_touches_nothing(operator_a, carrier):
    created = operator_a.post("/api/v1/declarations", _declaration()).json()
    before = Declaration.objects.get(pk=created["id"])
    findings_before = _codes(created["id"])

    response = carrier.post("/api/v1/manifests", _manifest("rr 123 456 786 de"))

    assert response.status_code == 201, response.content
    assert response.json()["declarations_rescored"] == 0
    assert Declaration.objects.get(pk=created["id"]).dq_score == before.dq_score
    assert _codes(created["id"]) == findings_before


def test_facts_are_answered_under_the_numbers_asked(operator_a, carrier):
    carrier.post("/api/v1/manifests", _manifest("rr 123-456 785 de"))
    asked = [NUMBER, "RR 123 456 785 DE", "XX999"]

    for found in (
        manifest_facts_many(asked),
        manifest_facts_many(asked, carrier_ids=[carrier.operator.pk]),
        # Intake's question (one raw statement on PostgreSQL).
        manifest_facts_many(asked, declarant_id=operator_a.operator.pk),
    ):
        assert set(found) == {NUMBER, "RR 123 456 785 DE"}
        assert found[NUMBER].packages == found["RR 123 456 785 DE"].packages == 3
    # The newest line of the key is the one used, however it was written.
    carrier.post("/api/v1/manifests", _manifest("RR123456785DE", packages=5))
    assert (
        manifest_facts_many(["rr-123456785-de"], declarant_id=operator_a.operator.pk)[
            "rr-123456785-de"
        ].packages
        == 5
    )


def test_the_migration_fills_the_key_of_lines_stored_before(operator_b, monkeypatch):
    migration = import_module("declarations.migrations.0019_manifest_line_key")
    monkeypatch.setattr(migration, "CHUNK", 2)  # more lines than a chunk
    manifest = Manifest.objects.create(operator=operator_b.operator, reference="OLD")
    ManifestLine.objects.bulk_create(
        ManifestLine(manifest=manifest, transport_document_number=number)
        for number in ("rr 123-456 785 de", "HWB-88990O", "1234567891")
    )
    assert set(ManifestLine.objects.values_list("transport_document_key", flat=True)) == {""}

    migration.fill_keys(apps, None)

    assert dict(
        ManifestLine.objects.values_list("transport_document_number", "transport_document_key")
    ) == {
        "rr 123-456 785 de": "RR123456785DE",
        "HWB-88990O": "HWB889900",
        "1234567891": "1234567891",
    }
