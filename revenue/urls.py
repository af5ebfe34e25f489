from django.urls import path

from . import views

app_name = "revenue"
urlpatterns = [
    path("regimes/", views.regimes, name="regimes"),
    path("regimes/<int:regime_id>/", views.regime_detail, name="regime"),
    path("regimes/<int:regime_id>/edit/", views.regime_edit, name="regime_edit"),
    path("regimes/<int:regime_id>/rate/", views.regime_rate, name="regime_rate"),
    path("regimes/<int:regime_id>/import/", views.regime_import, name="regime_import"),
    path("tax-schemes/", views.tax_schemes, name="tax_schemes"),
    path("verification/", views.verification, name="verification"),
    path("declarations/<int:declaration_id>/", views.ledger, name="ledger"),
    path("declarations/<int:declaration_id>/payments/", views.payment, name="payment"),
    path("declarations/<int:declaration_id>/revalue/", views.revalue, name="revalue"),
    path("declarations/<int:declaration_id>/relief/", views.relief, name="relief"),
    path("statements/", views.statements, name="statements"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("estimate/", views.estimate_page, name="estimate"),
]
