"""Reads for risk (customs only): the latest assessment of a declaration, outcomes, hit rates per
rule, for the model and overall, the working base of an analyst's next rule-set change, the
pending declarations, the training data of the learned model and the back-test of a draft rule
set."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from declarations.models import DailyAggregate, Declaration, Status
from declarations.statuses import OPEN

from .channels import CHANNELS, ChannelPolicy, evaluate_batch
from .learning import FLAG_PROBABILITY, raw_features
from .models import (
    SEIZURE_RESULTS,
    InspectionOutcome,
    RiskAssessment,
    RiskHit,
    RiskModel,
    RuleSet,
    TargetingRun,
)

COMPLIANT = InspectionOutcome.Result.COMPLIANT


def latest_assessment(*, declaration_id: int) -> RiskAssessment | None:
    return (
        RiskAssessment.objects.filter(declaration_id=declaration_id)
        .select_related("ruleset")
        .prefetch_related("hits")
        .order_by("-created_at", "-id")
        .first()
    )


def outcomes_for(declaration_id: int) -> list[InspectionOutcome]:
    """Recorded inspection outcomes of a declaration, newest first, with their officer."""
    return list(
        InspectionOutcome.objects.filter(declaration_id=declaration_id)
        .select_related("officer")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class Rate:
    """A hit rate: of ``checked`` hits with an outcome, ``found`` were non-compliant."""

    checked: int = 0
    found: int = 0

    @property
    def rate(self) -> float | None:
        return self.found / self.checked if self.checked else None


def rule_hit_rates() -> dict[str, Rate]:
    """Per rule: declarations it hit that have an outcome, and how many of those were
    non-compliant (a declaration counts once per rule however often it was re-assessed)."""
    rows = (
        RiskHit.objects.filter(assessment__declaration__outcomes__isnull=False)
        .values("rule_code")
        .annotate(
            checked=Count("assessment__declaration", distinct=True),
            found=Count(
                "assessment__declaration",
                distinct=True,
                filter=~Q(assessment__declaration__outcomes__result=COMPLIANT),
            ),
        )
    )
    return {r["rule_code"]: Rate(r["checked"], r["found"]) for r in rows}


def rule_hit_counts(*, days: int = 30) -> dict[str, int]:
    """Per rule, the consignments it fired on among those received in the last ``days`` days, read
    from the daily KPI aggregates (beat keeps today's and yesterday's current): a sum over
    ``days`` rows per rule, where counting the hits themselves read every assessment of the
    period, millions at an administration's volumes."""
    since = timezone.localdate() - timedelta(days=days - 1)
    return dict(
        DailyAggregate.objects.filter(metric="rule_hits", dimension="rule", day__gte=since)
        .values("key")
        .annotate(n=Sum("count"))
        .values_list("key", "n")
    )


@dataclass(frozen=True)
class OutcomeStats:
    """Overall figures from recorded outcomes."""

    outcomes: int
    non_compliant: int
    seizures: int
    rules_overall: Rate
    model: Rate

    @property
    def inspection_hit_rate(self) -> float | None:
        return self.non_compliant / self.outcomes if self.outcomes else None

    @property
    def seizure_rate(self) -> float | None:
        return self.seizures / self.outcomes if self.outcomes else None


def outcome_stats() -> OutcomeStats:
    """Inspection hit rate and seizure rate over declarations with an outcome; the rules' overall
    hit rate (declarations with any rule hit); the learned model's (probability >= 0.5)."""
    flagged_decl = Count("declaration", distinct=True)
    outcomes = InspectionOutcome.objects.aggregate(
        total=flagged_decl,
        bad=Count("declaration", distinct=True, filter=~Q(result=COMPLIANT)),
        seized=Count("declaration", distinct=True, filter=Q(result__in=SEIZURE_RESULTS)),
    )
    checked = Declaration.objects.filter(outcomes__isnull=False)
    non_compliant = ~Q(outcomes__result=COMPLIANT)
    rules = checked.filter(
        risk_assessments__hits__isnull=False,
    ).aggregate(
        n=Count("id", distinct=True),
        bad=Count("id", distinct=True, filter=non_compliant),
    )
    model = checked.filter(risk_assessments__model_probability__gte=FLAG_PROBABILITY).aggregate(
        n=Count("id", distinct=True),
        bad=Count("id", distinct=True, filter=non_compliant),
    )
    return OutcomeStats(
        outcomes=outcomes["total"],
        non_compliant=outcomes["bad"],
        seizures=outcomes["seized"],
        rules_overall=Rate(rules["n"], rules["bad"]),
        model=Rate(model["n"], model["bad"]),
    )


