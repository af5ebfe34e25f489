"""Which carrier's manifest may speak about which declarations (docs/api.md, Manifests).

A manifest is accepted only from an operator that transports goods (express carriers, postal
operators, freight forwarders). It touches only the declarations its carrier submitted itself or
that were declared by an operator it carries for (an ``OperatorLink`` "carrier carries_for
declarant"); the answer counts only those, so it reveals nothing about other operators' transport
documents. The same relation decides whose manifest lines a declaration is compared with at intake.
"""

from __future__ import annotations

from django.db.models import Q

from aeo.models import Operator, OperatorLink, OperatorRole

CARRIER_ROLES = frozenset(
    {OperatorRole.EXPRESS_CARRIER, OperatorRole.POSTAL_OPERATOR, OperatorRole.FREIGHT_FORWARDER}
)


def is_carrier(operator: Operator) -> bool:
    return operator.role in CARRIER_ROLES


def carried_operator_ids(carrier: Operator) -> set[int]:
    """The operators whose declarations this carrier's manifests may touch: itself and those it
    carries for."""
    targets = OperatorLink.objects.filter(
        source=carrier, kind=OperatorLink.Kind.CARRIES_FOR
    ).values_list("target_id", flat=True)
    return {carrier.pk, *targets}


def manifest_operator_filter(operator_id: int, *, prefix: str = "manifest__") -> Q:
    """The operators whose manifests count for this declarant: itself (if it carries its own
    goods) and the carriers that carry for it; as a filter on manifest lines (a subquery, so that
    intake reads the manifest lines that count in one statement)."""
    sources = OperatorLink.objects.filter(
        target_id=operator_id,
        kind=OperatorLink.Kind.CARRIES_FOR,
        source__role__in=CARRIER_ROLES,
    ).values("source_id")
    return Q(**{f"{prefix}operator_id": operator_id}) | Q(**{f"{prefix}operator_id__in": sources})
