"""Generated text in the reader's language: the Django side of ``declarations.messages``.

Engines store English text and, beside it, the message id and parameters it was built from
(``RiskHit.data["message"]``, ``QualityFinding.message``). Pages and API answers call these
functions at display time; they render in the active language (the officer's choice on pages,
``Accept-Language`` on the API, English by default), and fall back to the stored English text for
rows written before messages existed.

Legal reasons and explanations of revenue assessments are composed by the calculators in
English; they are translated here, at display time, phrase by phrase (``legal_reason``), so the
calculators stay pure and their English output stays the stored record.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_noop as N_

from declarations.messages import Message, render


def _localised_params(stored: dict) -> dict:
    """The message with its decimal parameters written as the reader writes numbers ("0,50" in
    French); English keeps them as stored."""
    params = stored.get("params")
    language = get_language() or "en"
    if not isinstance(params, dict) or language.startswith("en"):
        return stored
    from customs_ecom.platform.templatetags.human import decimal_text

    def shown(value: Any) -> Any:
        text = decimal_text(value) if isinstance(value, str) else None
        return value if text is None else text

    return {**stored, "params": {key: shown(value) for key, value in params.items()}}


# A span as findings stored it before its day unit was a message of its own ("7 d 4 h 51 min").
_STORED_SPAN = re.compile(r"(?P<days>\d+) d(?P<rest>(?: \d+ h)?(?: \d+ min)?)")


def _stored_span(value: Any) -> Any:
    """A parameter with a span stored as plain text written as the day's message, so an older
    finding reads "7 j 4 h 51 min" in French like a new one."""
    if isinstance(value, str):
        found = _STORED_SPAN.fullmatch(value)
        if found is None:
            return value
        words = found["rest"].split()
        day = {"msg": {"id": "%(count)s d", "params": {"count": int(found["days"])}}}
        rest = [f"{words[n]} {words[n + 1]}" for n in range(0, len(words), 2)]
        return {"seq": [day, *rest], "sep": " "}
    if isinstance(value, dict) and isinstance(value.get("msg"), dict):
        return {**value, "msg": _stored_spans(value["msg"])}
    if isinstance(value, dict) and isinstance(value.get("seq"), list):
        return {**value, "seq": [_stored_span(item) for item in value["seq"]]}
    return value


def _stored_spans(stored: dict) -> dict:
    params = stored.get("params")
    if not isinstance(params, dict):
        return stored
    return {**stored, "params": {key: _stored_span(value) for key, value in params.items()}}


def message_text(stored: Any, fallback: str) -> str:
    """The stored message rendered in the active language, else ``fallback`` (English)."""
    if isinstance(stored, dict) and stored.get("id"):
        return render(_localised_params(stored), gettext)
    return fallback


def in_language(value: Any, fallback: Any = None) -> str:
    """A message of an import or a file check (a ``Message``, or its stored JSON form) in the
    active language, its parameters (values quoted from the file) as they are. Anything else is
    text written before messages existed: ``fallback`` when given, else the value, as stored."""
    if isinstance(value, Message):
        return render(value, gettext)
    if isinstance(value, dict) and value.get("id"):
        return render(value, gettext)
    shown = value if fallback is None else fallback
    return "" if shown is None else str(shown)


def hit_text(hit: Any) -> str:
    """A risk hit's explanation in the active language."""
    data = getattr(hit, "data", None) or {}
    return message_text(data.get("message"), hit.explanation)


def finding_text(finding: Any) -> str:
    """A data-quality finding's detail in the active language."""
    stored = getattr(finding, "message", None)
    return message_text(
        _stored_spans(stored) if isinstance(stored, dict) else stored, finding.detail
    )


# --- rule descriptions --------------------------------------------------------------------------


def rule_description(rule: Any) -> str:
    """A rule's description (its docstring) in the active language: translated by rule code, so
    a reworded English docstring never loses its French; the English text when there is none."""
    translated = pgettext("rule description", rule.code)
    return rule.description if translated == rule.code else translated


def rule_title(code: Any) -> str:
    """A risk rule's title in the active language, by its code. Risk sits above declarations:
    the composing layer provides the titles (extension point ``risk.rule_title``); the code when
    none is provided."""
    from customs_ecom.platform.extensions import call

    text = "" if code is None else str(code)
    title = call("risk.rule_title", text, default=None) if text else None
    return str(title) if title else text


