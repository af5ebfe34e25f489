"""Reference data maintained by administrators (profile versions, official exchange rates) and the
value benchmarks learned from accepted history, on the real database."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customs_ecom.platform.models import AuditEvent
from declarations import selectors
from declarations.benchmarks import learned_value_benchmarks
from declarations.models import Declaration, ExchangeRate, Profile, QualityFinding
from declarations.rates import RateBook
from declarations.reference import invalidate_profile_cache
from risk.valuation import learned_medians_refresh
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Benchmarks and profiles are cached per process; a test's rows are rolled back after it."""
    selectors._benchmarks_cache = None
    invalidate_profile_cache()
    yield
    selectors._benchmarks_cache = None
    invalidate_profile_cache()


# --- profiles -----------------------------------------------------------------------------------


def test_published_profile_version_validates_new_declarations_and_old_ones_keep_theirs(
    operator_a, tmp_path
):
    first = operator_a.post("/api/v1/declarations", valid_declaration("eu-h7")).json()
    assert first["profile_version"] == 1
    spec = copy.deepcopy(Profile.objects.get(code="eu-h7", version=1).spec)
    spec["elements"]["/consignee/email"] = "M"  # the administration now requires an e-mail
    path = tmp_path / "eu-h7.json"
    path.write_text(json.dumps(spec))

    call_command("publish_profile", str(path), reason="e-mail needed for payment requests")

    assert Profile.objects.get(code="eu-h7", is_active=True).version == 2
    body = valid_declaration("eu-h7")
    body["lrn"] = "AFTER-V2"
    body["transport_document"]["number"] = "AFTERV20001"  # another parcel
    del body["consignee"]["email"]
    refused = operator_a.post("/api/v1/declarations", body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "pointer": "/consignee/email",
        "code": "required",
        "detail": refused.json()["errors"][0]["detail"],
    }
    body["consignee"]["email"] = "marie@example.org"
    accepted = operator_a.post("/api/v1/declarations", body).json()
    assert accepted["profile_version"] == 2
    assert operator_a.get(f"/api/v1/declarations/{first['id']}").json()["profile_version"] == 1
    assert Declaration.objects.get(pk=first["id"]).profile.version == 1
    audit = AuditEvent.objects.get(action="profile.publish")
    assert audit.before["version"] == 1 and audit.after["version"] == 2
    assert audit.reason == "e-mail needed for payment requests"


def test_invalid_profile_is_not_published(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"code": "eu-h7", "elements": {"/nonsense": "M"}, "rules": []}))
    with pytest.raises(CommandError, match="nonsense"):
        call_command("publish_profile", str(path), reason="test")
    assert Profile.objects.filter(code="eu-h7").count() == 1


@pytest.mark.parametrize("code", ["", "x" * 36, ["eu-h7"], "eu h7"])
def test_profile_code_a_declaration_cannot_name_is_refused(tmp_path, code):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"code": code, "elements": {}, "rules": []}))
    with pytest.raises(CommandError, match="the code must be 1 to 35"):
        call_command("publish_profile", str(path), reason="test")
    assert not Profile.objects.exclude(code__in=["wco-core", "eu-h7", "upu-cn23"]).exists()


# --- exchange rates -----------------------------------------------------------------------------


def test_official_rates_csv_is_loaded_audited_and_wins_over_ecb(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,valid_from,units_per_eur\nUSD,2026-11-01,1.2500\nGBP,2026-11-01,0.8\n"
    )
    call_command("load_exchange_rates", str(path), reason="November customs rates")
    assert ExchangeRate.objects.count() == 2
    assert RateBook()("USD", date(2026, 11, 20)) == Decimal("1.25")
    assert RateBook().to_eur(Decimal("125"), "USD", date(2026, 11, 20)) == Decimal("100.00")
    audit = AuditEvent.objects.get(action="exchange_rates.load")
    assert audit.after == {"GBP 2026-11-01": "0.800000", "USD 2026-11-01": "1.250000"}
    # Reloading the month with a corrected rate replaces it, with the old value audited.
    path.write_text("currency,valid_from,units_per_eur\nUSD,2026-11-01,1.2600\n")
    call_command("load_exchange_rates", str(path), reason="correction")
    assert ExchangeRate.objects.get(currency="USD").units_per_eur == Decimal("1.26")
    assert AuditEvent.objects.filter(action="exchange_rates.load").order_by("id").last().before == {
        "USD 2026-11-01": "1.250000"
    }