def latest_model() -> RiskModel | None:
    return RiskModel.objects.defer("blob").order_by("-version").first()


def outcome_count() -> int:
    return InspectionOutcome.objects.values("declaration").distinct().count()


# --- rule sets, pending declarations ------------------------------------------------------------


def ruleset_working_base() -> RuleSet:
    """The version an analyst's next change starts from: the newest draft newer than the active
    version that was not sent back, else the active version."""
    from .approval import sent_back
    from .services.rulesets import active_ruleset

    active = active_ruleset()
    drafts = RuleSet.objects.filter(state=RuleSet.State.DRAFT, version__gt=active.version).order_by(
        "-version"
    )
    # A draft a supervisor sent back is no base: its changes would ride into the next version.
    return next((draft for draft in drafts if not sent_back(draft)), active)


# Not yet released: a new rule set, a watchlist change or new data may still change the channel.
PENDING_STATUSES = OPEN


def pending_declaration_ids() -> list[int]:
    return list(
        Declaration.objects.filter(status__in=PENDING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- training data of the learned model ---------------------------------------------------------


def _outcome_labels() -> dict[int, int]:
    labels: dict[int, int] = {}
    for declaration_id, result in InspectionOutcome.objects.values_list("declaration_id", "result"):
        bad = int(result != InspectionOutcome.Result.COMPLIANT)
        labels[declaration_id] = max(labels.get(declaration_id, 0), bad)
    return labels


def training_rows_with_rules() -> tuple[list[dict[str, Any]], list[int], list[int], list[bool]]:
    """Features and labels of every declaration with an outcome, and what the active rules make
    of the same declarations (score; held in yellow or red, random draws left out): the model
    is compared with the rules on the same data before it may be promoted."""
    from .services.batch import build_facts, load_batch_context
    from .services.rulesets import active_ruleset, policy_from_dict

    labels = _outcome_labels()
    ids = sorted(labels)
    rows: list[dict[str, Any]] = []
    ys: list[int] = []
    scores: list[int] = []
    held: list[bool] = []
    ruleset = active_ruleset()
    policy = policy_from_dict(ruleset.policy)
    no_draw = ChannelPolicy(
        thresholds=policy.thresholds,
        random_rates={},
        aeo_score_factor=policy.aeo_score_factor,
        aeo_random_factor=policy.aeo_random_factor,
        target_rates=policy.target_rates,
    )
    for start in range(0, len(ids), 1000):
        chunk = list(
            Declaration.objects.filter(pk__in=ids[start : start + 1000])
            .select_related("operator")
            .order_by("pk")
        )
        context = load_batch_context(ruleset, chunk)
        facts_list = build_facts(chunk)
        outcomes = evaluate_batch(facts_list, ruleset.rules, context, no_draw)
        for facts, outcome in zip(facts_list, outcomes, strict=True):
            rows.append(raw_features(facts, context))
            ys.append(labels[facts.declaration_id])
            scores.append(outcome.score)
            held.append(outcome.channel in ("yellow", "red"))
    return rows, ys, scores, held


# --- back-test ----------------------------------------------------------------------------------

BACKTEST_LIMIT = 20_000
BACKTEST_CHUNK = 1000


@dataclass
class BacktestResult:
    """What a rule-set version would have done to the consignments of the last ``days`` days."""

    days: int
    total: int = 0
    changed: int = 0
    transitions: Counter = field(default_factory=Counter)  # (from, to) -> count
    current_mix: Counter = field(default_factory=Counter)
    draft_mix: Counter = field(default_factory=Counter)
    target_rates: dict[str, float] = field(default_factory=dict)
    selected_with_outcome: int = 0
    selected_non_compliant: int = 0
    rule_hits: Counter = field(default_factory=Counter)
    rule_checked: Counter = field(default_factory=Counter)
    rule_found: Counter = field(default_factory=Counter)
    truncated: bool = False

    @property
    def expected_hit_rate(self) -> float | None:
        if not self.selected_with_outcome:
            return None
        return self.selected_non_compliant / self.selected_with_outcome

    def share(self, mix: Counter, channel: str) -> float:
        return mix.get(channel, 0) / self.total if self.total else 0.0

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "channel": c,
                "current": self.current_mix.get(c, 0),
                "draft": self.draft_mix.get(c, 0),
                "current_share": self.share(self.current_mix, c),
                "draft_share": self.share(self.draft_mix, c),
                "target": self.target_rates.get(c),
            }
            for c in CHANNELS
        ]

    def rule_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "hits": n,
                "checked": self.rule_checked.get(code, 0),
                "found": self.rule_found.get(code, 0),
                "rate": (self.rule_found.get(code, 0) / self.rule_checked[code])
                if self.rule_checked.get(code)
                else None,
            }
            for code, n in self.rule_hits.most_common()
        ]


