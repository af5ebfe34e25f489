"""Human formatting for every page: money with the currency's decimal places and the reader's
separators, rates as percentages, codes as words, dates in the officer's time zone, never a dict
repr. Load with ``{% load human %}``."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.currencies import CURRENCY_PLACES, currency_places  # noqa: F401

register = template.Library()


# Codes stored in data, as words. Unknown codes fall back to their words without underscores.
LABELS: dict[str, Any] = {
    # goods category (CN23 box, dataset.md)
    "sale_of_goods": _("Sale of goods"),
    "gift": _("Gift"),
    "documents": _("Documents"),
    "commercial_sample": _("Commercial sample"),
    "returned_goods": _("Returned goods"),
    "other": _("Other"),
    # transport documents and modes
    "house_waybill": _("House waybill"),
    "master_waybill": _("Master waybill"),
    "postal_item": _("Postal item (S10)"),
    "air": _("Air"),
    "road": _("Road"),
    "rail": _("Rail"),
    "sea": _("Sea"),
    "post": pgettext_lazy("transport mode", "Post"),
    # collection models, tax types, payers
    "consignee_border": _("Consignee pays at the border"),
    "vendor_point_of_sale": _("Vendor collects at the point of sale"),
    "marketplace_deemed_supplier": _("Marketplace as deemed supplier"),
    "intermediary_deferred": _("Intermediary, deferred payment"),
    "flat_rate_duty": _("Flat-rate duty"),
    # ledger entries, assessments and their findings (revenue)
    "refund": _("Refund"),
    "adjustment": _("Adjustment"),
    "initial": _("Initial assessment"),
    "revaluation": _("Revaluation"),
    "amendment": _("Amendment"),
    "self_assessed_mismatch": _("Self-assessment differs"),
    "tax_scheme_number_unknown": _("Scheme number not in the registry"),
    # rounding modes of a regime
    "ROUND_HALF_UP": _("half up"),
    "ROUND_HALF_EVEN": _("half to even"),
    "ROUND_HALF_DOWN": _("half down"),
    "ROUND_UP": _("up"),
    "ROUND_DOWN": _("down"),
    "ROUND_CEILING": _("up (ceiling)"),
    "ROUND_FLOOR": _("down (floor)"),
    "duty": _("Customs duty"),
    "vat": _("VAT"),
    "fee": _("Fee"),
    "consignee": _("Consignee"),
    "vendor": _("Vendor"),
    "marketplace": _("Marketplace"),
    "intermediary": _("Intermediary"),
    "declarant": _("Declarant"),
    # keys of an operator's audit rows (registry page): webhook, API keys, identifiers, links
    "webhook_url": _("Webhook address"),
    "secret_set": _("Secret set"),
    "secret_changed": _("Secret changed"),
    "webhook_disabled": _("Webhook disabled"),
    "webhook_disabled_reason": _("Why the webhook was disabled"),
    "throttle_rate": _("Request rate"),
    "revoked": _("Revoked"),
    "function": _("Function"),
    "issuer": _("Issuer"),
    "target": _("Linked operator"),
    "since": _("Since"),
    "certificate_number": _("Certificate number"),
    "valid_from": _("Valid from"),
    "valid_to": _("Valid to"),
    "recognised_from": _("Recognised from"),
    # operator roles
    "express_carrier": _("Express carrier"),
    "postal_operator": _("Postal operator"),
    "customs_broker": _("Customs broker"),
    "fulfilment_centre": _("Fulfilment centre"),
    # data-quality dimensions
    "timeliness": _("Timeliness"),
    "accuracy": _("Accuracy"),
    "completeness": _("Completeness"),
    "consistency": _("Consistency"),
    # document types
    "invoice": _("Invoice"),
    "proof_of_payment": _("Proof of payment"),
    "licence": _("Licence"),
    "certificate": _("Certificate"),
    "proof_of_exit": _("Proof of exit"),
    "product_description": _("Product description"),
    # keys of party data (the payload) and of audit rows
    "name": _("Name"),
    "address": _("Address"),
    "street": _("Street"),
    "city": _("City"),
    "postcode": _("Postcode"),
    "country": _("Country"),
    "email": _("Email"),
    "phone": _("Phone"),
    "identifiers": _("Identifiers"),
    "scheme": _("Scheme"),
    "value": _("Value"),
    "number": _("Number"),
    "date": _("Date"),
    "platform": _("Platform"),
    "payment": _("Payment"),
    "provider": _("Provider"),
    "transaction_id": _("Transaction"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "code": _("Code"),
    "tax_type": _("Tax type"),
    "declared": _("Declared"),
    "assessed": _("Assessed"),
    "difference": _("Difference"),
    "status": _("Status"),
    "public_reason": _("What the operator reads"),
    "role": _("Role"),
    "is_active": _("Active"),
    "revision": _("Revision"),
    "result": _("Result"),
    "declaration": _("Declaration"),
    "operator": _("Operator"),
    # what the registry's audit rows are about (object types)
    "aeo_authorisation": _("AEO authorisation"),
    "benefit_policy": _("AEO benefit policy"),
    "mutual_recognition": _("Mutual recognition arrangement"),
    # more keys of audit rows (cases, ledger, operators, risk models)
    "case": _("Case"),
    "declared_value_eur": _("Declared value (EUR)"),
    "revised_value_eur": _("Revised value (EUR)"),
    "entries": _("Entries"),
    "entry": _("Entry"),
    "eori": _("EORI"),
    "finding": _("Finding"),
    "holdout_auc": _("Hold-out AUC"),
    "holdout_flagged": _("Hold-out flagged"),
    "holdout_hit_rate": _("Hold-out hit rate"),
    "holdout_precision": _("Hold-out precision"),
    "holdout_recall": _("Hold-out recall"),
    "holdout_size": _("Hold-out size"),
    "kind": _("Kind"),
    "metrics": _("Metrics"),
    "names": _("Names"),
    "non_compliant_share": _("Non-compliant share"),
    "outstanding": _("Outstanding"),
    "prefix": _("Key prefix"),
    "promoted": _("Promoted"),
    "reference": _("Reference"),
    "rules_auc": _("Rules AUC"),
    "rules_precision": _("Rules precision"),
    "rules_recall": _("Rules recall"),
    "samples": _("Samples"),
    "vat_number": _("VAT number"),
    "version": _("Version"),
    # keys of the before and after values of audited changes (the audit page)
    "active_version": _("Active version"),
    "added": _("Added"),
    "aeo_random_factor": _("AEO factor on random selection"),
    "aeo_score_factor": _("AEO factor on risk scores"),
    "aliases": _("Aliases"),
    "arrived_at": _("Arrived at"),
    "as_of": _("As of"),
    "assessment": _("Assessment"),
    "basis": _("Basis"),
    "bytes": _("Size (bytes)"),
    "claimed_by": _("Claimed by"),
    "count": _("Number"),
    "declarations": _("Declarations"),
    "deferred_payment": _("Deferred payment"),
    "due_at_border": _("Due at the border"),
    "duty_rate_descriptions": _("Duty rate descriptions"),
    "duty_rates": _("Duty rates"),
    "effective_from": _("Effective from"),
    "enabled": _("Enabled"),
    "entries_by_list": _("Entries by list"),
    "file": _("File"),
    "file_sha256": _("File fingerprint (SHA-256)"),
    "holder": _("Holder"),
    "hs_code": _("HS code"),
    "imported": _("Imported"),
    "job": _("Import job"),
    "keywords": _("Keywords"),
    "kinds": _("Kinds"),
    "list": _("List"),
    "max_batch": _("Largest batch"),
    "min_channel": _("Lowest channel"),
    "minimum_outcomes": _("Minimum number of inspection results"),
    "national": _("National list"),
    "new": _("New"),
    "note": _("Note"),
    "note_id": _("Note number"),
    "older_than_active": _("Older than the active version"),
    "open": _("Open"),
    "params": _("Parameters"),
    "partner_country": _("Partner country"),
    "partner_name": _("Partner administration"),
    "policy": _("Policy"),
    "previous_valid_to": _("End of the previous version"),
    "proposed_by": _("Proposed by"),
    "query": _("Filters"),
    "random_rate_factor": _("Factor on random selection rates"),
    "random_rates": _("Random selection rates"),
    "requested": _("Requested"),
    "risk_score_factor": _("Factor on risk scores"),
    "rounding_mode": _("Rounding"),
    "rows": _("Rows"),
    "sha256": _("Fingerprint (SHA-256)"),
    "source": _("Source"),
    "sources": _("Sources"),
    "target_id": _("Linked operator"),
    "target_rates": _("Target rates"),
    "tariff_source": _("Tariff source"),
    "thresholds": _("Thresholds"),
    "total": _("Total"),
    "value_eur": _("Value (EUR)"),
    "values": _("Values"),
    # parties a watchlist rule screens (with "consignee" above)
    "seller": _("Seller"),
    "sender": _("Sender"),
    # control channels (a rule set's thresholds and rates, the workload targets)
    "green": _("Green"),
    "blue": _("Blue"),
    "yellow": _("Yellow"),
    "red": _("Red"),
}

# Audit actions (AuditEvent.action) as words; the composed ones (a declaration's new status, a
# case opened or closed, an AEO authorisation's status) are built by ``action``.
ACTION_LABELS: dict[str, Any] = {
    "aeo.apply": _("AEO application"),
    "aeo.benefit_policy_update": _("AEO benefits changed"),
    "aeo.mra_save": _("Mutual recognition saved"),
    "aeo.recognition_requested": _("Mutual recognition requested"),
    "api_key.create": _("API key created"),
    "api_key.revoke": _("API key revoked"),
    "declaration.amend": _("Declaration amended"),
    "declaration.arrival": _("Arrival reported"),
    "declaration.document": _("Document received"),
    "declaration.note": _("Note added"),
    "declaration.reassign": _("Reassigned"),
    "declaration.take_over": _("Taken over"),
    "declarations.import": _("Declarations imported"),
    "deferred_statement.close": _("Deferred statement closed"),
    "exchange_rates.load": _("Exchange rates loaded"),
    "ledger.payment": _("Payment recorded"),
    "ledger.refund": _("Refund recorded"),
    "operator.contact_add": _("Contact added"),
    "operator.contact_remove": _("Contact removed"),
    "operator.create": _("Operator created"),
    "operator.identifier_add": _("Identifier added"),
    "operator.identifier_remove": _("Identifier removed"),
    "operator.link_add": _("Link between operators added"),
    "operator.link_remove": _("Link between operators removed"),
    "operator.throttle": _("Request rate changed"),
    "operator.update": _("Operator changed"),
    "operator.webhook": _("Webhook changed"),
    "operator.webhook_disabled": _("Webhook disabled: its receiver answered 410 Gone"),
    "profile.publish": _("Dataset profile published"),
    "regime.new_version": _("New regime version"),
    "regime.shipped_update": _("Regime updated by a release"),
    "risk.outcome": _("Inspection outcome"),
    "risk.reassessed": _("Channel changed by a re-assessment"),
    "risk.reference_values.replace": _("Reference values replaced"),
    "risk_model.train": _("Risk model trained"),
    "risk_model.train_requested": _("Risk model training requested"),
    "ruleset.activate": _("Rule set activated"),
    "ruleset.approve": _("Rule set approved"),
    "ruleset.create": _("Rule set created"),
    "ruleset.propose": _("Rule set proposed for approval"),
    "ruleset.reject": _("Rule set proposal rejected"),
    "login_lockout.lift": _("Login lockout lifted"),
    "user.password_change": _("Password changed"),
    "saved_view.delete": _("Saved view deleted"),
    "saved_view.save": _("View saved"),
    "tax_scheme_registry.import": _("Tax scheme registry imported"),
    "relief.granted": _("Returned goods relief granted"),
    "relief.refused": _("Returned goods relief refused"),
    "relief.reopened": _("Refused returned goods relief reopened"),
    "taxes.revalue": _("Taxes recomputed"),
    "watchlist.false_positive": _("Watchlist false positive confirmed"),
    "watchlist.false_positive_narrowed": _("Watchlist false positive limited to one address"),
    "watchlist.false_positive_proposed": _("Watchlist false positive proposed"),
    "watchlist.import": _("Watchlist imported"),
    "watchlist.update": _("Watchlist changed"),
    "watchlist.withdrawal_confirmed": _("Watchlist withdrawal confirmed"),
    "watchlist.withdrawal_rejected": _("Watchlist withdrawal rejected"),
    "workload.targets": _("Workload targets changed"),
}


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter(is_safe=True)
def colon(label: Any) -> str:
    """A label and its colon as the reader's language writes them: 'Status:' in English,
    'Statut :' in French, with a non-breaking space that keeps the colon on the label's line.
    ``{{ _("Officer")|colon }} {{ name }}``; in code ``f"{colon(label)} {text}"``."""
    return gettext("%(label)s:") % {"label": label}


@register.filter
def number(value: Any, places: int = 2) -> str:
    """A number with the reader's decimal and thousands separators: 1234.5 -> '1,234.50'."""
    amount = _decimal(value)
    if amount is None:
        return ""
    # Rounded half up here: the formatter alone would cut the digits off.
    amount = amount.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return formats.number_format(
        amount, decimal_pos=int(places), use_l10n=True, force_grouping=True
    )


