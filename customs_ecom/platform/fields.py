"""Form fields shared by the officer pages."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats

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
