"""Four eyes on rule-set activation: a risk analyst proposes a draft with a reason, a supervisor
(another person) approves it with a reason, and only then is it activated.

The proposal lives in the audit trail itself (``ruleset.propose``, ``ruleset.approve``,
``ruleset.reject`` events on the version), so the record of who proposed, who approved and why
is the same rows that make the decision: there is no second table to disagree with it.
Activation itself stays ``services.rulesets.ruleset_activate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.models import AuditEvent

from .models import RuleSet
from .services import rulesets

PROPOSE = "ruleset.propose"
APPROVE = "ruleset.approve"
REJECT = "ruleset.reject"
ACTIVATE = "ruleset.activate"


class ApprovalRefused(ValueError):
    """An activation step was refused; the message says why, for the person who tried."""


@dataclass(frozen=True)
class Proposal:
    """A pending request to activate a draft version."""

    version: int
    proposed_by_id: int | None
    proposed_by: str
    at: Any
    reason: str
    older_than_active: bool


def is_older_than_active(ruleset: RuleSet, active: RuleSet | None = None) -> bool:
    """A draft made before the active version: activating it would undo the later changes."""
    active = active or rulesets.active_ruleset()
    return ruleset.pk != active.pk and ruleset.version < active.version


def pending_proposal(ruleset: RuleSet) -> Proposal | None:
    """The open proposal for this draft: the newest ``ruleset.propose`` not followed by an
    approval, rejection or activation of the same version."""
    if ruleset.state != RuleSet.State.DRAFT:
        return None
    events = AuditEvent.objects.filter(
        object_type="ruleset",
        object_id=str(ruleset.version),
        action__in=[PROPOSE, APPROVE, REJECT, ACTIVATE],
    ).order_by("-at", "-id")
    latest = events.first()
    if latest is None or latest.action != PROPOSE:
        return None
    return Proposal(
        version=ruleset.version,
        proposed_by_id=latest.actor_id,
        proposed_by=latest.actor_label,
        at=latest.at,
        reason=latest.reason,
        older_than_active=bool((latest.after or {}).get("older_than_active")),
    )


def sent_back(ruleset: RuleSet) -> bool:
    """True when the last word on this draft was a supervisor's rejection."""
    latest = (
        AuditEvent.objects.filter(
            object_type="ruleset",
            object_id=str(ruleset.version),
            action__in=[PROPOSE, APPROVE, REJECT, ACTIVATE],
        )
        .order_by("-at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == REJECT


def pending_proposals() -> dict[int, Proposal]:
    """Open proposals by version, for the drafts list."""
    found = {}
    for ruleset in RuleSet.objects.filter(state=RuleSet.State.DRAFT):
        proposal = pending_proposal(ruleset)
        if proposal is not None:
            found[ruleset.version] = proposal
    return found


def _check_activatable(ruleset: RuleSet) -> None:
    if ruleset.state != RuleSet.State.DRAFT:
        raise ApprovalRefused(
            _("Version %(v)s is %(state)s, not a draft.")
            % {"v": ruleset.version, "state": ruleset.get_state_display().lower()}
        )
    if ruleset.effective_from > timezone.now():
        raise ApprovalRefused(
            _("Version %(v)s takes effect on %(when)s UTC; it can be activated from then on.")
            % {"v": ruleset.version, "when": f"{ruleset.effective_from:%Y-%m-%d %H:%M}"}
        )


def ruleset_propose(
    *, ruleset_id: int, actor: Any, reason: str, confirm_older: bool = False
) -> Proposal:
    """An analyst asks for a draft to be activated; the reason is required and audited. A draft
    older than the active version needs ``confirm_older``: it would undo later changes."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalRefused(_("Say why this version should be activated."))
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
        _check_activatable(ruleset)
        active = rulesets.active_ruleset()
        older = is_older_than_active(ruleset, active)
        if older and not confirm_older:
            raise ApprovalRefused(
                _(
                    "Version %(v)s is older than the active version %(a)s: activating it undoes "
                    "every change made since. Confirm that this is intended."
                )
                % {"v": ruleset.version, "a": active.version}
            )
        audit_record(
            actor=actor,
            action=PROPOSE,
            object_type="ruleset",
            object_id=ruleset.version,
            before={"active_version": active.version},
            after={"version": ruleset.version, "older_than_active": older},
            reason=reason,
        )
    proposal = pending_proposal(ruleset)
    assert proposal is not None
    return proposal


def ruleset_approve(
    *, ruleset_id: int, actor: Any, reason: str, confirm_older: bool = False
) -> RuleSet:
    """A supervisor approves the open proposal: never the person who proposed it or made the
    version; the reason is
    required; a draft older than the active version needs ``confirm_older`` again. Then the
    version is activated (``services.rulesets.ruleset_activate``), all in one transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalRefused(_("Say why you approve this version."))
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
        _check_activatable(ruleset)
        proposal = pending_proposal(ruleset)
        if proposal is None:
            raise ApprovalRefused(
                _("Version %(v)s has not been proposed for activation.") % {"v": ruleset.version}
            )
        if proposal.proposed_by_id is not None and proposal.proposed_by_id == getattr(
            actor, "pk", None
        ):
            raise ApprovalRefused(
                _("You proposed version %(v)s; another person must approve it.")
                % {"v": ruleset.version}
            )
        if ruleset.created_by_id is not None and ruleset.created_by_id == getattr(
            actor, "pk", None
        ):
            raise ApprovalRefused(
                _("You made version %(v)s; another person must approve it.")
                % {"v": ruleset.version}
            )
        active = rulesets.active_ruleset()
        own = _own_drafts_carried(ruleset, active, actor)
        if own:
            raise ApprovalRefused(
                _(
                    "Version %(v)s carries changes you made (version %(own)s); another person "
                    "must approve it."
                )
                % {"v": ruleset.version, "own": ", ".join(str(v) for v in own)}
            )
        if is_older_than_active(ruleset, active) and not confirm_older:
            raise ApprovalRefused(
                _(
                    "Version %(v)s is older than the active version %(a)s: activating it undoes "
                    "every change made since. Confirm that this is intended."
                )
                % {"v": ruleset.version, "a": active.version}
            )
        audit_record(
            actor=actor,
            action=APPROVE,
            object_type="ruleset",
            object_id=ruleset.version,
            before={"active_version": active.version, "proposed_by": proposal.proposed_by},
            after={"version": ruleset.version},
            reason=reason,
        )
        return rulesets.ruleset_activate(
            ruleset_id=ruleset.pk,
            actor=actor,
            note=f"{reason} (proposed by {proposal.proposed_by}: {proposal.reason})"[:500],
        )


def _own_drafts_carried(ruleset: RuleSet, active: RuleSet, actor: Any) -> list[int]:
    """The drafts ``ruleset`` was built on (through ``based_on``, back to a version that was in
    force) that ``actor`` made: approving it would put their own changes in force. A draft made
    before versions recorded their base counts every draft between the active version and it."""
    actor_id = getattr(actor, "pk", None)
    if actor_id is None:
        return []
    chain: list[RuleSet] = []
    current = ruleset.based_on
    while current is not None and current.state == RuleSet.State.DRAFT:
        chain.append(current)
        current = current.based_on
    last = chain[-1] if chain else ruleset
    if current is None and last.based_on_id is None and last.version > active.version + 1:
        chain.extend(
            RuleSet.objects.filter(
                state=RuleSet.State.DRAFT,
                version__gt=active.version,
                version__lt=last.version,
            )
        )
    return sorted({d.version for d in chain if d.created_by_id == actor_id})


def ruleset_reject(*, ruleset_id: int, actor: Any, reason: str) -> None:
    """A supervisor sends a proposal back, with a reason; the draft stays a draft."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalRefused(_("Say why you reject this version."))
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
        proposal = pending_proposal(ruleset)
        if proposal is None:
            raise ApprovalRefused(
                _("Version %(v)s has not been proposed for activation.") % {"v": ruleset.version}
            )
        audit_record(
            actor=actor,
            action=REJECT,
            object_type="ruleset",
            object_id=ruleset.version,
            # The proposal replaced by a draft sent back (it stays a draft, to edit or propose).
            before={"status": "proposed", "proposed_by": proposal.proposed_by},
            after={"status": ruleset.state, "proposed_by": None},
            reason=reason,
        )
