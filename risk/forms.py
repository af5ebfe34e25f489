"""Analyst and officer forms for risk. Rule parameters are validated by the rule's own pydantic
model, and its errors are shown on the field they concern."""

from __future__ import annotations

import json
from decimal import Decimal
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from django import forms
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ValidationError

from declarations.messages import Message, render

from .models import InspectionOutcome
from .rules import RULES
from .watchlist_formats import FORMAT_LABELS

CHANNEL_CHOICES = [
    ("", _("none")),
    ("green", _("Green (stated: no minimum)")),
    ("blue", _("Blue")),
    ("yellow", _("Yellow")),
    ("red", _("Red")),
]


class LinesField(forms.CharField):
    """A list of words or codes, one per line."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40, "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(str(v) for v in value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class MappingField(forms.CharField):
    """A mapping written one entry per line: ``key = value`` (or ``key: a, b`` for lists)."""

    widget = forms.Textarea(attrs={"rows": 5, "cols": 60, "spellcheck": "false"})

    def __init__(self, *args: Any, list_values: bool = False, **kwargs: Any) -> None:
        self.list_values = list_values
        self.separator = ":" if list_values else "="
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if self.list_values:
            return "\n".join(f"{k}: {', '.join(map(str, v))}" for k, v in value.items())
        return "\n".join(f"{k} = {v}" for k, v in value.items())

    def to_python(self, value: Any) -> dict[str, Any]:
        text = super().to_python(value) or ""
        out: dict[str, Any] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, found, rest = line.partition(self.separator)
            if not found or not key.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write “key %(sep)s value”.")
                    % {"n": number, "sep": self.separator}
                )
            rest = rest.strip()
            if key.strip() in out:
                # A second line for the same key would silently replace the first.
                raise forms.ValidationError(
                    _("Line %(n)s: “%(key)s” is already given on an earlier line.")
                    % {"n": number, "key": key.strip()}
                )
            out[key.strip()] = (
                [v.strip() for v in rest.split(",") if v.strip()] if self.list_values else rest
            )
        return out


class RecordsField(forms.CharField):
    """A list of small records, one per line, columns separated by ``|``; a column holding a
    list takes comma-separated values."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false"})

    def __init__(self, *args: Any, model: type[BaseModel], **kwargs: Any) -> None:
        self.model = model
        self.columns = list(model.model_fields)
        self.list_columns = {
            name for name, info in model.model_fields.items() if get_origin(info.annotation) is list
        }
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        lines = []
        for record in value:
            data = record.model_dump() if isinstance(record, BaseModel) else dict(record)
            cells = []
            for name in self.columns:
                cell = data.get(name, "")
                cells.append(", ".join(map(str, cell)) if isinstance(cell, list) else str(cell))
            lines.append(" | ".join(cells))
        return "\n".join(lines)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        text = super().to_python(value) or ""
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in line.split("|")]
            if len(cells) != len(self.columns):
                raise forms.ValidationError(
                    _("Line %(n)s: %(k)s columns expected (%(names)s), %(g)s found.")
                    % {
                        "n": number,
                        "k": len(self.columns),
                        "names": " | ".join(self.columns),
                        "g": len(cells),
                    }
                )
            record: dict[str, Any] = {}
            for name, cell in zip(self.columns, cells, strict=True):
                record[name] = (
                    [v.strip() for v in cell.split(",") if v.strip()]
                    if name in self.list_columns
                    else cell
                )
            records.append(record)
        return records


def _optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


