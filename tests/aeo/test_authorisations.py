"""AEO authorisations: the one transition service, mutual recognition, expiry by beat, benefits per
kind that take effect at once (a suspension changes the channel of the very next consignment)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aeo.benefits import Benefits, benefits_for_operators, operator_benefits
from aeo.models import AEOAuthorisation, BenefitPolicy
from aeo.services import (
    AEO_TRANSITIONS,
    AEOTransitionNotAllowed,
    RegistryError,
    authorisation_apply,
    authorisation_recognise,
    authorisation_transition,
    benefit_policy_update,
    mutual_recognition_save,
)
from aeo.tasks import expire_authorisations
from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration
from declarations.services import declarations_submit
from risk.models import RiskAssessment, RuleSet

pytestmark = pytest.mark.django_db
S = AEOAuthorisation.Status


def _authorised(operator, actor, *, kind="AEOF", valid_to=None):
    a = authorisation_apply(operator=operator, kind=kind, note="application", actor=actor)
    authorisation_transition(authorisation_id=a.pk, to_status=S.UNDER_REVIEW, actor=actor)
    return authorisation_transition(
        authorisation_id=a.pk,
        to_status=S.AUTHORISED,
        actor=actor,
        reason="audit passed",
        certificate_number="FRAEOF0001",
        valid_from=timezone.localdate() - timedelta(days=10),
        valid_to=valid_to,
    )


def test_application_review_and_grant_follow_the_table_and_are_audited(operator_a, customs_user):
    supervisor = customs_user("supervisor")
    op = operator_a.operator
    assert operator_benefits(op).is_aeo is False
    a = authorisation_apply(operator=op, kind="AEOC", note="first application", actor=supervisor)
    assert a.status == S.APPLIED
    with pytest.raises(AEOTransitionNotAllowed):
        authorisation_transition(
            authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor, reason="x"
        )
    authorisation_transition(authorisation_id=a.pk, to_status=S.UNDER_REVIEW, actor=supervisor)
    with pytest.raises(RegistryError) as no_reason:
        authorisation_transition(authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor)
    assert no_reason.value.field == "reason"
    with pytest.raises(RegistryError) as no_certificate:
        authorisation_transition(
            authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor, reason="ok"
        )
    assert no_certificate.value.field == "certificate_number"
    a = authorisation_transition(
        authorisation_id=a.pk,
        to_status=S.AUTHORISED,
        actor=supervisor,
        reason="audit passed",
        certificate_number="FRAEOC0042",
    )
    assert a.valid_from == timezone.localdate()
    # Idempotent: the same target again changes nothing and writes no audit row.
    rows = AuditEvent.objects.count()
    authorisation_transition(authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor)
    assert AuditEvent.objects.count() == rows
    granted = AuditEvent.objects.get(action="aeo.authorised", object_id=str(a.pk))
    assert granted.actor == supervisor and granted.reason == "audit passed"
    assert granted.before["status"] == "under_review" and granted.after["status"] == "authorised"
    assert granted.after["certificate_number"] == "FRAEOC0042"
    benefits = operator_benefits(op)
    assert benefits.is_aeo and benefits.deferred_payment and benefits.max_batch == 5000


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (s, t)
        for s in S.values
        for t in S.values
        if s != t and t not in AEO_TRANSITIONS[s] and (s, t) != ("applied", "authorised")
    ],
)
def test_every_transition_outside_the_table_is_refused(operator_a, start, target):
    a = AEOAuthorisation.objects.create(
        operator=operator_a.operator, kind="AEOS", status=start, certificate_number="C1"
    )
    with pytest.raises(AEOTransitionNotAllowed):
        authorisation_transition(authorisation_id=a.pk, to_status=target, actor=None, reason="r")
    a.refresh_from_db()
    assert a.status == start


def test_suspension_and_reinstatement_switch_benefits_at_once(operator_a, customs_user):
    supervisor = customs_user("supervisor")
    a = _authorised(operator_a.operator, supervisor)
    assert operator_benefits(operator_a.operator).is_aeo
    authorisation_transition(
        authorisation_id=a.pk, to_status=S.SUSPENDED, actor=supervisor, reason="audit findings"
    )
    assert operator_benefits(operator_a.operator) == Benefits()
    authorisation_transition(
        authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor, reason="remedied"
    )
    assert operator_benefits(operator_a.operator).is_aeo
    a.refresh_from_db()
    assert a.certificate_number == "FRAEOF0001"  # reinstating keeps the certificate


def test_expiry_beat_task_expires_authorisations_past_validity_once(operator_a, customs_user):
    supervisor = customs_user("supervisor")
    a = _authorised(operator_a.operator, supervisor, valid_to=timezone.localdate())
    assert expire_authorisations() == 0  # still valid today
    AEOAuthorisation.objects.filter(pk=a.pk).update(
        valid_to=timezone.localdate() - timedelta(days=1)
    )
    # Out of its dates, it already gives nothing, even before the task runs.
    assert not operator_benefits(operator_a.operator).is_aeo
    assert expire_authorisations() == 1
    assert expire_authorisations() == 0
    a.refresh_from_db()
    assert a.status == S.EXPIRED
    audit = AuditEvent.objects.get(action="aeo.expired", object_id=str(a.pk))
    assert audit.actor is None and audit.actor_label == "system"


def test_partner_aeo_recognised_only_under_an_arrangement_in_force(operator_b, customs_user):
    supervisor = customs_user("supervisor")
    admin = customs_user("administrator")
    op = operator_b.operator
    with pytest.raises(RegistryError) as none:
        authorisation_recognise(
            operator=op,
            partner_country="CN",
            kind="AEOS",
            certificate_number="CN-AEO-77",
            actor=supervisor,
        )
    assert none.value.field == "partner_country"
    mutual_recognition_save(
        partner_country="cn",
        partner_name="General Administration of Customs of China",
        kinds=["AEOS", "AEOF"],
        valid_from=timezone.localdate() - timedelta(days=365),
        actor=admin,
    )
    with pytest.raises(RegistryError) as kind:
        authorisation_recognise(
            operator=op,
            partner_country="CN",
            kind="AEOC",
            certificate_number="CN-AEO-77",
            actor=supervisor,
        )
    assert kind.value.field == "kind"
    a = authorisation_recognise(
        operator=op,
        partner_country="CN",
        kind="AEOS",
        certificate_number="CN-AEO-77",
        actor=supervisor,
    )
    assert (a.status, a.recognised_from) == (S.AUTHORISED, "CN")
    assert operator_benefits(op).is_aeo
    # When the arrangement ends, the recognition stops giving benefits.
    mutual_recognition_save(
        partner_country="CN",
        partner_name="General Administration of Customs of China",
        kinds=["AEOS", "AEOF"],
        valid_from=timezone.localdate() - timedelta(days=365),
        valid_to=timezone.localdate() - timedelta(days=1),
        actor=admin,
        reason="arrangement suspended by the partner",
    )
    assert not operator_benefits(op).is_aeo
    assert AuditEvent.objects.filter(action="aeo.mra_save").count() == 2
    ended = AuditEvent.objects.filter(action="aeo.mra_save").latest("id")
    assert ended.reason == "arrangement suspended by the partner"


def test_registry_lists_and_indicators_call_aeo_only_the_operators_with_benefits(
    operator_a, operator_b, example, customs_user, client, django_capture_on_commit_callbacks
):
    """A recognition whose arrangement has ended, and a grant that starts tomorrow, give no
    benefits: the registry's AEO column and filter, the consignments list's AEO filter and the
    dashboard's indicators do not call these operators AEO either."""
    from django.urls import reverse

    from customs_ecom.kpis import _aeo_operator_ids

    admin = customs_user("administrator")
    today = timezone.localdate()
    mra = {
        "partner_country": "JP",
        "partner_name": "Japan Customs",
        "kinds": ["AEOF"],
        "valid_from": today - timedelta(days=365),
        "actor": admin,
    }
    mutual_recognition_save(**mra)
    authorisation_recognise(
        operator=operator_a.operator,
        partner_country="JP",
        kind="AEOF",
        certificate_number="JPAEO42",
        actor=admin,
    )
    mutual_recognition_save(**mra, valid_to=today - timedelta(days=1), reason="ended")
    later = authorisation_apply(operator=operator_b.operator, kind="AEOS", actor=admin)
    authorisation_transition(authorisation_id=later.pk, to_status=S.UNDER_REVIEW, actor=admin)
    authorisation_transition(
        authorisation_id=later.pk,
        to_status=S.AUTHORISED,
        actor=admin,
        reason="audit passed",
        certificate_number="FRAEOS0002",
        valid_from=today + timedelta(days=1),
    )
    operators = (operator_a.operator, operator_b.operator)
    assert not any(operator_benefits(op).is_aeo for op in operators)
    with django_capture_on_commit_callbacks(execute=True):
        declarations_submit(operator=operator_a.operator, bodies=[example])

    client.force_login(admin)
    registry = client.get(reverse("aeo:registry")).context["rows"]
    assert {o.code: o.has_authorisation for o in registry} == {
        "operator-a": False,
        "operator-b": False,
    }
    assert list(client.get(reverse("aeo:registry"), {"aeo": "1"}).context["rows"]) == []
    listed = client.get(reverse("declarations:consignments"), {"aeo": "yes"}).context["rows"]
    assert list(listed) == []
    others = client.get(reverse("declarations:consignments"), {"aeo": "no"}).context["rows"]
    assert [row.operator_id for row in others] == [operator_a.operator.pk]
    assert _aeo_operator_ids(today) == set()
    # From tomorrow the grant is in force: benefits and every list agree again.
    tomorrow = today + timedelta(days=1)
    assert _aeo_operator_ids(tomorrow) == {operator_b.operator.pk}


