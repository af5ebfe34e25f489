"""The assessment drainer: pending declarations assessed in batches by the batch services.

customs_ecom composes the apps, so the drainer lives here: declarations records what is pending
(declarations.coalesce), risk and revenue assess, and this module joins them in one transaction
per batch:

1. take up to `batch_size` pending rows with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL; on
   SQLite, whose writers are serialised, a plain read), lock their declarations in id order
   (`SELECT ... FOR UPDATE`, waiting for an amendment under way), then delete the pending rows;
2. run `risk_assess_batch` and `taxes_assess_batch` on their ids (the services the batch
   endpoint's tasks run; completion copies the channel onto the declaration);
3. commit. A drainer killed before the commit leaves nothing behind: PostgreSQL rolls the
   transaction back and the rows are pending again for the next drain.

A batch that fails for a reason other than an unreachable database or broker is not retried as a
whole (one bad declaration would hold every later one back): its ids leave the pending table and
go to the per-batch risk and revenue tasks, with the sweeper as the net beneath them.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection, transaction

from declarations.coalesce import drain_flag_clear, drain_signal
from declarations.models import Declaration, PendingAssessment

from .platform.faults import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


def _take(batch_size: int) -> list[int]:
    """Take a batch: its pending rows (SKIP LOCKED: never another drainer's), then its
    declarations locked in id order, and only then the pending rows deleted.

    The lock order is the amendment's: the declaration row first, its pending row after. An
    amendment holding a declaration writes its pending row with ON CONFLICT DO NOTHING, which
    passes a row another transaction merely locks but waits for one it deleted; so deleting the
    pending rows before holding their declarations made an amendment and the drainer wait for
    each other (deadlock detected). Holding the declarations first, the drainer waits for an
    amendment under way to commit and then assesses the revision it committed; an amendment
    arriving later waits for the drainer and queues its new revision again."""
    rows = PendingAssessment.objects.order_by("queued_at")
    locking = connection.features.has_select_for_update_skip_locked
    if locking:
        rows = rows.select_for_update(skip_locked=True)
    ids = list(rows.values_list("declaration_id", flat=True)[:batch_size])
    if not ids:
        return ids
    if locking:
        # FOR UPDATE, as amendments and the lifecycle take it, so that completion's lock later in
        # this transaction is one the drainer holds already.
        list(
            Declaration.objects.select_for_update()
            .filter(pk__in=sorted(ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    PendingAssessment.objects.filter(declaration_id__in=ids).delete()
    return ids


def _assess(ids: list[int]) -> None:
    from revenue.services.assessment import taxes_assess_batch
    from risk.services.assessment import risk_assess_batch

    risk_assess_batch(declaration_ids=ids)
    taxes_assess_batch(declaration_ids=ids)


def _hand_over(ids: list[int]) -> None:
    """Take these rows out of the pending table and give them to the per-batch tasks."""
    from declarations.services import enqueue_assessment

    with transaction.atomic():
        PendingAssessment.objects.filter(declaration_id__in=ids).delete()
        transaction.on_commit(lambda: enqueue_assessment(ids))


def drain_once(batch_size: int) -> int:
    """Assess one batch of pending declarations; returns how many were taken."""
    ids: list[int] = []
    try:
        with transaction.atomic():
            ids = _take(batch_size)
            if ids:
                _assess(ids)
    except TRANSIENT_ERRORS:
        raise  # the task retries with backoff; the rows are pending again
    except Exception:
        if not ids:
            raise
        logger.exception(
            "assessment batch of %d declarations failed; handing them to the per-batch tasks",
            len(ids),
        )
        _hand_over(ids)
    return len(ids)


def assessments_drain(*, batch_size: int | None = None, max_seconds: float = 20.0) -> int:
    """Drain until the pending table has less than a batch left, or for `max_seconds` (then ask
    for another drain, so that other tasks on the queue get their turn and the message is
    acknowledged well within the broker's visibility timeout). Returns the number assessed."""
    batch_size = batch_size or settings.ASSESSMENT_DRAIN_BATCH
    drain_flag_clear()
    started = time.monotonic()
    total = 0
    while True:
        taken = drain_once(batch_size)
        total += taken
        if taken < batch_size:
            return total
        if time.monotonic() - started > max_seconds:
            drain_signal(force=True)
            return total
