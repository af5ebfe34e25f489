"""Examples in the published OpenAPI document, one per operator request body (docs/api.md).

The declaration examples are the files of `docs/examples/` that the README posts, read when the
document is generated, so the document, the guide and the tests show the same bytes; the smaller
bodies are written here. A test posts every example and expects it accepted
(tests/customs_ecom/test_openapi_examples.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

EXAMPLES_DIR = Path(settings.BASE_DIR) / "docs" / "examples"

# operation_id -> (summary, file in docs/examples or an inline body)
REQUEST_EXAMPLES: dict[str, tuple[str, str | dict[str, Any]]] = {
    "declarations_create": ("A sale of goods by a marketplace (IOSS)", "declaration.json"),
    "declarations_batch": ("Two declarations in one request", "batch.json"),
    "declarations_amend": ("The same declaration, corrected", "declaration-corrected.json"),
    "declarations_invalidate": ("The buyer cancelled the order", {"reason": "Order cancelled"}),
    "arrivals_create": (
        "A carrier reports arrivals by transport document",
        {"transport_documents": ["1234567890"], "arrived_at": "2026-11-24T22:40:00+01:00"},
    ),
    "manifests_create": (
        "A carrier's manifest line for a transport document",
        {
            "reference": "MAN-2026-11-30-01",
            "lines": [
                {
                    "transport_document": "1234567890",
                    "packages": 1,
                    "gross_mass_kg": "0.450",
                    "declared_value": "47.80",
                    "currency": "EUR",
                    "description": "Cotton T-shirts",
                }
            ],
        },
    ),
    "returns_create": (
        "Goods sent back after release",
        {
            "lrn": "MKT-2026-11-000123",
            "transport_document": {"type": "house_waybill", "number": "7788990011"},
            "reason": "Wrong size",
        },
    ),
    "webhook_set": (
        "Register the endpoint that receives status events",
        {"url": "https://erp.example.com/customs-events", "rotate_secret": False},
    ),
    "estimates_create": (
        "What a consumer in Germany pays for a pair of shoes from China",
        {
            "origin_country": "CN",
            "currency": "EUR",
            "destination": "DE",
            "date": "2026-11-25",
            "items": [{"hs_code": "640411", "description": "Running shoes", "value": "59.90"}],
            "shipping_cost": "4.50",
        },
    ),
}

PROBLEM_EXAMPLES: dict[str, tuple[str, str]] = {
    "declarations_create": (
        "A declaration with two precise errors",
        "declaration-invalid.problem.json",
    ),
}


def _load(source: str | dict[str, Any]) -> Any:
    if isinstance(source, dict):
        return source
    path = EXAMPLES_DIR / source
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # an installation without docs/: the document has no example
        return None


def request_example(operation_id: str) -> Any:
    """The example body of an operation, as published (None when there is none)."""
    entry = REQUEST_EXAMPLES.get(operation_id)
    return None if entry is None else _load(entry[1])


def postprocess_examples(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            operation_id = operation.get("operationId", "")
            entry = REQUEST_EXAMPLES.get(operation_id)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if entry is not None and body is not None:
                value = _load(entry[1])
                if value is not None:
                    body.setdefault("examples", {})["example"] = {
                        "summary": entry[0],
                        "value": value,
                    }
            problem = PROBLEM_EXAMPLES.get(operation_id)
            response = operation.get("responses", {}).get("422", {}).get("content", {})
            if problem is not None and "application/problem+json" in response:
                value = _load(problem[1])
                if value is not None:
                    response["application/problem+json"].setdefault("examples", {})["example"] = {
                        "summary": problem[0],
                        "value": value,
                    }
    return result
