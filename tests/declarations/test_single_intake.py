"""A single declaration, most of the traffic: on PostgreSQL its rows are one statement
(declarations.services.intake._submit_single), elsewhere the batch path. The answers and what is
stored are the same on both; these tests run on each database CI uses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from declarations.models import (
    Declaration,
    DeclarationItem,
    PendingAssessment,
    QualityFinding,
    StatusEvent,
)
from declarations.services import intake
from tests.declarations.corpus import valid_declaration


def _family(lrn: str) -> dict[str, int]:
    declaration = Declaration.objects.filter(lrn=lrn).first()
    if declaration is None:
        return {"declarations": 0}
    return {
        "declarations": 1,
        "items": DeclarationItem.objects.filter(declaration=declaration).count(),
        "findings": QualityFinding.objects.filter(declaration=declaration).count(),
        "events": StatusEvent.objects.filter(declaration=declaration).count(),
        "pending": PendingAssessment.objects.filter(declaration=declaration).count(),
    }


def test_a_single_declaration_is_stored_whole_and_answered_as_stored(operator_a):
    body = valid_declaration("eu-h7")
    body["lrn"] = "SINGLE-WHOLE-1"
    body["items"][0]["description"] = "Spare parts"  # a data-quality finding to store and show

    response = operator_a.post("/api/v1/declarations", body)

    assert response.status_code == 201, response.content
    answer = response.json()
    declaration = Declaration.objects.get(pk=answer["id"])
    assert _family("SINGLE-WHOLE-1") == {
        "declarations": 1,
        "items": len(body["items"]),
        "findings": len(answer["data_quality"]["findings"]),
        "events": 1,
        "pending": 1,
    }
    assert answer["data_quality"]["findings"], "the missing code is a finding"
    stored = list(declaration.items.values_list("line", "description", "value"))
    assert [(line, description) for line, description, _ in stored] == [
        (item["line"], item["description"]) for item in body["items"]
    ]
    assert [value for _, _, value in stored] == [
        Decimal(str(item["value"])) for item in body["items"]
    ]
    assert declaration.payload["lrn"] == "SINGLE-WHOLE-1"
    assert declaration.operator_id == operator_a.operator.pk
    event = declaration.events.get()
    assert (event.from_status, event.to_status) == ("", "accepted")
    assert [e["status"] for e in answer["status_history"]] == ["accepted"]
    # What the 201 showed is what a read shows.
    read = operator_a.get(f"/api/v1/declarations/{answer['id']}").json()
    assert read["data_quality"] == answer["data_quality"]
    assert read["status_history"] == answer["status_history"]
    assert read["lrn"] == answer["lrn"]


def test_a_repeated_single_is_a_replay_and_another_body_a_conflict_nothing_written_twice(
    operator_a,
):
    body = valid_declaration("eu-h7")
    body["lrn"] = "SINGLE-TWICE-1"
    first = operator_a.post("/api/v1/declarations", body)
    assert first.status_code == 201
    before = _family("SINGLE-TWICE-1")

    again = operator_a.post("/api/v1/declarations", body)
    other = dict(body, seller=dict(body["seller"], name="Someone Else Ltd"))
    conflict = operator_a.post("/api/v1/declarations", other)

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["code"] == "lrn_conflict"
    assert _family("SINGLE-TWICE-1") == before


def test_the_same_lrn_of_another_operator_is_its_own_declaration(operator_a, operator_b):
    body = valid_declaration("eu-h7")
    body["lrn"] = "SINGLE-SHARED-LRN"
    assert operator_a.post("/api/v1/declarations", body).status_code == 201
    assert operator_b.post("/api/v1/declarations", body).status_code == 201
    assert Declaration.objects.filter(lrn="SINGLE-SHARED-LRN").count() == 2


def test_a_single_the_database_refuses_stores_nothing_and_is_a_precise_422(operator_a, monkeypatch):
    """A fault of the system, not of the body (here: two goods items under one line number,
    which validation never lets through): the answer names the declaration, and none of its
    rows (declaration, items, event, pending) is left."""
    real = intake._records

    def broken(*args, **kwargs):
        records, reports = real(*args, **kwargs)
        for record in records:
            items = record["payload"]["items"]
            record["payload"] = dict(record["payload"], items=[*items, items[0]])
        return records, reports

    monkeypatch.setattr(intake, "_records", broken)
    body = valid_declaration("eu-h7")
    body["lrn"] = "SINGLE-REFUSED-1"

    response = operator_a.post("/api/v1/declarations", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_storable"
    assert _family("SINGLE-REFUSED-1") == {"declarations": 0}
    assert not DeclarationItem.objects.exists()
    assert not StatusEvent.objects.exists()
    assert not PendingAssessment.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's"
)
def test_one_statement_write_never_truncates_a_value_its_column_cannot_hold(operator_a):
    """The statement casts its parameters to the columns' base types: a value too long for its
    column is an error, as with any INSERT, never silently cut to fit."""
    from django.db import DataError, transaction

    from customs_ecom.platform.bulk import insert_family

    record = {
        "operator_id": operator_a.operator.pk,
        "lrn": "X" * 36,  # the column holds 35
        "dataset": "eu-h7",
        "profile_id": 1,
        "category": "sale_of_goods",
        "transport_document_type": "house_waybill",
        "transport_document_number": "1",
        "country_of_dispatch": "CN",
        "currency": "EUR",
        "total_value": 1,
        "total_gross_mass_kg": 1,
        "consignee_name": "A",
        "consignee_country": "FR",
        "payload": {},
        "fingerprint": "f",
    }
    with pytest.raises(DataError), transaction.atomic():
        insert_family(Declaration, record, [], conflict=("operator", "lrn"))
    assert not Declaration.objects.filter(lrn__startswith="XXXX").exists()


def test_the_database_lost_at_the_write_is_a_503_to_retry_not_a_422(operator_a, monkeypatch):
    """Unreachable between authentication and the write: the operator is told to retry (503
    with Retry-After), never that its declaration is unstorable."""
    from django.db import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(intake, "_records", unreachable)
    body = valid_declaration("eu-h7")
    body["lrn"] = "SINGLE-DB-LOST-1"

    response = operator_a.post("/api/v1/declarations", body)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["code"] == "service_unavailable"
