"""The edges of the operator API that are not operations: the pages explaining each problem
type (the ``type`` URI of every problem document resolves to one) and the problem+json 404 for
any path under /api/ that no operation matches (docs/api.md, Errors)."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from declarations.errors import BODY_CODES, ERROR_CODES

from .platform.problem_types import PROBLEM_TYPES
from .platform.problems import PROBLEM_CONTENT_TYPE, ProblemError

# The element codes each envelope may carry under `errors`.
_ELEMENT_CODES = {"declaration-invalid": ERROR_CODES, "malformed-json": BODY_CODES}


def problem_types(request: HttpRequest) -> HttpResponse:
    return render(request, "problems/index.html", {"types": sorted(PROBLEM_TYPES.items())})


def problem_type(request: HttpRequest, slug: str) -> HttpResponse:
    found = PROBLEM_TYPES.get(slug)
    if found is None:
        raise Http404(slug)
    return render(
        request,
        "problems/type.html",
        {
            "slug": slug,
            "code": slug.replace("-", "_"),
            "problem": found,
            "element_codes": sorted(_ELEMENT_CODES.get(slug, {}).items()),
        },
    )


@csrf_exempt  # an API answer: no session, no form, like every API view
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any path under /api/ that no operation matches: a problem document, never Django's page."""
    problem = ProblemError(
        404, "not-found", "Not found", detail=gettext("No operation at this path.")
    )
    return HttpResponse(json.dumps(problem.body()), status=404, content_type=PROBLEM_CONTENT_TYPE)
