"""The API renderer writes what DRF's own JSON renderer writes, only faster."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from customs_ecom.platform.renderers import FastJSONRenderer

fast = FastJSONRenderer()
drf = JSONRenderer()


def test_same_bytes_as_drf_for_the_types_the_api_returns():
    data = ReturnDict(
        {
            "id": 12,
            "lrn": "LRN-é-中",
            "value": Decimal("12.50"),
            "received_at": datetime(2026, 11, 28, 14, 0, 1, 250, tzinfo=UTC),
            "paris": datetime(2026, 11, 28, 15, 0, tzinfo=timezone(timedelta(hours=1))),
            "naive": datetime(2026, 11, 28, 15, 0),
            "day": date(2026, 11, 28),
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "title": gettext_lazy("Body is not valid JSON"),
            "results": ReturnList([{"status": 201, "errors": []}], serializer=None),
            7: "integer key",
            "none": None,
            "flag": True,
        },
        serializer=None,
    )
    assert fast.render(data) == drf.render(data)


def test_line_and_paragraph_separators_are_escaped_as_drf_does():
    data = {"detail": "a\u2028b\u2029c"}
    assert fast.render(data) == drf.render(data)
    assert b"\\u2028" in fast.render(data)


def test_what_orjson_cannot_write_goes_to_drf():
    huge = {"n": 2**80}
    assert fast.render(huge) == drf.render(huge) == b'{"n":1208925819614629174706176}'
    assert fast.render({"a": [1]}, "application/json; indent=2") == drf.render(
        {"a": [1]}, "application/json; indent=2"
    )
    assert fast.render(None) == b""
    with pytest.raises(ValueError):  # DRF's strict JSON refuses infinity; so do we
        fast.render({"v": Decimal("1E+400")})


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.text()
        | st.decimals(allow_nan=False, allow_infinity=False),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_same_document_as_drf_for_any_json_data(data):
    ours, theirs = fast.render(data), drf.render(data)
    assert (json.loads(ours) if ours else None) == (json.loads(theirs) if theirs else None)
