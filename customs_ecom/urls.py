"""Root URLs: officer pages, the operator API under /api/v1/, its OpenAPI document and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from declarations import api as declarations_api

from . import views

api_v1 = [
    path("declarations", declarations_api.DeclarationCreateApi.as_view(), name="declarations"),
    path(
        "declarations/<int:declaration_id>",
        declarations_api.DeclarationDetailApi.as_view(),
        name="declaration-detail",
    ),
    path("arrivals", declarations_api.ArrivalCreateApi.as_view(), name="arrivals"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", include("declarations.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