@register.filter
def money(value: Any, currency: str = "") -> str:
    """'46.0500' EUR -> '46.05 EUR' (en) or '46,05 EUR' (fr): the currency's places."""
    amount = _decimal(value)
    if amount is None:
        return ""
    text = number(amount, currency_places(currency))
    return f"{text}\u00a0{currency}" if currency else text


@register.filter
def amount(value: Any, currency: str = "") -> str:
    """A declared amount as the reader writes numbers, its own decimals kept but no padding
    beyond the currency's: '23.2100' EUR -> '23,21' (fr); '0.1234' EUR -> '0,1234'."""
    figure = _decimal(value)
    if figure is None:
        return ""
    significant = -min(figure.normalize().as_tuple().exponent, 0)
    return number(figure, max(significant, currency_places(currency)))


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """A rate stored as a fraction: 0.200000 -> '20 %', 0.0265 with 2 places -> '2.65 %';
    trailing zeros dropped."""
    rate = _decimal(value)
    if rate is None:
        return ""
    pct = (rate * 100).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    shown = pct.to_integral() if pct == pct.to_integral() else pct.normalize()
    text = formats.number_format(shown, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0%"


def _field(line: Any, name: str) -> Any:
    return line.get(name) if isinstance(line, dict) else getattr(line, name, None)


# What a counted basis counts (TaxLine.basis_unit), singular and plural, as ngettext takes them
# (their French is in the platform catalogue).
_UNIT_WORDS: dict[str, tuple[str, str]] = {
    "tariff_code": ("tariff code", "tariff codes"),
    "postal_item": ("postal item", "postal items"),
    "entry": ("entry", "entries"),
    "declaration": ("declaration", "declarations"),
    "line": ("goods line", "goods lines"),
    "consignment": ("consignment", "consignments"),
    "item": ("item", "items"),
}


def _unit_words(unit: str, count: Decimal) -> str:
    from django.utils.translation import ngettext

    if unit not in _UNIT_WORDS:
        return unit
    singular, plural = _UNIT_WORDS[unit]
    return ngettext(singular, plural, 1 if count == 1 else 2)


@register.filter
def line_basis(line: Any, currency: str = "") -> str:
    """A duty, tax or fee line's basis: money, or a count of what it counts ('2 goods lines')."""
    basis = _decimal(_field(line, "basis"))
    if basis is None:
        return ""
    unit = _field(line, "basis_unit") or ""
    if unit or _counted_fee(line):
        count = number(basis, 0 if basis == basis.to_integral() else 2)
        return f"{count}\u00a0{_unit_words(unit, basis)}" if unit else count
    return money(basis, currency)


@register.filter
def line_rate(line: Any, currency: str = "") -> str:
    """A line's rate: a percentage of a money basis, or an amount per unit of what it counts."""
    rate = _field(line, "rate")
    if rate is None:
        return ""
    if _field(line, "basis_unit") or _counted_fee(line):
        return money(rate, currency)
    # Every figure of the rate, as the answer gives it: the US formal-entry fee of 0.3464 % is
    # not "0.3 %".
    figure = _decimal(rate)
    if figure is None:
        return ""
    return percent(figure, max(1, -min((figure * 100).normalize().as_tuple().exponent, 0)))


def _counted_fee(line: Any) -> bool:
    """A fee line stored before lines named what they count (``basis_unit``): a count at an
    amount per unit (France's small-parcel tax, EUR 2 per subheading). A fee whose rate is a
    fraction of one is ad valorem on a money basis (the US formal-entry fee, 0.3464 % of the
    value), which lines still write without a unit."""
    if _field(line, "tax_type") != "fee" or _field(line, "basis_unit"):
        return False
    rate = _decimal(_field(line, "rate"))
    return rate is None or rate >= 1


# Readers of text the system writes under one audit key (the ledger's own references, "paid by
# the carrier at delivery"), which apps above the platform register: the record keeps the
# English, a page shows the reader's language; text anyone else wrote comes back as written.
VALUE_READERS: dict[str, Any] = {}


def register_value_reader(key: str, reader: Any) -> None:
    """An app above the platform gives the words, in the active language, of the text the system
    stores under ``key`` in audited values (for example the ledger's references)."""
    VALUE_READERS.setdefault(key, reader)


# Readers of the reasons the system writes in audit entries of apps above the platform (a webhook
# disabled because its receiver answered 410 Gone): each gives the words in the active language,
# or the text unchanged when it is not its own.
REASON_READERS: list[Any] = []


def register_reason_reader(reader: Any) -> None:
    """An app above the platform gives the words, in the active language, of the audit reasons
    the system writes for it (``audit_reason`` tries each reader in turn)."""
    if reader not in REASON_READERS:
        REASON_READERS.append(reader)


def register_labels(labels: dict[str, Any]) -> None:
    """Apps above the platform add the words for their own codes (for example the statuses) at
    start-up, so that stored values read as words wherever they are shown."""
    for code, words in labels.items():
        LABELS.setdefault(code, words)


@register.filter
def action(value: Any) -> str:
    """An audit action as words: 'ledger.payment' -> 'Payment recorded', 'declaration.released'
    -> 'Declaration: Released', 'case.seizure.open' -> 'Case opened: Seizure'."""
    text = "" if value is None else str(value)
    if text in ACTION_LABELS:
        return str(ACTION_LABELS[text])
    parts = text.split(".")
    if len(parts) == 3 and parts[0] == "case" and parts[2] in ("open", "close"):
        template = gettext(
            "Case opened: %(kind)s" if parts[2] == "open" else "Case closed: %(kind)s"
        )
        return template % {"kind": label(parts[1])}
    if len(parts) == 2 and parts[0] in ("declaration", "aeo"):
        subject = LABELS["declaration"] if parts[0] == "declaration" else _("AEO authorisation")
        return gettext("%(object)s: %(what)s") % {"object": subject, "what": label(parts[1])}
    return label(text)


@register.filter
def label(value: Any) -> str:
    """A stored code as words in the reader's language: 'sale_of_goods' -> 'Sale of goods'."""
    if value is None or value == "":
        return ""
    text = str(value)
    if text in LABELS:
        return str(LABELS[text])
    words = text.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def when(value: Any, style: str = "datetime") -> str:
    """A moment in the officer's time zone and language, to the minute (never microseconds)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        fmt = "SHORT_DATE_FORMAT" if style == "date" else "SHORT_DATETIME_FORMAT"
        return formats.date_format(value, fmt)
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, str):  # an ISO 8601 string, as an API-shaped result carries it
        from django.utils.dateparse import parse_date, parse_datetime

        try:
            moment = parse_datetime(value) or parse_date(value)
        except ValueError:
            moment = None
        if moment is not None:
            return when(moment, style)
    return str(value)


@register.filter
def yearmonth(value: Any) -> str:
    """A month as 'YYYY-MM' (or a date) in words in the reader's language: 'November 2026',
    'novembre 2026'; anything else is shown as it is."""
    if isinstance(value, str):
        try:
            value = date(int(value[:4]), int(value[5:7]), 1) if len(value) == 7 else value
        except ValueError:
            return value
    if isinstance(value, date):
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    return "" if value is None else str(value)


# Keys whose values are identifiers or codes, never numbers to format ("1.10" stays "1.10").
_VERBATIM_KEYS = frozenset(
    {"code", "prefix", "reference", "eori", "vat_number", "number", "certificate_number"}
    | {"version", "lrn", "hs_code", "transaction_id", "object_id"}
)
_DECIMAL_TEXT = re.compile(r"-?\d+\.\d+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def decimal_text(value: Any) -> str | None:
    """A decimal stored as text or float ("10.00", 0.83) as the reader writes it: '10,00' in
    French, its own places kept; None when the value is no decimal."""
    if isinstance(value, bool) or not isinstance(value, str | float | Decimal):
        return None
    text = str(value)
    if not _DECIMAL_TEXT.fullmatch(text):
        return None
    return number(Decimal(text), len(text.partition(".")[2]))


@register.filter
def readable(value: Any, key: str = "") -> str:
    """Any stored value as text for a person: dicts as 'key: value' pairs ('clé : valeur'), lists joined, yes and
    no for booleans, decimals with the reader's separators."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return ", ".join(
            f"{colon(label(k))} {readable(v, k)}" for k, v in value.items() if v not in (None, "")
        )
    if isinstance(value, list | tuple):
        return "; ".join(readable(v, key) for v in value)
    if key not in _VERBATIM_KEYS:
        shown = decimal_text(value)
        if shown is not None:
            return shown
    if isinstance(value, str) and _ISO_DAY.fullmatch(value) and key not in _VERBATIM_KEYS:
        return when(value, "date")  # a day stored as ISO text ("since", "valid_from")
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        from django.utils.dateparse import parse_datetime

        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None:
            return when(moment)
    if isinstance(value, str) and value in LABELS and key not in _VERBATIM_KEYS:
        return str(LABELS[value])  # a stored code: its words (a rule's own code stays a code)
    if isinstance(value, str) and key in VALUE_READERS:
        return str(VALUE_READERS[key](value))
    return str(value)


