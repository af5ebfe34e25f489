"""Documents around a declaration: a carrier's manifest (which re-scores data quality) and the
files an operator uploads for officers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record

from ..models import Declaration, QualityFinding, Status
from ..quality import assess_quality
from ..rates import RateBook
from ..statuses import TAKES_DOCUMENTS
from ._common import _findings, _operator_label, _quality_context
from .amendments import IntakeRefused


def manifest_record(
    *, operator: Operator, reference: str, lines: Sequence[dict[str, Any]]
) -> tuple[Any, int]:
    """Store a carrier manifest and re-score the data quality of declarations already received for
    the same transport documents (the second source may come after the first). Returns the manifest
    and how many declarations were re-scored."""
    from ..benchmarks import manifest_facts_many
    from ..carriers import carried_operator_ids
    from ..models import Manifest, ManifestLine
    from ..normalise import document_key
    from ..selectors import value_benchmarks

    with transaction.atomic():
        manifest = Manifest.objects.create(operator=operator, reference=reference[:64])
        ManifestLine.objects.bulk_create(
            ManifestLine(
                manifest=manifest,
                transport_document_number=line["transport_document"],
                transport_document_key=document_key(line["transport_document"]),
                packages=line.get("packages"),
                gross_mass_kg=line.get("gross_mass_kg"),
                declared_value=line.get("declared_value"),
                currency=line.get("currency") or "",
                description=(line.get("description") or "")[:512],
            )
            for line in lines
        )
        # A line names the declarations of its transport document's key, however either wrote
        # the number (spaces, dashes, case), as an arrival does.
        keys = {document_key(line["transport_document"]) for line in lines} - {""}
        if not keys:
            return manifest, 0
        # Only the carrier's own consignments and those of the operators it carries for
        # (declarations.carriers): another operator's are neither touched nor counted.
        open_statuses = (Status.ACCEPTED, Status.ASSESSED, Status.DOCUMENTS_REQUESTED)
        touched = list(
            Declaration.objects.filter(
                transport_document_key__in=keys,
                status__in=open_statuses,
                operator_id__in=carried_operator_ids(operator),
            )
        )
        if not touched:
            return manifest, 0
        # Keyed by the numbers as the declarations wrote them (what _quality_context looks up).
        facts = manifest_facts_many(
            {declaration.payload["transport_document"]["number"] for declaration in touched},
            carrier_ids=[operator.pk],
        )
        rates = RateBook()
        benchmarks = value_benchmarks()
        QualityFinding.objects.filter(declaration__in=touched).delete()
        findings: list[QualityFinding] = []
        for declaration in touched:
            context = _quality_context(
                declaration.payload,
                rates,
                declaration.received_at,
                benchmarks=benchmarks,
                manifests=facts,
                arrived_at=declaration.arrived_at,
            )
            report = assess_quality(declaration.payload, context)
            declaration.dq_score = report.score
            findings.extend(_findings(declaration, report))
        Declaration.objects.bulk_update(touched, ["dq_score"])
        QualityFinding.objects.bulk_create(findings)
    return manifest, len(touched)


def document_refused(status: str) -> IntakeRefused | None:
    """Why a document cannot be attached to a declaration in this status, or None: documents are
    for goods still under the declaration (`statuses.TAKES_DOCUMENTS`), not once it is released,
    invalidated or returned."""
    if status in TAKES_DOCUMENTS:
        return None
    return IntakeRefused.one(
        "document_not_allowed",
        "",
        gettext(
            "the declaration is %(status)s: documents are uploaded while the goods are still "
            "under it, before release, invalidation or return"
        )
        % {"status": status},
    )


def document_attach(
    *,
    operator: Operator,
    declaration_id: int,
    doc_type: str,
    content: bytes,
    content_type: str,
    extension: str,
    original_name: str,
) -> Any:
    """Store an uploaded document under MEDIA_ROOT (never in the database) and list it for officers.
    Raises `IntakeRefused` (`document_not_allowed`) once the declaration is released, invalidated
    or returned, checked under the declaration's row lock."""
    import hashlib

    from django.core.files.base import ContentFile

    from ..models import Document

    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .filter(operator=operator, pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        refused = document_refused(declaration.status)
        if refused is not None:
            raise refused
        document = Document(
            declaration=declaration,
            operator=operator,
            type=doc_type,
            original_name=original_name[:200],
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        document.file.save(f"upload.{extension}", ContentFile(content), save=False)
        document.save()
        audit_record(
            actor=_operator_label(operator),
            action="declaration.document",
            object_type="declaration",
            object_id=declaration.pk,
            after={"document": document.pk, "type": doc_type, "sha256": document.sha256},
        )
    return document