def rule_choices(codes: list[str]) -> list[tuple[str, str]]:
    """A filter's choice of rules: each code with its title in the active language, by title."""
    return sorted(((code, rule_title(code)) for code in codes), key=lambda choice: choice[1])


# --- ledger references --------------------------------------------------------------------------

# References the system writes on ledger entries, stored in English and shown in the reader's
# language; any other reference is the payer's or officer's own text, shown as written. Each
# pattern is the whole reference (``fullmatch``) and names the kinds of entry it is written on,
# so that a payment reference an operator happens to type like "assessment 12" stays as typed.
#   revenue/services/assessment.py, migrations/0004: what an assessment owes and what replaces it
#   revenue/services/revaluation.py: an officer's revaluation
#   revenue/services/refunds.py: an invalidation or a return settled, an overpayment refunded
#   customs_ecom/demo_story.py: the carrier's payment at delivery
# A group named ``status`` is a declaration status code, written as the reader's word.
_ASSESSED = "assessed"
_PAYMENT = "payment"
_REFUND = "refund"
_ADJUSTMENT = "adjustment"
_CANCELLED = r"(?P<status>invalidated|returned)"
_LEDGER_REFERENCES: tuple[tuple[re.Pattern[str], str, frozenset[str]], ...] = (
    (
        re.compile(r"assessment (?P<id>\d+)"),
        N_("assessment %(id)s"),
        frozenset({_ASSESSED}),
    ),
    (
        re.compile(r"assessment (?P<id>\d+): owed by the declarant"),
        N_("assessment %(id)s: owed by the declarant"),
        frozenset({_ASSESSED}),
    ),
    (
        re.compile(r"assessment (?P<id>\d+): (?P<scheme>[A-Z][A-Z_]{1,7}) return"),
        N_("assessment %(id)s: %(scheme)s return"),
        frozenset({_ASSESSED}),
    ),
    (
        re.compile(r"revision (?P<revision>\d+) replaces the earlier assessment"),
        N_("revision %(revision)s replaces the earlier assessment"),
        frozenset({_ADJUSTMENT}),
    ),
    (
        re.compile(r"revaluation (?P<id>\d+)"),
        N_("revaluation %(id)s"),
        frozenset({_ADJUSTMENT}),
    ),
    (
        re.compile(_CANCELLED + r": nothing more is due"),
        N_("%(status)s: nothing more is due"),
        frozenset({_ADJUSTMENT}),
    ),
    (
        re.compile(_CANCELLED + r": credited on the next statement"),
        N_("%(status)s: credited on the next statement"),
        frozenset({_ADJUSTMENT}),
    ),
    (
        re.compile(_CANCELLED + r": corrected in the scheme return"),
        N_("%(status)s: corrected in the scheme return"),
        frozenset({_ADJUSTMENT}),
    ),
    (
        re.compile(r"refund on " + _CANCELLED),
        N_("refund on %(status)s"),
        frozenset({_REFUND}),
    ),
    (
        re.compile(r"refund of the excess paid: the reassessment lowered what is due"),
        N_("refund of the excess paid: the reassessment lowered what is due"),
        frozenset({_REFUND}),
    ),
    (
        re.compile(r"paid by the carrier at delivery"),
        N_("paid by the carrier at delivery"),
        frozenset({_PAYMENT}),
    ),
)


def ledger_reference(text: Any, kind: Any = None) -> str:
    """A ledger entry's reference in the active language when the system wrote it (on an entry
    of that ``kind``, when given), anyone else's reference as written."""
    text = "" if text is None else str(text)
    for pattern, english, kinds in _LEDGER_REFERENCES:
        if kind and str(kind) not in kinds:
            continue
        found = pattern.fullmatch(text)
        if found is not None:
            params = found.groupdict()
            if "status" in params:
                params["status"] = word(params["status"])
            return gettext(english) % params
    return text


# --- validation problems ----------------------------------------------------------------------


def problem_detail(code: str, detail: str) -> str:
    """A validation problem's ``detail`` in the active language: the English sentence the
    engine wrote (with the offending value) in English, the catalogue's sentence for its stable
    ``code`` (declarations.errors.ERROR_CODES) in other languages."""
    language = (get_language() or "en").split("-")[0]
    if language == "en":
        return detail
    from declarations.errors import BODY_CODES, ERROR_CODES

    sentence = ERROR_CODES.get(code) or BODY_CODES.get(code)
    if sentence is None:
        return detail
    translated = gettext(sentence)
    return translated if translated != sentence else detail


