"""Every officer action, rule change and configuration change is audited (who, when, before,
after): one case per state-changing page address, each making a valid change as the role that may
make it and reading back the audit events it wrote; and a guard that fails when a page address
that accepts POST is neither listed here nor declared to change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customs_ecom.platform.models import AuditEvent
from customs_ecom.platform.templatetags.human import ACTION_LABELS, LABELS, action, label
from tests.lifecycle_helpers import decision

pytestmark = pytest.mark.django_db

CREATE, CHANGE, DELETE = "create", "change", "delete"


@dataclass
class Expected:
    """An audit event a change must write: its action, and whether it creates (no before),
    changes (before and after, different) or deletes (no after)."""

    action: str
    kind: str = CHANGE
    object_id: Any = None
    check: Callable[[AuditEvent], bool] | None = field(default=None, repr=False)


class World:
    """What a case needs, made on demand through the services production uses."""

    def __init__(self, client, customs_user, operator_a, example, capture) -> None:
        self.client = client
        self.customs_user = customs_user
        self.operator_a = operator_a
        self.example = example
        self.capture = capture
        self._n = 0
        self.start = 0

    def login(self, role: str, username: str | None = None):
        user = self.customs_user(role, username)
        self.client.force_login(user)
        return user

    def post(self, url: str, data: dict | None = None):
        """The page's change: the audit events from here on are the ones it wrote."""
        self.start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return self.client.post(url, data or {})

    def admin(self):
        user = self.customs_user("administrator")
        user.is_staff = user.is_superuser = True
        user.save()
        self.client.force_login(user)
        return user

    def red(self) -> int:
        """A red consignment (prohibited goods keyword), assessed, not yet arrived."""
        from declarations.services import declarations_submit

        self._n += 1
        body = dict(
            self.example,
            lrn=f"AUDIT-{self._n}",
            transport_document={"type": "house_waybill", "number": f"88{self._n:06d}"},
        )
        body["items"] = [
            dict(
                self.example["items"][0],
                description="Replica Rolex watch",
                hs_code="910221",
                value="15.00",
            )
        ]
        body["order"] = {k: v for k, v in self.example["order"].items() if k != "payment"}
        with self.capture(execute=True):
            (outcome,) = declarations_submit(operator=self.operator_a.operator, bodies=[body])
        return outcome.declaration.pk

    def claimed(self, user) -> int:
        from declarations import lifecycle

        pk = self.red()
        lifecycle.claim(declaration_id=pk, user=user)
        return pk

    def regime(self):
        from revenue.models import Regime

        return Regime.objects.get(code="GB-2021", version=1)  # open-ended, from 2021

    def draft(self, analyst) -> int:
        from risk.services import rulesets

        base = rulesets.active_ruleset()
        return rulesets.ruleset_edit_policy(
            base=base, policy=base.policy, effective_from=timezone.now(), actor=analyst, note="d"
        ).version


def _form_data(form) -> dict[str, Any]:
    """What a browser sends for an unchanged form: every field's shown value."""
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        data[bound.html_name] = "on" if value is True else value
    return data


