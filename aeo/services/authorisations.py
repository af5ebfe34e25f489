"""AEO authorisations: applications, the one transition service, recognition under a mutual
recognition arrangement, expiry by beat, and the arrangements themselves."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.officer_tz import installation_today

from ..models import AEOAuthorisation, MutualRecognition, Operator
from .registry import RegistryError, _snapshot

AuthStatus = AEOAuthorisation.Status

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


def _check_reinstatement(
    authorisation: AEOAuthorisation,
    certificate_number: str | None,
    valid_from: date | None,
    valid_to: date | None,
) -> None:
    """Reinstating ends a suspension of the same authorisation: its certificate and validity
    stay as granted (a new grant changes them), and one whose validity has ended is not brought
    back (grant a new authorisation)."""
    if authorisation.valid_to is not None and authorisation.valid_to < installation_today():
        raise RegistryError(
            _(
                "The authorisation's validity ended on %(date)s: it cannot be reinstated; grant a "
                "new authorisation."
            )
            % {"date": authorisation.valid_to.isoformat()},
            field="valid_to",
        )
    changed = (
        (certificate_number or "").strip() not in ("", authorisation.certificate_number)
        or (valid_from is not None and valid_from != authorisation.valid_from)
        or (valid_to is not None and valid_to != authorisation.valid_to)
    )
    if changed:
        raise RegistryError(
            _(
                "A reinstatement keeps the authorisation's certificate and validity; leave them as "
                "they are (a new grant changes them)."
            ),
            field="valid_to",
        )


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
            raise RegistryError(_("Give the reason for this decision."), field="reason")
        before = _snapshot(authorisation, AUTH_FIELDS)
        if to_status == AuthStatus.AUTHORISED and authorisation.status == AuthStatus.SUSPENDED:
            _check_reinstatement(authorisation, certificate_number, valid_from, valid_to)
        if to_status == AuthStatus.AUTHORISED and authorisation.status != AuthStatus.SUSPENDED:
            # Granting: the certificate and its validity are part of the decision.
            certificate_number = (certificate_number or authorisation.certificate_number).strip()
            if not certificate_number:
                raise RegistryError(
                    _("An authorisation needs its certificate number."), field="certificate_number"
                )
            authorisation.certificate_number = certificate_number
            authorisation.valid_from = (
                valid_from or authorisation.valid_from or installation_today()
            )
            authorisation.valid_to = valid_to or authorisation.valid_to
            if authorisation.valid_to and authorisation.valid_to < authorisation.valid_from:
                raise RegistryError(_("Valid to is before valid from."), field="valid_to")
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
    today = installation_today()
    mra = MutualRecognition.objects.filter(partner_country=partner_country).first()
    if mra is None or mra.valid_from > today or (mra.valid_to is not None and mra.valid_to < today):
        raise RegistryError(
            _("No mutual recognition arrangement with this administration is in force."),
            field="partner_country",
        )
    if kind not in (mra.kinds or []):
        raise RegistryError(
            _("The arrangement does not cover this kind of authorisation."), field="kind"
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
    today = today or installation_today()
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
    reason: str = "",
) -> MutualRecognition:
    """Record or change the arrangement with a partner administration (audited with the reason
    the administrator gives)."""
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
        reason=reason,
    )
    return mra
