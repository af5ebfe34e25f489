"""Officer pages for file import: upload a CSV or XLSX of declarations for an operator without an
API, follow the background import with a progress bar, download the per-row error report."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aeo.models import Operator
from customs_ecom.platform import spreadsheet
from customs_ecom.platform.roles import AUDITOR, CAN_ACT_ON_CONSIGNMENTS, has_any_role

from .generated_text import problem_detail
from .imports import ALL_COLUMNS
from .models import ImportJob
from .services.imports import import_job_create

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.order_by("name"), label=gettext_lazy("Operator")
    )
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_IMPORT_BYTES // 2**20}
            )
        return upload


def _require(request: HttpRequest) -> None:
    # Auditors read the imports; customs_ecom.platform.readonly refuses their uploads.
    readers = CAN_ACT_ON_CONSIGNMENTS | ({AUDITOR} if request.method in ("GET", "HEAD") else set())
    if not has_any_role(request.user, readers):
        raise PermissionDenied


def _job(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("operator", "created_by").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_job_create(
            operator=form.cleaned_data["operator"],
            user=request.user,
            name=upload.name,
            content=upload.read(),
        )
        return redirect("declarations:import_detail", job_id=job.pk)
    jobs = ImportJob.objects.select_related("operator", "created_by")[:20]
    return render(
        request,
        "declarations/import.html",
        {"form": form, "jobs": jobs, "columns": ALL_COLUMNS},
    )


@login_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    _require(request)
    job = _job(job_id)
    template = (
        "declarations/_import_progress.html"
        if request.headers.get("HX-Request")
        else "declarations/import_detail.html"
    )
    return render(request, template, {"job": job, "errors": job.errors[:200]})


@login_required
def import_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    _require(request)
    job = _job(job_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    writer = spreadsheet.Writer(response)
    writer.writerow(["row", "lrn", "column", "pointer", "code", "detail"])
    for error in job.errors:
        # The detail in the reader's language, like the page; the header and codes stay stable.
        detail = problem_detail(str(error.get("code", "")), str(error.get("detail", "")))
        writer.writerow(
            [*(error.get(key, "") for key in ("row", "lrn", "column", "pointer", "code")), detail]
        )
    return response
