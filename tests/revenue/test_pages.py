"""Officer revenue pages (verification queue, revaluation, payments, registry, reconciliation)
and the public estimator page, in English and French."""

import copy
import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from customs_ecom.platform.models import AuditEvent
from revenue.models import LedgerEntry, TaxAssessment
from revenue.selectors import border_balance, discrepancy_for
from revenue.services.ledger import latest_entry_id
from tests.conftest import DATASET_EXAMPLE
from tests.revenue.helpers import border_body, submit, under_inspection

pytestmark = pytest.mark.django_db


def _ioss_body(lrn: str, number: str = "IM2500000015", vat: str = "8.80") -> dict:
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {
        "type": "house_waybill",
        "number": f"8{abs(hash(lrn)) % 10**9:09d}",
    }
    body["vendor_tax_scheme"] = {"scheme": "IOSS", "number": number}
    body["self_assessed_taxes"] = [{"type": "vat", "amount": vat}]
    return body


def test_self_assessed_difference_is_listed_for_verification_with_bounded_queries(
    client, customs_user, operator_a, django_assert_max_num_queries
):
    declarations = submit(operator_a.operator, [_ioss_body(f"IOSS-{n}") for n in range(5)])
    found = discrepancy_for(declaration_id=declarations[0].pk)
    assert found == [
        {
            "code": "self_assessed_mismatch",
            "currency": "EUR",
            "tax_type": "vat",
            "declared": "8.80",
            "assessed": "9.96",
            "difference": "1.16",
        }
    ]
    client.force_login(customs_user("officer"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("revenue:verification"))
    assert response.status_code == 200
    for declaration in declarations:
        assert declaration.lrn.encode() in response.content


def test_number_missing_from_the_registry_moves_vat_to_the_border_and_is_flagged(
    client, customs_user, operator_a
):
    client.force_login(customs_user("administrator"))
    upload = SimpleUploadedFile(
        "ioss.csv",
        b"scheme,number,valid_from,valid_to,holder\nIOSS,IM2500000023,2025-01-01,,Other seller\n",
    )
    response = client.post(
        reverse("revenue:tax_schemes"), {"file": upload, "reason": "registry of 2026-11"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="tax_scheme_registry.import").exists()
    unknown, listed = submit(
        operator_a.operator,
        [_ioss_body("IOSS-UNKNOWN"), _ioss_body("IOSS-LISTED", number="IM2500000023")],
    )
    assessment = TaxAssessment.objects.get(declaration=unknown)
    assert assessment.collection_model == "consignee_border"
    assert assessment.due_at_border == assessment.total > 0
    assert [d["code"] for d in discrepancy_for(declaration_id=unknown.pk)] == [
        "self_assessed_mismatch",
        "tax_scheme_number_unknown",
    ]
    listed_assessment = TaxAssessment.objects.get(declaration=listed)
    assert listed_assessment.collection_model == "marketplace_deemed_supplier"
    assert listed_assessment.pre_collected > 0
    border_lines = listed_assessment.lines.filter(collection_channel="border")
    assert {(line.tax_type, line.payer) for line in border_lines} == {
        ("duty", "declarant"),
        ("fee", "declarant"),  # France's small-parcel tax: the return carries VAT only
    }
    assert listed_assessment.due_at_border == sum(line.amount for line in border_lines)


def test_registry_csv_with_faulty_rows_loads_nothing(client, customs_user):
    client.force_login(customs_user("administrator"))
    upload = SimpleUploadedFile(
        "ioss.csv", b"scheme,number,valid_from\nIOSS,IM2500000023,2025-13-01\nIOSS,,2025-01-01\n"
    )
    response = client.post(reverse("revenue:tax_schemes"), {"file": upload, "reason": "x"})
    assert response.status_code == 422
    assert [(e.row, e.column) for e in response.context["row_errors"]] == [
        (2, "valid_from"),
        (3, "number"),
    ]


def test_revaluation_after_inspection_reassesses_and_records_the_difference(
    client, customs_user, operator_b
):
    declaration = submit(operator_b.operator, [border_body("REVAL-1", value="100.00")])[0]
    initial = TaxAssessment.objects.get(declaration=declaration)
    # Not before a control, nor after release.
    client.force_login(customs_user("officer"))
    refused = client.post(
        reverse("revenue:revalue", args=[declaration.pk]),
        {"line_1": "140.00", "reason": "no control yet", "revision": "1"},
        follow=True,
    )
    assert "Values are revised after a control" in refused.content.decode()
    # ... and the ledger page does not offer the form before a control.
    before = client.get(reverse("revenue:ledger", args=[declaration.pk])).content.decode()
    assert "Record a payment" in before and "revalue" not in before
    under_inspection(declaration.pk)
    during = client.get(reverse("revenue:ledger", args=[declaration.pk])).content.decode()
    assert reverse("revenue:revalue", args=[declaration.pk]) in during
    client.force_login(customs_user("officer"))
    fragment = render_to_string(
        "revenue/_revalue_form.html",
        {"d": declaration, "request": RequestFactory().get("/consignments/1/")},
    )
    assert reverse("revenue:revalue", args=[declaration.pk]) in fragment
    assert 'name="line_1"' in fragment
    response = client.post(
        reverse("revenue:revalue", args=[declaration.pk]),
        {"line_1": "140.00", "reason": "invoice found in parcel", "next": "/consignments/1/",
         "revision": "1"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/consignments/1/"
    current = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    assert current.reason == "revaluation" and current.pk != initial.pk
    assert current.total > initial.total
    adjustment = LedgerEntry.objects.get(declaration=declaration, kind="adjustment")
    assert adjustment.amount == current.due_at_border - initial.due_at_border
    audit = AuditEvent.objects.get(action="taxes.revalue")
    assert {k: Decimal(v) for k, v in audit.before["values"].items()} == {"1": Decimal(100)}
    assert audit.after["difference"] == str(current.total - initial.total)
    assert border_balance(declaration.pk)[0] == current.due_at_border
    # The same rate as before, with the same facts about it.
    assert (current.rate_rule, current.rate_fixed_on, current.rate_stale) == (
        initial.rate_rule,
        initial.rate_fixed_on,
        initial.rate_stale,
    )
    assert current.rate_rule and any(
        t.startswith("Exchange rate rule ") for t in current.explanation
    )


def test_a_revaluation_never_lowers_a_declared_value(client, customs_user, operator_b):
    declaration = submit(operator_b.operator, [border_body("REVAL-DOWN", value="100.00")])[0]
    initial = TaxAssessment.objects.get(declaration=declaration)
    under_inspection(declaration.pk)
    client.force_login(customs_user("officer"))
    response = client.post(
        reverse("revenue:revalue", args=[declaration.pk]),
        {"line_1": "0.01", "reason": "probe lower", "revision": "1"},
        follow=True,
    )
    assert "does not lower the declared value" in response.content.decode()
    assert TaxAssessment.objects.get(declaration=declaration, is_current=True).pk == initial.pk
    assert not AuditEvent.objects.filter(action="taxes.revalue").exists()
    # The declared value itself stands (an inspection that finds it right changes nothing).
    response = client.post(
        reverse("revenue:revalue", args=[declaration.pk]),
        {"line_1": "100.00", "reason": "checked", "revision": "1"},
    )
    assert TaxAssessment.objects.get(declaration=declaration, is_current=True).total == (
        initial.total
    )


@pytest.mark.parametrize("typed", ["1e0", "1E+0", "5e-1", "1_0", "Infinity", "0x10"])
def test_the_payment_form_takes_a_written_amount_only(client, customs_user, operator_b, typed):
    declaration = submit(operator_b.operator, [border_body(f"CASH-{len(typed)}")])[0]
    client.force_login(customs_user("officer"))
    client.post(
        reverse("revenue:payment", args=[declaration.pk]),
        {"amount": typed, "payer": "Marie Dupont", "reference": "receipt", "ledger_seen": "0"},
    )
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_officer_records_a_payment_on_the_ledger_page(client, customs_user, operator_b):
    declaration = submit(operator_b.operator, [border_body("CASH-1")])[0]
    owed = border_balance(declaration.pk)[0]
    client.force_login(customs_user("officer"))
    page = client.get(reverse("revenue:ledger", args=[declaration.pk]))
    assert page.status_code == 200 and b"Release blocked" in page.content
    # The border rows name the channel; who owes each is in its payer column.
    assert b"<td>at the border</td>" in page.content
    assert b"paid by the consignee at the border" not in page.content
    response = client.post(
        reverse("revenue:payment", args=[declaration.pk]),
        {
            "amount": str(owed),
            "payer": "Marie Dupont",
            "reference": "receipt 42",
            "ledger_seen": str(latest_entry_id(declaration.pk)),
        },
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind="payment")
    assert entry.actor.username == "officer" and entry.amount == owed
    assert AuditEvent.objects.filter(action="ledger.payment", actor__username="officer").exists()
    auditor = customs_user("auditor", username="auditor-1")
    client.force_login(auditor)
    assert client.post(reverse("revenue:payment", args=[declaration.pk]), {}).status_code == 403


def test_reconciliation_per_scheme_number_and_month_exports_csv(client, customs_user, operator_a):
    submit(operator_a.operator, [_ioss_body("REC-1"), _ioss_body("REC-2", vat="9.96")])
    client.force_login(customs_user("supervisor"))
    page = client.get(reverse("revenue:reconciliation"))
    assert page.status_code == 200 and b"IM2500000015" in page.content
    response = client.get(reverse("revenue:reconciliation"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["number"] == "IM2500000015" and row["declarations"] == "2"
    assert Decimal(row["declared"]) == Decimal("18.76")
    # The IOSS return carries the VAT: 2 x 9.96; the flat duties (2 x 2 x EUR 3) are owed by
    # the declarant at the border and shown beside it, never lost.
    assert Decimal(row["assessed"]) == Decimal("19.92")
    assert Decimal(row["difference"]) == Decimal("1.16")
    assert Decimal(row["vat_scheme_return"]) == Decimal("19.92")
    assert Decimal(row["duty"]) == Decimal(row["duty_border"]) == Decimal("12.00")
    assert Decimal(row["duty_scheme_return"]) == Decimal("0.00")
    # At the border the declarant also owes France's small-parcel tax: 2 x 2 x EUR 2.
    assert Decimal(row["at_border"]) == Decimal("20.00")
    assert row["flagged"] == "1"  # REC-2 declared the VAT right
    # The page shows every amount the export has: the fees and what is deferred too.
    cells = [
        cell.replace("\xa0", " ")
        for cell in re.findall(r'<td class="num">([^<]*)</td>', page.content.decode())
    ]
    assert cells == [
        "2",
        "18.76 EUR",
        "19.92 EUR",
        "1.16 EUR",
        "20.00 EUR",
        "0.00 EUR",
        "12.00 EUR",
        "12.00 EUR",
        "0.00 EUR",
        "0.00 EUR",
        "8.00 EUR",
        "1",
        # Then every amount by channel: all assessed, VAT (all in the return), the fees at the
        # border, and nothing paid yet of what is due there.
        "39.92 EUR",
        "19.92 EUR",
        "0.00 EUR",
        "0.00 EUR",
        "8.00 EUR",
        "0.00 EUR",
        "0.00 EUR",
        "0.00 EUR",
        "20.00 EUR",
    ]
    # An invalidated consignment is corrected in the return: no longer counted.
    from declarations.models import Declaration
    from declarations.services import declaration_invalidate

    first = Declaration.objects.get(lrn="REC-1")
    declaration_invalidate(operator=operator_a.operator, declaration_id=first.pk, reason="x")
    response = client.get(reverse("revenue:reconciliation"), {"format": "csv"})
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["declarations"] == "1" and Decimal(row["assessed"]) == Decimal("9.96")


def test_public_estimate_page_needs_no_login_and_speaks_french(client):
    response = client.get(reverse("revenue:estimate"))
    assert response.status_code == 200 and b"What will I pay on my parcel?" in response.content
    response = client.get(reverse("revenue:estimate"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Combien vais-je payer sur mon colis" in response.content.decode()


def test_the_estimate_page_asks_for_the_price_of_the_whole_line(client):
    """A line's value is all its units together, as in a declaration: a page that asked for the
    "Price" beside a "Quantity" had two T-shirts at 20.00 entered as 20.00, taxed on half their
    price. The column says what it takes, in both languages."""
    english = client.get(reverse("revenue:estimate")).content.decode()
    assert "Price of the line (all units together)" in english
    assert "<th>Price</th>" not in english
    french = client.get(reverse("revenue:estimate"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Prix de la ligne (toutes les unités ensemble)" in french


def test_public_estimate_form_answers_with_a_partial_for_htmx(client):
    data = {
        "origin_country": "cn",
        "currency": "EUR",
        "shipping_cost": "5.00",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "cotton T-shirt",
        "items-0-hs_code": "610910",
        "items-0-value": "40.00",
        "items-0-quantity": "1",
    }
    response = client.post(reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content and 'id="you-pay"' in content
    # EUR 3 flat duty; VAT 20% on 40 + 5 + 3 = 9.60; France's small-parcel tax EUR 2.
    assert "14.60\u00a0EUR" in content
    # Counts read as counts, amounts per unit as money: "1 tariff code" at "3.00 EUR".
    assert '1\u00a0tariff code</td><td class="num">3.00\u00a0EUR</td>' in content
    assert "300\u00a0%" not in content and "1.00\u00a0EUR</td>" not in content
    assert TaxAssessment.objects.count() == 0


def test_the_estimate_page_shows_refused_entries_next_to_their_fields_under_htmx(client):
    """A refused entry under htmx (the form's own target is the result) comes back with the form
    out of band, its message beside the field, in the page's language; an item's quantity too."""
    data = {
        "origin_country": "cn",
        "currency": "EUR",
        "shipping_cost": "-3",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-value": "40.00",
        "items-0-quantity": "0",
    }
    content = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "<html" not in content and 'id="you-pay"' not in content
    assert 'id="estimate-form" hx-swap-oob="true"' in content
    assert "voyez les messages à côté" in content
    shipping = content.split('name="shipping_cost"', 1)[1].split("</p>", 1)[0]
    assert "supérieure ou égale à 0" in shipping
    quantity = content.split('name="items-0-quantity"', 1)[1].split("</td>", 1)[0]
    assert 'id="id_items-0-quantity_error"' in quantity and "0.001" in quantity
    # Without JavaScript the page itself shows the same message beside the quantity.
    page = client.post(reverse("revenue:estimate"), data).content.decode()
    assert 'id="id_items-0-quantity_error"' in page


def test_the_estimate_page_names_the_field_of_a_problem_in_french(client):
    data = {
        "destination": "ZZ",
        "origin_country": "CN",
        "currency": "EUR",
        "shipping_cost": "0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "999999",
        "items-0-value": "40.00",
        "items-0-quantity": "1",
    }
    content = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Destination (code pays, p. ex. FR)" in content.split("</section>", 1)[0]
    assert "pas un code pays ISO 3166-1" in content
    assert "<code>/destination</code>" not in content and "not an ISO 3166" not in content


def test_the_estimate_page_takes_written_amounts_only(client):
    data = {
        "origin_country": "cn",
        "currency": "EUR",
        "shipping_cost": "5e0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "4e1",
        "items-0-quantity": "1",
    }
    content = client.post(reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true")
    assert 'id="you-pay"' not in content.content.decode()


def test_estimate_explanation_reads_in_french_on_the_french_page(client):
    """The explanation lines (value, conversion, collection, exchange-rate rule) are composed
    phrase by phrase and read in the page's language; amounts and codes stay as they are."""
    data = {
        "destination": "AU",
        "origin_country": "US",
        "currency": "USD",
        "date": "2026-11-25",
        "shipping_cost": "0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "100.00",
        "items-0-quantity": "1",
    }
    english = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true"
    ).content.decode()
    # The rule in words and the dates as the reader writes them, never the code and ISO dates.
    assert (
        "Exchange rate rule: rate of the day of exportation; rate fixed for 11/25/2026" in english
    )
    explained = english.split('<ul class="small">')[1].split("</ul>")[0]
    assert "export_day" not in explained and "2026-11-25" not in explained
    french = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Taux de change du jour : 1 USD" in french
    assert (
        "Règle de taux de change : taux du jour de l&#x27;exportation ; "
        "taux fixé pour le 25/11/2026, publié le " in french
    )
    explained = french.split('<ul class="small">')[1].split("</ul>")[0]
    assert "export_day" not in explained and "2026-11-25" not in explained
    assert "le taux du jour de l&#x27;importation est utilisé" in french
    assert "Exchange rate" not in french and "collection model" not in french


@pytest.mark.parametrize(
    ("change", "english", "french"),
    [
        (
            {"destination": "FR", "origin_country": "DE"},
            "DE and FR are both in the EU customs and VAT territory: goods moving between them "
            "are not imports, so no import duty or import VAT is due",
            "DE et FR appartiennent tous deux au territoire douanier et fiscal EU : les "
            "marchandises qui circulent entre eux ne sont pas des importations",
        ),
        (
            {"destination": "CA", "currency": "CAD", "region": "ZZ"},
            "ZZ is not a region of regime CA-2025-04; known: AB, BC,",
            "ZZ n'est pas une région du régime CA-2025-04 ; régions connues : AB, BC,",
        ),
        (
            {"destination": "FR", "region": "ON"},
            "ON is not a region of regime EU-FR-2026, which has no regions",
            "ON n'est pas une région du régime EU-FR-2026, qui n'en a aucune",
        ),
        (
            {"destination": "FR", "export_date": "2026-11-30"},
            "export_date 2026-11-30 is after the date of import 2026-11-25",
            "la date d'exportation 2026-11-30 est postérieure à la date d'importation 2026-11-25",
        ),
    ],
)
def test_estimate_problems_of_the_basket_read_in_the_page_language(client, change, english, french):
    """`not_an_import` and `region_unknown` name the countries and regions in a sentence of the
    page's language; the API's code stays the same."""
    import html

    data = {
        "origin_country": "US",
        "currency": "EUR",
        "date": "2026-11-25",
        "shipping_cost": "0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "100.00",
        "items-0-quantity": "1",
        **change,
    }
    url = reverse("revenue:estimate")
    shown = html.unescape(client.post(url, data, HTTP_HX_REQUEST="true").content.decode())
    assert english in shown
    shown = html.unescape(
        client.post(url, data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert french in shown, shown[:600]
    assert "not imports" not in shown and "is not a region" not in shown


def test_the_case_file_offers_a_revaluation_only_to_whom_it_would_accept(
    client, customs_user, operator_b
):
    """A revaluation of a yellow or red consignment needs its claim (lifecycle.claim_problem): the
    decision bar does not offer a form that would only answer "claim it first"."""
    from django.utils import timezone

    from declarations.models import Declaration

    declaration = submit(operator_b.operator, [border_body("REVAL-OFFER", value="100.00")])[0]
    under_inspection(declaration.pk)
    Declaration.objects.filter(pk=declaration.pk).update(channel="red")
    officer, other = customs_user("officer"), customs_user("officer", "officer-2")
    client.force_login(officer)
    page = reverse("declarations:consignment", args=[declaration.pk])
    form = reverse("revenue:revalue", args=[declaration.pk])
    assert form not in client.get(page).content.decode()  # nobody holds it
    Declaration.objects.filter(pk=declaration.pk).update(
        claimed_by=other, claimed_at=timezone.now()
    )
    assert form not in client.get(page).content.decode()  # another officer holds it
    Declaration.objects.filter(pk=declaration.pk).update(claimed_by=officer)
    assert form in client.get(page).content.decode()
