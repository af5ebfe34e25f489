"""Forms of the revenue pages; each calls the same services as the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.bounds import MONEY_MAX
from customs_ecom.platform.fields import PlainDecimalField
from customs_ecom.platform.templatetags.human import LABELS

from .money import ROUNDING_MODES
from .services.regimes import parse_rate, quantum_error

THRESHOLD_FIELDS = (
    ("duty_threshold", _("Duty de minimis threshold (empty: duty from the first unit)")),
    ("tax_threshold", _("VAT/GST threshold (empty: tax from the first unit)")),
    ("flat_duty_per_hs6", _("Flat duty per distinct 6-digit HS subheading (empty: none)")),
    ("flat_duty_max_value", _("Highest consignment value for the flat duty")),
    ("deferred_ceiling", _("Highest value for deferred payment by an intermediary")),
)
AMOUNT_FIELDS = (
    ("fee_per_declaration", _("Fee per declaration")),
    ("fee_per_line", _("Fee per goods line")),
)
RATE_FIELDS = (
    ("vat_standard_rate", _("Standard VAT/GST rate")),
    ("duty_default_rate", _("Default (MFN) duty rate")),
)
TABLE_FIELDS = (
    ("vat_reduced_rates", _("Reduced VAT/GST rates by HS prefix")),
    ("duty_rates", _("Duty rates by HS prefix")),
)
TABLE_HELP = _(
    "One per line: HS prefix (2, 4, 6, 8 or 10 digits), a space, the rate (12% or 0.12)."
)


def _amount(value: str, *, optional: bool) -> str | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        if optional:
            return None
        raise forms.ValidationError(_("An amount is required."))
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise forms.ValidationError(_("Not an amount.")) from None
    if not amount.is_finite() or amount < 0:
        raise forms.ValidationError(_("Not an amount."))
    if amount > MONEY_MAX:  # the assessments derived from it must fit their columns
        raise forms.ValidationError(
            _("At most %(max)s.") % {"max": number_format(MONEY_MAX, force_grouping=True)}
        )
    return str(amount)


def _rate_text(rate: Any) -> str:
    return f"{(Decimal(str(rate)) * 100).normalize():f}%"


def table_text(table: dict[str, Any]) -> str:
    return "\n".join(f"{prefix} {_rate_text(rate)}" for prefix, rate in sorted(table.items()))


def parse_table(text: str) -> dict[str, str]:
    table: dict[str, str] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parts = line.replace(";", " ").replace("\t", " ").split()
        if len(parts) != 2:
            errors.append(_("Line %(n)s: write a prefix and a rate.") % {"n": number})
            continue
        prefix, rate_text = parts
        if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8, 10):
            errors.append(_("Line %(n)s: %(p)s is not an HS prefix.") % {"n": number, "p": prefix})
            continue
        try:
            table[prefix] = str(parse_rate(rate_text))
        except ValueError as exc:
            errors.append(_("Line %(n)s: %(e)s") % {"n": number, "e": exc})
    if errors:
        raise forms.ValidationError(errors)
    return table


class _Dated(forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Declarations received from this day are assessed with the new figures."),
    )
    reason = forms.CharField(label=_("Why (decree, notice...)"), max_length=300)

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The effective date cannot be in the past."))
        return day


def _rounding_choices() -> list[tuple[str, Any]]:
    """The rounding modes in words ("half up", "au plus proche, moitié vers le haut"), the
    stored value being the decimal module's name of the mode."""
    order = [code for code in LABELS if code in ROUNDING_MODES]
    order += sorted(ROUNDING_MODES - set(order))
    return [(mode, capfirst(LABELS.get(mode, mode))) for mode in order]