def _csv(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# --- the cases: each makes one change and names the audit events it must write ---------------


def saved_view_create(w: World):
    w.login("officer")
    w.post(reverse("declarations:saved_view_create"), {"name": "mine", "query": "q=x"})
    return [Expected("saved_view.save", CREATE)]


def saved_view_overwrite(w: World):
    from declarations.workspace import saved_view_save

    saved_view_save(user=w.login("officer"), name="mine", query="channel=red")
    w.post(reverse("declarations:saved_view_create"), {"name": "mine", "query": "q=x"})
    return [Expected("saved_view.save", check=lambda e: e.before == {"query": "channel=red"})]


def saved_view_delete(w: World):
    from declarations.workspace import saved_view_save

    view = saved_view_save(user=w.customs_user("officer"), name="mine", query="q=x")
    w.login("officer")
    w.post(reverse("declarations:saved_view_delete", args=[view.pk]))
    return [Expected("saved_view.delete", DELETE, view.pk)]


def _action(w: World, pk: int, code: str, data: dict | None = None) -> None:
    w.post(reverse("declarations:consignment_action", args=[pk, code]), decision(pk, data))


def action_claim(w: World):
    officer = w.login("officer")
    pk = w.red()
    _action(w, pk, "claim")
    return [Expected("declaration.claim", object_id=pk, check=_claimed_by(officer))]


def _claimed_by(user):
    return lambda e: e.before == {"claimed_by": None} and e.after == {"claimed_by": user.pk}


def action_take_over(w: World):
    pk = w.claimed(w.customs_user("officer"))
    w.login("supervisor")
    _action(w, pk, "take_over")
    return [Expected("declaration.take_over", object_id=pk, check=lambda e: e.before["claimed_by"])]


def action_note(w: World):
    pk = w.claimed(w.login("officer"))
    _action(w, pk, "note", {"text": "brand looks odd"})
    return [Expected("declaration.note", CREATE, pk)]


def action_request_documents(w: World):
    pk = w.claimed(w.login("officer"))
    _action(w, pk, "request_documents", {"documents": ["invoice"]})
    return [Expected("declaration.documents_requested", object_id=pk, check=_status("assessed"))]


def _status(before: str):
    return lambda e: e.before == {"status": before} and e.after["status"] != before


def action_inspect(w: World):
    pk = w.claimed(w.login("officer"))
    _action(w, pk, "inspect", {"inspection_kind": "nii"})
    return [Expected("declaration.inspection", object_id=pk, check=_status("assessed"))]


def action_detain(w: World):
    pk = w.claimed(w.login("officer"))
    _action(w, pk, "detain", {"reason": "counterfeit", "confirm": "on"})
    return [Expected("declaration.detained", object_id=pk, check=_status("assessed"))]


def action_seize(w: World):
    pk = w.claimed(w.login("officer"))
    _action(w, pk, "seize", {"reason": "counterfeit", "confirm": "on"})
    return [
        Expected("declaration.detained", object_id=pk, check=_status("assessed")),
        Expected("case.seizure.open", CREATE, pk),
    ]


def action_close_case(w: World):
    from declarations import lifecycle

    officer = w.customs_user("officer")
    pk = w.claimed(officer)
    lifecycle.perform(declaration_id=pk, code="seize", user=officer, reason="counterfeit")
    supervisor = w.login("supervisor")
    lifecycle.claim(declaration_id=pk, user=supervisor, take_over=True)
    _action(w, pk, "close_case", {"reason": "genuine after all", "confirm": "on"})
    return [Expected("case.seizure.close", object_id=pk)]


def action_release(w: World):
    from declarations import lifecycle
    from risk.services.outcomes import outcome_record
    from tests.lifecycle_helpers import arrive, pay_at_border

    officer = w.customs_user("officer")
    pk = w.claimed(officer)
    arrive(pk)
    pay_at_border(pk)
    outcome_record(declaration_id=pk, officer=officer, result="compliant")
    supervisor = w.login("supervisor")  # prohibited goods: a second person releases
    lifecycle.claim(declaration_id=pk, user=supervisor, take_over=True)
    _action(w, pk, "release", {"reason": "inspected, compliant", "confirm": "on"})
    return [Expected("declaration.released", object_id=pk)]


def bulk_claim(w: World):
    w.login("officer")
    first, second = w.red(), w.red()
    w.post(reverse("declarations:bulk_action", args=["claim"]), {"ids": [first, second]})
    return [
        Expected("declaration.claim", object_id=first),
        Expected("declaration.claim", object_id=second),
    ]


def workload_targets(w: World):
    w.login("supervisor")
    form = w.client.get(reverse("declarations:workload_targets")).context["form"]
    data = {**_form_data(form), "hours_red": "6", "reason": "staffing"}
    w.post(reverse("declarations:workload_targets"), data)
    return [Expected("workload.targets", check=lambda e: e.after["red"] == 6 != e.before["red"])]


def claim_reassign(w: World):
    first = w.customs_user("officer", "first")
    second = w.customs_user("officer", "second")
    pk = w.claimed(first)
    w.login("supervisor")
    w.post(reverse("declarations:claim_reassign", args=[pk]), {"to": second.pk, "reason": "leave"})
    return [
        Expected(
            "declaration.reassign",
            object_id=pk,
            check=lambda e: (
                (e.before, e.after) == ({"claimed_by": first.pk}, {"claimed_by": second.pk})
            ),
        )
    ]


def declarations_import(w: World):
    w.login("officer")
    w.post(
        reverse("declarations:import"),
        {"operator": w.operator_a.operator.pk, "file": _csv("batch.csv", "lrn\n")},
    )
    return [Expected("declarations.import", CREATE, w.operator_a.operator.pk)]


def rule_edit(w: World):
    w.login("risk_analyst")
    url = reverse("risk:rule_edit", args=["prohibited_goods_keyword"])
    data = {**_form_data(w.client.get(url).context["form"]), "note": "tighter"}
    data.pop("enabled", None)  # the change: the rule switched off
    w.post(url, data)
    return [
        Expected(
            "ruleset.create",
            check=lambda e: e.before["version"] == 1 and e.after["rules"] != e.before["rules"],
        )
    ]


def policy_edit(w: World):
    w.login("risk_analyst")
    url = reverse("risk:policy_edit")
    data = {**_form_data(w.client.get(url).context["form"]), "note": "fewer red"}
    data["threshold_red"] = str(int(data["threshold_red"]) + 5)
    w.post(url, data)
    return [
        Expected(
            "ruleset.create",
            check=lambda e: e.after["policy"]["thresholds"] != e.before["policy"]["thresholds"],
        )
    ]


def version_propose(w: World):
    version = w.draft(w.login("risk_analyst"))
    w.post(reverse("risk:propose", args=[version]), {"reason": "go", "confirm": "on"})
    return [Expected("ruleset.propose", object_id=version)]


def _proposed(w: World) -> int:
    from risk import approval
    from risk.models import RuleSet

    analyst = w.customs_user("risk_analyst")
    version = w.draft(analyst)
    ruleset = RuleSet.objects.get(version=version)
    approval.ruleset_propose(ruleset_id=ruleset.pk, actor=analyst, reason="go")
    w.login("supervisor")
    return version


def version_approve(w: World, name: str = "risk:approve"):
    version = _proposed(w)
    w.post(reverse(name, args=[version]), {"reason": "read it", "confirm": "on"})
    return [
        Expected("ruleset.approve", object_id=version),
        Expected(
            "ruleset.activate",
            object_id=version,
            check=lambda e: (
                e.before == {"active_version": [1]} and e.after == {"active_version": version}
            ),
        ),
    ]


def version_activate(w: World):
    return version_approve(w, "risk:activate")


def version_reject(w: World):
    version = _proposed(w)
    w.post(reverse("risk:reject", args=[version]), {"reason": "not yet"})
    return [Expected("ruleset.reject", object_id=version)]


def train_model(w: World):
    w.login("risk_analyst")
    w.post(reverse("risk:train_model"))
    return [Expected("risk_model.train_requested", CREATE)]


def watchlist_import(w: World):
    w.login("risk_analyst")
    text = "name,country,list\nShenzen Exampel Trading,CN,national\n"
    w.post(reverse("risk:watchlist"), {"file": _csv("list.csv", text), "reason": "intelligence"})
    return [
        Expected(
            "watchlist.import",
            check=lambda e: (
                e.before == {"entries_by_list": {"national": 0}}
                and e.after["added"][0]["name"] == "Shenzen Exampel Trading"
            ),
        )
    ]


def reference_values(w: World):
    w.admin()
    text = (
        "hs_code,basis,keywords,value_eur,source,as_of,note\n"
        "610910,per_kg,,18,National valuation database,2026-10-31,T-shirts\n"
    )
    w.post(reverse("risk:reference_values"), {"file": _csv("ref.csv", text), "reason": "new table"})
    return [
        Expected(
            "risk.reference_values.replace",
            check=lambda e: e.before != e.after and e.after["sources"],
        )
    ]


def outcome_create(w: World):
    pk = w.claimed(w.login("officer"))
    w.post(
        reverse("risk:outcome_create", args=[pk]),
        {"result": "compliant", "revision": 1, "outcome_seen": 0},
    )
    return [Expected("risk.outcome", object_id=pk)]


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def regime_edit(w: World):
    w.admin()
    regime = w.regime()
    url = reverse("revenue:regime_edit", args=[regime.pk])
    data = _form_data(w.client.get(url).context["form"])
    data.update(effective_from=_tomorrow(), reason="Finance act", rounding_mode="ROUND_HALF_EVEN")
    w.post(url, data)
    return [Expected("regime.new_version", check=lambda e: "rounding_mode" in e.after)]


def regime_rate(w: World):
    w.admin()
    regime = w.regime()
    data = {
        "table": "duty_rates",
        "hs_prefix": "6109",
        "rate": "7%",
        "effective_from": _tomorrow(),
        "reason": "Finance act",
    }
    w.post(reverse("revenue:regime_rate", args=[regime.pk]), data)
    return [Expected("regime.new_version", check=lambda e: "duty_rates" in e.after)]


def regime_import(w: World):
    w.admin()
    regime = w.regime()
    w.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": _csv("tariff.csv", "hs_prefix,rate,description\n6109,12%,T-shirts\n"),
            "effective_from": _tomorrow(),
            "reason": "TARIC extract",
        },
    )
    return [Expected("regime.new_version", check=lambda e: "duty_rates" in e.after)]


