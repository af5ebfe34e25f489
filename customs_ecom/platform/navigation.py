"""Where a page form returns after a POST: the page it came from (its ``next`` field) when that is
an address of this site, else a default. One check for every form that carries ``next``."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, default: str) -> str:
    """The form's ``next`` address if it is a path on this host (no ``//evil``, ``/\\evil`` or
    scheme), else ``default``. Only an absolute path: ``redirect`` would read a bare word such as
    ``abc`` as the name of a route (a 500 when there is none), and a control character cannot go
    into the Location header."""
    target = request.POST.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
