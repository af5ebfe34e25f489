"""The labelled scenario corpus through the real engine (intake, data quality, the risk batch, the
active default rule set) on a fresh database with no history: the targeting targets of issue 17."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.core.management import call_command

from declarations.models import Declaration
from risk.models import TargetingRun, WatchlistEntry
from risk.scenario_run import TARGET_BENIGN_CONTROLLED, rule_metrics
from risk.scenarios import RULE_TARGETS, corpus

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def scenarios():
    return corpus()


def test_corpus_is_large_varied_and_labelled(scenarios):
    assert len(scenarios) >= 200
    kinds = Counter(s.kind for s in scenarios)
    benign_kinds = [k for k in kinds if k.startswith("benign:")]
    assert len(benign_kinds) >= 15
    targeted = {kind for kinds_ in RULE_TARGETS.values() for kind in kinds_}
    assert targeted <= set(kinds)  # every risk a rule targets has scenarios
    assert all(s.finding in {"compliant", "undervaluation", "counterfeit", "prohibited",
                             "misdescription", "other"} for s in scenarios)  # fmt: skip
    assert len({s.body["lrn"] for s in scenarios}) == len(scenarios)


def test_metrics_count_precision_and_recall_per_rule(scenarios):
    from risk.scenario_run import ScenarioResult

    benign, risky = scenarios[0], next(s for s in scenarios if s.kind == "undervaluation")
    results = [
        ScenarioResult(risky, "yellow", frozenset({"undervaluation"}), False),
        ScenarioResult(benign, "yellow", frozenset({"undervaluation"}), False),
        ScenarioResult(risky, "green", frozenset(), False),
    ]
    (metrics,) = rule_metrics(results, ["undervaluation"])
    assert (metrics.fired, metrics.true_positives, metrics.targeted, metrics.caught) == (2, 1, 2, 1)
    assert metrics.precision == 0.5 and metrics.recall == 0.5


def test_every_risky_scenario_is_held_and_few_benign_are_controlled_on_a_fresh_database(capsys):
    """The CI run: ``manage.py risk_scenarios`` on the test database, which has no history."""
    assert not Declaration.objects.exists()
    call_command("risk_scenarios", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["missed"] == []
    assert summary["recall"] == 1.0 and summary["risky"] >= 50
    assert summary["benign_controlled_share"] <= TARGET_BENIGN_CONTROLLED, summary["benign_held"]
    assert summary["meets_targets"] is True and summary["size"] >= 200
    assert summary["history_declarations"] == 0
    for rule in summary["rules"]:
        if rule["targeted"]:  # every targeting rule catches all the scenarios of its risks
            assert rule["recall"] == 1.0, rule
    assert {r["code"] for r in summary["rules"]} >= set(RULE_TARGETS)
    # The run leaves nothing behind but its figures for the analyst page.
    assert not Declaration.objects.exists()
    assert not WatchlistEntry.objects.exists()
    assert TargetingRun.objects.get().summary == summary


def test_random_draw_neither_hides_nor_makes_a_hold_by_the_rules(scenarios):
    from risk.scenario_run import ScenarioResult

    risky = next(s for s in scenarios if s.kind == "misdescription")
    both = frozenset({"hs_description_mismatch", "random_selection"})
    lifted = ScenarioResult(risky, "red", both, True, rules_channel="yellow")
    assert lifted.held_by_rules  # the rules held it; the draw only raised yellow to red
    drawn = ScenarioResult(risky, "yellow", frozenset({"random_selection"}), True, "green")
    assert not drawn.held_by_rules  # the draw alone: random floor, not targeting
