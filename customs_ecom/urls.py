"""Root URLs: officer pages, the operator API under /api/v1/, its OpenAPI document and docs.

Each app owns its routes: `<app>/urls.py` (pages) and `<app>/api_urls.py` (operator API)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import edge_views, views

api_v1 = [
    path("", include("declarations.api_urls")),
    path("", include("aeo.api_urls")),
    path("", include("revenue.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:slug>.csv", views.dashboard_export, name="dashboard_export"),
    path("framework/", views.framework, name="framework"),
    path("", include("declarations.urls")),
    path("risk/", include("risk.urls")),
    path("revenue/", include("revenue.urls")),
    path("registry/", include("aeo.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# The operator contract at its edges (docs/api.md, Errors): a page per problem type (the `type`
# URI of every problem document), and a problem+json 404 for any unmatched path under /api/.
urlpatterns += [
    path("problems/", edge_views.problem_types, name="problem_types"),
    path("problems/<slug:slug>", edge_views.problem_type, name="problem_type"),
    re_path(r"^api/", edge_views.api_not_found),
]
