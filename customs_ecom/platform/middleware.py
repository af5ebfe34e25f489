"""The database unreachable answers 503 with Retry-After and a problem document, never a 500.

A PostgreSQL restart or failover takes seconds; clients (and the buffering proxy's health checks)
should wait and retry, which is what 503 with `Retry-After` tells them. Only connection-level
errors (`OperationalError`, `InterfaceError`) are treated so: anything else stays a 500, a bug to
fix. A deadlock or serialization failure (an `OperationalError` too) that retries did not get
past answers the same 503, saying the request conflicted with concurrent work. Installed first in
MIDDLEWARE, so that it also sees what the session and authentication middleware raise; the
problem type and code are stable (`service-unavailable`)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .faults import DATABASE_ERRORS, conflict_fault
from .problems import PROBLEM_CONTENT_TYPE, ProblemError

logger = logging.getLogger(__name__)


def unavailable_problem(request, exc: BaseException | None) -> ProblemError:
    """The problem document, after logging the fault and dropping the broken connection. A
    deadlock or serialization failure still there after `retry_on_conflict` is told as what it
    is: the request conflicted with concurrent work, nothing of it was stored; retry."""
    if conflict_fault(exc):
        if request is not None:
            logger.warning(
                "request conflicted with concurrent work during %s %s: %s",
                request.method,
                request.path,
                exc,
            )
        return ProblemError(
            503,
            "service-unavailable",
            str(_("Service temporarily unavailable")),
            detail=str(
                _(
                    "The request conflicted with concurrent work on the same records and was "
                    "not applied; retry shortly."
                )
            ),
            headers={"Retry-After": "1", "Cache-Control": "no-store"},
        )
    if request is not None:
        logger.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
    # A broken connection must not be reused by this worker's next request.
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    return ProblemError(
        503,
        "service-unavailable",
        str(_("Service temporarily unavailable")),
        detail=str(_("The database is unreachable; retry shortly.")),
        headers={
            "Retry-After": str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER),
            "Cache-Control": "no-store",
        },
    )


def unavailable_response(request, exc: BaseException | None) -> HttpResponse:
    problem = unavailable_problem(request, exc)
    response = HttpResponse(
        json.dumps(problem.body()), status=503, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def database_fault(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except DATABASE_ERRORS as exc:  # raised outside a view (rare: Django converts most)
            return unavailable_response(request, exc)

    def process_exception(self, request, exception):
        if database_fault(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request, *args, **kwargs):
    """handler500: a database fault that escaped the middleware (raised while another middleware
    ran) is still a 503; anything else is Django's own 500 page."""
    import sys

    from django.views.defaults import server_error as django_server_error

    exc = sys.exc_info()[1]
    if database_fault(exc):
        return unavailable_response(request, exc)
    return django_server_error(request, *args, **kwargs)
