from django.urls import path

from . import api

urlpatterns = [
    path("events", api.EventListApi.as_view(), name="events"),
    path("operators/me", api.OperatorMeApi.as_view(), name="operators-me"),
]
