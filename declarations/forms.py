from django import forms
from django.utils.translation import gettext_lazy as _

DOCUMENT_CHOICES = [
    ("invoice", _("Invoice")),
    ("proof_of_payment", _("Proof of payment")),
    ("licence", _("Licence")),
    ("certificate", _("Certificate")),
    ("product_description", _("Product description")),
]


class DecisionForm(forms.Form):
    documents = forms.MultipleChoiceField(
        choices=DOCUMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Documents needed"),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Note (customs only)"),
    )
