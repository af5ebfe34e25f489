"""A version stored before the rounding-step rule with an odd step (0.02) is still read, but a
rate change or a tariff import does not carry the step into a new version: it is refused until the
administrator sets the rounding on the parameters form."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from revenue.models import Regime
from revenue.services.regimes import RegimeChangeError, regime_new_version

pytestmark = pytest.mark.django_db


def _odd_fr_regime() -> Regime:
    today = timezone.localdate()
    regime = (
        Regime.objects.filter(jurisdiction="FR", valid_from__lte=today)
        .order_by("-valid_from", "-version")
        .first()
    )
    Regime.objects.filter(pk=regime.pk).update(spec={**regime.spec, "rounding_quantum": "0.02"})
    regime.refresh_from_db()
    return regime


def _rate_change(regime: Regime) -> dict:
    return {
        "table": "vat_reduced_rates",
        "hs_prefix": "6109",
        "rate": "10%",
        "effective_from": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "reason": "Finance act 2027, art. 12",
    }


@pytest.mark.parametrize(
    "language, words",
    [
        ("en", "Set the rounding on the parameters form first"),
        ("fr", "Réglez d&#x27;abord l&#x27;arrondi dans le formulaire des paramètres"),
    ],
)
def test_a_rate_change_refuses_to_carry_an_odd_rounding_step(client, customs_user, language, words):
    regime = _odd_fr_regime()
    client.force_login(customs_user("administrator"))
    response = client.post(
        reverse("revenue:regime_rate", args=[regime.pk]),
        _rate_change(regime),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert words in page, page[:3000]
    assert "0.02" in page or "0,02" in page
    assert not Regime.objects.filter(code=regime.code, version=regime.version + 1).exists()


def test_a_tariff_import_refuses_to_carry_an_odd_rounding_step(client, customs_user):
    regime = _odd_fr_regime()
    client.force_login(customs_user("administrator"))
    upload = io.BytesIO(b"hs_prefix,rate,description\n61,12%,Knitted apparel\n")
    upload.name = "tariff.csv"
    response = client.post(
        reverse("revenue:regime_import", args=[regime.pk]),
        {
            "file": upload,
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "reason": "TARIC extract",
            "replace": "on",
        },
    )
    assert response.status_code == 200
    assert "Set the rounding on the parameters form first" in response.content.decode()
    assert not Regime.objects.filter(code=regime.code, version=regime.version + 1).exists()


def test_setting_a_proper_step_makes_the_version_and_then_a_rate_change_goes_through(
    customs_user,
):
    regime = _odd_fr_regime()
    actor = customs_user("administrator")
    with pytest.raises(RegimeChangeError) as caught:
        regime_new_version(
            regime_id=regime.pk,
            changes={"rounding_mode": "ROUND_HALF_EVEN"},
            effective_from=timezone.localdate() + timedelta(days=5),
            actor=actor,
            reason="decree",
        )
    assert caught.value.field == "rounding_quantum"
    fixed = regime_new_version(
        regime_id=regime.pk,
        changes={"rounding_quantum": "0.01"},
        effective_from=timezone.localdate() + timedelta(days=5),
        actor=actor,
        reason="decree",
    )
    assert fixed.spec["rounding_quantum"] == "0.01"
    later = regime_new_version(
        regime_id=fixed.pk,
        changes={"vat_standard_rate": "0.21"},
        effective_from=timezone.localdate() + timedelta(days=6),
        actor=actor,
        reason="decree",
    )
    assert later.spec["rounding_quantum"] == "0.01"
