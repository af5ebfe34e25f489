"""Officer forms: queue filters, saved views, decisions, notes. They validate; services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aeo.models import Operator

from .generated_text import rule_choices
from .models import Channel, Status

DOCUMENT_CHOICES = [
    ("invoice", _("Invoice")),
    ("proof_of_payment", _("Proof of payment")),
    ("licence", _("Licence")),
    ("certificate", _("Certificate")),
    ("product_description", _("Product description")),
    # The evidence a returned goods relief needs (the export declaration, an INF3 form); the
    # operator uploads it as a document of that type.
    ("proof_of_exit", _("Proof of exit")),
]

INSPECTION_KINDS = [
    ("physical", _("Physical examination")),
    ("nii", _("Non-intrusive inspection (scan)")),
]

QUEUE_STATUS_CHOICES = [
    (s.value, s.label) for s in (Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.INSPECTION)
]
# Green and blue ones are in the queue only under an officer's control (models.TRIAGE_CONDITION).
QUEUE_CHANNEL_CHOICES = [
    (c.value, c.label) for c in (Channel.RED, Channel.YELLOW, Channel.BLUE, Channel.GREEN)
]
QUEUE_FILTER_FIELDS = (
    "channel",
    "status",
    "operator",
    "origin",
    "rule",
    "received_from",
    "received_to",
)


class QueueFilterForm(forms.Form):
    """The triage queue's filters; invalid values are reported and ignored, never a 500."""

    channel = forms.ChoiceField(
        choices=[("", _("All"))] + QUEUE_CHANNEL_CHOICES, required=False, label=_("Channel")
    )
    status = forms.ChoiceField(
        choices=[("", _("All"))] + QUEUE_STATUS_CHOICES, required=False, label=_("Status")
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.only("id", "name", "code").order_by("name"),
        required=False,
        empty_label=_("All"),
        label=_("Operator"),
    )
    origin = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        label=_("Origin"),
        widget=forms.TextInput(attrs={"size": 3}),
        error_messages={"invalid": _("Two letters, e.g. CN.")},
    )
    rule = forms.ChoiceField(choices=[("", _("All"))], required=False, label=_("Rule hit"))
    received_from = forms.DateField(
        required=False,
        label=_("Received from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_to = forms.DateField(
        required=False,
        label=_("Received to"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, rule_codes: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All"))] + rule_choices(rule_codes or [])

    def valid_filters(self) -> dict:
        """The filters that validated (a bad one is dropped, with its error shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) for k in QUEUE_FILTER_FIELDS if data.get(k)}


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name of this view"))
    query = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    documents = forms.MultipleChoiceField(
        choices=DOCUMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Documents needed"),
    )
    inspection_kind = forms.ChoiceField(
        choices=INSPECTION_KINDS,
        required=False,
        initial="physical",
        widget=forms.RadioSelect,
        label=_("Inspection kind"),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Note (customs only)"),
    )
    # Irreversible decisions (release, detain, seize, close a case): a reason and a confirmation.
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Reason (kept in the audit trail)"),
    )
    confirm = forms.BooleanField(required=False, label=_("I confirm: this cannot be undone."))
    # The revision the officer saw (the page sends it): a decision on a declaration amended since
    # is refused, so nobody decides on goods they have not read.
    # A decision that does not say which revision it was taken on is refused like a stale one.
    revision = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "required": _(
                "The decision does not say which revision of the declaration you read: open the "
                "consignment again, then decide."
            )
        },
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label=_("New note")
    )
    # The newest note the page showed: the same note sent again from that page (a double click,
    # a reload that posts again) is recorded once.
    notes_seen = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**63 - 1
    )
