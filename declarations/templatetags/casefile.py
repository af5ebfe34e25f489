"""Parts of the case file, included from the consignment page: the documents checklist with its
inline viewer, and the timeline in sentences."""

from __future__ import annotations

from django import template

from .. import casefile, selectors

register = template.Library()


@register.inclusion_tag("declarations/_case_documents.html")
def case_documents(declaration):
    documents = selectors.declaration_documents(declaration=declaration)
    return {
        "d": declaration,
        "enabled": documents is not None,
        "checklist": casefile.document_checklist(declaration=declaration, documents=documents),
        "inline_types": ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"),
    }


@register.inclusion_tag("declarations/_case_timeline.html")
def case_timeline(declaration):
    return {"d": declaration, "timeline": casefile.readable_timeline(declaration=declaration)}
