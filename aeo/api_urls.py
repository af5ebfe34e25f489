from django.urls import path

from . import api

urlpatterns = [
    path("operators/me", api.OperatorMeApi.as_view(), name="operators-me"),
]