def tax_schemes(w: World):
    w.admin()
    text = "scheme,number,valid_from\nIOSS,IM2500000042,2026-01-01\n"
    w.post(reverse("revenue:tax_schemes"), {"file": _csv("ioss.csv", text), "reason": "registry"})
    return [
        Expected(
            "tax_scheme_registry.import",
            check=lambda e: "IM2500000042" in str(e.after) and e.before != e.after,
        )
    ]


def payment(w: World):
    pk = w.red()
    w.login("officer")
    from revenue.services.ledger import latest_entry_id

    w.post(
        reverse("revenue:payment", args=[pk]),
        {"amount": "1.00", "reference": "R-1", "ledger_seen": latest_entry_id(pk)},
    )
    return [Expected("ledger.payment", object_id=pk)]


def revalue(w: World):
    from declarations import lifecycle

    officer = w.login("officer")
    pk = w.claimed(officer)
    lifecycle.perform(declaration_id=pk, code="inspect", user=officer)
    w.post(
        reverse("revenue:revalue", args=[pk]),
        {"reason": "invoice found", "revision": 1, "line_1": "150.00"},
    )
    return [Expected("taxes.revalue", object_id=pk)]


def operator_new(w: World):
    w.login("supervisor")
    w.post(
        reverse("aeo:operator_new"),
        {"code": "fwd-one", "name": "Forward One", "role": "freight_forwarder", "country": "NL"},
    )
    return [Expected("operator.create", CREATE)]


