"""Writes for the AEO registry: operators, identifiers, links, AEO authorisations and their one
transition service, benefit policies, operator access (API keys, throttle, webhook), the audit trail."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from customs_ecom.platform import extensions
from customs_ecom.platform.audit import audit_record

from .models import (
    AEOAuthorisation,
    BenefitPolicy,
    MutualRecognition,
    Operator,
    OperatorAPIKey,
    OperatorContact,
    OperatorIdentifier,
    OperatorLink,
)

AuthStatus = AEOAuthorisation.Status


class RegistryError(ValueError):
    """A registry write refused for a reason a user can fix; `field` names the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- operators --------------------------------------------------------------------------------

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
            "This identifier is already registered to an operator.", field="value"
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
        before={"name": contact.name, "email": contact.email},
    )
    contact.delete()


@transaction.atomic
def operator_link_add(
    *, source: Operator, target: Operator, kind: str, since: date | None = None, actor: Any
) -> OperatorLink:
    if source.pk == target.pk:
        raise RegistryError("An operator cannot be linked to itself.", field="target")
    try:
        with transaction.atomic():
            link = OperatorLink.objects.create(source=source, target=target, kind=kind, since=since)
    except IntegrityError:
        raise RegistryError("This link already exists.", field="target") from None
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
        before={"target_id": link.target_id, "kind": link.kind},
    )
    link.delete()


# --- AEO authorisations -----------------------------------------------------------------------

# The one table of allowed AEO status changes. A recognised (MRA) authorisation may go straight
# from applied to authorised: the partner administration did the audit.
AEO_TRANSITIONS: dict[str, frozenset[str]] = {
    AuthStatus.APPLIED: frozenset({AuthStatus.UNDER_REVIEW, AuthStatus.REJECTED}),
    AuthStatus.UNDER_REVIEW: frozenset({AuthStatus.AUTHORISED, AuthStatus.REJECTED}),
    AuthStatus.AUTHORISED: frozenset(
        {AuthStatus.SUSPENDED, AuthStatus.REVOKED, AuthStatus.EXPIRED}
    ),
    AuthStatus.SUSPENDED: frozenset(
        {AuthStatus.AUTHORISED, AuthStatus.REVOKED, AuthStatus.EXPIRED}
    ),
    AuthStatus.REVOKED: frozenset(),
    AuthStatus.EXPIRED: frozenset(),
    AuthStatus.REJECTED: frozenset(),
}
MRA_SHORTCUT = (AuthStatus.APPLIED, AuthStatus.AUTHORISED)
# A human decision needs a reason; the expiry task gives its own.
REASON_REQUIRED = frozenset(
    {AuthStatus.REJECTED, AuthStatus.SUSPENDED, AuthStatus.REVOKED, AuthStatus.AUTHORISED}
)


class AEOTransitionNotAllowed(RegistryError):
    def __init__(self, authorisation: AEOAuthorisation, to_status: str) -> None:
        super().__init__(f"{authorisation.status} -> {to_status} is not allowed")
        self.from_status = authorisation.status
        self.to_status = to_status


AUTH_FIELDS = ("status", "kind", "certificate_number", "valid_from", "valid_to", "recognised_from")


@transaction.atomic
def authorisation_apply(
    *, operator: Operator, kind: str, note: str = "", actor: Any
) -> AEOAuthorisation:
    """An operator's application, recorded by a supervisor: it starts in `applied`."""
    authorisation = AEOAuthorisation.objects.create(
        operator=operator, kind=kind, application_note=note, status=AuthStatus.APPLIED
    )
    audit_record(
        actor=actor,
        action="aeo.apply",
        object_type="aeo_authorisation",
        object_id=authorisation.pk,
        after={**_snapshot(authorisation, AUTH_FIELDS), "operator": operator.code},
        reason=note,
    )
    return authorisation


