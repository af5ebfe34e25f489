"""From hits to a control channel: scoring, AEO benefits, thresholds and random selection.

Channels follow the ASYCUDA selectivity model: green (release), blue (release, audit later),
yellow (documentary check), red (physical or NII inspection). A random floor per channel keeps
an unbiased sample of consignments under control, so unknown risks surface and rule hit rates can
be measured (WCO Standard 4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from declarations.messages import Message
from risk.facts import Facts
from risk.rules import BatchContext, CompiledRule, Hit, compile_ruleset, run_rules

CHANNELS = ("green", "blue", "yellow", "red")
_RANK = {channel: rank for rank, channel in enumerate(CHANNELS)}
_CHANNEL_PURPOSE = {
    "blue": "post-release audit",
    "yellow": "documentary check",
    "red": "physical or NII inspection",
}
MAX_SCORE = 100
_HASH_SPACE = float(2**64)


def _default_thresholds() -> dict[str, int]:
    return {"blue": 20, "yellow": 40, "red": 70}


def _default_random_rates() -> dict[str, float]:
    return {"yellow": 0.01, "red": 0.005}


def _default_target_rates() -> dict[str, float]:
    return {"blue": 0.05, "yellow": 0.04, "red": 0.02}


@dataclass(frozen=True)
class ChannelPolicy:
    """Score thresholds, random floors and AEO factors, held as dated configuration.

    ``thresholds``: minimum score for blue, yellow and red. ``random_rates``: share of
    consignments drawn at random into yellow and red. AEO operators' overridable hit scores are
    multiplied by ``aeo_score_factor`` and their random rates by ``aeo_random_factor``.
    ``target_rates`` is the share per channel the administration aims for (inspection capacity);
    it does not change a decision, ``suggest_thresholds`` uses it to propose thresholds.
    """

    thresholds: dict[str, int] = field(default_factory=_default_thresholds)
    random_rates: dict[str, float] = field(default_factory=_default_random_rates)
    aeo_score_factor: Decimal = Decimal("0.5")
    aeo_random_factor: Decimal = Decimal("0.2")
    target_rates: dict[str, float] = field(default_factory=_default_target_rates)

    def __post_init__(self) -> None:
        if set(self.thresholds) != {"blue", "yellow", "red"}:
            raise ValueError("thresholds: give exactly blue, yellow and red")
        blue, yellow, red = (self.thresholds[c] for c in ("blue", "yellow", "red"))
        if not 0 < blue <= yellow <= red <= MAX_SCORE:
            raise ValueError(
                f"thresholds: need 0 < blue <= yellow <= red <= 100, got {blue}, {yellow}, {red}"
            )
        for name, rates in (
            ("random_rates", self.random_rates),
            ("target_rates", self.target_rates),
        ):
            unknown = set(rates) - set(CHANNELS)
            if unknown:
                raise ValueError(f"{name}: unknown channels {sorted(unknown)}")
            if any(not 0 <= rate <= 1 for rate in rates.values()) or sum(rates.values()) > 1:
                raise ValueError(f"{name}: each rate in [0, 1] and their sum at most 1")
        if set(self.random_rates) - {"yellow", "red"}:
            raise ValueError("random_rates: random selection only lifts to yellow or red")
        for name in ("aeo_score_factor", "aeo_random_factor"):
            if not Decimal(0) <= getattr(self, name) <= Decimal(1):
                raise ValueError(f"{name}: must be between 0 and 1")


@dataclass(frozen=True)
class Outcome:
    """The assessment of one declaration.

    ``random_selected`` is True whenever the random draw fell in a yellow or red band, even if
    the risk score had already put the consignment there: the drawn set is then an unbiased
    sample for measuring hit rates. A ``random_selection`` hit is added only when the draw
    raised the channel.
    """

    score: int
    channel: str
    hits: tuple[Hit, ...]
    random_selected: bool


def channel_for_score(score: int, policy: ChannelPolicy) -> str:
    """The channel a score reaches on its own."""
    thresholds = policy.thresholds
    if score >= thresholds["red"]:
        return "red"
    if score >= thresholds["yellow"]:
        return "yellow"
    if score >= thresholds["blue"]:
        return "blue"
    return "green"


def random_draw(seed: str, declaration_id: int) -> float:
    """A uniform number in [0, 1) fixed by (seed, declaration id): reproducible, not guessable
    without the seed, and independent of the risk score."""
    digest = hashlib.blake2b(f"{seed}:{declaration_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _HASH_SPACE


def _score(
    hits: list[Hit], is_aeo: bool, policy: ChannelPolicy, score_factor: Decimal | None = None
) -> int:
    if not is_aeo:
        return min(MAX_SCORE, sum(hit.score for hit in hits))
    factor = policy.aeo_score_factor if score_factor is None else score_factor
    full = sum(hit.score for hit in hits if not hit.overridable_by_aeo)
    reduced = sum(hit.score for hit in hits if hit.overridable_by_aeo) * factor
    total = (full + reduced).quantize(Decimal(1), ROUND_HALF_UP)
    return min(MAX_SCORE, int(total))


def decide(
    hits: list[Hit],
    *,
    declaration_id: int,
    is_aeo: bool,
    random_seed: str,
    policy: ChannelPolicy,
    aeo_score_factor: Decimal | None = None,
    aeo_random_factor: Decimal | None = None,
) -> Outcome:
    """Score, channel and random selection for the hits of one declaration.

    ``aeo_score_factor`` / ``aeo_random_factor`` are the operator's own benefits from the AEO
    registry; when None the policy's factors apply."""
    hits = list(hits)
    score = _score(hits, is_aeo, policy, aeo_score_factor)
    rank = _RANK[channel_for_score(score, policy)]
    for hit in hits:
        # AEO benefits drop the minimum channel of overridable hits; watchlist and prohibited
        # goods keep theirs.
        if hit.min_channel and (not is_aeo or not hit.overridable_by_aeo):
            rank = max(rank, _RANK[hit.min_channel])

    red_rate = policy.random_rates.get("red", 0.0)
    yellow_rate = policy.random_rates.get("yellow", 0.0)
    if is_aeo:
        factor = float(policy.aeo_random_factor if aeo_random_factor is None else aeo_random_factor)
        red_rate, yellow_rate = red_rate * factor, yellow_rate * factor
    draw = random_draw(random_seed, declaration_id)
    drawn = None
    if draw < red_rate:
        drawn, rate = "red", red_rate
    elif draw < red_rate + yellow_rate:
        drawn, rate = "yellow", yellow_rate
    if drawn is not None and _RANK[drawn] > rank:
        rank = _RANK[drawn]
        hits.append(
            Hit(
                "random_selection",
                0,
                Message(
                    "selected at random for %(channel)s (%(purpose)s) at a rate of %(rate)s%% "
                    "(reduced for an AEO operator), to find unknown risks and measure hit rates"
                    if is_aeo
                    else "selected at random for %(channel)s (%(purpose)s) at a rate of "
                    "%(rate)s%%, to find unknown risks and measure hit rates",
                    channel=Message(drawn),
                    purpose=Message(_CHANNEL_PURPOSE[drawn]),
                    rate=f"{rate * 100:.2f}",
                ),
                drawn,
                {"draw": round(draw, 6), "rate": rate},
            )
        )
    return Outcome(score, CHANNELS[rank], tuple(hits), drawn is not None)


