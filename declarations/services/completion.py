"""The assessment pipeline's writes on declarations: risk and revenue work sent, their stamps
recorded, assessment completed through the lifecycle, and the sweeper for what stayed unassessed."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.utils import timezone

from customs_ecom.platform.bulk import insert_rows

from .. import lifecycle
from ..models import CHANNEL_PRIORITY, AssessmentStamp, Declaration, Status
from .arrivals import _arrival_follow_up

logger = logging.getLogger(__name__)

ASSESSMENT_TASKS = ("risk.assess_batch", "revenue.assess_batch")


def enqueue_assessment(declaration_ids: Sequence[int], *, from_intake: bool = False) -> None:
    """Send risk and revenue work for these declarations. A broker failure is logged, not raised: the
    rows are committed and the beat sweeper re-enqueues whatever stays unassessed. ``from_intake``
    (a request waits): a send that failed a moment ago in this process is not tried again at once
    (declarations.coalesce.broker_blocked), so a hanging broker does not hold every batch for its
    socket timeout; the drainer and the sweeper always try."""
    if not declaration_ids:
        return
    from celery import current_app

    from declarations.coalesce import broker_blocked, broker_failed

    ids = list(declaration_ids)
    eager = current_app.conf.task_always_eager
    for name in ASSESSMENT_TASKS:
        if from_intake and not eager and broker_blocked():
            # A send failed a moment ago (a hanging broker holds each try for its socket
            # timeout): the rows are committed and the sweeper enqueues them.
            logger.warning(
                "broker unavailable a moment ago: %s for %d declarations left to the sweeper",
                name,
                len(ids),
            )
            continue
        started = time.monotonic()
        try:
            current_app.tasks[name].apply_async(args=[ids])
        except Exception:  # broker down: the database is the source of truth
            logger.exception(
                "could not enqueue %s for %d declarations; the sweeper will retry", name, len(ids)
            )
            if eager:
                raise
            broker_failed(started)


def declarations_record_risk(*, results: Sequence[tuple[int, int, str, int]]) -> None:
    """Risk's stamp: the channel and score it chose for (declaration_id, revision, channel, score)
    rows. Written as narrow stamp rows (COPY on PostgreSQL), in risk's transaction; completion
    copies them onto the declaration with its status, in one write of the row."""
    if not results:
        return
    insert_rows(
        AssessmentStamp,
        [
            {
                "declaration_id": declaration_id,
                "revision": revision,
                "part": AssessmentStamp.Part.RISK,
                "channel": channel,
                "score": score,
            }
            for declaration_id, revision, channel, score in results
        ],
        ids=False,
    )


def declarations_set_risk_bulk(*, results: Sequence[tuple[int, int, str, int]]) -> None:
    """A re-assessment's result (a new rule set, a watchlist change, a row stored alone) written
    straight onto the declarations: channel, score, queue priority and the revision risk assessed
    (stale revisions are ignored). ``updated_at`` is left alone: the channel is customs' own and
    never shown to the operator, whose listing cursor follows ``updated_at``."""
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


def declarations_record_tax(*, revisions: Sequence[tuple[int, int]]) -> None:
    """Revenue's stamp: the revision it has assessed, for (declaration_id, revision) pairs, as
    narrow stamp rows (stamping twice changes nothing that completion reads)."""
    if not revisions:
        return
    insert_rows(
        AssessmentStamp,
        [
            {
                "declaration_id": declaration_id,
                "revision": revision,
                "part": AssessmentStamp.Part.TAX,
                "channel": None,
                "score": None,
            }
            for declaration_id, revision in revisions
        ],
        ids=False,
    )


def _completion_changes(
    declaration_ids: Sequence[int],
) -> tuple[dict[int, dict], dict[int, tuple[int, datetime | None]]]:
    """For the `accepted` declarations among these whose current revision both risk and revenue
    have assessed (by a stamp, or already written on the row): the columns completion writes with
    the status (empty for rows whose columns say so already), and each one's (revision,
    arrived_at)."""
    rows = list(
        Declaration.objects.filter(
            pk__in=list(declaration_ids), status=Status.ACCEPTED
        ).values_list("pk", "revision", "risk_revision", "tax_revision", "arrived_at")
    )
    if not rows:
        return {}, {}
    stamps: dict[tuple[int, int, str], tuple[str | None, int | None]] = {}
    for pk, revision, part, channel, score in (
        AssessmentStamp.objects.filter(declaration_id__in=[r[0] for r in rows])
        .order_by("id")
        .values_list("declaration_id", "revision", "part", "channel", "score")
    ):
        stamps[(pk, revision, part)] = (channel, score)  # the latest stamp wins
    changes: dict[int, dict] = {}
    facts = {pk: (revision, arrived_at) for pk, revision, _r, _t, arrived_at in rows}
    for pk, revision, risk_revision, tax_revision, _arrived in rows:
        change: dict = {}
        if risk_revision != revision:
            risk = stamps.get((pk, revision, AssessmentStamp.Part.RISK))
            if risk is None:
                continue
            channel, score = risk
            change.update(
                channel=channel,
                risk_score=score,
                priority=CHANNEL_PRIORITY.get(channel, 0) * 1000 + (score or 0),
                risk_revision=revision,
            )
        if tax_revision != revision:
            if (pk, revision, AssessmentStamp.Part.TAX) not in stamps:
                continue
            change["tax_revision"] = revision
        changes[pk] = change
    return changes, {pk: facts[pk] for pk in changes}


def purge_spent_stamps() -> int:
    """Stamps nothing will read again: of a declaration no longer waiting for its assessment
    (rejected, withdrawn, or completed by a later revision) or of a revision since superseded.
    Completion deletes its own; these are what amendments and withdrawals leave behind."""
    from django.db.models import F, Q

    deleted, _ = AssessmentStamp.objects.filter(
        ~Q(declaration__status=Status.ACCEPTED) | Q(revision__lt=F("declaration__revision"))
    ).delete()
    return deleted


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
    changes, facts = _completion_changes(declaration_ids)
    if not changes:
        return []
    # The lifecycle checks the stamps' result under the row lock and writes it with the status.
    outcome = lifecycle.transition_bulk(
        declaration_ids=list(changes),
        to_status=Status.ASSESSED,
        action="assessment",
        public_reason={
            pk: "assessed" if arrived else "assessed, awaiting arrival"
            for pk, (_revision, arrived) in facts.items()
        },
        row_changes=changes,
    )
    if outcome.done:
        # The stamps of the revisions now complete are spent (a later revision's are kept).
        by_revision: dict[int, list[int]] = defaultdict(list)
        for pk in outcome.done:
            by_revision[facts[pk][0]].append(pk)
        for revision, ids in by_revision.items():
            AssessmentStamp.objects.filter(declaration_id__in=ids, revision__lte=revision).delete()
    arrived = [pk for pk in outcome.done if facts[pk][1] is not None]
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
