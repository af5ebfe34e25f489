"""The learned risk model: gradient boosting on inspection outcomes (no ORM).

Features come from the same facts snapshot the rules read, so the model and the rules judge the
same evidence. The model adds a probability of non-compliance and the features that pushed it up;
it never replaces the rules: officers see both, and both have their hit rate measured.

Contributions are measured by occlusion: each feature in turn is set to "missing" (which gradient
boosting handles natively) and the drop in probability is that feature's contribution. It is model
agnostic, cheap for a dozen features, and explains one prediction in the officer's terms.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from risk.facts import Facts
from risk.rules import BatchContext

# Fewer outcomes than this and the model would learn noise: no model is trained.
MIN_OUTCOMES = 50
FLAG_PROBABILITY = 0.5

NUMERIC_FEATURES = (
    "value_to_benchmark",
    "total_value_eur",
    "value_per_kg_eur",
    "dq_score",
    "seller_prior_count",
    "consignee_recent_count",
    "item_count",
    "operator_is_aeo",
)
CATEGORICAL_FEATURES = ("origin", "hs_chapter", "category", "transport_mode")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
FEATURE_LABELS = {
    "value_to_benchmark": "declared value per kg against the HS benchmark",
    "total_value_eur": "total value",
    "value_per_kg_eur": "value per kg",
    "dq_score": "data-quality score",
    "seller_prior_count": "seller familiarity",
    "consignee_recent_count": "recent consignments to the consignee",
    "item_count": "number of items",
    "operator_is_aeo": "AEO status of the operator",
    "origin": "origin",
    "hs_chapter": "HS chapter",
    "category": "category",
    "transport_mode": "transport mode",
}
_NAN = float("nan")


def _benchmark(hs_code: str, benchmarks: dict[str, Decimal]) -> Decimal | None:
    for length in (6, 4, 2):
        value = benchmarks.get(hs_code[:length])
        if value:
            return Decimal(str(value))
    return None


def raw_features(facts: Facts, ctx: BatchContext) -> dict[str, Any]:
    """The features of one declaration, human-readable (categoricals as strings)."""
    main = max(facts.items, key=lambda i: i.value_eur) if facts.items else None
    ratio = _NAN
    per_kg = _NAN
    ratios = []
    for item in facts.items:
        if item.net_mass_kg and item.net_mass_kg > 0:
            rate = item.value_eur / item.net_mass_kg
            bench = _benchmark(item.hs_code or "", ctx.value_benchmarks)
            if bench:
                ratios.append(float(rate / bench))
    if ratios:
        ratio = min(ratios)
    if facts.total_gross_mass_kg and facts.total_gross_mass_kg > 0:
        per_kg = float(facts.total_value_eur / facts.total_gross_mass_kg)
    return {
        "value_to_benchmark": ratio,
        "total_value_eur": float(facts.total_value_eur),
        "value_per_kg_eur": per_kg,
        "dq_score": float(facts.dq_score) if facts.dq_score is not None else _NAN,
        "seller_prior_count": float(facts.seller_prior_count),
        "consignee_recent_count": float(len(facts.consignee_recent)),
        "item_count": float(len(facts.items)),
        "operator_is_aeo": 1.0 if facts.operator_is_aeo else 0.0,
        "origin": (main.origin_country if main else None) or facts.country_of_dispatch or "",
        "hs_chapter": (main.hs_code[:2] if main and main.hs_code else ""),
        "category": facts.category or "",
        "transport_mode": facts.transport_mode or "",
    }


@dataclass
class Encoder:
    """Categorical values to small integers (gradient boosting's native categorical support);
    values unseen in training become missing."""

    vocab: dict[str, dict[str, int]] = field(default_factory=dict)
    # Numeric columns never known in training (e.g. no benchmark yet): filled with 0, because the
    # estimator cannot bin a column without a single value.
    empty_columns: tuple[int, ...] = ()

    @classmethod
    def fit(cls, rows: Sequence[dict[str, Any]]) -> Encoder:
        vocab: dict[str, dict[str, int]] = {}
        for name in CATEGORICAL_FEATURES:
            counts: dict[str, int] = {}
            for row in rows:
                counts[row[name]] = counts.get(row[name], 0) + 1
            # The most frequent 200 values keep a code (the estimator allows up to 255).
            frequent = sorted(counts, key=lambda v: (-counts[v], v))[:200]
            vocab[name] = {value: code for code, value in enumerate(sorted(frequent))}
        encoder = cls(vocab)
        x = encoder.matrix(rows)
        encoder.empty_columns = tuple(int(c) for c in range(x.shape[1]) if np.isnan(x[:, c]).all())
        return encoder

    def matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        out = np.full((len(rows), len(FEATURES)), np.nan, dtype=float)
        for r, row in enumerate(rows):
            for c, name in enumerate(NUMERIC_FEATURES):
                out[r, c] = row[name]
            for c, name in enumerate(CATEGORICAL_FEATURES, start=len(NUMERIC_FEATURES)):
                code = self.vocab[name].get(row[name])
                if code is not None:
                    out[r, c] = code
        for c in self.empty_columns:
            out[:, c] = 0.0
        return out


@dataclass
class TrainedModel:
    """A fitted estimator with its encoder: what is pickled into ``RiskModel.blob``."""

    estimator: Any
    encoder: Encoder

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> TrainedModel:
        # Only ever loads blobs this application wrote into its own database.
        return pickle.loads(bytes(blob))  # noqa: S301

    def explain(
        self, rows: Sequence[dict[str, Any]], top: int = 3
    ) -> list[tuple[float, list[dict]]]:
        """Probability of non-compliance and the top contributing features, per row."""
        if not rows:
            return []
        base = self.encoder.matrix(rows)
        n, k = base.shape
        occluded = np.repeat(base, k, axis=0)
        for j in range(k):
            occluded[j::k, j] = np.nan
        probabilities = self.estimator.predict_proba(np.vstack([base, occluded]))[:, 1]
        own, drops = probabilities[:n], probabilities[n:].reshape(n, k)
        results = []
        for r in range(n):
            effects = own[r] - drops[r]
            order = np.argsort(-effects)[:top]
            contributions = [
                {
                    "feature": FEATURES[j],
                    "label": FEATURE_LABELS[FEATURES[j]],
                    "value": _display(rows[r][FEATURES[j]]),
                    "effect": round(float(effects[j]), 4),
                }
                for j in order
                if effects[j] > 0.001
            ]
            results.append((float(own[r]), contributions))
        return results


def _display(value: Any) -> str:
    if isinstance(value, float):
        return "unknown" if math.isnan(value) else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value) or "unknown"


def _precision_recall(truth: np.ndarray, flagged: np.ndarray) -> tuple[float | None, float | None]:
    precision = float(truth[flagged].mean()) if flagged.any() else None
    recall = float(flagged[truth == 1].mean()) if (truth == 1).any() else None
    return precision, recall


def _f1(precision: float | None, recall: float | None) -> float:
    if not precision or not recall:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def train(
    rows: Sequence[dict[str, Any]],
    labels: Sequence[int],
    rule_scores: Sequence[int] | None = None,
    rule_held: Sequence[bool] | None = None,
) -> tuple[TrainedModel, dict]:
    """Fit gradient boosting on outcome history; metrics from a hold-out quarter when both
    classes are present there, then the model is refitted on everything.

    On the same hold-out the rules are measured too (``rule_scores``: their score; ``rule_held``:
    whether they sent the consignment to yellow or red): precision, recall and ROC AUC of each.
    ``promoted`` is True only when the model beats the rules on that data: a higher ROC AUC and a
    higher F1 at its flagging threshold. Only a promoted model may influence channels."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    if len(rows) < MIN_OUTCOMES:
        raise ValueError(f"{len(rows)} outcomes; at least {MIN_OUTCOMES} are needed")
    y = np.asarray(labels, dtype=int)
    if y.min() == y.max():
        raise ValueError("outcomes are all of one kind; the model needs both")
    encoder = Encoder.fit(rows)
    x = encoder.matrix(rows)
    categorical = [False] * len(NUMERIC_FEATURES) + [True] * len(CATEGORICAL_FEATURES)

    def estimator():
        return HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.1,
            max_leaf_nodes=15,
            min_samples_leaf=max(5, len(rows) // 50),
            categorical_features=categorical,
            random_state=0,
        )

    rng = np.random.default_rng(0)
    order = rng.permutation(len(rows))
    cut = len(rows) * 3 // 4
    train_idx, test_idx = order[:cut], order[cut:]
    metrics: dict[str, Any] = {
        "samples": len(rows),
        "non_compliant_share": round(float(y.mean()), 4),
        "promoted": False,
    }
    if y[train_idx].min() != y[train_idx].max() and y[test_idx].min() != y[test_idx].max():
        holdout = estimator().fit(x[train_idx], y[train_idx])
        scores = holdout.predict_proba(x[test_idx])[:, 1]
        truth = y[test_idx]
        metrics["holdout_size"] = int(len(test_idx))
        metrics["holdout_auc"] = round(float(roc_auc_score(truth, scores)), 4)
        flagged = scores >= FLAG_PROBABILITY
        precision, recall = _precision_recall(truth, flagged)
        metrics["holdout_flagged"] = int(flagged.sum())
        metrics["holdout_hit_rate"] = _round(precision)
        metrics["holdout_precision"] = _round(precision)
        metrics["holdout_recall"] = _round(recall)
        if rule_scores is not None and rule_held is not None:
            r_scores = np.asarray(rule_scores, dtype=float)[test_idx]
            r_held = np.asarray(rule_held, dtype=bool)[test_idx]
            r_precision, r_recall = _precision_recall(truth, r_held)
            metrics["rules_auc"] = round(float(roc_auc_score(truth, r_scores)), 4)
            metrics["rules_precision"] = _round(r_precision)
            metrics["rules_recall"] = _round(r_recall)
            metrics["promoted"] = bool(
                metrics["holdout_auc"] > metrics["rules_auc"]
                and _f1(precision, recall) > _f1(r_precision, r_recall)
            )
    final = estimator().fit(x, y)
    return TrainedModel(final, encoder), metrics
