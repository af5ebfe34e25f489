"""Regime administration in the browser: dated versions, audit, CSV tariff import, permissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customs_ecom.platform.models import AuditEvent
from revenue.models import Regime, TaxAssessment
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def _current_fr_regime() -> Regime:
    today = timezone.localdate()
    return (
        Regime.objects.filter(jurisdiction="FR", valid_from__lte=today)
        .order_by("-valid_from", "-version")
        .first()
    )


def _vat_line(declaration) -> tuple[Decimal, str]:
    assessment = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    line = assessment.lines.get(tax_type="vat")
    return line.rate, assessment.regime.version


def _shipped_page(client, code: str, language: str | None = None) -> str:
    """The page of a shipped regime (version 1), in ``language`` (the default one if None)."""
    regime = Regime.objects.get(code=code, version=1)
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(reverse("revenue:regime", args=[regime.pk]), **headers).content.decode()


def test_regimes_list_readable_by_officers_with_sample_labels(client, customs_user):
    client.force_login(customs_user("officer"))
    response = client.get(reverse("revenue:regimes"))
    assert response.status_code == 200
    assert b"EU-FR-2026" in response.content and b"sample rates" in response.content
    regime = _current_fr_regime()
    assert client.get(reverse("revenue:regime", args=[regime.pk])).status_code == 200
    assert client.get(reverse("revenue:regime_edit", args=[regime.pk])).status_code == 403
    response = client.post(
        reverse("revenue:regime_rate", args=[regime.pk]),
        {"table": "duty_rates", "hs_prefix": "6109", "rate": "5%", "reason": "x"},
    )
    assert response.status_code == 403


def test_rate_changed_with_effective_date_applies_to_declarations_received_from_that_day(
    client, customs_user, operator_b
):
    regime = _current_fr_regime()
    before_change = submit(operator_b.operator, [border_body("BEFORE-1")])[0]
    assert _vat_line(before_change) == (Decimal("0.2"), 1)

    client.force_login(customs_user("administrator"))
    effective = timezone.localdate() + timedelta(days=10)
    response = client.post(
        reverse("revenue:regime_rate", args=[regime.pk]),
        {
            "table": "vat_reduced_rates",
            "hs_prefix": "6109",
            "rate": "10%",
            "effective_from": effective.isoformat(),
            "reason": "Finance act 2027, art. 12",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Regime.objects.get(code=regime.code, version=2)
    regime.refresh_from_db()
    assert regime.valid_to == effective - timedelta(days=1)
    assert new.valid_from == effective and new.created_by.username == "administrator"

    received_today = submit(operator_b.operator, [border_body("TODAY-1")])[0]
    received_after = submit(
        operator_b.operator, [border_body("AFTER-1")], received_days_from_today=11
    )[0]
    received_on_eve = submit(
        operator_b.operator, [border_body("EVE-1")], received_days_from_today=9
    )[0]
    assert _vat_line(received_after) == (Decimal("0.1"), 2)
    assert _vat_line(received_today) == (Decimal("0.2"), 1)
    assert _vat_line(received_on_eve) == (Decimal("0.2"), 1)
    # The assessment made before the change keeps its version and its amounts.
    assert _vat_line(before_change) == (Decimal("0.2"), 1)

    audit = AuditEvent.objects.get(action="regime.new_version")
    assert audit.actor.username == "administrator"
    assert audit.reason == "Finance act 2027, art. 12"
    before = audit.before["vat_reduced_rates"]
    assert {prefix: before[prefix] for prefix in ("4901", "4903", "4902", "97", "09", "1806")} == {
        "4901": "0.055",
        "4903": "0.055",
        "4902": "0.021",
        "97": "0.055",
        "09": "0.055",  # food (CGI art. 278-0 bis A)
        "1806": "0.20",  # chocolate: an excepted item
    }
    assert "6109" not in before
    assert audit.after["vat_reduced_rates"]["6109"] == "0.1"
    assert audit.after["valid_from"] == effective.isoformat()


def test_effective_date_in_the_past_is_a_field_error(client, customs_user):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    response = client.post(
        reverse("revenue:regime_rate", args=[regime.pk]),
        {
            "table": "duty_rates",
            "hs_prefix": "6109",
            "rate": "5%",
            "effective_from": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "reason": "backdated",
        },
    )
    assert response.status_code == 422
    assert "cannot be in the past" in response.content.decode()
    assert Regime.objects.filter(code=regime.code).count() == 1


def test_parameters_form_records_only_what_changed(client, customs_user):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    page = client.get(reverse("revenue:regime_edit", args=[regime.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "effective_from": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "reason": "new fee",
            "fee_per_declaration": "2.00",
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(reverse("revenue:regime_edit", args=[regime.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    audit = AuditEvent.objects.get(action="regime.new_version")
    changed = set(audit.after) - {"code", "version", "valid_from", "previous_valid_to"}
    assert changed == {"fee_per_declaration"}
    assert audit.before["fee_per_declaration"] == "0.00"
    assert audit.after["fee_per_declaration"] == "2.00"


@pytest.mark.parametrize(
    "field, value", [("fee_per_line", "1e30"), ("duty_threshold", "100000000000")]
)
def test_an_amount_too_large_for_the_assessments_is_a_field_error(
    client, customs_user, field, value
):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    form = client.get(reverse("revenue:regime_edit", args=[regime.pk])).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "effective_from": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "reason": "typo",
            field: value,
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(reverse("revenue:regime_edit", args=[regime.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == ["At most 99,999,999,999.9999."]
    assert Regime.objects.filter(code=regime.code).count() == 1
    french = client.post(
        reverse("revenue:regime_edit", args=[regime.pk]), data, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert french.context["form"].errors[field][0].startswith("Au plus 99")


def _csv(text: str, name: str = "tariff.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_tariff_csv_with_faulty_rows_loads_nothing_and_lists_each_error(client, customs_user):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    response = client.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": _csv(
                "hs_prefix,rate,description\n6109,12%,T-shirts\n61X,5%,bad\n6110,150%,too high\n"
                "6109,3%,twice\n"
            ),
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "reason": "TARIC extract",
            "replace": "on",
        },
    )
    assert response.status_code == 422
    errors = [(e.row, e.column) for e in response.context["row_errors"]]
    assert errors == [(3, "hs_prefix"), (4, "rate"), (5, "hs_prefix")]
    assert Regime.objects.filter(code=regime.code).count() == 1


@pytest.mark.usefixtures("csv_default_field_limit")
def test_tariff_csv_extra_field_or_oversized_cell_is_a_row_error_not_a_server_error(
    client, customs_user
):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    text = 'hs_prefix,rate\n6109,5%,12\n6110,4%\n6111,"' + "x" * 200_000 + '"\n'
    response = client.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": _csv(text),
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "reason": "TARIC extract",
        },
    )
    assert response.status_code == 422
    errors = [(e.row, e.column) for e in response.context["row_errors"]]
    assert errors == [(2, ""), (4, "")]
    assert Regime.objects.filter(code=regime.code).count() == 1


def test_tariff_csv_import_makes_a_version_without_sample_label(client, customs_user):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    response = client.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": _csv(
                "hs_prefix,rate,description\n61,12%,Knitted apparel\n610910,0.096,T-shirts\n"
            ),
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "reason": "TARIC extract",
            "replace": "on",
        },
    )
    assert response.status_code == 302
    new = Regime.objects.get(code=regime.code, version=2)
    assert new.spec["duty_rates"] == {"61": "0.12", "610910": "0.096"}
    assert new.spec["sample_rates"] is False
    assert new.spec["duty_rate_descriptions"]["610910"] == "T-shirts"
    page = client.get(reverse("revenue:regime", args=[new.pk]))
    assert b'id="sample-label"' not in page.content and b"T-shirts" in page.content


def test_regime_page_shows_each_rule_with_its_legal_source(client, customs_user):
    client.force_login(customs_user("auditor"))
    listing = client.get(reverse("revenue:regimes")).content.decode()
    for code in ("EU-DE-2026", "EU-IE-2021", "CH-2024", "NZ-2019", "CA-2020", "US-2027"):
        assert code in listing
    assert "Europe/Berlin" in listing and "Umsatzsteuergesetz § 12(1)" in listing
    page = _shipped_page(client, "EU-DE-2026")
    assert "Rules and their legal sources" in page
    for source in (
        "Umsatzsteuergesetz § 12(1)",  # standard rate
        "Umsatzsteuergesetz § 12(2) Nr. 1",  # books
        "Council Regulation (EU) 2026/382",  # flat duty
        "Reg. (EU) 952/2013 art. 77(3)",  # the declarant owes the duty
        "Reg. (EC) 1186/2009 art. 25",  # gift relief
    ):
        assert source in page, source
    page = _shipped_page(client, "CA-2020")
    assert "Courier Imports Remission Order (SOR/85-182)" in page and "US, MX" in page


def test_new_revenue_pages_speak_french(client, customs_user):
    client.force_login(customs_user("officer"))
    assert "Règles et leurs sources juridiques" in _shipped_page(client, "EU-FR-2026", "fr")
    page = client.get(reverse("revenue:verification"), HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert "Déclarations qui ne peuvent pas être liquidées" in html
    assert "0 liquidation en vigueur a utilisé un taux de change" in html
    page = client.get(reverse("revenue:estimate"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Un cadeau d&#x27;un particulier" in page.content.decode()


def test_regime_rules_write_figures_and_the_exchange_rate_rule_as_the_reader_does(
    client, customs_user
):
    """The rules table reads "2,5 %" in French (it read "2.5%"), and names the exchange-rate rule
    in words beside its code."""
    client.force_login(customs_user("auditor"))
    english = _shipped_page(client, "EU-AT-2021")
    assert "<td>2.5% (≤ EUR 700)</td>" in english and "<td>20%</td>" in english
    assert "EU customs rate of the month (eu_monthly_customs)" in english
    french = _shipped_page(client, "EU-AT-2021", "fr")
    assert "<td>2,5\u00a0% (≤ EUR 700)</td>" in french and "<td>20\u00a0%</td>" in french
    assert "taux douanier de l&#x27;UE du mois (eu_monthly_customs)" in french


def test_regime_page_shows_national_fees_with_their_act_in_both_languages(client, customs_user):
    client.force_login(customs_user("auditor"))
    page = _shipped_page(client, "NZ-2026-04")
    assert "Low-value goods levy" in page and "NZD 2.21" in page
    assert "billed to the declarant" in page and "plus GST" in page
    assert "Customs and Excise (Goods Management Levies) Order 2025" in page
    page = _shipped_page(client, "EU-FR-2026-03", "fr")
    assert "Taxe sur les petits colis" in page and "Loi n° 2026-103" in page
    assert "par sous-position SH distincte" in page and "due avec les taxes" in page


def test_regime_page_shows_whole_kroner_rounding_and_the_canadian_gift_rule(client, customs_user):
    client.force_login(customs_user("auditor"))
    page = _shipped_page(client, "NO-VOEC-2024")
    assert "Rounding of duty, tax and fee amounts" in page and "to 1.00\u00a0NOK" in page
    assert "Tolletaten, Eksempler på utregning" in page  # the rules table cites the source
    page = _shipped_page(client, "NO-VOEC-2024", "fr")
    assert "Arrondi des montants de droits, de taxes et de redevances" in page
    page = _shipped_page(client, "EU-DE-2026")
    assert "Rounding of duty, tax and fee amounts" not in page
    page = _shipped_page(client, "CA-2020")
    assert "9816.00.00" in page and "taxed on the value over the relief" in page


def test_regime_page_shows_swiss_five_centimes_and_the_us_postal_duty(client, customs_user):
    client.force_login(customs_user("auditor"))
    page = _shipped_page(client, "CH-2024")
    assert "Rounding of duty, tax and fee amounts" in page and "to 0.05\u00a0CHF" in page
    assert "CHF 62 at 8.1%" in page  # the BAZG figures the rounding rests on
    page = _shipped_page(client, "US-2026-10")
    assert "Postal items" in page and "duty by origin alone, no tariff duty" in page
    assert "Executive Order 14324 sec. 3(a)" in page and "BR: 50" in page
    page = _shipped_page(client, "US-2026-10", "fr")
    assert "Envois postaux" in page and "droit selon l&#x27;origine seul" in page


def test_regime_page_cites_the_exchange_rate_rule_of_each_jurisdiction(client, customs_user):
    client.force_login(customs_user("auditor"))
    for code, rule, source in (
        ("AU-2018", "export_day", "Customs Act 1901 s. 161J"),
        ("CA-2020", "export_day", "CBSA Memorandum D13-2-3"),
        ("NZ-2026-04", "nz_fortnightly", "Customs and Excise Act 2018 s. 434"),
    ):
        page = _shipped_page(client, code)
        assert rule in page and source in page, code


def test_regime_page_shows_the_us_origin_rules_of_2025_with_their_orders(client, customs_user):
    client.force_login(customs_user("auditor"))
    page = _shipped_page(client, "US-2025-05")
    assert "Thresholds for CN, HK" in page and "Executive Order 14256" in page
    assert "No duty by origin on" in page and "50 U.S.C. 1702(b)(3)" in page
    assert "1321(a)(2)(A)" in page and "19 CFR 159.32" in page
    page = _shipped_page(client, "US-2026-10", "fr")
    assert "Pas de droit selon l&#x27;origine sur" in page


def test_regime_page_shows_the_fee_of_a_us_formal_entry(client, customs_user):
    client.force_login(customs_user("auditor"))
    page = _shipped_page(client, "US-2026-10")
    assert "Fee of a formal entry, above USD 2500" in page
    assert "19 CFR 143.21(a)" in page and "670.86" in page
    page = _shipped_page(client, "US-2026-10", "fr")
    assert "Redevance d&#x27;une déclaration formelle" in page


def test_the_parameters_form_offers_rounding_modes_in_words_and_stores_their_codes(
    client, customs_user
):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    url = reverse("revenue:regime_edit", args=[regime.pk])
    english = client.get(url).content.decode()
    assert '<option value="ROUND_HALF_UP" selected>Half up</option>' in english
    assert '<option value="ROUND_HALF_EVEN">Half to even</option>' in english
    assert ">ROUND_" not in english
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<option value="ROUND_HALF_EVEN">Au plus proche, moitié vers le pair</option>' in french
    assert ">ROUND_" not in french

    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "effective_from": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "reason": "bankers' rounding",
            "rounding_mode": "ROUND_HALF_EVEN",
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    audit = AuditEvent.objects.get(action="regime.new_version")
    assert audit.after["rounding_mode"] == "ROUND_HALF_EVEN"


def test_the_currency_rule_of_a_regime_outside_the_euro_says_rate_once(client, customs_user):
    """Poland's amounts fixed in euro: "customs amounts at the EU customs rate of the month", not
    "at the rate of EU customs rate", and "au taux douanier", not "au taux de taux"."""
    client.force_login(customs_user("auditor"))
    english = _shipped_page(client, "EU-PL-2026")
    assert "customs amounts at the EU customs rate of the month (eu_monthly_customs)" in english
    assert "reliefs at the rate of the first working day of October" in english
    assert "rate of rate" not in english and "rate of EU" not in english
    french = _shipped_page(client, "EU-PL-2026", "fr")
    assert "montants douaniers au taux douanier de l&#x27;UE du mois" in french
    assert "franchises de taxe au taux du premier jour ouvré d&#x27;octobre" in french
    assert "taux de taux" not in french


def _parameters(client, url: str, **changes: str) -> dict[str, str]:
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {"effective_from": (timezone.localdate() + timedelta(days=3)).isoformat(), **changes}
    )
    return {k: ("" if v is None else v) for k, v in data.items()}


@pytest.mark.parametrize(
    "quantum, english, french",
    [
        ("0.037", "0.037 is not a rounding step", "0.037 n'est pas un pas d'arrondi"),
        ("0.003", "0.003 is not a rounding step", "0.003 n'est pas un pas d'arrondi"),
        ("0.25", "0.25 is not a rounding step", "0.25 n'est pas un pas d'arrondi"),
        ("1000", "1000 is not a rounding step", "1000 n'est pas un pas d'arrondi"),
        ("0.005", "finer than the smallest unit of EUR (0.01)", "plus fin que la plus petite"),
        ("0.050", "Write the rounding step 0.050 as 0.05.", "Écrivez le pas d'arrondi 0.050"),
        ("abc", "abc is not a rounding step", "abc n'est pas un pas d'arrondi"),
    ],
)
def test_a_rounding_quantum_that_is_no_step_of_the_currency_is_a_field_error(
    client, customs_user, quantum, english, french
):
    """Administrations round to 1 or 5 times a power of ten of their currency (0.01, 0.05, 1,
    10), never to 0.037 nor below the cent: anything else is refused at the field, in both
    languages, and no version is made."""
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    url = reverse("revenue:regime_edit", args=[regime.pk])
    data = _parameters(client, url, reason="typo", rounding_quantum=quantum)
    response = client.post(url, data)
    assert response.status_code == 200
    assert english in response.context["form"].errors["rounding_quantum"][0]
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="fr")
    assert french in response.context["form"].errors["rounding_quantum"][0]
    assert "1 ou 5 fois une puissance de dix" in response.content.decode()
    assert Regime.objects.filter(code=regime.code).count() == 1
    assert not AuditEvent.objects.filter(action="regime.new_version").exists()


@pytest.mark.parametrize("quantum", ["0.05", "0.1", "1", "10"])
def test_a_rounding_quantum_of_a_nice_step_makes_an_audited_version(client, customs_user, quantum):
    regime = _current_fr_regime()
    client.force_login(customs_user("administrator"))
    url = reverse("revenue:regime_edit", args=[regime.pk])
    response = client.post(url, _parameters(client, url, reason="decree", rounding_quantum=quantum))
    assert response.status_code == 302, response.context["form"].errors
    audit = AuditEvent.objects.get(action="regime.new_version")
    assert (audit.before["rounding_quantum"], audit.after["rounding_quantum"]) == ("0.01", quantum)
    assert audit.reason == "decree" and audit.actor_id is not None


def test_the_service_and_a_regime_file_refuse_a_quantum_that_is_no_step(customs_user, tmp_path):
    """The same rule on every path that sets a quantum: the service the pages call (at the
    field) and a regimes file. A version stored before the rule is still read as it was."""
    import json

    from revenue.regimes import RegimeSpec, load_regimes, load_shipped_regimes
    from revenue.services.regimes import RegimeChangeError, regime_new_version, spec_of

    regime = _current_fr_regime()
    for name in ("rounding_quantum", "tax_rounding_quantum"):
        with pytest.raises(RegimeChangeError) as caught:
            regime_new_version(
                regime_id=regime.pk,
                changes={name: "0.037"},
                effective_from=timezone.localdate() + timedelta(days=3),
                actor=customs_user("administrator"),
                reason="typo",
            )
        assert caught.value.field == name
    spec = next(s for s in load_shipped_regimes() if s.code == "CH-2024").to_dict()
    path = tmp_path / "regimes.json"
    for name, quantum in [
        ("tax_rounding_quantum", "0.037"),
        ("tax_rounding_quantum", "0.005"),
        ("rounding_quantum", "0.001"),
        ("rounding_quantum", "0.010"),
    ]:
        path.write_text(json.dumps({"regimes": [{**spec, name: quantum}]}), encoding="utf-8")
        with pytest.raises(ValueError, match=name):
            load_regimes(path)
    path.write_text(json.dumps({"regimes": [{**spec, "tax_rounding_quantum": "0.1"}]}))
    assert load_regimes(path)[0].tax_rounding_quantum == "0.1"
    # Stored before the rule: read back and assessed as it was, only a new setting is refused.
    Regime.objects.filter(pk=regime.pk).update(spec={**regime.spec, "rounding_quantum": "0.02"})
    regime.refresh_from_db()
    assert spec_of(regime).rounding_quantum == "0.02"
    assert RegimeSpec.from_dict({**spec, "rounding_quantum": "0.02"}).rounding_quantum == "0.02"
