from django.urls import path

from . import views

app_name = "declarations"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("consignments/<int:declaration_id>/", views.consignment, name="consignment"),
    path(
        "consignments/<int:declaration_id>/actions/<slug:action>/",
        views.consignment_action,
        name="consignment_action",
    ),
]
