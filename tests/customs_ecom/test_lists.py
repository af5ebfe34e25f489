"""The operator's lists: documents, payments, statements and webhook deliveries, each its own
only, newest first, with the same limit, cursor and has_more as every list."""

from __future__ import annotations

import uuid

import pytest

from declarations.models import WebhookDelivery
from revenue.selectors import border_balance
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(client, declaration_id, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.client.post(
        f"/api/v1/declarations/{declaration_id}/documents",
        {"type": "invoice", "file": SimpleUploadedFile(name, PDF + name.encode())},
        format="multipart",
    )


def test_documents_list_pages_through_the_operators_own(operator_a, operator_b, example):
    mine = operator_a.post("/api/v1/declarations", example).json()["id"]
    theirs = operator_b.post("/api/v1/declarations", example).json()["id"]
    for n in range(3):
        assert _upload(operator_a, mine, f"a{n}.pdf").status_code == 201
    assert _upload(operator_b, theirs, "b.pdf").status_code == 201
    first = operator_a.get("/api/v1/documents", limit="2").json()
    assert len(first["results"]) == 2 and first["has_more"] is True
    rest = operator_a.get("/api/v1/documents", limit="2", cursor=first["next_cursor"]).json()
    assert len(rest["results"]) == 1 and rest["has_more"] is False
    ids = [d["id"] for d in first["results"] + rest["results"]]
    assert ids == sorted(ids, reverse=True)
    assert {d["declaration_id"] for d in first["results"] + rest["results"]} == {mine}
    bad = operator_a.get("/api/v1/documents", cursor="abc")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "cursor_invalid"


def test_payments_and_statements_lists_show_only_the_operators_own(operator_a, operator_b):
    (declaration,) = submit(operator_b.operator, [border_body("LIST-PAY-1")])
    owed, _, _ = border_balance(declaration.pk)
    paid = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": declaration.pk, "amount": f"{owed:.2f}", "currency": "EUR"},
    )
    assert paid.status_code == 201, paid.content
    listed = operator_b.get("/api/v1/payments").json()
    assert [p["id"] for p in listed["results"]] == [paid.json()["id"]]
    assert listed["results"][0]["amount"] == f"{owed:.2f}"
    assert operator_a.get("/api/v1/payments").json()["results"] == []
    assert operator_b.get("/api/v1/statements").json() == {
        "results": [],
        "next_cursor": None,
        "has_more": False,
    }


def test_webhook_deliveries_list_shows_only_the_operators_own(operator_a, operator_b):
    for client, count in ((operator_a, 2), (operator_b, 1)):
        for n in range(count):
            WebhookDelivery.objects.create(
                operator=client.operator, event_id=uuid.uuid4(), status_event_pk=n, body="{}"
            )
    page = operator_a.get("/api/v1/webhook-deliveries").json()
    assert len(page["results"]) == 2 and page["has_more"] is False
    assert {d["state"] for d in page["results"]} == {"pending"}
    assert operator_a.get("/api/v1/webhook-deliveries", limit="0").status_code == 400
