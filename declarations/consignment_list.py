"""The "all consignments" list: every consignment, whatever its channel or status, narrowed by
facets and read newest first in pages of 50 by keyset (received_at, id) on the received_at index,
so page 1,000 costs what page 1 costs. The workload views are facets of this list too
(`work=mine|unassigned|waiting|received|overdue`), so every count links to its rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from aeo.benefits import aeo_operator_ids_by_day
from aeo.models import Operator
from customs_ecom.platform.extensions import call
from customs_ecom.platform.fields import CalendarDateField
from customs_ecom.platform.officer_tz import installation_day_start

from .generated_text import rule_choices
from .lifecycle import claim_free_q, claim_held_q
from .models import TRIAGE_CONDITION, Channel, Declaration, Document, Status, StatusEvent
from .search import LIST_COLUMNS

PAGE_SIZE = 50

WORK_CHOICES = [
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("waiting", _("Waiting on the operator")),
    ("received", _("Documents received")),
    ("overdue", _("Overdue")),
]
LIST_FILTER_FIELDS = (
    "work",
    "channel",
    "status",
    "operator",
    "origin",
    "rule",
    "received_from",
    "received_to",
    "value_min",
    "value_max",
    "aeo",
    "inspected",
)


class ConsignmentFilterForm(forms.Form):
    """Facets of the list; a bad value is reported beside its field and ignored, never a 500."""

    work = forms.ChoiceField(
        choices=[("", _("All"))] + WORK_CHOICES, required=False, label=_("Workload")
    )
    channel = forms.ChoiceField(
        choices=[("", _("All"))] + list(Channel.choices), required=False, label=_("Channel")
    )
    status = forms.ChoiceField(
        choices=[("", _("All"))] + list(Status.choices), required=False, label=_("Status")
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.only("id", "name", "code").order_by("name"),
        required=False,
        empty_label=_("All"),
        label=_("Operator"),
    )
    origin = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        label=_("Origin"),
        widget=forms.TextInput(attrs={"size": 3}),
        error_messages={"invalid": _("Two letters, e.g. CN.")},
    )
    rule = forms.ChoiceField(choices=[("", _("All"))], required=False, label=_("Rule hit"))
    received_from = CalendarDateField(
        required=False, label=_("Received from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = CalendarDateField(
        required=False, label=_("Received to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    value_min = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label=_("Value from (EUR)"),
        widget=forms.NumberInput(attrs={"step": "0.01", "size": 7}),
    )
    value_max = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label=_("Value to (EUR)"),
        widget=forms.NumberInput(attrs={"step": "0.01", "size": 7}),
    )
    aeo = forms.ChoiceField(
        choices=[("", _("All")), ("yes", _("AEO operators")), ("no", _("Other operators"))],
        required=False,
        label=_("AEO"),
        help_text=_("The operator's status on the day each consignment was received."),
    )
    inspected = forms.ChoiceField(
        choices=[
            ("", _("All")),
            ("yes", _("Inspected at some point")),
            ("no", _("Never inspected")),
        ],
        required=False,
        label=_("Inspection"),
    )

    def __init__(self, *args, rule_codes: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All"))] + rule_choices(rule_codes or [])

    def valid_filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data[k] for k in LIST_FILTER_FIELDS if data.get(k) not in (None, "")}


def aeo_on_received_day_q(first: date, last: date) -> Q:
    """Consignments received from ``first`` to ``last`` (days of the installation's time zone)
    whose operator was AEO on the day each was received (aeo.benefits.aeo_operator_ids_on), as
    the dashboard's AEO share counts them: one condition per run of days with the same
    operators."""
    match = Q(pk__in=[])
    by_day = aeo_operator_ids_by_day(first, last)
    run_start, run_ids = first, by_day[first]
    day = first
    while day <= last:
        following = day + timedelta(days=1)
        if following > last or by_day[following] != run_ids:
            if run_ids:
                match |= Q(
                    received_at__gte=installation_day_start(run_start),
                    received_at__lt=installation_day_start(following),
                    operator_id__in=sorted(run_ids),
                )
            if following <= last:
                run_start, run_ids = following, by_day[following]
        day = following
    return match


def _received_days(qs: QuerySet[Declaration]) -> tuple[date, date] | None:
    """The first and last installation days on which the consignments of ``qs`` were received."""
    span = qs.aggregate(first=Min("received_at"), last=Max("received_at"))
    if span["first"] is None:
        return None
    zone = timezone.get_default_timezone()
    return timezone.localdate(span["first"], zone), timezone.localdate(span["last"], zone)


def inspected_q() -> Q:
    """Selected for inspection at some point, whatever its status now: the declarations the
    dashboard's inspection rate counts (customs_ecom.kpis `inspected`)."""
    return Q(
        Exists(
            StatusEvent.objects.filter(
                declaration_id=OuterRef("pk"), to_status=str(Status.INSPECTION)
            )
        )
    )


def documents_received_q() -> Q:
    """Documents requested, and a document uploaded since the request (the upload does not change
    the status: the consignment waits for an officer again)."""
    return Q(status=Status.DOCUMENTS_REQUESTED) & Q(
        Exists(
            Document.objects.filter(
                declaration_id=OuterRef("pk"), uploaded_at__gte=OuterRef("updated_at")
            )
        )
    )


def overdue_q(targets: Mapping[str, int], now: datetime) -> Q:
    """Needing action for longer than its channel's target time (hours)."""
    match = Q(pk__in=[])
    for channel, hours in targets.items():
        match |= Q(channel=channel, enqueued_at__lt=now - timedelta(hours=hours))
    return match


def work_q(work: str, *, user: Any, targets: Mapping[str, int], now: datetime) -> Q:
    needs_action = TRIAGE_CONDITION
    # A lapsed claim is nobody's (lifecycle.claim_holder_id): not the officer's, free for anyone.
    if work == "mine":
        return needs_action & Q(claimed_by=user) & claim_held_q(now)
    if work == "unassigned":
        return needs_action & claim_free_q(now)
    if work == "waiting":
        return needs_action & Q(status=Status.DOCUMENTS_REQUESTED) & ~documents_received_q()
    if work == "received":
        return needs_action & documents_received_q()
    if work == "overdue":
        return needs_action & overdue_q(targets, now)
    return Q()


def filtered_consignments(
    *, filters: Mapping[str, Any], user: Any = None, targets: Mapping[str, int] | None = None
) -> QuerySet[Declaration]:
    qs = Declaration.objects.all()
    if filters.get("work"):
        qs = qs.filter(
            work_q(filters["work"], user=user, targets=targets or {}, now=timezone.now())
        )
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("operator"):
        qs = qs.filter(operator=filters["operator"])
    if filters.get("origin"):
        qs = qs.filter(country_of_dispatch=filters["origin"].upper())
    # Days of the installation's time zone, as the dashboard counts them (its days link here).
    if filters.get("received_from"):
        qs = qs.filter(received_at__gte=installation_day_start(filters["received_from"]))
    if filters.get("received_to"):
        last = filters["received_to"]
        # The last day the calendar has ends the range at no later day (9999-12-31 + 1 overflows).
        if last < date.max:
            qs = qs.filter(received_at__lt=installation_day_start(last + timedelta(days=1)))
    if filters.get("value_min") is not None:
        qs = qs.filter(total_value_eur__gte=filters["value_min"])
    if filters.get("value_max") is not None:
        qs = qs.filter(total_value_eur__lte=filters["value_max"])
    if filters.get("inspected") == "yes":
        qs = qs.filter(inspected_q())
    elif filters.get("inspected") == "no":
        qs = qs.filter(~inspected_q())
    if filters.get("aeo") in ("yes", "no"):
        # AEO on the day each consignment was received, as the dashboard's AEO share reads it
        # (its tile links here): over the period asked, or the days the consignments span.
        days = _received_days(qs)
        aeo = aeo_on_received_day_q(*days) if days else Q(pk__in=[])
        qs = qs.filter(aeo if filters["aeo"] == "yes" else ~aeo)
    if filters.get("rule"):
        # Risk provides the condition "this rule hit the consignment" (risk sits above).
        qs = qs.filter(call("risk.rule_hit_exists", filters["rule"], default=Value(False)))
    return (
        qs.select_related("operator", "claimed_by")
        .only(*LIST_COLUMNS, "claimed_by__username")
        .order_by("-received_at", "-id")
    )


def encode_cursor(row: Declaration) -> str:
    return f"{row.received_at.isoformat()}_{row.pk}"


def after_cursor(
    qs: QuerySet, cursor: str, field: str = "received_at", *, newest_first: bool = True
) -> QuerySet | None:
    """Rows after the keyset cursor (`<moment>_<id>` on `field`, then the id), or None when the
    cursor is not one this list issued. Lists run newest first unless `newest_first` is off."""
    try:
        moment_text, pk = cursor.rsplit("_", 1)
        moment = parse_datetime(moment_text.replace(" ", "+"))
        if moment is None:
            return None
        after = "lt" if newest_first else "gt"
        return qs.filter(
            Q(**{f"{field}__{after}": moment}) | Q(**{field: moment, f"pk__{after}": int(pk)})
        )
    except (ValueError, TypeError):
        return None


def page(qs: QuerySet[Declaration]) -> tuple[list[Declaration], str | None]:
    rows = list(qs[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)
