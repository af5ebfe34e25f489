"""The fingerprint normalises exactly the amounts, masses and quantities: the fast path that
copies only the branches holding a decimal gives the same fingerprint as a walk of the whole
validated tree (the reference below), on the example and on varied synthetic traffic."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from decimal import Decimal

from declarations.schemas import (
    DeclarationIn,
    _normalised,
    _with_defaults,
    body_fingerprint,
    canonical_dict,
    declaration_fingerprint,
)
from declarations.synthetic import make_declaration
from tests.examples import DATASET_EXAMPLE


def _reference_merge(as_json, dumped):
    if isinstance(dumped, Decimal):
        return str(_normalised(dumped))
    if isinstance(dumped, dict):
        return {key: _reference_merge(as_json[key], entry) for key, entry in dumped.items()}
    if isinstance(dumped, list):
        return [_reference_merge(j, d) for j, d in zip(as_json, dumped, strict=True)]
    return as_json


def _reference(decl: DeclarationIn) -> str:
    dumped = decl.model_dump(mode="python", exclude_none=True)
    return body_fingerprint(_with_defaults(_reference_merge(canonical_dict(decl), dumped)))


def test_fast_fingerprint_equals_the_full_walk():
    rng = random.Random(7)
    bodies = [copy.deepcopy(DATASET_EXAMPLE)]
    bodies += [
        make_declaration(rng, n, lrn_prefix="FP", received=datetime.now(UTC), items=1 + n % 3)
        for n in range(300)
    ]
    spelt = copy.deepcopy(DATASET_EXAMPLE)  # the same amounts spelt otherwise
    spelt["items"][0]["value"] = "24.0"
    spelt["transport_cost"] = f"{spelt.get('transport_cost', '1.5')}0"
    bodies.append(spelt)
    for body in bodies:
        decl = DeclarationIn.model_validate(body)
        canonical = canonical_dict(decl)
        before = copy.deepcopy(canonical)
        assert declaration_fingerprint(decl, canonical) == _reference(decl)
        assert canonical == before  # the stored form is never touched
