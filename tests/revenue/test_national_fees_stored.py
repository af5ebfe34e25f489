"""National fees beyond the engine: the ledger row of a levy billed to the declarant, and shipped
figures that change under an existing installation (updated after migrate, audited)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from customs_ecom.platform.models import AuditEvent
from revenue.models import Regime
from revenue.services.assessment import _ledger_values
from revenue.services.regimes import ensure_shipped_regimes

pytestmark = pytest.mark.django_db


def _line(payer: str, channel: str, amount: str, model: str) -> SimpleNamespace:
    return SimpleNamespace(
        payer=payer, collection_channel=channel, amount=Decimal(amount), collection_model=model
    )


def test_a_levy_billed_to_the_declarant_goes_on_its_account_not_to_the_border():
    declaration = SimpleNamespace(
        pk=7,
        operator_id=3,
        operator=SimpleNamespace(name="Kiwi Express"),
        consignee_name="A. Buyer",
        tax_scheme="",
        tax_scheme_number="",
    )
    lines = [
        _line("declarant", "deferred_statement", "2.21", "intermediary_deferred"),
        _line("declarant", "deferred_statement", "0.33", "intermediary_deferred"),
        _line("consignee", "border", "5.00", "consignee_border"),
    ]
    rows = {row["source_key"]: row for row in _ledger_values(declaration, 11, lines, "NZD")}
    assert set(rows) == {"assessment:11:deferred", "assessment:11:border"}
    deferred = rows["assessment:11:deferred"]
    assert (deferred["amount"], deferred["account_id"], deferred["payer"]) == (
        Decimal("2.54"),
        3,
        "Kiwi Express",
    )
    assert rows["assessment:11:border"]["amount"] == Decimal("5.00")


def test_shipped_figures_that_change_update_the_shipped_version_and_are_audited():
    ensure_shipped_regimes()
    old_fr = Regime.objects.get(code="EU-FR-2026", version=1)
    # As installed by an earlier release: no small-parcel tax, the 2021 rules until 30 June.
    spec = dict(old_fr.spec)
    spec.pop("national_fees")
    Regime.objects.filter(pk=old_fr.pk).update(spec=spec)
    fr_2021 = Regime.objects.get(code="EU-FR-2021", version=1)
    Regime.objects.filter(pk=fr_2021.pk).update(
        valid_to="2026-06-30", spec={**fr_2021.spec, "valid_to": "2026-06-30"}
    )
    ensure_shipped_regimes()
    assert Regime.objects.get(pk=old_fr.pk).spec["national_fees"][0]["code"] == "FR-TPC"
    assert str(Regime.objects.get(code="EU-FR-2021", version=1).valid_to) == "2026-02-28"
    events = AuditEvent.objects.filter(action="regime.shipped_update")
    assert events.count() == 2
    added = events.get(object_id=str(old_fr.pk))
    assert added.before["national_fees"] is None and added.after["national_fees"]
    ensure_shipped_regimes()  # idempotent
    assert AuditEvent.objects.filter(action="regime.shipped_update").count() == 2


def test_a_regime_an_administrator_has_versioned_is_left_to_the_administrator(caplog):
    ensure_shipped_regimes()
    row = Regime.objects.get(code="NZ-2026-04", version=1)
    Regime.objects.create(
        code=row.code,
        version=2,
        jurisdiction=row.jurisdiction,
        valid_from=row.valid_from,
        spec=row.spec,
    )
    spec = dict(row.spec)
    spec["national_fees"] = []
    Regime.objects.filter(pk=row.pk).update(spec=spec)
    ensure_shipped_regimes()
    assert Regime.objects.get(pk=row.pk).spec["national_fees"] == []
    assert "NZ-2026-04" in caplog.text
    assert not AuditEvent.objects.filter(action="regime.shipped_update").exists()
