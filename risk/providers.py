"""What risk provides to the layers below it, registered at start-up (`RiskConfig.ready`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from customs_ecom.platform.extensions import provide


def _rule_hit_exists(rule_code: str) -> Exists:
    from .models import RiskHit

    return Exists(
        RiskHit.objects.filter(assessment__declaration_id=OuterRef("pk"), rule_code=rule_code)
    )


def _rule_codes() -> list[str]:
    from .models import RuleSet

    ruleset = RuleSet.objects.filter(state="active").only("rules").order_by("-version").first()
    if ruleset is None:
        return []
    return sorted({r.get("code", "") for r in ruleset.rules or [] if r.get("code")})


def _consignment_risk(declaration_id: int) -> Any:
    from .selectors import latest_assessment

    return latest_assessment(declaration_id=declaration_id)


def _case_report(declaration: Any) -> dict[str, Any]:
    from .models import SEIZURE_RESULTS, InspectionOutcome
    from .selectors import latest_assessment

    outcomes = list(
        InspectionOutcome.objects.filter(declaration=declaration)
        .select_related("officer")
        .order_by("at", "id")
    )
    return {
        "risk": latest_assessment(declaration_id=declaration.pk),
        "outcomes": outcomes,
        "seized": any(o.result in SEIZURE_RESULTS for o in outcomes),
    }


def _undervaluations(declarations: Any) -> dict[int, tuple[Any, Any]]:
    """Consignments whose current revision an officer found undervalued: the time of the latest
    such finding and the value found (EUR, or None)."""
    from .guards import latest_outcomes
    from .models import InspectionOutcome

    found = latest_outcomes(declarations, result=InspectionOutcome.Result.UNDERVALUATION)
    return {pk: (o.at, o.revised_value_eur) for pk, o in found.items()}


def register() -> None:
    provide("risk.rule_hit_exists", _rule_hit_exists)
    provide("risk.rule_codes", _rule_codes)
    provide("consignment.risk", _consignment_risk)
    provide("risk.case_report", _case_report)
    provide("risk.undervaluations", _undervaluations)
