"""Reference data the product needs after `migrate`: profiles as versioned rows, loaded once per process."""

from __future__ import annotations

import threading
import time

from django.db import transaction

from .models import Profile
from .profiles import DEFAULT_PROFILES, ProfileSpec

_cache_lock = threading.Lock()
_cache: dict[str, tuple[int, ProfileSpec]] = {}
_cache_loaded_at = 0.0
# Profiles change rarely; a process re-reads them at most this often.
PROFILE_CACHE_SECONDS = 30.0


def ensure_reference_profiles() -> None:
    """Create version 1 of each shipped profile if missing (idempotent; runs after migrate)."""
    with transaction.atomic():
        for data in DEFAULT_PROFILES:
            spec = ProfileSpec.from_dict(data)
            Profile.objects.get_or_create(
                code=spec.code,
                version=spec.version,
                defaults={"spec": spec.to_dict(), "is_active": True},
            )
    invalidate_profile_cache()


def invalidate_profile_cache() -> None:
    global _cache_loaded_at
    with _cache_lock:
        _cache.clear()
        _cache_loaded_at = 0.0


def active_profiles() -> dict[str, tuple[int, ProfileSpec]]:
    """code -> (Profile row id, spec) of the newest active version of each profile."""
    global _cache_loaded_at
    now = time.monotonic()
    with _cache_lock:
        if _cache and now - _cache_loaded_at < PROFILE_CACHE_SECONDS:
            return dict(_cache)
    fresh: dict[str, tuple[int, ProfileSpec]] = {}
    for row in Profile.objects.filter(is_active=True).order_by("code", "-version"):
        if row.code not in fresh:
            fresh[row.code] = (row.pk, ProfileSpec.from_dict(row.spec))
    with _cache_lock:
        _cache.clear()
        _cache.update(fresh)
        _cache_loaded_at = now
    return fresh
