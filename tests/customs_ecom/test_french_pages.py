"""The main pages read in French: no English sentence of the catalogues is left on them.

The heuristic: every English msgid of the project's catalogues that French translates
differently must not appear as visible text on a page rendered in French (whole text nodes for
short msgids, anywhere in a text node for msgids of three words or more). Generated text (rule
explanations, data-quality findings, legal reasons) is checked by its own French rendering.
"""

from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from aeo.models import Operator
from declarations.models import Declaration
from declarations.services import declarations_submit
from revenue.models import Regime
from risk.services.rulesets import active_ruleset
from tests.examples import example_for

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
HIDDEN = {"script", "style", "code", "pre", "textarea"}


def english_msgids() -> set[str]:
    """English msgids of the project's French catalogues whose translation differs."""
    found: set[str] = set()
    for mo in ROOT.glob("**/locale/fr/LC_MESSAGES/django.mo"):
        if ".venv" in mo.parts:
            continue
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001
        for msgid, msgstr in catalogue.items():
            if not isinstance(msgid, str) or not msgid or "\x04" in msgid:
                continue
            if msgstr == msgid:
                continue
            chunks = [" ".join(c.split()) for c in PLACEHOLDER.split(msgid)]
            if len(chunks) > 1:  # a sentence with placeholders: its literal stretches of words
                chunks = [c for c in chunks if c.count(" ") >= 2]
            found.update(c for c in chunks if len(c) >= 4 and re.search(r"[A-Za-z]{3}", c))
    return found


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in {"placeholder", "title", "aria-label"} and value:
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.hidden:
            self.nodes.append(text)


