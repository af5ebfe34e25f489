"""Template filters that show generated text (rule explanations, data-quality findings,
revenue legal reasons) in the reader's language: ``{% load generated_text %}``."""

from django import template

from declarations import generated_text

register = template.Library()


@register.filter
def hit_text(hit):
    """``{{ h|hit_text }}``: a risk hit's explanation."""
    return generated_text.hit_text(hit)


@register.filter
def finding_text(finding):
    """``{{ f|finding_text }}``: a data-quality finding's detail."""
    return generated_text.finding_text(finding)


@register.filter
def legal_reason(text):
    """``{{ line.legal_reason|legal_reason }}``: a revenue legal reason or explanation line."""
    return generated_text.legal_reason(text)


@register.filter
def word(code):
    """``{{ line.payer|word }}``: a stable code (channel, payer, tax type...) as a word."""
    return generated_text.word(code)


@register.filter
def in_language(value, fallback=None):
    """``{{ message|in_language }}``, ``{{ job.message_data|in_language:job.message }}``: a
    message of an import in the reader's language; text stored before messages, as stored."""
    return generated_text.in_language(value, fallback)


@register.filter
def problem_detail(detail, code):
    """``{{ e.detail|problem_detail:e.code }}``: a validation problem in the reader's language."""
    return generated_text.problem_detail(code, detail)


@register.filter
def rule_description(rule):
    """``{{ rule|rule_description }}``: a risk rule's description in the reader's language."""
    return generated_text.rule_description(rule)


@register.filter
def rule_title(code):
    """``{{ h.rule_code|rule_title }}``: a risk rule's title in the reader's language, the code
    itself when the risk app gives no title for it."""
    return generated_text.rule_title(code)


@register.filter
def ledger_reference(text, kind=None):
    """``{{ e.reference|ledger_reference:e.kind }}``: a ledger entry's reference, the ones the
    system writes (on entries of that kind) in the reader's language, anyone else's as written."""
    return generated_text.ledger_reference(text, kind)


@register.filter
def tax_name(name):
    """``{{ spec.tax_name|tax_name }}``: a regime's consumption tax by its name ("TVA", "TPS")."""
    return generated_text.tax_name(name)


@register.filter
def tax_of_reason(text):
    """``{{ l.legal_reason|tax_of_reason }}``: the tax a VAT-type line's reason names (TVA, TPS,
    TVH)."""
    return generated_text.tax_of_reason(text)


@register.filter
def regime_name(name):
    """``{{ regime.spec.name|regime_name }}``: a revenue regime's name in the reader's language."""
    return generated_text.regime_name(name)
