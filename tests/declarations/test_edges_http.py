"""Edges of the operator API beyond the declaration body: query parameters, small bodies and
payments answer their precise 4xx for what the database could not hold, never a 500."""

from __future__ import annotations

import pytest

from tests.examples import example_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"updated_since": "2026-11-25T09:00:00+23:59"}, "datetime_offset_invalid"),
        ({"updated_since": "2026-11-25T09:00:00-14:30"}, "datetime_offset_invalid"),
        ({"updated_since": "2026-11-25T09:00:00+99:00"}, "datetime_invalid"),
        ({"updated_since": "0001-01-01T00:00:00+14:00"}, "datetime_out_of_range"),
        ({"updated_since": "1900-01-01T00:00:00+14:00"}, "datetime_out_of_range"),
        ({"updated_since": "2999-12-31T23:00:00-05:00"}, "datetime_out_of_range"),
        ({"updated_since": "2026-11-25T09:00:00.123456789Z"}, "datetime_invalid"),
        ({"updated_since": "2026-11-25T09:00:00"}, "datetime_timezone_required"),
        ({"lrn": "MKT\x001"}, "control_character"),
        ({"transport_document": "1234\x00"}, "control_character"),
        ({"transport_document": "9" * 65}, "string_too_long"),
        ({"limit": "0"}, "limit_invalid"),
        ({"limit": "501"}, "limit_invalid"),
        ({"limit": "ten"}, "limit_invalid"),
        ({"limit": "-1"}, "limit_invalid"),
        ({"limit": ""}, "limit_invalid"),
        ({"updated_since": ""}, "datetime_invalid"),
        ({"status": ""}, "enum_invalid"),
    ],
)
def test_declaration_list_refuses_bad_query_parameters(operator_a, params, code):
    response = operator_a.get("/api/v1/declarations", **params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert error["pointer"] == "/" + next(iter(params))


def test_lists_say_whether_more_follow(operator_a, example, settings):
    settings.EVENT_SETTLE_SECONDS = 0  # events handed out at once (their settling has its test)
    for n in range(3):
        body = example_for(f"PAGE-{n}", example)
        assert operator_a.post("/api/v1/declarations", body).status_code == 201
    first = operator_a.get("/api/v1/declarations", limit="2").json()
    assert first["has_more"] is True and len(first["results"]) == 2
    rest = operator_a.get("/api/v1/declarations", limit="2", cursor=first["next_cursor"]).json()
    assert rest["has_more"] is False and len(rest["results"]) == 1
    events = operator_a.get("/api/v1/events", limit="2").json()
    assert events["has_more"] is True
    assert operator_a.get("/api/v1/events", limit="1001").status_code == 400


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1e30", "amount_invalid"),  # an exponent form is not a plain decimal
        ("1E+30", "amount_invalid"),
        ("100000000000", "number_too_large"),
    ],
)
def test_payment_of_an_absurd_amount_is_refused(operator_a, amount, code):
    response = operator_a.post(
        "/api/v1/payments", {"declaration_id": 1, "amount": amount, "currency": "EUR"}
    )
    assert response.status_code == 422, response.content
    assert [e["code"] for e in response.json()["errors"]] == [code]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("reference", "R\x00", "control_character"),
        ("payer", "P" * 201, "string_too_long"),
    ],
)
def test_payment_text_the_ledger_cannot_hold_is_refused(operator_a, field, value, code):
    body = {"declaration_id": 1, "amount": "1.00", "currency": "EUR", field: value}
    response = operator_a.post("/api/v1/payments", body)
    assert response.status_code == 422, response.content
    assert [e["code"] for e in response.json()["errors"]] == [code]


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        (
            "/api/v1/arrivals",
            {"transport_documents": ["1234567890", "12\x0034"]},
            "/transport_documents/1",
        ),
        (
            "/api/v1/manifests",
            {"lines": [{"transport_document": "1", "description": "a\x00b"}]},
            "/lines/0/description",
        ),
        (
            "/api/v1/returns",
            {
                "lrn": "MKT-1",
                "transport_document": {"type": "house_waybill", "number": "R\x001"},
            },
            "/transport_document/number",
        ),
    ],
)
def test_small_bodies_refuse_control_characters(operator_a, path, body, pointer):
    operator_a.operator.role = "express_carrier"  # manifests are for carriers
    operator_a.operator.save(update_fields=["role"])
    response = operator_a.post(path, body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [(pointer, "control_character")]
    # A sentence, as the declaration's own control-character problems read.
    assert errors[0]["detail"].startswith("The text holds the control character U+0000, got ")


def test_chunked_body_without_length_is_411_not_an_empty_body(operator_a):
    response = operator_a.client.generic(
        "POST",
        "/api/v1/declarations",
        b"",
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["errors"][0]["code"] == "length_required"


@pytest.mark.parametrize("field", ["file", "type"])
def test_duplicate_multipart_parts_are_refused(operator_a, example, field):
    from django.core.files.uploadedfile import SimpleUploadedFile

    declaration_id = operator_a.post("/api/v1/declarations", example).json()["id"]
    pdf = b"%PDF-1.4\n%%EOF\n"
    files = [SimpleUploadedFile("a.pdf", pdf), SimpleUploadedFile("b.pdf", pdf + b"b")]
    data = {
        "file": files if field == "file" else files[0],
        "type": ["invoice", "licence"] if field == "type" else "invoice",
    }
    response = operator_a.client.post(
        f"/api/v1/declarations/{declaration_id}/documents", data, format="multipart"
    )
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == (f"/{field}", "duplicate_part")


def test_an_upload_without_a_body_names_the_missing_file(operator_a, example):
    declaration_id = operator_a.post("/api/v1/declarations", example).json()["id"]
    response = operator_a.client.post(f"/api/v1/declarations/{declaration_id}/documents")
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/file", "required")
