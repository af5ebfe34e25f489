"""Rule-set versions: the shipped default, the active version, the analyst's changes (each a new
draft version, audited) and the activation of a draft, after which pending declarations are
re-assessed."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customs_ecom.platform.audit import audit_record

from ..channels import ChannelPolicy
from ..models import RuleSet
from ..rules import DEFAULT_RULESET, validate_params
from .reassessment import enqueue_reassessment


def default_policy() -> dict[str, Any]:
    policy = ChannelPolicy()
    return {
        "thresholds": dict(policy.thresholds),
        "random_rates": {k: float(v) for k, v in policy.random_rates.items()},
        "target_rates": {k: float(v) for k, v in policy.target_rates.items()},
        "aeo_score_factor": str(policy.aeo_score_factor),
        "aeo_random_factor": str(policy.aeo_random_factor),
    }


def policy_from_dict(data: dict[str, Any]) -> ChannelPolicy:
    return ChannelPolicy(
        thresholds={k: int(v) for k, v in data["thresholds"].items()},
        random_rates={k: float(v) for k, v in data["random_rates"].items()},
        target_rates={
            k: float(v)
            for k, v in (data.get("target_rates") or ChannelPolicy().target_rates).items()
        },
        aeo_score_factor=Decimal(str(data["aeo_score_factor"])),
        aeo_random_factor=Decimal(str(data["aeo_random_factor"])),
    )


def random_seed(ruleset: RuleSet) -> str:
    """The seed of the random draws under a rule-set version: fixed for the version (a
    re-assessment and a back-test draw the same consignments), secret to the installation. The
    version number alone is public (the code is open and versions are counted from 1): whoever
    holds a declaration id could compute whether it is drawn, and declare it again if it was."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"ruleset-{ruleset.version}".encode(), hashlib.sha256
    ).hexdigest()


def ensure_default_ruleset() -> None:
    """Rule set version 1, active, from the shipped defaults (idempotent; runs after migrate)."""
    if RuleSet.objects.exists():
        return
    RuleSet.objects.create(
        version=1,
        state=RuleSet.State.ACTIVE,
        rules=[dict(rule) for rule in DEFAULT_RULESET],
        policy=default_policy(),
        note="Shipped default rule set",
        activated_at=timezone.now(),
    )


def active_ruleset() -> RuleSet:
    ruleset = RuleSet.objects.filter(state=RuleSet.State.ACTIVE).order_by("-version").first()
    if ruleset is None:
        ensure_default_ruleset()
        ruleset = RuleSet.objects.get(state=RuleSet.State.ACTIVE)
    return ruleset


class RuleSetUnchanged(ValueError):
    """An edit that changes nothing in the version it starts from: no new version is made."""

    def __init__(self, base: RuleSet) -> None:
        super().__init__(f"version {base.version} already holds these values")
        self.base = base


def _same_as(base: RuleSet, rules: list[dict[str, Any]], policy: dict[str, Any], when: Any) -> bool:
    """True when ``base`` assesses exactly as these rules, policy and effective date would (its
    parameters compared with their defaults filled in)."""
    if base.policy != policy or base.effective_from != when:
        return False
    try:
        filled = [
            {
                "code": r["code"],
                "enabled": bool(r.get("enabled", True)),
                "params": validate_params(r["code"], r.get("params") or {}),
            }
            for r in base.rules
        ]
    except (ValueError, KeyError):
        return False
    return filled == rules


@transaction.atomic
def ruleset_create_version(
    *,
    rules: list[dict[str, Any]],
    policy: dict[str, Any],
    actor: Any,
    note: str = "",
    effective_from: Any = None,
    base: RuleSet | None = None,
) -> RuleSet:
    """A new draft version (made from ``base`` when it is an edit of one); parameters are
    validated rule by rule (ValueError names the field)."""
    cleaned = [
        {
            "code": r["code"],
            "enabled": bool(r.get("enabled", True)),
            "params": validate_params(r["code"], r.get("params") or {}),
        }
        for r in rules
    ]
    policy_from_dict(policy)
    latest = RuleSet.objects.select_for_update().order_by("-version").first()
    effective_from = effective_from or timezone.now()
    if base is not None and _same_as(base, cleaned, policy, effective_from):
        # The same edit sent twice (or a form saved as it was): no version that changes nothing.
        raise RuleSetUnchanged(base)
    ruleset = RuleSet.objects.create(
        version=(latest.version + 1) if latest else 1,
        rules=cleaned,
        policy=policy,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
        effective_from=effective_from,
        based_on=base,
    )
    audit_record(
        actor=actor,
        action="ruleset.create",
        object_type="ruleset",
        object_id=ruleset.version,
        # What the edit changed: its base, else the newest version before it.
        before={"version": start.version, "rules": start.rules, "policy": start.policy}
        if (start := base or latest)
        else None,
        after={
            "version": ruleset.version,
            "rules": cleaned,
            "policy": policy,
            "effective_from": ruleset.effective_from.isoformat(),
        },
        reason=note,
    )
    return ruleset


def ruleset_edit_rule(
    *,
    base: RuleSet,
    code: str,
    enabled: bool,
    params: dict[str, Any],
    actor: Any,
    note: str = "",
) -> RuleSet:
    """A new draft version equal to ``base`` with one rule changed (ValueError names the field)."""
    rules = [dict(r) for r in base.rules]
    for rule in rules:
        if rule["code"] == code:
            rule["enabled"] = enabled
            rule["params"] = params
            break
    else:
        rules.append({"code": code, "enabled": enabled, "params": params})
    return ruleset_create_version(
        rules=rules,
        policy=base.policy,
        actor=actor,
        note=note or f"rule {code} changed",
        effective_from=base.effective_from,
        base=base,
    )


def ruleset_edit_policy(
    *,
    base: RuleSet,
    policy: dict[str, Any],
    effective_from: Any,
    actor: Any,
    note: str = "",
) -> RuleSet:
    """A new draft version with new thresholds, random and target rates or effective date."""
    return ruleset_create_version(
        rules=base.rules,
        policy=policy,
        actor=actor,
        note=note or "channel policy changed",
        effective_from=effective_from,
        base=base,
    )


class ActivationRefused(ValueError):
    pass


def ruleset_activate(*, ruleset_id: int, actor: Any, note: str = "") -> RuleSet:
    """Make a draft the active version (the previous one is retired), audited; then every pending
    declaration is re-assessed under it by Celery, in batches."""
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
        if ruleset.state != RuleSet.State.DRAFT:
            raise ActivationRefused(f"version {ruleset.version} is {ruleset.state}, not a draft")
        if ruleset.effective_from > timezone.now():
            raise ActivationRefused(
                f"version {ruleset.version} takes effect on {ruleset.effective_from:%Y-%m-%d %H:%M}"
                " UTC; activate it from then on"
            )
        previous = list(RuleSet.objects.select_for_update().filter(state=RuleSet.State.ACTIVE))
        RuleSet.objects.filter(pk__in=[p.pk for p in previous]).update(state=RuleSet.State.RETIRED)
        ruleset.state = RuleSet.State.ACTIVE
        ruleset.activated_at = timezone.now()
        ruleset.save(update_fields=["state", "activated_at"])
        audit_record(
            actor=actor,
            action="ruleset.activate",
            object_type="ruleset",
            object_id=ruleset.version,
            before={"active_version": [p.version for p in previous]},
            after={"active_version": ruleset.version},
            reason=note,
        )
        enqueue_reassessment(reason=f"rule set v{ruleset.version} activated")
    return ruleset
