"""Operator REST API for declarations (api.md). Thin views: read, call one service, render."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customs_ecom.platform.api_support import (
    body_defects_problem,
    read_json_body,
    read_json_body_and_defects,
    with_idempotency,
)
from customs_ecom.platform.extensions import call
from customs_ecom.platform.openapi import BOUNDED_DATETIME, NO_CONTROL_CHARACTERS
from customs_ecom.platform.problems import ProblemError, sorted_by_pointer, validation_problem

from .api_models import (
    ArrivalsIn,
    ArrivalsOut,
    BatchIn,
    BatchOut,
    DeclarationListOut,
    DeclarationOut,
    DocumentOut,
    InvalidationIn,
    ManifestIn,
    ManifestOut,
    ReturnIn,
)
from .generated_text import finding_text, problem_detail
from .models import Declaration, Document, Status
from .quality import OPERATOR_DETAILS, operator_findings
from .schemas import DeclarationIn
from .services.amendments import IntakeRefused, declaration_amend
from .services.arrivals import arrivals_record
from .services.documents import document_attach, document_refused, manifest_record
from .services.intake import SubmitOutcome, declarations_submit
from .services.returns import declaration_invalidate, declaration_return

PROBLEM = {"description": "RFC 9457 problem details", "content": {"application/problem+json": {}}}


def _money(value: Any) -> str | None:
    return None if value is None else f"{value}"


_READ_TAXES = object()


def declaration_representation(
    declaration: Declaration, *, taxes: Any = _READ_TAXES
) -> dict[str, Any]:
    """What an operator may see of its declaration: status, history, data quality, taxes.
    Never risk scores, channels, rule hits or officer notes (api.md, tenancy).

    ``taxes`` is read from revenue unless the caller knows it: a declaration just stored and
    answered as ``accepted`` has no assessment yet, so its 201 shows ``taxes: null`` with that
    status instead of a query whose answer could only disagree with it."""
    if taxes is _READ_TAXES:
        taxes = call("declaration.taxes_for_operator", declaration_id=declaration.pk)
    # Findings measured against customs' confidential figures are left out (and their points
    # with them); those quoting a carrier's manifest name the element only. English unless the
    # request asks for another language (Accept-Language).
    score, shown = operator_findings(declaration.dq_score, declaration.quality_findings.all())
    findings = [
        {
            "dimension": f.dimension,
            "code": f.code,
            "pointer": f.pointer,
            "detail": gettext(OPERATOR_DETAILS[f.code])
            if f.code in OPERATOR_DETAILS
            else finding_text(f),
        }
        for f in shown
    ]
    return {
        "id": declaration.pk,
        "lrn": declaration.lrn,
        "revision": declaration.revision,
        "dataset": declaration.dataset,
        "profile_version": declaration.profile.version if declaration.profile_id else None,
        "status": declaration.status,
        "received_at": declaration.received_at.isoformat(),
        "updated_at": declaration.updated_at.isoformat(),
        "arrived_at": declaration.arrived_at.isoformat() if declaration.arrived_at else None,
        "released_at": declaration.released_at.isoformat() if declaration.released_at else None,
        "transport_document": declaration.payload.get("transport_document"),
        "status_history": [
            {"status": e.to_status, "at": e.at.isoformat(), "reason": e.public_reason}
            for e in declaration.events.all()
        ],
        "data_quality": {"score": score, "findings": findings},
        "taxes": taxes,
        "declaration": declaration.payload,
    }


def _load_for_operator(operator: Any, declaration_id: int) -> Declaration:
    declaration = (
        Declaration.objects.select_related("profile")
        .prefetch_related("events", "quality_findings")
        .filter(operator=operator, pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise ProblemError(
            404, "not-found", "Not found", detail=gettext("No such declaration for this operator.")
        )
    return declaration


def outcome_problem(outcome: SubmitOutcome) -> ProblemError:
    if outcome.status == 409:
        return ProblemError(
            409,
            "lrn-conflict",
            "lrn already used with a different body",
            errors=[
                {"pointer": e.pointer, "code": e.code, "detail": e.detail} for e in outcome.errors
            ],
        )
    return validation_problem(outcome.errors)


class DeclarationCreateApi(APIView):
    @extend_schema(
        operation_id="declarations_create",
        request=DeclarationIn,
        responses={
            201: DeclarationOut,
            200: DeclarationOut,
            400: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
            422: PROBLEM,
        },
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Submit one declaration",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        operator = request.user

        def produce() -> Response:
            outcome = declarations_submit(operator=operator, bodies=[body])[0]
            if outcome.declaration is None:
                raise outcome_problem(outcome)
            declaration = outcome.declaration
            if outcome.status != 201 or not hasattr(declaration, "_prefetched_objects_cache"):
                declaration = _load_for_operator(operator, declaration.pk)
                return Response(declaration_representation(declaration), status=outcome.status)
            # Just stored, answered as it was stored: accepted, not yet assessed.
            return Response(
                declaration_representation(declaration, taxes=None), status=outcome.status
            )

        response = with_idempotency(request, operator, body, produce)
        if response.status_code == 201:  # also on a replay of the 201
            response["Location"] = f"/api/v1/declarations/{response.data['id']}"
        return response

    @extend_schema(
        operation_id="declarations_list",
        responses={200: DeclarationListOut, 400: PROBLEM},
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Status.values)),
            OpenApiParameter(
                "lrn",
                {"type": "string", "maxLength": 64, "pattern": NO_CONTROL_CHARACTERS},
                description="exact lrn",
            ),
            OpenApiParameter(
                "transport_document",
                {"type": "string", "maxLength": 64, "pattern": NO_CONTROL_CHARACTERS},
                description="exact transport document number",
            ),
            OpenApiParameter(
                "updated_since",
                {"type": "string", "format": "date-time", "pattern": BOUNDED_DATETIME},
                description="ISO 8601, year 1900-2999 (in UTC too), offset within +/-14:00",
            ),
            OpenApiParameter(
                "cursor",
                {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                description="`next_cursor` of the previous page (400 `cursor_invalid` otherwise)",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 500},
                description="1 to 500, default 100",
            ),
        ],
        summary="List the operator's declarations (cursor pagination)",
    )
    def get(self, request: Request) -> Response:
        from .listing import list_declarations

        return Response(list_declarations(operator=request.user, params=request.query_params))


class DeclarationDetailApi(APIView):
    @extend_schema(
        operation_id="declarations_retrieve", responses={200: DeclarationOut, 404: PROBLEM}
    )
    def get(self, request: Request, declaration_id: int) -> Response:
        return Response(
            declaration_representation(_load_for_operator(request.user, declaration_id))
        )


class ArrivalCreateApi(APIView):
    @extend_schema(
        operation_id="arrivals_create",
        request=ArrivalsIn,
        responses={200: ArrivalsOut, 422: PROBLEM},
        summary="Report arrival of consignments by transport document; green ones are released at once",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        parsed = ArrivalsIn.parse_or_problem(body)

        def produce() -> Response:
            results = arrivals_record(
                operator=request.user,
                transport_documents=parsed.transport_documents,
                arrived_at=parsed.arrived_at,
            )
            return Response({"arrivals": results})

        return with_idempotency(request, request.user, body, produce)


def _refused(exc: IntakeRefused) -> ProblemError:
    return ProblemError(
        exc.status,
        exc.code.replace("_", "-"),
        "Not allowed in the declaration's current status",
        errors=[{"pointer": p.pointer, "code": p.code, "detail": p.detail} for p in exc.problems],
    )


def _not_found() -> ProblemError:
    return ProblemError(
        404, "not-found", "Not found", detail=gettext("No such declaration for this operator.")
    )


def _batch_declarations(body: Any, max_batch: int) -> list[Any]:
    """The envelope of a batch: `{"declarations": [...]}` and nothing else, 1..max_batch entries."""
    if not isinstance(body, dict):
        raise validation_problem(
            [
                {
                    "pointer": "",
                    "code": "not_an_object",
                    "detail": gettext("the body must be a JSON object"),
                }
            ],
            title="Batch failed validation",
        )
    errors = [
        {"pointer": f"/{key}", "code": "unknown_element", "detail": gettext("not part of a batch")}
        for key in body
        if key != "declarations"
    ]
    declarations = body.get("declarations")
    if declarations is None:
        errors.append(
            {
                "pointer": "/declarations",
                "code": "required",
                "detail": gettext("declarations is missing"),
            }
        )
    elif not isinstance(declarations, list):
        errors.append(
            {
                "pointer": "/declarations",
                "code": "type_invalid",
                "detail": gettext("must be a list"),
            }
        )
    elif not declarations:
        errors.append(
            {
                "pointer": "/declarations",
                "code": "list_too_short",
                "detail": gettext("the batch is empty"),
            }
        )
    elif len(declarations) > max_batch:
        errors.append(
            {
                "pointer": "/declarations",
                "code": "list_too_long",
                "detail": gettext(
                    "%(count)d declarations, more than the %(max)d one batch may carry"
                )
                % {"count": len(declarations), "max": max_batch},
            }
        )
    if errors:
        raise validation_problem(errors, title="Batch failed validation")
    return declarations


def _item_defects(defects: list[dict[str, str]]) -> dict[int, list[dict[str, str]]]:
    """The defects of a batch body under ``/declarations/<n>``, by declaration, with pointers
    into that declaration (as its other errors are); the others are left out."""
    by_item: dict[int, list[dict[str, str]]] = {}
    for row in defects:
        parts = row["pointer"].split("/", 3)
        if len(parts) < 3 or parts[1] != "declarations" or not parts[2].isdigit():
            continue
        pointer = "/" + parts[3] if len(parts) == 4 else ""
        by_item.setdefault(int(parts[2]), []).append({**row, "pointer": pointer})
    return {index: sorted_by_pointer(rows) for index, rows in by_item.items()}


def _compact_size(body: Any) -> int:
    """Bytes of ``body`` as compact JSON (orjson; the standard library for what orjson cannot
    write, such as integers beyond 64 bits)."""
    try:
        return len(orjson.dumps(body, default=str))
    except TypeError:
        return len(json.dumps(body, default=str, separators=(",", ":")).encode())


class DeclarationBatchApi(APIView):
    @extend_schema(
        operation_id="declarations_batch",
        request=BatchIn,
        responses={200: BatchOut, 400: PROBLEM, 413: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Submit up to 1,000 declarations; one result per input, in order",
    )
    def post(self, request: Request) -> Response:
        from aeo.benefits import operator_benefits

        body, defects = read_json_body_and_defects(
            request, max_bytes=settings.INTAKE_MAX_BATCH_BODY_BYTES
        )
        # A member named twice or a lone surrogate inside one declaration is that declaration's
        # own result (400, as a single POST of it answers); anywhere else the batch's.
        item_defects = _item_defects(defects)
        if sum(map(len, item_defects.values())) < len(defects) or (
            item_defects and not isinstance(body.get("declarations"), list)
        ):
            raise body_defects_problem(defects)
        operator = request.user
        bodies = _batch_declarations(body, operator_benefits(operator).max_batch)

        def produce() -> Response:
            # One declaration of a batch is held to the bound of a single POST (compact JSON).
            limit = settings.INTAKE_MAX_BODY_BYTES
            sizes = [
                0 if index in item_defects else _compact_size(b) for index, b in enumerate(bodies)
            ]
            kept = [
                b
                for index, (b, size) in enumerate(zip(bodies, sizes, strict=True))
                if size <= limit and index not in item_defects
            ]
            submitted = iter(declarations_submit(operator=operator, bodies=kept) if kept else [])
            results = []
            for index, size in enumerate(sizes):
                if index in item_defects:
                    results.append(
                        {
                            "index": index,
                            "status": "rejected",
                            "http_status": 400,
                            "errors": item_defects[index],
                        }
                    )
                    continue
                if size > limit:
                    results.append(
                        {
                            "index": index,
                            "status": "rejected",
                            "http_status": 413,
                            "errors": [
                                {
                                    "pointer": "",
                                    "code": "body_too_large",
                                    "detail": gettext(
                                        "this declaration has %(size)d bytes as compact "
                                        "JSON; one declaration may have %(limit)d"
                                    )
                                    % {"size": size, "limit": limit},
                                }
                            ],
                        }
                    )
                    continue
                outcome = next(submitted)
                if outcome.declaration is not None:
                    results.append(
                        {
                            "index": index,
                            "status": "accepted",
                            "http_status": outcome.status,
                            "id": outcome.declaration.pk,
                            "lrn": outcome.declaration.lrn,
                        }
                    )
                else:
                    results.append(
                        {
                            "index": index,
                            "status": "rejected",
                            "http_status": outcome.status,
                            # In the request's language, as a single POST answers.
                            "errors": [
                                {
                                    "pointer": e.pointer,
                                    "code": e.code,
                                    "detail": problem_detail(e.code, e.detail),
                                }
                                for e in outcome.errors
                            ],
                        }
                    )
            accepted = sum(1 for r in results if r["status"] == "accepted")
            return Response(
                {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
            )

        return with_idempotency(request, operator, body, produce)


class DeclarationAmendmentApi(APIView):
    @extend_schema(
        operation_id="declarations_amend",
        request=DeclarationIn,
        responses={200: DeclarationOut, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Replace a declaration by a corrected full body before release (re-assessed)",
    )
    def post(self, request: Request, declaration_id: int) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        operator = request.user
        if not Declaration.objects.filter(operator=operator, pk=declaration_id).exists():
            raise _not_found()

        def produce() -> Response:
            try:
                status, declaration, problems = declaration_amend(
                    operator=operator, declaration_id=declaration_id, body=body
                )
            except IntakeRefused as exc:
                raise _refused(exc) from None
            except Declaration.DoesNotExist:
                raise _not_found() from None
            if declaration is None:
                raise validation_problem(problems)
            return Response(
                declaration_representation(_load_for_operator(operator, declaration.pk)),
                status=status,
            )

        return with_idempotency(request, operator, body, produce)


class DeclarationInvalidationApi(APIView):
    @extend_schema(
        operation_id="declarations_invalidate",
        request=InvalidationIn,
        responses={200: DeclarationOut, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Cancel a declaration before release",
    )
    def post(self, request: Request, declaration_id: int) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        parsed = InvalidationIn.parse_or_problem(body)
        operator = request.user

        def produce() -> Response:
            try:
                declaration = declaration_invalidate(
                    operator=operator, declaration_id=declaration_id, reason=parsed.reason
                )
            except IntakeRefused as exc:
                raise _refused(exc) from None
            except Declaration.DoesNotExist:
                raise _not_found() from None
            return Response(
                declaration_representation(_load_for_operator(operator, declaration.pk))
            )

        return with_idempotency(request, operator, body, produce)


# Magic numbers of the accepted document formats: the type is read from the bytes, never trusted
# from the file name or the client's Content-Type.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def sniff_document(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def _upload_problem(status: int, code: str, pointer: str, detail: str) -> ProblemError:
    return ProblemError(
        status,
        code.replace("_", "-"),
        "Document refused",
        detail=detail,
        errors=[{"pointer": pointer, "code": code, "detail": detail}],
    )


class DeclarationDocumentApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="declarations_documents_create",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "type": {"type": "string", "enum": [c for c, _ in Document.Type.choices]},
                },
                "required": ["file"],
            }
        },
        responses={
            201: DocumentOut,
            404: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
            415: PROBLEM,
            422: PROBLEM,
        },
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Upload a document customs asked for (PDF, PNG or JPEG)",
    )
    def post(self, request: Request, declaration_id: int) -> Response:
        limit = getattr(settings, "INTAKE_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + 64 * 1024:
            raise _upload_problem(
                413,
                "body_too_large",
                "",
                gettext("the upload has %(size)d bytes; the limit is %(limit)d")
                % {"size": declared, "limit": limit},
            )
        operator = request.user
        status = (
            Declaration.objects.filter(operator=operator, pk=declaration_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            raise _not_found()
        # A closed declaration takes no document: said before the upload is read (and again
        # under the row lock when it is stored).
        refused = document_refused(status)
        if refused is not None:
            raise _refused(refused)
        try:
            upload = request.FILES.get("file")
            form = request.data
            # An empty body parses to a plain dict (DRF's empty data), not a QueryDict.
            types = form.getlist("type") if hasattr(form, "getlist") else []
            # Absent, the type is `other`; sent, it must be one of the types (an empty value too).
            doc_type = types[-1] if types else Document.Type.OTHER
            duplicated = [
                name
                for name, parts in (("file", request.FILES.getlist("file")), ("type", types))
                if len(parts) > 1
            ]
        except ParseError as exc:
            raise _upload_problem(400, "malformed_multipart", "", str(exc)[:300]) from None
        if duplicated:
            # Which of two parts was meant is not ours to guess (the last one would win).
            raise _upload_problem(
                422,
                "duplicate_part",
                f"/{duplicated[0]}",
                gettext("the multipart field `%(field)s` is sent more than once")
                % {"field": duplicated[0]},
            )
        if upload is None and declared and not request.FILES and not len(form):
            # A body whose parts cannot be read (no boundary line ends a part, no part has a
            # name): not a multipart body at all, rather than one that lacks its `file`.
            raise _upload_problem(
                400,
                "malformed_multipart",
                "",
                gettext("no part of the multipart body could be read"),
            )
        if upload is None:
            raise _upload_problem(
                422, "required", "/file", gettext("a multipart field `file` is required")
            )
        if doc_type not in Document.Type.values:
            raise _upload_problem(
                422,
                "enum_invalid",
                "/type",
                gettext("type must be one of %(types)s")
                % {"types": ", ".join(Document.Type.values)},
            )
        if upload.size > limit:
            raise _upload_problem(
                413,
                "body_too_large",
                "/file",
                gettext("the file has %(size)d bytes; the limit is %(limit)d")
                % {"size": upload.size, "limit": limit},
            )
        content = upload.read()
        if not content:
            raise _upload_problem(422, "document_empty", "/file", gettext("the file is empty"))
        sniffed = sniff_document(content[:16])
        if sniffed is None:
            raise _upload_problem(
                415,
                "document_type_unsupported",
                "/file",
                gettext(
                    "only PDF, PNG and JPEG files are accepted (checked from the file's bytes)"
                ),
            )
        content_type, extension = sniffed
        fingerprint_body = {"type": doc_type, "sha256": hashlib.sha256(content).hexdigest()}

        def produce() -> Response:
            try:
                document = document_attach(
                    operator=operator,
                    declaration_id=declaration_id,
                    doc_type=doc_type,
                    content=content,
                    content_type=content_type,
                    extension=extension,
                    original_name=upload.name or "",
                )
            except IntakeRefused as exc:
                raise _refused(exc) from None
            except Declaration.DoesNotExist:
                raise _not_found() from None
            return Response(
                {
                    "id": document.pk,
                    "declaration_id": declaration_id,
                    "type": document.type,
                    "content_type": document.content_type,
                    "size": document.size,
                    "sha256": document.sha256,
                    "uploaded_at": document.uploaded_at.isoformat(),
                },
                status=201,
            )

        return with_idempotency(request, operator, fingerprint_body, produce)


class ReturnCreateApi(APIView):
    @extend_schema(
        operation_id="returns_create",
        request=ReturnIn,
        responses={200: DeclarationOut, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="Report goods returned after release, with the new transport document",
    )
    def post(self, request: Request) -> Response:
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        parsed = ReturnIn.parse_or_problem(body)
        operator = request.user

        def produce() -> Response:
            try:
                declaration = declaration_return(
                    operator=operator,
                    lrn=parsed.lrn,
                    transport_document=parsed.transport_document.model_dump(),
                    reason=parsed.reason or "",
                )
            except IntakeRefused as exc:
                raise _refused(exc) from None
            except Declaration.DoesNotExist:
                raise _not_found() from None
            return Response(
                declaration_representation(_load_for_operator(operator, declaration.pk))
            )

        return with_idempotency(request, operator, body, produce)


class ManifestCreateApi(APIView):
    @extend_schema(
        operation_id="manifests_create",
        request=ManifestIn,
        responses={201: ManifestOut, 403: PROBLEM, 413: PROBLEM, 422: PROBLEM},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        summary="A carrier's manifest lines: a second source compared with the declarations",
    )
    def post(self, request: Request) -> Response:
        from .carriers import is_carrier

        operator = request.user
        if not is_carrier(operator):
            raise ProblemError(
                403,
                "forbidden",
                "Not allowed",
                detail=gettext(
                    "Manifests are accepted from carriers only (express carriers, postal "
                    "operators, freight forwarders)."
                ),
            )
        body = read_json_body(request, max_bytes=settings.INTAKE_MAX_BATCH_BODY_BYTES)
        parsed = ManifestIn.parse_or_problem(body)

        def produce() -> Response:
            manifest, rescored = manifest_record(
                operator=operator,
                reference=parsed.reference or "",
                lines=[line.model_dump() for line in parsed.lines],
            )
            return Response(
                {"id": manifest.pk, "lines": len(parsed.lines), "declarations_rescored": rescored},
                status=201,
            )

        return with_idempotency(request, operator, body, produce)