def english_left(page: str, msgids: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(page)
    left = set()
    for index, node in enumerate(parser.nodes):
        for msgid in msgids:
            if node == msgid or (msgid.count(" ") >= 2 and msgid in node):
                around = " | ".join(parser.nodes[max(0, index - 2) : index + 2])
                left.add(f"{msgid!r} in: {around[:120]}")
    return sorted(left)


@pytest.fixture
def french_client(db):
    user = get_user_model().objects.create_superuser("chef", password="pw-for-tests-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


@pytest.fixture
def consignments(operator_a, example, django_capture_on_commit_callbacks):
    bodies = []
    for n, change in enumerate(
        [
            {},
            {"items": [{**example["items"][0], "description": "gift", "value": "1"}]},
            {"category": "gift"},
        ]
    ):
        body = example_for(f"FR-WALK-{n}", example)  # each parcel its own transport document
        body.update(change)
        body.pop("order", None) if change else None
        bodies.append(body)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = declarations_submit(operator=operator_a.operator, bodies=bodies)
    assert all(o.status == 201 for o in outcomes), [o.errors for o in outcomes]
    return [Declaration.objects.get(pk=o.declaration.pk) for o in outcomes]


def _pages(consignments) -> list[str]:
    regime = Regime.objects.order_by("pk").first()
    operator = Operator.objects.order_by("pk").first()
    ruleset = active_ruleset()
    pages = [
        "/queue/",
        "/dashboard/",
        "/risk/",
        "/risk/policy/",
        "/risk/watchlist/",
        "/risk/reference-values/",
        "/risk/rules/undervaluation/",
        "/risk/rules/high_risk_origin/",
        "/revenue/regimes/",
        "/revenue/statements/",
        "/revenue/reconciliation/",
        "/revenue/tax-schemes/",
        "/revenue/verification/",
        "/revenue/estimate/",
        "/registry/",
        "/registry/authorisations/",
        "/registry/benefits/",
        f"/registry/operators/{operator.pk}/",
        "/consignments/",
        "/consignments/?work=unassigned",
        "/search/?q=FR-WALK",
        "/workload/",
        "/workload/claims/",
        "/workload/targets/",
        "/imports/",
        "/audit/",
    ]
    pages += [f"/consignments/{d.pk}/" for d in consignments]
    pages += [f"/consignments/{d.pk}/report/?format=html" for d in consignments]
    pages += [f"/revenue/declarations/{d.pk}/" for d in consignments]
    if regime is not None:
        pages.append(f"/revenue/regimes/{regime.pk}/")
    if ruleset is not None:
        pages.append(f"/risk/versions/{ruleset.version}/backtest/")
        pages.append(f"/risk/versions/{ruleset.version}/")
    return pages


def test_main_pages_in_french_leave_no_english_sentence(french_client, consignments):
    msgids = english_msgids()
    assert len(msgids) > 300  # the heuristic has a catalogue to work with
    problems = {}
    for url in _pages(consignments):
        response = french_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="fr"' in page, url
        left = english_left(page, msgids)
        if left:
            problems[url] = left
    assert problems == {}, problems


def test_the_heuristic_catches_an_english_sentence():
    msgids = {"Nothing needs action", "Rules"}
    page = "<p>Rien</p><p>Nothing needs action. Well done.</p><script>Rules</script>"
    assert english_left(page, msgids) == [
        "'Nothing needs action' in: Rien | Nothing needs action. Well done."
    ]


def _visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " | ".join(parser.nodes)


def test_a_consignment_page_names_rules_channels_payers_and_arrival_in_french(
    french_client, consignments
):
    from django.utils import translation

    from customs_ecom.dashboard import _rule_title
    from customs_ecom.platform.templatetags.human import label
    from declarations.generated_text import tax_name, word
    from risk.models import RiskHit

    hits = list(RiskHit.objects.filter(assessment__declaration__in=consignments))
    assert hits and any(h.min_channel for h in hits)
    for d in consignments:
        text = _visible(french_client.get(f"/consignments/{d.pk}/").content.decode())
        assert "Arrivée |" in text and "Arrivées" not in text
        for h in RiskHit.objects.filter(assessment__declaration=d):
            with translation.override("fr"):
                title, channel = _rule_title(h.rule_code), word(h.min_channel)
            assert title != h.rule_code and title in text, h.rule_code
            if h.min_channel:
                assert f"au moins {channel})" in text and channel != h.min_channel
    with translation.override("fr"):
        assert label("declarant") == "Déclarant" and word("declarant") == "déclarant"
        assert tax_name("HST") == "TVH" and tax_name("GST") == "TPS"


def test_the_timeline_tells_a_ledger_payment_as_a_recorded_payment(french_client, consignments):
    from customs_ecom.platform.audit import audit_record

    d = consignments[0]
    audit_record(actor=None, action="ledger.payment", object_type="declaration", object_id=d.pk)
    french = _visible(french_client.get(f"/consignments/{d.pk}/").content.decode())
    assert "Paiement enregistré." in french and "Ledger payment" not in french
    english = _visible(
        french_client.get(f"/consignments/{d.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "Payment recorded." in english and "Ledger payment" not in english


def test_audit_changes_read_as_key_value_lists_with_the_readers_numbers(french_client):
    from django.utils import translation

    from customs_ecom.platform.audit import audit_record
    from customs_ecom.platform.templatetags.human import readable

    operator = Operator.objects.create(code="op-webhook", name="Webhook Ltd")
    audit_record(
        actor=None,
        action="operator.webhook",
        object_type="operator",
        object_id=operator.pk,
        before={"webhook_url": "https://example.org/hook", "secret_set": True},
        after={"webhook_url": "", "secret_set": False, "secret_changed": False},
    )
    audit_record(
        actor=None,
        action="ledger.payment",
        object_type="declaration",
        object_id=1,
        after={"entry": 7, "outstanding": "10.00"},
    )
    for language, words in (("fr", "Secret défini : non"), ("en", "Secret set: no")):
        page = french_client.get(
            f"/registry/operators/{operator.pk}/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        text = _visible(page)
        assert words in text, language
        assert "{'" not in text and "False" not in text and "'secret_set'" not in text
    audit_record(
        actor=None,
        action="ledger.payment",
        object_type="declaration",
        object_id=2,
        after={"entry": 8, "reference": "paid by the carrier at delivery"},
    )
    audit_record(
        actor=None,
        action="ledger.payment",
        object_type="declaration",
        object_id=3,
        after={"entry": 9, "reference": "COD-123 paid by the carrier"},  # a payer's own words
    )
    text = _visible(
        french_client.get("/audit/").content.decode()
    )  # (non-breaking spaces as spaces)
    assert "Reste dû : 10,00" in text and "10.00" not in text
    assert "Référence : payé par le transporteur à la livraison" in text
    assert "paid by the carrier at delivery" not in text
    assert "Référence : COD-123 paid by the carrier" in text
    english = _visible(french_client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Reference: paid by the carrier at delivery" in english
    with translation.override("fr"):
        assert readable({"reference": "1.10", "amount": "1234.5"}) == (
            "Référence\u00a0: 1.10, Montant\u00a0: 1\u202f234,5"
        ) or readable({"reference": "1.10", "amount": "1234.5"}).startswith("Référence\u00a0: 1.10")
        assert readable(0.25) == "0,25" and readable(True) == "oui"
        # A rule's code stays a code; every party a rule screens reads as a word.
        rule = readable({"code": "undervaluation", "roles": ["seller", "sender", "consignee"]})
        assert rule.startswith("Code\u00a0: undervaluation, ") and "Vendeur; Expéditeur; " in rule


def test_the_systems_own_audit_reasons_and_operator_actors_read_in_french(french_client):
    """The reasons the system writes (an arrival through the API, an expiry, the admin pages) and
    an operator's own actions are shown in the reader's language; a typed reason as typed."""
    from customs_ecom.platform.audit import audit_record, operator_actor

    operator = Operator.objects.create(code="op-fr", name="Op FR")
    audit_record(actor=operator_actor("op-fr"), action="declaration.arrival", object_type="operator",
                 object_id=operator.pk, reason="arrival reported through the API")  # fmt: skip
    audit_record(actor="operator:op-fr", action="declaration.invalidated", object_type="operator",
                 object_id=operator.pk, reason="doublon saisi")  # fmt: skip
    audit_record(actor=None, action="aeo.expired", object_type="operator", object_id=operator.pk,
                 reason="validity ended before 2026-11-25")  # fmt: skip
    for url in ("/audit/", f"/registry/operators/{operator.pk}/"):
        text = _visible(french_client.get(url).content.decode())
        assert "arrivée déclarée par l'API" in text, url
        assert "validité expirée avant le 25/11/2026" in text, url
        assert "opérateur op-fr (API)" in text and "doublon saisi" in text, url
        assert "reported through" not in text and "validity ended" not in text, url
        assert "operator:op-fr" not in text and "operator op-fr" not in text, url
        assert "Arrivée déclarée" in text and "Arrival" not in text, url
    english = _visible(french_client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "arrival reported through the API" in english and "operator op-fr (API)" in english


# Words that French writes as English does.
SAME_IN_BOTH = {"Code", "Date", "Documents", "EORI", "Inspection", "Licence", "Note"}
SAME_IN_BOTH |= {"Rail"}
SAME_IN_BOTH |= {"Score", "Source", "Sources", "Total", "Transaction", "Version"}


def test_every_stored_code_and_audit_action_has_its_french_words(db):
    """The words the audit page, the timelines and the dashboards show for stored codes, audit
    keys and audit actions (LABELS, ACTION_LABELS, and what the apps register) are all in the
    French catalogue: a key added to an audited value without its French reads in English."""
    from django.utils import translation

    from customs_ecom.platform.templatetags.human import ACTION_LABELS, LABELS

    untranslated = set()
    for words in [*LABELS.values(), *ACTION_LABELS.values()]:
        with translation.override("en"):
            english = str(words)
        with translation.override("fr"):
            french = str(words)
        if french == english and english not in SAME_IN_BOTH:
            untranslated.add(english)
    assert not untranslated, sorted(untranslated)


def test_the_ledger_page_reads_system_references_in_french(french_client, consignments):
    from django.utils import translation

    from declarations.generated_text import ledger_reference

    with translation.override("fr"):
        assert ledger_reference("assessment 269: owed by the declarant") == (
            "évaluation 269 : due par le déclarant"
        )
        assert ledger_reference("paid by the carrier at delivery") == (
            "payé par le transporteur à la livraison"
        )
        assert ledger_reference("COD-123") == "COD-123"  # a payer's own reference
    with translation.override("en"):
        assert ledger_reference("assessment 269: owed by the declarant") == (
            "assessment 269: owed by the declarant"
        )
    # Entries the system writes when a declaration is invalidated, beside payments whose
    # references an officer typed (one reads like the system's own): those stay as typed.
    from revenue.models import LedgerEntry

    declaration = consignments[0]
    for kind, amount, reference in [
        ("payment", "1.00", "assessment 7"),
        ("payment", "1.00", "border receipt 12"),
        ("adjustment", "-1.00", "invalidated: nothing more is due"),
        ("refund", "1.00", "refund on invalidated"),
        ("adjustment", "-1.00", "revaluation 7"),
    ]:
        LedgerEntry.objects.create(
            declaration=declaration,
            kind=kind,
            amount=amount,
            currency="EUR",
            collection_model="consignee_border",
            payer="Officer's payer",
            reference=reference,
        )
    text = _visible(french_client.get(f"/revenue/declarations/{declaration.pk}/").content.decode())
    assert "owed by the declarant" not in text and "paid by the carrier" not in text
    assert "déclaration invalidée : plus rien n'est dû" in text
    assert "remboursement : déclaration invalidée" in text and "réévaluation 7" in text
    assert "nothing more is due" not in text and "refund on" not in text
    assert "| assessment 7 |" in text and "| border receipt 12 |" in text


def test_the_regime_page_says_open_ended_validity_and_its_figures_in_french(french_client, db):
    regime = Regime.objects.filter(valid_to__isnull=True).order_by("pk").first()
    assert regime is not None
    page = french_client.get(f"/revenue/regimes/{regime.pk}/").content.decode()
    text = _visible(page)
    assert "sans date de fin" in text and "ouvrir" not in text
    rules = _visible(page.split('id="regime-rules"')[1].split("</table>")[0])
    assert "Base de valeur | Valeur intrinsèque des marchandises" in rules, rules
    assert "intrinsic" not in rules
    assert " d)" not in text and "(item)" not in text
    assert "jours au plus" in text
    listing = _visible(french_client.get("/revenue/regimes/").content.decode())
    assert "sans date de fin" in listing and "ouvrir" not in listing


def test_a_regime_rounding_per_total_says_so_in_both_languages(french_client, db):
    regime = Regime.objects.filter(code="CH-2024").order_by("-version").first()
    assert regime is not None
    url = f"/revenue/regimes/{regime.pk}/"
    french = _visible(french_client.get(url).content.decode())
    assert "une seule fois sur le total de l’envoi" in french
    english = _visible(french_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "once on the consignment's total of each duty and tax" in english


# Baskets across the shipped regimes whose reasons the estimator writes: EU with a currency
# converted from the euro (PL), the flat duty and the French parcel tax, IOSS above and below
# its ceiling, a Canadian gift delivered in Ontario (HST), the UK, Norway, Switzerland,
# Australia, New Zealand (levy, minimum) and the United States (origin and postal duties).
ESTIMATES = {
    "PL": {
        "destination": "PL",
        "date": "2026-05-10",
        "origin_country": "CN",
        "currency": "USD",
        "items": [
            {"description": "laptop", "hs_code": "847130", "quantity": 1, "value": "1300.00"}
        ],
    },
    "PL-flat": {
        "destination": "PL",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"description": "t-shirt", "hs_code": "610910", "quantity": 1, "value": "40.00"}],
    },
    "FR": {
        "destination": "FR",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"description": "t-shirt", "hs_code": "610910", "quantity": 2, "value": "40.00"}],
    },
    "DE-IOSS": {
        "destination": "DE",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "EUR",
        "tax_scheme": "IOSS",
        "items": [{"description": "t-shirt", "hs_code": "610910", "quantity": 1, "value": "40.00"}],
    },
    "DE-IOSS-above": {
        "destination": "DE",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "EUR",
        "tax_scheme": "IOSS",
        "items": [{"description": "laptop", "hs_code": "847130", "quantity": 1, "value": "400.00"}],
    },
    "CA-gift-ON": {
        "destination": "CA",
        "date": "2026-08-10",
        "origin_country": "US",
        "currency": "CAD",
        "category": "gift",
        "region": "ON",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "150.00"}
        ],
    },
    "GB": {
        "destination": "GB",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "GBP",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "200.00"}
        ],
    },
    "GB-low": {
        "destination": "GB",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "GBP",
        "items": [{"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "50.00"}],
    },
    "NO": {
        "destination": "NO",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "NOK",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "500.00"}
        ],
    },
    "CH": {
        "destination": "CH",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "CHF",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "100.00"}
        ],
    },
    "AU": {
        "destination": "AU",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "AUD",
        "items": [
            {"description": "laptop", "hs_code": "847130", "quantity": 1, "value": "1500.00"}
        ],
    },
    "NZ": {
        "destination": "NZ",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "NZD",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "100.00"}
        ],
    },
    "US": {
        "destination": "US",
        "date": "2026-08-10",
        "origin_country": "CN",
        "currency": "USD",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "100.00"}
        ],
    },
    "US-postal": {
        "destination": "US",
        "date": "2026-08-10",
        "origin_country": "BR",
        "transport": "postal",
        "currency": "USD",
        "items": [
            {"description": "sweater", "hs_code": "611020", "quantity": 1, "value": "100.00"}
        ],
    },
}
# English words the calculators compose reasons from; none may be left outside a citation.
ENGLISH_FRAGMENTS = (
    " the ",
    " exceeding ",
    " carries ",
    " owed by ",
    " and ",
    " of ",
    " at ",
    " on ",
    " for ",
    " per ",
    " is ",
    " with ",
    " value ",
    "Duty ",
    "relief",
    "Amounts",
    "Delivered",
    " ceiling",
    " levy",
    "Below ",
    "Duties",
    "Exchange rate",
    " rate ",
    " goods ",
)


