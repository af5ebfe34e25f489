"""Every write on declarations, by topic:

- ``intake``: submitted declarations validated, scored and stored in bulk;
- ``amendments``: a corrected body replacing a declaration before release;
- ``returns``: invalidation before release, goods sent back after it;
- ``documents``: carrier manifests and uploaded documents;
- ``arrivals``: goods at the border, and release once nothing holds them;
- ``completion``: risk and revenue work sent, their stamps, assessment completed, the sweeper;
- ``reference_data``: exchange rates and profile versions maintained by administrators;
- ``imports``: CSV/XLSX files imported through the same intake as the API.

Status changes belong to ``declarations.lifecycle``. The names below are re-exported for the
callers that import them from ``declarations.services``.
"""

from __future__ import annotations

from .. import lifecycle
from .amendments import IntakeRefused, declaration_amend
from .arrivals import arrivals_record, declaration_release_if_cleared
from .completion import (
    declarations_complete_assessment_bulk,
    declarations_record_risk,
    declarations_record_tax,
    declarations_set_risk_bulk,
    enqueue_assessment,
    requeue_unassessed,
)
from .documents import document_attach, manifest_record
from .imports import import_job_create, import_job_run
from .intake import SubmitOutcome, declarations_submit
from .reference_data import RateLoadResult, exchange_rates_load, profile_publish
from .returns import declaration_invalidate, declaration_return

# The lifecycle owns every status change; these names stay for the callers that use them.
declaration_transition = lifecycle.transition
declaration_claim = lifecycle.claim
TransitionNotAllowed = lifecycle.TransitionNotAllowed

__all__ = [
    "IntakeRefused",
    "RateLoadResult",
    "SubmitOutcome",
    "TransitionNotAllowed",
    "arrivals_record",
    "declaration_amend",
    "declaration_claim",
    "declaration_invalidate",
    "declaration_release_if_cleared",
    "declaration_return",
    "declaration_transition",
    "declarations_complete_assessment_bulk",
    "declarations_record_risk",
    "declarations_record_tax",
    "declarations_set_risk_bulk",
    "declarations_submit",
    "document_attach",
    "enqueue_assessment",
    "exchange_rates_load",
    "import_job_create",
    "import_job_run",
    "manifest_record",
    "profile_publish",
    "requeue_unassessed",
]
