"""A rule edit sent twice makes one draft: an edit that changes nothing in the version it starts
from (the same form sent again, or saved as it was) makes no version that changes nothing."""

import pytest

from customs_ecom.platform.models import AuditEvent
from risk.models import RuleSet

pytestmark = pytest.mark.django_db

EDIT = {
    "enabled": "on",
    "score": "46",
    "min_channel": "yellow",
    "note": "tune splitting",
    "window_hours": "72",
    "ceiling_eur": "150",
    "min_consignments": "2",
}


def test_the_same_rule_edit_sent_twice_makes_one_draft(client, customs_user):
    client.force_login(customs_user("risk_analyst"))
    client.post("/risk/rules/splitting/", EDIT)
    again = client.post("/risk/rules/splitting/", EDIT, follow=True).content.decode()
    assert list(RuleSet.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert "Nothing changed: version 2 already holds these values." in again
    assert AuditEvent.objects.filter(action="ruleset.create").count() == 1
    # A real change builds on it.
    client.post("/risk/rules/splitting/", {**EDIT, "score": "47"})
    assert RuleSet.objects.order_by("-version").first().version == 3


def test_saving_the_active_rules_unchanged_makes_no_draft(client, customs_user):
    client.force_login(customs_user("risk_analyst"))
    client.post("/risk/rules/splitting/", {**EDIT, "score": "45"})  # the shipped value
    assert list(RuleSet.objects.values_list("version", flat=True)) == [1]
