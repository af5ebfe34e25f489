from django.urls import path

from . import import_views, views

app_name = "declarations"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/views/", views.saved_view_create, name="saved_view_create"),
    path("queue/views/<int:view_id>/delete/", views.saved_view_remove, name="saved_view_delete"),
    path("consignments/<int:declaration_id>/", views.consignment, name="consignment"),
    path(
        "consignments/<int:declaration_id>/documents/<int:document_id>/",
        views.consignment_document,
        name="consignment_document",
    ),
    path(
        "consignments/<int:declaration_id>/actions/<slug:action>/",
        views.consignment_action,
        name="consignment_action",
    ),
    path("imports/", import_views.import_list, name="import"),
    path("imports/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/errors.csv", import_views.import_errors, name="import_errors"),
]
