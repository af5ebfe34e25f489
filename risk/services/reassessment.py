"""The re-assessment of pending declarations after a change (a rule-set activation, a watchlist
change): sent to Celery after commit, fanned out in batches."""

from __future__ import annotations

import logging

from django.db import transaction

from ..selectors import pending_declaration_ids

logger = logging.getLogger(__name__)


REASSESS_BATCH = 500


def enqueue_reassessment(*, reason: str) -> None:
    """After commit, send the re-assessment of every pending declaration (in batches) to Celery."""

    def send() -> None:
        from ..tasks import reassess_pending

        try:
            reassess_pending.delay(reason)
        except Exception:  # broker down: logged; the analyst can re-activate, nothing is lost
            logger.exception("could not enqueue the re-assessment of pending declarations")

    transaction.on_commit(send)


def reassess_pending_fan_out(*, reason: str) -> int:
    """Split the pending declarations into batches, one Celery task each."""
    from ..tasks import reassess_batch

    ids = pending_declaration_ids()
    for start in range(0, len(ids), REASSESS_BATCH):
        reassess_batch.delay(ids[start : start + REASSESS_BATCH])
    logger.info("re-assessing %d pending declarations (%s)", len(ids), reason)
    return len(ids)