def operator_edit(w: World):
    w.login("supervisor")
    operator = w.operator_a.operator
    url = reverse("aeo:operator_edit", args=[operator.pk])
    data = {**_form_data(w.client.get(url).context["form"]), "name": "Renamed", "reason": "x"}
    w.post(url, data)
    return [Expected("operator.update", object_id=operator.pk)]


def _access(w: World, data: dict) -> int:
    w.admin()
    operator = w.operator_a.operator
    w.post(reverse("aeo:access", args=[operator.pk]), data)
    return operator.pk


def access_key(w: World):
    from aeo.services.access import api_key_count

    seen = api_key_count(w.operator_a.operator)
    pk = _access(w, {"form": "key", "name": "erp", "keys_seen": seen})
    return [Expected("api_key.create", CREATE, pk)]


def access_revoke(w: World):
    from aeo.models import OperatorAPIKey

    key = OperatorAPIKey.objects.filter(operator=w.operator_a.operator).first()
    pk = _access(w, {"form": "revoke", "prefix": key.prefix})
    return [Expected("api_key.revoke", object_id=pk)]


def access_throttle(w: World):
    pk = _access(w, {"form": "throttle", "throttle_rate": "2/min", "reason": "abuse"})
    return [Expected("operator.throttle", object_id=pk)]


