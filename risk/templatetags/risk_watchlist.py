"""Template tags of the risk pages shown inside other apps' pages (the consignment's hits)."""

from __future__ import annotations

from typing import Any

from django import template

from ..services.outcomes import latest_outcome_id
from ..services.watchlists import watchlist_clearance_of

register = template.Library()


@register.simple_tag
def watchlist_clearance(hit: Any) -> Any:
    """The clearance proposed or confirmed for a watchlist hit's match, or None."""
    data = getattr(hit, "data", None) or {}
    return watchlist_clearance_of(data.get("entry_id"), str(data.get("party_key", "")))


@register.simple_tag
def outcome_seen(declaration: Any) -> int:
    """The newest inspection outcome of the consignment the page shows (0: none), sent back by
    the outcome form so that the same form sent twice records one outcome."""
    return latest_outcome_id(declaration.pk)
