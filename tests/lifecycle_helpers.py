"""Moving consignments through the lifecycle in tests the way production does: through its
services and every guard, never by writing a status."""

from __future__ import annotations

import itertools

from declarations.models import Declaration, Status
from declarations.services import arrivals_record


def arrive(declaration_id: int) -> Declaration:
    """The carrier reports the consignment's arrival: a cleared one (green or blue, nothing to
    pay at the border) is released by the lifecycle at once."""
    declaration = Declaration.objects.select_related("operator").get(pk=declaration_id)
    arrivals_record(
        operator=declaration.operator, transport_documents=[declaration.transport_document_number]
    )
    declaration.refresh_from_db()
    return declaration


_RECEIPTS = itertools.count(1)


def pay_at_border(declaration_id: int) -> None:
    """What is due at the border is paid through the API, each debtor's debt in its name (a
    carrier collects the consignee's taxes, the declarant pays its own duty), if anything."""
    from revenue.models import TaxAssessment
    from revenue.selectors import border_accounts
    from revenue.services.ledger import ledger_payment_record

    declaration = Declaration.objects.select_related("operator").get(pk=declaration_id)
    for account in border_accounts(declaration_id):
        if account.outstanding <= 0:
            continue
        ledger_payment_record(
            declaration_id=declaration_id,
            amount=account.outstanding,
            currency=TaxAssessment.objects.get(
                declaration_id=declaration_id, is_current=True
            ).currency,
            operator=declaration.operator,
            payer=account.debtor,
            # Each receipt has its own number: a reference already recorded is refused.
            reference=f"border receipt {next(_RECEIPTS)}",
        )


def release_cleared(declaration_id: int) -> Declaration:
    pay_at_border(declaration_id)
    declaration = arrive(declaration_id)
    assert declaration.status == Status.RELEASED, declaration.status
    return declaration


def officer_release(declaration_id: int, officer, *, approver=None) -> Declaration:
    """An officer clears a consignment as the page does: arrival if needed, a claim and a
    "compliant" inspection outcome for yellow and red, then the release (by `approver` when the
    hits need a second person)."""
    from declarations import lifecycle
    from risk.services.outcomes import outcome_record

    pay_at_border(declaration_id)
    declaration = Declaration.objects.get(pk=declaration_id)
    if declaration.arrived_at is None:
        declaration = arrive(declaration_id)
    if declaration.status == Status.RELEASED:
        return declaration
    if declaration.channel in lifecycle.CONTROLLED_CHANNELS:
        lifecycle.claim(declaration_id=declaration_id, user=officer)
        outcome_record(declaration_id=declaration_id, officer=officer, result="compliant")
    from risk.guards import four_eyes_hits

    releaser = officer
    if four_eyes_hits([declaration]):
        assert approver is not None, "prohibited goods or a watchlist match: name an approver"
        releaser = approver
        lifecycle.claim(declaration_id=declaration_id, user=releaser, take_over=True)
    return lifecycle.perform(
        declaration_id=declaration_id, code="release", user=releaser, reason="cleared"
    )


def with_description(example: dict, description: str) -> dict:
    """The example declaration with its first item described otherwise (items copied)."""
    body = dict(example)
    body["items"] = [dict(item) for item in example["items"]]
    body["items"][0]["description"] = description
    return body


def request_documents(declaration_id: int, officer, *, documents: str = "invoice") -> None:
    """An officer claims the consignment and asks the operator for documents, as the page does."""
    from declarations import lifecycle

    lifecycle.claim(declaration_id=declaration_id, user=officer)
    lifecycle.perform(
        declaration_id=declaration_id,
        code="request_documents",
        user=officer,
        public_reason=f"documents requested: {documents}",
    )


def end_claim(declaration_id: int, supervisor) -> None:
    """A supervisor frees the officer's claim (end of shift); customs' requests and findings stay."""
    from declarations import lifecycle

    lifecycle.claim_reassign(
        declaration_id=declaration_id, to_user=None, by=supervisor, reason="end of shift"
    )


def decision(declaration_id: int, data: dict | None = None) -> dict:
    """A decision form's fields as the consignment page posts them: with the revision shown."""
    revision = Declaration.objects.values_list("revision", flat=True).get(pk=declaration_id)
    return {"revision": revision, **(data or {})}
