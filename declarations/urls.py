from django.urls import path

from . import import_views, officer_views, views

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
    # --- finding and working consignments (issue 16) ---
    path("search/", officer_views.search, name="search"),
    path("consignments/", officer_views.consignments, name="consignments"),
    path("consignments/bulk/<slug:action>/", officer_views.bulk_action, name="bulk_action"),
    path("workload/", officer_views.workload_page, name="workload"),
    path("workload/targets/", officer_views.workload_targets, name="workload_targets"),
    path("workload/claims/", officer_views.claims, name="claims"),
    path(
        "workload/claims/<int:pk>/reassign/",
        officer_views.claim_reassign,
        name="claim_reassign",
    ),
    path(
        "consignments/<int:declaration_id>/documents/<int:document_id>/view/",
        officer_views.document_inline,
        name="document_inline",
    ),
    path(
        "consignments/<int:declaration_id>/report/",
        officer_views.case_report,
        name="case_report",
    ),
    # --- end ---
    path("imports/", import_views.import_list, name="import"),
    path("imports/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/errors.csv", import_views.import_errors, name="import_errors"),
]
