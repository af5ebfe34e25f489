from django.urls import path

from . import api, api_lists

urlpatterns = [
    path("estimates", api.EstimateCreateApi.as_view(), name="estimates"),
    path("payments", api_lists.PaymentsApi.as_view(), name="payments"),  # GET lists, POST pays
    path("statements", api_lists.StatementListApi.as_view(), name="statements"),
]
