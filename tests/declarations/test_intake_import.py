"""Officer file import: CSV and XLSX through the same intake as the API, background job with
progress, per-row error report, permissions."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from declarations.models import Declaration, ImportJob

pytestmark = pytest.mark.django_db(transaction=False)

HEADER = (
    "lrn,dataset,category,transport_document_type,transport_document_number,country_of_dispatch,"
    "currency,total_gross_mass_kg,packages,seller_name,seller_country,consignee_name,"
    "consignee_street,consignee_city,consignee_postcode,consignee_country,consignee_email,"
    "item_line,item_description,item_hs_code,item_quantity,item_value,item_origin_country"
)
ROWS = [
    "IMP-1,eu-h7,sale_of_goods,house_waybill,HWB001,CN,EUR,0.650,1,Shop Ltd,CN,Marie Dupont,"
    "3 rue des Lilas,Lyon,69003,FR,marie@example.org,1,Women's cotton T-shirt,610910,2,24.00,CN",
    "IMP-1,eu-h7,sale_of_goods,house_waybill,HWB001,CN,EUR,0.650,1,Shop Ltd,CN,Marie Dupont,"
    "3 rue des Lilas,Lyon,69003,FR,marie@example.org,2,Phone case silicone,392690,1,15.80,CN",
    "IMP-2,eu-h7,sale_of_goods,house_waybill,HWB002,CN,EUR,0.300,1,Shop Ltd,CN,Jean Martin,"
    "18 avenue Victor Hugo,Paris,75016,FR,jean@example.org,1,Wool scarf,999999,1,20.00,CN",
]


@pytest.fixture
def officer_client(customs_user):
    client = Client()
    client.force_login(customs_user("officer"))
    return client


def _upload(client, operator, name, content, capture):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with capture(execute=True):
        response = client.post(
            "/imports/",
            {"operator": operator.pk, "file": SimpleUploadedFile(name, content)},
        )
    assert response.status_code == 302, response.content
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_csv_import_accepts_valid_rows_and_reports_bad_ones_per_row(
    officer_client, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    content = "\n".join([HEADER, *ROWS]).encode()
    job = _upload(
        officer_client,
        operator_a.operator,
        "manifest.csv",
        content,
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert job.state == "done" and (job.accepted, job.rejected) == (1, 1)
    assert job.processed == job.total_rows == 2
    declaration = Declaration.objects.get(operator=operator_a.operator, lrn="IMP-1")
    assert declaration.item_count == 2
    assert job.errors == [
        {
            "row": 4,
            "lrn": "IMP-2",
            "column": "item_hs_code",
            "pointer": "/items/0/hs_code",
            "code": "hs_code_unknown",
            "detail": job.errors[0]["detail"],
        }
    ]
    page = officer_client.get(f"/imports/{job.pk}/")
    assert b"<progress" in page.content and b"hs_code_unknown" in page.content
    report = officer_client.get(f"/imports/{job.pk}/errors.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = report.content.decode().splitlines()
    assert lines[0] == "row,lrn,column,pointer,code,detail"
    assert lines[1].startswith("4,IMP-2,item_hs_code,/items/0/hs_code,hs_code_unknown,")


def test_xlsx_import_goes_through_the_same_intake(
    officer_client, operator_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    settings.MEDIA_ROOT = tmp_path
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    for row in ROWS[:2]:
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = _upload(
        officer_client,
        operator_a.operator,
        "manifest.xlsx",
        buffer.getvalue(),
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert job.state == "done" and job.accepted == 1 and job.rejected == 0


def test_unreadable_file_fails_the_job_with_a_message(
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
    assert job.state == "failed" and "colour" in job.message
    assert not Declaration.objects.exists()


@pytest.mark.usefixtures("csv_default_field_limit")
def test_csv_field_over_the_csv_limit_fails_the_job_instead_of_leaving_it_running(
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
    assert job.state == "failed" and "line 3" in job.message and job.finished_at
    assert not Declaration.objects.exists()


def test_progress_partial_polls_while_running(officer_client, operator_a, customs_user):
    job = ImportJob.objects.create(
        operator=operator_a.operator,
        created_by=customs_user("supervisor"),
        original_name="x.csv",
        state="running",
        total_rows=10,
        processed=4,
    )
    partial = officer_client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in partial.content and b'value="4"' in partial.content
    assert b"<html" not in partial.content


def test_import_pages_need_an_officer_role(client, customs_user, operator_a):
    client.force_login(customs_user("risk_analyst"))
    assert client.get("/imports/").status_code == 403
    client.force_login(customs_user("auditor"))  # auditors read, never upload
    page = client.get("/imports/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' not in page.content
    assert client.post("/imports/", {"operator": operator_a.operator.pk}).status_code == 403
    anonymous = Client().get("/imports/")
    assert anonymous.status_code == 302


@pytest.mark.parametrize("fault", ["unexpected", "transient_last_retry"])
def test_a_job_stopped_by_a_system_fault_ends_failed_not_running_for_ever(
    operator_a, customs_user, settings, tmp_path, monkeypatch, fault
):
    """A fault that is not the file's (a bug, or a database error once retries are spent) left
    the job "running" with its progress bar for ever."""
    import django.db

    from declarations import tasks
    from declarations.services import imports

    settings.MEDIA_ROOT = tmp_path
    job = ImportJob.objects.create(
        operator=operator_a.operator,
        original_name="x.csv",
        state=ImportJob.State.RUNNING,
        created_by=customs_user("officer"),
    )
    error = RuntimeError("bug") if fault == "unexpected" else django.db.OperationalError("down")

    def stops(*, job_id):
        raise error

    monkeypatch.setattr(imports, "import_job_run", stops)
    retries = 0 if fault == "unexpected" else tasks.import_file.max_retries
    tasks.import_file.push_request(retries=retries)
    try:
        with pytest.raises(type(error)):
            tasks.import_file.run(job.pk)
    finally:
        tasks.import_file.pop_request()
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at
    assert "not of the file" in job.message


def test_a_transient_fault_before_the_last_retry_leaves_the_job_to_its_retry(
    operator_a, customs_user, monkeypatch
):
    import django.db

    from declarations import tasks
    from declarations.services import imports

    job = ImportJob.objects.create(
        operator=operator_a.operator,
        original_name="x.csv",
        state=ImportJob.State.RUNNING,
        created_by=customs_user("officer"),
    )

    def stops(*, job_id):
        raise django.db.OperationalError("down")

    monkeypatch.setattr(imports, "import_job_run", stops)
    monkeypatch.setattr(imports, "import_job_failed", lambda **k: pytest.fail("marked failed"))
    tasks.import_file.push_request(retries=0)
    try:
        with pytest.raises(django.db.OperationalError):  # Celery's autoretry schedules the retry
            tasks.import_file.run(job.pk)
    finally:
        tasks.import_file.pop_request()
    job.refresh_from_db()
    assert job.state == "running"
