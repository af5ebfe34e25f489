"""The 409 refusals of amendments, invalidations and returns, and a batch declaration over the
size limit, read their detail in French with ``Accept-Language: fr`` and, without it, the English
they always read; status, code and pointer are the same in both."""

from __future__ import annotations

import pytest

from declarations.models import Declaration
from tests.declarations.corpus import valid_declaration
from tests.lifecycle_helpers import release_cleared

pytestmark = pytest.mark.django_db

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _released(operator, body, capture) -> int:
    with capture(execute=True):
        created = operator.post("/api/v1/declarations", body).json()
    release_cleared(created["id"])
    return created["id"]


def _both(send, status, code, pointer, english, french):
    for headers, expected in (({}, english), (FR, french)):
        answer = send(headers)
        assert answer.status_code == status, answer.content
        (error,) = answer.json()["errors"]
        assert (error["code"], error["pointer"], error["detail"]) == (code, pointer, expected)


def test_amendment_and_invalidation_after_release(operator_a, django_capture_on_commit_callbacks):
    body = valid_declaration("eu-h7")
    declaration_id = _released(operator_a, body, django_capture_on_commit_callbacks)
    body["consignee"]["name"] = "Marie Durand"
    _both(
        lambda h: operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body, **h),
        409,
        "amendment_not_allowed",
        "",
        "a declaration in status 'released' can no longer be amended",
        "une déclaration au statut 'released' ne peut plus être rectifiée",
    )
    _both(
        lambda h: operator_a.post(
            f"/api/v1/declarations/{declaration_id}/invalidation", {"reason": "changed"}, **h
        ),
        409,
        "invalidation_not_allowed",
        "",
        "a declaration in status 'released' cannot be invalidated; report a return instead",
        "une déclaration au statut 'released' ne peut pas être invalidée ; déclarez plutôt un "
        "retour",
    )


def test_returns_refused(operator_a, django_capture_on_commit_callbacks):
    body = valid_declaration("eu-h7")
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", body).json()
    status = Declaration.objects.get(pk=created["id"]).status
    back = {"type": "house_waybill", "number": "RET-0001"}
    _both(
        lambda h: operator_a.post(
            "/api/v1/returns", {"lrn": body["lrn"], "transport_document": back}, **h
        ),
        409,
        "return_not_allowed",
        "/lrn",
        f"only released goods can be returned; this declaration is '{status}'",
        f"seules des marchandises en mainlevée peuvent être retournées ; cette déclaration est "
        f"au statut '{status}'",
    )

    other = valid_declaration("wco-core")
    _released(operator_a, other, django_capture_on_commit_callbacks)
    first = operator_a.post("/api/v1/returns", {"lrn": other["lrn"], "transport_document": back})
    assert first.status_code == 200, first.content
    again = {"type": "house_waybill", "number": "RET-0002"}
    _both(
        lambda h: operator_a.post(
            "/api/v1/returns", {"lrn": other["lrn"], "transport_document": again}, **h
        ),
        409,
        "return_not_allowed",
        "/transport_document",
        "the goods were already reported returned under house_waybill RET-0001",
        "le retour des marchandises a déjà été déclaré sous house_waybill RET-0001",
    )


def test_a_batch_declaration_over_the_size_limit(operator_a, settings):
    settings.INTAKE_MAX_BODY_BYTES = 500
    body = valid_declaration("eu-h7")
    for headers, french in (({}, False), (FR, True)):
        answer = operator_a.post("/api/v1/declarations/batch", {"declarations": [body]}, **headers)
        assert answer.status_code == 200, answer.content
        (result,) = answer.json()["results"]
        (error,) = result["errors"]
        assert (result["http_status"], error["code"], error["pointer"]) == (
            413,
            "body_too_large",
            "",
        )
        size = len(__import__("orjson").dumps(body))
        expected = (
            f"cette déclaration fait {size} octets en JSON compact ; une déclaration peut en "
            "faire 500"
            if french
            else f"this declaration has {size} bytes as compact JSON; one declaration may have 500"
        )
        assert error["detail"] == expected
