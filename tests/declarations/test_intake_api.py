"""The rest of the intake API on the real database: batches, amendments, invalidation, returns,
manifests, documents, limits and Idempotency-Key replay."""

from __future__ import annotations

import copy
import json

import pytest

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, DeclarationItem, Document, QualityFinding, Status
from tests.declarations.corpus import valid_declaration
from tests.lifecycle_helpers import release_cleared

pytestmark = pytest.mark.django_db(transaction=False)

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _batch(count: int, *, start: int = 0) -> list[dict]:
    bodies = []
    for n in range(start, start + count):
        body = valid_declaration("eu-h7")
        body["lrn"] = f"B-{n:06d}"
        body["transport_document"]["number"] = f"HWB{n:07d}"
        bodies.append(body)
    return bodies


def _released(operator_client, body, capture) -> int:
    with capture(execute=True):
        created = operator_client.post("/api/v1/declarations", body).json()
    release_cleared(created["id"])
    return created["id"]


# --- batch --------------------------------------------------------------------------------------


def test_batch_answers_one_result_per_input_in_order_each_independent(operator_a):
    bodies = _batch(3)
    bodies[1]["items"][0]["hs_code"] = "999999"  # rejected, the others still accepted
    bodies.append(copy.deepcopy(bodies[0]))  # same lrn, same body: the same declaration
    conflicting = copy.deepcopy(bodies[2])
    conflicting["consignee"]["name"] = "Someone Else"
    bodies.append(conflicting)  # same lrn, another body: conflict

    response = operator_a.post("/api/v1/declarations/batch", {"declarations": bodies})

    assert response.status_code == 200, response.content
    data = response.json()
    results = data["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
    ]
    assert [r["http_status"] for r in results] == [201, 422, 201, 200, 409]
    assert results[1]["errors"] == [
        {
            "pointer": "/items/0/hs_code",
            "code": "hs_code_unknown",
            "detail": results[1]["errors"][0]["detail"],
        }
    ]
    assert results[3]["id"] == results[0]["id"]
    assert results[4]["errors"][0]["code"] == "lrn_conflict"
    assert (data["accepted"], data["rejected"]) == (3, 2)
    assert Declaration.objects.filter(operator=operator_a.operator).count() == 2
    assert DeclarationItem.objects.filter(declaration__operator=operator_a.operator).count() == 4


def test_batch_over_the_operator_limit_is_refused_whole_with_a_precise_error(operator_a, settings):
    settings.INTAKE_MAX_BATCH = 3
    response = operator_a.post("/api/v1/declarations/batch", {"declarations": _batch(4)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/declarations"
    assert response.json()["errors"][0]["code"] == "list_too_long"
    assert "3" in response.json()["errors"][0]["detail"]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ([], "", "not_an_object"),
        ({}, "/declarations", "required"),
        ({"declarations": {}}, "/declarations", "type_invalid"),
        ({"declarations": []}, "/declarations", "list_too_short"),
        ({"declarations": [], "mode": "x"}, "/mode", "unknown_element"),
    ],
)
def test_batch_envelope_errors_name_the_element(operator_a, body, pointer, code):
    response = operator_a.post("/api/v1/declarations/batch", body)
    assert response.status_code == 422
    assert (pointer, code) in {(e["pointer"], e["code"]) for e in response.json()["errors"]}


