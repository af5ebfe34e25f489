"""Pydantic shapes of the revenue API's bodies and answers, for the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from declarations.schemas import plain_decimal


class PaymentIn(BaseModel):
    """An intermediary's payment of a declaration's border amount, or of a deferred statement."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"declaration_id": 812, "amount": "12.40", "currency": "EUR", "reference": "PAY-1"}
            ]
        },
    )

    declaration_id: int | None = Field(
        default=None, description="Pay this declaration's border amount."
    )
    statement_id: int | None = Field(default=None, description="Or pay this deferred statement.")
    amount: Annotated[Decimal, plain_decimal(2), Field(gt=0, max_digits=13, decimal_places=2)] = (
        Field(description="A positive decimal (string or number) with at most two decimal places.")
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reference: str | None = Field(default=None, max_length=120)
    payer: str | None = Field(default=None, max_length=200)


class PaymentOut(BaseModel):
    id: int
    declaration_id: int | None
    statement_id: int | None
    amount: str
    currency: str
    reference: str
    recorded_at: str


class EstimateRegimeOut(BaseModel):
    code: str
    version: int
    name: str
    jurisdiction: str
    sample_rates: bool
    valid_from: str = Field(description="First day of the version (ISO date), inclusive.")
    valid_to: str | None = Field(
        description="Last day of the version (ISO date), inclusive; null: open-ended."
    )
    timezone: str = Field(description="The regime's IANA time zone, in which its days are read.")


class EstimateItemOut(BaseModel):
    line: int
    hs_code_used: str | None
    classification: str
    origin_country: str = Field(
        description="The item's country of origin: its own origin_country, else the basket's."
    )


class EstimateLineOut(BaseModel):
    tax_type: str
    item_line: int | None
    basis: str
    basis_unit: str | None = Field(
        default=None,
        description="What the basis counts (tariff_code, postal_item, entry, declaration, line, "
        "consignment), the rate being an amount per unit; null: the basis is money and the rate "
        "a fraction of it.",
    )
    rate: str | None
    amount: str
    payer: str
    collection_model: str
    collection_channel: str = Field(
        description="How customs receives the amount: border, deferred_statement or scheme_return."
    )
    reason: str


class EstimateOut(BaseModel):
    """A duty, tax and fee estimate; nothing is stored."""

    regime: EstimateRegimeOut
    category: str
    buyer: str
    transport: str = Field(description="postal, express or other.")
    origin_country: str
    region: str | None = None
    date: str
    export_date: str | None = None
    currency: str
    exchange_rate: str
    exchange_rate_rule: str
    exchange_rate_fixed_on: str
    exchange_rate_published_on: str = Field(
        description="The day the rate used was published (the last publication on or before "
        "the day the rule fixes)."
    )
    exchange_rate_stale: bool = Field(
        description="The rate was published more than the regime allows before that day."
    )
    collection_model: str
    items: list[EstimateItemOut]
    lines: list[EstimateLineOut]
    totals: dict[str, str]
    you_pay_on_delivery: str
    charged_at_checkout: str
    due_from_declarant: str = Field(
        description="What the carrier, post or other declarant owes customs for the basket."
    )
    explanation: list[str]
    stored: bool
