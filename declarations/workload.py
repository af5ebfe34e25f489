"""Workload: the counts an officer and a supervisor start the day with, the per-channel target
times that make a consignment overdue (configuration, audited), and bulk actions that call the
same services as the consignment page, one consignment at a time, reporting each refusal."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customs_ecom.platform.audit import audit_record

from . import lifecycle
from .consignment_list import WORK_CHOICES, work_q
from .models import Channel, Declaration, WorkloadTarget
from .statuses import ENDS_CLAIM

# Until a supervisor sets them: a documentary check within a working day, an inspection within
# two (hours from the moment the consignment reached the queue).
DEFAULT_TARGET_HOURS = {Channel.YELLOW.value: 8, Channel.RED.value: 24}


def target_hours() -> dict[str, int]:
    targets = dict(DEFAULT_TARGET_HOURS)
    targets.update(dict(WorkloadTarget.objects.values_list("channel", "hours")))
    return targets


@transaction.atomic
def workload_targets_set(*, actor: Any, hours: Mapping[str, int], reason: str = "") -> None:
    """Set the target time of each channel given; audited with the values before and after."""
    before = target_hours()
    now = timezone.now()
    for channel, value in hours.items():
        WorkloadTarget.objects.update_or_create(
            channel=channel, defaults={"hours": value, "updated_at": now}
        )
    after = target_hours()
    if after != before:
        audit_record(
            actor=actor,
            action="workload.targets",
            object_type="workload_target",
            object_id="channels",
            before=before,
            after=after,
            reason=reason,
        )


def workload_counts(*, user: Any) -> dict[str, int]:
    """One aggregate over the needing-action rows (the partial triage index), one count per view."""
    targets = target_hours()
    now = timezone.now()
    aggregates = {
        key: Count("pk", filter=work_q(key, user=user, targets=targets, now=now))
        for key, _label in WORK_CHOICES
    }
    from .models import TRIAGE_CONDITION

    return Declaration.objects.filter(TRIAGE_CONDITION).aggregate(**aggregates)


def claims_by_officer() -> list[dict[str, Any]]:
    """Who holds how many open consignments (``open``, of which ``red``), and whose claims lapsed
    on how many (``lapsed``: nobody's any more, anyone may claim them, but they still hold an
    automatic release until someone decides or frees them): the supervisor's view."""
    now = timezone.now()
    held = lifecycle.claim_held_q(now)
    return list(
        Declaration.objects.filter(claimed_by__isnull=False)
        .exclude(status__in=ENDS_CLAIM)
        .values("claimed_by_id", "claimed_by__username")
        .annotate(
            open=Count("pk", filter=held),
            red=Count("pk", filter=held & Q(channel="red")),
            lapsed=Count("pk", filter=lifecycle.claim_free_q(now)),
        )
        .order_by("claimed_by__username")
    )


# --- bulk actions ------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    declaration_id: int
    lrn: str
    ok: bool
    message: str


class BulkRefused(Exception):
    """One consignment of a bulk action refused, with the reason shown to the officer."""


def _through_lifecycle(code: str, done: Any):
    """A bulk action as the lifecycle's action `code`: the same checks (role, claim, table, every
    guard) as on the consignment's page, each refusal reported with its reason."""

    def apply(declaration: Declaration, user: Any, params: Mapping[str, Any]) -> str:
        public = ""
        # A decision names the revision the officer read (the list sends each row's), as on the
        # consignment's page: one that names none is refused, one amended since is stale.
        revision = (params.get("revisions") or {}).get(declaration.pk)
        if revision is None and code not in ("claim", "take_over"):
            raise BulkRefused(
                _(
                    "The decision does not say which revision of the consignment you read: load "
                    "the list again, then decide."
                )
            )
        if code == "request_documents":
            documents = list(params.get("documents") or [])
            if not documents:
                raise BulkRefused(_("no document ticked"))
            public = "documents requested: " + ", ".join(documents)
        try:
            lifecycle.perform(
                declaration_id=declaration.pk,
                code=code,
                user=user,
                reason=params.get("reason", ""),
                public_reason=public,
                note=params.get("note", ""),
                revision=revision,
            )
        except lifecycle.LifecycleRefused as refused:
            # Each refusal is a sentence; the bulk message adds its own full stop.
            raise BulkRefused("; ".join(str(r).rstrip(".") for r in refused.refusals)) from None
        return str(done)

    return apply


# action -> function(declaration, user, params) returning what was done or raising BulkRefused.
BULK_ACTIONS: dict[str, Callable[[Declaration, Any, Mapping[str, Any]], str]] = {
    "claim": _through_lifecycle("claim", gettext_lazy("claimed")),
    "request_documents": _through_lifecycle(
        "request_documents", gettext_lazy("documents requested")
    ),
    # Release in bulk runs every release guard per consignment (and needs a reason).
    "release": _through_lifecycle("release", gettext_lazy("released")),
}
MAX_BULK = 200


def bulk_apply(
    *, action: str, declaration_ids: Sequence[int], user: Any, params: Mapping[str, Any]
):
    """Apply one action to each consignment in its own transaction: one refusal never undoes the
    others, and each outcome is reported."""
    handler = BULK_ACTIONS[action]
    ticked = list(dict.fromkeys(declaration_ids))
    taken, left = ticked[:MAX_BULK], ticked[MAX_BULK:]
    declarations = {
        d.pk: d
        for d in Declaration.objects.filter(pk__in=taken).only(
            "id", "lrn", "status", "claimed_by_id"
        )
    }
    outcomes = []
    for pk in taken:
        declaration = declarations.get(pk)
        if declaration is None:
            # Named in the report like every refusal: a number that is no consignment.
            outcomes.append(BulkOutcome(pk, str(pk), False, _("No such consignment.")))
            continue
        try:
            message = handler(declaration, user, params)
            outcomes.append(BulkOutcome(pk, declaration.lrn, True, message))
        except BulkRefused as exc:
            outcomes.append(BulkOutcome(pk, declaration.lrn, False, str(exc)))
    if left:
        # Beyond the limit nothing is done, and the report says so: never left out without a word.
        outcomes.append(
            BulkOutcome(
                0,
                _("%(count)d more consignment(s)") % {"count": len(left)},
                False,
                _("not handled, %(max)d at most at once: tick them again") % {"max": MAX_BULK},
            )
        )
    return outcomes