# The parameters of the rules' pydantic models (risk/rules.py) in words; a parameter added
# without a label here reads as its name with spaces.
PARAM_LABELS: dict[str, Any] = {
    "score": _("Score"),
    "business_identifier_schemes": _("Business identifier schemes"),
    "categories": _("Categories"),
    "ceiling_eur": _("Ceiling (EUR)"),
    "check_name_markers": _("Look for business markers in names"),
    "countries": _("Countries"),
    "extra_brands": _("Extra brands"),
    "extra_hints": _("Extra hints"),
    "extra_keywords": _("Extra keywords"),
    "extra_terms": _("Extra terms"),
    "hs_chapters": _("HS chapters"),
    "hs_codes": _("HS codes"),
    "hs_prefix": _("HS prefix"),
    "hs_prefixes": _("HS prefixes"),
    "ioss_ceiling_eur": _("IOSS ceiling (EUR)"),
    "max_unit_value_eur": _("Highest unit value (EUR)"),
    "min_consignments": _("Minimum number of consignments"),
    "min_dq_score": _("Minimum data-quality score"),
    "min_mass_kg": _("Minimum mass (kg)"),
    "min_prior_consignments": _("Minimum number of earlier consignments"),
    "min_samples": _("Minimum number of declarations for a learned median"),
    "postal_datasets": _("Postal datasets"),
    "postal_transport_modes": _("Postal transport modes"),
    "ratio": _("Ratio to the typical value"),
    "reason": _("Reason"),
    "roles": _("Roles"),
    "rules": _("Rules"),
    "score_other_seller": _("Score when another seller uses the number"),
    "score_over_ceiling": _("Score above the ceiling"),
    "score_unknown_number": _("Score for an unknown number"),
    "threshold": _("Name similarity threshold (0-100)"),
    "use_reference": _("Use the reference values"),
    "window_hours": _("Window (hours)"),
}


def _label(name: str) -> str:
    known = PARAM_LABELS.get(name)
    return str(known) if known is not None else gettext(name.replace("_", " ").capitalize())