def test_rates_csv_with_bad_rows_loads_nothing_and_names_each_row(tmp_path, capsys):
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,valid_from,units_per_eur\n"
        "USD,2026-11-01,1.25\n"
        "XYZ,2026-11-01,2\n"
        "GBP,01/11/2026,0.8\n"
        "CHF,2026-11-01,-1\n"
        "USD,2026-11-01,1.3\n"
    )
    with pytest.raises(CommandError, match="4 row error"):
        call_command("load_exchange_rates", str(path), reason="x")
    err = capsys.readouterr().err
    assert "line 3 [currency]" in err and "line 4 [valid_from]" in err
    assert "line 5 [units_per_eur]" in err and "line 6 [valid_from]" in err
    assert not ExchangeRate.objects.exists()


def test_a_rate_far_from_the_one_in_use_needs_a_confirmation_and_zero_is_refused(client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from declarations.rates import RateBook

    in_use = RateBook()("USD", date(2026, 11, 18))
    assert in_use is not None
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)

    def upload(rate: str, **extra):
        body = f"currency,valid_from,units_per_eur\nUSD,2026-11-18,{rate}\n".encode()
        return client.post(
            "/admin/declarations/exchangerate/upload/",
            {"csv_file": SimpleUploadedFile("r.csv", body), "reason": "monthly", **extra},
        )

    slipped = in_use * 10  # a decimal point slipped
    page = upload(str(slipped))
    assert page.status_code == 200 and b"far from the rate in use" in page.content
    assert b"0.0000004" not in page.content
    assert b"rounds to 0" in upload("0.0000004").content
    assert not ExchangeRate.objects.exists()
    assert upload(str(slipped), confirm_unusual="on").status_code == 302
    audit = AuditEvent.objects.get(action="exchange_rates.load")
    assert audit.before == {"USD 2026-11-18": str(in_use)}  # the rate the day took before


def test_admin_uploads_rates_and_sees_row_errors(client, tmp_path):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)
    bad = SimpleUploadedFile("r.csv", b"currency,valid_from,units_per_eur\nUSD,2026-13-01,1\n")
    page = client.post(
        "/admin/declarations/exchangerate/upload/", {"csv_file": bad, "reason": "monthly"}
    )
    assert page.status_code == 200 and b"row-error" in page.content
    good = SimpleUploadedFile("r.csv", b"currency,valid_from,units_per_eur\nUSD,2026-12-01,1.1\n")
    done = client.post(
        "/admin/declarations/exchangerate/upload/", {"csv_file": good, "reason": "monthly"}
    )
    assert done.status_code == 302
    assert ExchangeRate.objects.get().units_per_eur == Decimal("1.1")
    assert AuditEvent.objects.get(action="exchange_rates.load").actor == admin


