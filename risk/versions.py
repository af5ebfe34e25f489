"""What changed between two rule-set versions, as rows an analyst and a supervisor read.

Pure: two versions' rules, policies and effective dates in, a list of changes out. Parameters
are compared after filling in each rule's defaults, so a version that spells out a default and
one that leaves it implicit do not differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from risk.rules import RULES


@dataclass(frozen=True)
class Change:
    """One difference: where (rule code or "policy"), what (a dotted path), before and after."""

    scope: str
    path: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None and self.after is not None:
            return "added"
        if self.after is None and self.before is not None:
            return "removed"
        return "changed"


def _complete(entry: dict[str, Any]) -> dict[str, Any]:
    rule = RULES.get(entry.get("code", ""))
    params = dict(entry.get("params") or {})
    if rule is not None:
        defaults = rule.params_model().model_dump(mode="json")
        params = {**defaults, **params}
    return {"enabled": bool(entry.get("enabled", True)), "params": params}


def _walk(scope: str, path: str, before: Any, after: Any, out: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _walk(
                scope,
                f"{path}.{key}" if path else str(key),
                before.get(key),
                after.get(key),
                out,
            )
        return
    if _normal(before) != _normal(after):
        out.append(Change(scope, path, before, after))


def _normal(value: Any) -> Any:
    # "0.20" and 0.2 are the same rate; lists compare in order (rule order matters nowhere here,
    # but keyword lists are shown as written).
    if isinstance(value, str):
        try:
            return float(value) if value.strip() and value.replace(".", "", 1).isdigit() else value
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def ruleset_diff(
    before_rules: list[dict[str, Any]],
    before_policy: dict[str, Any],
    after_rules: list[dict[str, Any]],
    after_policy: dict[str, Any],
    *,
    before_effective: Any = None,
    after_effective: Any = None,
) -> list[Change]:
    """Every difference from the first version to the second, rules in library order first."""
    changes: list[Change] = []
    old = {e["code"]: _complete(e) for e in before_rules}
    new = {e["code"]: _complete(e) for e in after_rules}
    order = list(RULES) + sorted((set(old) | set(new)) - set(RULES))
    for code in order:
        if code not in old and code not in new:
            continue
        if code not in old:
            changes.append(Change(code, "rule", None, "added"))
            continue
        if code not in new:
            changes.append(Change(code, "rule", "present", None))
            continue
        _walk(code, "", old[code], new[code], changes)
    _walk("policy", "", before_policy or {}, after_policy or {}, changes)
    if before_effective != after_effective:
        changes.append(Change("policy", "effective_from", before_effective, after_effective))
    return changes