# Pydantic's error types as sentences in the reader's language; ``%(limit)s`` is the bound the
# error's context gives. Any other type reads as the generic "This value is not valid."
_PROBLEM_SENTENCES: dict[str, Any] = {
    "missing": _("A value is required."),
    "extra_forbidden": _("This element is not expected."),
    "greater_than_equal": _("Enter a number of at least %(limit)s."),
    "greater_than": _("Enter a number greater than %(limit)s."),
    "less_than_equal": _("Enter a number of at most %(limit)s."),
    "less_than": _("Enter a number less than %(limit)s."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "int_type": _("Enter a whole number."),
    "decimal_parsing": _("Enter a number."),
    "decimal_type": _("Enter a number."),
    "float_parsing": _("Enter a number."),
    "float_type": _("Enter a number."),
    "finite_number": _("Enter a number."),
    "bool_parsing": _("Answer yes or no."),
    "bool_type": _("Answer yes or no."),
    "string_too_short": _("Write at least %(limit)s characters."),
    "string_too_long": _("Write at most %(limit)s characters."),
    "string_pattern_mismatch": _("The value is not written in the expected form."),
    "too_short": _("Give at least %(limit)s entries."),
    "too_long": _("Give at most %(limit)s entries."),
    "literal_error": _("Choose one of: %(expected)s."),
    "enum": _("Choose one of: %(expected)s."),
}
_LIMIT_KEYS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def _problem_text(problem: dict[str, Any]) -> str:
    """What is wrong, in the reader's language: the rule's own message for a failed check of
    its model (written in ``declarations.messages``), else the sentence for pydantic's type."""
    context = problem.get("ctx") or {}
    if problem.get("type") == "value_error":
        error = context.get("error")
        cause = error.args[0] if isinstance(error, ValueError) and error.args else error
        text = render(cause, gettext) if isinstance(cause, Message) else str(cause or "")
        return text.rstrip(".") + "."
    template = _PROBLEM_SENTENCES.get(problem.get("type", ""))
    if template is None:
        return gettext("This value is not valid.")
    limit = next((context[key] for key in _LIMIT_KEYS if key in context), "")
    values = {"limit": number_text(limit), "expected": context.get("expected", "")}
    return str(template) % values


def problem_sentence(problem: dict[str, Any], where: tuple[Any, ...]) -> str:
    """A pydantic error as a sentence naming where it is, inside the field it is shown on:
    "Countries, entry 1: countries must be ISO 3166-1 alpha-2 codes (...)" for the countries
    of the first record; the sentence alone when the error is the field's own."""
    parts = []
    for part in reversed(where):
        if isinstance(part, int):
            parts.append(gettext("entry %(n)s") % {"n": part + 1})
        elif part in PARAM_LABELS:
            parts.append(str(PARAM_LABELS[part]))
        else:
            parts.append(f"“{part}”")
    text = _problem_text(problem)
    if not parts:
        return capfirst(text)
    if text[:1].isupper() and text[1:2].islower():  # "The value ...", not "HS prefixes ..."
        text = text[0].lower() + text[1:]
    return gettext("%(where)s: %(problem)s") % {
        "where": capfirst(", ".join(parts)),
        "problem": text,
    }


def number_text(value: Any) -> str:
    """A bound as the reader writes numbers (0,5 in French)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return formats.number_format(value, use_l10n=True)


def _field_for(name: str, info: Any, initial: Any) -> forms.Field:
    """A typed form field for one parameter of a rule's pydantic model."""
    annotation, optional = _optional(info.annotation)
    label = _label(name)
    help_text = info.description or ""
    origin, args = get_origin(annotation), get_args(annotation)
    if name == "min_channel":
        return forms.ChoiceField(
            label=_("Minimum channel"), choices=CHANNEL_CHOICES, required=False, initial=initial
        )
    if annotation is bool:
        return forms.BooleanField(label=label, required=False, initial=initial)
    if annotation is int:
        return forms.IntegerField(label=label, initial=initial, help_text=help_text)
    if annotation is float:
        return forms.FloatField(label=label, initial=initial, help_text=help_text)
    if annotation is Decimal:
        return forms.DecimalField(label=label, initial=initial, help_text=help_text)
    if annotation is str:
        return forms.CharField(label=label, initial=initial, required=False)
    if origin is Literal:
        choices = [(str(a), gettext(str(a))) for a in args]
        if optional:
            choices.insert(0, ("", _("none")))
        return forms.ChoiceField(
            label=label, choices=choices, required=not optional, initial=initial
        )
    if origin is list and args and get_origin(args[0]) is Literal:
        return forms.MultipleChoiceField(
            label=label,
            choices=[(str(a), gettext(str(a))) for a in get_args(args[0])],
            widget=forms.CheckboxSelectMultiple,
            required=False,
            initial=initial,
        )
    if origin is list and args and args[0] is str:
        return LinesField(
            label=label,
            required=False,
            initial=initial,
            help_text=help_text or _("One per line."),
        )
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        columns = " | ".join(_label(c) for c in args[0].model_fields)
        return RecordsField(
            label=label,
            model=args[0],
            required=False,
            initial=initial,
            help_text=_("One per line: %(columns)s (lists separated by commas).")
            % {"columns": columns},
        )
    if origin is dict and len(args) == 2 and args[0] is str:
        list_values = get_origin(args[1]) is list
        return MappingField(
            label=label,
            required=False,
            initial=initial,
            list_values=list_values,
            help_text=_("One per line: “key: value, value”.")
            if list_values
            else _("One per line: “key = value”."),
        )
    # Any other shape (none in the library today) is edited as JSON.
    return forms.CharField(
        label=f"{label} (JSON)",
        initial=json.dumps(initial, ensure_ascii=False, indent=1),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "spellcheck": "false"}),
        help_text=help_text,
    )


# Parameters the rule page never leaves empty: a rule of four eyes is switched off by its
# ``enabled`` tick (a change the supervisor sees), not by a list that leaves it nothing to look
# at. Checked here rather than in the rule's model, so that versions stored before still load.
NEVER_EMPTY = {"watchlist_screening": ("roles",)}