class RegimeParametersForm(_Dated):
    rounding_quantum = forms.CharField(
        label=_("Rounding quantum"),
        max_length=10,
        help_text=_("1 or 5 times a power of ten of the currency: 0.01, 0.05, 0.1, 1 or 10."),
    )
    rounding_mode = forms.ChoiceField(label=_("Rounding mode"), choices=_rounding_choices)

    def __init__(self, *args: Any, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        # Thresholds as the law states them (in euro for Poland, whose regime is in zloty);
        # national fees in the regime currency.
        currency = spec.get("currency", "")
        in_law_currency = _("in %(currency)s") % {
            "currency": spec.get("threshold_currency") or currency
        }
        for name, label in THRESHOLD_FIELDS:
            self.fields[name] = forms.CharField(
                label=label, required=False, max_length=20, help_text=in_law_currency
            )
            self.initial.setdefault(name, spec.get(name) or "")
        in_currency = _("in %(currency)s") % {"currency": currency}
        for name, label in AMOUNT_FIELDS:
            self.fields[name] = forms.CharField(label=label, max_length=20, help_text=in_currency)
            self.initial.setdefault(name, spec.get(name))
        for name, label in RATE_FIELDS:
            self.fields[name] = forms.CharField(label=label, max_length=12, help_text="12% / 0.12")
            self.initial.setdefault(name, _rate_text(spec[name]))
        for name, label in TABLE_FIELDS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 8, "cols": 30}),
                help_text=TABLE_HELP,
            )
            self.initial.setdefault(name, table_text(spec.get(name) or {}))
        self.initial.setdefault("rounding_quantum", spec["rounding_quantum"])
        self.initial.setdefault("rounding_mode", spec["rounding_mode"])
        # Dated fields first, then the figures.
        order = ["effective_from", "reason"]
        self.order_fields(order + [n for n in self.fields if n not in order])

    def clean_rounding_quantum(self):
        quantum = self.cleaned_data["rounding_quantum"].strip().replace(",", ".")
        problem = quantum_error(quantum, self.spec.get("currency", ""))
        if problem:
            raise forms.ValidationError(problem)
        return quantum

    def clean(self):
        data = super().clean()
        for name, _label in THRESHOLD_FIELDS:
            if name in data:
                try:
                    data[name] = _amount(data[name], optional=True)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        for name, _label in AMOUNT_FIELDS:
            if name in data:
                try:
                    data[name] = _amount(data[name], optional=False)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        for name, _label in RATE_FIELDS:
            if name in data:
                try:
                    data[name] = str(parse_rate(data[name]))
                except ValueError as exc:
                    self.add_error(name, str(exc))
        for name, _label in TABLE_FIELDS:
            if name in data:
                try:
                    data[name] = parse_table(data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def changes(self) -> dict[str, Any]:
        """Only the figures that differ from the version edited."""
        names = [n for n, _l in THRESHOLD_FIELDS + AMOUNT_FIELDS + RATE_FIELDS + TABLE_FIELDS]
        names += ["rounding_quantum", "rounding_mode"]
        changes = {}
        for name in names:
            new, old = self.cleaned_data.get(name), self.spec.get(name)
            if name in dict(TABLE_FIELDS):
                same = {k: Decimal(v) for k, v in (new or {}).items()} == {
                    k: Decimal(str(v)) for k, v in (old or {}).items()
                }
            elif new is None or old is None or name.startswith("rounding"):
                same = new == old
            else:
                same = Decimal(str(new)) == Decimal(str(old))
            if not same:
                changes[name] = new
        return changes


class RateChangeForm(_Dated):
    table = forms.ChoiceField(
        label=_("Table"),
        choices=[
            ("duty_rates", _("Duty rate")),
            ("vat_reduced_rates", _("Reduced VAT/GST rate")),
        ],
    )
    hs_prefix = forms.CharField(label=_("HS prefix"), max_length=10)
    rate = forms.CharField(label=_("Rate"), max_length=12, help_text="12% / 0.12")

    def clean_hs_prefix(self):
        prefix = self.cleaned_data["hs_prefix"].strip().replace(".", "")
        if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8, 10):
            raise forms.ValidationError(_("An HS prefix has 2, 4, 6, 8 or 10 digits."))
        return prefix

    def clean_rate(self):
        try:
            return str(parse_rate(self.cleaned_data["rate"]))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class TariffImportForm(_Dated):
    file = forms.FileField(
        label=_("Tariff CSV"), help_text=_("Columns: hs_prefix, rate, description (header row).")
    )
    replace = forms.BooleanField(
        label=_("Replace the whole duty tariff (otherwise the rows override the same prefixes)"),
        required=False,
        initial=True,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            return upload.name, upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class RegistryImportForm(forms.Form):
    file = forms.FileField(
        label=_("Registry CSV"),
        help_text=_("Columns: scheme, number, valid_from, valid_to, holder (header row)."),
    )
    reason = forms.CharField(label=_("Source"), max_length=300)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class RevalueForm(forms.Form):
    reason = forms.CharField(label=_("Why (inspection finding)"), max_length=300)
    # The revision the officer saw (a declaration amended since is revalued again).
    revision = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = []
        for item in items:
            name = f"line_{item.line}"
            self.fields[name] = PlainDecimalField(
                label=_("Line %(line)s value found (declared %(value)s)")
                % {"line": item.line, "value": item.value},
                required=False,
                min_value=Decimal(0),
                max_digits=14,
                decimal_places=2,
            )
            self.lines.append((item.line, name))
        self.order_fields([name for _line, name in self.lines] + ["reason", "revision"])

    def revised_values(self) -> dict[int, Decimal]:
        return {
            line: self.cleaned_data[name]
            for line, name in self.lines
            if self.cleaned_data.get(name) is not None
        }


class ReliefDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("granted", _("Grant: the evidence of export was seen")),
            ("refused", _("Refuse: no evidence of export, tax the goods")),
            ("reopened", _("Reopen the refused claim")),
        ]
    )
    reason = forms.CharField(label=_("Evidence seen, or what is missing"), max_length=300)
    # The revision the officer saw (a declaration amended since is decided again).
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class PaymentForm(forms.Form):
    amount = PlainDecimalField(
        label=_("Amount collected"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    payer = forms.CharField(label=_("Paid by"), max_length=200, required=False)
    reference = forms.CharField(label=_("Receipt or reference"), max_length=120, required=False)
    # The ledger the officer read: the number of its newest entry (0: none). A payment is refused
    # when the ledger changed since (the same form sent twice, or a payment recorded meanwhile),
    # so money collected once is never recorded twice.
    ledger_seen = forms.IntegerField(min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)


class EstimateForm(forms.Form):
    destination = forms.CharField(
        label=_("Destination (country code, e.g. FR)"), max_length=2, required=False
    )
    date = forms.DateField(
        label=_("Date of import (default: today)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    region = forms.CharField(
        label=_("Province of delivery (Canada, e.g. ON): its harmonized sales tax"),
        max_length=3,
        required=False,
    )
    export_date = forms.DateField(
        label=_(
            "Date the parcel was sent (Australia, Canada, United States: sets the exchange rate)"
        ),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    origin_country = forms.CharField(
        label=_("Shipped from (country code, e.g. CN)"), max_length=2, initial="CN"
    )
    category = forms.ChoiceField(
        label=_("What kind of shipment"),
        choices=[
            ("sale_of_goods", _("A purchase")),
            ("gift", _("A gift from a private person")),
            ("returned_goods", _("Returned goods")),
            ("commercial_sample", _("A commercial sample")),
            ("documents", _("Documents")),
            ("other", _("Other")),
        ],
        initial="sale_of_goods",
        required=False,
    )
    buyer = forms.ChoiceField(
        label=_("Bought by"),
        choices=[("consumer", _("A private person")), ("business", _("A business"))],
        initial="consumer",
        required=False,
    )
    buyer_number = forms.CharField(
        label=_("Business VAT, ABN or GST number"), max_length=40, required=False
    )
    transport = forms.ChoiceField(
        label=_("Sent by"),
        choices=[("postal", _("Post")), ("express", _("Express courier")), ("other", _("Other"))],
        initial="express",
        required=False,
    )
    currency = forms.CharField(label=_("Currency of the prices"), max_length=3, initial="EUR")
    shipping_cost = PlainDecimalField(
        label=_("Shipping cost"), min_value=Decimal(0), max_digits=14, decimal_places=2, initial=0
    )
    seller_collects = forms.BooleanField(
        label=_("The seller charged the import VAT at checkout (e.g. IOSS)"), required=False
    )

    def clean_origin_country(self):
        return self.cleaned_data["origin_country"].strip().upper()

    def clean_destination(self):
        return (self.cleaned_data.get("destination") or "").strip().upper()

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def clean_region(self):
        return (self.cleaned_data.get("region") or "").strip().upper()


class EstimateItemForm(forms.Form):
    description = forms.CharField(label=_("What is it?"), max_length=300, required=False)
    hs_code = forms.CharField(label=_("HS code (optional)"), max_length=10, required=False)
    value = PlainDecimalField(
        label=_("Price of the line (all units together)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    quantity = PlainDecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        max_digits=10,
        decimal_places=3,
        initial=1,
        required=False,
    )


# At most 20 rows, also when a request claims more (items-TOTAL_FORMS=5000): Django would otherwise
# build and draw up to max_num + 1000 rows of a public page for one request.
EstimateItemFormSet = forms.formset_factory(
    EstimateItemForm, extra=3, max_num=20, absolute_max=20, validate_max=True
)
