"""Generated text in the reader's language: engines return a message id and parameters, pages
render it in English or French, the operator API stays English unless Accept-Language asks."""

from __future__ import annotations

import ast
import copy
import html
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from declarations.generated_text import LEGAL_PHRASES, legal_reason
from declarations.messages import Message, Seq, render
from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.models import RiskHit

ROOT = Path(__file__).resolve().parents[2]
ENGINES = (
    "declarations/quality.py",
    "risk/rules.py",
    "risk/watchlist.py",
    "risk/channels.py",
    # why a file import or a file check refuses a file, or a row of it
    "declarations/messages.py",
    "declarations/imports.py",
    "declarations/services/imports.py",
    "risk/reference.py",
    "risk/services/watchlists.py",
    "risk/watchlist_formats.py",
    "risk/watchlist_import.py",
)
# Separators and wrappers that read the same in French.
SAME_IN_FRENCH = {"%(details)s", ", ", "; "}


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def engine_message_ids() -> set[str]:
    """Every literal message id the engines build (Message("...") and Seq separators)."""
    found: set[str] = set()
    for path in ENGINES:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message":
                found.update(_literals(node.args[0]) if node.args else [])
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Seq":
                found.update(_literals(node.args[1]) if len(node.args) > 1 else [])
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "timing":
                found.update(_literals(node.value))
    return found


def test_a_message_is_its_english_text_and_keeps_its_id_and_parameters():
    inner = Message("line %(line)s %(description)s", line=2, description="'shoes'")
    message = Message("%(details)s: description too vague", details=Seq([inner, inner]))
    assert message == "line 2 'shoes'; line 2 'shoes': description too vague"
    assert message.msgid == "%(details)s: description too vague"
    assert render(message.as_json()) == str(message)


def test_every_engine_message_has_a_french_translation():
    ids = engine_message_ids()
    assert len(ids) > 50
    with translation.override("fr"):
        missing = sorted(
            i for i in ids - SAME_IN_FRENCH if translation.gettext(i) == i and i.strip()
        )
    assert missing == []


def test_every_legal_phrase_has_a_french_translation():
    with translation.override("fr"):
        missing = [p for p in LEGAL_PHRASES if translation.gettext(p) == p]
    assert missing == []


def test_french_placeholders_match_the_english_ones():
    import re

    placeholder = re.compile(r"%\(\w+\)s")
    with translation.override("fr"):
        for msgid in engine_message_ids():
            assert sorted(placeholder.findall(translation.gettext(msgid))) == sorted(
                placeholder.findall(msgid)
            ), msgid


def test_legal_reason_reads_french_and_keeps_amounts_and_citations():
    english = "VAT at 20% on goods value plus duty EUR 55.20 (Art. 85 Directive 2006/112/EC)"
    with translation.override("fr"):
        french = legal_reason(english)
    assert french == (
        "TVA à 20\u00a0% sur valeur des marchandises plus les droits 55,20\u00a0EUR "
        "(Art. 85 Directive 2006/112/EC)"
    )
    assert legal_reason(english) == english


