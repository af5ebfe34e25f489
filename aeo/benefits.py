"""AEO benefits as the other modules read them, the moment an authorisation's status changes.

Nothing here is cached beyond the call: risk, revenue and intake ask on every assessment, so a
suspension, revocation or expiry applies to the very next consignment. What each authorisation kind
gives is data (`BenefitPolicy`), edited by administrators with an audit trail.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from customs_ecom.platform.officer_tz import installation_day_start, installation_today

from .models import AEOAuthorisation, BenefitPolicy, MutualRecognition, Operator


@dataclass(frozen=True)
class Benefits:
    """What an operator's standing gives it. Non-AEO operators get the neutral values."""

    is_aeo: bool = False
    risk_score_factor: Decimal = Decimal("1")
    random_rate_factor: Decimal = Decimal("1")
    deferred_payment: bool = False
    max_batch: int = 1000


# What each kind gives when no policy row has been configured yet (the shipped defaults):
# simplifications bring deferred payment and large batches, security and safety fewer controls.
DEFAULT_POLICIES: dict[str, dict[str, object]] = {
    AEOAuthorisation.Kind.CUSTOMS_SIMPLIFICATIONS: {
        "risk_score_factor": Decimal("0.7"),
        "random_rate_factor": Decimal("0.5"),
        "deferred_payment": True,
        "max_batch": 5000,
    },
    AEOAuthorisation.Kind.SECURITY_SAFETY: {
        "risk_score_factor": Decimal("0.5"),
        "random_rate_factor": Decimal("0.2"),
        "deferred_payment": False,
        "max_batch": 1000,
    },
    AEOAuthorisation.Kind.FULL: {
        "risk_score_factor": Decimal("0.5"),
        "random_rate_factor": Decimal("0.2"),
        "deferred_payment": True,
        "max_batch": 5000,
    },
}


def ensure_benefit_policies() -> None:
    """One policy row per kind, from the shipped defaults (idempotent; runs after migrate)."""
    existing = set(BenefitPolicy.objects.values_list("kind", flat=True))
    BenefitPolicy.objects.bulk_create(
        [
            BenefitPolicy(kind=kind, **values)
            for kind, values in DEFAULT_POLICIES.items()
            if kind not in existing
        ],
        ignore_conflicts=True,
    )


def effective_authorisations(operator_ids: Iterable[int] | None, today: date | None = None):
    """Authorisations in force today: authorised, within their validity dates, and, when
    recognised from a partner administration, covered by an arrangement in force for that kind.
    ``operator_ids`` None: those of every operator."""
    today = today or installation_today()
    rows_qs = AEOAuthorisation.objects.filter(status=AEOAuthorisation.Status.AUTHORISED)
    if operator_ids is not None:
        rows_qs = rows_qs.filter(operator_id__in=list(operator_ids))
    rows = list(
        rows_qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values("operator_id", "kind", "recognised_from")
    )
    partners = {r["recognised_from"] for r in rows if r["recognised_from"]}
    in_force: dict[str, list[str]] = {}
    if partners:
        for mra in MutualRecognition.objects.filter(
            partner_country__in=partners, valid_from__lte=today
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)):
            in_force[mra.partner_country] = list(mra.kinds or [])
    return _recognised(rows, in_force)


def _recognised(rows: list[dict], in_force: dict[str, list[str]]) -> list[dict]:
    return [
        r
        for r in rows
        if not r["recognised_from"] or r["kind"] in in_force.get(r["recognised_from"], ())
    ]


AUTHORISATION_HISTORY_FIELDS = ("status", "kind", "valid_from", "valid_to", "recognised_from")
ARRANGEMENT_HISTORY_FIELDS = ("kinds", "valid_from", "valid_to")


