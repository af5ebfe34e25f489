"""Reference values and learned medians on the real database: loaded by migrate, replaced by an
administrator (audited), medians computed once by the beat task into a table, and a new
installation that holds a flagship smartphone declared at EUR 8."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customs_ecom.platform.models import AuditEvent
from declarations import selectors
from declarations.models import Declaration
from declarations.services import declarations_submit
from risk import valuation
from risk.models import LearnedValueMedian, ReferenceValue, RiskAssessment
from risk.reference import shipped_reference_values
from risk.tasks import refresh_value_medians
from tests.examples import example_for

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def fresh_caches():
    valuation._reference_cache.update(book=None, stamp=None)
    selectors._benchmarks_cache = None
    yield
    valuation._reference_cache.update(book=None, stamp=None)
    selectors._benchmarks_cache = None


def submit(operator_client, body, capture) -> Declaration:
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_client.operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


def phone_body(example, lrn: str, value: str, description: str = "Apple iPhone 16, 128 GB") -> dict:
    body = example_for(lrn, example)  # each parcel its own transport document
    del body["order"]["payment"]
    body["self_assessed_taxes"] = []
    body["items"] = [
        {
            "line": 1,
            "description": description,
            "hs_code": "851713",
            "quantity": 1,
            "value": value,
            "origin_country": "CN",
        }
    ]
    return body


def test_migrate_loads_the_shipped_reference_table():
    assert ReferenceValue.objects.count() == len(shipped_reference_values())
    row = ReferenceValue.objects.get(
        hs_code="851713", basis="per_unit", keywords=["iphone 16", "iphone16"]
    )
    assert row.value_eur == Decimal("869.00") and row.source.startswith("Apple France")


def test_new_installation_holds_a_flagship_smartphone_declared_at_eur_8(
    operator_a, example, django_capture_on_commit_callbacks
):
    assert not LearnedValueMedian.objects.exists()
    declaration = submit(
        operator_a, phone_body(example, "PHONE-8", "8.00"), django_capture_on_commit_callbacks
    )
    assessment = RiskAssessment.objects.get(declaration=declaration)
    assert assessment.channel in ("yellow", "red")
    hit = assessment.hits.get(rule_code="undervaluation")
    assert "reference value for 'iphone 16' is EUR 869 each" in hit.explanation


def test_a_phone_at_its_usual_price_stays_green(
    operator_a, example, django_capture_on_commit_callbacks
):
    declaration = submit(
        operator_a,
        phone_body(example, "PHONE-OK", "140.00", "Smartphone 64 GB"),
        django_capture_on_commit_callbacks,
    )
    assessment = RiskAssessment.objects.get(declaration=declaration)
    assert not assessment.hits.filter(rule_code="undervaluation").exists()


def test_administrator_replaces_the_table_audited_and_all_or_nothing(customs_user):
    admin = customs_user("administrator")
    text = (
        "hs_code,basis,keywords,value_eur,source,as_of,note\n"
        "851713,per_unit,,300,National valuation database export,2026-10-01,\n"
        "610910,per_kg,,20,National valuation database export,2026-10-01,\n"
    )
    result = valuation.reference_values_replace(text=text, actor=admin, reason="our own values")
    assert result.loaded == 2 and not result.errors
    assert ReferenceValue.objects.count() == 2
    event = AuditEvent.objects.get(action="risk.reference_values.replace")
    # Before and after are the rows themselves: an auditor reads what the replacement changed.
    shipped = shipped_reference_values()
    assert event.before["rows"] == len(shipped) == len(event.before["values"])
    assert {
        (v["hs_code"], v["basis"], Decimal(v["value_eur"])) for v in event.before["values"]
    } == {(v.hs_code, v.basis, v.value_eur) for v in shipped}
    assert event.after["rows"] == 2 and len(event.after["file_sha256"]) == 64
    assert {(v["hs_code"], v["value_eur"], v["as_of"]) for v in event.after["values"]} == {
        ("851713", "300", "2026-10-01"),
        ("610910", "20", "2026-10-01"),
    }
    assert valuation.reference_book().per_unit("851713", "any phone")[0].value_eur == Decimal("300")

    broken = text + "999,per_kg,,1,x,2026-10-01,\n"
    refused = valuation.reference_values_replace(text=broken, actor=admin)
    assert refused.errors == [(4, "hs_code", "'999' is not a 4- or 6-digit HS code")]
    assert ReferenceValue.objects.count() == 2
    assert AuditEvent.objects.filter(action="risk.reference_values.replace").count() == 1


def test_beat_task_stores_medians_once_and_every_reader_uses_the_table(
    operator_a, example, django_capture_on_commit_callbacks
):
    for n in range(3):
        body = example_for(f"TEE-{n}", example)
        del body["order"]["payment"]
        body["self_assessed_taxes"] = []
        body["items"] = [
            {"line": 1, "description": "Women's cotton T-shirt", "hs_code": "610910", "quantity": 1,
             "value": "20.00", "net_mass_kg": "0.200", "origin_country": "CN"}
        ]  # fmt: skip
        submit(operator_a, body, django_capture_on_commit_callbacks)
    assert selectors.value_benchmarks() == {}  # nothing computed on the request path
    assert refresh_value_medians() == 3  # hs6, hs4, hs2
    stored = LearnedValueMedian.objects.get(prefix="610910")
    assert (stored.median_eur_per_kg, stored.samples, stored.level) == (Decimal("100.00"), 3, "hs6")
    selectors._benchmarks_cache = None
    assert selectors.value_benchmarks()["6109"].sample_size == 3
    assert refresh_value_medians() == 3  # replaced, not added to
    assert LearnedValueMedian.objects.count() == 3


def test_reference_page_lists_sources_and_only_an_administrator_replaces_the_table(customs_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    analyst = Client()
    analyst.force_login(customs_user("risk_analyst"))
    page = analyst.get("/risk/reference-values/").content.decode()
    assert "Apple France list price" in page and "iphone 16" in page
    assert 'id="reference-form"' not in page
    csv_file = SimpleUploadedFile(
        "ref.csv",
        b"hs_code,basis,keywords,value_eur,source,as_of,note\n"
        b"851713,per_unit,,300,National valuation database export,2026-10-01,\n",
    )
    assert (
        analyst.post("/risk/reference-values/", {"file": csv_file, "reason": "x"}).status_code
        == 403
    )

    admin = Client()
    admin.force_login(customs_user("administrator"))
    broken = SimpleUploadedFile(
        "ref.csv", b"hs_code,basis,value_eur,source,as_of\n12,per_kg,1,x,2026-01-01\n"
    )
    refused = admin.post(
        "/risk/reference-values/", {"file": broken, "reason": "ours"}
    ).content.decode()
    assert 'id="reference-errors"' in refused and "is not a 4- or 6-digit HS code" in refused
    csv_file.seek(0)
    answer = admin.post("/risk/reference-values/", {"file": csv_file, "reason": "our own values"})
    assert answer.status_code == 302
    assert list(ReferenceValue.objects.values_list("hs_code", "value_eur")) == [
        ("851713", Decimal("300.00"))
    ]
    french = admin.get("/risk/reference-values/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Remplacer la table" in french and "National valuation database export" in french