def _assess(
    facts: Facts, compiled: tuple[CompiledRule, ...], ctx: BatchContext, policy: ChannelPolicy
) -> Outcome:
    return decide(
        run_rules(facts, compiled, ctx),
        declaration_id=facts.declaration_id,
        is_aeo=facts.operator_is_aeo,
        random_seed=ctx.random_seed,
        policy=policy,
        aeo_score_factor=facts.aeo_score_factor,
        aeo_random_factor=facts.aeo_random_factor,
    )


def evaluate(
    facts: Facts, ruleset: list[dict], ctx: BatchContext, policy: ChannelPolicy
) -> Outcome:
    """Assess one declaration with a rule set (validated on every call; prefer
    ``evaluate_batch`` on hot paths)."""
    return _assess(facts, compile_ruleset(ruleset), ctx, policy)


def evaluate_batch(
    facts_list: Iterable[Facts], ruleset: list[dict], ctx: BatchContext, policy: ChannelPolicy
) -> list[Outcome]:
    """Assess many declarations, validating the rule set once: the hot path of the worker."""
    compiled = compile_ruleset(ruleset)
    return [_assess(facts, compiled, ctx, policy) for facts in facts_list]


def suggest_thresholds(scores: Iterable[int], policy: ChannelPolicy) -> dict[str, int]:
    """Thresholds that would have sent ``policy.target_rates`` of past scores to each channel.

    Random selection is not counted. Channels without a target keep their current threshold;
    thresholds are kept increasing. An analyst reviews the proposal before it becomes a new
    dated policy.
    """
    ordered = sorted(scores, reverse=True)
    if not ordered:
        return dict(policy.thresholds)
    suggested: dict[str, int] = {}
    cumulative = 0.0
    for channel in ("red", "yellow", "blue"):
        target = policy.target_rates.get(channel)
        if target is None:
            suggested[channel] = policy.thresholds[channel]
            continue
        cumulative += target
        index = min(len(ordered) - 1, max(0, int(cumulative * len(ordered)) - 1))
        suggested[channel] = max(1, min(MAX_SCORE, ordered[index]))
    suggested["yellow"] = min(suggested["yellow"], suggested["red"])
    suggested["blue"] = min(suggested["blue"], suggested["yellow"])
    return {c: suggested[c] for c in ("blue", "yellow", "red")}