def _submit(operator, example, capture, **changes) -> Declaration:
    body = copy.deepcopy(example)
    body.update(changes)
    with capture(execute=True):
        outcome = declarations_submit(operator=operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


@pytest.mark.django_db
def test_findings_and_hits_store_their_message_and_show_in_french(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    example["items"][0]["description"] = "gift"
    example["consignee"].pop("email", None)
    declaration = _submit(operator_a.operator, example, django_capture_on_commit_callbacks)
    findings = list(declaration.quality_findings.all())
    assert findings and all(f.message and f.message["id"] for f in findings)
    hits = list(RiskHit.objects.filter(assessment__declaration=declaration))
    assert hits and all(h.data.get("message") for h in hits)

    client = Client()
    client.force_login(customs_user("officer"))
    page = html.unescape(
        client.get(f"/consignments/{declaration.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    for finding in findings:
        assert finding.detail not in page
        with translation.override("fr"):
            assert render(finding.message, translation.gettext) in page
    assert "does not identify the goods" not in page
    assert "n'identifie pas les marchandises" in page


@pytest.mark.django_db
def test_operator_api_answers_english_unless_asked_for_french(
    operator_a, example, django_capture_on_commit_callbacks
):
    example["consignee"].pop("email", None)
    declaration = _submit(operator_a.operator, example, django_capture_on_commit_callbacks)
    english = operator_a.get(f"/api/v1/declarations/{declaration.pk}").json()
    details = [f["detail"] for f in english["data_quality"]["findings"]]
    assert any("consignee email is missing" in d for d in details)
    french = operator_a.client.get(
        f"/api/v1/declarations/{declaration.pk}", HTTP_ACCEPT_LANGUAGE="fr"
    ).json()
    details = [f["detail"] for f in french["data_quality"]["findings"]]
    assert any("l'adresse électronique du destinataire manque" in d for d in details)


@pytest.mark.django_db
def test_validation_problems_read_french_when_asked_and_keep_code_and_pointer(operator_a, example):
    example["currency"] = "XXQ"
    english = operator_a.post("/api/v1/declarations", example)
    assert english.status_code == 422
    row = next(e for e in english.json()["errors"] if e["pointer"] == "/currency")
    assert row["code"] == "currency_unknown" and "ISO 4217" in row["detail"]
    french = operator_a.post("/api/v1/declarations", example, HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 422
    row_fr = next(e for e in french.json()["errors"] if e["pointer"] == "/currency")
    assert row_fr["code"] == "currency_unknown"
    assert row_fr["detail"] == "Ce n'est pas un code de devise ISO 4217."


def test_every_error_code_has_a_french_sentence():
    from declarations.errors import ERROR_CODES

    with translation.override("fr"):
        missing = [c for c, s in ERROR_CODES.items() if translation.gettext(s) == s]
    assert missing == []


def test_every_rule_has_a_french_description_and_title():
    from declarations.generated_text import rule_description
    from risk.rules import RULES

    with translation.override("fr"):
        untranslated = [
            code
            for code, rule in RULES.items()
            if rule_description(rule) == rule.description
            or translation.gettext(rule.title) == rule.title
        ]
    assert untranslated == []
    assert rule_description(RULES["splitting"]) == RULES["splitting"].description


def test_finding_codes_and_collection_models_read_as_words_in_french():
    from declarations.generated_text import legal_reason, word

    with translation.override("fr"):
        assert word("missing_useful_element") == "élément utile manquant"
        assert word("late_submission") == "transmission tardive"
        assert legal_reason("VAT collection model: consignee_border.") == (
            "TVA, mode de perception : payé par le destinataire à la frontière."
        )
        assert (
            legal_reason(
                "Small-parcel tax: 2 HS subheadings x EUR 2.00, goods EUR 50.99 <= EUR 150.00"
            )
            == "Small-parcel tax: 2 sous-positions SH x 2,00\u00a0EUR, marchandises 50,99\u00a0EUR "
            "<= 150,00\u00a0EUR"
        )
        # The regime's name is data: left whole, never half translated.
        assert legal_reason("Regime EU-FR-2026: EUR 3 flat-rate duty per item.") == (
            "Régime EU-FR-2026 : EUR 3 flat-rate duty per item."
        )
    with translation.override("en"):  # the API's English text keeps its codes
        assert legal_reason("VAT collection model: consignee_border.") == (
            "VAT collection model: consignee_border."
        )


def test_shipped_regime_names_read_in_french_and_unknown_wording_stays():
    import json
    from pathlib import Path

    from declarations.generated_text import regime_name

    shipped = json.loads((Path(__file__).parents[2] / "revenue/data/regimes.json").read_text())
    with translation.override("fr"):
        assert regime_name(
            "European Union (Austria): EUR 3 flat-rate duty per item up to EUR 150"
        ) == (
            "Union européenne (Autriche) : droit forfaitaire de 3 EUR par article jusqu'à 150 EUR"
        )
        assert regime_name("Norway: VOEC for items below NOK 3,000, no NOK 350 exemption") == (
            "Norvège : VOEC pour les articles de moins de 3 000 NOK, sans franchise de 350 NOK"
        )
        # Every shipped name is translated whole: no English part is left.
        for regime in shipped["regimes"]:
            name = regime_name(regime["name"])
            assert name != regime["name"], name
            assert "European Union" not in name and " up to " not in name, name
            rules = regime["name"].split(": ", 1)[1]
            assert rules not in name, name  # the rules are translated too, not only the country
        assert regime_name("Atlantis: our own wording") == "Atlantis : our own wording"
        assert legal_reason(
            "Regime NO-VOEC-2024: Norway: VOEC for items below NOK 3,000, no NOK 350 exemption."
        ).startswith("Régime NO-VOEC-2024 : Norvège : VOEC")
    with translation.override("en"):
        assert (
            regime_name("Norway: VOEC for items below NOK 3,000")
            == "Norway: VOEC for items below NOK 3,000"
        )


def test_legal_citations_are_quoted_as_written_and_composed_text_is_translated():
    from declarations.generated_text import legal_reason

    with translation.override("fr"):
        # The citation's own words ("at", "on", "GST") are not translated one by one.
        assert legal_reason(
            "GST relief: intrinsic value AUD 74.02 <= AUD 1,000 "
            "(GST Act 1999 Subdiv. 84-C: GST on low value goods is charged at the point of sale)"
        ) == (
            "TPS (franchise): valeur intrinsèque 74,02\u00a0AUD <= 1\u00a0000\u00a0AUD "
            "(GST Act 1999 Subdiv. 84-C: GST on low value goods is charged at the point of sale)"
        )
        # Composed groups are translated; ", goods value" is not cut into ", goods " + "value".
        assert legal_reason(
            "Additional duty at 20% (sample rate) on goods of origin CN, goods value USD 40.00"
        ) == (
            "Droit additionnel à 20\u00a0% (taux d'exemple) sur les marchandises originaires de "
            "CN, valeur des marchandises 40,00\u00a0USD"
        )
        assert legal_reason(
            "No tariff duty on a postal item of origin BR: the duty by origin replaces it, "
            "goods value USD 45.00"
        ) == (
            "Pas de droit du tarif sur un envoi postal originaire de BR : le droit selon "
            "l'origine le remplace, valeur des marchandises 45,00\u00a0USD"
        )
        assert legal_reason(
            "Duty by origin at 50% (sample rate) on a postal item of origin BR, goods value "
            "USD 45.00 (Executive Order 14324 sec. 3(a): ...)"
        ) == (
            "Droit selon l'origine à 50\u00a0% (taux d'exemple) sur un envoi postal originaire de "
            "BR, valeur des marchandises 45,00\u00a0USD (Executive Order 14324 sec. 3(a): ...)"
        )
        assert legal_reason("Flat-rate duty EUR 3.00 for HS subheading 620000 (line 1)").endswith(
            "(ligne 1)"
        )


def test_a_movement_inside_one_territory_reads_whole_in_french():
    english = "Not an import: goods sent from MC stay inside one customs and VAT territory with FR"
    with translation.override("fr"):
        assert legal_reason(english) == (
            "Pas une importation : marchandises expédiées de MC qui restent dans un même "
            "territoire douanier et de TVA avec FR"
        )


def test_a_movement_stored_in_the_earlier_wording_still_reads_in_french():
    english = "Not an import: goods sent from MC to FR stay inside one customs and VAT territory"
    with translation.override("fr"):
        assert legal_reason(english).endswith(
            "qui restent dans un même territoire douanier et de TVA"
        )


def test_decimal_parameters_of_a_message_read_as_french_numbers():
    from declarations.generated_text import message_text

    stored = {
        "id": "selected at random for %(channel)s (%(purpose)s) at a rate of %(rate)s%%, to"
        " find unknown risks and measure hit rates",
        "params": {"channel": "yellow", "purpose": "documentary check", "rate": "0.50"},
    }
    with translation.override("en"):
        assert "at a rate of 0.50%" in message_text(stored, "")
    with translation.override("fr"):
        text = message_text(stored, "")
    assert "0,50" in text and "0.50" not in text


# Every reference the system writes on ledger entries (revenue/services, the demo story), with its
# kind of entry and its French.
SYSTEM_LEDGER_REFERENCES = (
    ("assessment 12", "assessed", "évaluation 12"),
    ("assessment 12: owed by the declarant", "assessed", "évaluation 12 : due par le déclarant"),
    ("assessment 12: IOSS return", "assessed", "évaluation 12 : déclaration IOSS"),
    ("assessment 12: UK_VAT return", "assessed", "évaluation 12 : déclaration UK_VAT"),
    (
        "revision 3 replaces the earlier assessment",
        "adjustment",
        "la révision 3 remplace l'évaluation précédente",
    ),
    ("revaluation 40", "adjustment", "réévaluation 40"),
    (
        "invalidated: nothing more is due",
        "adjustment",
        "déclaration invalidée : plus rien n'est dû",
    ),
    (
        "returned: credited on the next statement",
        "adjustment",
        "déclaration retournée : crédité sur le prochain relevé",
    ),
    (
        "invalidated: corrected in the scheme return",
        "adjustment",
        "déclaration invalidée : corrigé dans la déclaration du régime",
    ),
    ("refund on returned", "refund", "remboursement : déclaration retournée"),
    ("refund on invalidated", "refund", "remboursement : déclaration invalidée"),
    (
        "refund of the excess paid: the reassessment lowered what is due",
        "refund",
        "remboursement du trop-payé : la nouvelle liquidation a réduit le montant dû",
    ),
    ("paid by the carrier at delivery", "payment", "payé par le transporteur à la livraison"),
)


@pytest.mark.parametrize(("reference", "kind", "french"), SYSTEM_LEDGER_REFERENCES)
def test_system_ledger_references_read_in_the_readers_language(reference, kind, french):
    from declarations.generated_text import ledger_reference

    with translation.override("fr"):
        assert ledger_reference(reference, kind) == french
        assert ledger_reference(reference) == french
    with translation.override("en"):
        assert ledger_reference(reference, kind) == reference


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        ("border receipt 12", "payment"),
        ("PAY-1", "payment"),
        ("assessment 12", "payment"),  # an operator's payment reference that reads like ours
        ("revaluation 40", "payment"),
        ("refund on delivery", "refund"),
        ("refund on released", "refund"),
        ("accepted: nothing more is due", "adjustment"),
        ("assessment 12: owed by the declarant, paid", "assessed"),
        ("see assessment 12", None),
        ("", "payment"),
        (None, None),
    ],
)
def test_references_written_by_people_stay_as_written(reference, kind):
    from declarations.generated_text import ledger_reference

    for language in ("fr", "en"):
        with translation.override(language):
            assert ledger_reference(reference, kind) == ("" if reference is None else reference)


def test_every_system_ledger_reference_is_covered_and_translated():
    from declarations.generated_text import _LEDGER_REFERENCES, WORDS

    covered = {english for _pattern, english, _kinds in _LEDGER_REFERENCES}
    examples = {ref for ref, _kind, _french in SYSTEM_LEDGER_REFERENCES}
    for pattern, english, _kinds in _LEDGER_REFERENCES:
        assert any(pattern.fullmatch(ref) for ref in examples), english
    with translation.override("fr"):
        for english in [*covered, WORDS["invalidated"], WORDS["returned"]]:
            assert translation.gettext(english) != english, english


@pytest.mark.django_db
def test_a_batch_item_and_a_small_body_read_french_as_a_single_declaration_does(
    operator_a, example
):
    example["currency"] = "XXQ"
    single = operator_a.post("/api/v1/declarations", example, HTTP_ACCEPT_LANGUAGE="fr")
    batch = operator_a.post(
        "/api/v1/declarations/batch", {"declarations": [example]}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert batch.status_code == 200, batch.content
    assert batch.json()["results"][0]["errors"] == single.json()["errors"]
    row = next(e for e in batch.json()["results"][0]["errors"] if e["pointer"] == "/currency")
    assert row["detail"] == "Ce n'est pas un code de devise ISO 4217."

    answer = operator_a.post(
        "/api/v1/returns",
        {"lrn": "RET-1", "transport_document": {"type": "house_waybill", "number": ""}},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 422, answer.content
    (row,) = answer.json()["errors"]
    assert row["pointer"] == "/transport_document/number"
    assert row["code"] == "string_too_short"
    from declarations.errors import ERROR_CODES

    with translation.override("fr"):
        expected = translation.gettext(ERROR_CODES["string_too_short"])
    assert expected != ERROR_CODES["string_too_short"]
    assert row["detail"] == expected
    assert answer.json()["detail"] == f"/transport_document/number\u00a0: {expected}"