def test_a_refused_body_says_in_its_detail_which_element_failed_first(operator_a):
    body = valid_declaration("wco-core")
    body["items"][0]["hs_code"] = "12"
    body["transport_mode"] = "teleport"
    response = operator_a.post("/api/v1/declarations", body)
    problem = response.json()
    assert response.status_code == 422 and len(problem["errors"]) >= 2
    first = problem["errors"][0]
    assert problem["detail"] == (
        f"{len(problem['errors'])} elements failed; the first, {first['pointer']}: {first['detail']}"
    )
    one = valid_declaration("wco-core")
    one["items"][0]["hs_code"] = "12"
    single = operator_a.post("/api/v1/declarations", one).json()
    assert single["detail"] == f"{single['errors'][0]['pointer']}: {single['errors'][0]['detail']}"
    french = operator_a.post("/api/v1/declarations", body, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["detail"].startswith(f"{len(french['errors'])} éléments refusés ; le premier, ")


def test_batch_body_over_the_batch_limit_is_413(operator_a, settings):
    settings.INTAKE_MAX_BATCH_BODY_BYTES = 2000
    response = operator_a.post("/api/v1/declarations/batch", {"declarations": _batch(3)})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_declaration_with_too_many_items_is_rejected_precisely(operator_a):
    body = valid_declaration("wco-core")
    item = body["items"][0]
    body["items"] = [{**item, "line": n, "value": "0.01"} for n in range(1, 1001)]
    response = operator_a.post("/api/v1/declarations", body)
    assert response.status_code == 422
    assert ("/items", "list_too_long") in {
        (e["pointer"], e["code"]) for e in response.json()["errors"]
    }


def test_batch_replays_with_the_same_idempotency_key(operator_a):
    body = {"declarations": _batch(2)}
    first = operator_a.post("/api/v1/declarations/batch", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = operator_a.post("/api/v1/declarations/batch", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = operator_a.post(
        "/api/v1/declarations/batch", {"declarations": _batch(1)}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


# --- amendments ---------------------------------------------------------------------------------


def test_amendment_revalidates_bumps_revision_and_is_assessed_again(
    operator_a, django_capture_on_commit_callbacks
):
    body = valid_declaration("eu-h7")
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", body).json()
    assert Declaration.objects.get(pk=created["id"]).status == Status.ASSESSED
    body["items"][1]["description"] = "Phone case, silicone, for smartphone, black"
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_a.post(f"/api/v1/declarations/{created['id']}/amendments", body)
    assert response.status_code == 200, response.content
    declaration = Declaration.objects.get(pk=created["id"])
    assert declaration.revision == 2
    assert declaration.risk_revision == declaration.tax_revision == 2
    assert declaration.status == Status.ASSESSED
    history = [h["status"] for h in response.json()["status_history"]]
    assert history[:3] == ["accepted", "assessed", "accepted"]
    assert declaration.items.get(line=2).description.endswith("black")
    assert AuditEvent.objects.filter(action="declaration.amend", object_id=str(declaration.pk))
    # The new revision's taxes replace the first revision's as the current assessment.
    assessments = declaration.tax_assessments.order_by("revision")
    assert [(a.revision, a.reason, a.is_current) for a in assessments] == [
        (1, "initial", False),
        (2, "initial", True),
    ]


def test_invalid_amendment_changes_nothing(operator_a):
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    body["currency"] = "ABC"
    response = operator_a.post(f"/api/v1/declarations/{created['id']}/amendments", body)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "pointer": "/currency",
        "code": "currency_unknown",
        "detail": response.json()["errors"][0]["detail"],
    }
    assert Declaration.objects.get(pk=created["id"]).revision == 1


def test_amendment_cannot_change_the_lrn(operator_a):
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    body["lrn"] = "OTHER-1"
    response = operator_a.post(f"/api/v1/declarations/{created['id']}/amendments", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "lrn_mismatch"


def test_tax_scheme_number_is_frozen_after_release(operator_a, django_capture_on_commit_callbacks):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    body["vendor_tax_scheme"]["number"] = "IM2500000026"
    response = operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "tax_scheme_number_frozen"
    assert response.json()["errors"][0]["pointer"] == "/vendor_tax_scheme"
    del body["vendor_tax_scheme"]
    removed = operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body)
    assert removed.json()["errors"][0]["code"] == "tax_scheme_number_frozen"
    assert Declaration.objects.get(pk=declaration_id).revision == 1


def test_other_amendments_after_release_are_refused(operator_a, django_capture_on_commit_callbacks):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    body["consignee"]["name"] = "Marie Durand"
    response = operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body)
    assert response.status_code == 409
    assert response.json()["code"] == "amendment_not_allowed"


def test_amending_another_operators_declaration_is_404(operator_a, operator_b):
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    response = operator_b.post(f"/api/v1/declarations/{created['id']}/amendments", body)
    assert response.status_code == 404


# --- invalidation and returns -------------------------------------------------------------------


def test_invalidation_before_release_and_refusal_after(
    operator_a, django_capture_on_commit_callbacks
):
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    response = operator_a.post(
        f"/api/v1/declarations/{created['id']}/invalidation", {"reason": "order cancelled"}
    )
    assert response.status_code == 200 and response.json()["status"] == "invalidated"
    again = operator_a.post(
        f"/api/v1/declarations/{created['id']}/invalidation", {"reason": "order cancelled"}
    )
    assert again.status_code == 200

    other = valid_declaration("wco-core")
    released = _released(operator_a, other, django_capture_on_commit_callbacks)
    refused = operator_a.post(
        f"/api/v1/declarations/{released}/invalidation", {"reason": "changed my mind"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "invalidation_not_allowed"


def test_invalidation_needs_a_reason(operator_a):
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    response = operator_a.post(f"/api/v1/declarations/{created['id']}/invalidation", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/reason"


@pytest.mark.parametrize("reason", [" ", "\t\n", "\u00a0"])
def test_an_invalidation_reason_of_only_whitespace_is_no_reason(operator_a, reason):
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    response = operator_a.post(
        f"/api/v1/declarations/{created['id']}/invalidation", {"reason": reason}
    )
    assert response.status_code == 422, response.content
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/reason", "string_too_short")
    ]
    assert Declaration.objects.get(pk=created["id"]).status != Status.INVALIDATED


def test_return_after_release_records_the_new_transport_document(
    operator_a, django_capture_on_commit_callbacks
):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    back = {"type": "house_waybill", "number": "RET-0001"}
    response = operator_a.post(
        "/api/v1/returns", {"lrn": body["lrn"], "transport_document": back, "reason": "refused"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned"
    declaration = Declaration.objects.get(pk=declaration_id)
    assert declaration.return_transport_document == back
    assert declaration.events.last().to_status == Status.RETURNED


def test_a_return_reported_again_under_another_transport_document_is_refused(
    operator_a, django_capture_on_commit_callbacks
):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    back = {"type": "house_waybill", "number": "RET-0001"}
    first = operator_a.post("/api/v1/returns", {"lrn": body["lrn"], "transport_document": back})
    assert first.status_code == 200, first.content
    # The same report again (the number compared on its letters and digits) is a retry.
    again = operator_a.post(
        "/api/v1/returns",
        {"lrn": body["lrn"], "transport_document": {**back, "number": "ret 0001"}},
    )
    assert again.status_code == 200 and again.json()["status"] == "returned"
    other = operator_a.post(
        "/api/v1/returns",
        {"lrn": body["lrn"], "transport_document": {**back, "number": "RET-0002"}},
    )
    assert other.status_code == 409, other.content
    assert [(e["pointer"], e["code"]) for e in other.json()["errors"]] == [
        ("/transport_document", "return_not_allowed")
    ]
    assert Declaration.objects.get(pk=declaration_id).return_transport_document == back


@pytest.mark.parametrize(
    ("back", "code"),
    [
        ({"type": "house_waybill", "number": "\uff32\uff25\uff34-1"}, "document_number_invalid"),
        ({"type": "house_waybill", "number": "RET\u00a01"}, "document_number_invalid"),
        ({"type": "postal_item", "number": "RET-0001"}, "s10_invalid"),
    ],
)
def test_a_return_transport_document_number_is_checked_as_a_declarations_and_nothing_changes(
    operator_a, django_capture_on_commit_callbacks, back, code
):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    response = operator_a.post("/api/v1/returns", {"lrn": body["lrn"], "transport_document": back})
    assert response.status_code == 422, response.content
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/transport_document/number", code)
    ]
    declaration = Declaration.objects.get(pk=declaration_id)
    assert declaration.status == Status.RELEASED
    assert not declaration.return_transport_document


def test_return_before_release_is_refused(operator_a):
    body = valid_declaration("eu-h7")
    operator_a.post("/api/v1/declarations", body)
    response = operator_a.post(
        "/api/v1/returns",
        {"lrn": body["lrn"], "transport_document": {"type": "house_waybill", "number": "R1"}},
    )
    assert response.status_code == 409 and response.json()["code"] == "return_not_allowed"
    missing = operator_a.post(
        "/api/v1/returns",
        {"lrn": "NOPE", "transport_document": {"type": "house_waybill", "number": "R1"}},
    )
    assert missing.status_code == 404


# --- manifests ----------------------------------------------------------------------------------


@pytest.fixture
def carrier_b(operator_b, operator_a):
    """operator_b as an express carrier that carries for operator_a (declarations.carriers)."""
    from aeo.models import OperatorLink

    operator_b.operator.role = "express_carrier"
    operator_b.operator.save(update_fields=["role"])
    OperatorLink.objects.create(
        source=operator_b.operator, target=operator_a.operator, kind="carries_for"
    )
    return operator_b


def _disagreeing_line(body: dict) -> dict:
    """A manifest line for the declaration's transport document whose packages and mass differ
    from the declared ones."""
    return {
        "transport_document": body["transport_document"]["number"],
        "packages": 3,
        "gross_mass_kg": "4.5",
        "declared_value": "250.00",
        "currency": "EUR",
        "description": "shoes",
    }


def test_manifest_disagreement_becomes_a_finding_on_the_declaration(operator_a, carrier_b):
    operator_b = carrier_b
    body = valid_declaration("eu-h7")
    created = operator_a.post("/api/v1/declarations", body).json()
    score_before = Declaration.objects.get(pk=created["id"]).dq_score
    manifest = {"reference": "MAWB-176-1234", "lines": [_disagreeing_line(body)]}
    response = operator_b.post("/api/v1/manifests", manifest)
    assert response.status_code == 201, response.content
    assert response.json()["declarations_rescored"] == 1
    codes = set(
        QualityFinding.objects.filter(declaration_id=created["id"]).values_list("code", flat=True)
    )
    assert {"manifest_packages_mismatch", "manifest_mass_mismatch"} <= codes
    assert Declaration.objects.get(pk=created["id"]).dq_score < score_before
    # A declaration received after the manifest is compared at intake: the operator withdraws
    # its declaration and declares the parcel again.
    withdrawn = operator_a.post(
        f"/api/v1/declarations/{created['id']}/invalidation", {"reason": "declared again"}
    )
    assert withdrawn.status_code == 200, withdrawn.content
    later = valid_declaration("eu-h7")
    later["lrn"] = "LATER-1"
    later_id = operator_a.post("/api/v1/declarations", later).json()["id"]
    assert QualityFinding.objects.filter(
        declaration_id=later_id, code="manifest_packages_mismatch"
    ).exists()


def test_intake_ignores_the_manifest_of_a_carrier_that_does_not_carry_for_the_declarant(
    operator_a, carrier_b
):
    from tests.conftest import make_operator

    stranger = make_operator("STRANGE-CARRIER", role="express_carrier")
    body = valid_declaration("eu-h7")
    line = _disagreeing_line(body)
    assert stranger.post("/api/v1/manifests", {"lines": [line]}).status_code == 201
    first = operator_a.post("/api/v1/declarations", body).json()["id"]
    assert not QualityFinding.objects.filter(
        declaration_id=first, code__startswith="manifest_"
    ).exists()
    # The same line from the carrier that carries for the declarant counts.
    assert carrier_b.post("/api/v1/manifests", {"lines": [line]}).status_code == 201
    withdrawn = operator_a.post(
        f"/api/v1/declarations/{first}/invalidation", {"reason": "declared again"}
    )
    assert withdrawn.status_code == 200, withdrawn.content
    later = {**body, "lrn": "LATER-2"}
    second = operator_a.post("/api/v1/declarations", later).json()["id"]
    assert QualityFinding.objects.filter(
        declaration_id=second, code="manifest_packages_mismatch"
    ).exists()


def test_manifest_lines_are_validated(carrier_b):
    response = carrier_b.post(
        "/api/v1/manifests",
        {"lines": [{"transport_document": "", "gross_mass_kg": "-1", "currency": "ZZZ"}]},
    )
    assert response.status_code == 422
    pairs = {(e["pointer"], e["code"]) for e in response.json()["errors"]}
    assert pairs == {
        ("/lines/0/transport_document", "string_too_short"),
        ("/lines/0/gross_mass_kg", "number_too_small"),
        ("/lines/0/currency", "currency_unknown"),
    }
    details = {e["pointer"]: e["detail"] for e in response.json()["errors"]}
    assert details["/lines/0/currency"] == 'Not an ISO 4217 currency code, got "ZZZ"'


# --- documents ----------------------------------------------------------------------------------


def test_document_upload_sniffs_type_and_stores_the_file_outside_the_database(
    operator_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("invoice.txt", PDF, content_type="text/plain")
    response = operator_a.client.post(
        f"/api/v1/declarations/{created['id']}/documents",
        {"file": upload, "type": "invoice"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf"
    document = Document.objects.get(pk=response.json()["id"])
    assert document.file.path.startswith(str(tmp_path)) and document.file.path.endswith(".pdf")
    with open(document.file.path, "rb") as stored:
        assert stored.read() == PDF


@pytest.mark.parametrize(
    ("content", "doc_type", "status", "code"),
    [
        (b"MZ\x90\x00 not a document", "invoice", 415, "document_type_unsupported"),
        (b"", "invoice", 422, "document_empty"),
        (PNG, "passport", 422, "enum_invalid"),
        # An empty `type` was stored as `other`: what was sent did not read back.
        (PNG, "", 422, "enum_invalid"),
        (PNG, " invoice", 422, "enum_invalid"),
    ],
)
def test_document_upload_refusals(operator_a, settings, tmp_path, content, doc_type, status, code):
    settings.MEDIA_ROOT = tmp_path
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = operator_a.client.post(
        f"/api/v1/declarations/{created['id']}/documents",
        {"file": SimpleUploadedFile("x.pdf", content), "type": doc_type},
        format="multipart",
    )
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["code"] == code
    assert not Document.objects.exists()


def test_document_over_the_size_limit_is_413(operator_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.INTAKE_MAX_DOCUMENT_BYTES = 100
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = operator_a.client.post(
        f"/api/v1/declarations/{created['id']}/documents",
        {"file": SimpleUploadedFile("x.pdf", PDF + b"0" * 200)},
        format="multipart",
    )
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_document_for_another_operators_declaration_is_404(
    operator_a, operator_b, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    created = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = operator_b.client.post(
        f"/api/v1/declarations/{created['id']}/documents",
        {"file": SimpleUploadedFile("x.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 404


def test_a_lone_surrogate_escape_is_a_precise_400_and_a_surrogate_pair_is_a_character(
    operator_a,
):
    """JSON may escape a non-BMP character as a surrogate pair; half of one is no character and
    was answered 500 (the error response could not be encoded)."""
    body = valid_declaration("eu-h7")
    body["lrn"] = "LRN-SURROGATE"
    body["consignee"]["name"] = "Marie Dupont"
    raw = json.dumps(body).replace('"Marie Dupont"', '"Marie \\ud800Dupont"')
    response = operator_a.client.post("/api/v1/declarations", raw, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {
            "pointer": "/consignee/name",
            "code": "malformed_json",
            "detail": "a \\u escape encodes half of a UTF-16 surrogate pair, not a character",
        }
    ]
    assert not Declaration.objects.filter(lrn="LRN-SURROGATE").exists()

    pair = json.dumps(body).replace('"Marie Dupont"', '"Marie \\ud83d\\ude00 Dupont"')
    response = operator_a.client.post("/api/v1/declarations", pair, content_type="application/json")
    assert response.status_code == 201, response.content
    stored = Declaration.objects.get(lrn="LRN-SURROGATE")
    assert stored.payload["consignee"]["name"] == "Marie \U0001f600 Dupont"


@pytest.mark.parametrize("number", ["1e999999999", "1e25", "99999999999999999999"])
def test_an_item_line_beyond_any_bound_is_too_large_as_sent(operator_a, number):
    body = json.dumps(valid_declaration("eu-h7")).replace('"line": 1,', f'"line": {number},', 1)
    assert f'"line": {number},' in body
    answer = operator_a.post("/api/v1/declarations", body)
    assert answer.status_code == 422
    errors = [(e["pointer"], e["code"]) for e in answer.json()["errors"]]
    assert errors == [("/items/0/line", "number_too_large")]
    assert "10000000000000000000" not in answer.content.decode()


@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "9.5e99999999"])
def test_a_count_written_with_an_enormous_exponent_is_refused_at_once(
    operator_a, carrier_b, number
):
    # Read as an integer it would be built digit by digit (minutes and gigabytes): a count that
    # large is out of bounds, and says so, whichever endpoint reads it.
    import time

    started = time.monotonic()
    body = json.dumps(valid_declaration("eu-h7")).replace('"packages": 1', f'"packages": {number}')
    assert f'"packages": {number}' in body
    declared = operator_a.post("/api/v1/declarations", body)
    line = json.dumps({"lines": [{"transport_document": "1234567890", "packages": 0}]})
    manifest = carrier_b.post(
        "/api/v1/manifests", line.replace('"packages": 0', f'"packages": {number}')
    )
    assert time.monotonic() - started < 5
    code = "number_too_small" if number.startswith("-") else "number_too_large"
    assert declared.status_code == 422 and manifest.status_code == 422
    assert [(e["pointer"], e["code"]) for e in declared.json()["errors"]] == [("/packages", code)]
    assert [(e["pointer"], e["code"]) for e in manifest.json()["errors"]] == [
        ("/lines/0/packages", code)
    ]
    assert not Declaration.objects.exists()
