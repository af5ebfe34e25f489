"""File import for officers: a CSV/XLSX from an operator without an API, submitted in chunks
through the same intake as the API."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record

from ..messages import Message, stored
from .intake import declarations_submit

logger = logging.getLogger(__name__)

IMPORT_CHUNK = 200


def import_job_create(*, operator: Operator, user: Any, name: str, content: bytes) -> Any:
    """Record an uploaded file and start its import in the background (after commit)."""
    from django.core.files.base import ContentFile

    from ..models import ImportJob

    with transaction.atomic():
        job = ImportJob(operator=operator, created_by=user, original_name=name[:200])
        suffix = "xlsx" if name.lower().endswith(".xlsx") else "csv"
        job.file.save(f"import.{suffix}", ContentFile(content), save=False)
        job.save()
        audit_record(
            actor=user,
            action="declarations.import",
            object_type="operator",
            object_id=operator.pk,
            after={"job": job.pk, "file": name[:200], "bytes": len(content)},
        )
        job_id = job.pk

        def start() -> None:
            from celery import current_app

            try:
                current_app.tasks["declarations.import_file"].apply_async(args=[job_id])
            except Exception:  # broker down: the job stays pending and the sweeper sends it
                if current_app.conf.task_always_eager:
                    raise
                logger.warning("could not enqueue import job %s; the sweeper will", job_id)

        transaction.on_commit(start)
    return job


def import_job_failed(*, job_id: int) -> None:
    """End a job that stopped on a fault of the system, not of its file: failed, with a message
    that says so (the rows already submitted are stored; importing the file again replays them)."""
    from ..models import ImportJob

    message = Message(
        "the import stopped on an error of the system, not of the file; rows already "
        "imported are kept, and importing the file again adds the others"
    )
    try:
        ImportJob.objects.filter(pk=job_id).exclude(state=ImportJob.State.DONE).update(
            state=ImportJob.State.FAILED,
            message=message[:400],
            message_data=stored(message),
            finished_at=timezone.now(),
        )
    except Exception:  # the database itself is down: the job stays as it was, logged
        logger.exception("could not mark import job %s as failed", job_id)


def import_job_run(*, job_id: int) -> Any:
    """Read the file, submit its declarations in chunks through the same intake as the API, and keep
    the progress and per-row errors on the job. Safe to run twice: a finished job is left alone, and
    an lrn already stored with the same body is a replay, not a duplicate."""
    from ..imports import ImportFileError, assemble, read_rows, row_for_pointer
    from ..models import ImportJob

    job = ImportJob.objects.select_related("operator").filter(pk=job_id).first()
    if job is None or job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        imported = assemble(read_rows(job.original_name, content))
    except ImportFileError as exc:
        reason = exc.args[0] if exc.args else ""
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            message=str(reason)[:400],
            message_data=stored(reason),
            finished_at=timezone.now(),
        )
        return job
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(imported), processed=0)
    errors: list[dict[str, Any]] = []
    accepted = rejected = 0
    for start in range(0, len(imported), IMPORT_CHUNK):
        chunk = imported[start : start + IMPORT_CHUNK]
        outcomes = declarations_submit(operator=job.operator, bodies=[d.body for d in chunk])
        for declaration, outcome in zip(chunk, outcomes, strict=True):
            if outcome.declaration is not None:
                accepted += 1
                continue
            rejected += 1
            for problem in outcome.errors:
                row, column = row_for_pointer(declaration, problem.pointer)
                errors.append(
                    {
                        "row": row,
                        "lrn": declaration.lrn,
                        "column": column,
                        "pointer": problem.pointer,
                        "code": problem.code,
                        "detail": problem.detail,
                    }
                )
        ImportJob.objects.filter(pk=job.pk).update(
            processed=start + len(chunk), accepted=accepted, rejected=rejected
        )
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.DONE, errors=errors, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