class RuleForm(forms.Form):
    """One rule: enabled, and each parameter of its pydantic model (score included)."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    note = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=500)

    def __init__(self, *args: Any, code: str, current: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = RULES[code]
        self.json_fields: set[str] = set()
        params = current.get("params") or {}
        self.fields["enabled"].initial = bool(current.get("enabled", True))
        defaults = self.rule.params_model().model_dump(mode="json")
        for name, info in self.rule.params_model.model_fields.items():
            initial = params.get(name, defaults.get(name))
            field = _field_for(name, info, initial)
            if field.label.endswith("(JSON)"):
                self.json_fields.add(name)
            self.fields[name] = field
        self.order_fields(["enabled", "score", "min_channel"])

    def param_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.rule.params_model.model_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        params: dict[str, Any] = {}
        for name in self.rule.params_model.model_fields:
            if name not in data:
                continue  # already has a field error
            value = data[name]
            if name in self.json_fields:
                try:
                    value = json.loads(value or "null")
                except json.JSONDecodeError as error:
                    self.add_error(name, _("Not valid JSON: %(e)s") % {"e": error.msg})
                    continue
            if name == "min_channel":
                value = value or None
            if isinstance(value, Decimal):
                value = str(value)
            params[name] = value
        if self.errors:
            return data
        try:
            model = self.rule.params_model.model_validate(params)
        except ValidationError as error:
            for problem in error.errors():
                loc = problem["loc"]
                target = loc[0] if loc and loc[0] in self.fields else None
                self.add_error(target, problem_sentence(problem, loc[1:] if target else loc))
            return data
        data["params"] = model.model_dump(mode="json")
        for name in NEVER_EMPTY.get(self.rule.code, ()):
            if not data["params"].get(name):
                self.add_error(name, _PROBLEM_SENTENCES["too_short"] % {"limit": number_text(1)})
        return data


class PolicyForm(forms.Form):
    """Channel thresholds, random and target rates (as percentages), AEO factors, effective date."""

    threshold_blue = forms.IntegerField(label=_("Blue from score"), min_value=1, max_value=100)
    threshold_yellow = forms.IntegerField(label=_("Yellow from score"), min_value=1, max_value=100)
    threshold_red = forms.IntegerField(label=_("Red from score"), min_value=1, max_value=100)
    random_yellow = forms.DecimalField(
        label=_("Random yellow (%)"), min_value=0, max_value=100, decimal_places=3
    )
    random_red = forms.DecimalField(
        label=_("Random red (%)"), min_value=0, max_value=100, decimal_places=3
    )
    target_blue = forms.DecimalField(
        label=_("Target blue (%)"), min_value=0, max_value=100, decimal_places=3
    )
    target_yellow = forms.DecimalField(
        label=_("Target yellow (%)"), min_value=0, max_value=100, decimal_places=3
    )
    target_red = forms.DecimalField(
        label=_("Target red (%)"), min_value=0, max_value=100, decimal_places=3
    )
    aeo_score_factor = forms.DecimalField(
        label=_("AEO score factor (default when the registry gives none)"),
        min_value=0,
        max_value=1,
        decimal_places=3,
    )
    aeo_random_factor = forms.DecimalField(
        label=_("AEO random factor (default when the registry gives none)"),
        min_value=0,
        max_value=1,
        decimal_places=3,
    )
    effective_from = forms.DateTimeField(
        label=_("Effective from (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    note = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=500)

    @staticmethod
    def initial_from(policy: dict[str, Any], effective_from: Any) -> dict[str, Any]:
        def pct(value: Any) -> Decimal:
            return (Decimal(str(value)) * 100).normalize()

        random_rates = policy.get("random_rates") or {}
        targets = policy.get("target_rates") or {}
        return {
            **{f"threshold_{c}": policy["thresholds"][c] for c in ("blue", "yellow", "red")},
            "random_yellow": pct(random_rates.get("yellow", 0)),
            "random_red": pct(random_rates.get("red", 0)),
            **{f"target_{c}": pct(targets.get(c, 0)) for c in ("blue", "yellow", "red")},
            "aeo_score_factor": policy.get("aeo_score_factor"),
            "aeo_random_factor": policy.get("aeo_random_factor"),
            "effective_from": timezone.localtime(effective_from).strftime("%Y-%m-%dT%H:%M"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        from .services.rulesets import policy_from_dict

        def rate(name: str) -> float:
            return float(data[name] / 100)

        policy = {
            "thresholds": {c: data[f"threshold_{c}"] for c in ("blue", "yellow", "red")},
            "random_rates": {"yellow": rate("random_yellow"), "red": rate("random_red")},
            "target_rates": {c: rate(f"target_{c}") for c in ("blue", "yellow", "red")},
            "aeo_score_factor": str(data["aeo_score_factor"]),
            "aeo_random_factor": str(data["aeo_random_factor"]),
        }
        try:
            policy_from_dict(policy)
        except ValueError as error:
            message = str(error)
            kind = message.split(":", 1)[0]
            # The policy's own check, in the reader's language and in the form's percentages
            # (each field is already within its limits: what is left is the order or the sum).
            sentences = {
                "thresholds": _(
                    "The scores must rise from blue to yellow to red (0 < blue ≤ yellow ≤ red ≤ "
                    "100); given: %(blue)s, %(yellow)s, %(red)s."
                )
                % {c: data[f"threshold_{c}"] for c in ("blue", "yellow", "red")},
                "random_rates": _("The random rates together may not exceed 100 %."),
                "target_rates": _("The target rates together may not exceed 100 %."),
            }
            field = {
                "thresholds": "threshold_red",
                "random_rates": "random_red",
                "target_rates": "target_red",
            }.get(kind)
            self.add_error(field, sentences.get(kind, message))
            return data
        data["policy"] = policy
        return data


class BacktestForm(forms.Form):
    days = forms.IntegerField(label=_("Replay the last N days"), min_value=1, max_value=365)


class OutcomeForm(forms.Form):
    result = forms.ChoiceField(label=_("Finding"), choices=InspectionOutcome.Result.choices)
    revised_value_eur = forms.DecimalField(
        label=_("Revised value (EUR)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The revision the officer checked (a declaration amended since is checked again).
    revision = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    # The newest outcome the page showed (0: none): one recorded since refuses this one, so the
    # same form sent twice records one outcome.
    outcome_seen = forms.IntegerField(min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("result") == InspectionOutcome.Result.UNDERVALUATION and (
            data.get("revised_value_eur") is None
        ):
            self.add_error("revised_value_eur", _("Give the revised value for undervaluation."))
        return data


class WatchlistImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: name, aliases, country, address, identifiers, list, reason "
            "(aliases and identifiers separated by ';')."
        ),
    )
    reason = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=300)

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file must be UTF-8 text.")) from None


class FalsePositiveForm(forms.Form):
    entry_id = forms.IntegerField(widget=forms.HiddenInput)
    party_key = forms.CharField(max_length=300, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why is this not the listed party?"), max_length=300)


def _published_list_formats() -> list[tuple[str, Any]]:
    """The formats the parsers read, named as they name them (in the reader's language)."""
    return [(code, _(label)) for code, label in FORMAT_LABELS.items()]


class PublishedListForm(forms.Form):
    """An update of a published screening list (issue 17): format, list, file, provenance."""

    format = forms.ChoiceField(label=_("Format"), choices=_published_list_formats)
    list_name = forms.SlugField(
        label=_("List"),
        max_length=60,
        help_text=_(
            "The same list name on every update, so entries and cleared matches carry over."
        ),
    )
    file = forms.FileField(label=_("File as published"))
    source_url = forms.URLField(
        label=_("Where it was downloaded"), required=False, max_length=300, assume_scheme="https"
    )
    reason = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=300)

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > 200 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload.read()


class WithdrawalDecisionForm(forms.Form):
    """A second person's decision on entries an update no longer lists."""

    decision = forms.ChoiceField(
        choices=[
            ("confirm", _("Confirm the withdrawal")),
            ("reject", _("Reject: keep them listed")),
        ]
    )
    reason = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=300)


class ReferenceValuesForm(forms.Form):
    """A replacement of the reference table (issue 17), in the shipped file's shape."""

    file = forms.FileField(
        label=_("Reference values (CSV)"),
        help_text=_(
            "Columns: hs_code, basis (per_kg or per_unit), keywords (';'-separated, per_unit "
            "only), value_eur, source, as_of (YYYY-MM-DD), note. The file replaces the whole table."
        ),
    )
    reason = forms.CharField(label=_("Why (recorded in the audit trail)"), max_length=300)

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file must be UTF-8 text.")) from None
