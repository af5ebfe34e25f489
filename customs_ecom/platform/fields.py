"""Form fields shared by the officer pages."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy

from . import bounds

# What a person types as an amount: digits, a decimal point (or the language's separator, when
# the field is localised) and digits; never an exponent ("1e2"), underscores or "Infinity",
# which Python's Decimal would read as another number.
_TYPED_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class PlainDecimalField(forms.DecimalField):
    """A DecimalField that takes a written amount only, as the API's plain-decimal grammar."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            text = str(formats.sanitize_separators(value) if self.localize else value).strip()
            if not _TYPED_DECIMAL.fullmatch(text):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CalendarDateField(forms.DateField):
    """A day for a page's filter or period: one of the years date-times may have (1900 to 2999,
    :func:`bounds.date_in_range`), refused with a message otherwise, so that no page computes a
    midnight, a day after or a period beyond the calendar (years 1 and 9999 answered 500)."""

    default_error_messages = {
        "out_of_range": gettext_lazy("Enter a day of the years %(earliest)s to %(latest)s."),
    }

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not bounds.date_in_range(value):
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"earliest": bounds.EARLIEST_YEAR, "latest": bounds.LATEST_YEAR},
            )
