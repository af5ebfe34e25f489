"""Customs' holds follow the goods, not the declaration: an operator who invalidates a declaration
customs asked documents for, found something on or flagged for four eyes, and declares the same
goods again (same transport document, a new lrn), gets the same hold on the new declaration
(docs/lifecycle.md, guards `documents_request_open`, `finding_open`, `four_eyes`). Invalidation
itself is refused while customs awaits the documents it asked for (UCC art. 174)."""

from __future__ import annotations

import pytest

from declarations import lifecycle
from declarations.models import Declaration, Status, StatusEvent
from declarations.services import declaration_amend, declaration_invalidate, declarations_submit
from declarations.services.amendments import IntakeRefused
from risk.guards import four_eyes_hits
from risk.services.outcomes import outcome_record
from tests.lifecycle_helpers import arrive, end_claim, pay_at_border, request_documents

pytestmark = pytest.mark.django_db


def _body(example: dict, *, lrn: str | None = None, description: str | None = None) -> dict:
    body = dict(example)
    body["items"] = [dict(item) for item in example["items"]]
    if lrn is not None:
        body["lrn"] = lrn
    if description is not None:
        body["items"][0]["description"] = description
    return body


def _submit(operator_a, body, capture) -> Declaration:
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_a.operator, bodies=[body])[0]
    return Declaration.objects.get(pk=outcome.declaration.pk)


def test_no_invalidation_while_customs_awaits_the_documents_it_asked_for(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    first = _submit(operator_a, example, django_capture_on_commit_callbacks)
    request_documents(first.pk, customs_user("officer"))
    with pytest.raises(IntakeRefused) as refused:
        declaration_invalidate(
            operator=operator_a.operator, declaration_id=first.pk, reason="not shipped"
        )
    assert refused.value.code == "invalidation_not_allowed"
    assert Declaration.objects.get(pk=first.pk).status == Status.DOCUMENTS_REQUESTED


def test_a_documents_request_follows_the_goods_into_a_new_declaration(
    operator_a, operator_b, example, customs_user, django_capture_on_commit_callbacks
):
    """The operator can neither withdraw the declaration customs asked documents for nor declare
    the goods again while it is open (409 `transport_document_declared`); another declarant of
    the same goods (a carrier) meets the request on its own declaration."""
    capture = django_capture_on_commit_callbacks
    first = _submit(operator_a, example, capture)
    officer = customs_user("officer")
    request_documents(first.pk, officer)
    end_claim(first.pk, customs_user("supervisor"))
    # The operator amends (the request stands), then withdraws the amended declaration...
    with capture(execute=True):
        status, _d, problems = declaration_amend(
            operator=operator_a.operator,
            declaration_id=first.pk,
            body=_body(example, description=example["items"][0]["description"] + " (new)"),
        )
    assert status == 200, problems
    # ... cannot withdraw it since customs asked for documents, even back at `assessed` (UCC art.
    # 174(2))...
    assert Declaration.objects.get(pk=first.pk).status == Status.ASSESSED
    with pytest.raises(IntakeRefused) as refused:
        declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="x")
    assert refused.value.code == "invalidation_not_allowed"
    # ... nor declare the same goods again under a new lrn while the first is open...
    again = _body(example, lrn="MKT-2026-11-000999")
    with capture(execute=True):
        (refused_again,) = declarations_submit(operator=operator_a.operator, bodies=[again])
    assert refused_again.status == 409
    assert [p.code for p in refused_again.errors] == ["transport_document_declared"]
    assert not Declaration.objects.filter(lrn="MKT-2026-11-000999").exists()
    # ... and when another declarant declares the same goods: green, not asked for anything.
    with capture(execute=True):
        (theirs,) = declarations_submit(operator=operator_b.operator, bodies=[again])
    second = Declaration.objects.get(pk=theirs.declaration.pk)
    assert second.channel == "green" and second.status == Status.ASSESSED
    pay_at_border(second.pk)
    arrived = arrive(second.pk)
    assert arrived.status == Status.DOCUMENTS_REQUESTED
    last = StatusEvent.objects.filter(declaration_id=second.pk).latest("id")
    # The carrier reads that documents are requested, not which ones customs asked the first
    # declarant for (a request made to another declarant is not shown to it).
    assert last.public_reason == "documents requested"
    assert "documents_request_open" in last.note
    # The officer decides on the new declaration.
    lifecycle.claim(declaration_id=second.pk, user=officer)
    released = lifecycle.perform(
        declaration_id=second.pk, code="release", user=officer, reason="invoice checked"
    )
    assert released.status == Status.RELEASED


