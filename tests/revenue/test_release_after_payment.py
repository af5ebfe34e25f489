"""Consignee at the border (Standard 8): duties and taxes are collected before release, so a green
consignment that arrives unpaid waits, and the payment releases it."""

import pytest

from declarations.models import Declaration, Status
from declarations.services import arrivals_record, declarations_submit
from revenue.selectors import border_balance
from revenue.services.ledger import ledger_payment_record
from tests.revenue.helpers import border_body

pytestmark = pytest.mark.django_db


def test_green_consignment_under_border_model_is_released_only_once_paid(
    operator_b, django_capture_on_commit_callbacks
):
    body = border_body("PAY-FIRST-1")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(operator=operator_b.operator, bodies=[body])[0]
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assert declaration.status == Status.ASSESSED and declaration.channel in ("green", "blue")

    arrivals_record(
        operator=operator_b.operator, transport_documents=[declaration.transport_document_number]
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.ASSESSED and declaration.arrived_at is not None

    owed, paid, _ = border_balance(declaration.pk)
    assert owed > 0 and paid == 0
    ledger_payment_record(
        declaration_id=declaration.pk, amount=owed, currency="EUR", operator=operator_b.operator
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert (
        declaration.events.filter(to_status=Status.RELEASED).get().public_reason
        == "released: duties and taxes paid"
    )


def test_payment_before_arrival_does_not_release(operator_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("PAY-EARLY-1")]
        )[0]
    owed, _, _ = border_balance(outcome.declaration.pk)
    ledger_payment_record(declaration_id=outcome.declaration.pk, amount=owed, currency="EUR")
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assert declaration.status == Status.ASSESSED
    arrivals_record(
        operator=operator_b.operator, transport_documents=[declaration.transport_document_number]
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED


def test_a_claimed_consignment_is_not_released_by_its_payment(
    operator_b, customs_user, django_capture_on_commit_callbacks
):
    from declarations import lifecycle

    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("PAY-CLAIMED-1")]
        )[0]
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assert declaration.channel in ("green", "blue")
    lifecycle.claim(declaration_id=declaration.pk, user=customs_user("officer"))
    arrivals_record(
        operator=operator_b.operator, transport_documents=[declaration.transport_document_number]
    )
    owed, _, _ = border_balance(declaration.pk)
    ledger_payment_record(
        declaration_id=declaration.pk, amount=owed, currency="EUR", operator=operator_b.operator
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.ASSESSED  # the holder decides


def test_the_release_by_an_officers_payment_names_the_officer(
    operator_b, customs_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("PAY-OFFICER-1")]
        )[0]
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    arrivals_record(
        operator=operator_b.operator, transport_documents=[declaration.transport_document_number]
    )
    officer = customs_user("officer")
    owed, _, _ = border_balance(declaration.pk)
    ledger_payment_record(declaration_id=declaration.pk, amount=owed, currency="EUR", actor=officer)
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert declaration.events.get(to_status=Status.RELEASED).actor == officer
