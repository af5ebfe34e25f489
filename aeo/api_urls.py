from django.urls import path

from . import api, api_lists, api_webhook

urlpatterns = [
    path("events", api.EventListApi.as_view(), name="events"),
    path("operators/me", api.OperatorMeApi.as_view(), name="operators-me"),
    path("webhook-deliveries", api_lists.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path("webhook", api_webhook.WebhookApi.as_view(), name="webhook"),
]