def access_webhook(w: World):
    data = {
        "form": "webhook",
        "webhook_url": "https://erp.example.org/hooks",
        "webhook_secret": "a-secret-of-sixteen-or-more",
    }
    pk = _access(w, data)
    return [
        Expected(
            "operator.webhook",
            object_id=pk,
            check=lambda e: "a-secret" not in str(e.after) and e.after["webhook_url"],
        )
    ]


PARTS = {
    "identifiers": {"scheme": "vat", "value": "GB123456789"},
    "contacts": {"name": "Customs desk", "email": "desk@example.org"},
    "links": {"kind": "sells_on"},
}


def _part_add(part: str):
    def case(w: World):
        from tests.conftest import make_operator

        w.login("supervisor")
        operator = w.operator_a.operator
        data = dict(PARTS[part])
        if part == "links":
            data["target"] = make_operator("target-op").operator.pk
        w.post(reverse("aeo:operator_part_add", args=[operator.pk, part]), data)
        return [Expected(f"operator.{part[:-1]}_add", CREATE, operator.pk)]

    return case


def _part_remove(part: str):
    def case(w: World):
        from aeo import services
        from tests.conftest import make_operator

        operator = w.operator_a.operator
        supervisor = w.customs_user("supervisor")
        if part == "identifiers":
            obj = services.operator_identifier_add(
                operator=operator, actor=supervisor, **PARTS[part]
            )
        elif part == "contacts":
            obj = services.operator_contact_add(operator=operator, actor=supervisor, **PARTS[part])
        else:
            target = make_operator("target-op").operator
            obj = services.operator_link_add(
                source=operator, target=target, kind="sells_on", actor=supervisor
            )
        added = AuditEvent.objects.filter(action=f"operator.{part[:-1]}_add").latest("id").after
        w.login("supervisor")
        w.post(reverse("aeo:operator_part_remove", args=[operator.pk, part, obj.pk]))
        # What is removed reads as what was added: every field, the linked operator by its code.
        return [
            Expected(
                f"operator.{part[:-1]}_remove", DELETE, operator.pk, lambda e: e.before == added
            )
        ]

    return case


def authorisation_apply(w: World):
    w.login("supervisor")
    operator = w.operator_a.operator
    w.post(reverse("aeo:authorisation_apply", args=[operator.pk]), {"kind": "AEOF"})
    return [Expected("aeo.apply", CREATE)]


