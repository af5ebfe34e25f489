"""Manifests come from carriers and speak only about their own consignments: another operator's
declaration under the same transport document is neither re-scored nor revealed."""

from __future__ import annotations

import pytest

from aeo.models import OperatorLink
from declarations.models import Declaration, QualityFinding
from tests.conftest import make_operator
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db


def _manifest(number: str) -> dict:
    return {
        "reference": "MAWB-1",
        "lines": [
            {
                "transport_document": number,
                "packages": 7,
                "gross_mass_kg": "40",
                "declared_value": "900.00",
                "currency": "EUR",
                "description": "shoes",
            }
        ],
    }


@pytest.mark.parametrize("role", ["marketplace", "vendor", "customs_broker", "payment_provider"])
def test_manifest_from_an_operator_that_does_not_transport_is_refused(role):
    client = make_operator(f"not-a-carrier-{role.replace('_', '-')}", role=role)
    response = client.post("/api/v1/manifests", _manifest("1234567890"))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


def test_carrier_manifest_leaves_other_operators_declarations_alone(operator_a):
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    before = Declaration.objects.get(pk=created["id"])
    findings_before = set(
        QualityFinding.objects.filter(declaration=before).values_list("code", flat=True)
    )
    stranger = make_operator("stranger-express", role="express_carrier")
    response = stranger.post("/api/v1/manifests", _manifest(body["transport_document"]["number"]))
    assert response.status_code == 201
    # The same answer as for a transport document nobody declared: nothing revealed.
    unknown = stranger.post("/api/v1/manifests", _manifest("NOBODY-DECLARED-THIS"))
    assert response.json()["declarations_rescored"] == unknown.json()["declarations_rescored"] == 0
    after = Declaration.objects.get(pk=created["id"])
    assert after.dq_score == before.dq_score
    assert (
        set(QualityFinding.objects.filter(declaration=after).values_list("code", flat=True))
        == findings_before
    )
    # Nor does the stranger's manifest count for the operator's next declaration of the parcel
    # (the first withdrawn: a parcel is declared once at a time).
    withdrawn = operator_a.post(
        f"/api/v1/declarations/{created['id']}/invalidation", {"reason": "declared again"}
    )
    assert withdrawn.status_code == 200, withdrawn.content
    later = dict(body, lrn="LATER-STRANGER")
    later_id = operator_a.post("/api/v1/declarations", later).json()["id"]
    assert not QualityFinding.objects.filter(
        declaration_id=later_id, code__startswith="manifest_"
    ).exists()


def test_carrier_manifest_rescores_what_it_carries(operator_a):
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    carrier = make_operator("our-express", role="express_carrier")
    OperatorLink.objects.create(
        source=carrier.operator, target=operator_a.operator, kind="carries_for"
    )
    response = carrier.post("/api/v1/manifests", _manifest(body["transport_document"]["number"]))
    assert response.json()["declarations_rescored"] == 1
    assert QualityFinding.objects.filter(
        declaration_id=created["id"], code="manifest_packages_mismatch"
    ).exists()


@pytest.mark.parametrize("number", ["   ", "-/.", "ＲＥＴ１"])
def test_a_manifest_line_naming_no_possible_transport_document_is_refused(number):
    client = make_operator("carrier-numbers", role="express_carrier")
    response = client.post("/api/v1/manifests", _manifest(number))
    assert response.status_code == 422, response.content
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/lines/0/transport_document", "document_number_invalid")
    ]
