"""The statuses of a consignment, the one table of allowed changes, and the named sets of statuses
that every app uses. Plain data (no ORM), so the models, the lifecycle and every app read the same
facts; `declarations.lifecycle` is the only code that changes a status."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    ASSESSED = "assessed", _("Assessed")
    DOCUMENTS_REQUESTED = "documents_requested", _("Documents requested")
    INSPECTION = "inspection", _("Inspection")
    RELEASED = "released", _("Released")
    DETAINED = "detained", _("Detained")
    INVALIDATED = "invalidated", _("Invalidated")
    RETURNED = "returned", _("Returned")


# The one table of allowed status changes (docs/api.md, "Statuses an operator sees"). Moving back to
# `accepted` is an amendment: the declaration is assessed again.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACCEPTED: frozenset({Status.ASSESSED, Status.INVALIDATED}),
    Status.ASSESSED: frozenset(
        {
            Status.RELEASED,
            Status.DOCUMENTS_REQUESTED,
            Status.INSPECTION,
            Status.DETAINED,
            Status.INVALIDATED,
            Status.ACCEPTED,
        }
    ),
    Status.DOCUMENTS_REQUESTED: frozenset(
        {Status.RELEASED, Status.INSPECTION, Status.DETAINED, Status.INVALIDATED, Status.ACCEPTED}
    ),
    Status.INSPECTION: frozenset({Status.RELEASED, Status.DETAINED}),
    Status.DETAINED: frozenset({Status.RELEASED}),
    Status.RELEASED: frozenset({Status.RETURNED}),
    Status.INVALIDATED: frozenset(),
    Status.RETURNED: frozenset(),
}

# --- named sets: every app asks these instead of listing statuses of its own ------------------------

# The operator may still correct or cancel the declaration (before any control started).
AMENDABLE = frozenset({Status.ACCEPTED, Status.ASSESSED, Status.DOCUMENTS_REQUESTED})
# Not once customs asked for documents: the operator does not withdraw what customs announced it
# will check (UCC art. 174(2)); the officer decides. An amendment in reply stays possible.
INVALIDATABLE = frozenset({Status.ACCEPTED, Status.ASSESSED})
# Not yet released nor closed: a new rule set, a watchlist change or new data may still change the
# channel (risk re-assesses these).
OPEN = (Status.ACCEPTED, Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.INSPECTION)
# The officer's triage queue (with the yellow and red channels): a tuple, because the partial
# index of the queue is declared with it.
NEEDS_ACTION = (Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.INSPECTION)
# An officer's control is under way (documents asked for, an inspection): officer work whatever
# the risk channel, so these are in the triage queue even green or blue (an officer selected the
# consignment by hand, or an arrival held it for an officer).
CONTROL_UNDER_WAY = (Status.DOCUMENTS_REQUESTED, Status.INSPECTION)
# A customs control is (or was) under way: the KPIs count these.
CONTROL = (Status.DOCUMENTS_REQUESTED, Status.INSPECTION, Status.DETAINED)
# The goods never entered circulation or left it again: what was paid is refunded.
REFUNDABLE = (Status.INVALIDATED, Status.RETURNED)
# Declared values that are no evidence of normal prices (value benchmarks leave them out).
NOT_A_PRICE_REFERENCE = (Status.INVALIDATED, Status.DETAINED)
# Reaching one of these statuses ends an officer's claim on the consignment (a detained one is
# still worked: its case, then its release or forfeiture).
ENDS_CLAIM = frozenset({Status.RELEASED, Status.INVALIDATED, Status.RETURNED})
# The goods are still under this declaration: neither released, returned nor withdrawn. An operator
# declares a consignment (its transport document) once at a time: a second declaration of it
# while one of these is open is refused (409 `transport_document_declared`, a partial unique
# constraint), so the same parcel is never assessed, released and charged twice.
STILL_DECLARED = (
    Status.ACCEPTED,
    Status.ASSESSED,
    Status.DOCUMENTS_REQUESTED,
    Status.INSPECTION,
    Status.DETAINED,
)
# An operator uploads documents for customs while the goods are still under the declaration:
# once it is released, invalidated or returned nobody reads them (409 `document_not_allowed`).
TAKES_DOCUMENTS = frozenset(STILL_DECLARED)
# Nothing more will happen to the consignment.
CLOSED = frozenset({Status.INVALIDATED, Status.RETURNED})
# Values are revised on what a control found (documents asked for, an inspection, goods held),
# before release: never on goods gone, whose difference nothing would collect.
REVALUABLE = frozenset({Status.DOCUMENTS_REQUESTED, Status.INSPECTION, Status.DETAINED})
