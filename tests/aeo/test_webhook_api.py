"""Operators register, rotate and clear their webhook endpoint through the API, audited, with the
secret shown once."""

from __future__ import annotations

import pytest

from customs_ecom.platform.models import AuditEvent

pytestmark = pytest.mark.django_db
# The webhook's state in every answer: delivered to, nothing disabled, no secret in its grace.
ACTIVE = {
    "status": "active",
    "disabled_at": None,
    "disabled_reason": None,
    "previous_secret_valid_until": None,
}


def test_operator_registers_rotates_and_clears_its_webhook(operator_a):
    first = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/hooks"})
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["url"] == "https://shop.example/hooks" and body["secret_set"] is True
    secret = body["secret"]
    assert secret and len(secret) >= 16
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_secret == secret
    # Changing the URL keeps the secret, and does not show it again.
    moved = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/v2"}).json()
    assert moved["secret"] is None and moved["secret_set"] is True
    assert operator_a.get("/api/v1/webhook").json() == {
        "url": "https://shop.example/v2",
        "secret_set": True,
        "secret": None,
        **ACTIVE,
    }
    rotated = operator_a.post(
        "/api/v1/webhook", {"url": "https://shop.example/v2", "rotate_secret": True}
    ).json()
    assert rotated["secret"] and rotated["secret"] != secret
    cleared = operator_a.post("/api/v1/webhook", {"url": ""}).json()
    assert cleared == {"url": "", "secret_set": False, "secret": None, **ACTIVE, "status": "none"}
    audits = AuditEvent.objects.filter(
        action="operator.webhook", object_id=str(operator_a.operator.pk)
    )
    assert audits.count() == 4
    assert all("(API)" in a.actor_label for a in audits)
    assert all(secret not in str(a.after) for a in audits)


def test_the_same_registration_sent_again_changes_and_audits_nothing(operator_a):
    first = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/hooks"}).json()
    again = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/hooks"})
    assert again.status_code == 200
    assert again.json() == {
        "url": "https://shop.example/hooks",
        "secret_set": True,
        "secret": None,
        **ACTIVE,
    }
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_secret == first["secret"]
    assert operator_a.post("/api/v1/webhook", {"url": ""}).status_code == 200
    assert operator_a.post("/api/v1/webhook", {"url": ""}).status_code == 200  # cleared twice
    audits = AuditEvent.objects.filter(
        action="operator.webhook", object_id=str(operator_a.operator.pk)
    )
    assert audits.count() == 2  # registered, cleared


def test_a_retried_rotation_replays_the_answer_without_the_secret_and_keeps_it_nowhere(
    operator_a,
):
    from customs_ecom.platform.models import IdempotencyRecord

    body = {"url": "https://shop.example/hooks", "rotate_secret": True}
    first = operator_a.post("/api/v1/webhook", body, HTTP_IDEMPOTENCY_KEY="wh-1")
    secret = first.json()["secret"]
    assert first.status_code == 200 and secret
    again = operator_a.post("/api/v1/webhook", body, HTTP_IDEMPOTENCY_KEY="wh-1")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {
        "url": "https://shop.example/hooks",
        "secret_set": True,
        "secret": None,
        **ACTIVE,
    }
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_secret == secret  # not rotated a second time
    stored = IdempotencyRecord.objects.get(key="wh-1")
    assert secret not in str(stored.body)


@pytest.mark.parametrize("url", ["ftp://x.example/", "not a url", "https://a.example/\x00"])
def test_webhook_url_must_be_http(operator_a, url):
    response = operator_a.post("/api/v1/webhook", {"url": url})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/url"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/customs",
        "https://127.0.0.1:8799/internal-admin",
        "https://169.254.169.254/latest",
        "https://10.0.0.1/x",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[64:ff9b::a00:1]/x",
        "https://[2002:a00:1::]/x",
        "https://[::7f00:1]/x",
        "https://localhost/x",
        "https://intranet/x",
        "https://printer.local/x",
        "https://user:pw@hooks.example.org/x",
        # Every other spelling the C resolver reads as an IPv4 address (inet_aton).
        "https://127.1:8102/x",
        "https://10.1.2/x",
        "https://0177.0.0.1/x",
        "https://0x7f.1/x",
        "https://0x7f000001/x",
        "https://2130706433/x",
        "https://127.0.0.1./x",
        "https://8.8.2056/x",
        # Written in other characters that the resolver folds to ASCII (IDNA): 127.0.0.1,
        # localhost, a .local name.
        "https://\u2460\u2461\u2466.0.0.1/x",
        "https://\uff11\uff12\uff17.0.0.1/x",
        "https://hooks.\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x",
        "https://hooks.printer\u3002local/x",
    ],
)
def test_a_webhook_points_at_a_public_https_endpoint_only(operator_a, url):
    answer = operator_a.post("/api/v1/webhook", {"url": url})
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["pointer"] == "/url"
    assert operator_a.get("/api/v1/webhook").json()["url"] in ("", None)


def test_a_public_address_written_as_four_decimal_numbers_is_accepted(operator_a):
    answer = operator_a.post("/api/v1/webhook", {"url": "https://93.184.215.14/hooks"})
    assert answer.status_code == 200, answer.content


def test_a_delivery_never_connects_to_a_private_address(monkeypatch):
    from declarations import webhooks

    monkeypatch.setattr(
        webhooks.outbound.socket,
        "getaddrinfo",
        lambda host, port, **kw: [(2, 1, 6, "", ("127.0.0.1", port))],
    )
    result = webhooks.http_post("https://rebinding.example.org/hook", b"{}", {})
    assert result.status_code is None and "non-public address" in result.error
    assert "127.0.0.1" not in result.error  # the operator reads this: no internal address


@pytest.mark.parametrize("value", ["yes", "no", "true", "off", "1", 1, 0, 1.0])
def test_rotate_secret_is_a_json_boolean_not_a_word_or_number_read_as_one(operator_a, value):
    first = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/hooks"}).json()
    response = operator_a.post(
        "/api/v1/webhook", {"url": "https://shop.example/hooks", "rotate_secret": value}
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {
            "pointer": "/rotate_secret",
            "code": "type_invalid",
            "detail": response.json()["errors"][0]["detail"],
        }
    ]
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_secret == first["secret"]  # neither rotated nor kept


def test_webhook_url_is_a_json_string(operator_a):
    response = operator_a.post("/api/v1/webhook", {"url": 12})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/url"
    assert response.json()["errors"][0]["code"] == "type_invalid"
