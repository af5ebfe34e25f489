"""Learned reference values for data quality and risk (filled in by the intake work); the foundation
ships neutral defaults so that every caller already goes through these functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def learned_value_benchmarks() -> Mapping[str, Any]:
    """HS level -> ValueBenchmark learned from accepted history. Empty until history exists."""
    return {}


def manifest_facts(transport_document_number: str) -> Any:
    """Carrier manifest facts for a transport document (second source); none in the foundation."""
    return None
