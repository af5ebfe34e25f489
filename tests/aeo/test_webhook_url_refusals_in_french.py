"""A webhook URL the API refuses says why in the reader's language: French with
``Accept-Language: fr``, the English it always read without it; code and pointer unchanged."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "english", "french"),
    [
        (
            "https://shop.example:0/hooks",
            "The webhook URL has no valid port.",
            "L’URL du webhook n’a pas de port valide.",
        ),
        (
            "https://user:secret@shop.example/hooks",
            "The webhook URL must not carry a user name or password.",
            "L’URL du webhook ne doit porter ni nom d’utilisateur ni mot de passe.",
        ),
    ],
)
def test_a_refused_webhook_url_reads_in_the_readers_language(operator_a, url, english, french):
    for headers, expected in (({}, english), ({"HTTP_ACCEPT_LANGUAGE": "fr"}, french)):
        answer = operator_a.post("/api/v1/webhook", {"url": url}, **headers)
        assert answer.status_code == 422, answer.content
        (error,) = answer.json()["errors"]
        assert (error["pointer"], error["code"], error["detail"]) == ("/url", "invalid", expected)
    operator_a.operator.refresh_from_db()
    assert not operator_a.operator.webhook_url
