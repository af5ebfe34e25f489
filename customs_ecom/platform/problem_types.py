"""The catalogue of problem types: what each ``type`` URI of a problem document means.

Every problem document's ``type`` is ``PROBLEM_TYPE_BASE`` + a slug of this catalogue; the page
``/problems/<slug>`` explains it (``customs_ecom.views.problem_type``), and a test holds the
catalogue and the slugs the code can answer together. Element codes (``errors[].code``) are
listed on the pages of the envelopes that carry them and in docs/dataset.md.

A problem document's ``title`` reads in the request's language, as its ``detail`` does: the code
raises a problem with its English title and ``ProblemError.body`` translates it, so every title
the code gives is a title of this catalogue or one of ``OTHER_TITLES`` (a test holds them
together and checks each has its French).
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class ProblemType(NamedTuple):
    status: int
    title: str
    explanation: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    "declaration-invalid": ProblemType(
        422,
        _("Declaration failed validation"),
        _(
            "The body parsed as JSON but failed the intake contract (shape, code lists or the "
            "profile's business rules). `errors` lists every failing element of the first failing "
            "layer by JSON Pointer, each with its own code (docs/dataset.md). Nothing was stored."
        ),
    ),
    "request-invalid": ProblemType(
        422,
        _("Request failed validation"),
        _(
            "A small body (arrivals, manifests, returns, invalidation, webhooks) failed its "
            "contract; `errors` names each element by JSON Pointer."
        ),
    ),
    "payment-invalid": ProblemType(
        422,
        _("Payment failed validation"),
        _("The payment body is not a valid payment: `errors` names each element."),
    ),
    "payment-refused": ProblemType(
        409,
        _("Payment refused"),
        _(
            "The payment is well formed but cannot be recorded in the current state of the "
            "declaration or statement (nothing due, another currency, already settled)."
        ),
    ),
    "estimate-invalid": ProblemType(
        422,
        _("Estimate request failed validation"),
        _("The basket sent to the public estimator is not valid; `errors` names each element."),
    ),
    "lrn-conflict": ProblemType(
        409,
        _("lrn already used with a different body"),
        _(
            "This operator already submitted a declaration with this lrn and another content. "
            "The same content again (amounts compared as numbers) answers the stored one."
        ),
    ),
    "amendment-not-allowed": ProblemType(
        409,
        _("Amendment not allowed"),
        _("The declaration is past the point where it can be amended (inspection, released...)."),
    ),
    "invalidation-not-allowed": ProblemType(
        409,
        _("Invalidation not allowed"),
        _(
            "Only a declaration not yet released, on which customs has not asked for documents "
            "nor started an inspection, can be invalidated."
        ),
    ),
    "return-not-allowed": ProblemType(
        409,
        _("Return not allowed"),
        _("Only released goods can be reported as returned."),
    ),
    "document-not-allowed": ProblemType(
        409,
        _("Document not allowed"),
        _(
            "Documents are uploaded while the goods are still under the declaration: not once it "
            "is released, invalidated or returned. Nothing was stored."
        ),
    ),
    "tax-scheme-number-frozen": ProblemType(
        409,
        _("Tax-scheme number frozen"),
        _("After release the tax-scheme number cannot be added, changed or removed."),
    ),
    "idempotency-key-reused": ProblemType(
        422,
        _("Idempotency-Key reused with a different request"),
        _("The Idempotency-Key was first used with another body or on another endpoint."),
    ),
    "idempotency-key-invalid": ProblemType(
        422,
        _("Idempotency-Key invalid"),
        _("The Idempotency-Key is longer than 255 characters."),
    ),
    "idempotency-in-progress": ProblemType(
        409,
        _("A request with this Idempotency-Key is in progress"),
        _("Another request with the same key is still running: retry after Retry-After."),
    ),
    "malformed-json": ProblemType(
        400,
        _("Body is not valid JSON"),
        _(
            "The body is not JSON: syntax, encoding (UTF-8 only), NaN or Infinity, nesting too "
            "deep, or half of a surrogate pair escaped; or an object names a member more than "
            "once (`duplicate_member`, at that member)."
        ),
    ),
    "malformed-multipart": ProblemType(
        400,
        _("Malformed multipart body"),
        _("A document upload is not a readable multipart/form-data body."),
    ),
    "query-invalid": ProblemType(
        400,
        _("Invalid query parameter"),
        _(
            "A query parameter is wrong: `errors` names it (`/limit`, `/cursor`, "
            "`/updated_since`, ...) with a code such as `limit_invalid` or `cursor_invalid`."
        ),
    ),
    "body-too-large": ProblemType(
        413,
        _("Body too large"),
        _(
            "The body or uploaded file is over its limit: 512 KiB per declaration, 16 MiB per "
            "batch or manifest, 10 MiB per document."
        ),
    ),
    "unsupported-media-type": ProblemType(
        415,
        _("Unsupported media type"),
        _("Send application/json (or multipart/form-data for documents)."),
    ),
    "document-type-unsupported": ProblemType(
        415,
        _("Document type unsupported"),
        _("Only PDF, PNG and JPEG files are accepted, recognised from their bytes."),
    ),
    "document-empty": ProblemType(422, _("Document empty"), _("The uploaded file is empty.")),
    "duplicate-part": ProblemType(
        422,
        _("Multipart field sent twice"),
        _("A multipart field (`file` or `type`) is sent more than once: send each once."),
    ),
    "length-required": ProblemType(
        411,
        _("Length required"),
        _("The body was sent chunked, without Content-Length: send it with its length."),
    ),
    "required": ProblemType(
        422, _("Element required"), _("A mandatory part of the request is missing.")
    ),
    "enum-invalid": ProblemType(
        422, _("Value not allowed"), _("The value is not one of those the contract lists.")
    ),
    "unauthenticated": ProblemType(
        401,
        _("Authentication required"),
        _(
            "Send `Authorization: Bearer <api key>` with a key that is valid and not revoked. "
            "Repeated failures from one address are throttled (429)."
        ),
    ),
    "forbidden": ProblemType(
        403,
        _("Not allowed"),
        _(
            "The operator of this key may not use this operation (for example, manifests are "
            "for carriers)."
        ),
    ),
    "not-found": ProblemType(
        404,
        _("Not found"),
        _(
            "No such resource for this operator, or no such path under /api/. Another "
            "operator's resource answers exactly the same."
        ),
    ),
    "method-not-allowed": ProblemType(
        405, _("Method not allowed"), _("The path does not accept this HTTP method.")
    ),
    "not-acceptable": ProblemType(
        406, _("Not acceptable"), _("The API answers JSON only (application/json).")
    ),
    "rate-limited": ProblemType(
        429,
        _("Too many requests"),
        _("Throttled: retry after the number of seconds in Retry-After (RateLimit-* headers)."),
    ),
    "service-unavailable": ProblemType(
        503,
        _("Service unavailable"),
        _("The service is temporarily unavailable; retry after Retry-After."),
    ),
    "internal-error": ProblemType(
        500,
        _("Internal error"),
        _(
            "A fault of the system. It was logged under the request's X-Request-ID; nothing "
            "was stored. Please report the id."
        ),
    ),
    "error": ProblemType(400, _("Error"), _("An error without a more specific type.")),
}

# Titles some occurrences of a type carry instead of the catalogue's (a batch's envelope, an
# upload refused, the status refusals of the declarations API...), in English as the code raises
# them; marked here so that each has its French (ProblemError.body translates them).
OTHER_TITLES: tuple[str, ...] = (
    gettext_noop("Batch failed validation"),
    gettext_noop("Not allowed in the declaration's current status"),
    gettext_noop("Document refused"),
    gettext_noop("Idempotency-Key too long"),
    gettext_noop("Authentication failed"),
    gettext_noop("Service temporarily unavailable"),
)
