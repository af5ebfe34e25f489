"""Cursors are the API's own: a list cursor it did not issue (or altered) is 400 cursor_invalid,
numbers in queries are ASCII digits, and an events cursor past 18 digits says why."""

from __future__ import annotations

import base64
import json

import pytest

from tests.examples import example_for

pytestmark = pytest.mark.django_db


def _forged() -> str:
    payload = json.dumps(["2026-12-07T00:00:00+00:00", 1]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def test_a_list_cursor_the_api_did_not_issue_is_refused(operator_a, example):
    for n in range(3):
        assert (
            operator_a.post("/api/v1/declarations", example_for(f"CUR-{n}", example)).status_code
            == 201
        )
    first = operator_a.get("/api/v1/declarations", limit="2").json()
    issued = first["next_cursor"]
    assert first["has_more"] and issued
    second = operator_a.get("/api/v1/declarations", limit="2", cursor=issued)
    assert second.status_code == 200 and len(second.json()["results"]) == 1
    for cursor in (_forged(), issued[:-1] + ("A" if issued[-1] != "A" else "B")):
        answer = operator_a.get("/api/v1/declarations", cursor=cursor)
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["code"] == "cursor_invalid"


def test_numbers_in_queries_are_ascii_digits(operator_a):
    answer = operator_a.get("/api/v1/declarations", limit="\u0664")
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "limit_invalid"
    answer = operator_a.get("/api/v1/documents", cursor="\u0664")
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "cursor_invalid"
    answer = operator_a.get("/api/v1/events", cursor="9223372036854775807")
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["code"] == "cursor_invalid" and "18 digits" in error["detail"]


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/events", "-1"),
        ("/api/v1/events", "abc"),
        ("/api/v1/events", "1.5"),
        # A cursor is what a page answered as next_cursor: never an empty string.
        ("/api/v1/events", ""),
        ("/api/v1/declarations", ""),
        ("/api/v1/documents", ""),
    ],
)
def test_a_cursor_that_is_not_a_cursor_is_cursor_invalid(operator_a, path, cursor):
    answer = operator_a.get(path, cursor=cursor)
    assert answer.status_code == 400, answer.content
    assert [(e["pointer"], e["code"]) for e in answer.json()["errors"]] == [
        ("/cursor", "cursor_invalid")
    ]


@pytest.mark.parametrize("name", ["lrn", "transport_document", "status"])
def test_an_empty_filter_is_refused_not_read_as_no_filter(operator_a, example, name):
    """?lrn= from an unset variable would list every declaration as if each matched."""
    assert operator_a.post("/api/v1/declarations", example).status_code == 201
    answer = operator_a.get("/api/v1/declarations", **{name: ""})
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in answer.json()["errors"]] == [f"/{name}"]