def test_benefits_follow_the_policy_of_the_kind_and_changes_are_audited(
    operator_a, operator_b, customs_user
):
    admin = customs_user("administrator")
    _authorised(operator_a.operator, admin, kind="AEOS")
    _authorised(operator_b.operator, admin, kind="AEOC")
    benefit_policy_update(
        kind="AEOS",
        risk_score_factor=Decimal("0.4"),
        random_rate_factor=Decimal("0.1"),
        deferred_payment=False,
        max_batch=2000,
        actor=admin,
        reason="MRA alignment",
    )
    both = benefits_for_operators([operator_a.operator.pk, operator_b.operator.pk])
    assert both[operator_a.operator.pk] == Benefits(
        True, Decimal("0.4"), Decimal("0.1"), False, 2000
    )
    policy_c = BenefitPolicy.objects.get(kind="AEOC")
    assert both[operator_b.operator.pk].risk_score_factor == policy_c.risk_score_factor
    assert both[operator_b.operator.pk].deferred_payment is True
    audit = AuditEvent.objects.get(action="aeo.benefit_policy_update")
    assert audit.before["max_batch"] == 1000 and audit.after["max_batch"] == 2000
    assert audit.reason == "MRA alignment"
    with pytest.raises(RegistryError):
        benefit_policy_update(
            kind="AEOS",
            risk_score_factor=Decimal("1.5"),
            random_rate_factor=Decimal("0.1"),
            deferred_payment=False,
            max_batch=10,
            actor=admin,
        )


