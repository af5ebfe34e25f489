"""An operator can tell which revision of its declaration the API shows, and which revision the
taxes shown were assessed for: an amendment makes a new revision, assessed again."""

from __future__ import annotations

import pytest

from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=False)


def test_detail_list_and_taxes_name_the_revision(operator_a, django_capture_on_commit_callbacks):
    body = valid_declaration("eu-h7")
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.content
    assert created.json()["revision"] == 1
    declaration_id = created.json()["id"]
    detail = operator_a.get(f"/api/v1/declarations/{declaration_id}").json()
    assert detail["revision"] == 1
    assert detail["taxes"]["revision"] == 1

    body["items"][1]["description"] = "Phone case, silicone, for smartphone, black"
    # The amendment answers before the new revision is assessed: the taxes still shown are the
    # first revision's, and say so.
    amended = operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body)
    assert amended.status_code == 200, amended.content
    assert amended.json()["revision"] == 2
    taxes = amended.json()["taxes"]
    assert taxes["revision"] == 1, taxes

    listed = operator_a.get("/api/v1/declarations").json()["results"]
    assert [(r["id"], r["revision"]) for r in listed] == [(declaration_id, 2)]


def test_amended_and_assessed_again_shows_the_new_revisions_taxes(
    operator_a, django_capture_on_commit_callbacks
):
    body = valid_declaration("eu-h7")
    with django_capture_on_commit_callbacks(execute=True):
        declaration_id = operator_a.post("/api/v1/declarations", body).json()["id"]
    body["items"][1]["description"] = "Phone case, silicone, for smartphone, black"
    with django_capture_on_commit_callbacks(execute=True):
        operator_a.post(f"/api/v1/declarations/{declaration_id}/amendments", body)
    detail = operator_a.get(f"/api/v1/declarations/{declaration_id}").json()
    assert detail["status"] == "assessed"
    assert (detail["revision"], detail["taxes"]["revision"]) == (2, 2)


def test_the_openapi_document_names_the_revision(db):
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("DeclarationOut", "DeclarationSummaryOut", "TaxesOut"):
        schema = schemas[name]
        revision = schema["properties"]["revision"]
        assert (revision["type"], revision.get("readOnly")) == ("integer", True), name
        assert "revision" in schema["required"], name