def test_a_finding_follows_the_goods_into_a_new_declaration(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _submit(operator_a, example, capture)
    officer = customs_user("officer")
    lifecycle.claim(declaration_id=first.pk, user=officer)
    outcome_record(declaration_id=first.pk, officer=officer, result="misdescription")
    end_claim(first.pk, customs_user("supervisor"))
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="oops")
    second = _submit(operator_a, _body(example, lrn="MKT-2026-11-000998"), capture)
    assert second.channel == "green"
    pay_at_border(second.pk)
    arrived = arrive(second.pk)
    assert arrived.status == Status.INSPECTION
    assert "finding_open" in StatusEvent.objects.filter(declaration_id=second.pk).latest("id").note


def test_a_four_eyes_hit_follows_the_goods_into_a_new_declaration(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _submit(
        operator_a, _body(example, description="Carved elephant ivory figurine"), capture
    )
    assert four_eyes_hits([first]) == {first.pk: {"prohibited_goods_keyword"}}
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="oops")
    # The same parcel, declared again with other words.
    second = _submit(
        operator_a,
        _body(example, lrn="MKT-2026-11-000997", description="Carved wooden figurine"),
        capture,
    )
    assert second.channel == "green"
    assert four_eyes_hits([second]) == {second.pk: {"prohibited_goods_keyword"}}
    pay_at_border(second.pk)
    assert arrive(second.pk).status == Status.INSPECTION
    officer, supervisor = customs_user("officer"), customs_user("supervisor")
    lifecycle.claim(declaration_id=second.pk, user=officer)
    outcome_record(declaration_id=second.pk, officer=officer, result="compliant")
    codes = {
        r.code
        for r in lifecycle.action_refusals(
            Declaration.objects.get(pk=second.pk), "release", officer
        )
    }
    assert "four_eyes" in codes
    lifecycle.claim(declaration_id=second.pk, user=supervisor, take_over=True)
    released = lifecycle.perform(
        declaration_id=second.pk, code="release", user=supervisor, reason="wooden, checked"
    )
    assert released.status == Status.RELEASED


def test_other_goods_and_other_operators_are_not_held(
    operator_a, operator_b, example, customs_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _submit(
        operator_a, _body(example, description="Carved elephant ivory figurine"), capture
    )
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="oops")
    other = dict(_body(example, lrn="MKT-2026-11-000996"))
    other["transport_document"] = {**example["transport_document"], "number": "9999999999"}
    parcel = _submit(operator_a, other, capture)
    assert four_eyes_hits([parcel]) == {}
    pay_at_border(parcel.pk)
    assert arrive(parcel.pk).status == Status.RELEASED


