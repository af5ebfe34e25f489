from django.urls import path

from . import api, api_lists, api_webhook, events_api

urlpatterns = [
    path("documents", api_lists.DocumentListApi.as_view(), name="documents"),
    path("declarations", api.DeclarationCreateApi.as_view(), name="declarations"),
    path("declarations/batch", api.DeclarationBatchApi.as_view(), name="declarations-batch"),
    path(
        "declarations/<int:declaration_id>",
        api.DeclarationDetailApi.as_view(),
        name="declaration-detail",
    ),
    path(
        "declarations/<int:declaration_id>/amendments",
        api.DeclarationAmendmentApi.as_view(),
        name="declaration-amendments",
    ),
    path(
        "declarations/<int:declaration_id>/invalidation",
        api.DeclarationInvalidationApi.as_view(),
        name="declaration-invalidation",
    ),
    path(
        "declarations/<int:declaration_id>/documents",
        api.DeclarationDocumentApi.as_view(),
        name="declaration-documents",
    ),
    path("returns", api.ReturnCreateApi.as_view(), name="returns"),
    path("manifests", api.ManifestCreateApi.as_view(), name="manifests"),
    path("arrivals", api.ArrivalCreateApi.as_view(), name="arrivals"),
    path("events", events_api.EventListApi.as_view(), name="events"),
    path("webhook", api_webhook.WebhookApi.as_view(), name="webhook"),
    path("webhook-deliveries", api_lists.DeliveryListApi.as_view(), name="webhook-deliveries"),
]
