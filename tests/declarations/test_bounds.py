"""One bound per element: the intake contract and the columns that store it agree on every limit,
and a declaration with every element at its bound is stored, read back, amended, listed, assessed
and taxed without a fault (on SQLite here, on PostgreSQL in CI)."""

from __future__ import annotations

import copy
import types
import typing
from decimal import Decimal

import pytest
from django.db import models
from pydantic import BaseModel

from customs_ecom.platform import bounds
from declarations.api_models import ManifestLineIn
from declarations.models import Declaration, DeclarationItem, ManifestLine
from declarations.schemas import DeclarationIn
from tests.declarations.corpus import VALID_DECLARATIONS

# Contract element (dotted path; "items" means every item) -> the column storing it.
STORED = {
    "lrn": Declaration._meta.get_field("lrn"),
    "dataset": Declaration._meta.get_field("dataset"),
    "category": Declaration._meta.get_field("category"),
    "transport_mode": Declaration._meta.get_field("transport_mode"),
    "transport_document.type": Declaration._meta.get_field("transport_document_type"),
    "transport_document.number": Declaration._meta.get_field("transport_document_number"),
    "country_of_dispatch": Declaration._meta.get_field("country_of_dispatch"),
    "currency": Declaration._meta.get_field("currency"),
    "total_gross_mass_kg": Declaration._meta.get_field("total_gross_mass_kg"),
    "packages": Declaration._meta.get_field("packages"),
    "seller.name": Declaration._meta.get_field("seller_name"),
    "consignee.name": Declaration._meta.get_field("consignee_name"),
    "consignee.address.country": Declaration._meta.get_field("consignee_country"),
    "vendor_tax_scheme.scheme": Declaration._meta.get_field("tax_scheme"),
    "vendor_tax_scheme.number": Declaration._meta.get_field("tax_scheme_number"),
    "items.line": DeclarationItem._meta.get_field("line"),
    "items.description": DeclarationItem._meta.get_field("description"),
    "items.hs_code": DeclarationItem._meta.get_field("hs_code"),
    "items.quantity": DeclarationItem._meta.get_field("quantity"),
    "items.unit": DeclarationItem._meta.get_field("unit"),
    "items.net_mass_kg": DeclarationItem._meta.get_field("net_mass_kg"),
    "items.value": DeclarationItem._meta.get_field("value"),
    "items.origin_country": DeclarationItem._meta.get_field("origin_country"),
}
MANIFEST_STORED = {
    "transport_document": ManifestLine._meta.get_field("transport_document_number"),
    "packages": ManifestLine._meta.get_field("packages"),
    "gross_mass_kg": ManifestLine._meta.get_field("gross_mass_kg"),
    "declared_value": ManifestLine._meta.get_field("declared_value"),
}
# Columns derived from bounded elements: the total of one declaration is held to the bound of one
# amount (customs_ecom.platform.bounds.MONEY_MAX), and its value in EUR at any customs rate above 0.1.
DERIVED_MONEY = [
    Declaration._meta.get_field("total_value"),
    Declaration._meta.get_field("total_value_eur"),
]
PG_MAX_INT = 2**31 - 1


