from django.urls import path

from . import api

urlpatterns = [
    path("estimates", api.EstimateCreateApi.as_view(), name="estimates"),
    path("payments", api.PaymentCreateApi.as_view(), name="payments"),
]
