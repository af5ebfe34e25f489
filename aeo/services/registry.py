"""The operators' registry: operators, their identifiers, contacts and links, each write audited;
and the error a user can fix that every registry write may raise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.audit import audit_record

from ..models import Operator, OperatorContact, OperatorIdentifier, OperatorLink


class RegistryError(ValueError):
    """A registry write refused for a reason a user can fix; `field` names the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


OPERATOR_FIELDS = ("code", "name", "role", "country", "eori", "vat_number", "is_active")


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = (
            str(value) if isinstance(value, Decimal | date) else value
        )  # JSON-safe audit rows
    return out


@transaction.atomic
def operator_create(
    *,
    code: str,
    name: str,
    role: str,
    country: str = "",
    eori: str = "",
    vat_number: str = "",
    actor: Any = None,
    reason: str = "",
) -> Operator:
    operator = Operator.objects.create(
        code=code,
        name=name,
        role=role,
        country=country.upper(),
        eori=eori.upper(),
        vat_number=vat_number.upper(),
    )
    audit_record(
        actor=actor,
        action="operator.create",
        object_type="operator",
        object_id=operator.pk,
        after=_snapshot(operator, OPERATOR_FIELDS),
        reason=reason,
    )
    return operator


@transaction.atomic
def operator_update(*, operator_id: int, actor: Any, reason: str = "", **changes: Any) -> Operator:
    """Edit an operator's registry data (not its access settings, see below)."""
    unknown = set(changes) - set(OPERATOR_FIELDS)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    before = _snapshot(operator, OPERATOR_FIELDS)
    for name, value in changes.items():
        if name in ("country", "eori", "vat_number") and isinstance(value, str):
            value = value.upper()
        setattr(operator, name, value)
    after = _snapshot(operator, OPERATOR_FIELDS)
    if after == before:
        return operator
    operator.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="operator.update",
        object_type="operator",
        object_id=operator.pk,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        reason=reason,
    )
    return operator


@transaction.atomic
def operator_identifier_add(
    *, operator: Operator, scheme: str, value: str, issuer: str = "", actor: Any
) -> OperatorIdentifier:
    value = value.strip()
    try:
        with transaction.atomic():
            identifier = OperatorIdentifier.objects.create(
                operator=operator, scheme=scheme, value=value, issuer=issuer.strip()
            )
    except IntegrityError:
        raise RegistryError(
            _("This identifier is already registered to an operator."), field="value"
        ) from None
    audit_record(
        actor=actor,
        action="operator.identifier_add",
        object_type="operator",
        object_id=operator.pk,
        after={"scheme": scheme, "value": value, "issuer": identifier.issuer},
    )
    return identifier


@transaction.atomic
def operator_identifier_remove(*, identifier: OperatorIdentifier, actor: Any) -> None:
    audit_record(
        actor=actor,
        action="operator.identifier_remove",
        object_type="operator",
        object_id=identifier.operator_id,
        before={
            "scheme": identifier.scheme,
            "value": identifier.value,
            "issuer": identifier.issuer,
        },
    )
    identifier.delete()


@transaction.atomic
def operator_contact_add(
    *,
    operator: Operator,
    name: str,
    function: str = "",
    email: str = "",
    phone: str = "",
    actor: Any,
) -> OperatorContact:
    contact = OperatorContact.objects.create(
        operator=operator, name=name, function=function, email=email, phone=phone
    )
    audit_record(
        actor=actor,
        action="operator.contact_add",
        object_type="operator",
        object_id=operator.pk,
        after={"name": name, "function": function, "email": email, "phone": phone},
    )
    return contact


@transaction.atomic
def operator_contact_remove(*, contact: OperatorContact, actor: Any) -> None:
    audit_record(
        actor=actor,
        action="operator.contact_remove",
        object_type="operator",
        object_id=contact.operator_id,
        before={
            "name": contact.name,
            "function": contact.function,
            "email": contact.email,
            "phone": contact.phone,
        },
    )
    contact.delete()


@transaction.atomic
def operator_link_add(
    *, source: Operator, target: Operator, kind: str, since: date | None = None, actor: Any
) -> OperatorLink:
    if source.pk == target.pk:
        raise RegistryError(_("An operator cannot be linked to itself."), field="target")
    try:
        with transaction.atomic():
            link = OperatorLink.objects.create(source=source, target=target, kind=kind, since=since)
    except IntegrityError:
        raise RegistryError(_("This link already exists."), field="target") from None
    audit_record(
        actor=actor,
        action="operator.link_add",
        object_type="operator",
        object_id=source.pk,
        after={"target": target.code, "kind": kind, "since": str(since) if since else None},
    )
    return link


@transaction.atomic
def operator_link_remove(*, link: OperatorLink, actor: Any) -> None:
    audit_record(
        actor=actor,
        action="operator.link_remove",
        object_type="operator",
        object_id=link.source_id,
        before={
            "target": link.target.code,
            "kind": link.kind,
            "since": str(link.since) if link.since else None,
        },
    )
    link.delete()