def _changes(object_type: str, ids: Iterable[str], since: datetime) -> dict[str, list]:
    """Every audited change of these registry rows (by audited object id) at or after ``since``,
    oldest first: per row, the instants and the rows before each change."""
    from customs_ecom.platform.models import AuditEvent

    changes: dict[str, list] = {}
    for object_id, at, before in (
        AuditEvent.objects.filter(object_type=object_type, at__gte=since, object_id__in=list(ids))
        .order_by("at", "id")
        .values_list("object_id", "at", "before")
    ):
        ats, befores = changes.setdefault(object_id, ([], []))
        ats.append(at)
        befores.append(before)
    return changes


def _as_of(
    rows: dict[str, dict], changes: dict[str, list], fields: tuple[str, ...], end: datetime
) -> dict[str, dict]:
    """Rows of the registry (by audited object id) as they stood just before ``end``: every change
    of an authorisation or an arrangement is audited with the row before and after it, so the row
    before its first change at or after ``end`` is the one in force then; a row with no change
    since stands as it is, and one created since (no row before) did not exist yet."""
    stood: dict[str, dict] = {}
    for object_id, row in rows.items():
        ats, befores = changes.get(object_id, ((), ()))
        first = bisect_left(ats, end)
        if first == len(ats):
            stood[object_id] = row
        elif befores[first]:  # None: created since
            before = befores[first]
            stood[object_id] = {**row, **{k: before[k] for k in fields if k in before}}
    return stood


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else value or None


def _in_force_on(row: dict, day: date) -> bool:
    start, stop = _day(row["valid_from"]), _day(row["valid_to"])
    return (start is None or start <= day) and (stop is None or stop >= day)


def aeo_operator_ids_on(day: date) -> set[int]:
    """The operators that were AEO on ``day``, as they stood at the end of that day (in the
    installation's time zone; now, for today): the authorisations and arrangements as they were
    then, read back from their audited changes, not as they are now. An operator suspended or
    revoked since stays AEO on the days it was one, and one granted since (even with a validity
    that starts earlier) was not AEO on the days before its grant: past days keep their figures
    whenever they are recomputed."""
    return aeo_operator_ids_by_day(day, day)[day]


def aeo_operator_ids_by_day(first: date, last: date) -> dict[date, set[int]]:
    """`aeo_operator_ids_on` for every day from ``first`` to ``last`` inclusive, reading the
    registry and its audited changes once for the whole period (a list over months of days asks
    a few queries, not a few per day)."""

    def end_of(day: date) -> datetime:
        return installation_day_start(day + timedelta(days=1))

    authorisations = {
        str(row["id"]): row
        for row in AEOAuthorisation.objects.filter(created_at__lt=end_of(last)).values(
            "id", "operator_id", "created_at", *AUTHORISATION_HISTORY_FIELDS
        )
    }
    authorisation_changes = _changes("aeo_authorisation", authorisations, end_of(first))
    arrangements = {
        row["partner_country"]: row
        for row in MutualRecognition.objects.values("partner_country", *ARRANGEMENT_HISTORY_FIELDS)
    }
    arrangement_changes = (
        _changes("mutual_recognition", arrangements, end_of(first)) if arrangements else {}
    )
    by_day: dict[date, set[int]] = {}
    day = first
    while day <= last:
        end = end_of(day)
        existing = {k: row for k, row in authorisations.items() if row["created_at"] < end}
        rows = [
            row
            for row in _as_of(
                existing, authorisation_changes, AUTHORISATION_HISTORY_FIELDS, end
            ).values()
            if row["status"] == AEOAuthorisation.Status.AUTHORISED and _in_force_on(row, day)
        ]
        partners = {row["recognised_from"] for row in rows if row["recognised_from"]}
        in_force: dict[str, list[str]] = {}
        if partners:
            for country, row in _as_of(
                {c: r for c, r in arrangements.items() if c in partners},
                arrangement_changes,
                ARRANGEMENT_HISTORY_FIELDS,
                end,
            ).items():
                if _in_force_on(row, day):
                    in_force[country] = list(row["kinds"] or [])
        by_day[day] = {row["operator_id"] for row in _recognised(rows, in_force)}
        day += timedelta(days=1)
    return by_day


