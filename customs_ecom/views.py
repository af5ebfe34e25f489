"""Pages that compose every app: home, the KPI dashboard, the login with brute-force protection."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.models import Declaration

from .roles import CAN_VIEW_CONSIGNMENTS, CAN_VIEW_DASHBOARD, has_any_role

CHANNEL_COLOURS = {
    "green": "#2e7d32",
    "blue": "#1565c0",
    "yellow": "#f9a825",
    "red": "#c62828",
    None: "#9e9e9e",
}


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if has_any_role(request.user, CAN_VIEW_CONSIGNMENTS):
        return redirect("declarations:queue")
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not has_any_role(request.user, CAN_VIEW_DASHBOARD):
        raise PermissionDenied
    try:
        days = max(1, min(366, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    since = timezone.now() - timedelta(days=days)
    base = Declaration.objects.filter(received_at__gte=since)
    per_day = list(
        base.annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    mix = {row["channel"]: row["n"] for row in base.values("channel").annotate(n=Count("id"))}
    channel_rows = [
        {
            "channel": c,
            "label": _(c.capitalize()) if c else _("Pending"),
            "n": mix.get(c, 0),
            "colour": CHANNEL_COLOURS[c],
        }
        for c in ("green", "blue", "yellow", "red", None)
    ]
    total = sum(r["n"] for r in channel_rows)
    for row in channel_rows:
        row["share"] = (100.0 * row["n"] / total) if total else 0.0
    chart = {
        "days": [r["day"].isoformat() for r in per_day],
        "volume": [r["n"] for r in per_day],
        "channels": [r["label"] for r in channel_rows],
        "mix": [r["n"] for r in channel_rows],
        "colours": [r["colour"] for r in channel_rows],
    }
    return render(
        request,
        "customs_ecom/dashboard.html",
        {
            "days": days,
            "per_day": per_day,
            "channel_rows": channel_rows,
            "total": total,
            "chart_json": json.dumps(chart),
        },
    )


class ThrottledLoginView(auth_views.LoginView):
    """Django's login, refusing further attempts for a while after repeated failures for the same
    username or from the same address (brute-force protection)."""

    template_name = "registration/login.html"

    def _keys(self) -> list[str]:
        username = (self.request.POST.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "")
        return [f"login-fail:user:{username}", f"login-fail:addr:{address}"]

    def post(self, request, *args, **kwargs):
        if any((cache.get(k) or 0) >= settings.LOGIN_MAX_FAILURES for k in self._keys()):
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in self._keys():
            cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(f"login-fail:user:{(form.get_user().username or '').lower()}")
        return super().form_valid(form)
