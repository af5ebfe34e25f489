"""Root URLs: officer pages, the operator API under /api/v1/, its OpenAPI document and docs.

Each app owns its routes: `<app>/urls.py` (pages) and `<app>/api_urls.py` (operator API)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import audit_views, edge_views, views
from .platform import health

api_v1 = [
    path("", include("declarations.api_urls")),
    path("", include("aeo.api_urls")),
    path("", include("revenue.api_urls")),
]

urlpatterns = [
    # Probes for the proxy, compose and orchestrators (docs/operations.md, "Health").
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", views.home, name="home"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:slug>.csv", views.dashboard_export, name="dashboard_export"),
    path("framework/", views.framework, name="framework"),
    # --- issue 16: the global audit log ---
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export.csv", audit_views.audit_log_csv, name="audit_log_csv"),
    # --- end ---
    path("", include("declarations.urls")),
    path("risk/", include("risk.urls")),
    path("revenue/", include("revenue.urls")),
    path("registry/", include("aeo.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# A database fault that escapes the middleware is a 503 with Retry-After, not a 500.
handler500 = "customs_ecom.platform.middleware.server_error"
# The operator contract at its edges (docs/api.md, Errors): a page per problem type (the `type`
# URI of every problem document), and a problem+json 404 for any unmatched path under /api/.
urlpatterns += [
    path("problems/", edge_views.problem_types, name="problem_types"),
    path("problems/<slug:slug>", edge_views.problem_type, name="problem_type"),
    re_path(r"^api/", edge_views.api_not_found),
]
