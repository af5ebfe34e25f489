"""Writes for risk: rule-set versions, and the assessment of declarations in batches."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from aeo.models import AEOAuthorisation
from aeo.services import audit_record
from declarations.models import Declaration, Status
from declarations.services import declaration_complete_assessment, declaration_set_risk

from .channels import ChannelPolicy, evaluate_batch
from .facts import Facts, ItemFacts, PartyFacts, PriorConsignment
from .models import RiskAssessment, RiskHit, RuleSet, WatchlistEntry
from .rules import DEFAULT_RULESET, BatchContext, validate_params
from .watchlist import WatchlistEntry as WatchlistEntrySpec
from .watchlist import WatchlistIndex

logger = logging.getLogger(__name__)
SPLITTING_LOOKBACK = timedelta(days=7)
BUSINESS_SCHEMES = {"EORI", "VAT"}


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


@transaction.atomic
def ruleset_create_version(
    *, rules: list[dict[str, Any]], policy: dict[str, Any], actor: Any, note: str = ""
) -> RuleSet:
    """A new draft version; parameters are validated rule by rule (ValueError names the field)."""
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
    ruleset = RuleSet.objects.create(
        version=(latest.version + 1) if latest else 1,
        rules=cleaned,
        policy=policy,
        note=note,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="ruleset.create",
        object_type="ruleset",
        object_id=ruleset.version,
        before={"version": latest.version, "rules": latest.rules, "policy": latest.policy}
        if latest
        else None,
        after={"version": ruleset.version, "rules": cleaned, "policy": policy},
        reason=note,
    )
    return ruleset


def _party(data: dict[str, Any] | None) -> PartyFacts | None:
    if not data:
        return None
    address = data.get("address") or {}
    identifiers = tuple(
        (i.get("scheme", ""), i.get("value", "")) for i in data.get("identifiers") or ()
    )
    return PartyFacts(
        name=data.get("name", ""),
        street=address.get("street") or "",
        city=address.get("city") or "",
        postcode=address.get("postcode") or "",
        country=address.get("country") or "",
        identifiers=identifiers,
        is_business=any(scheme in BUSINESS_SCHEMES for scheme, _ in identifiers),
    )


def build_facts(declarations: Sequence[Declaration]) -> list[Facts]:
    """Facts snapshots for a batch: history lookups (consignee window, seller familiarity, AEO) are done
    with one query each for the whole batch, never per declaration."""
    if not declarations:
        return []
    keys = {d.consignee_key for d in declarations if d.consignee_key}
    oldest = min(d.received_at for d in declarations) - SPLITTING_LOOKBACK
    recent: dict[str, list[PriorConsignment]] = defaultdict(list)
    if keys:
        for row in (
            Declaration.objects.filter(consignee_key__in=keys, received_at__gte=oldest)
            .exclude(status=Status.INVALIDATED)
            .values("pk", "consignee_key", "total_value_eur", "received_at")
        ):
            recent[row["consignee_key"]].append(
                PriorConsignment(
                    declaration_id=row["pk"],
                    consignee_key=row["consignee_key"],
                    value_eur=row["total_value_eur"] or Decimal(0),
                    submitted_at=row["received_at"],
                )
            )
    seller_names = {d.seller_name for d in declarations if d.seller_name}
    seller_counts: dict[str, int] = defaultdict(int)
    if seller_names:
        for name in Declaration.objects.filter(seller_name__in=seller_names).values_list(
            "seller_name", flat=True
        ):
            seller_counts[name] += 1
    today = timezone.localdate()
    operator_ids = {d.operator_id for d in declarations}
    aeo_operators = set(
        AEOAuthorisation.objects.filter(
            operator_id__in=operator_ids,
            status=AEOAuthorisation.Status.AUTHORISED,
            valid_from__lte=today,
        )
        .exclude(valid_to__lt=today)
        .values_list("operator_id", flat=True)
    )
    facts: list[Facts] = []
    for d in declarations:
        payload = d.payload
        eur_factor = (
            (d.total_value_eur / d.total_value)
            if d.total_value and d.total_value_eur is not None
            else Decimal(1)
        )
        items = tuple(
            ItemFacts(
                line=int(i["line"]),
                description=i["description"],
                hs_code=i.get("hs_code") or "",
                value_eur=(Decimal(str(i["value"])) * eur_factor).quantize(Decimal("0.01")),
                quantity=Decimal(str(i.get("quantity") or 1)),
                net_mass_kg=Decimal(str(i["net_mass_kg"]))
                if i.get("net_mass_kg") is not None
                else None,
                origin_country=i.get("origin_country"),
            )
            for i in payload["items"]
        )
        seller = _party(payload.get("seller"))
        facts.append(
            Facts(
                declaration_id=d.pk,
                operator_id=d.operator_id,
                operator_role=d.operator.role,
                operator_is_aeo=d.operator_id in aeo_operators,
                dataset=d.dataset,
                category=d.category,
                transport_mode=d.transport_mode or None,
                transport_document_type=d.transport_document_type,
                country_of_dispatch=d.country_of_dispatch,
                total_value_eur=d.total_value_eur or Decimal(0),
                total_gross_mass_kg=d.total_gross_mass_kg,
                items=items,
                seller=seller,
                sender=_party(payload.get("sender")) or seller,
                consignee=_party(payload["consignee"]),
                tax_scheme=d.tax_scheme or None,
                tax_scheme_number=d.tax_scheme_number or None,
                dq_score=d.dq_score,
                submitted_at=d.received_at,
                seller_prior_count=max(0, seller_counts.get(d.seller_name, 0) - 1),
                consignee_recent=tuple(
                    p
                    for p in recent.get(d.consignee_key, ())
                    if p.declaration_id != d.pk and p.submitted_at <= d.received_at
                ),
            )
        )
    return facts


def load_batch_context(ruleset: RuleSet) -> BatchContext:
    """Lists and benchmarks, loaded once per batch."""
    from declarations.selectors import value_benchmarks

    entries = [
        WatchlistEntrySpec(
            id=str(row.pk),
            name=row.name,
            aliases=tuple(row.aliases or ()),
            country=row.country or None,
            address=row.address or None,
            identifiers=tuple(row.identifiers or ()),
        )
        for row in WatchlistEntry.objects.filter(is_active=True)
    ]
    benchmarks = {
        key: getattr(value, "median_eur_per_kg", value) for key, value in value_benchmarks().items()
    }
    return BatchContext(
        value_benchmarks=benchmarks,
        watchlist=WatchlistIndex(entries),
        known_tax_numbers={},
        valid_tax_numbers=None,
        false_positives=frozenset(),
        random_seed=f"ruleset-{ruleset.version}",
    )


def risk_assess_batch(*, declaration_ids: Sequence[int]) -> int:
    """Assess a batch under the active rule set; one assessment per (declaration, revision, rule set)."""
    ruleset = active_ruleset()
    declarations = [
        d
        for d in Declaration.objects.filter(pk__in=declaration_ids).select_related("operator")
        if d.status == Status.ACCEPTED and d.risk_revision < d.revision
    ]
    for d in (
        Declaration.objects.filter(pk__in=declaration_ids, status=Status.ACCEPTED)
        .exclude(pk__in=[x.pk for x in declarations])
        .values_list("pk", flat=True)
    ):
        declaration_complete_assessment(declaration_id=d)
    if not declarations:
        return 0
    facts = build_facts(declarations)
    context = load_batch_context(ruleset)
    outcomes = evaluate_batch(facts, ruleset.rules, context, policy_from_dict(ruleset.policy))
    for declaration, outcome in zip(declarations, outcomes, strict=True):
        try:
            with transaction.atomic():
                assessment = RiskAssessment.objects.create(
                    declaration=declaration,
                    revision=declaration.revision,
                    ruleset=ruleset,
                    score=outcome.score,
                    channel=outcome.channel,
                    random_selected=outcome.random_selected,
                )
                RiskHit.objects.bulk_create(
                    RiskHit(
                        assessment=assessment,
                        rule_code=hit.rule_code,
                        score=hit.score,
                        explanation=hit.explanation[:500],
                        min_channel=hit.min_channel or "",
                        data=_jsonable(hit.confidential_data),
                    )
                    for hit in outcome.hits
                )
                declaration_set_risk(
                    declaration_id=declaration.pk,
                    revision=declaration.revision,
                    channel=outcome.channel,
                    score=outcome.score,
                )
        except IntegrityError:
            logger.info(
                "risk for declaration %s revision %s already stored",
                declaration.pk,
                declaration.revision,
            )
        declaration_complete_assessment(declaration_id=declaration.pk)
    return len(declarations)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if isinstance(v, Decimal) else v for v in value]
        else:
            out[key] = (
                value
                if isinstance(value, str | int | float | bool | type(None) | dict)
                else str(value)
            )
    return out