# --- codes shown as words ----------------------------------------------------------------------

# Stable codes that pages used to print raw (channels, payers, tax types, collection models,
# ledger kinds), as words in the reader's language.
WORDS: dict[str, str] = {
    "green": N_("green"),
    "blue": N_("blue"),
    "yellow": N_("yellow"),
    "red": N_("red"),
    "consignee": N_("consignee"),
    "vendor": N_("vendor"),
    "marketplace": N_("marketplace"),
    "intermediary": N_("intermediary"),
    "declarant": N_("declarant"),
    "duty": N_("duty"),
    "vat": N_("VAT"),
    "fee": N_("fee"),
    "consignee_border": N_("paid by the consignee at the border"),
    "vendor_point_of_sale": N_("collected by the seller at the point of sale"),
    "marketplace_deemed_supplier": N_("collected by the marketplace as deemed supplier"),
    "intermediary_deferred": N_("deferred, paid monthly by the intermediary"),
    "flat_rate_duty": N_("flat-rate duty"),
    "assessed": N_("assessed"),
    "payment": N_("payment"),
    "refund": N_("refund"),
    "adjustment": N_("adjustment"),
    "system": N_("system"),
    # the statuses that cancel what a declaration owes, as ledger references name them
    "invalidated": N_("invalidated"),
    "returned": N_("returned"),
    # data-quality finding codes (declarations/quality.py), shown on the dashboard and lists
    "address_incomplete": N_("address incomplete"),
    "description_hs_mismatch": N_("description and HS code disagree"),
    "description_vague": N_("description too vague"),
    "gift_commercial_seller": N_("gift from a commercial seller"),
    "late_submission": N_("late submission"),
    "manifest_description_mismatch": N_("description differs from the manifest"),
    "manifest_mass_mismatch": N_("mass differs from the manifest"),
    "manifest_packages_mismatch": N_("package count differs from the manifest"),
    "manifest_value_mismatch": N_("value differs from the manifest"),
    "missing_useful_element": N_("missing useful element"),
    "submitted_after_arrival": N_("submitted after arrival"),
    "value_implausible_one": N_("implausible value of 1"),
    "value_implausible_zero": N_("implausible zero value"),
    "value_per_kg_low": N_("low value per kg"),
    # data-quality dimensions (WCO Standard 3)
    "timeliness": N_("timeliness"),
    "accuracy": N_("accuracy"),
    "completeness": N_("completeness"),
    "consistency": N_("consistency"),
    # elements of parties, orders and tax schemes in a declaration
    "name": N_("name"),
    "address": N_("address"),
    "street": N_("street"),
    "city": N_("city"),
    "postcode": N_("postcode"),
    "country": N_("country"),
    "email": N_("email"),
    "phone": N_("phone"),
    "identifiers": N_("identifiers"),
    "scheme": N_("scheme"),
    "value": N_("value"),
    "number": N_("number"),
    "date": N_("date"),
    "platform": N_("platform"),
    "transaction_id": N_("transaction id"),
    "provider": N_("payment provider"),
    "amount": N_("amount"),
    "currency": N_("currency"),
    "is_business": N_("business"),
    "url": N_("web address"),
}


def word(code: Any) -> str:
    """A stable code as a word in the active language (unknown codes: underscores as spaces)."""
    text = "" if code is None else str(code)
    english = WORDS.get(text)
    return gettext(english) if english else text.replace("_", " ")


# --- revenue legal reasons: phrase by phrase ----------------------------------------------------

