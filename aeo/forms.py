"""Registry forms; views pass their cleaned data to the same services the commands use."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    AEOAuthorisation,
    Operator,
    OperatorIdentifier,
    OperatorLink,
    OperatorRole,
)


class OperatorForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=OperatorRole.choices)
    country = forms.CharField(label=_("Country (ISO 3166 alpha-2)"), max_length=2, required=False)
    eori = forms.CharField(label=_("EORI"), max_length=17, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args, instance: Operator | None = None, **kwargs) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        clash = Operator.objects.filter(code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another operator already has this code."))
        return code

    def clean_country(self) -> str:
        import pycountry

        country = self.cleaned_data["country"].strip().upper()
        if country and pycountry.countries.get(alpha_2=country) is None:
            raise forms.ValidationError(_("Not an ISO 3166 country code."))
        return country

    def clean_eori(self) -> str:
        eori = self.cleaned_data["eori"].strip().upper().replace(" ", "")
        if eori and (len(eori) < 3 or not eori[:2].isalpha() or not eori[2:].isalnum()):
            raise forms.ValidationError(
                _("An EORI is a country code followed by up to 15 characters.")
            )
        return eori


class IdentifierForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Scheme"), choices=OperatorIdentifier.Scheme.choices)
    value = forms.CharField(label=_("Value"), max_length=64)
    issuer = forms.CharField(label=_("Issuer (country or platform)"), max_length=80, required=False)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    function = forms.CharField(label=_("Function"), max_length=80, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relation"), choices=OperatorLink.Kind.choices)
    target = forms.ModelChoiceField(
        label=_("Other operator"), queryset=Operator.objects.only("pk", "name", "code")
    )
    since = forms.DateField(
        label=_("Since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ApplicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Authorisation type"), choices=AEOAuthorisation.Kind.choices)
    note = forms.CharField(
        label=_("Application note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class DecisionForm(forms.Form):
    """A review decision: the reason is kept in the audit trail."""

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    certificate_number = forms.CharField(
        label=_("Certificate number"), max_length=40, required=False
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RecognitionForm(forms.Form):
    partner_country = forms.CharField(label=_("Partner administration (country)"), max_length=2)
    kind = forms.ChoiceField(label=_("Authorisation type"), choices=AEOAuthorisation.Kind.choices)
    certificate_number = forms.CharField(label=_("Partner certificate number"), max_length=40)
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class MutualRecognitionForm(forms.Form):
    partner_country = forms.CharField(label=_("Partner country"), max_length=2)
    partner_name = forms.CharField(label=_("Partner administration"), max_length=120)
    kinds = forms.MultipleChoiceField(
        label=_("Recognised types"),
        choices=AEOAuthorisation.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    valid_from = forms.DateField(
        label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    valid_to = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


class BenefitPolicyForm(forms.Form):
    risk_score_factor = forms.DecimalField(
        label=_("Risk score factor"), min_value=0, max_value=1, max_digits=4, decimal_places=3
    )
    random_rate_factor = forms.DecimalField(
        label=_("Random selection factor"), min_value=0, max_value=1, max_digits=4, decimal_places=3
    )
    deferred_payment = forms.BooleanField(label=_("Deferred payment"), required=False)
    max_batch = forms.IntegerField(label=_("Largest batch"), min_value=1, max_value=100_000)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=50, initial="default")
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    # How many keys the page listed: a key created since refuses this one (the same form sent
    # twice, or the page of a new key reloaded), so no key is issued that nobody was shown.
    keys_seen = forms.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The form does not say which keys you saw: read the page again."),
            "invalid": _("The form does not say which keys you saw: read the page again."),
        },
    )


class ThrottleForm(forms.Form):
    throttle_rate = forms.CharField(
        label=_("Rate limit (e.g. 600/min; empty = platform default)"),
        max_length=20,
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class WebhookForm(forms.Form):
    webhook_url = forms.URLField(
        label=_("Webhook URL (empty to stop deliveries)"), required=False, assume_scheme="https"
    )
    webhook_secret = forms.CharField(
        label=_("Secret (empty keeps the current one, or generates one)"),
        max_length=128,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