def test_the_same_goods_declared_by_another_operator_are_held_too(
    operator_a, operator_b, example, customs_user, django_capture_on_commit_callbacks
):
    """A carrier (or any other declarant) declaring the parcel an operator withdrew, under the same
    transport document written another way, meets the same hold: the goods, not the declarant,
    carry it."""
    capture = django_capture_on_commit_callbacks
    first = _submit(
        operator_a, _body(example, description="Carved elephant ivory figurine"), capture
    )
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="oops")
    body = _body(example, description="Wooden figurine")
    number = example["transport_document"]["number"]
    body["transport_document"] = {
        **example["transport_document"],
        "number": f" {number[:3]}-{number[3:]} ".lower(),
    }
    with capture(execute=True):
        theirs = declarations_submit(operator=operator_b.operator, bodies=[body])[0]
    parcel = Declaration.objects.get(pk=theirs.declaration.pk)
    assert parcel.channel == "green"
    assert four_eyes_hits([parcel]) == {parcel.pk: {"prohibited_goods_keyword"}}
    pay_at_border(parcel.pk)
    assert arrive(parcel.pk).status == Status.INSPECTION


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("zx-123 456/789", "house_waybill"),  # separators, lower case
        ("ZX.123456789", "master_waybill"),  # another type, the same number
        ("ZX123456789", "master_waybill"),  # the parcel's number declared as a master waybill
        ("ZXI23456789", "house_waybill"),  # the letter I for the digit 1
    ],
)
def test_the_same_number_written_otherwise_is_the_same_goods(
    operator_a, example, number, kind, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _body(example, description="Carved elephant ivory figurine")
    first["transport_document"] = {"type": "house_waybill", "number": "ZX123456789"}
    held = _submit(operator_a, first, capture)
    declaration_invalidate(operator=operator_a.operator, declaration_id=held.pk, reason="oops")
    again = _body(example, lrn="MKT-2026-11-000995", description="Wooden figurine")
    again["transport_document"] = {"type": kind, "number": number}
    parcel = _submit(operator_a, again, capture)
    assert four_eyes_hits([parcel]) == {parcel.pk: {"prohibited_goods_keyword"}}


def test_two_master_waybills_of_one_number_are_the_same_goods(
    operator_a, operator_b, example, django_capture_on_commit_callbacks
):
    """Nothing confirms that a master waybill declared as a consignment's transport document
    covers several: a seizure or a four-eyes hit on one holds every declaration naming it."""
    capture = django_capture_on_commit_callbacks
    first = _body(example, description="Carved elephant ivory figurine")
    first["transport_document"] = {"type": "master_waybill", "number": "176-12345675"}
    held = _submit(operator_a, first, capture)
    declaration_invalidate(operator=operator_a.operator, declaration_id=held.pk, reason="oops")
    other = _body(example, lrn="MKT-2026-11-000994", description="Wooden figurine")
    other["transport_document"] = {"type": "master_waybill", "number": "176 12345675"}
    with capture(execute=True):
        theirs = declarations_submit(operator=operator_b.operator, bodies=[other])[0]
    parcel = Declaration.objects.get(pk=theirs.declaration.pk)
    assert four_eyes_hits([parcel]) == {parcel.pk: {"prohibited_goods_keyword"}}


@pytest.mark.parametrize(
    "number",
    ["ZX–123456789", "ZX123\u200b456789", "ＺＸ１２３４５６７８９", "ZХ123456789", "YIC\u13aa10"],
)
def test_a_transport_document_number_in_other_characters_is_refused(operator_a, example, number):
    body = _body(example, lrn="MKT-2026-11-000993")
    body["transport_document"] = {"type": "house_waybill", "number": number}
    answer = operator_a.post("/api/v1/declarations", body)
    assert answer.status_code == 422, answer.content
    (error,) = answer.json()["errors"]
    assert error == {**error, "pointer": "/transport_document/number"}
    assert error["code"] == "document_number_invalid"


def test_one_guard_run_reads_the_declarations_of_the_same_goods_once(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    """Five release guards ask which declarations share the goods; within one run the answer is
    read from the database once (and the holds it feeds still hold)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    capture = django_capture_on_commit_callbacks
    first = _submit(
        operator_a, _body(example, description="Carved elephant ivory figurine"), capture
    )
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="oops")
    parcel = _submit(
        operator_a, _body(example, lrn="MKT-2026-11-000995", description="Figurine"), capture
    )
    with CaptureQueriesContext(connection) as queries:
        refusals = lifecycle.guard_refusals(
            [parcel], Status.RELEASED, lifecycle.GuardContext(None, "arrival")
        )
    reads = [q["sql"] for q in queries if "transport_document_key" in q["sql"]]
    assert len(reads) == 1
    assert "four_eyes" in {r.code for r in refusals[parcel.pk]}
    # Outside a guard run nothing is remembered: a later question reads the rows again.
    with CaptureQueriesContext(connection) as queries:
        lifecycle.same_goods([parcel])
        lifecycle.same_goods([parcel])
    assert len([q for q in queries if "transport_document_key" in q["sql"]]) == 2


def _house_under_master(example, *, lrn=None, description=None):
    body = _body(example, lrn=lrn, description=description)
    body["transport_document"] = {"type": "house_waybill", "number": "ZX123456789"}
    body["master_transport_document"] = {"type": "master_waybill", "number": "176-12345675"}
    return body


def test_a_declaration_under_the_master_waybill_carries_the_holds_of_its_house_waybills(
    operator_a, example, django_capture_on_commit_callbacks
):
    """A parcel travelling under a house waybill of a consolidation is among the goods of a
    declaration naming the consolidation's master waybill as its transport document: the parcel's
    four-eyes hit holds that declaration too, which is not released on arrival."""
    capture = django_capture_on_commit_callbacks
    held = _submit(
        operator_a,
        _house_under_master(example, description="Carved elephant ivory figurine"),
        capture,
    )
    assert four_eyes_hits([held]) == {held.pk: {"prohibited_goods_keyword"}}
    whole = _body(example, lrn="MKT-2026-11-000992", description="Wooden figurine")
    whole["transport_document"] = {"type": "master_waybill", "number": "176 12345675"}
    master = _submit(operator_a, whole, capture)
    assert master.channel == "green"
    assert four_eyes_hits([master]) == {master.pk: {"prohibited_goods_keyword"}}
    pay_at_border(master.pk)
    assert arrive(master.pk).status == Status.INSPECTION


def test_a_house_waybill_under_a_held_master_declaration_is_held_too(
    operator_a, operator_b, example, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    whole = _body(example, description="Carved elephant ivory figurine")
    whole["transport_document"] = {"type": "master_waybill", "number": "176-12345675"}
    held = _submit(operator_a, whole, capture)
    assert four_eyes_hits([held]) == {held.pk: {"prohibited_goods_keyword"}}
    with capture(execute=True):
        (outcome,) = declarations_submit(
            operator=operator_b.operator,
            bodies=[_house_under_master(example, lrn="MKT-2026-11-000991", description="Shirt")],
        )
    parcel = Declaration.objects.get(pk=outcome.declaration.pk)
    assert four_eyes_hits([parcel]) == {parcel.pk: {"prohibited_goods_keyword"}}


def test_two_house_waybills_of_one_master_are_not_the_same_goods(
    operator_a, example, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _submit(operator_a, _house_under_master(example, description="Carved elephant ivory"), capture)
    neighbour = _house_under_master(example, lrn="MKT-2026-11-000990", description="Shirt")
    neighbour["transport_document"] = {"type": "house_waybill", "number": "ZX987654321"}
    parcel = _submit(operator_a, neighbour, capture)
    assert four_eyes_hits([parcel]) == {}


def test_an_amendment_keeps_the_master_waybill(
    operator_a, example, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    parcel = _submit(operator_a, _house_under_master(example, description="Shirt"), capture)
    body = _house_under_master(example, description="Shirt")
    body["master_transport_document"] = {"type": "master_waybill", "number": "176-99999996"}
    with pytest.raises(IntakeRefused) as refused:
        declaration_amend(operator=operator_a.operator, declaration_id=parcel.pk, body=body)
    (problem,) = refused.value.problems
    assert problem.pointer == "/master_transport_document/number"
    assert problem.code == "amendment_not_allowed"
