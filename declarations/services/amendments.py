"""Amendments: a corrected full body replaces a declaration before release, re-validated, re-scored
and re-assessed as a new revision."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from aeo.models import Operator
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.extensions import call
from customs_ecom.platform.faults import retry_on_conflict

from .. import lifecycle
from ..coalesce import assessment_request
from ..errors import Problem
from ..models import Declaration, DeclarationItem, QualityFinding, Status
from ..normalise import document_key
from ..quality import assess_quality
from ..rates import RateBook
from ..reference import active_profiles
from ..schemas import canonical_dict, declaration_fingerprint, validate_declaration
from ..statuses import AMENDABLE
from ._common import _columns, _findings, _items, _operator_label, _quality_context, _same_body


class IntakeRefused(Exception):
    """A well-formed request the declaration's state refuses (409), with the problems to report."""

    def __init__(self, code: str, problems: list[Problem], status: int = 409) -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems
        self.status = status

    @classmethod
    def one(cls, code: str, pointer: str, detail: str) -> IntakeRefused:
        """Refused for one reason: a problem of the same code at ``pointer``."""
        return cls(code, [Problem(pointer, code, detail)])


def _tax_scheme(payload: dict[str, Any]) -> tuple[str, str]:
    scheme = payload.get("vendor_tax_scheme") or {}
    return scheme.get("scheme", ""), scheme.get("number", "")


