"""The assessment pipeline's writes on declarations: risk and revenue work sent, their stamps
recorded, assessment completed through the lifecycle, and the sweeper for what stayed unassessed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from .. import lifecycle
from ..models import CHANNEL_PRIORITY, Declaration, Status
from .arrivals import _arrival_follow_up

logger = logging.getLogger(__name__)

ASSESSMENT_TASKS = ("risk.assess_batch", "revenue.assess_batch")


def enqueue_assessment(declaration_ids: Sequence[int]) -> None:
    """Send risk and revenue work for these declarations. A broker failure is logged, not raised: the
    rows are committed and the beat sweeper re-enqueues whatever stays unassessed."""
    if not declaration_ids:
        return
    from celery import current_app

    ids = list(declaration_ids)
    for name in ASSESSMENT_TASKS:
        try:
            current_app.tasks[name].apply_async(args=[ids])
        except Exception:  # broker down: the database is the source of truth
            logger.exception(
                "could not enqueue %s for %d declarations; the sweeper will retry", name, len(ids)
            )
            if current_app.conf.task_always_eager:
                raise


def declarations_record_risk(*, results: Sequence[tuple[int, int, str, int]]) -> None:
    """Risk's stamp: the channel and score it chose for (declaration_id, revision, channel, score)
    rows, and the revision it assessed (denormalised for the queue; stale revisions are ignored).
    ``updated_at`` is left alone: the channel is customs' own and never shown to the operator,
    whose listing cursor follows ``updated_at``."""
    if not results:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                # table name from the model, values as parameters
                f"UPDATE {table} AS d SET channel = v.channel, risk_score = v.score, "  # noqa: S608
                "priority = v.priority, risk_revision = v.revision "
                "FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::integer[], "
                "%s::integer[]) AS v(id, revision, channel, score, priority) "
                "WHERE d.id = v.id AND d.revision = v.revision",
                [
                    [r[0] for r in results],
                    [r[1] for r in results],
                    [r[2] for r in results],
                    [r[3] for r in results],
                    [CHANNEL_PRIORITY.get(r[2], 0) * 1000 + r[3] for r in results],
                ],
            )
        return
    groups: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for declaration_id, revision, channel, score in results:
        groups[(revision, channel, score)].append(declaration_id)
    for (revision, channel, score), ids in groups.items():
        Declaration.objects.filter(pk__in=ids, revision=revision).update(
            channel=channel,
            risk_score=score,
            priority=CHANNEL_PRIORITY.get(channel, 0) * 1000 + score,
            risk_revision=revision,
        )


# Re-assessments (a new rule set, a watchlist change) record their result the same way.
declarations_set_risk_bulk = declarations_record_risk


def declarations_record_tax(*, revisions: Sequence[tuple[int, int]]) -> None:
    """Revenue's stamp: the revision it has assessed, for (declaration_id, revision) pairs (stale
    revisions are ignored; stamping twice changes nothing)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for declaration_id, revision in revisions:
        groups[revision].append(declaration_id)
    for revision, ids in groups.items():
        Declaration.objects.filter(pk__in=ids, revision=revision).exclude(
            tax_revision=revision
        ).update(tax_revision=revision)


def declarations_complete_assessment_bulk(*, declaration_ids: Sequence[int]) -> list[int]:
    """Called by the risk and revenue tasks after each has stamped its part: the declarations
    whose current revision both have assessed become `assessed` through the lifecycle (one
    transaction, rows locked in id order, so the two workers completing overlapping batches wait
    for each other instead of deadlocking). Whoever stamps second completes, so nothing is
    missed. Consignments that arrived before their assessment finished move on at once. Returns
    the ids completed."""
    if not declaration_ids:
        return []
    # A look without locks first: most calls find nothing to do (the other half of the
    # assessment is still running), and locking rows to learn that costs more than the rest.
    ready = dict(
        Declaration.objects.filter(
            pk__in=list(declaration_ids),
            status=Status.ACCEPTED,
            risk_revision=F("revision"),
            tax_revision=F("revision"),
        ).values_list("pk", "arrived_at")
    )
    if not ready:
        return []
    outcome = lifecycle.transition_bulk(
        declaration_ids=list(ready),
        to_status=Status.ASSESSED,
        action="assessment",
        public_reason={
            pk: "assessed" if arrived else "assessed, awaiting arrival"
            for pk, arrived in ready.items()
        },
    )
    arrived = [pk for pk in outcome.done if ready[pk] is not None]
    for declaration in Declaration.objects.filter(pk__in=arrived) if arrived else ():
        _arrival_follow_up(declaration)
    return outcome.done


def requeue_unassessed(*, older_than: datetime, limit: int = 5000) -> int:
    """Find declarations that stayed `accepted` (crash between commit and enqueue, broker down) and send
    them again. The tasks are idempotent, so a duplicate is harmless."""
    ids = list(
        Declaration.objects.filter(status=Status.ACCEPTED, enqueued_at__lt=older_than)
        .order_by("enqueued_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    Declaration.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    for start in range(0, len(ids), 500):
        enqueue_assessment(ids[start : start + 500])
    logger.info("re-enqueued %d unassessed declarations", len(ids))
    return len(ids)
