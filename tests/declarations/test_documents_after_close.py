"""A document is uploaded while the goods are still under the declaration: once it is released,
invalidated or returned, nobody will read it, and an upload is refused (409
`document_not_allowed`, nothing stored, nothing audited), as an amendment is."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, Document, Status
from tests.lifecycle_helpers import release_cleared

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(operator, declaration_id, **headers):
    return operator.client.post(
        f"/api/v1/declarations/{declaration_id}/documents",
        {"type": "invoice", "file": SimpleUploadedFile("invoice.pdf", PDF)},
        format="multipart",
        **headers,
    )


@pytest.fixture
def submitted(operator_a, example, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = operator_a.post("/api/v1/declarations", example)
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def _assert_refused(answer, status):
    assert answer.status_code == 409, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"].endswith("/document-not-allowed")
    assert problem["status"] == 409
    (error,) = problem["errors"]
    assert error["code"] == "document_not_allowed"
    assert status in error["detail"]


def test_an_open_declaration_takes_documents(operator_a, submitted):
    assert _upload(operator_a, submitted).status_code == 201


def test_no_document_on_an_invalidated_declaration(operator_a, submitted):
    answer = operator_a.post(
        f"/api/v1/declarations/{submitted}/invalidation", {"reason": "order cancelled"}
    )
    assert answer.status_code == 200, answer.content
    _assert_refused(_upload(operator_a, submitted), "invalidated")
    assert not Document.objects.filter(declaration_id=submitted).exists()
    assert not AuditEvent.objects.filter(action="declaration.document").exists()


def test_no_document_on_a_released_declaration_nor_once_returned(
    operator_a, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_cleared(submitted)
    _assert_refused(_upload(operator_a, submitted), "released")
    # The same refusal under an Idempotency-Key, and again on its retry.
    for _ in range(2):
        _assert_refused(_upload(operator_a, submitted, HTTP_IDEMPOTENCY_KEY="doc-1"), "released")
    declaration = Declaration.objects.get(pk=submitted)
    with django_capture_on_commit_callbacks(execute=True):
        answer = operator_a.post(
            "/api/v1/returns",
            {
                "lrn": declaration.lrn,
                "transport_document": {"type": "house_waybill", "number": "RET-0001"},
                "reason": "refused by the consignee",
            },
        )
    assert answer.status_code == 200, answer.content
    assert Declaration.objects.get(pk=submitted).status == Status.RETURNED
    _assert_refused(_upload(operator_a, submitted), "returned")
    assert not Document.objects.filter(declaration_id=submitted).exists()


def test_the_refusal_is_in_the_problem_catalogue(client):
    page = client.get("/problems/document-not-allowed")
    assert page.status_code == 200
    assert "released" in page.content.decode()


def test_the_service_refuses_too_under_the_row_lock(operator_a, submitted):
    """The page of the API reads the status before the upload; the service checks it again on
    the locked row, so an upload racing the release is refused all the same."""
    from declarations.services import IntakeRefused, document_attach

    operator_a.post(f"/api/v1/declarations/{submitted}/invalidation", {"reason": "cancelled"})
    with pytest.raises(IntakeRefused) as refused:
        document_attach(
            operator=operator_a.operator,
            declaration_id=submitted,
            doc_type="invoice",
            content=PDF,
            content_type="application/pdf",
            extension="pdf",
            original_name="invoice.pdf",
        )
    assert refused.value.code == "document_not_allowed"
    assert not Document.objects.filter(declaration_id=submitted).exists()
