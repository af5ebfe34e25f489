"""The global audit log: every officer action, rule change and configuration change, filtered by
who, what, object and period, newest first in keyset pages, exported as CSV with the same filters.
Read by auditors, supervisors and administrators."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aeo.models import Operator
from customs_ecom.platform import spreadsheet
from customs_ecom.platform.audit import operator_labels
from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.officer_tz import installation_day_start

from .platform.fields import CalendarDateField
from .platform.roles import ADMINISTRATOR, AUDITOR, SUPERVISOR, has_any_role
from .platform.templatetags.human import audit_actor, audit_reason

AUDIT_READERS = {AUDITOR, SUPERVISOR, ADMINISTRATOR}
PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
FILTER_FIELDS = ("who", "what", "object_type", "object_id", "start", "end")


class AuditFilterForm(forms.Form):
    who = forms.CharField(required=False, max_length=150, label=gettext_lazy("Who"))
    what = forms.CharField(
        required=False,
        max_length=60,
        label=gettext_lazy("What (action)"),
        help_text=gettext_lazy(
            "e.g. declaration.claim, or declaration. for every action on consignments"
        ),
    )
    object_type = forms.CharField(required=False, max_length=60, label=gettext_lazy("Object type"))
    object_id = forms.CharField(required=False, max_length=64, label=gettext_lazy("Object id"))
    start = CalendarDateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = CalendarDateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data


def _filtered(data: dict) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if data.get("who"):
        who = data["who"].strip()
        # A customs user's actions by the name they have now as well as the one they were
        # recorded under (a user renamed on the admin pages keeps their earlier actions).
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(username__iexact=who).values_list("pk", flat=True)
        labels = Q(actor_label__iexact=who) | Q(actor_id__in=list(users[:20]))
        # An operator's own actions are found by its code or its name as well as by their label,
        # under every code it has had (a code changed in the registry is audited with its old one).
        operators = list(
            Operator.objects.filter(Q(code__iexact=who) | Q(name__iexact=who)).values_list(
                "pk", "code"
            )[:20]
        )
        codes = {code for _pk, code in operators}
        if operators:
            codes |= set(
                AuditEvent.objects.filter(
                    action="operator.update",
                    object_type="operator",
                    object_id__in=[str(pk) for pk, _code in operators],
                    before__code__isnull=False,
                ).values_list("before__code", flat=True)
            )
        for code in codes:
            if isinstance(code, str) and code:
                for label in operator_labels(code):
                    labels |= Q(actor_label__iexact=label)
        qs = qs.filter(labels)
    if data.get("what"):
        what = data["what"].strip()
        qs = qs.filter(action__startswith=what) if what.endswith(".") else qs.filter(action=what)
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"].strip())
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"].strip())
    # Days of the installation's time zone, as the dashboard and the consignment lists read them:
    # the officer's browser zone changes how times are shown, never which entries a day holds.
    if data.get("start"):
        qs = qs.filter(at__gte=installation_day_start(data["start"]))
    if data.get("end"):
        qs = qs.filter(at__lt=installation_day_start(data["end"] + timedelta(days=1)))
    return qs.order_by("-at", "-id")


def _form(request: HttpRequest) -> tuple[AuditFilterForm, dict]:
    if not has_any_role(request.user, AUDIT_READERS):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if request.GET and form.is_valid() else {}
    return form, data


# Values that hold a user's id: shown with the user's name (the CSV keeps the stored id).
USER_KEYS = ("claimed_by",)


def _user_names(rows: list[AuditEvent]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    ids = {
        value[key]
        for row in rows
        for value in (row.before, row.after)
        if isinstance(value, dict)
        for key in USER_KEYS
        if isinstance(value.get(key), int)
    }
    if not ids:
        return {}
    model = get_user_model()
    return dict(model.objects.filter(pk__in=ids).values_list("pk", model.USERNAME_FIELD))


def _summary(value, names: dict[int, str]) -> str:
    from .platform.templatetags.human import readable

    if value in (None, "", {}, []):
        return ""
    if isinstance(value, dict):
        value = {
            key: names.get(item, item) if key in USER_KEYS else item for key, item in value.items()
        }
    return readable(value)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form, data = _form(request)
    qs = _filtered(data)
    after = request.GET.get("after", "")
    if after:
        try:
            at, pk = after.rsplit("_", 1)
            moment = parse_datetime(at.replace(" ", "+"))
            if moment is not None:
                qs = qs.filter(Q(at__lt=moment) | Q(at=moment, pk__lt=int(pk)))
        except ValueError:
            pass
    rows = list(qs[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = urlencode([(k, request.GET[k]) for k in FILTER_FIELDS if request.GET.get(k)])
    next_query = None
    if more and rows:
        cursor = f"{rows[-1].at.isoformat()}_{rows[-1].pk}"
        next_query = urlencode({"after": cursor}) + (f"&{query}" if query else "")
    names = _user_names(rows)
    return render(
        request,
        "customs_ecom/audit_log.html",
        {
            "form": form,
            "rows": [(r, _summary(r.before, names), _summary(r.after, names)) for r in rows],
            "query": query,
            "next_query": next_query,
            "filtered": bool(data),
            "days_zone": timezone.get_default_timezone_name(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_log_csv(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV. A filter the page would flag (a day that is not a date, ...) is
    refused with the reasons, as plain text, as the dashboard's exports are: the whole log must
    never pass for the extract asked for."""
    form, data = _form(request)
    if form.is_bound and not form.is_valid():
        return spreadsheet.filters_refused(form)
    writer = spreadsheet.Writer(_Echo())
    header = ["at", "who", "action", "object_type", "object_id", "before", "after", "reason"]

    # The actors and reasons the system writes read as on the page, in the reader's language (a
    # reason someone typed stays as typed); the action and object type stay the filters' codes.
    language = translation.get_language()

    def rows():
        yield writer.writerow(header)
        with translation.override(language):
            for e in _filtered(data)[:EXPORT_LIMIT].iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        e.at.isoformat(timespec="seconds"),
                        audit_actor(e.actor_label),
                        e.action,
                        e.object_type,
                        e.object_id,
                        _summary(e.before, {}),
                        _summary(e.after, {}),
                        audit_reason(e.reason),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
