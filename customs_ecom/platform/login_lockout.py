"""Login lockout for people (officer pages and /admin/), by django-axes: after LOGIN_MAX_FAILURES
failures for one account from one address, that account is locked from that address for
LOGIN_LOCKOUT_SECONDS. Other accounts behind the same address (a customs office's NAT) and the
same account elsewhere are not affected. Attempts are kept in the database (Admin > Axes)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .edges import client_address


def client_ip(request: HttpRequest) -> str:
    """The address axes counts against: X-Forwarded-For only behind TRUSTED_PROXIES."""
    return client_address(request)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The login page again, with the reason, answered 429."""
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    # An unbound form carrying the reason as its one error, shown above the fields.
    form._errors = ErrorDict(
        {NON_FIELD_ERRORS: form.error_class([_("Too many failed attempts. Try again later.")])}
    )
    template = (
        "admin/login.html" if request.path.startswith("/admin/") else "registration/login.html"
    )
    return render(request, template, {"form": form}, status=429)
