"""Pages that compose every app: home, the KPI dashboard, the login with brute-force protection."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aeo.models import Operator
from declarations.generated_text import word

from .dashboard import build
from .dashboard_standards import STANDARDS
from .kpis import kpi_today, refresh_without_beat
from .platform import spreadsheet
from .platform.fields import CalendarDateField
from .platform.roles import CAN_VIEW_CONSIGNMENTS, CAN_VIEW_DASHBOARD, has_any_role


class DashboardFilterForm(forms.Form):
    start = CalendarDateField(
        required=False,
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = CalendarDateField(
        required=False,
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.only("id", "name", "code").order_by("name"),
        required=False,
        empty_label=gettext_lazy("All operators"),
        label=gettext_lazy("Operator"),
    )

    def period(self) -> tuple[date, date, int | None]:
        """The validated period (default: the last 30 days, at most 3 years) and operator. Days
        are the installation's days, as the aggregates count them (customs_ecom.kpis)."""
        today = kpi_today()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            start, end = end, start
        start = max(start, end - timedelta(days=3 * 366))
        operator = data.get("operator")
        return start, end, operator.pk if operator else None


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if has_any_role(request.user, CAN_VIEW_CONSIGNMENTS):
        return redirect("declarations:queue")
    return redirect("dashboard")


def _dashboard_data(request: HttpRequest) -> tuple[DashboardFilterForm, dict]:
    if not has_any_role(request.user, CAN_VIEW_DASHBOARD):
        raise PermissionDenied
    refresh_without_beat()
    form = DashboardFilterForm(request.GET or None)
    start, end, operator_id = form.period()
    data = build(start=start, end=end, operator_id=operator_id)
    data.update(
        start=start,
        end=end,
        operator_id=operator_id,
        days_zone=timezone.get_default_timezone_name(),
    )
    return form, data


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, data = _dashboard_data(request)
    query = urlencode(
        {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        | ({"operator": data["operator_id"]} if data["operator_id"] else {})
    )
    return render(
        request,
        "customs_ecom/dashboard.html",
        {
            **data,
            "form": form,
            "query": query,
            "chart_json": json.dumps(data["charts"]),
            # KPI tiles and chart bars link to the consignments behind them (issue 16)
            "start_iso": data["start"].isoformat(),
            "end_iso": data["end"].isoformat(),
            "operator_param": f"&operator={data['operator_id']}" if data["operator_id"] else "",
        },
    )


@login_required
def dashboard_export(request: HttpRequest, slug: str) -> HttpResponse:
    """One dashboard table as CSV, for the same period and filters. A filter the page would flag
    (an unknown operator, a day that is not a date) is refused with the reasons, as plain text:
    a download has no page to show them on, and figures of the whole administration or of
    another period must never pass for the ones asked for."""
    form, data = _dashboard_data(request)
    if form.is_bound and not form.is_valid():
        return spreadsheet.filters_refused(form)
    table = next((t for t in data["tables"] if t.slug == slug), None)
    if table is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{slug}_{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = spreadsheet.Writer(response)
    writer.writerow([str(h) for h in table.headers])
    for first, *rest in table.rows:
        # The first column reads as on the page (a collection model, a data-quality finding as
        # words, in the reader's language); a day stays an ISO date, figures stay numbers.
        label = first.isoformat() if isinstance(first, date) else word(first)
        writer.writerow([label, *("" if v is None else str(v) for v in rest)])
    return response


@login_required
def framework(request: HttpRequest) -> HttpResponse:
    """Self-assessment against the 16 standards, with live KPIs over the chosen period."""
    form, data = _dashboard_data(request)
    summary = data["summary"]
    standards = [
        {
            "number": number,
            "title": title,
            "capability": capability,
            "kpis": [
                {"label": label, "value": summary.get(key), "unit": unit}
                for key, label, unit in kpis
            ],
        }
        for number, title, capability, kpis in STANDARDS
    ]
    return render(
        request,
        "customs_ecom/framework.html",
        {**data, "form": form, "standards": standards},
    )


class ThrottledLoginView(auth_views.LoginView):
    """Django's login. Brute-force protection is django-axes (customs_ecom.platform.login_lockout): an
    account is locked from an address after repeated failures there, for the admin login too."""

    template_name = "registration/login.html"
