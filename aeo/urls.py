from django.urls import path

from . import views

app_name = "aeo"
urlpatterns = [
    path("", views.registry, name="registry"),
    path("operators/new/", views.operator_new, name="operator_new"),
    path("operators/<int:operator_id>/", views.operator_page, name="operator"),
    path("operators/<int:operator_id>/edit/", views.operator_edit, name="operator_edit"),
    path("operators/<int:operator_id>/access/", views.operator_access, name="access"),
    path(
        "operators/<int:operator_id>/<slug:part>/add/",
        views.operator_part_add,
        name="operator_part_add",
    ),
    path(
        "operators/<int:operator_id>/<slug:part>/<int:part_id>/remove/",
        views.operator_part_remove,
        name="operator_part_remove",
    ),
    path(
        "operators/<int:operator_id>/apply/", views.authorisation_apply, name="authorisation_apply"
    ),
    path(
        "operators/<int:operator_id>/recognise/",
        views.authorisation_recognise,
        name="authorisation_recognise",
    ),
    path("authorisations/", views.review_queue, name="review_queue"),
    path(
        "authorisations/<int:authorisation_id>/",
        views.authorisation_page,
        name="authorisation",
    ),
    path("benefits/", views.benefits, name="benefits"),
]