def authorisation_recognise(w: World):
    from aeo import services

    services.mutual_recognition_save(
        partner_country="JP",
        partner_name="Japan Customs",
        kinds=["AEOF", "AEOS"],
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_to=None,
        actor=w.customs_user("administrator"),
        reason="agreement",
    )
    w.login("supervisor")
    w.post(
        reverse("aeo:authorisation_recognise", args=[w.operator_a.operator.pk]),
        {
            "partner_country": "JP",
            "kind": "AEOF",
            "certificate_number": "JPAEO42",
            "valid_from": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    return [
        Expected("aeo.recognition_requested", CREATE),
        Expected("aeo.authorised", check=lambda e: e.before["status"] == "applied"),
    ]


def authorisation_decide(w: World):
    from aeo import services

    supervisor = w.customs_user("supervisor")
    authorisation = services.authorisation_apply(
        operator=w.operator_a.operator, kind="AEOF", note="", actor=supervisor
    )
    w.login("supervisor")
    w.post(
        reverse("aeo:authorisation", args=[authorisation.pk]), {"action": "review", "reason": "go"}
    )
    return [
        Expected(
            "aeo.under_review",
            object_id=authorisation.pk,
            check=lambda e: e.before["status"] == "applied" and e.after["status"] == "under_review",
        )
    ]


def benefits_policy(w: World):
    from aeo.benefits import ensure_benefit_policies
    from aeo.models import BenefitPolicy

    ensure_benefit_policies()
    policy = BenefitPolicy.objects.first()
    w.admin()
    prefix = policy.kind
    w.post(
        reverse("aeo:benefits"),
        {
            "kind": policy.kind,
            f"{prefix}-risk_score_factor": "0.25",
            f"{prefix}-random_rate_factor": "0.1",
            f"{prefix}-max_batch": "50",
            f"{prefix}-reason": "review",
        },
    )
    return [Expected("aeo.benefit_policy_update", object_id=policy.kind)]


def benefits_arrangement(w: World):
    w.admin()
    w.post(
        reverse("aeo:benefits"),
        {
            "partner_country": "JP",
            "partner_name": "Japan Customs",
            "kinds": ["AEOF"],
            "valid_from": "2026-01-01",
            "reason": "agreement",
        },
    )
    return [Expected("aeo.mra_save", CREATE)]


# Every page address that accepts POST and changes something, with the cases that change it.
AUDITED: dict[str, list[Callable[[World], list[Expected]]]] = {
    "declarations:saved_view_create": [saved_view_create, saved_view_overwrite],
    "declarations:saved_view_delete": [saved_view_delete],
    "declarations:consignment_action": [
        action_claim,
        action_take_over,
        action_note,
        action_request_documents,
        action_inspect,
        action_detain,
        action_seize,
        action_close_case,
        action_release,
    ],
    "declarations:bulk_action": [bulk_claim],
    "declarations:workload_targets": [workload_targets],
    "declarations:claim_reassign": [claim_reassign],
    "declarations:import": [declarations_import],
    "risk:rule_edit": [rule_edit],
    "risk:policy_edit": [policy_edit],
    "risk:propose": [version_propose],
    "risk:approve": [version_approve],
    "risk:activate": [version_activate],
    "risk:reject": [version_reject],
    "risk:train_model": [train_model],
    "risk:watchlist": [watchlist_import],
    "risk:reference_values": [reference_values],
    "risk:outcome_create": [outcome_create],
    "revenue:regime_edit": [regime_edit],
    "revenue:regime_rate": [regime_rate],
    "revenue:regime_import": [regime_import],
    "revenue:tax_schemes": [tax_schemes],
    "revenue:payment": [payment],
    "revenue:revalue": [revalue],
    "aeo:operator_new": [operator_new],
    "aeo:operator_edit": [operator_edit],
    "aeo:access": [access_key, access_revoke, access_throttle, access_webhook],
    "aeo:operator_part_add": [_part_add(p) for p in PARTS],
    "aeo:operator_part_remove": [_part_remove(p) for p in PARTS],
    "aeo:authorisation_apply": [authorisation_apply],
    "aeo:authorisation_recognise": [authorisation_recognise],
    "aeo:authorisation": [authorisation_decide],
    "aeo:benefits": [benefits_policy, benefits_arrangement],
}

# State-changing addresses whose audit is asserted by a test of their own (they need a long
# set-up: a watchlist match on a consignment, a returned-goods claim, a published list file).
AUDITED_ELSEWHERE = {
    "risk:false_positive_create": "tests/risk/test_pages.py (watchlist.false_positive_proposed)",
    "risk:false_positive_confirm": "tests/risk/test_pages.py (watchlist.false_positive)",
    "risk:watchlist_published": "tests/risk/test_watchlist_published.py (watchlist.update)",
    "risk:watchlist_withdrawal": (
        "tests/risk/test_watchlist_withdrawals.py "
        "(watchlist.withdrawal_confirmed, watchlist.withdrawal_rejected)"
    ),
    "revenue:relief": "tests/revenue/test_returned_goods.py (relief.granted, relief.refused)",
}

# Addresses that answer a POST but change no customs data: the session (login, logout, language)
# and the public estimator, which computes and stores nothing. Every other page answers a POST
# only by reading (the view ignores the method) and is listed in READ_ONLY below.
NO_CUSTOMS_CHANGE = {"login", "logout", "set_language", "revenue:estimate"}


CASES = [
    pytest.param(name, case, id=f"{name}:{case.__name__ if hasattr(case, '__name__') else i}")
    for name, cases in AUDITED.items()
    for i, case in enumerate(cases)
]


@pytest.fixture
def world(client, customs_user, operator_a, example, django_capture_on_commit_callbacks):
    return World(client, customs_user, operator_a, example, django_capture_on_commit_callbacks)


@pytest.mark.parametrize(("name", "case"), CASES)
def test_each_change_is_audited_with_who_what_before_and_after(name, case, world):
    expected = case(world)
    user = world.client.session.get("_auth_user_id")
    new = list(AuditEvent.objects.filter(id__gt=world.start).order_by("id"))
    assert sorted(e.action for e in new) == sorted(x.action for x in expected), [
        (e.action, e.before, e.after) for e in new
    ]
    for want in expected:
        event = next(e for e in new if e.action == want.action and _matches(e, want))
        assert str(event.actor_id) == user, (event.action, event.actor_label)
        assert event.actor_label and event.actor_label != "system"
        assert event.at is not None
        if want.kind == CREATE:
            assert event.before is None and event.after, event.after
        elif want.kind == DELETE:
            assert event.before and event.after is None, (event.before, event.after)
        else:
            assert event.before and event.after and event.before != event.after, (
                event.before,
                event.after,
            )
        if want.check is not None:
            assert want.check(event), (event.before, event.after)
    for event in new:  # the audit page shows each key and code in words, never as a code
        unworded = _unworded(event.before) | _unworded(event.after)
        assert not unworded, (event.action, sorted(unworded))
        assert event.action in ACTION_LABELS or action(event.action) != label(event.action), (
            event.action
        )


def _unworded(value) -> set[str]:
    """The keys of a stored before/after value (nested too) that the audit page would show as
    their code with the first letter capitalised, in English on a French page (a number or a
    tariff code as a key, in a map of rates or lines, is shown as it is)."""
    if isinstance(value, dict):
        return {key for key in value if key not in LABELS and not key.isdigit()}.union(
            *(_unworded(item) for item in value.values())
        )
    if isinstance(value, list | tuple):
        return set().union(*(_unworded(item) for item in value))
    return set()


def _matches(event: AuditEvent, want: Expected) -> bool:
    return want.object_id is None or event.object_id == str(want.object_id)


# --- the guard: no page address that accepts POST goes unlisted -------------------------------


def _named_patterns(resolver=None, prefix: str = "", namespace: str | None = None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            ns = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _named_patterns(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def _customs_pages():
    """The addresses of customs users' pages: not the operator API (operators' own actions,
    audited under the operator's label) and not the admin pages (see the admin test below)."""
    return {
        name: (route, pattern)
        for name, route, pattern in _named_patterns()
        if not name.startswith(("api:", "admin:"))
        and name not in ("schema", "api-docs", "healthz", "readyz")
    }


def _placeholder_kwargs(pattern) -> dict[str, Any]:
    converters = pattern.pattern.converters
    return {
        key: ("claim" if key in ("action", "part") else 1)
        if type(conv).__name__ in ("IntConverter",) or key in ("action", "part")
        else "x"
        for key, conv in converters.items()
    }


def test_every_page_that_accepts_post_is_listed(client, customs_user):
    """A POST (empty, by a superuser who holds every role) to each page: those that answer
    anything but 405 must be listed as audited, audited elsewhere, changing nothing of customs,
    or read only. A new form or htmx endpoint cannot go unlisted."""
    superuser = customs_user("administrator", "root")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    listed = set(AUDITED) | set(AUDITED_ELSEWHERE) | NO_CUSTOMS_CHANGE | READ_ONLY
    pages = _customs_pages()
    assert listed <= set(pages), sorted(listed - set(pages))  # no stale names
    unlisted = []
    for name, (_route, pattern) in sorted(pages.items()):
        if name in ("login", "logout"):
            continue
        client.force_login(superuser)
        before = AuditEvent.objects.count()
        answer = client.post(reverse(name, kwargs=_placeholder_kwargs(pattern)), {})
        accepts = answer.status_code != 405
        if accepts and name not in listed:
            unlisted.append(name)
        if name in READ_ONLY | NO_CUSTOMS_CHANGE:
            assert AuditEvent.objects.count() == before, name
    assert not unlisted, f"POST accepted, audit not asserted: {unlisted}"


# Pages that read: a POST is answered as a GET (their views do not filter the method) and
# changes nothing.
READ_ONLY = {
    "home",
    "dashboard",
    "dashboard_export",
    "framework",
    "audit_log",
    "audit_log_csv",
    "problem_types",
    "problem_type",
    "declarations:queue",
    "declarations:consignment",
    "declarations:consignment_document",
    "declarations:search",
    "declarations:consignments",
    "declarations:workload",
    "declarations:claims",
    "declarations:document_inline",
    "declarations:case_report",
    "declarations:import_detail",
    "declarations:import_errors",
    "risk:rules",
    "risk:backtest",
    "risk:version",
    "revenue:regimes",
    "revenue:regime",
    "revenue:verification",
    "revenue:ledger",
    "revenue:statements",
    "revenue:reconciliation",
    "aeo:registry",
    "aeo:operator",
    "aeo:review_queue",
}


def test_every_admin_page_that_changes_data_is_audited():
    """Each model on the admin pages is either read only there (no add, change or delete) or
    managed by an audited admin class (users, roles, login lockouts)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from customs_ecom.platform.admin import _Audited

    request = RequestFactory().get("/admin/")
    request.user = type("Root", (), {"is_active": True, "is_staff": True, "is_superuser": True,
                                     "has_perm": lambda self, perm, obj=None: True})()  # fmt: skip
    audited_elsewhere = {"axes.AccessAttempt"}  # deletions audited by a signal, see admin.py
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        writes = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        if not writes or label in audited_elsewhere:
            continue
        assert isinstance(model_admin, _Audited), f"{label}: admin writes without an audit"


def test_a_staff_user_changing_their_own_password_on_the_admin_pages_is_audited(
    client, customs_user
):
    administrator = customs_user("administrator")
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    secret = "A-longer-own-passphrase-2026"
    answer = client.post(
        reverse("admin:password_change"),
        {"old_password": "pw-for-tests-1", "new_password1": secret, "new_password2": secret},
    )
    assert answer.status_code == 302, answer.content[:1500]
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor == administrator and event.object_id == str(administrator.pk)
    assert event.after == {"password": "changed"} and secret not in str(event.after)


def test_the_commands_that_create_operators_and_keys_are_audited_under_their_name(db):
    from django.core.management import call_command

    call_command("create_operator", code="cli-op", name="Cli Op", role="marketplace")
    call_command("create_api_key", "cli-op", stdout=io.StringIO())
    events = {e.action: e for e in AuditEvent.objects.all()}
    assert events["operator.create"].actor_label.startswith(
        "command line (create_operator, system user "
    )
    assert events["api_key.create"].actor_label.startswith(
        "command line (create_api_key, system user "
    )
    assert events["api_key.create"].reason == "create_api_key command"
    assert events["operator.create"].after["code"] == "cli-op"
