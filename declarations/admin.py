"""Data maintenance by administrators: profiles (publish a new version) and exchange rates (CSV)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ExchangeRate, Manifest, Profile
from .services.reference_data import exchange_rates_load, profile_publish


class RateUploadForm(forms.Form):
    csv_file = forms.FileField(
        label=gettext_lazy("CSV file (currency,valid_from,units_per_eur)"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason (audited)"), max_length=300)
    confirm_unusual = forms.BooleanField(
        label=gettext_lazy(
            "The file's rates that are far from the rates in use are right (load them anyway)"
        ),
        required=False,
    )


class ProfilePublishForm(forms.Form):
    spec = forms.CharField(
        label=gettext_lazy("Profile specification (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30}),
    )
    reason = forms.CharField(label=gettext_lazy("Reason (audited)"), max_length=300)

    def clean_spec(self):
        try:
            data = json.loads(self.cleaned_data["spec"])
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(data, dict) or "code" not in data or "elements" not in data:
            raise forms.ValidationError(_("One profile object with `code` and `elements`."))
        return data


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "valid_from", "units_per_eur", "source", "loaded_at")
    list_filter = ("source", "currency")
    ordering = ("currency", "-valid_from")
    change_list_template = "admin/declarations/exchangerate/change_list.html"

    def has_change_permission(self, request, obj=None):
        return False  # rates change only through an audited CSV load

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # nor are rates deleted: a wrong rate is corrected by a later load

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="declarations_exchangerate_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not request.user.has_perm("declarations.view_exchangerate"):
            raise PermissionDenied
        errors: list[dict] = []
        form = RateUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            raw = form.cleaned_data["csv_file"].read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                errors = [{"line": 0, "column": "", "error": _("The file is not UTF-8 text.")}]
            else:
                result = exchange_rates_load(
                    text=text,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    confirm_unusual=form.cleaned_data["confirm_unusual"],
                )
                errors = result.errors
                if not errors:
                    messages.success(
                        request, _("%(count)d exchange rates loaded.") % {"count": result.loaded}
                    )
                    return redirect("admin:declarations_exchangerate_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Load official exchange rates"),
            "form": form,
            "row_errors": errors,
            "opts": self.model._meta,
        }
        return render(request, "admin/declarations/exchangerate/upload.html", context)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "is_active", "created_at")
    list_filter = ("code", "is_active")
    readonly_fields = ("code", "version", "spec", "is_active", "created_at")
    change_list_template = "admin/declarations/profile/change_list.html"

    def has_add_permission(self, request):
        return False  # versions are published, never edited in place

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "publish/",
                self.admin_site.admin_view(self.publish_view),
                name="declarations_profile_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request):
        if not request.user.is_superuser:
            raise PermissionDenied
        initial = {}
        code = request.GET.get("code")
        if code:
            current = Profile.objects.filter(code=code).order_by("-version").first()
            if current:
                initial["spec"] = json.dumps(current.spec, indent=2)
        form = ProfilePublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                profile = profile_publish(
                    spec_data=form.cleaned_data["spec"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (ValueError, KeyError, TypeError) as exc:
                form.add_error("spec", str(exc))
            else:
                messages.success(
                    request,
                    _("%(code)s version %(version)d published.")
                    % {"code": profile.code, "version": profile.version},
                )
                return redirect("admin:declarations_profile_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish a profile version"),
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/declarations/profile/publish.html", context)


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    """Read only: a carrier's manifest is evidence; it changes only through the API."""

    list_display = ("id", "operator", "reference", "received_at")
    readonly_fields = ("operator", "reference", "received_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