# The phrases revenue/calculators.py composes legal reasons and explanations from, longest
# first so that "Duty relief: item sold under" wins over "Duty relief". Only whole phrases are
# replaced; amounts, rates, HS codes and legal citations are left as they are.
LEGAL_PHRASES: tuple[str, ...] = (
    # explanation lines of an assessment and its exchange rate (revenue/calculators.py, rates.py)
    N_("Exchange rate of the day: 1 "),
    N_("Declared in "),
    N_("; no conversion."),
    N_(" collection model: "),
    N_(" per item: "),
    N_(" per item: line "),
    N_(", line "),
    N_(" for the consignee today: "),
    N_(" of the consignment: "),
    N_("(of which "),
    N_(" imported earlier today)."),
    N_("Intrinsic value"),
    N_("Customs value"),
    N_("Goods value"),
    N_("Exchange rate rule "),
    N_(": rate fixed for "),
    N_(", published "),
    N_(
        " The rule takes the rate of the day of export, which was not given:"
        " the rate of the day of importation is used."
    ),
    N_(" STALE: no rate of the fixing day was published; the last known rate is used."),
    N_(" STALE: the last known rate is used."),
    N_(": goods excluded from low-value reliefs and schemes, taxed in full."),
    N_(" below the minimum "),
    N_(": not levied"),
    N_(" HS subheadings x "),
    N_(" HS subheading x "),
    N_(" consignment x "),
    N_(", goods "),
    N_("; billed to the declarant's account"),
    N_(", charged by the marketplace as deemed supplier under "),
    N_(", charged by the seller at checkout under "),
    N_(", collected at delivery by the intermediary and paid monthly"),
    N_("Duty rates of this regime are illustrative samples."),
    N_("No specific duty per postal item is offered on this date: the ad valorem duty applies."),
    N_("Duty relief: item sold under "),
    N_("Fee per goods line: "),
    N_("Fee per declaration "),
    N_("Flat-rate duty "),
    N_(" for HS subheading "),
    N_("Duty relief"),
    N_(" relief"),
    N_("Duty at "),
    N_(" (sample rate)"),
    N_("(sample rate)"),
    N_("(line "),
    N_("(lines "),
    N_("(highest duty of chapters "),
    N_("HS chapter "),
    N_(" for HS chapter "),
    N_("Additional duty"),
    N_("Fee of a formal entry: "),
    N_(" of it, at least "),
    N_(" and at most "),
    N_("Not an import: goods sent from "),
    N_(" stay inside one customs and VAT territory with "),
    # the wording of lines stored before December 2026: "goods sent from MC to FR stay inside..."
    N_(" stay inside one customs and VAT territory"),
    N_("No customs duty on goods sent from "),
    N_(": inside the customs territory of "),
    N_(" or in customs union with it"),
    N_("No duty on a postal item of origin "),
    N_(": the duty by origin replaces the tariff duty and does not apply to these goods, "),
    N_("No additional duty on goods of origin "),
    N_(" for HS subheading of chapter "),
    N_(", inferred"),
    N_("No tariff duty on a postal item of origin "),
    N_(": the duty by origin replaces it, "),
    N_("Duty by origin"),
    N_(" on a postal item of origin "),
    N_(" on goods of origin "),
    N_(" for a gift between private persons"),
    N_("Returned goods relief, duty"),
    N_("Returned goods relief, "),
    N_(
        ", claimed: goods exported from the customs territory and returned unaltered, on "
        "evidence of their export that an officer checks before release"
    ),
    N_(
        "Returned goods: relief claimed; an officer grants or refuses it on the evidence of "
        "their export before the goods are released."
    ),
    N_(
        "Returned goods: none of the duty or tax the relief covers would be owed without it, so "
        "no relief is claimed and no officer's decision is needed."
    ),
    N_(
        "Returned goods relief refused by an officer, no evidence of export: taxed as an "
        "import that is not a sale."
    ),
    N_("; not levied, below the minimum amount"),
    N_(" inferred from the description"),
    N_("no HS code: default duty rate and standard tax rate"),
    N_("intrinsic value"),
    N_("customs value"),
    N_("goods value"),
    N_("not declared"),
    N_("; rate for HS "),
    N_(" for HS "),
    N_(" per item"),
    N_(" for lines "),
    N_(" for line "),
    N_(" plus duty"),
    N_(" at "),
    N_(" on "),
    # a duty the scheme return does not carry (EU from July 2026: the flat duty under IOSS)
    N_("; the "),
    N_(" return carries "),
    N_(" only, so the duty is owed by the declarant"),
    # a gift above its relief, taxed on the part over it (Canada)
    N_("Duty on the value exceeding the gift exemption: "),
    N_(" on the value exceeding the gift exemption: "),
    N_(" deducted from the gift's intrinsic value "),
    N_(" deducted from the gift's customs value "),
    # amounts the law fixes in another currency (Poland: euro amounts in zloty)
    N_("Amounts the law fixes in "),
    N_(" are in "),
    N_(": customs amounts at 1 "),
    N_(", VAT ceilings and reliefs at 1 "),
    N_(" Amounts fixed in law, rule "),
    N_("(identity)"),
    N_("(ECB daily reference rate)"),
    # regional tax rates (Canada's HST)
    N_("Delivered in "),
    N_(" instead of the standard rate"),
    N_("No HST region of delivery known"),
    N_(" at the standard rate "),
    N_("; HST regions pay their own rate "),
    # a vendor scheme that cannot take the tax
    N_(" exceeds the "),
    N_(" is not below the "),
    N_(" ceiling "),
    N_(" is not a scheme of regime "),
    N_(": VAT is taken at the border"),
    N_(": GST is taken at the border"),
    N_(" covers distance sales only, not category "),
    N_(" covers sales to consumers: the buyer is a business"),
    N_(" number not valid"),
    # amounts below the minimum collected, specific and gift duties, national fees
    N_("Below the minimum amount, not levied"),
    N_("Duties, taxes and fees "),
    N_("Specific duty "),
    N_(" per postal item, origin "),
    N_(", chosen by the post instead of the ad valorem duty"),
    N_("Duty at the flat rate of "),
    N_("; lower than the flat rate of "),
    N_(" for gifts"),
    N_("Low-value goods levy"),
    N_(", charged with it"),
    N_("Line "),
)
# Tax names are words too: "VAT at 20%" reads "TVA à 20 %" in French.
TAX_NAMES: tuple[str, ...] = (N_("VAT"), N_("GST"), N_("HST"))


