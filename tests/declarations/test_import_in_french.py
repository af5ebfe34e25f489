"""The officers' file import in French: why a job failed is stored as a message id with its
parameters beside the English text and shown in the reader's language; a job stored before
that shows its message as stored; the row errors, their downloadable report and the list's
headers read French on a French page."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from declarations.models import ImportJob
from declarations.services.imports import import_job_failed

pytestmark = pytest.mark.django_db


def _text(answer) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode())))


@pytest.fixture
def officer_client(customs_user) -> Client:
    client = Client()
    client.force_login(customs_user("officer"))
    return client


def _upload(client, operator, name, content, capture) -> ImportJob:
    with capture(execute=True):
        answer = client.post(
            "/imports/", {"operator": operator.pk, "file": SimpleUploadedFile(name, content)}
        )
    assert answer.status_code == 302, answer.content
    return ImportJob.objects.get(pk=int(answer["Location"].rstrip("/").split("/")[-1]))


def test_a_failed_import_says_why_in_french_and_keeps_its_english_text(
    officer_client, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    job = _upload(
        officer_client,
        operator_a.operator,
        "bad.csv",
        b"lrn,colour\nX,red\n",
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.message == "unknown column(s): colour"
    assert job.message_data == {
        "id": "unknown column(s): %(columns)s",
        "params": {"columns": "colour"},
    }
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "État : Échoué" in french and "colonne(s) inconnue(s) : colour" in french
    assert "unknown column" not in french
    # The progress the page polls reads French too.
    partial = officer_client.get(
        f"/imports/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "colonne(s) inconnue(s) : colour" in _text(partial)
    english = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "unknown column(s): colour" in english


def test_a_file_that_is_not_utf8_fails_in_french(
    officer_client, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    job = _upload(
        officer_client,
        operator_a.operator,
        "latin1.csv",
        "lrn,seller_name\nA1,Société\n".encode("latin-1"),
        django_capture_on_commit_callbacks,
    )
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "le fichier CSV n'est pas du texte UTF-8" in french


@pytest.mark.usefixtures("csv_default_field_limit")
def test_a_cell_over_the_csv_limit_fails_in_french_naming_its_line(
    officer_client, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    job = _upload(
        officer_client,
        operator_a.operator,
        "huge.csv",
        b'lrn,seller_name\nA1,Shop\nA2,"' + b"x" * 200_000 + b'"\n',
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert job.message == (
        "the CSV file cannot be read at line 3: field larger than field limit (131072)"
    )
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert (
        "le fichier CSV ne peut pas être lu à la ligne 3 : cellule plus longue que la limite du "
        "lecteur CSV (131072 caractères)"
    ) in french


def test_a_job_stopped_by_a_system_fault_says_so_in_french(
    officer_client, operator_a, customs_user
):
    job = ImportJob.objects.create(
        operator=operator_a.operator,
        created_by=customs_user("officer"),
        original_name="x.csv",
        state=ImportJob.State.RUNNING,
    )
    import_job_failed(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "not of the file" in job.message
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "l'import s'est arrêté sur une erreur du système, non du fichier" in french
    assert "not of the file" not in french


def test_a_job_stored_before_messages_shows_its_message_as_stored(
    officer_client, operator_a, customs_user
):
    job = ImportJob.objects.create(
        operator=operator_a.operator,
        created_by=customs_user("officer"),
        original_name="old.csv",
        state=ImportJob.State.FAILED,
        message="the header has no lrn column",
    )
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "État : Échoué" in french and "the header has no lrn column" in french


def test_row_errors_and_their_report_read_french(officer_client, operator_a, customs_user):
    job = ImportJob.objects.create(
        operator=operator_a.operator,
        created_by=customs_user("officer"),
        original_name="done.csv",
        state=ImportJob.State.DONE,
        total_rows=1,
        processed=1,
        rejected=1,
        errors=[
            {
                "row": 4,
                "lrn": "IMP-2",
                "column": "item_hs_code",
                "pointer": "/items/0/hs_code",
                "code": "hs_code_unknown",
                "detail": "The first six digits are not an HS 2022 subheading.",
            }
        ],
    )
    french = _text(officer_client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Les six premiers chiffres ne sont pas une sous-position du SH 2022." in french
    report = officer_client.get(f"/imports/{job.pk}/errors.csv", HTTP_ACCEPT_LANGUAGE="fr")
    lines = report.content.decode("utf-8-sig").splitlines()
    # The header and the codes stay stable for whoever reads the file by program.
    assert lines[0] == "row,lrn,column,pointer,code,detail"
    assert lines[1] == (
        "4,IMP-2,item_hs_code,/items/0/hs_code,hs_code_unknown,"
        "Les six premiers chiffres ne sont pas une sous-position du SH 2022."
    )
    english = officer_client.get(f"/imports/{job.pk}/errors.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert (
        english.content.decode("utf-8-sig")
        .splitlines()[1]
        .endswith("The first six digits are not an HS 2022 subheading.")
    )


def test_recent_imports_count_accepted_and_rejected_declarations_in_french(
    officer_client, operator_a, customs_user
):
    ImportJob.objects.create(
        operator=operator_a.operator,
        created_by=customs_user("officer"),
        original_name="done.csv",
        state=ImportJob.State.DONE,
        accepted=3,
        rejected=1,
    )
    page = _text(officer_client.get("/imports/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "État Acceptées Rejetées Par" in page and "done.csv Operator A Terminé 3 1" in page
