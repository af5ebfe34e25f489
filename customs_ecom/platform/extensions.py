"""Extension points: how a lower layer uses what a higher one provides without importing it.

An app registers a provider for a named point at start-up (`AppConfig.ready()`); the lower layer
asks the registry for it. `declarations` shows a consignment's risk and taxes this way, the
problem documents read their details in the request's language, and pages refresh the KPIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROVIDERS: dict[str, Callable[..., Any]] = {}


def provide(point: str, provider: Callable[..., Any]) -> None:
    """Register (or replace) the provider of an extension point."""
    _PROVIDERS[point] = provider


def call(point: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """Call the point's provider, or return `default` when no installed app provides it."""
    provider = _PROVIDERS.get(point)
    return default if provider is None else provider(*args, **kwargs)


def provided(point: str) -> bool:
    return point in _PROVIDERS
