"""Writes for risk, by topic:

- ``rulesets``: rule-set versions, the analyst's changes and the activation of a draft;
- ``batch``: what an assessment batch reads (rows, facts, batch context);
- ``assessment``: the assessment and re-assessment of declarations in batches;
- ``reassessment``: the re-assessment of pending declarations sent to Celery after a change;
- ``watchlists``: the screening index, the CSV import and cleared false positives;
- ``learning``: the learned model at assessment time and its training;
- ``outcomes``: inspection outcomes and the cases they open.

The public names are re-exported here, so ``from risk.services import ...`` keeps working."""

from ..selectors import ruleset_working_base  # a read, re-exported for older imports
from .assessment import risk_assess_batch, risk_reassess_batch
from .batch import build_facts, load_batch_context, risk_rows
from .learning import current_model, risk_model_train
from .outcomes import outcome_record
from .reassessment import enqueue_reassessment, reassess_pending_fan_out
from .rulesets import (
    ActivationRefused,
    active_ruleset,
    ensure_default_ruleset,
    policy_from_dict,
    ruleset_activate,
    ruleset_create_version,
    ruleset_edit_policy,
    ruleset_edit_rule,
)
from .watchlists import (
    watchlist_false_positive_confirm,
    watchlist_false_positive_create,
    watchlist_import_csv,
    watchlist_index,
)

__all__ = [
    "ActivationRefused",
    "active_ruleset",
    "build_facts",
    "current_model",
    "enqueue_reassessment",
    "ensure_default_ruleset",
    "load_batch_context",
    "outcome_record",
    "policy_from_dict",
    "reassess_pending_fan_out",
    "risk_assess_batch",
    "risk_model_train",
    "risk_reassess_batch",
    "risk_rows",
    "ruleset_activate",
    "ruleset_create_version",
    "ruleset_edit_policy",
    "ruleset_edit_rule",
    "ruleset_working_base",
    "watchlist_false_positive_confirm",
    "watchlist_false_positive_create",
    "watchlist_import_csv",
    "watchlist_index",
]
