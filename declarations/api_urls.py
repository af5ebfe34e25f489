from django.urls import path

from . import api

urlpatterns = [
    path("declarations", api.DeclarationCreateApi.as_view(), name="declarations"),
    path(
        "declarations/<int:declaration_id>",
        api.DeclarationDetailApi.as_view(),
        name="declaration-detail",
    ),
    path("arrivals", api.ArrivalCreateApi.as_view(), name="arrivals"),
]
