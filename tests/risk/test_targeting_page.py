"""The analyst page shows per-rule precision and recall: on recorded outcomes and on the last run
of the scenario corpus."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.models import RiskHit, TargetingRun
from risk.services.outcomes import outcome_record
from tests.examples import example_for

pytestmark = pytest.mark.django_db(transaction=False)


def test_rules_page_shows_recall_on_outcomes_and_corpus_precision_and_recall(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    officer = customs_user("officer")
    declarations = []
    for n, value in enumerate(("1.00", "1.00", "24.00")):
        body = example_for(f"REC-{n}", example)  # each parcel its own transport document
        del body["order"]["payment"]
        body["self_assessed_taxes"] = []
        body["items"] = [body["items"][0] | {"value": value, "quantity": 1}]
        with django_capture_on_commit_callbacks(execute=True):
            (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[body])
        assert outcome.status == 201, outcome.errors
        declarations.append(Declaration.objects.get(pk=outcome.declaration.pk))
    # Two undervalued parcels found non-compliant; the vague-description rule is made to have
    # fired on one of them only, so its recall on outcomes is 1 of 2.
    for d in declarations[:2]:
        outcome_record(declaration_id=d.pk, officer=officer, result="undervaluation",
                       revised_value_eur=Decimal("24"))  # fmt: skip
    outcome_record(declaration_id=declarations[2].pk, officer=officer, result="compliant")
    assessment = declarations[0].risk_assessments.get()
    RiskHit.objects.create(assessment=assessment, rule_code="vague_description", score=15,
                           explanation="test hit")  # fmt: skip
    TargetingRun.objects.create(
        ruleset_version=1,
        size=237,
        summary={
            "risky": 61, "benign": 176, "risky_held": 61, "benign_controlled": 3,
            "meets_targets": True,
            "rules": [{"code": "splitting", "fired": 4, "true_positives": 4, "targeted": 5,
                       "caught": 4, "precision": 1.0, "recall": 0.8}],
        },
    )  # fmt: skip
    analyst = Client()
    analyst.force_login(customs_user("risk_analyst"))
    page = analyst.get("/risk/").content.decode()
    row = page[page.index('id="rule-vague_description"') :]
    row = row[: row.index("</tr>")]
    assert "50 % (1/2)" in row  # recall on outcomes
    splitting = page[page.index('id="rule-splitting"') :]
    splitting = splitting[: splitting.index("</tr>")]
    assert "100 % (4/4)" in splitting and "80 % (4/5)" in splitting  # corpus precision, recall
    assert 'id="targeting-recall">61/61' in page
    assert 'id="targeting-benign">3/176' in page


def test_pages_added_for_targeting_and_published_lists_read_in_french(customs_user):
    analyst = Client()
    analyst.force_login(customs_user("risk_analyst"))
    rules = analyst.get("/risk/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Ciblage sur le corpus de scénarios" in rules
    assert "Rappel (corpus)" in rules
    watchlist = analyst.get("/risk/watchlist/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Mettre à jour une liste publiée" in watchlist
    assert "Historique des mises à jour" in watchlist
    assert "Liste consolidée des sanctions financières de l&#x27;UE (XML)" in watchlist
