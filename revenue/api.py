"""Revenue API: the public estimator and intermediaries' payments (api.md). Thin views."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.platform import bounds
from customs_ecom.platform.api_support import (
    check_idempotency_key,
    read_json_body,
    with_idempotency,
)
from customs_ecom.platform.edges import AddressRateThrottle
from customs_ecom.platform.problems import ProblemError

from .api_models import EstimateOut, PaymentIn, PaymentOut
from .estimates import EstimateIn, EstimateProblem, estimate
from .services.ledger import LedgerError, ledger_payment_record

PROBLEM = {"description": "RFC 9457 problem details", "content": {"application/problem+json": {}}}
ESTIMATE_MAX_BODY_BYTES = 64 * 1024
PAYMENT_FIELDS = {"declaration_id", "statement_id", "amount", "currency", "reference", "payer"}


def _in_language(result: dict) -> dict:
    """The estimate's reasons and explanation in the request's language (Accept-Language): the
    calculators write English, which stays the answer unless another language is asked for."""
    from django.utils.translation import get_language

    from declarations.generated_text import legal_reason

    if (get_language() or "en").split("-")[0] == "en":
        return result
    for line in result.get("lines", []):
        line["reason"] = legal_reason(line["reason"])
    result["explanation"] = [legal_reason(text) for text in result.get("explanation", [])]
    return result


class EstimateCreateApi(APIView):
    """Public: no key, throttled per address, nothing stored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AddressRateThrottle]  # per client address, behind trusted proxies only
    throttle_scope = "estimate"

    @extend_schema(
        operation_id="estimates_create",
        request=EstimateIn,
        responses={200: EstimateOut, 400: PROBLEM, 422: PROBLEM, 429: PROBLEM},
        summary="Estimate duties, taxes and fees for a basket (public, nothing stored)",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        check_idempotency_key(request)  # bounded like every POST; nothing is stored here
        body = read_json_body(request, max_bytes=ESTIMATE_MAX_BODY_BYTES)
        try:
            return Response(_in_language(estimate(body)))
        except EstimateProblem as exc:
            raise ProblemError(
                422,
                "estimate-invalid",
                "Estimate request failed validation",
                errors=_problems_in_language(exc.errors),
            ) from None


def _problems_in_language(errors: list[dict]) -> list[dict]:
    """The details of a refused basket in the request's language, as the declarations API and
    the estimate page give them: the estimator's own sentences (``not_an_import``,
    ``regime_unknown``...) rendered from their message, the contract's by their stable code.
    English keeps the sentences as written, with the offending value."""
    from django.utils.translation import gettext

    from declarations.generated_text import problem_detail
    from declarations.messages import Message
    from declarations.messages import render as render_message

    return [
        {
            **error,
            "detail": render_message(error["detail"], gettext)
            if isinstance(error["detail"], Message)
            else problem_detail(error["code"], str(error["detail"])),
        }
        for error in errors
    ]


def _payment_problem(exc: LedgerError) -> ProblemError:
    if exc.status == 404:
        return ProblemError(404, "not-found", "Not found", detail=exc.detail)
    invalid = exc.code == "amount_invalid"
    return ProblemError(
        exc.status,
        "payment-invalid" if invalid else "payment-refused",
        "Payment failed validation" if invalid else "Payment refused",
        errors=[{"pointer": exc.pointer, "code": exc.code, "detail": exc.detail}],
    )


def _payment_body_problems(body: object) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [{"pointer": "", "code": "not_an_object", "detail": _("the body must be an object")}]
    rows = [
        {
            "pointer": f"/{key}",
            "code": "unknown_element",
            "detail": _("%(name)s is not an element") % {"name": repr(key)},
        }
        for key in body
        if key not in PAYMENT_FIELDS
    ]
    for key in ("declaration_id", "statement_id"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            rows.append({"pointer": f"/{key}", "code": "type_invalid", "detail": _("an integer")})
    for key in ("amount", "currency"):
        # An empty currency names none: missing, as an absent one (not another currency).
        if key not in body or (key == "currency" and body[key] == ""):
            rows.append(
                {
                    "pointer": f"/{key}",
                    "code": "required",
                    "detail": _("%(pointer)s is mandatory") % {"pointer": f"/{key}"},
                }
            )
    for key in ("currency", "reference", "payer"):
        if (
            key in body
            and not isinstance(body[key], str)
            and not (
                body[key] is None and key != "currency"  # reference and payer may be null
            )
        ):
            rows.append({"pointer": f"/{key}", "code": "type_invalid", "detail": _("a string")})
    if "amount" in body and isinstance(body["amount"], bool | dict | list | None):
        rows.append({"pointer": "/amount", "code": "type_invalid", "detail": _("a decimal string")})
    rows.extend(_payment_bound_problems(body))
    return rows


# The bounds of the ledger's columns, checked before anything is stored (customs_ecom.platform.bounds).
PAYMENT_TEXT_LIMITS = {"currency": 3, "reference": 120, "payer": 200}
_CURRENCY = re.compile(r"[A-Z]{3}")


def _payment_bound_problems(body: dict) -> list[dict[str, str]]:
    rows = []
    for key, limit in PAYMENT_TEXT_LIMITS.items():
        value = body.get(key)
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            rows.append(
                {
                    "pointer": f"/{key}",
                    "code": "string_too_long",
                    "detail": _("at most %(limit)s characters") % {"limit": limit},
                }
            )
        elif bounds.control_character(value):
            rows.append(
                {
                    "pointer": f"/{key}",
                    "code": "control_character",
                    "detail": _("holds the character %(character)s")
                    % {"character": bounds.control_character(value)},
                }
            )
        elif key == "currency" and value and not _CURRENCY.fullmatch(value):
            # As published (^[A-Z]{3}$): "eur" is not read as EUR, nor " EU" as another currency.
            rows.append(
                {
                    "pointer": "/currency",
                    "code": "pattern_mismatch",
                    "detail": _("an ISO 4217 code: three capital letters"),
                }
            )
    amount = body.get("amount")
    # The amount is a plain decimal of at most two places, as in declarations: "1_0", "1e1",
    # " 10" or "10.000" are refused, never read as another sum.
    grammar = bounds.plain_decimal_problem(amount, 2)
    if grammar is not None:
        kind, message = grammar
        # The platform's sentences are English constants: read in the request's language.
        detail = _("at most two decimals") if kind == "decimal_max_places" else _(message)
        rows.append({"pointer": "/amount", "code": "amount_invalid", "detail": detail})
        return rows
    if isinstance(amount, str | int | Decimal) and not isinstance(amount, bool):
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            return rows
        if value.is_finite() and abs(value) > bounds.MONEY_MAX:
            rows.append(
                {
                    "pointer": "/amount",
                    "code": "number_too_large",
                    "detail": _("at most %(maximum)s") % {"maximum": bounds.MONEY_MAX},
                }
            )
    return rows


def _integral_ids(body: object) -> object:
    """JSON has one number type: an id written 406.0 is the integer 406 (JSON Schema's `integer`,
    as for a declaration's counts); 406.5 stays refused (`type_invalid`)."""
    if isinstance(body, dict):
        for key in ("declaration_id", "statement_id"):
            if key in body:
                body[key] = bounds.json_integer(body[key])
    return body


class PaymentCreateApi(APIView):
    @extend_schema(
        operation_id="payments_create",
        request=PaymentIn,
        responses={201: PaymentOut, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Pay a declaration's border duties and taxes, or a deferred monthly statement",
    )
    def post(self, request: Request) -> Response:
        body = _integral_ids(read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES))
        operator = request.user

        def produce() -> Response:
            problems = _payment_body_problems(body)
            if problems:
                raise ProblemError(
                    422, "payment-invalid", "Payment failed validation", errors=problems
                )
            try:
                entry = ledger_payment_record(
                    amount=body["amount"],
                    currency=body["currency"],
                    reference=body.get("reference") or "",
                    payer=body.get("payer") or "",
                    declaration_id=body.get("declaration_id"),
                    statement_id=body.get("statement_id"),
                    operator=operator,
                )
            except LedgerError as exc:
                raise _payment_problem(exc) from None
            return Response(
                {
                    "id": entry.pk,
                    "declaration_id": entry.declaration_id,
                    "statement_id": entry.statement_id,
                    "amount": str(entry.amount),
                    "currency": entry.currency,
                    "reference": entry.reference,
                    "recorded_at": entry.at.isoformat(),
                },
                status=201,
            )

        return with_idempotency(request, operator, body, produce)
