"""Coalesced assessment of small submissions (issue: assessment at the traffic shape of platforms).

Most platforms post one declaration per order. Sending a risk task and a revenue task of one id per
POST made every single pay Celery's and the tasks' fixed costs. Instead, a submission of fewer than
`ASSESSMENT_COALESCE_BELOW` declarations writes one `PendingAssessment` row per declaration in its
intake transaction, and after commit asks for a drain. The drainer (customs_ecom.assessment) takes
whatever is pending, up to a batch, and runs the same batch risk and revenue services as the batch
endpoint's tasks.

Guarantees: the pending row commits with the declaration, so an acknowledged declaration is never
without one (or already assessed); a drain deletes the rows it assesses in the same transaction, so
a drainer killed half-way leaves them for the next. The drain signal is only a wake-up call: when
it cannot be sent (broker down) the rows wait for the next signal or for the sweeper.

Lock order: the declaration row first, its pending row after. Whoever writes a pending row for an
existing declaration (an amendment) holds the declaration's row lock when it does; the drainer
locks the declarations of its batch, in id order, before it deletes their pending rows. The other
way round, an amendment and a drain of the same declaration deadlocked (docs/operations.md).

The drain signal is coalesced too: a flag in the cache says "a drain is queued and has not started";
while it is set, intake sends nothing more (the queued drain will see the new rows, committed
before the flag was read). The drainer clears the flag before it reads the pending rows. The drain
is sent with a short countdown (`ASSESSMENT_DRAIN_LINGER`, 0.1 s), so that under traffic one drain
assesses the singles of that interval together instead of a few at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import PendingAssessment

logger = logging.getLogger(__name__)

DRAIN_TASK = "customs_ecom.drain_assessments"
DRAIN_FLAG = "assessment:drain-queued"
# Longest a lost flag (its drain message gone with a crashed broker) can hold signals back.
DRAIN_FLAG_SECONDS = 2
# After a failed send, intake stops trying for this long: a broker that is down would otherwise
# cost every POST a connection attempt. The pending rows wait; the sweeper signals again.
SIGNAL_BACKOFF_SECONDS = 2.0
# A broker that hangs instead of refusing (a network partition, a blackholed address) holds the
# send for its socket timeout (5 s, and a retry): intake then stops trying for longer, so that
# such an outage costs a process one slow request every half minute, not one every 2 s. The
# sweeper (every 30 s) signals meanwhile, and the first signal after the broker returns drains.
SLOW_FAILURE_SECONDS = 1.0
SIGNAL_BACKOFF_AFTER_SLOW_FAILURE_SECONDS = 30.0
_signal_blocked_until = 0.0


def coalesces(count: int) -> bool:
    return 0 < count < settings.ASSESSMENT_COALESCE_BELOW


def assessment_request(declaration_ids: Sequence[int]) -> None:
    """Inside the intake transaction: ask for the assessment of these declarations. Small
    submissions are queued in the pending table and drained in batches; large ones (already a
    batch) go straight to the risk and revenue batch tasks, as before."""
    from .services.completion import enqueue_assessment

    ids = list(declaration_ids)
    if not ids:
        return
    if not coalesces(len(ids)):
        transaction.on_commit(lambda: enqueue_assessment(ids, from_intake=True))
        return
    now = timezone.now()
    PendingAssessment.objects.bulk_create(
        [PendingAssessment(declaration_id=pk, queued_at=now) for pk in ids], ignore_conflicts=True
    )
    pending_written()


def pending_written() -> None:
    """Inside the intake transaction, after writing the pending rows itself (the one-statement
    intake of a single declaration): ask for a drain once committed."""
    transaction.on_commit(drain_signal)


def drain_signal(*, force: bool = False) -> bool:
    """After commit: make sure a drain will run. Returns whether a message was sent. Never raises
    (outside in-process mode): the declarations are committed and the pending rows wait."""
    global _signal_blocked_until
    from celery import current_app

    eager = current_app.conf.task_always_eager
    if not eager and not force and time.monotonic() < _signal_blocked_until:
        return False
    if not eager and not force and not cache.add(DRAIN_FLAG, 1, DRAIN_FLAG_SECONDS):
        return False  # a drain is queued and has not started: it will see our rows
    # The drain runs a moment later (ASSESSMENT_DRAIN_LINGER): the singles that arrive meanwhile
    # find the flag set, send nothing, and are assessed in the same batch.
    linger = 0 if eager or force else settings.ASSESSMENT_DRAIN_LINGER
    started = time.monotonic()
    try:
        current_app.tasks[DRAIN_TASK].apply_async(countdown=linger or None)
    except Exception:  # broker down: the pending rows wait for the next signal or the sweeper
        if eager:
            raise
        broker_failed(started)
        cache.delete(DRAIN_FLAG)
        logger.warning(
            "could not send the assessment drain signal; pending declarations wait for the "
            "next one or for the sweeper",
            exc_info=True,
        )
        return False
    _signal_blocked_until = 0.0
    return True


def broker_blocked() -> bool:
    """Whether a send to the broker failed a moment ago (see SIGNAL_BACKOFF_SECONDS): intake then
    leaves its committed rows to the sweeper rather than try again at once."""
    return time.monotonic() < _signal_blocked_until


def broker_failed(started: float) -> None:
    """A send that began at ``started`` (time.monotonic) failed: stop trying for a while, longer
    when the broker hung rather than refused."""
    global _signal_blocked_until
    failed_at = time.monotonic()
    slow = failed_at - started >= SLOW_FAILURE_SECONDS
    _signal_blocked_until = failed_at + (
        SIGNAL_BACKOFF_AFTER_SLOW_FAILURE_SECONDS if slow else SIGNAL_BACKOFF_SECONDS
    )


def drain_flag_clear() -> None:
    """Called by the drainer before it reads the pending rows: later intake signals again."""
    cache.delete(DRAIN_FLAG)


def pending_count() -> int:
    return PendingAssessment.objects.count()
