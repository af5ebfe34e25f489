"""A refused document upload reads its detail in the reader's language, as the other problems of
the API do: in French with ``Accept-Language: fr``, and, without it, the English it always read;
the status, code and pointer are the same in both."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from declarations.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
LIMIT = 100


def _post(operator, declaration_id, data, headers):
    return operator.client.post(
        f"/api/v1/declarations/{declaration_id}/documents", data, format="multipart", **headers
    )


def _raw(operator, declaration_id, body, headers):
    return operator.client.generic(
        "POST",
        f"/api/v1/declarations/{declaration_id}/documents",
        body,
        content_type="multipart/form-data; boundary=x",
        **headers,
    )


def _invalidated_then_upload(operator, declaration_id, headers):
    answer = operator.post(
        f"/api/v1/declarations/{declaration_id}/invalidation", {"reason": "order cancelled"}
    )
    assert answer.status_code == 200, answer.content
    return _post(operator, declaration_id, {"file": SimpleUploadedFile("a.pdf", PDF)}, headers)


CASES = {
    "upload_too_large": (
        lambda op, d, h: _post(
            op, d, {"file": SimpleUploadedFile("a.pdf", PDF + b"0" * 70_000)}, h
        ),
        (413, "body_too_large", ""),
        "the upload has {size} bytes; the limit is 100",
        "l’envoi fait {size} octets ; la limite est de 100",
    ),
    "duplicate_part": (
        lambda op, d, h: _post(
            op, d, {"file": SimpleUploadedFile("a.pdf", PDF), "type": ["invoice", "licence"]}, h
        ),
        (422, "duplicate_part", "/type"),
        "the multipart field `type` is sent more than once",
        "le champ multipart `type` est envoyé plus d’une fois",
    ),
    "no_readable_part": (
        lambda op, d, h: _raw(op, d, b"garbage", h),
        (400, "malformed_multipart", ""),
        "no part of the multipart body could be read",
        "aucune partie du corps multipart n’a pu être lue",
    ),
    "file_missing": (
        lambda op, d, h: _post(op, d, {"type": "invoice"}, h),
        (422, "required", "/file"),
        "a multipart field `file` is required",
        "un champ multipart `file` est requis",
    ),
    "type_unknown": (
        lambda op, d, h: _post(op, d, {"file": SimpleUploadedFile("a.png", PNG), "type": "x"}, h),
        (422, "enum_invalid", "/type"),
        "type must be one of {types}",
        "type doit être l’un de\u00a0: {types}",
    ),
    "file_too_large": (
        lambda op, d, h: _post(op, d, {"file": SimpleUploadedFile("a.pdf", PDF + b"0" * 200)}, h),
        (413, "body_too_large", "/file"),
        "the file has {file_size} bytes; the limit is 100",
        "le fichier fait {file_size} octets ; la limite est de 100",
    ),
    "file_empty": (
        lambda op, d, h: _post(op, d, {"file": SimpleUploadedFile("a.pdf", b"")}, h),
        (422, "document_empty", "/file"),
        "the file is empty",
        "le fichier est vide",
    ),
    "type_unsupported": (
        lambda op, d, h: _post(op, d, {"file": SimpleUploadedFile("a.exe", b"MZ\x90\x00x")}, h),
        (415, "document_type_unsupported", "/file"),
        "only PDF, PNG and JPEG files are accepted (checked from the file's bytes)",
        "seuls les fichiers PDF, PNG et JPEG sont acceptés (vérifié d’après les octets du fichier)",
    ),
    "declaration_closed": (
        _invalidated_then_upload,
        (409, "document_not_allowed", ""),
        "the declaration is invalidated: documents are uploaded while the goods are still under "
        "it, before release, invalidation or return",
        "la déclaration est au statut invalidated\u00a0: les documents s’envoient tant que les "
        "marchandises sont sous la déclaration, avant mainlevée, invalidation ou retour",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("language", ["fr", None])
def test_a_refused_upload_reads_in_the_readers_language(
    operator_a, example, settings, tmp_path, case, language
):
    settings.MEDIA_ROOT = tmp_path
    settings.INTAKE_MAX_DOCUMENT_BYTES = LIMIT
    declaration_id = operator_a.post("/api/v1/declarations", example).json()["id"]
    send, (status, code, pointer), english, french = CASES[case]
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    answer = send(operator_a, declaration_id, headers)

    assert answer.status_code == status, answer.content
    problem = answer.json()
    (error,) = problem["errors"]
    assert (error["code"], error["pointer"]) == (code, pointer)
    values = {
        "size": answer.wsgi_request.META.get("CONTENT_LENGTH"),
        "file_size": len(PDF) + 200,
        "types": ", ".join(Document.Type.values),
    }
    expected = (french if language == "fr" else english).format(**values)
    assert error["detail"] == expected
    if "detail" in problem and code != "document_not_allowed":
        assert problem["detail"] == expected
    assert not Document.objects.exists()