def authorisation_transition(
    *,
    authorisation_id: int,
    to_status: str,
    actor: Any,
    reason: str = "",
    certificate_number: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> AEOAuthorisation:
    """The one way to change an AEO status: lock the row, check the table, write the change and
    its audit row. Already in `to_status`: returned unchanged. Benefits follow at once, because
    `operator_benefits` reads the status on every assessment."""
    with transaction.atomic():
        authorisation = AEOAuthorisation.objects.select_for_update().get(pk=authorisation_id)
        if authorisation.status == to_status:
            return authorisation
        allowed = to_status in AEO_TRANSITIONS[authorisation.status] or (
            (authorisation.status, to_status) == MRA_SHORTCUT and authorisation.recognised_from
        )
        if not allowed:
            raise AEOTransitionNotAllowed(authorisation, to_status)
        if to_status in REASON_REQUIRED and not reason.strip():
            raise RegistryError("Give the reason for this decision.", field="reason")
        before = _snapshot(authorisation, AUTH_FIELDS)
        if to_status == AuthStatus.AUTHORISED and authorisation.status != AuthStatus.SUSPENDED:
            # Granting: the certificate and its validity are part of the decision.
            certificate_number = (certificate_number or authorisation.certificate_number).strip()
            if not certificate_number:
                raise RegistryError(
                    "An authorisation needs its certificate number.", field="certificate_number"
                )
            authorisation.certificate_number = certificate_number
            authorisation.valid_from = (
                valid_from or authorisation.valid_from or timezone.localdate()
            )
            authorisation.valid_to = valid_to or authorisation.valid_to
            if authorisation.valid_to and authorisation.valid_to < authorisation.valid_from:
                raise RegistryError("Valid to is before valid from.", field="valid_to")
        authorisation.status = to_status
        authorisation.status_changed_at = timezone.now()
        authorisation.save()
        audit_record(
            actor=actor,
            action=f"aeo.{to_status}",
            object_type="aeo_authorisation",
            object_id=authorisation.pk,
            before=before,
            after=_snapshot(authorisation, AUTH_FIELDS),
            reason=reason,
        )
        return authorisation


@transaction.atomic
def authorisation_recognise(
    *,
    operator: Operator,
    partner_country: str,
    kind: str,
    certificate_number: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    actor: Any,
    reason: str = "",
) -> AEOAuthorisation:
    """Recognise a partner administration's AEO under a mutual recognition arrangement in force."""
    partner_country = partner_country.upper()
    today = timezone.localdate()
    mra = MutualRecognition.objects.filter(partner_country=partner_country).first()
    if mra is None or mra.valid_from > today or (mra.valid_to is not None and mra.valid_to < today):
        raise RegistryError(
            "No mutual recognition arrangement with this administration is in force.",
            field="partner_country",
        )
    if kind not in (mra.kinds or []):
        raise RegistryError(
            "The arrangement does not cover this kind of authorisation.", field="kind"
        )
    authorisation = AEOAuthorisation.objects.create(
        operator=operator,
        kind=kind,
        certificate_number=certificate_number.strip(),
        recognised_from=partner_country,
        application_note=reason,
    )
    audit_record(
        actor=actor,
        action="aeo.recognition_requested",
        object_type="aeo_authorisation",
        object_id=authorisation.pk,
        after={**_snapshot(authorisation, AUTH_FIELDS), "operator": operator.code},
        reason=reason,
    )
    return authorisation_transition(
        authorisation_id=authorisation.pk,
        to_status=AuthStatus.AUTHORISED,
        actor=actor,
        reason=reason or f"recognised under the arrangement with {mra.partner_name}",
        certificate_number=certificate_number,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def authorisations_expire(*, today: date | None = None) -> int:
    """Beat task body: authorisations past their validity become `expired` (one transition each)."""
    today = today or timezone.localdate()
    ids = list(
        AEOAuthorisation.objects.filter(
            status__in=(AuthStatus.AUTHORISED, AuthStatus.SUSPENDED), valid_to__lt=today
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        authorisation_transition(
            authorisation_id=pk,
            to_status=AuthStatus.EXPIRED,
            actor=None,
            reason=f"validity ended before {today.isoformat()}",
        )
    return len(ids)


@transaction.atomic
def mutual_recognition_save(
    *,
    partner_country: str,
    partner_name: str,
    kinds: list[str],
    valid_from: date,
    valid_to: date | None = None,
    actor: Any,
) -> MutualRecognition:
    partner_country = partner_country.upper()
    mra = (
        MutualRecognition.objects.select_for_update()
        .filter(partner_country=partner_country)
        .first()
    )
    fields = ("partner_country", "partner_name", "kinds", "valid_from", "valid_to")
    before = _snapshot(mra, fields) if mra else None
    if mra is None:
        mra = MutualRecognition(partner_country=partner_country)
    mra.partner_name = partner_name
    mra.kinds = sorted(kinds)
    mra.valid_from = valid_from
    mra.valid_to = valid_to
    mra.save()
    audit_record(
        actor=actor,
        action="aeo.mra_save",
        object_type="mutual_recognition",
        object_id=partner_country,
        before=before,
        after=_snapshot(mra, fields),
    )
    return mra


# --- benefits -------------------------------------------------------------------------------------

BENEFIT_FIELDS = ("risk_score_factor", "random_rate_factor", "deferred_payment", "max_batch")


@transaction.atomic
def benefit_policy_update(
    *,
    kind: str,
    risk_score_factor: Decimal,
    random_rate_factor: Decimal,
    deferred_payment: bool,
    max_batch: int,
    actor: Any,
    reason: str = "",
) -> BenefitPolicy:
    """Change what an authorisation kind gives; effective for the next assessment."""
    for name, value in (
        ("risk_score_factor", risk_score_factor),
        ("random_rate_factor", random_rate_factor),
    ):
        if not Decimal(0) <= value <= Decimal(1):
            raise RegistryError("A factor is between 0 and 1.", field=name)
    if max_batch < 1:
        raise RegistryError("At least 1.", field="max_batch")
    from .benefits import ensure_benefit_policies

    ensure_benefit_policies()
    policy = BenefitPolicy.objects.select_for_update().get(kind=kind)
    before = _snapshot(policy, BENEFIT_FIELDS)
    policy.risk_score_factor = risk_score_factor
    policy.random_rate_factor = random_rate_factor
    policy.deferred_payment = deferred_payment
    policy.max_batch = max_batch
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        actor=actor,
        action="aeo.benefit_policy_update",
        object_type="benefit_policy",
        object_id=kind,
        before=before,
        after=_snapshot(policy, BENEFIT_FIELDS),
        reason=reason,
    )
    return policy


# --- operator access ------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, operator: Operator, name: str = "default", actor: Any = None
) -> tuple[OperatorAPIKey, str]:
    """Create a key; the clear key is returned once and never stored."""
    key_obj, key = OperatorAPIKey.objects.create_key(operator=operator, name=name[:50])
    audit_record(
        actor=actor,
        action="api_key.create",
        object_type="operator",
        object_id=operator.pk,
        after={"prefix": key_obj.prefix, "name": key_obj.name},
    )
    return key_obj, key


@transaction.atomic
def api_key_revoke(*, key_obj: OperatorAPIKey, actor: Any = None) -> None:
    if key_obj.revoked:
        return
    key_obj.revoked = True
    key_obj.save(update_fields=["revoked"])
    audit_record(
        actor=actor,
        action="api_key.revoke",
        object_type="operator",
        object_id=key_obj.operator_id,
        before={"prefix": key_obj.prefix, "revoked": False},
        after={"prefix": key_obj.prefix, "revoked": True},
    )


def parse_throttle_rate(rate: str) -> str:
    """`600/min`-style rates as DRF reads them; empty means the platform default."""
    rate = rate.strip()
    if not rate:
        return ""
    try:
        count, _ = SimpleRateThrottle.parse_rate(SimpleRateThrottle, rate)
        period = rate.split("/", 1)[1]
    except (ValueError, IndexError, KeyError, AttributeError):
        raise RegistryError(
            "Write a rate as <requests>/<sec|min|hour|day>, e.g. 600/min.", field="throttle_rate"
        ) from None
    if count is None or count < 1 or period[:1] not in ("s", "m", "h", "d"):
        raise RegistryError(
            "Write a rate as <requests>/<sec|min|hour|day>, e.g. 600/min.", field="throttle_rate"
        )
    return rate


@transaction.atomic
def operator_set_throttle(
    *, operator_id: int, throttle_rate: str, actor: Any, reason: str = ""
) -> Operator:
    rate = parse_throttle_rate(throttle_rate)
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    if operator.throttle_rate == rate:
        return operator
    before = {"throttle_rate": operator.throttle_rate}
    operator.throttle_rate = rate
    operator.save(update_fields=["throttle_rate"])
    audit_record(
        actor=actor,
        action="operator.throttle",
        object_type="operator",
        object_id=operator.pk,
        before=before,
        after={"throttle_rate": rate},
        reason=reason,
    )
    return operator


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def operator_set_webhook(
    *, operator_id: int, url: str, secret: str | None, actor: Any, reason: str = ""
) -> Operator:
    """Register (or clear, with an empty URL) the operator's webhook. A URL needs a secret: given,
    kept from before, or generated. Deliveries start with the events after registration; older
    ones remain available from `GET /api/v1/events`. The secret itself never enters the audit."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise RegistryError("The webhook URL must be http(s).", field="webhook_url")
    new_secret = (secret or "").strip() or operator.webhook_secret or new_webhook_secret()
    if url and len(new_secret) < 16:
        raise RegistryError("Use a secret of at least 16 characters.", field="webhook_secret")
    before = {"webhook_url": operator.webhook_url, "secret_set": bool(operator.webhook_secret)}
    secret_changed = new_secret != operator.webhook_secret
    if not url:
        new_secret = ""
    if url != operator.webhook_url and url:
        # The outbox (declarations) starts after the events that exist now, in this transaction.
        extensions.call("aeo.webhook_registered", operator_id=operator.pk)
    operator.webhook_url = url
    operator.webhook_secret = new_secret
    operator.save(update_fields=["webhook_url", "webhook_secret"])
    audit_record(
        actor=actor,
        action="operator.webhook",
        object_type="operator",
        object_id=operator.pk,
        before=before,
        after={
            "webhook_url": url,
            "secret_set": bool(new_secret),
            "secret_changed": secret_changed,
        },
        reason=reason,
    )
    return operator