_TAX_IN_REASON = re.compile(r"\b(VAT|GST|HST)\b")


def tax_of_reason(text: Any) -> str:
    """The consumption tax a tax line's legal reason names (Canada's "HST" or "GST", "VAT"...) in
    the active language: the column says TVH for Ontario, not TVA."""
    found = _TAX_IN_REASON.search("" if text is None else str(text))
    return tax_name(found[1] if found else "VAT")


def tax_name(name: Any) -> str:
    """A regime's name of its consumption tax in the active language: "VAT" reads "TVA", Canada's
    "HST" reads "TVH"; a name of an administrator's own is left as written."""
    text = "" if name is None else str(name)
    return pgettext("tax name", text) if text else text


# Collection models are named by their code in explanations ("VAT collection model:
# consignee_border."): in another language, by their words (WORDS).
MODEL_CODES: tuple[str, ...] = (
    "consignee_border",
    "vendor_point_of_sale",
    "marketplace_deemed_supplier",
    "intermediary_deferred",
)


@lru_cache(maxsize=8)
def _phrase_table(language: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    table = {p: gettext(p) for p in LEGAL_PHRASES}
    table.update({name: pgettext("tax name", name) for name in TAX_NAMES})
    table = {english: local for english, local in table.items() if local != english}
    if not table:
        return None
    table.update({code: gettext(WORDS[code]) for code in MODEL_CODES})
    alternatives = []
    for english in sorted(table, key=len, reverse=True):
        escaped = re.escape(english)
        whole_word = english in TAX_NAMES or english in MODEL_CODES
        alternatives.append(
            rf"\b{escaped}\b" if whole_word else escaped + _PHRASE_CONTEXT.get(english, "")
        )
    return re.compile("|".join(alternatives)), table


# The exchange-rate sentences of an explanation (revenue/rates.py ``RateFact.explanation``),
# stored with the rule's code and ISO dates: shown with the rule in words and the reader's dates.
_RATE_SENTENCE = re.compile(
    r"(?P<lead>Exchange rate rule|Amounts fixed in law, rule) (?P<rule>[a-z0-9_]+): "
    r"rate fixed for (?P<fixed>\d{4}-\d{2}-\d{2}), "
    r"published (?P<published>\d{4}-\d{2}-\d{2}) \((?P<source>[^()]*)\)\."
)


def _rate_sentence(found: re.Match[str]) -> str:
    from customs_ecom.platform.extensions import call
    from customs_ecom.platform.templatetags.human import when

    rule = found["rule"]
    words = call("revenue.rate_rule_words", rule, default=None)
    template = (
        gettext(
            "Exchange rate rule: %(rule)s; rate fixed for %(fixed)s, published %(published)s "
            "(%(source)s)."
        )
        if found["lead"] == "Exchange rate rule"
        else gettext(
            "Amounts fixed in law: %(rule)s; rate fixed for %(fixed)s, published %(published)s "
            "(%(source)s)."
        )
    )
    return template % {
        "rule": str(words) if words else rule,
        "fixed": when(found["fixed"], "date"),
        "published": when(found["published"], "date"),
        "source": _rate_source(found["source"]),
    }


def _rate_source(source: str) -> str:
    """Where a rate came from, in the reader's language: "identity" and the ECB series have
    words of their own; an official file's name is data, quoted as written."""
    words = []
    for part in source.split(", "):
        translated = gettext(f"({part})")
        words.append(translated[1:-1] if translated != f"({part})" else part)
    return ", ".join(words)


def legal_reason(text: Any) -> str:
    """A revenue legal reason or explanation line in the active language."""
    text = "" if text is None else str(text)
    if _RATE_SENTENCE.search(text) is None:
        return _legal_phrases(text)
    out, start = [], 0
    for found in _RATE_SENTENCE.finditer(text):
        out += [_legal_phrases(text[start : found.start()]), _rate_sentence(found)]
        start = found.end()
    out.append(_legal_phrases(text[start:]))
    return "".join(out)


def _legal_phrases(text: str) -> str:
    """Composed English translated phrase by phrase, legal citations quoted as written."""
    compiled = _phrase_table(get_language() or "en")
    if not text or compiled is None:
        return text
    pattern, table = compiled
    regime = _REGIME_LINE.fullmatch(text)
    if regime is not None:  # the regime's name is data: left as it is, not half translated
        return gettext("Regime %(code)s: %(name)s.") % {
            "code": regime["code"],
            "name": regime_name(regime["name"]),
        }

    def translate(part: str) -> str:
        return _local_numbers(pattern.sub(lambda match: table[match.group(0)], part))

    # Legal citations are the parenthesised groups ("(Customs Act 1901 s.68, ...)"): quoted as
    # written, never translated word by word. A group that opens with one of the phrases
    # ("(sample rate)", "(line 2)") is composed text and is translated.
    out: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                out.append(translate(text[start:index]))
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                group = text[start : index + 1]
                out.append(translate(group) if group.startswith(_GROUP_OPENERS) else group)
                start = index + 1
    rest = text[start:]
    out.append(rest if depth else translate(rest))  # an unclosed group is left as written
    return "".join(out)


# Amounts ("EUR 1,150.00"), rates ("20%", "10.7%") and exchange rates ("= 4.2468 PLN") as the
# calculators write them (revenue.money.format_money and format_rate): written again as the
# reader writes numbers ("1 150,00 EUR", "20 %"), outside legal citations only.
_AMOUNT = re.compile(
    r"\b(?P<currency>[A-Z]{3}) (?P<number>-?\d{1,3}(?:,\d{3})*(?:\.\d+)?)(?![\d,.]*\d)"
)
_RATE = re.compile(r"(?<![\w.,])(?P<number>\d+(?:\.\d+)?)%")
_EXCHANGE = re.compile(r"= (?P<number>\d+\.\d+) (?P<currency>[A-Z]{3})\b")


def _local_number(text: str) -> str:
    from decimal import Decimal

    from django.utils import formats

    plain = text.replace(",", "")
    places = len(plain.partition(".")[2])
    return formats.number_format(
        Decimal(plain), decimal_pos=places, use_l10n=True, force_grouping=True
    )


def _local_numbers(text: str) -> str:
    """The calculators' amounts and rates in the active language's number format (English text
    is left as it is: the stored record)."""
    if (get_language() or "en").split("-")[0] == "en":
        return text
    text = _AMOUNT.sub(lambda m: f"{_local_number(m['number'])}\u00a0{m['currency']}", text)
    text = _EXCHANGE.sub(lambda m: f"= {_local_number(m['number'])} {m['currency']}", text)
    return _RATE.sub(lambda m: f"{_local_number(m['number'])}\u00a0%", text)


# Phrases translated only in their context: ", goods EUR 52.00" (a national fee's goods value),
# not ", goods value" (which "goods value" translates whole).
_PHRASE_CONTEXT: dict[str, str] = {
    ", goods ": r"(?=[A-Z]{3}\b)",
    "; the ": r"(?=[A-Z_]+ return carries )",
    " are in ": r"(?=[A-Z]{3}: customs amounts)",
    " exceeds the ": r"(?=[A-Z_]+ ceiling [A-Z]{3} )",
    " is not below the ": r"(?=[A-Z_]+ ceiling [A-Z]{3} )",
    " ceiling ": r"(?=[A-Z]{3} )",
    "Line ": r"(?=\d+: )",
}

# Parenthesised groups that are composed text, not a citation (see legal_reason).
_GROUP_OPENERS: tuple[str, ...] = (
    "(identity)",
    "(ECB daily reference rate)",
    "(sample rate)",
    "(line ",
    "(lines ",
    "(highest duty of chapters ",
)


# The first explanation line of an assessment (revenue/calculators.py): "Regime CODE: name."
_REGIME_LINE = re.compile(r"Regime (?P<code>[A-Z0-9-]+): (?P<name>.*)\.", re.S)

# --- regime names: "European Union (Austria): e-commerce VAT package, ..." --------------------

# The shipped regimes' names are "<country>: <rules>" or "European Union (<member state>): <rules>"
# (revenue/data/regimes.json); both parts are translated when known, an administrator's own
# wording is left as written.
REGIME_COUNTRIES: tuple[str, ...] = (
    N_("Austria"),
    N_("Belgium"),
    N_("Bulgaria"),
    N_("Croatia"),
    N_("Cyprus"),
    N_("Czechia"),
    N_("Denmark"),
    N_("Estonia"),
    N_("Finland"),
    N_("France"),
    N_("Germany"),
    N_("Greece"),
    N_("Hungary"),
    N_("Ireland"),
    N_("Italy"),
    N_("Latvia"),
    N_("Lithuania"),
    N_("Luxembourg"),
    N_("Malta"),
    N_("Netherlands"),
    N_("Poland"),
    N_("Portugal"),
    N_("Romania"),
    N_("Slovakia"),
    N_("Slovenia"),
    N_("Spain"),
    N_("Sweden"),
    N_("Australia"),
    N_("Canada"),
    N_("New Zealand"),
    N_("Norway"),
    N_("Switzerland"),
    N_("United Kingdom"),
    N_("United States"),
)
REGIME_RULES: tuple[str, ...] = (
    N_("EUR 3 flat-rate duty per item up to EUR 150"),
    N_("EUR 3 flat-rate duty per item up to EUR 150, small-parcel tax EUR 2 per item"),
    N_("duty relief up to EUR 150, small-parcel tax EUR 2 per item"),
    N_("e-commerce VAT package, duty relief up to EUR 150"),
    N_("GST on low value imported goods up to AUD 1,000"),
    N_("CUSMA courier thresholds, CAD 20 otherwise"),
    N_("GST on low-value goods up to NZD 1,000, low-value goods levy per consignment"),
    N_("GST on low-value imported goods up to NZD 1,000"),
    N_("VOEC for items below NOK 3,000, no NOK 350 exemption"),
    N_("import VAT 7.7%, tax of CHF 5 or less not levied"),
    N_("import VAT 8.1%, industrial goods duty-free"),
    N_("VAT at point of sale for consignments up to GBP 135"),
    N_("USD 800 de minimis per person per day"),
    N_("de minimis suspended, ad valorem duty on postal items too"),
    N_("de minimis suspended; postal specific-duty transition"),
    N_("statutory repeal of de minimis for commercial shipments"),
    N_("USD 800 de minimis, except for goods of China and Hong Kong"),
    N_("no duty relief, the tariff from the first euro"),
)
_EU_REGIME_NAME = re.compile(r"European Union \((?P<country>[^)]+)\): (?P<rules>.+)", re.S)


def regime_name(text: Any) -> str:
    """A revenue regime's name in the active language (the English name when nothing is known)."""
    text = "" if text is None else str(text)
    if (get_language() or "en").split("-")[0] == "en":
        return text
    found = _EU_REGIME_NAME.fullmatch(text)
    if found is not None:
        template = gettext("European Union (%(country)s): %(rules)s")
        country, rules = found["country"], found["rules"]
    else:
        country, separator, rules = text.partition(": ")
        if not separator:
            return gettext(text)
        template = gettext("%(country)s: %(rules)s")
    return template % {"country": gettext(country), "rules": gettext(rules)}
