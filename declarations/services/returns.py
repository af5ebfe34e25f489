"""A declaration withdrawn before release (invalidation) and goods sent back after it (returns)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from aeo.models import Operator

from .. import lifecycle
from ..models import Declaration, Status
from ..normalise import document_key
from ..statuses import CONTROL, INVALIDATABLE
from ._common import _operator_label
from .amendments import IntakeRefused


def declaration_invalidate(*, operator: Operator, declaration_id: int, reason: str) -> Declaration:
    """Cancel a declaration that will not be shipped (api.md). After release the goods are reported
    with `POST /api/v1/returns` instead."""
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update()
            .filter(operator=operator, pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        if declaration.status == Status.INVALIDATED:
            return declaration
        if declaration.status not in INVALIDATABLE:
            raise IntakeRefused.one(
                "invalidation_not_allowed",
                "",
                (
                    gettext(
                        "a declaration in status %(status)s cannot be invalidated; report a "
                        "return instead"
                    )
                    if declaration.released_at
                    else gettext("a declaration in status %(status)s cannot be invalidated")
                )
                % {"status": repr(declaration.status)},
            )
        if declaration.events.filter(to_status__in=CONTROL).exists():
            # UCC art. 174(2): not once customs announced a control (documents asked for, goods
            # selected for inspection or held), even if an amendment since brought the
            # declaration back to `assessed`: the officer decides.
            raise IntakeRefused.one(
                "invalidation_not_allowed",
                "",
                gettext(
                    "customs has asked for documents or selected these goods for control; "
                    "the declaration can no longer be invalidated"
                ),
            )
        return lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.INVALIDATED,
            actor=_operator_label(operator),
            public_reason="invalidated by the declarant",
            note=reason,
        )


def declaration_return(
    *, operator: Operator, lrn: str, transport_document: dict[str, str], reason: str = ""
) -> Declaration:
    """Goods sent back after release with a new transport document: `released` -> `returned`;
    revenue reacts to the status change and starts the refund."""
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update().filter(operator=operator, lrn=lrn).first()
        )
        if declaration is None:
            raise Declaration.DoesNotExist
        if declaration.status == Status.RETURNED:
            recorded = declaration.return_transport_document or {}
            if recorded and (
                recorded.get("type") != transport_document["type"]
                or document_key(recorded.get("number", ""))
                != document_key(transport_document["number"])
            ):
                # A retry answers as the first report did; a report naming other goods than
                # the first is not a retry, and the return keeps the document it was made under.
                raise IntakeRefused.one(
                    "return_not_allowed",
                    "/transport_document",
                    gettext("the goods were already reported returned under %(document)s")
                    % {"document": f"{recorded.get('type')} {recorded.get('number')}"},
                )
            return declaration
        if declaration.status != Status.RELEASED:
            raise IntakeRefused.one(
                "return_not_allowed",
                "/lrn",
                gettext("only released goods can be returned; this declaration is %(status)s")
                % {"status": repr(declaration.status)},
            )
        return lifecycle.transition(
            declaration_id=declaration.pk,
            to_status=Status.RETURNED,
            actor=_operator_label(operator),
            public_reason=f"returned under {transport_document['type']} "
            f"{transport_document['number']}",
            note=reason,
            changes={"return_transport_document": dict(transport_document)},
        )
