"""The learned model is measured on held-out outcomes against the rules on the same data, and
influences channels only once promoted (it beat the rules)."""

from __future__ import annotations

import copy
import random

import pytest

from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.learning import FEATURES, train
from risk.models import RiskAssessment, RiskModel
from risk.services import learning as learning_services


def _row(rng: random.Random, bad: bool, *, category_signal: bool = False) -> dict:
    row = {name: rng.uniform(0, 100) for name in FEATURES}
    row.update(origin="CN", hs_chapter="61", transport_mode="air", operator_is_aeo=0.0)
    row["category"] = ("gift" if bad else "sale_of_goods") if category_signal else "sale_of_goods"
    row["value_to_benchmark"] = rng.uniform(0.01, 0.2) if bad else rng.uniform(0.6, 2.0)
    return row


def _data(n: int = 240, **kwargs):
    rng = random.Random(5)
    labels = [int(i % 3 == 0) for i in range(n)]
    return [_row(rng, bool(y), **kwargs) for y in labels], labels


def test_model_that_beats_uninformative_rules_is_promoted_with_its_held_out_metrics():
    rows, labels = _data()
    rng = random.Random(9)
    scores = [rng.choice((0, 10, 40)) for _ in labels]  # rules that see nothing of this risk
    model, metrics = train(rows, labels, scores, [s >= 40 for s in scores])
    assert metrics["holdout_size"] == 60 and metrics["samples"] == 240
    assert metrics["holdout_auc"] > 0.9 and metrics["holdout_recall"] > 0.8
    assert metrics["holdout_precision"] > 0.8
    assert metrics["rules_auc"] < 0.7
    assert metrics["promoted"] is True


def test_model_is_not_promoted_when_the_rules_do_as_well_on_the_same_data():
    rows, labels = _data()
    scores = [60 if y else 0 for y in labels]  # rules that already catch every case
    _model, metrics = train(rows, labels, scores, [bool(y) for y in labels])
    assert metrics["rules_auc"] == 1.0 and metrics["rules_recall"] == 1.0
    assert metrics["promoted"] is False


def test_without_rule_figures_a_model_is_never_promoted():
    rows, labels = _data()
    _model, metrics = train(rows, labels)
    assert metrics["promoted"] is False and "holdout_auc" in metrics


def _store(metrics_promoted: bool) -> None:
    rows, labels = _data(category_signal=True)
    model, metrics = train(rows, labels)
    metrics["promoted"] = metrics_promoted
    RiskModel.objects.create(version=1, samples=len(rows), metrics=metrics, features=list(FEATURES),
                             blob=model.dumps())  # fmt: skip
    learning_services._model_cache.update(key=None, model=None, promoted=False)


def _gift(example, lrn):
    body = copy.deepcopy(example)
    body["lrn"] = lrn
    body["category"] = "gift"
    del body["vendor_tax_scheme"]
    del body["order"]
    body["self_assessed_taxes"] = []
    body["seller"] = {"name": "Marie Martin", "address": {"country": "US", "city": "Boston",
                      "street": "1 Elm Street", "postcode": "02108"}}  # fmt: skip
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("promoted", [False, True])
def test_only_a_promoted_model_adds_to_the_channel(
    promoted, operator_a, example, django_capture_on_commit_callbacks
):
    _store(promoted)
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = declarations_submit(
            operator=operator_a.operator, bodies=[_gift(example, "G-1")]
        )
    assert outcome.status == 201, outcome.errors
    assessment = RiskAssessment.objects.get(declaration=Declaration.objects.get(lrn="G-1"))
    assert assessment.model_probability is not None and assessment.model_probability >= 0.5
    codes = set(assessment.hits.values_list("rule_code", flat=True))
    assert ("learned_model" in codes) is promoted
    if promoted:
        assert assessment.channel in ("yellow", "red")
    learning_services._model_cache.update(key=None, model=None, promoted=False)
