"""An operator declares a parcel (its transport document) once at a time: a second declaration of
the same transport document under another lrn, while the first is neither released, returned nor
withdrawn, is 409 `transport_document_declared` and stores nothing, so the same goods are never
assessed, released and charged twice. Declared again after the first was withdrawn or released, or
by another operator, they are accepted (docs/api.md, docs/lifecycle.md)."""

from __future__ import annotations

import copy

import pytest
from django.db import IntegrityError, transaction

from declarations.models import Declaration, StatusEvent
from declarations.services import intake
from tests.examples import DATASET_EXAMPLE
from tests.lifecycle_helpers import officer_release

pytestmark = pytest.mark.django_db

NUMBER = DATASET_EXAMPLE["transport_document"]["number"]


def _body(lrn: str, number: str = NUMBER) -> dict:
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"]["number"] = number
    return body


def _refusal(answer: dict, first_lrn: str) -> None:
    (error,) = answer["errors"]
    assert error["code"] == "transport_document_declared"
    assert error["pointer"] == "/transport_document/number"
    assert first_lrn in error["detail"]


def test_a_second_open_declaration_of_the_same_parcel_is_refused_and_stores_nothing(operator_a):
    first = operator_a.post("/api/v1/declarations", _body("TWICE-1"))
    assert first.status_code == 201, first.content

    # The same number as a key: letters and digits, case aside.
    again = operator_a.post("/api/v1/declarations", _body("TWICE-2", "12-3456 7890"))

    assert again.status_code == 409, again.content
    assert again["Content-Type"].startswith("application/problem+json")
    _refusal(again.json(), "TWICE-1")
    assert not Declaration.objects.filter(lrn="TWICE-2").exists()
    assert not StatusEvent.objects.filter(declaration__lrn="TWICE-2").exists()
    # The first declaration is untouched, and its own replay is still a replay.
    replay = operator_a.post("/api/v1/declarations", _body("TWICE-1"))
    assert replay.status_code == 200, replay.content
    assert replay.json()["id"] == first.json()["id"]


def test_the_parcel_is_declared_again_once_the_first_declaration_is_withdrawn(operator_a):
    first = operator_a.post("/api/v1/declarations", _body("WITHDRAWN-1")).json()
    withdrawn = operator_a.post(
        f"/api/v1/declarations/{first['id']}/invalidation", {"reason": "wrong consignee"}
    )
    assert withdrawn.status_code == 200, withdrawn.content

    again = operator_a.post("/api/v1/declarations", _body("WITHDRAWN-2"))

    assert again.status_code == 201, again.content


def test_a_number_used_again_after_release_names_other_goods(operator_a, customs_user):
    from revenue.services.assessment import taxes_assess_batch
    from risk.services.assessment import risk_assess_batch

    first = operator_a.post("/api/v1/declarations", _body("REUSED-1")).json()
    risk_assess_batch(declaration_ids=[first["id"]])
    taxes_assess_batch(declaration_ids=[first["id"]])
    officer_release(first["id"], customs_user("officer"), approver=customs_user("supervisor"))

    again = operator_a.post("/api/v1/declarations", _body("REUSED-2"))

    assert again.status_code == 201, again.content


def test_another_operator_may_declare_the_same_parcel(operator_a, operator_b):
    assert operator_a.post("/api/v1/declarations", _body("MINE-1")).status_code == 201

    theirs = operator_b.post("/api/v1/declarations", _body("THEIRS-1"))

    assert theirs.status_code == 201, theirs.content


def test_a_batch_keeps_the_first_declaration_of_a_parcel_and_refuses_the_others(operator_a):
    assert operator_a.post("/api/v1/declarations", _body("STORED-1", "5550001111")).status_code == (
        201
    )
    bodies = [
        _body("BATCH-1", "5550002222"),
        _body("BATCH-2", "555-000-2222"),  # the same parcel as BATCH-1, in the same batch
        _body("BATCH-3", "5550001111"),  # the parcel of STORED-1
        _body("BATCH-2", "555-000-2222"),  # BATCH-2 again: the same answer as BATCH-2
        _body("BATCH-4", "5550003333"),
    ]

    response = operator_a.post("/api/v1/declarations/batch", {"declarations": bodies})

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["http_status"] for r in results] == [201, 409, 409, 409, 201]
    _refusal(results[1], "BATCH-1")
    _refusal(results[2], "STORED-1")
    _refusal(results[3], "BATCH-1")
    assert sorted(Declaration.objects.values_list("lrn", flat=True)) == [
        "BATCH-1",
        "BATCH-4",
        "STORED-1",
    ]


def test_the_database_refuses_a_concurrent_second_declaration_the_read_did_not_see(
    operator_a, monkeypatch
):
    """Two declarations of one parcel posted at the same instant both pass the read before the
    write; the constraint refuses the second, and the answer is the same 409."""
    assert operator_a.post("/api/v1/declarations", _body("RACE-1")).status_code == 201
    monkeypatch.setattr(intake, "_one_per_document", lambda operator, fresh, outcomes: fresh)

    (outcome,) = intake.declarations_submit(operator=operator_a.operator, bodies=[_body("RACE-2")])

    assert outcome.status == 409
    assert [(e.pointer, e.code) for e in outcome.errors] == [
        ("/transport_document/number", "transport_document_declared")
    ]
    assert not Declaration.objects.filter(lrn="RACE-2").exists()


def test_the_constraint_holds_whatever_writes_the_row(operator_a):
    stored = operator_a.post("/api/v1/declarations", _body("ROW-1")).json()
    row = Declaration.objects.get(pk=stored["id"])
    row.pk = None
    row.lrn = "ROW-2"

    with pytest.raises(IntegrityError), transaction.atomic():
        row.save(force_insert=True)