def _without_citations(text: str) -> str:
    """The text without its parenthesised groups (legal citations are quoted as written)."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


def test_estimate_reasons_read_wholly_in_french_across_regimes(client, db):
    left = {}
    for name, body in ESTIMATES.items():
        response = client.post(
            "/api/v1/estimates",
            body,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="fr",
        )
        assert response.status_code == 200, (name, response.content[:300])
        result = response.json()
        texts = [line["reason"] for line in result["lines"]] + result["explanation"]
        for text in texts:
            bare = _without_citations(text)
            found = [f for f in ENGLISH_FRAGMENTS if f in bare]
            if found:
                left.setdefault(name, []).append((found, text[:160]))
    assert left == {}, left


def test_estimate_amounts_read_as_french_numbers_and_english_is_kept_for_english(client, db):
    body = ESTIMATES["PL"]
    french = client.post(
        "/api/v1/estimates", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr"
    ).json()
    english = client.post(
        "/api/v1/estimates", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    duty_fr, duty_en = french["lines"][0]["reason"], english["lines"][0]["reason"]
    assert duty_en.startswith("Duty at 4% (sample rate) on customs value PLN ")
    assert duty_fr.startswith("Droits à 4\u00a0% (taux d'exemple) sur valeur en douane ")
    assert re.search(r"\d\u00a0\d{3},\d{2}\u00a0PLN", duty_fr), duty_fr
    assert "Common Customs Tariff" in duty_fr  # the citation is quoted as written
    assert any("sont convertis en PLN" in e for e in french["explanation"])
    gift = client.post(
        "/api/v1/estimates",
        ESTIMATES["CA-gift-ON"],
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).json()
    assert any(line["reason"].startswith("TVH sur la valeur qui dépasse") for line in gift["lines"])


def test_a_canadian_tax_line_is_named_by_its_own_tax_in_french():
    from django.utils import translation

    from declarations.generated_text import tax_of_reason

    with translation.override("fr"):
        assert tax_of_reason("HST at 13% on goods value plus duty CAD 177.00 (...)") == "TVH"
        assert tax_of_reason("GST at 5% on goods value CAD 10.00") == "TPS"
        assert tax_of_reason("VAT at 20% on goods value EUR 10.00") == "TVA"
    with translation.override("en"):
        assert tax_of_reason("HST at 13% on goods value") == "HST"


def test_a_late_finding_writes_its_span_in_the_readers_units_and_its_code_as_code(
    french_client, consignments
):
    """A data-quality finding's span reads "7 j 4 h 51 min" in French ("7 d ..." in English), a
    finding stored before the span was a message too; its code is shown as code."""
    from datetime import UTC, datetime, timedelta

    from declarations.messages import stored
    from declarations.models import QualityFinding
    from declarations.quality import QualityContext, assess_quality

    d = consignments[0]
    arrived = datetime(2026, 11, 18, 4, 30, tzinfo=UTC)
    context = QualityContext(
        received_at=arrived + timedelta(days=7, hours=4, minutes=51), arrived_at=arrived
    )
    late = next(
        f
        for f in assess_quality(d.payload, context).findings
        if f.code == "submitted_after_arrival"
    )
    assert "7 d 4 h 51 min after the goods arrived" in late.detail
    row = {"dimension": late.dimension, "code": late.code, "detail": late.detail}
    QualityFinding.objects.create(declaration=d, message=stored(late.detail), **row)
    # A finding stored when the span was plain text in its parameters.
    older = stored(late.detail)
    older["params"]["late"] = "2 d 30 min"
    QualityFinding.objects.create(declaration=consignments[1], message=older, **row)

    french = french_client.get(f"/consignments/{d.pk}/").content.decode()
    assert "7 j 4 h 51 min après l&#x27;arrivée des marchandises" in french
    assert " d " not in _visible(french)
    assert '<code class="small">submitted_after_arrival</code>' in french
    english = french_client.get(f"/consignments/{d.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "7 d 4 h 51 min after the goods arrived" in english.content.decode()
    older_page = french_client.get(f"/consignments/{consignments[1].pk}/").content.decode()
    assert "2 j 30 min après l&#x27;arrivée" in older_page


def test_reassessment_and_list_update_reasons_read_in_french(french_client):
    """A channel changed by a new rule set and a withdrawal of a list update are audited with the
    system's own reasons; a French reader reads them in French."""
    from customs_ecom.platform.audit import audit_record

    operator = Operator.objects.create(code="op-fr2", name="Op FR 2")
    audit_record(actor=None, action="risk.reassessed", object_type="operator",
                 object_id=operator.pk, reason="re-assessed under rule set 7")  # fmt: skip
    audit_record(actor=None, action="risk.reassessed", object_type="operator",
                 object_id=operator.pk, reason="list update 12")  # fmt: skip
    text = _visible(french_client.get("/audit/").content.decode())
    assert "réévalué selon le jeu de règles 7" in text
    assert "mise à jour de liste 12" in text
    assert "re-assessed under" not in text and "list update" not in text
