"""RFC 9457 problem details: the one error shape of the API.

Every error leaves as `application/problem+json` with a stable `code`; validation errors list every
failing element by JSON Pointer under `errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions as drf_exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .renderers import FastJSONRenderer

# The `type` URI of a problem document: the page explaining it (customs_ecom.platform.problem_types),
# relative to the API's own address unless PROBLEM_TYPE_BASE names an absolute one.
PROBLEM_BASE = "/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """Raise anywhere in an API view to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        *,
        detail: str | None = None,
        errors: Iterable[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = sorted_by_pointer(errors) if errors is not None else None
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The document, its ``title`` in the active language (the request's Accept-Language:
        English unless French is asked), as its ``detail``; ``type`` and ``code`` never change.
        Titles are written in English where a problem is raised and translated here, from the
        catalogue of problem types and its ``OTHER_TITLES`` (customs_ecom.platform.problem_types).
        """
        doc: dict[str, Any] = {
            "type": problem_type_base() + self.slug,
            "title": gettext(str(self.title)),
            "status": self.status,
            "code": self.slug.replace("-", "_"),
        }
        if self.detail:
            doc["detail"] = self.detail
        elif self.errors:
            doc["detail"] = errors_summary(self.errors)
        if self.errors is not None:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc


def _pointer_order(row: dict[str, str]) -> tuple:
    # Segment by segment, list indexes as numbers (/items/2 before /items/10) and before names,
    # a pointer before the pointers below it: the order of the declaration engine
    # (declarations.schemas), whatever the body and the endpoint.
    return tuple(
        (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
        for part in str(row.get("pointer") or "").split("/")
    )


def sorted_by_pointer(errors: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """A problem's `errors` sorted by pointer (stable: rows of one pointer keep their order), so
    that every problem document lists its elements the same way, not in the order a validator
    happened to visit the body."""
    return sorted(errors, key=_pointer_order)


def errors_summary(errors: list[dict[str, str]]) -> str:
    """The top-level `detail` of a problem that lists its elements: the first one, and how many."""
    from django.utils.translation import ngettext

    # French puts a non-breaking space before the colon ("/items/0 : ...").
    first = errors[0]
    where = first.get("pointer") or "/"
    text = first.get("detail") or first.get("code") or ""
    if len(errors) == 1:
        return gettext("%(pointer)s: %(detail)s") % {"pointer": where, "detail": text}
    return ngettext(
        "%(count)d element failed; the first, %(pointer)s: %(detail)s",
        "%(count)d elements failed; the first, %(pointer)s: %(detail)s",
        len(errors),
    ) % {"count": len(errors), "pointer": where, "detail": text}


def problem_type_base() -> str:
    from django.conf import settings

    return getattr(settings, "PROBLEM_TYPE_BASE", PROBLEM_BASE)


def problem_response(problem: ProblemError) -> Response:
    return Response(
        problem.body(),
        status=problem.status,
        headers=problem.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def validation_problem(
    errors: Iterable[Any], *, title: str = "Declaration failed validation"
) -> ProblemError:
    """422 for a body that parsed but failed the contract; `errors` are Problem tuples or dicts."""
    from .extensions import call

    def problem_detail(code: str, detail: str) -> str:
        return call("problems.detail_in_language", code, detail, default=detail)

    # The detail reads in the request's language (English unless Accept-Language asks).
    rows = [
        e
        if isinstance(e, dict)
        else {"pointer": e.pointer, "code": e.code, "detail": problem_detail(e.code, e.detail)}
        for e in errors
    ]
    return ProblemError(422, "declaration-invalid", title, errors=rows)


_DRF_MAP: dict[type, tuple[str, str]] = {
    drf_exceptions.NotAuthenticated: ("unauthenticated", "Authentication required"),
    drf_exceptions.AuthenticationFailed: ("unauthenticated", "Authentication failed"),
    drf_exceptions.PermissionDenied: ("forbidden", "Not allowed"),
    drf_exceptions.NotFound: ("not-found", "Not found"),
    drf_exceptions.MethodNotAllowed: ("method-not-allowed", "Method not allowed"),
    drf_exceptions.NotAcceptable: ("not-acceptable", "Not acceptable"),
    drf_exceptions.UnsupportedMediaType: ("unsupported-media-type", "Unsupported media type"),
    drf_exceptions.Throttled: ("rate-limited", "Too many requests"),
    drf_exceptions.ParseError: ("malformed-json", "Body is not valid JSON"),
}


def _pointer_errors(data: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten DRF serializer errors into JSON-Pointer rows (used by the few serializer-backed endpoints)."""
    rows: list[dict[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            pointer = prefix if key == "non_field_errors" else f"{prefix}/{key}"
            rows.extend(_pointer_errors(value, pointer))
    elif isinstance(data, list):
        if data and all(isinstance(v, drf_exceptions.ErrorDetail | str) for v in data):
            for v in data:
                code = getattr(v, "code", "invalid") or "invalid"
                rows.append({"pointer": prefix, "code": str(code), "detail": str(v)})
        else:
            for index, value in enumerate(data):
                rows.extend(_pointer_errors(value, f"{prefix}/{index}"))
    else:
        rows.append(
            {"pointer": prefix, "code": getattr(data, "code", "invalid"), "detail": str(data)}
        )
    return rows


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: everything becomes a problem document, written as JSON whatever
    else the view writes (the OpenAPI document's YAML)."""
    response = _problem_for(exc, context)
    request = context.get("request")
    if request is not None and not isinstance(
        getattr(request, "accepted_renderer", None), JSONRenderer
    ):
        request.accepted_renderer = FastJSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return response


def _problem_for(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ProblemError):
        return problem_response(exc)
    if isinstance(exc, Http404):
        return problem_response(ProblemError(404, "not-found", "Not found"))
    if isinstance(exc, drf_exceptions.ValidationError):
        return problem_response(
            ProblemError(
                422,
                "request-invalid",
                "Request failed validation",
                errors=_pointer_errors(exc.detail),
            )
        )
    if isinstance(exc, drf_exceptions.APIException):
        slug, title = "error", "Error"
        for cls, mapped in _DRF_MAP.items():
            if isinstance(exc, cls):
                slug, title = mapped
                break
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            # A 401 names the scheme to authenticate with (RFC 9110 15.5.2).
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        status = 400 if isinstance(exc, drf_exceptions.ParseError) else exc.status_code
        detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else None
        return problem_response(ProblemError(status, slug, title, detail=detail, headers=headers))
    # The database unreachable (a restart, a failover): 503 with Retry-After, not a 500.
    from .middleware import database_fault, unavailable_problem

    if database_fault(exc):
        return problem_response(unavailable_problem(context.get("request"), exc))
    logger.exception("unhandled error in %s", context.get("view"))
    return problem_response(
        ProblemError(
            500,
            "internal-error",
            "Internal error",
            detail=gettext("The error was logged; nothing was stored."),
        )
    )
