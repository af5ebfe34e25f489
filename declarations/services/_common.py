"""What the intake, amendment and manifest services share: a declaration's columns, items and quality
findings from its canonical body, the facts its quality is scored against, and how a resent body is
compared with the stored one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from aeo.models import Operator
from customs_ecom.platform.audit import operator_label
from declarations.messages import stored as stored_message
from declarations.ratedays import eu_customs_rate_day

from ..models import Declaration, DeclarationItem, QualityFinding
from ..normalise import document_key, party_key
from ..quality import QualityContext
from ..rates import RateBook
from ..schemas import body_fingerprint


def _parse_dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return parse_datetime(str(value))


def _columns(canonical: dict[str, Any], rates: RateBook, received: datetime) -> dict[str, Any]:
    items = canonical["items"]
    total = sum((Decimal(str(i["value"])) for i in items), Decimal(0))
    seller = canonical.get("seller") or {}
    consignee = canonical["consignee"]
    scheme = canonical.get("vendor_tax_scheme") or {}
    currency = canonical["currency"]
    return {
        "dataset": canonical["dataset"],
        "category": canonical["category"],
        "transport_mode": canonical.get("transport_mode") or "",
        "transport_document_type": canonical["transport_document"]["type"],
        "transport_document_number": canonical["transport_document"]["number"],
        "transport_document_key": document_key(canonical["transport_document"]["number"]),
        "master_document_key": document_key(
            (canonical.get("master_transport_document") or {}).get("number", "")
        ),
        "country_of_dispatch": canonical["country_of_dispatch"],
        "currency": currency,
        "total_value": total,
        # At the customs rate of the month, as intake's ceiling and the assessment convert.
        "total_value_eur": rates.to_eur(total, currency, eu_customs_rate_day(received.date())),
        "total_gross_mass_kg": Decimal(str(canonical["total_gross_mass_kg"])),
        "packages": int(canonical.get("packages") or 1),
        "item_count": len(items),
        "seller_name": (seller.get("name") or "")[:140],
        "consignee_name": consignee["name"][:140],
        "consignee_country": consignee["address"]["country"],
        "consignee_key": party_key(consignee),
        "tax_scheme": scheme.get("scheme", ""),
        "tax_scheme_number": scheme.get("number", ""),
        "expected_arrival": _parse_dt(canonical.get("expected_arrival")),
    }


def _items(declaration: Declaration, canonical: dict[str, Any]) -> list[DeclarationItem]:
    return [
        DeclarationItem(
            declaration=declaration,
            line=item["line"],
            description=item["description"],
            hs_code=item.get("hs_code") or "",
            quantity=Decimal(str(item["quantity"])) if item.get("quantity") is not None else None,
            unit=item.get("unit") or "H87",
            net_mass_kg=Decimal(str(item["net_mass_kg"]))
            if item.get("net_mass_kg") is not None
            else None,
            value=Decimal(str(item["value"])),
            origin_country=item.get("origin_country") or "",
        )
        for item in canonical["items"]
    ]


def _quality_context(
    canonical: dict[str, Any],
    rates: RateBook,
    received: datetime,
    *,
    benchmarks: Any = None,
    manifests: dict[str, Any] | None = None,
    **extra: Any,
) -> QualityContext:
    """The facts around one declaration. A batch passes the benchmarks and the manifest facts it read
    once for all its declarations, so scoring costs no query per row."""
    rate = rates(canonical["currency"], received.date())
    eur_per_unit = (Decimal(1) / rate) if rate else Decimal(1)
    from ..selectors import manifest_facts_for, value_benchmarks

    number = canonical["transport_document"]["number"]
    return QualityContext(
        received_at=received,
        eur_per_unit=eur_per_unit,
        benchmarks=value_benchmarks() if benchmarks is None else benchmarks,
        manifest=manifests.get(number) if manifests is not None else manifest_facts_for(number),
        **extra,
    )


def _findings(declaration: Declaration, report: Any) -> list[QualityFinding]:
    return [
        QualityFinding(
            declaration=declaration,
            dimension=f.dimension,
            code=f.code,
            pointer=f.pointer[:120],
            detail=f.detail[:400],
            message=stored_message(f.detail),
            penalty=f.penalty,
        )
        for f in report.findings
    ]


def _same_body(stored: str, fingerprint: str, body: object) -> bool:
    """The stored fingerprint is the declaration's (numbers in normal form), or, for declarations
    stored before that form, the hash of the body as it was sent."""
    return stored == fingerprint or (body is not None and stored == body_fingerprint(body))


def _operator_label(operator: Operator) -> str:
    """The audit label of an operator's own action, the same for every action (the audit log's
    Who filter finds them all by the operator's code or name)."""
    return operator_label(operator.code)
