"""Auditors read every page and change nothing: any write by a user whose only customs role is
auditor is refused here (403), whatever the view, so a page that forgets a check cannot leak a
write. Logging out, choosing a language and saving one's own queue views change no customs data."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from .roles import AUDITOR, user_roles

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_read_only(user) -> bool:
    roles = user_roles(user)
    return AUDITOR in roles and roles <= {AUDITOR} and not getattr(user, "is_superuser", False)


class AuditorReadOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: tuple[str, ...] | None = None

    def _allowed(self, path: str) -> bool:
        if self._paths is None:
            self._paths = (
                reverse("logout"),
                reverse("set_language"),
                reverse("declarations:saved_view_create"),  # and .../<id>/delete/ below it
            )
        return path in self._paths[:2] or path.startswith(self._paths[2])

    def __call__(self, request):
        if (
            request.method not in SAFE_METHODS
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and is_read_only(request.user)
            and not self._allowed(request.path)
        ):
            raise PermissionDenied
        return self.get_response(request)
