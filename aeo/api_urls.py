from django.urls import path

from . import api, api_lists

urlpatterns = [
    path("operators/me", api.OperatorMeApi.as_view(), name="operators-me"),
    path("webhook-deliveries", api_lists.DeliveryListApi.as_view(), name="webhook-deliveries"),
]
