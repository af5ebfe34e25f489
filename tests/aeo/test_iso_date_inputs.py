"""Date inputs carry ISO values whatever the page language: a browser's <input type="date">
accepts only yyyy-mm-dd and shows an empty field for the French dd/mm/yyyy."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django import forms as django_forms
from django.utils import translation

from aeo import forms as aeo_forms
from customs_ecom import views as customs_views
from declarations import forms as declarations_forms
from revenue import forms as revenue_forms

MODULES = (aeo_forms, revenue_forms, declarations_forms, customs_views)


def date_forms():
    found = []
    for module in MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                names = [
                    name
                    for name, field in value.base_fields.items()
                    if isinstance(field.widget, django_forms.DateInput)
                ]
                if names:
                    found.append((value, names))
    return found


def test_there_are_date_forms_to_check():
    assert len(date_forms()) >= 5


@pytest.mark.parametrize("form_class,names", date_forms(), ids=lambda v: getattr(v, "__name__", ""))
def test_date_input_values_are_iso_in_french(form_class, names):
    day = date(2026, 11, 25)
    form = form_class.__new__(form_class)
    django_forms.BaseForm.__init__(form, initial=dict.fromkeys(names, day))
    with translation.override("fr"):
        for name in names:
            html = str(form[name])
            assert 'type="date"' in html
            assert re.search(r'value="2026-11-25"', html), html