def aeo_operator_ids(
    operator_ids: Iterable[int] | None = None, today: date | None = None
) -> set[int]:
    """The operators that are AEO on ``today`` (today by default): the ones whose benefits apply,
    so that the registry, the lists and the indicators call AEO exactly the operators risk and
    revenue treat as such (not a granted authorisation that has not started, has ended, or was
    recognised under an arrangement no longer in force)."""
    return {row["operator_id"] for row in effective_authorisations(operator_ids, today)}


def _combine(kinds: set[str], policies: dict[str, BenefitPolicy]) -> Benefits:
    """An operator holding several authorisations gets the most favourable value of each benefit."""
    values = []
    for kind in kinds:
        policy = policies.get(kind)
        if policy is None:
            values.append(DEFAULT_POLICIES[kind])
        else:
            values.append(
                {
                    "risk_score_factor": policy.risk_score_factor,
                    "random_rate_factor": policy.random_rate_factor,
                    "deferred_payment": policy.deferred_payment,
                    "max_batch": policy.max_batch,
                }
            )
    return Benefits(
        is_aeo=True,
        risk_score_factor=min(Decimal(v["risk_score_factor"]) for v in values),
        random_rate_factor=min(Decimal(v["random_rate_factor"]) for v in values),
        deferred_payment=any(bool(v["deferred_payment"]) for v in values),
        max_batch=max(int(v["max_batch"]) for v in values),
    )


def benefits_for_operators(
    operator_ids: Iterable[int], today: date | None = None
) -> dict[int, Benefits]:
    """Benefits of many operators with a fixed number of queries (risk assesses whole batches),
    on ``today`` (the installation's today by default)."""
    ids = {int(i) for i in operator_ids}
    neutral = Benefits(max_batch=settings.INTAKE_MAX_BATCH)
    if not ids:
        return {}
    kinds: dict[int, set[str]] = {}
    for row in effective_authorisations(ids, today):
        kinds.setdefault(row["operator_id"], set()).add(row["kind"])
    if not kinds:
        return dict.fromkeys(ids, neutral)
    policies = {
        p.kind: p
        for p in BenefitPolicy.objects.filter(kind__in={k for ks in kinds.values() for k in ks})
    }
    return {i: _combine(kinds[i], policies) if i in kinds else neutral for i in ids}


def operator_benefits(operator: Operator, today: date | None = None) -> Benefits:
    """The benefits an operator has right now (read on every assessment, never cached)."""
    return benefits_for_operators([operator.pk], today)[operator.pk]


@dataclass(frozen=True)
class Standing:
    """An operator's AEO status as told to it, with the benefits it has, read together on one
    day: ``status`` is ``authorised`` exactly when ``benefits.is_aeo``, never one without the
    other."""

    status: str
    benefits: Benefits


def aeo_standing(operator: Operator, today: date | None = None) -> Standing:
    """The operator's AEO status and benefits on ``today`` (the installation's today by default),
    from the same authorisations in force that risk and revenue read (``effective_authorisations``).

    ``authorised`` when an authorisation gives benefits that day; otherwise the status of the
    authorisation changed last (``none`` without any), and for one still ``authorised`` in the
    registry but giving nothing that day, why: ``expired`` (its validity ended before that day,
    as the nightly expiry will record it), ``not_yet_valid`` (it starts after that day) or
    ``not_recognised`` (recognised from a partner whose arrangement does not cover it that day)."""
    today = today or installation_today()
    benefits = operator_benefits(operator, today)
    if benefits.is_aeo:
        return Standing(AEOAuthorisation.Status.AUTHORISED, benefits)
    latest = operator.authorisations.order_by("-status_changed_at", "-id").first()
    if latest is None:
        return Standing("none", benefits)
    if latest.status != AEOAuthorisation.Status.AUTHORISED:
        return Standing(latest.status, benefits)
    if latest.valid_to is not None and latest.valid_to < today:
        return Standing(AEOAuthorisation.Status.EXPIRED, benefits)
    if latest.valid_from is not None and latest.valid_from > today:
        return Standing("not_yet_valid", benefits)
    return Standing("not_recognised", benefits)
