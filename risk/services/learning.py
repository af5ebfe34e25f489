"""The learned model: the newest trained model (cached per process), what a promoted model adds
to the rules' outcome at assessment time, and the training of a new version on outcome
history."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from customs_ecom.platform.audit import audit_record

from ..channels import Outcome, decide
from ..facts import Facts
from ..learning import FEATURES, FLAG_PROBABILITY, MIN_OUTCOMES, TrainedModel, raw_features, train
from ..models import RiskModel, RuleSet
from ..rules import BatchContext, Hit
from ..selectors import training_rows_with_rules
from .rulesets import policy_from_dict, random_seed

logger = logging.getLogger(__name__)


_model_cache: dict[str, Any] = {"key": None, "model": None, "promoted": False}


def current_model() -> tuple[int | None, TrainedModel | None]:
    """The newest trained model (cached per process until another row is the newest: the key
    holds the row and its training time, so a database rebuilt under a running process, with a
    new model of the same version number, is never answered from the cache)."""
    newest = (
        RiskModel.objects.order_by("-version").values_list("version", "pk", "trained_at").first()
    )
    if newest is None:
        return None, None
    version = newest[0]
    if _model_cache["key"] != newest:
        blob, metrics = (
            RiskModel.objects.filter(version=version).values_list("blob", "metrics").first()
        )
        _model_cache.update(
            key=newest,
            model=TrainedModel.loads(blob),
            promoted=bool((metrics or {}).get("promoted")),
        )
    return version, _model_cache["model"]


# Issue 17: what a promoted model's flag weighs. A model is promoted only when it beat the rules
# on the same held-out outcomes (``learning.train``); it then adds a hit like a rule, at least a
# documentary check, never reducing what the rules decided.
MODEL_HIT_SCORE = 40
MODEL_HIT_MIN_CHANNEL = "yellow"


def _with_promoted_model(
    facts: Sequence[Facts],
    outcomes: list[Outcome],
    version: int | None,
    scored: list[tuple[float, list[dict]]] | None,
    ruleset: RuleSet,
) -> list[Outcome]:
    if not scored or version is None or not _model_cache.get("promoted"):
        return outcomes
    policy = policy_from_dict(ruleset.policy)
    result = []
    for fact, outcome, (probability, _features) in zip(facts, outcomes, scored, strict=True):
        if probability < FLAG_PROBABILITY:
            result.append(outcome)
            continue
        hits = [h for h in outcome.hits if h.rule_code != "random_selection"]
        hits.append(
            Hit(
                "learned_model",
                MODEL_HIT_SCORE,
                f"learned model v{version} (promoted: it beat the rules on held-out outcomes) "
                f"gives a probability of non-compliance of {probability:.0%}",
                MODEL_HIT_MIN_CHANNEL,
                {"probability": round(probability, 4), "model_version": version},
            )
        )
        result.append(
            decide(
                hits,
                declaration_id=fact.declaration_id,
                is_aeo=fact.operator_is_aeo,
                random_seed=random_seed(ruleset),
                policy=policy,
                aeo_score_factor=fact.aeo_score_factor,
                aeo_random_factor=fact.aeo_random_factor,
            )
        )
    return result


def _model_scores(
    facts: Sequence[Facts], context: BatchContext
) -> tuple[int | None, list[tuple[float, list[dict]]] | None]:
    version, model = current_model()
    if model is None:
        return None, None
    try:
        return version, model.explain([raw_features(f, context) for f in facts])
    except Exception:  # a broken model must never stop clearance; the rules still decide
        logger.exception("learned model v%s failed; assessing without it", version)
        return None, None


def risk_model_train_requested(*, actor: Any) -> None:
    """Audit a person's request to retrain (the training itself is audited when it stores a
    model; with too few outcomes it stores none, and this entry is then the only trace)."""
    latest = RiskModel.objects.order_by("-version").values_list("version", flat=True).first()
    audit_record(
        actor=actor,
        action="risk_model.train_requested",
        object_type="risk_model",
        object_id=latest or 0,
        before={"version": latest} if latest else None,
        after={"requested": True, "minimum_outcomes": MIN_OUTCOMES},
    )


def risk_model_train(*, actor: Any = None) -> RiskModel | None:
    """Train a new model version on outcome history; None (and nothing stored) with fewer than
    ``MIN_OUTCOMES`` outcomes or outcomes of a single kind."""
    rows, labels, rule_scores, rule_held = training_rows_with_rules()
    if len(rows) < MIN_OUTCOMES or len(set(labels)) < 2:
        logger.info("learned model not trained: %d outcomes", len(rows))
        return None
    model, metrics = train(rows, labels, rule_scores, rule_held)
    with transaction.atomic():
        latest = RiskModel.objects.select_for_update().order_by("-version").first()
        stored = RiskModel.objects.create(
            version=(latest.version + 1) if latest else 1,
            samples=len(rows),
            metrics=metrics,
            features=list(FEATURES),
            blob=model.dumps(),
        )
        audit_record(
            actor=actor,
            action="risk_model.train",
            object_type="risk_model",
            object_id=stored.version,
            before={"version": latest.version} if latest else None,
            after={"version": stored.version, "metrics": metrics},
        )
    return stored