def backtest(*, ruleset: RuleSet, days: int) -> BacktestResult:
    """Replay ``evaluate_batch`` with this version and with the active version over stored
    declarations of the last ``days`` days (newest first, at most ``BACKTEST_LIMIT``) and compare
    the two; the expected hit rate is the share of non-compliant outcomes among the recorded
    outcomes of the consignments the version would send to yellow or red.

    Both replays draw random selection with one seed, the active version's (so the replay of the
    active version gives the channels it gave live): the active version compared with itself
    changes nothing, and a draft differs from it only by its rules and policy, never by a
    re-rolled draw.
    """
    from .services.batch import build_facts, load_batch_context
    from .services.rulesets import active_ruleset, policy_from_dict

    result = BacktestResult(days=days)
    policy = policy_from_dict(ruleset.policy)
    active = active_ruleset()
    active_policy = policy_from_dict(active.policy)
    result.target_rates = dict(policy.target_rates)
    since = timezone.now() - timedelta(days=days)
    ids = list(
        Declaration.objects.filter(received_at__gte=since)
        .exclude(status=Status.INVALIDATED)
        .order_by("-received_at")
        .values_list("pk", flat=True)[: BACKTEST_LIMIT + 1]
    )
    result.truncated = len(ids) > BACKTEST_LIMIT
    ids = ids[:BACKTEST_LIMIT]
    findings: dict[int, bool] = {}
    for declaration_id, res in InspectionOutcome.objects.filter(declaration_id__in=ids).values_list(
        "declaration_id", "result"
    ):
        findings[declaration_id] = findings.get(declaration_id, False) or res != COMPLIANT
    for start in range(0, len(ids), BACKTEST_CHUNK):
        chunk = list(
            Declaration.objects.filter(pk__in=ids[start : start + BACKTEST_CHUNK])
            .select_related("operator")
            .order_by("pk")
        )
        facts = build_facts(chunk)
        active_context = load_batch_context(active, chunk)
        context = load_batch_context(ruleset, chunk)
        context.random_seed = active_context.random_seed
        outcomes = evaluate_batch(facts, ruleset.rules, context, policy)
        if active.pk == ruleset.pk:
            baseline = outcomes
        else:
            baseline = evaluate_batch(facts, active.rules, active_context, active_policy)
        for declaration, outcome, base_outcome in zip(chunk, outcomes, baseline, strict=True):
            result.total += 1
            current = base_outcome.channel
            result.current_mix[current] += 1
            result.draft_mix[outcome.channel] += 1
            if current != outcome.channel:
                result.changed += 1
                result.transitions[(current, outcome.channel)] += 1
            known = findings.get(declaration.pk)
            if known is not None and outcome.channel in ("yellow", "red"):
                result.selected_with_outcome += 1
                result.selected_non_compliant += int(known)
            for code in {hit.rule_code for hit in outcome.hits}:
                result.rule_hits[code] += 1
                if known is not None:
                    result.rule_checked[code] += 1
                    result.rule_found[code] += int(known)
    return result


def rule_recall_from_outcomes() -> dict[str, int]:
    """Per rule, how many consignments an inspection found non-compliant it had fired on: with
    ``OutcomeStats.non_compliant`` the rule's recall on recorded outcomes (biased towards what
    was controlled; the random floor keeps part of the sample unbiased). One query."""
    bad = InspectionOutcome.objects.exclude(result=COMPLIANT).values("declaration_id")
    rows = (
        RiskHit.objects.filter(assessment__declaration_id__in=bad)
        .values("rule_code")
        .annotate(n=Count("assessment__declaration", distinct=True))
    )
    return {r["rule_code"]: r["n"] for r in rows}


def latest_targeting_run() -> TargetingRun | None:
    """The newest run of the labelled scenario corpus (``manage.py risk_scenarios``)."""
    return TargetingRun.objects.order_by("-run_at", "-id").first()