def declaration_amend(
    *, operator: Operator, declaration_id: int, body: object
) -> tuple[int, Declaration | None, list[Problem]]:
    """Replace a declaration by a corrected full body before release: re-validated under the current
    profile, revision + 1, back to `accepted` through the one transition service, and re-assessed by
    risk and revenue. The same body again is a no-op (200). A tax-scheme number is frozen once the
    goods are released (api.md). Returns (status, declaration, problems)."""
    profiles = active_profiles()
    specs = {code: spec for code, (_, spec) in profiles.items()}
    rates = RateBook()
    now = timezone.now()
    result = validate_declaration(body, profiles=specs, rate_lookup=rates, today=now.date())
    if result.errors or result.declaration is None:
        return 422, None, list(result.errors)
    canonical = canonical_dict(result.declaration)
    fingerprint = declaration_fingerprint(result.declaration, canonical)

    def attempt() -> tuple[int, Declaration | None, list[Problem]]:
        # The declaration row is locked first; its pending assessment row is written last
        # (declarations.coalesce: the drainer takes the same locks in the same order).
        with transaction.atomic():
            declaration = (
                Declaration.objects.select_for_update()
                .filter(operator=operator, pk=declaration_id)
                .first()
            )
            if declaration is None:
                raise Declaration.DoesNotExist
            if canonical["lrn"] != declaration.lrn:
                return (
                    422,
                    None,
                    [
                        Problem(
                            "/lrn",
                            "lrn_mismatch",
                            f"an amendment keeps the lrn {declaration.lrn!r}, got {canonical['lrn']!r}",
                        )
                    ],
                )
            if _same_body(declaration.fingerprint, fingerprint, body):
                return 200, declaration, []
            if declaration.status not in AMENDABLE:
                released = declaration.released_at is not None
                if released and _tax_scheme(canonical) != _tax_scheme(declaration.payload):
                    raise IntakeRefused.one(
                        "tax_scheme_number_frozen",
                        "/vendor_tax_scheme",
                        gettext(
                            "the tax-scheme number cannot be added, changed or removed after "
                            "release"
                        ),
                    )
                raise IntakeRefused.one(
                    "amendment_not_allowed",
                    "",
                    gettext("a declaration in status %(status)s can no longer be amended")
                    % {"status": repr(declaration.status)},
                )
            if call("revenue.values_revised", declaration.pk, default=False):
                # UCC art. 173: no amendment once customs found the particulars incorrect. An
                # amendment would reassess the goods on the declared values and drop those found.
                raise IntakeRefused.one(
                    "amendment_not_allowed",
                    "",
                    gettext(
                        "customs revised the declared values of this declaration; it can no "
                        "longer be amended"
                    ),
                )
            if document_key(canonical["transport_document"]["number"]) != document_key(
                declaration.transport_document_number
            ):
                # UCC art. 173(1): an amendment does not make the declaration cover other goods. The
                # transport document is what the goods arrive under and what customs' holds follow.
                raise IntakeRefused.one(
                    "amendment_not_allowed",
                    "/transport_document/number",
                    gettext(
                        "an amendment cannot make the declaration cover other goods: the "
                        "transport document number identifies them; invalidate this declaration "
                        "and declare the goods under their own number"
                    ),
                )
            if document_key(
                (canonical.get("master_transport_document") or {}).get("number", "")
            ) != (declaration.master_document_key or ""):
                # The master waybill says which consolidation the goods travel in: a declaration
                # naming that master holds them too (lifecycle.same_goods), so it stays.
                raise IntakeRefused.one(
                    "amendment_not_allowed",
                    "/master_transport_document/number",
                    gettext(
                        "an amendment cannot move the goods to another consolidation: the master "
                        "waybill they travel under stays; invalidate this declaration and declare "
                        "the goods afresh"
                    ),
                )
            if canonical["consignee"]["name"] != declaration.payload["consignee"]["name"] and call(
                "revenue.border_payments_recorded", declaration.pk, default=False
            ):
                # The ledger holds what was paid in the consignee's name: renamed, the debt
                # would start afresh and every payment be refunded.
                raise IntakeRefused.one(
                    "amendment_not_allowed",
                    "/consignee/name",
                    gettext(
                        "duties and taxes were paid at the border for this consignee; the "
                        "consignee's name can no longer be changed by an amendment"
                    ),
                )
            before = {"revision": declaration.revision, "fingerprint": declaration.fingerprint}
            from ..benchmarks import manifest_facts_many
            from ..selectors import value_benchmarks

            context = _quality_context(
                canonical,
                rates,
                declaration.received_at,
                benchmarks=value_benchmarks(),
                manifests=manifest_facts_many(
                    [canonical["transport_document"]["number"]],
                    declarant_id=operator.pk,
                ),
                arrived_at=declaration.arrived_at,
            )
            report = assess_quality(canonical, context)
            columns = _columns(canonical, rates, declaration.received_at)
            # The case file's timeline shows what an amendment changed, field by field.
            changes = {
                name: [_audit_value(getattr(declaration, name)), _audit_value(value)]
                for name, value in columns.items()
                if getattr(declaration, name) != value
            }
            for name, value in columns.items():
                setattr(declaration, name, value)
            declaration.payload = canonical
            declaration.fingerprint = fingerprint
            declaration.profile_id = profiles[canonical["dataset"]][0]
            declaration.dq_score = report.score
            declaration.revision += 1
            declaration.updated_at = now
            declaration.enqueued_at = now
            declaration.save()
            declaration.items.all().delete()
            declaration.quality_findings.all().delete()
            DeclarationItem.objects.bulk_create(_items(declaration, canonical))
            QualityFinding.objects.bulk_create(_findings(declaration, report))
            audit_record(
                actor=_operator_label(operator),
                action="declaration.amend",
                object_type="declaration",
                object_id=declaration.pk,
                before=before,
                after={
                    "revision": declaration.revision,
                    "fingerprint": fingerprint,
                    "changes": changes,
                },
            )
            if declaration.status != Status.ACCEPTED:
                declaration = lifecycle.transition(
                    declaration_id=declaration.pk,
                    to_status=Status.ACCEPTED,
                    actor=_operator_label(operator),
                    public_reason="amended, being assessed again",
                )
            assessment_request([declaration.pk])
        return 200, declaration, []

    # A deadlock or serialization failure rolled everything back: the same work again, in a
    # fresh transaction (only when no caller's transaction encloses this one).
    return retry_on_conflict(attempt)


def _audit_value(value: Any) -> Any:
    """A column value as JSON for an audit row (Decimal and dates as text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
