"""The history a risk batch reads stays bounded as the database grows: seller familiarity is
counted up to a cap, tax-scheme numbers are remembered as (number, seller) pairs, and the channel
written for the queue leaves the operator's listing cursor alone."""

from __future__ import annotations

import copy
import importlib

import pytest
from django.apps import apps

from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.models import RiskAssessment, TaxNumberSeller
from risk.services import batch
from risk.services.assessment import risk_assess_batch
from risk.services.batch import _known_tax_numbers, build_facts, risk_rows
from tests.examples import example_for

pytestmark = pytest.mark.django_db


def submit_many(operator, example, lrns: list[str], capture, **changes) -> list[Declaration]:
    bodies = []
    for lrn in lrns:
        body = example_for(lrn, example)  # each parcel its own transport document
        body.update(copy.deepcopy(changes))
        body["order"].pop("payment", None)
        body["self_assessed_taxes"] = []
        bodies.append(body)
    with capture(execute=True):
        outcomes = declarations_submit(operator=operator.operator, bodies=bodies)
    assert [o.status for o in outcomes] == [201] * len(lrns), [o.errors for o in outcomes]
    return list(Declaration.objects.filter(pk__in=[o.declaration.pk for o in outcomes]))


def test_seller_familiarity_is_counted_up_to_the_cap(
    operator_a, example, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(batch, "SELLER_FAMILIARITY_CAP", 3)
    stored = submit_many(
        operator_a,
        example,
        [f"LRN-F{n}" for n in range(6)],
        django_capture_on_commit_callbacks,
    )
    facts = build_facts(risk_rows([d.pk for d in stored]))
    # Six consignments of one seller: each sees the others, counted up to the cap (3) only.
    assert {f.seller_prior_count for f in facts} == {3}

    monkeypatch.setattr(batch, "SELLER_FAMILIARITY_CAP", 50)
    assert {f.seller_prior_count for f in build_facts(risk_rows([stored[0].pk]))} == {5}


def test_tax_number_sellers_are_remembered_once_and_never_vouch_for_their_own_batch(
    operator_a, example, django_capture_on_commit_callbacks
):
    number = example["vendor_tax_scheme"]["number"]
    first = submit_many(
        operator_a, example, ["LRN-T1", "LRN-T2"], django_capture_on_commit_callbacks
    )
    pairs = list(TaxNumberSeller.objects.filter(number=number))
    assert len(pairs) == 1
    assert pairs[0].first_declaration_id == min(d.pk for d in first)

    # The batch that first carried the pair does not vouch for itself...
    assert _known_tax_numbers(risk_rows([d.pk for d in first])) == {}
    # ...but a later consignment sees that seller.
    later = submit_many(operator_a, example, ["LRN-T3"], django_capture_on_commit_callbacks)
    known = _known_tax_numbers(risk_rows([later[0].pk]))
    assert known == {number: frozenset({pairs[0].party_key})}


def test_upgrade_backfills_the_pairs_of_assessed_consignments(
    operator_a, example, django_capture_on_commit_callbacks
):
    stored = submit_many(
        operator_a, example, ["LRN-B1", "LRN-B2"], django_capture_on_commit_callbacks
    )
    expected = set(TaxNumberSeller.objects.values_list("number", "party_key"))
    assert expected
    TaxNumberSeller.objects.all().delete()

    migration = importlib.import_module("risk.migrations.0003_tax_number_sellers")
    migration.backfill(apps, None)

    assert set(TaxNumberSeller.objects.values_list("number", "party_key")) == expected
    assert TaxNumberSeller.objects.get().first_declaration_id == min(d.pk for d in stored)


def test_risk_stamps_its_revision_and_channel_and_completion_follows_the_stamps(
    operator_a, example, django_capture_on_commit_callbacks
):
    """Risk stores its assessment and its stamp (channel, score, the revision it assessed) in the
    same transaction, without writing the declaration row; the status changes, through the
    lifecycle, once revenue has stamped the same revision, and the channel is written with it.
    The operator's cursor (`updated_at`) moves only then; the spent stamps are deleted."""
    from declarations.models import AssessmentStamp
    from revenue.services.assessment import taxes_assess_batch

    body = copy.deepcopy(example)
    body["lrn"] = "LRN-ONCE"
    body["order"].pop("payment", None)
    body["self_assessed_taxes"] = []
    outcome = declarations_submit(operator=operator_a.operator, bodies=[body])[0]
    before = Declaration.objects.get(pk=outcome.declaration.pk)

    risk_assess_batch(declaration_ids=[before.pk])
    after_risk = Declaration.objects.get(pk=before.pk)
    assessment = RiskAssessment.objects.get(declaration_id=before.pk)
    assert (after_risk.status, after_risk.updated_at) == (before.status, before.updated_at)
    assert (after_risk.channel, after_risk.risk_revision) == (before.channel, before.risk_revision)
    stamp = AssessmentStamp.objects.get(declaration_id=before.pk)
    assert (stamp.part, stamp.revision, stamp.channel, stamp.score) == (
        "risk",
        before.revision,
        assessment.channel,
        assessment.score,
    )

    # Run twice: the second run finds the revision assessed and stores nothing more.
    assert risk_assess_batch(declaration_ids=[before.pk]) == 0
    assert RiskAssessment.objects.filter(declaration_id=before.pk).count() == 1

    taxes_assess_batch(declaration_ids=[before.pk])
    done = Declaration.objects.get(pk=before.pk)
    assert done.status == "assessed"
    assert (done.channel, done.risk_score, done.risk_revision) == (
        assessment.channel,
        assessment.score,
        done.revision,
    )
    assert not AssessmentStamp.objects.filter(declaration_id=before.pk).exists()


def test_revenue_first_stamps_its_revision_and_risk_second_completes_it(
    operator_a, example, django_capture_on_commit_callbacks
):
    from revenue.models import TaxAssessment
    from revenue.services.assessment import taxes_assess_batch

    body = copy.deepcopy(example)
    body["lrn"] = "LRN-REVENUE-FIRST"
    body["order"].pop("payment", None)
    body["self_assessed_taxes"] = []
    outcome = declarations_submit(operator=operator_a.operator, bodies=[body])[0]
    before = Declaration.objects.get(pk=outcome.declaration.pk)

    assert taxes_assess_batch(declaration_ids=[before.pk]) == 1
    after_revenue = Declaration.objects.get(pk=before.pk)
    assert (after_revenue.status, after_revenue.updated_at) == (before.status, before.updated_at)
    from declarations.models import AssessmentStamp

    assert after_revenue.tax_revision == before.tax_revision  # the row is written once, later
    assert AssessmentStamp.objects.filter(
        declaration_id=before.pk, part="tax", revision=before.revision
    ).exists()
    # Run twice: the initial tax assessment of the revision is recognised.
    assert taxes_assess_batch(declaration_ids=[before.pk]) == 0
    assert TaxAssessment.objects.filter(declaration_id=before.pk).count() == 1

    risk_assess_batch(declaration_ids=[before.pk])
    done = Declaration.objects.get(pk=before.pk)
    assert done.status == "assessed"
    assert done.channel
    assert done.risk_revision == done.tax_revision == done.revision
