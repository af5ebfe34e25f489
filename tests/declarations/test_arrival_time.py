"""`arrived_at` is the carrier's arrival time: stored as sent, refused in the future, and a second
report never moves the first arrival."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from declarations.models import Declaration
from declarations.services import declarations_submit


@pytest.fixture
def submitted(operator_a, example):
    return declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration


def _post(operator_a, body):
    return operator_a.client.post("/api/v1/arrivals", body, content_type="application/json")


@pytest.mark.django_db
def test_the_carriers_arrival_time_is_stored_as_sent(operator_a, submitted):
    sent = "2026-11-25T07:30:00+01:00"
    response = _post(
        operator_a,
        {"transport_documents": [submitted.transport_document_number], "arrived_at": sent},
    )
    assert response.status_code == 200, response.content
    arrived = Declaration.objects.get(pk=submitted.pk).arrived_at
    assert arrived == datetime.datetime.fromisoformat(sent)
    # A later report of the same goods keeps the first arrival.
    _post(
        operator_a,
        {
            "transport_documents": [submitted.transport_document_number],
            "arrived_at": "2026-11-25T08:45:00Z",
        },
    )
    assert Declaration.objects.get(pk=submitted.pk).arrived_at == arrived


@pytest.mark.django_db
def test_without_a_time_the_arrival_is_now(operator_a, submitted):
    before = timezone.now()
    _post(operator_a, {"transport_documents": [submitted.transport_document_number]})
    assert Declaration.objects.get(pk=submitted.pk).arrived_at >= before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value,code",
    [
        ("in-an-hour", "datetime_in_future"),
        ("2026-10-25T08:59:00Z", "datetime_too_old"),  # 30 days and a minute before now
        ("2020-01-01T00:00:00Z", "datetime_too_old"),
        ("2026-11-25T07:30:00", "datetime_timezone_required"),
        ("2026-11-25T07:30:00+15:00", "datetime_offset_invalid"),
        # 1899-12-31T10:00:00Z: the year is that of the instant in UTC.
        ("1900-01-01T00:00:00+14:00", "datetime_out_of_range"),
        ("2026-11-25T07:30:00.1234567+01:00", "datetime_invalid"),
        ("yesterday", "datetime_invalid"),
        (1764055800, "datetime_invalid"),
        # Digits in a string are not a date-time either (not a Unix time read as one).
        ("1795590000", "datetime_invalid"),
        ("1795590000.5", "datetime_invalid"),
    ],
)
def test_a_bad_arrival_time_is_a_precise_problem_and_changes_nothing(
    operator_a, submitted, value, code
):
    if value == "in-an-hour":
        value = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    response = _post(
        operator_a,
        {"transport_documents": [submitted.transport_document_number], "arrived_at": value},
    )
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("/arrived_at", code)]
    assert Declaration.objects.get(pk=submitted.pk).arrived_at is None


@pytest.mark.django_db
def test_an_arrival_report_is_audited_under_the_operator_and_so_are_the_moves_it_causes(
    operator_a, example, django_capture_on_commit_callbacks
):
    from customs_ecom.platform.models import AuditEvent
    from tests.lifecycle_helpers import pay_at_border

    with django_capture_on_commit_callbacks(execute=True):
        submitted = declarations_submit(operator=operator_a.operator, bodies=[example])[0]
    submitted = submitted.declaration
    pay_at_border(submitted.pk)
    _post(operator_a, {"transport_documents": [submitted.transport_document_number]})
    assert Declaration.objects.get(pk=submitted.pk).status == "released"
    label = f"operator {operator_a.operator.code} (API)"
    report = AuditEvent.objects.get(action="declaration.arrival")
    assert report.actor_label == label and report.actor_id is None
    assert report.after["declarations"] == [submitted.pk] and report.before == {"arrived_at": None}
    moved = AuditEvent.objects.filter(object_type="declaration", object_id=str(submitted.pk))
    assert moved.get(action="declaration.released").actor_label == label
    # A second report of the same goods stamps nothing and writes no new entry.
    _post(operator_a, {"transport_documents": [submitted.transport_document_number]})
    assert AuditEvent.objects.filter(action="declaration.arrival").count() == 1


@pytest.mark.django_db
def test_a_release_by_the_operators_payment_is_audited_under_the_operator(
    operator_a, example, django_capture_on_commit_callbacks
):
    """Arrived first and paid after: the payment the operator posted releases the goods, and the
    release names the operator, as the payment's own entry does (not "system")."""
    from customs_ecom.platform.models import AuditEvent
    from tests.lifecycle_helpers import pay_at_border

    with django_capture_on_commit_callbacks(execute=True):
        submitted = declarations_submit(operator=operator_a.operator, bodies=[example])[0]
    submitted = submitted.declaration
    _post(operator_a, {"transport_documents": [submitted.transport_document_number]})
    assert Declaration.objects.get(pk=submitted.pk).status != "released"
    pay_at_border(submitted.pk)
    assert Declaration.objects.get(pk=submitted.pk).status == "released"
    label = f"operator {operator_a.operator.code} (API)"
    release = AuditEvent.objects.get(
        object_type="declaration", object_id=str(submitted.pk), action="declaration.released"
    )
    assert release.actor_label == label and release.actor_id is None


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["", "   ", "-/.", "ＲＥＴ１", "12345\u200b6789"])
def test_an_arrival_naming_no_possible_transport_document_is_refused(operator_a, submitted, number):
    """A number no declaration can carry names nothing: the report is a mistake to say, not an
    arrival of nothing (and the consignment it sits beside does not arrive either)."""
    response = _post(
        operator_a, {"transport_documents": [submitted.transport_document_number, number]}
    )
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [
        ("/transport_documents/1", "document_number_invalid")
    ]
    assert Declaration.objects.get(pk=submitted.pk).arrived_at is None


@pytest.mark.django_db
def test_an_arrival_number_longer_than_a_manifest_lines_is_refused(operator_a, submitted):
    """A number of 10,000 characters is no transport document: refused as a manifest line's is,
    at its place in the list, and nothing arrives."""
    numbers = [submitted.transport_document_number, "A" * 65]
    response = _post(operator_a, {"transport_documents": numbers})
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [
        ("/transport_documents/1", "string_too_long")
    ]
    assert Declaration.objects.get(pk=submitted.pk).arrived_at is None
    spaced = " ".join(submitted.transport_document_number)  # the same letters, more separators
    assert len(spaced) <= 64
    assert _post(operator_a, {"transport_documents": [spaced]}).status_code == 200
