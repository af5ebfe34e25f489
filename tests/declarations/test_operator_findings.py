"""Operators never see risk figures: a data-quality finding that rests on customs' learned medians
is not shown to the operator at all, nor counted in the score the operator reads (amending a value
up and down would otherwise trace the median and the rule that shares it); the officer's copy
keeps the finding and its figures. A finding on a carrier's manifest names the element that
disagrees, never what the manifest (perhaps about another operator's parcel) says."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from declarations import selectors
from declarations.models import Declaration, QualityFinding
from risk.models import LearnedValueMedian
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def fresh_benchmarks():
    selectors._benchmarks_cache = None
    yield
    selectors._benchmarks_cache = None


def _cheap_tee(operator, lrn: str, value: str, example):
    body = copy.deepcopy(example)
    body["lrn"] = lrn
    body["transport_document"]["number"] = f"TEE{abs(hash(lrn)) % 10**8:08d}"  # its own parcel
    del body["order"]["payment"]
    body["self_assessed_taxes"] = []
    body["items"] = [
        {"line": 1, "description": "Women's cotton T-shirt, knitted", "hs_code": "610910",
         "quantity": 1, "value": value, "net_mass_kg": "0.200", "origin_country": "CN"}
    ]  # fmt: skip
    created = operator.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.json()
    return created.json()


def test_a_finding_on_customs_medians_is_the_officers_alone(operator_a, example):
    LearnedValueMedian.objects.create(prefix="610910", level="hs6", median_eur_per_kg=Decimal("123.45"),
                                      samples=87)  # fmt: skip
    cheap = _cheap_tee(operator_a, "CHEAP-TEE", "2.00", example)
    stored = QualityFinding.objects.get(declaration_id=cheap["id"], code="value_per_kg_low")
    assert "EUR 123/kg" in stored.detail and "87" in stored.detail  # the officer copy
    officer_score = Declaration.objects.get(pk=cheap["id"]).dq_score
    # The same goods at a value above the benchmark: the operator can tell no difference.
    fair = _cheap_tee(operator_a, "FAIR-TEE", "20.00", example)
    assert not QualityFinding.objects.filter(declaration_id=fair["id"], code="value_per_kg_low")
    for answer in (cheap, operator_a.get(f"/api/v1/declarations/{cheap['id']}").json()):
        quality = answer["data_quality"]
        assert "value_per_kg_low" not in {f["code"] for f in quality["findings"]}
        assert quality == fair["data_quality"]
        assert quality["score"] == officer_score + stored.penalty > officer_score
        text = str(answer)
        assert "EUR 123" not in text and "median" not in text and "usual for" not in text


def test_a_manifest_finding_names_the_element_not_what_the_carrier_declared(operator_a, operator_b):
    from aeo.models import OperatorLink

    operator_b.operator.role = "express_carrier"
    operator_b.operator.save(update_fields=["role"])
    OperatorLink.objects.create(
        source=operator_b.operator, target=operator_a.operator, kind="carries_for"
    )
    body = valid_declaration("eu-h7")
    line = {
        "transport_document": body["transport_document"]["number"],
        "packages": 3,
        "gross_mass_kg": "4.321",
        "declared_value": "987.65",
        "currency": "EUR",
        "description": "Replica designer handbags for another client",
    }
    assert operator_b.post("/api/v1/manifests", {"lines": [line]}).status_code == 201
    created = operator_a.post("/api/v1/declarations", body).json()
    stored = {f.code: f.detail for f in QualityFinding.objects.filter(declaration_id=created["id"])}
    assert "4.321" in stored["manifest_mass_mismatch"]  # the officer copy quotes the manifest
    for language, words in (
        ("en", "differs from the carrier manifest"),
        ("fr", "diffère du manifeste"),
    ):
        answer = operator_a.client.get(
            f"/api/v1/declarations/{created['id']}", HTTP_ACCEPT_LANGUAGE=language
        ).json()
        shown = {f["code"]: f["detail"] for f in answer["data_quality"]["findings"]}
        manifest = {code: text for code, text in shown.items() if code.startswith("manifest_")}
        assert {"manifest_packages_mismatch", "manifest_mass_mismatch"} <= set(manifest), shown
        assert all(words in text for text in manifest.values()), manifest
        # Everything but the moments (a timestamp's fraction of a second may read "...54.321")
        # and the operator's own body.
        text = str(
            {
                k: v
                for k, v in answer.items()
                if not k.endswith("_at") and k not in ("id", "declaration", "status_history")
            }
        )
        text += str([e["reason"] for e in answer["status_history"]])
        assert "4.321" not in text and "Replica" not in text and "987" not in text