def test_benefits_of_many_operators_take_a_fixed_number_of_queries(
    operator_a, operator_b, customs_user, django_assert_max_num_queries
):
    admin = customs_user("administrator")
    _authorised(operator_a.operator, admin)
    _authorised(operator_b.operator, admin, kind="AEOC")
    with django_assert_max_num_queries(2):
        result = benefits_for_operators([operator_a.operator.pk, operator_b.operator.pk, 999999])
    assert result[999999].is_aeo is False and result[operator_b.operator.pk].is_aeo


# --- done-when: a suspension changes the channel of the next consignment -------------------------

BORDERLINE = {
    # A gift sent by a business, from a seller new to customs: overridable hits only, about the
    # yellow threshold for an ordinary operator and below it for an AEO.
    "category": "gift",
}


def _borderline(example, lrn):
    body = {**example, **BORDERLINE, "lrn": lrn}
    body["seller"] = {
        **example["seller"],
        "name": "Gadget Wholesale GmbH",
        "identifiers": [{"scheme": "EORI", "value": "DE123456789012345"}],
    }
    body.pop("vendor_tax_scheme", None)
    body["transport_document"] = {"type": "house_waybill", "number": f"HB-{lrn}"}
    return body


def _assess(operator, body, capture):
    with capture(execute=True):
        outcome = declarations_submit(operator=operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    declaration = Declaration.objects.get(pk=outcome.declaration.pk)
    assessment = RiskAssessment.objects.get(declaration=declaration)
    return declaration, assessment


def test_suspending_aeo_status_changes_the_channel_of_the_next_consignment(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    # No random floor: the channel must follow from the score alone.
    ruleset = RuleSet.objects.get(state="active")
    ruleset.policy = {**ruleset.policy, "random_rates": {"yellow": 0.0, "red": 0.0}}
    ruleset.save(update_fields=["policy"])
    supervisor = customs_user("supervisor")
    authorisation = _authorised(operator_a.operator, supervisor)

    before, before_risk = _assess(
        operator_a.operator, _borderline(example, "AEO-1"), django_capture_on_commit_callbacks
    )
    authorisation_transition(
        authorisation_id=authorisation.pk,
        to_status=S.SUSPENDED,
        actor=supervisor,
        reason="serious infringement under investigation",
    )
    after, after_risk = _assess(
        operator_a.operator, _borderline(example, "AEO-2"), django_capture_on_commit_callbacks
    )

    codes_before = sorted(h.rule_code for h in before_risk.hits.all())
    codes_after = sorted(h.rule_code for h in after_risk.hits.all())
    assert codes_before == codes_after and codes_before  # the same risk picture...
    assert before.channel in ("green", "blue")  # ...controlled lightly while authorised
    assert after.channel in ("yellow", "red")  # ...and checked once suspended
    assert after_risk.score > before_risk.score


def test_reinstatement_keeps_the_validity_and_not_once_it_has_ended(operator_a, customs_user):
    """Reinstating ends a suspension of the same authorisation: new dates or another certificate
    are refused (a new grant changes them), and one whose validity ended is not brought back."""
    supervisor = customs_user("supervisor")
    a = _authorised(
        operator_a.operator, supervisor, valid_to=timezone.localdate() + timedelta(days=5)
    )
    authorisation_transition(
        authorisation_id=a.pk, to_status=S.SUSPENDED, actor=supervisor, reason="audit findings"
    )
    with pytest.raises(RegistryError):
        authorisation_transition(
            authorisation_id=a.pk,
            to_status=S.AUTHORISED,
            actor=supervisor,
            reason="remedied",
            valid_to=timezone.localdate() + timedelta(days=900),
        )
    a.refresh_from_db()
    assert a.status == S.SUSPENDED and a.valid_to == timezone.localdate() + timedelta(days=5)
    # The form sends the stored values back: that is no change.
    authorisation_transition(
        authorisation_id=a.pk,
        to_status=S.AUTHORISED,
        actor=supervisor,
        reason="remedied",
        certificate_number=a.certificate_number,
        valid_from=a.valid_from,
        valid_to=a.valid_to,
    )
    authorisation_transition(
        authorisation_id=a.pk, to_status=S.SUSPENDED, actor=supervisor, reason="again"
    )
    AEOAuthorisation.objects.filter(pk=a.pk).update(
        valid_to=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(RegistryError) as refused:
        authorisation_transition(
            authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor, reason="remedied"
        )
    assert "cannot be reinstated" in str(refused.value)
    assert AEOAuthorisation.objects.get(pk=a.pk).status == S.SUSPENDED
    assert not operator_benefits(operator_a.operator).is_aeo


def test_validity_is_read_on_the_installations_day_whoever_asks(operator_a, customs_user):
    """At 09:00 UTC on 25 November it is still the 24th in Honolulu. An authorisation valid to
    the 24th has ended for the installation: an officer's page in Honolulu (an assessment it
    triggers, the registry's AEO column, a reinstatement) does not keep it in force until the
    officer's own midnight."""
    from zoneinfo import ZoneInfo

    from aeo.benefits import aeo_operator_ids

    supervisor = customs_user("supervisor")
    op = operator_a.operator
    yesterday = timezone.localdate() - timedelta(days=1)
    a = _authorised(op, supervisor, valid_to=yesterday)
    authorisation_transition(
        authorisation_id=a.pk, to_status=S.SUSPENDED, actor=supervisor, reason="under review"
    )
    with timezone.override(ZoneInfo("Pacific/Honolulu")):
        assert timezone.localdate() == yesterday  # the officer's own day
        assert op.pk not in aeo_operator_ids()
        assert operator_benefits(op).is_aeo is False
        with pytest.raises(RegistryError):
            authorisation_transition(
                authorisation_id=a.pk, to_status=S.AUTHORISED, actor=supervisor, reason="back"
            )


def test_aeo_on_a_past_day_is_read_from_the_registry_as_it_stood_then(
    operator_a, operator_b, customs_user
):
    """A suspension since lifted leaves the suspended days without AEO; a recognition whose
    arrangement ended since was AEO while the arrangement was in force; an authorisation
    applied for since did not exist."""
    from datetime import UTC, date, datetime

    import time_machine

    from aeo.benefits import aeo_operator_ids_on

    admin = customs_user("administrator")
    at = lambda d: time_machine.travel(datetime(2026, 11, d, 10, tzinfo=UTC), tick=False)  # noqa: E731
    with at(2):
        a = _authorised(operator_a.operator, admin)
        mutual_recognition_save(
            partner_country="JP", partner_name="Japan Customs", kinds=["AEOF"],
            valid_from=date(2026, 1, 1), actor=admin,
        )  # fmt: skip
        authorisation_recognise(
            operator=operator_b.operator, partner_country="JP", kind="AEOF",
            certificate_number="JPAEO42", actor=admin,
        )  # fmt: skip
    with at(10):
        authorisation_transition(
            authorisation_id=a.pk, to_status=S.SUSPENDED, actor=admin, reason="inquiry"
        )
    with at(20):
        authorisation_transition(
            authorisation_id=a.pk, to_status=S.AUTHORISED, actor=admin, reason="cleared"
        )
        mutual_recognition_save(
            partner_country="JP", partner_name="Japan Customs", kinds=["AEOF"],
            valid_from=date(2026, 1, 1), valid_to=date(2026, 11, 19), actor=admin,
        )  # fmt: skip
    a_id, b_id = operator_a.operator.pk, operator_b.operator.pk
    assert aeo_operator_ids_on(date(2026, 11, 1)) == set()  # nothing applied for yet
    assert aeo_operator_ids_on(date(2026, 11, 5)) == {a_id, b_id}
    assert aeo_operator_ids_on(date(2026, 11, 12)) == {b_id}  # A suspended
    assert aeo_operator_ids_on(date(2026, 11, 22)) == {a_id}  # reinstated; the arrangement ended
    assert aeo_operator_ids_on(timezone.localdate()) == {a_id}
