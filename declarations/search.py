"""The officer's search box: one text, every key an officer may hold in hand.

An LRN, a waybill or S10 barcode (a scanner types it and presses Enter), a tax-scheme number, a
consignee's or seller's name, an operator. Exact keys are looked up first, each on an index of its
normalised form; names only when no key matched, by the words of the name (trigram indexes on
PostgreSQL). Every lookup is bounded (LIMIT), so a search
costs a few index probes whatever the size of the table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Upper

from aeo.models import Operator

from .models import Declaration
from .normalise import document_key

MAX_RESULTS = 100
# Shorter name fragments match too much to be useful and defeat the trigram index.
MIN_NAME_LENGTH = 3
_words = re.compile(r"[\s,;/\-]+")

LIST_COLUMNS = (
    "id",
    "lrn",
    "status",
    "revision",
    "channel",
    "risk_score",
    "received_at",
    "total_value",
    "currency",
    "country_of_dispatch",
    "transport_document_number",
    "consignee_name",
    "seller_name",
    "tax_scheme_number",
    "claimed_by_id",
    # A lapsed claim is shown as such (Declaration.claim_lapsed).
    "claimed_at",
    "operator_id",
    "operator__name",
)


@dataclass
class SearchResult:
    query: str
    matched_by: str = ""  # which key found the consignments: lrn, document, tax_scheme, name
    declarations: list[Declaration] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)
    truncated: bool = False

    @property
    def single(self) -> Declaration | None:
        """The consignment to open directly: exactly one match and no operator."""
        if len(self.declarations) == 1 and not self.operators and not self.truncated:
            return self.declarations[0]
        return None


def compact_key(text: str) -> str:
    """A barcode or document number as a scanner or a person may type it: spaces and dashes
    dropped, upper case ('rr 123 456 785 de' -> 'RR123456785DE')."""
    return document_key(text)


def _rows(qs: QuerySet[Declaration], *, by_index: bool = False) -> list[Declaration]:
    """The newest matches. ``by_index``: sort on an expression, so that PostgreSQL finds the
    matches through the name indexes and sorts them, instead of walking the received_at index
    backwards and testing every row against the name (what it would choose for a LIMIT)."""
    qs = qs.select_related("operator").only(*LIST_COLUMNS)
    if by_index:
        qs = qs.annotate(
            newest=ExpressionWrapper(F("received_at") + timedelta(0), output_field=DateTimeField())
        ).order_by("-newest", "-id")
    else:
        qs = qs.order_by("-received_at", "-id")
    return list(qs[: MAX_RESULTS + 1])


def _exact(query: str) -> tuple[str, list[Declaration]]:
    stripped = query.strip()
    compact = compact_key(stripped)
    upper = stripped.upper()
    base = Declaration.objects.all()
    found = _rows(base.annotate(lrn_upper=Upper("lrn")).filter(lrn_upper__in={upper, compact}))
    if found:
        return "lrn", found
    found = _rows(base.filter(transport_document_key=compact))
    if found:
        return "document", found
    found = _rows(base.filter(tax_scheme_number__in={upper, compact} - {""}))
    if found:
        return "tax_scheme", found
    return "", []


def _by_name(query: str) -> list[Declaration]:
    """Every word of the query in the consignee's name, or every word in the seller's: word order
    and case do not matter ('PICARD jean' finds 'Jean-Luc Picard'). On PostgreSQL each word is an
    ILIKE answered by the trigram index of the name (words of three characters or more)."""
    words = [w for w in _words.split(query.strip()) if len(w) >= MIN_NAME_LENGTH][:6]
    if not words:
        return []
    consignee, seller = Q(), Q()
    for word in words:
        consignee &= Q(consignee_name__icontains=word)
        seller &= Q(seller_name__icontains=word)
    return _rows(Declaration.objects.filter(consignee | seller), by_index=True)


def _operators(query: str) -> list[Operator]:
    stripped = query.strip()
    return list(
        Operator.objects.filter(
            Q(code__iexact=stripped) | Q(name__icontains=stripped) | Q(eori__iexact=stripped)
        ).order_by("name")[:20]
    )


def search_consignments(query: str) -> SearchResult:
    """Consignments (and operators) matching the search box's text, newest first."""
    query = (query or "").strip()[:200]
    result = SearchResult(query=query)
    if not query:
        return result
    matched_by, rows = _exact(query)
    if not rows and len(query) >= MIN_NAME_LENGTH:
        rows = _by_name(query)
        matched_by = "name" if rows else ""
        result.operators = _operators(query)
    result.matched_by = matched_by
    result.truncated = len(rows) > MAX_RESULTS
    result.declarations = rows[:MAX_RESULTS]
    return result