def form_errors_sentence(form: Any) -> str:
    """A form's errors as one sentence for a message: 'Line 1 value found: Enter a number.' (the
    field's label, never its code name)."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        text = " ".join(str(e) for e in errors)
        parts.append(f"{colon(field.label)} {text}" if field is not None and field.label else text)
    return " ".join(parts)


# What the system itself writes as the reason or the actor of an audit entry is stored in English
# (the record); pages show it in the reader's language. Reasons people typed are shown as typed.
SYSTEM_REASONS: dict[str, Any] = {
    "arrival reported through the API": _("arrival reported through the API"),
    "set through the API": _("set through the API"),
    "admin pages": _("admin pages"),
    "own password, admin pages": _("own password, admin pages"),
    "lockout record deleted": _("lockout record deleted"),
    "figures shipped with this release": _("figures shipped with this release"),
    "refund of the excess paid: the reassessment lowered what is due": _(
        "refund of the excess paid: the reassessment lowered what is due"
    ),
}
_VALIDITY_ENDED = re.compile(r"validity ended before (\d{4}-\d{2}-\d{2})")
_PAID_THROUGH_API = re.compile(r"paid through the API by operator (\S+)")
_REASSESSED_UNDER = re.compile(r"re-assessed under rule set (\d+)")
_LIST_UPDATE = re.compile(r"list update (\d+)")
_OPERATOR_ACTOR = re.compile(r"operator (\S+) \(API\)|operator:(\S+)")
_COMMAND_ACTOR = re.compile(r"command line \((\S+), system user (.*)\)")
_COMMAND_REASON = re.compile(
    r"(createsuperuser|changepassword|create_api_key|create_operator|seed_demo) command"
)


@register.filter
def audit_reason(value: Any) -> str:
    """An audit entry's reason: the system's own reasons in words of the reader's language."""
    text = "" if value is None else str(value)
    if text in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[text])
    found = _VALIDITY_ENDED.fullmatch(text)
    if found:
        return gettext("validity ended before %(date)s") % {"date": when(found[1], "date")}
    found = _PAID_THROUGH_API.fullmatch(text)
    if found:
        return gettext("paid through the API by operator %(code)s") % {"code": found[1]}
    found = _REASSESSED_UNDER.fullmatch(text)
    if found:
        return gettext("re-assessed under rule set %(version)s") % {"version": found[1]}
    found = _LIST_UPDATE.fullmatch(text)
    if found:
        return gettext("list update %(update)s") % {"update": found[1]}
    found = _COMMAND_REASON.fullmatch(text)
    if found:
        return gettext("%(command)s command") % {"command": found[1]}
    for reader in REASON_READERS:
        shown = reader(text)
        if shown != text:
            return str(shown)
    return text


@register.filter
def audit_actor(value: Any) -> str:
    """An audit entry's actor: a user's name as it is, the system and an operator's own action
    through its API in words of the reader's language."""
    text = "" if value is None else str(value)
    if text in ("", "system"):
        return gettext("system")
    found = _OPERATOR_ACTOR.fullmatch(text)
    if found:
        return gettext("operator %(code)s (API)") % {"code": found[1] or found[2]}
    found = _COMMAND_ACTOR.fullmatch(text)
    if found:
        return gettext("command line (%(command)s, system user %(account)s)") % {
            "command": found[1],
            "account": found[2],
        }
    return text