def test_admin_rate_upload_row_errors_read_in_french(client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)
    bad = SimpleUploadedFile(
        "r.csv", b"currency,valid_from,units_per_eur\nXYZ,2026-12-01,1\nUSD,2026-12-01,1,9\n"
    )
    page = client.post(
        "/admin/declarations/exchangerate/upload/",
        {"csv_file": bad, "reason": "mensuel"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    text = page.content.decode()
    assert "n&#x27;est pas une devise" in text or "n'est pas une devise" in text
    assert "plus de champs que de colonnes" in text
    assert not ExchangeRate.objects.exists()


# --- learned value benchmarks -------------------------------------------------------------------


def _store_history(operator_client, hs_code: str, count: int, value: str, mass: str, start=0):
    bodies = []
    for n in range(start, start + count):
        body = valid_declaration("eu-h7")
        body["lrn"] = f"H-{hs_code}-{n}"
        body["transport_document"]["number"] = f"HIST{hs_code}{n}"
        del body["order"]["payment"]
        body["items"] = [
            {
                "line": 1,
                "description": "Women's cotton T-shirt, knitted",
                "hs_code": hs_code,
                "quantity": 1,
                "value": value,
                "net_mass_kg": mass,
                "origin_country": "CN",
            }
        ]
        bodies.append(body)
    response = operator_client.post("/api/v1/declarations/batch", {"declarations": bodies})
    assert response.json()["accepted"] == count, response.json()


def test_benchmarks_are_medians_per_hs6_hs4_hs2_with_sample_sizes(operator_a):
    _store_history(operator_a, "610910", 3, "20.00", "0.200")  # 100 EUR/kg
    _store_history(operator_a, "610990", 2, "30.00", "0.100")  # 300 EUR/kg
    benchmarks = learned_value_benchmarks()
    assert benchmarks["610910"].median_eur_per_kg == Decimal("100.00")
    assert benchmarks["610910"].sample_size == 3 and benchmarks["610910"].level == "hs6"
    assert benchmarks["6109"].median_eur_per_kg == Decimal("100.00")
    assert benchmarks["6109"].sample_size == 5 and benchmarks["6109"].level == "hs4"
    assert benchmarks["61"].level == "hs2"


def test_invalidated_declarations_do_not_teach_benchmarks(operator_a):
    _store_history(operator_a, "610910", 2, "20.00", "0.200")
    Declaration.objects.update(status="invalidated")
    assert learned_value_benchmarks() == {}


def test_value_far_below_the_learned_benchmark_is_a_finding_at_intake(operator_a):
    _store_history(operator_a, "610910", 20, "20.00", "0.200")  # 100 EUR/kg, 20 samples
    learned_medians_refresh()  # the beat task, once for all processes
    selectors._benchmarks_cache = None
    body = valid_declaration("eu-h7")
    body["lrn"] = "CHEAP-1"
    del body["order"]["payment"]
    body["items"] = [
        {
            "line": 1,
            "description": "Women's cotton T-shirt, knitted",
            "hs_code": "610910",
            "quantity": 1,
            "value": "2.00",
            "net_mass_kg": "0.200",
            "origin_country": "CN",
        }
    ]
    created = operator_a.post("/api/v1/declarations", body).json()
    finding = QualityFinding.objects.get(declaration_id=created["id"], code="value_per_kg_low")
    assert finding.pointer == "/items/0/value"
    assert "median of 20 accepted" in finding.detail


def test_rates_csv_row_with_more_fields_than_the_header_is_a_row_error(tmp_path, capsys):
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,valid_from,units_per_eur\nUSD,2026-11-01,1.25,extra\nGBP,2026-11-01,0.8\n"
    )
    with pytest.raises(CommandError, match="1 row error"):
        call_command("load_exchange_rates", str(path), reason="x")
    assert "line 2 []: more fields than columns in the header" in capsys.readouterr().err
    assert not ExchangeRate.objects.exists()


@pytest.mark.usefixtures("csv_default_field_limit")
def test_rates_csv_cell_too_long_to_read_is_a_row_error(tmp_path, capsys):
    path = tmp_path / "rates.csv"
    path.write_text(
        'currency,valid_from,units_per_eur\nUSD,2026-11-01,1.25\nGBP,"' + "9" * 200_000 + '",1\n'
    )
    with pytest.raises(CommandError, match="1 row error"):
        call_command("load_exchange_rates", str(path), reason="x")
    assert "line 3 []: the file cannot be read here" in capsys.readouterr().err
    assert not ExchangeRate.objects.exists()
