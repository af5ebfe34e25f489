"""Reference dataset profiles: which elements are mandatory and which business rules apply.

A profile is data, not code (dataset.md): a table of element rules plus the names and parameters
of the business rules to run, so an administration can add or tighten a profile without a
release. The three profiles of the contract ship in ``declarations/data/profiles.json``.

Element rules are keyed by a JSON Pointer pattern in which ``*`` stands for any list index
(``/items/*/quantity``) and valued:

- ``"M"``: mandatory whenever its parent element is present (so ``/seller/name`` is mandatory in
  every declaration that has a seller, and ``/seller`` decides whether a seller must be sent);
- ``"O"``: optional;
- ``"C:<condition>"``: mandatory when the named condition holds (see :data:`CONDITIONS`).

A few elements are mandatory in every profile because the engine cannot work without them (the
reference, the profile selector, the category, the currency and the items); a profile cannot
relax them. Neither can it relax the two halves of a pair (``transport_document`` needs ``type``
and ``number``), which the contract itself requires.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from declarations.errors import Problem

COMMERCIAL_CATEGORIES = frozenset({"sale_of_goods", "commercial_sample", "returned_goods"})


def _category_is_sale(root: Mapping[str, Any]) -> bool:
    return root.get("category") == "sale_of_goods"


def _category_is_commercial(root: Mapping[str, Any]) -> bool:
    category = root.get("category")
    return isinstance(category, str) and category in COMMERCIAL_CATEGORIES


# Condition name -> (human wording used in error details, predicate on the submitted body).
# Predicates read the raw body because they run in the shape layer, before it is known to be valid.
CONDITIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], bool]]] = {
    "commercial_sale": ("when category is sale_of_goods", _category_is_sale),
    "commercial": (
        "when category is sale_of_goods, commercial_sample or returned_goods",
        _category_is_commercial,
    ),
}

# Business rules the engine implements (declarations.schemas), with the parameters they read.
RULES: dict[str, str] = {
    "unique_lines": "item line numbers are unique and between 1 and the number of items",
    "net_mass_within_gross": "the sum of item net masses does not exceed the total gross mass",
    "payment_consistent": (
        "the payment amount, in the declaration currency, matches the declared values "
        "(params payment_tolerance_ratio, payment_tolerance_min)"
    ),
    "value_ceiling": (
        "the total intrinsic value converted to EUR does not exceed params value_ceiling_eur"
    ),
    "excise_excluded": "no item's HS code starts with one of params excise_hs_prefixes",
    "postal_item_required": "the transport document is a postal item (UPU S10 identifier)",
    "commercial_items_classified": "commercial items carry an HS code and a country of origin",
}

_PARTY_ELEMENTS = (
    "",
    "/name",
    "/address",
    "/address/street",
    "/address/city",
    "/address/postcode",
    "/address/country",
    "/email",
    "/phone",
    "/identifiers",
)

# Every element of the contract that a profile may classify (dataset.md, element tables).
ELEMENT_PATHS: frozenset[str] = frozenset(
    [
        "/lrn",
        "/dataset",
        "/category",
        "/transport_document",
        "/master_transport_document",
        "/transport_mode",
        "/country_of_dispatch",
        "/expected_arrival",
        "/order",
        "/order/number",
        "/order/date",
        "/order/platform",
        "/order/url",
        "/order/payment",
        "/order/payment/transaction_id",
        "/order/payment/provider",
        "/order/payment/amount",
        "/order/payment/currency",
        "/vendor_tax_scheme",
        "/currency",
        "/transport_cost",
        "/insurance_cost",
        "/total_gross_mass_kg",
        "/packages",
        "/self_assessed_taxes",
        "/documents",
        "/items",
        "/items/*/line",
        "/items/*/description",
        "/items/*/hs_code",
        "/items/*/quantity",
        "/items/*/unit",
        "/items/*/net_mass_kg",
        "/items/*/value",
        "/items/*/origin_country",
        "/items/*/product_url",
        "/items/*/seller_sku",
    ]
    + [
        f"/{party}{suffix}"
        for party in ("seller", "sender", "consignee", "buyer")
        for suffix in _PARTY_ELEMENTS
    ]
)

CONTRACT_REQUIRED: frozenset[str] = frozenset(
    {"/lrn", "/dataset", "/category", "/currency", "/items"}
)

# The free texts among them: when a profile makes one mandatory, a text of only whitespace
# (spaces, tabs, line breaks, no-break spaces and the other Unicode spaces) is refused like an
# empty one (dataset.md, "Texts"). Codes, amounts, dates, e-mail addresses and phone numbers have
# formats of their own that refuse whitespace already.
TEXT_ELEMENTS: frozenset[str] = frozenset(
    [
        "/order/number",
        "/order/platform",
        "/order/payment/transaction_id",
        "/order/payment/provider",
        "/items/*/description",
        "/items/*/seller_sku",
    ]
    + [
        f"/{party}{suffix}"
        for party in ("seller", "sender", "consignee", "buyer")
        for suffix in ("/name", "/address/street", "/address/city", "/address/postcode")
    ]
)


# A compiled requirement tree: key -> (requirement, subtree, is a free text). Requirement is
# "M", "O" or the condition name; the key "*" applies the subtree to every entry of a list.
_Tree = dict[str, tuple[str, "_Tree", bool]]


def _compile(elements: Mapping[str, str]) -> _Tree:
    tree: _Tree = {}
    for path, requirement in elements.items():
        node = tree
        segments = path[1:].split("/")
        for depth, segment in enumerate(segments):
            last = depth == len(segments) - 1
            current, children, text = node.get(segment, ("O", {}, False))
            node[segment] = (
                requirement if last else current,
                children,
                path in TEXT_ELEMENTS if last else text,
            )
            node = children
    return _prune(tree)


def _prune(tree: _Tree) -> _Tree:
    """Drop subtrees with nothing mandatory in them, so optional parts of a body cost nothing."""
    pruned: _Tree = {}
    for key, (requirement, children, text) in tree.items():
        kept = _prune(children)
        if requirement != "O" or kept:
            pruned[key] = (requirement, kept, text)
    return pruned


def _blank(value: Any) -> bool:
    # str.isspace: every Unicode space (no-break, em, ideographic...), tabs and line breaks.
    return isinstance(value, str) and value.isspace()


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


PROFILE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,34}")


@dataclass(frozen=True)
class ProfileSpec:
    """One reference dataset profile: element rules, business rules and their parameters."""

    code: str
    version: int
    elements: dict[str, str]
    rules: tuple[str, ...]
    params: dict
    title: str = ""
    _tree: _Tree = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if not PROFILE_CODE.fullmatch(self.code):
            # A declaration selects its profile by `dataset` (1 to 35 characters): a code it
            # cannot name, or the column cannot hold, would publish a profile nothing can use.
            problems.append("the code must be 1 to 35 letters, digits, '.', '_' or '-'")
        for path, requirement in self.elements.items():
            if path not in ELEMENT_PATHS:
                problems.append(f"unknown element {path!r}")
            elif requirement not in ("M", "O") and not (
                requirement.startswith("C:") and requirement[2:] in CONDITIONS
            ):
                problems.append(f"{path}: requirement {requirement!r} is not M, O or C:<condition>")
            elif path in CONTRACT_REQUIRED and requirement != "M":
                problems.append(f"{path} is mandatory in every profile")
        problems.extend(f"unknown rule {rule!r}" for rule in self.rules if rule not in RULES)
        if problems:
            raise ValueError(f"profile {self.code!r}: " + "; ".join(problems))
        requirements = {
            path: requirement.removeprefix("C:") for path, requirement in self.elements.items()
        }
        object.__setattr__(self, "_tree", _compile(requirements))

    @classmethod
    def from_dict(cls, d: dict) -> "ProfileSpec":
        """Build a profile from its JSON form; raises ValueError if it names unknown things."""
        return cls(
            code=str(d["code"]),
            version=int(d["version"]),
            elements=dict(d["elements"]),
            rules=tuple(d.get("rules", ())),
            params=dict(d.get("params", {})),
            title=str(d.get("title", "")),
        )

    def to_dict(self) -> dict:
        """The JSON form of the profile, as read by :meth:`from_dict`."""
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "elements": dict(self.elements),
            "rules": list(self.rules),
            "params": dict(self.params),
        }

    def missing_elements(self, body: Mapping[str, Any]) -> list[Problem]:
        """Problems ("required") for every element this profile demands that ``body`` lacks (or
        sends as null), and ("string_too_short") for every free text it demands that ``body``
        sends as whitespace only, as an empty text is refused.

        Tolerates any shape: where the body has the wrong type the shape validator reports it.
        """
        active = {name: predicate(body) for name, (_, predicate) in CONDITIONS.items()}
        problems: list[Problem] = []
        self._walk(self._tree, body, "", active, problems)
        return problems

    def _walk(
        self, tree: _Tree, value: Any, pointer: str, active: dict, problems: list[Problem]
    ) -> None:
        # Runs for every element of every declaration: pointers are built only for a problem or
        # a subtree to enter, never for the (many) elements that are simply present.
        for key, (requirement, children, text) in tree.items():
            if key == "*":
                if isinstance(value, list):
                    for index, entry in enumerate(value):
                        self._walk(children, entry, f"{pointer}/{index}", active, problems)
                continue
            if not isinstance(value, dict):
                return
            child = value.get(key)
            if child is None:
                if requirement == "M":
                    child_pointer = f"{pointer}/{_escape(key)}"
                    problems.append(
                        Problem(
                            child_pointer,
                            "required",
                            f"{child_pointer} is mandatory in profile {self.code}",
                        )
                    )
                elif requirement != "O" and active[requirement]:
                    child_pointer = f"{pointer}/{_escape(key)}"
                    problems.append(
                        Problem(
                            child_pointer,
                            "required",
                            f"{child_pointer} is mandatory in profile {self.code} "
                            f"{CONDITIONS[requirement][0]}",
                        )
                    )
            elif text and _blank(child) and (requirement == "M" or active.get(requirement)):
                child_pointer = f"{pointer}/{_escape(key)}"
                problems.append(
                    Problem(
                        child_pointer,
                        "string_too_short",
                        f"{child_pointer} is mandatory in profile {self.code} and holds only "
                        f"whitespace ({_shown_blank(child)}): it needs some text",
                    )
                )
            elif children:
                self._walk(children, child, f"{pointer}/{_escape(key)}", active, problems)


def _shown_blank(value: str) -> str:
    shown = json.dumps(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _load_default_profiles() -> list[dict]:
    text = resources.files("declarations").joinpath("data/profiles.json").read_text("utf-8")
    return json.loads(text)["profiles"]


DEFAULT_PROFILES: list[dict] = _load_default_profiles()


def default_profile_specs() -> dict[str, ProfileSpec]:
    """The contract's three profiles (wco-core, eu-h7, upu-cn23) keyed by code."""
    specs = (ProfileSpec.from_dict(d) for d in DEFAULT_PROFILES)
    return {spec.code: spec for spec in specs}
