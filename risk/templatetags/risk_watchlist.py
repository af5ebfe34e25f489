"""Template tags of the risk pages shown inside other apps' pages (the consignment's hits)."""

from __future__ import annotations

from typing import Any

from django import template

from ..services.watchlists import watchlist_clearance_of

register = template.Library()


@register.simple_tag
def watchlist_clearance(hit: Any) -> Any:
    """The clearance proposed or confirmed for a watchlist hit's match, or None."""
    data = getattr(hit, "data", None) or {}
    return watchlist_clearance_of(data.get("entry_id"), str(data.get("party_key", "")))
