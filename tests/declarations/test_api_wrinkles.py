"""Small contract edges of the operator API (docs/api.md): a body without a Content-Type, or with
an empty one, is read as JSON alike; a query string that is not UTF-8 is a 400 problem naming the
parameter (never a filter on replacement characters); a document upload whose multipart body has
no readable part is 400 ``malformed_multipart``, one that lacks its ``file`` 422 ``required``."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.test.client import FakePayload

from customs_ecom.platform.query import undecodable_parameter
from declarations.models import Declaration, Document

pytestmark = pytest.mark.django_db


def _post_raw(operator, path: str, body: bytes, content_type: str | None):
    """POST with the Content-Type header exactly as given (None: no header at all)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": FakePayload(body),
        "HTTP_AUTHORIZATION": f"Bearer {operator.key}",
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    return Client().request(**environ)


@pytest.mark.parametrize("content_type", [None, "", "application/json"])
def test_a_body_without_a_content_type_or_with_an_empty_one_is_read_as_json(
    operator_a, example, content_type
):
    answer = _post_raw(
        operator_a, "/api/v1/declarations", json.dumps(example).encode(), content_type
    )
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_of_another_content_type_is_415(operator_a, example, content_type):
    answer = _post_raw(
        operator_a, "/api/v1/declarations", json.dumps(example).encode(), content_type
    )
    assert answer.status_code == 415, answer.content
    assert answer.json()["code"] == "unsupported_media_type"
    assert not Declaration.objects.exists()


def test_the_undecodable_parameter_is_named():
    assert undecodable_parameter("lrn=ABC&limit=5") is None
    assert undecodable_parameter("lrn=%C3%A9t%C3%A9") is None  # été
    assert undecodable_parameter("lrn=%EF%BF%BD") is None  # U+FFFD itself, well encoded
    assert undecodable_parameter("lrn=%FF%FE") == "lrn"
    assert undecodable_parameter("limit=5&transport_document=%ED%A0%80") == "transport_document"
    assert undecodable_parameter("%FF=1") == "\ufffd"
    assert undecodable_parameter("lrn=\xff") == "lrn"  # a raw byte, as WSGI passes it


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/declarations?lrn=%FF%FE", "lrn"),
        ("/api/v1/declarations?limit=5&transport_document=%ED%A0%80", "transport_document"),
        ("/api/v1/events?cursor=%C0%AF", "cursor"),
        ("/api/v1/payments?limit=%FF", "limit"),
    ],
)
def test_a_query_string_that_is_not_utf8_is_refused_naming_the_parameter(operator_a, path, name):
    answer = operator_a.client.get(path)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["X-Request-ID"] and answer["X-Content-Type-Options"] == "nosniff"
    problem = answer.json()
    assert problem["status"] == 400 and problem["code"] == "query_invalid"
    assert problem["errors"] == [
        {
            "pointer": f"/{name}",
            "code": "encoding_invalid",
            "detail": f"{name} is not UTF-8 once percent-decoded",
        }
    ]


def test_a_query_string_in_utf8_still_filters(operator_a, example):
    assert operator_a.post("/api/v1/declarations", example).status_code == 201
    answer = operator_a.client.get("/api/v1/declarations?lrn=%C3%A9t%C3%A9")
    assert answer.status_code == 200 and answer.json()["results"] == []
    answer = operator_a.client.get(f"/api/v1/declarations?lrn={example['lrn']}")
    assert [row["lrn"] for row in answer.json()["results"]] == [example["lrn"]]


def _upload(operator, declaration_id: int, body: bytes):
    return operator.client.generic(
        "POST",
        f"/api/v1/declarations/{declaration_id}/documents",
        body,
        content_type="multipart/form-data; boundary=x",
    )


@pytest.mark.parametrize("body", [b"--x\r\nfoo", b"garbage", b"--x--\r\n"])
def test_a_multipart_body_with_no_readable_part_is_malformed(operator_a, example, body):
    declaration_id = operator_a.post("/api/v1/declarations", example).json()["id"]
    answer = _upload(operator_a, declaration_id, body)
    assert answer.status_code == 400, answer.content
    (error,) = answer.json()["errors"]
    assert (error["pointer"], error["code"]) == ("", "malformed_multipart")
    assert not Document.objects.exists()


def test_a_readable_multipart_body_without_a_file_still_names_the_file(operator_a, example):
    declaration_id = operator_a.post("/api/v1/declarations", example).json()["id"]
    body = b'--x\r\nContent-Disposition: form-data; name="type"\r\n\r\ninvoice\r\n--x--\r\n'
    answer = _upload(operator_a, declaration_id, body)
    assert answer.status_code == 422, answer.content
    (error,) = answer.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/file", "required")


@pytest.mark.parametrize("coding", ["gzip", "br", "GZIP"])
def test_a_compressed_body_is_415_naming_the_coding_not_malformed_json(operator_a, example, coding):
    import gzip

    body = gzip.compress(json.dumps(example).encode())
    answer = Client().request(
        REQUEST_METHOD="POST",
        PATH_INFO="/api/v1/declarations",
        CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE="application/json",
        HTTP_CONTENT_ENCODING=coding,
        HTTP_AUTHORIZATION=f"Bearer {operator_a.key}",
        **{"wsgi.input": FakePayload(body)},
    )
    assert answer.status_code == 415, answer.content
    assert answer.json()["code"] == "unsupported_media_type"
    assert coding.lower() in answer.json()["detail"]
    assert answer["Accept-Encoding"] == "identity"
    assert not Declaration.objects.exists()


def test_content_encoding_identity_is_the_body_as_it_is(operator_a, example):
    body = json.dumps(example).encode()
    answer = Client().request(
        REQUEST_METHOD="POST",
        PATH_INFO="/api/v1/declarations",
        CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE="application/json",
        HTTP_CONTENT_ENCODING="identity",
        HTTP_AUTHORIZATION=f"Bearer {operator_a.key}",
        **{"wsgi.input": FakePayload(body)},
    )
    assert answer.status_code == 201, answer.content