def _unwrap(annotation: typing.Any) -> tuple[typing.Any, list[typing.Any]]:
    """The base type and every constraint object of an annotation (through Optional, Annotated)."""
    metadata: list[typing.Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            for entry in extra:
                metadata.append(entry)
                metadata.extend(getattr(entry, "metadata", []))
            annotation = base
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, metadata


def _element(model: type[BaseModel], path: str) -> tuple[typing.Any, list[typing.Any]]:
    head, _, rest = path.partition(".")
    base, metadata = _unwrap(model.model_fields[head].annotation)
    for entry in model.model_fields[head].metadata:
        metadata.append(entry)
        metadata.extend(getattr(entry, "metadata", []))
    if rest:
        return _element(base, rest)
    return base, metadata


def _limit(metadata: list[typing.Any], name: str) -> typing.Any:
    values = [getattr(m, name) for m in metadata if getattr(m, name, None) is not None]
    return min(values) if values else None


def _disagreement(base: typing.Any, metadata: list[typing.Any], column: models.Field) -> str | None:
    if isinstance(column, models.DecimalField):
        digits, places = _limit(metadata, "max_digits"), _limit(metadata, "decimal_places")
        if digits is None or places is None:
            return "the contract sets no digits or scale"
        if places != column.decimal_places:
            return f"scale {places} in the contract, {column.decimal_places} in the column"
        if digits - places > column.max_digits - column.decimal_places:
            return (
                f"{digits - places} integer digits in the contract, "
                f"{column.max_digits - column.decimal_places} in the column"
            )
        return None
    if isinstance(column, models.CharField):
        if typing.get_origin(base) is typing.Literal:
            longest = max(len(choice) for choice in typing.get_args(base))
        else:
            longest = _limit(metadata, "max_length")
            pattern = _limit(metadata, "pattern")
            if longest is None and pattern is not None:
                # Fixed-width code patterns such as ^[A-Z]{2}$ or ^[0-9]{6,10}$.
                widths = [int(n) for n in pattern.replace("}", "{").split("{")[1::2][-1].split(",")]
                longest = max(widths)
        if longest is None:
            return "the contract sets no length"
        if longest > column.max_length:
            return f"{longest} characters in the contract, {column.max_length} in the column"
        return None
    if isinstance(column, models.PositiveIntegerField):
        highest = _limit(metadata, "le")
        if highest is None and base is int:
            return None if column.name == "line" else "the contract sets no maximum"
        if highest is not None and highest > PG_MAX_INT:
            return f"maximum {highest} in the contract, {PG_MAX_INT} in the column"
        return None
    return f"no rule for {type(column).__name__}"


@pytest.mark.parametrize("path", sorted(STORED))
def test_declaration_contract_and_columns_agree(path):
    base, metadata = _element(DeclarationIn, path)
    assert _disagreement(base, metadata, STORED[path]) is None, path


@pytest.mark.parametrize("path", sorted(MANIFEST_STORED))
def test_manifest_contract_and_columns_agree(path):
    base, metadata = _element(ManifestLineIn, path)
    assert _disagreement(base, metadata, MANIFEST_STORED[path]) is None, path


def test_every_text_element_refuses_control_characters():
    """Every string of the contract that a column or the jsonb payload stores carries the check."""
    missing = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            base, metadata = _unwrap(field.annotation)
            metadata += list(field.metadata)
            if isinstance(base, type) and issubclass(base, BaseModel):
                walk(base, f"{prefix}{name}.")
            elif (
                base is str
                and _limit(metadata, "pattern") is None
                and not any(getattr(m, "func", None) for m in metadata)
            ):
                missing.append(prefix + name)

    walk(DeclarationIn, "")
    assert missing == []


def test_derived_totals_hold_the_largest_total():
    for column in DERIVED_MONEY:
        integer_digits = column.max_digits - column.decimal_places
        # The total in its currency, and in EUR at a rate of 0.1 currency units per EUR.
        assert Decimal(10) ** integer_digits > bounds.MONEY_MAX * 10, column.name


def _largest() -> dict:
    """A wco-core declaration with every amount, mass, quantity and text at its bound."""
    body = copy.deepcopy(VALID_DECLARATIONS["wco-core"])
    body["lrn"] = "L" * 35
    body["currency"] = "GBP"  # fewer units per EUR than USD: a larger amount in EUR
    body["transport_document"]["number"] = "T" * 35
    body["seller"]["name"] = "S" * 140
    body["consignee"]["name"] = "C" * 140
    body["order"].pop("payment")
    body["order"]["date"] = "2026-11-20T09:15:00-12:00"
    body["expected_arrival"] = "2026-11-30T06:00:00+14:00"
    body["transport_cost"] = "0"
    body["insurance_cost"] = "0"
    body["total_gross_mass_kg"] = "99999999999.999"
    body["items"][0].update(
        value="99999999999.9999",
        quantity="99999999999.999",
        net_mass_kg="99999999999.998",
        description="D" * 512,
        hs_code="6404110000",
    )
    body["items"][1].update(value="0", quantity="0.001", net_mass_kg="0.001")
    return body


@pytest.mark.django_db
def test_declaration_at_every_bound_is_stored_read_back_assessed_and_taxed(operator_a):
    from revenue.services.assessment import taxes_assess_batch
    from risk.services.assessment import risk_assess_batch

    body = _largest()
    created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.content
    declaration_id = created.json()["id"]

    shown = operator_a.get(f"/api/v1/declarations/{declaration_id}")
    assert shown.status_code == 200, shown.content
    assert Decimal(shown.json()["declaration"]["items"][0]["value"]) == Decimal("99999999999.9999")
    stored = Declaration.objects.get(pk=declaration_id)
    assert stored.total_gross_mass_kg == Decimal("99999999999.999")
    assert stored.items.get(line=1).quantity == Decimal("99999999999.999")

    listed = operator_a.get("/api/v1/declarations", transport_document="T" * 35)
    assert [row["id"] for row in listed.json()["results"]] == [declaration_id]

    risk_assess_batch(declaration_ids=[declaration_id])
    taxes_assess_batch(declaration_ids=[declaration_id])
    taxed = operator_a.get(f"/api/v1/declarations/{declaration_id}")
    assert taxed.status_code == 200, taxed.content
    assert taxed.json()["taxes"] is not None

    amended = copy.deepcopy(body)
    amended["items"][1]["description"] = "E" * 512
    answer = operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", amended)
    assert answer.status_code in (200, 409), answer.content

    manifest = operator_a.post(
        "/api/v1/manifests",
        {
            "lines": [
                {
                    "transport_document": "T" * 35,
                    "packages": 9999,
                    "gross_mass_kg": "99999999999.999",
                    "declared_value": "99999999999.9999",
                }
            ]
        },
    )
    assert manifest.status_code in (201, 403), manifest.content


@pytest.mark.django_db
def test_batch_item_that_cannot_be_stored_is_its_own_422(operator_a, monkeypatch):
    """Defence in depth: were a row to fail in the database, it is that item's 422 and the
    others are stored."""
    from declarations.services import intake

    real_items = intake._items

    def failing_items(declaration, canonical):
        if canonical["lrn"] == "POISON-1":
            raise ArithmeticError("a row the database refuses")
        return real_items(declaration, canonical)

    monkeypatch.setattr(intake, "_items", failing_items)
    good = copy.deepcopy(VALID_DECLARATIONS["eu-h7"])
    poison = copy.deepcopy(good)
    poison["lrn"] = "POISON-1"
    poison["transport_document"]["number"] = "POISON0001"  # a parcel of its own
    response = operator_a.post("/api/v1/declarations/batch", {"declarations": [poison, good]})
    assert response.status_code == 200, response.content
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and first["http_status"] == 422
    assert [e["code"] for e in first["errors"]] == ["not_storable"]
    assert second["status"] == "accepted"
    assert list(Declaration.objects.values_list("lrn", flat=True)) == [good["lrn"]]
