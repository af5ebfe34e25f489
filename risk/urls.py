from django.urls import path

from . import version_views, views

app_name = "risk"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("rules/<slug:code>/", views.rule_edit, name="rule_edit"),
    path("policy/", views.policy_edit, name="policy_edit"),
    path("versions/<int:version>/backtest/", views.backtest, name="backtest"),
    # -- rule-set versions: diff, proposal and approval (four eyes) --
    path("versions/<int:version>/", version_views.version_detail, name="version"),
    path("versions/<int:version>/propose/", version_views.version_propose, name="propose"),
    path("versions/<int:version>/approve/", version_views.version_approve, name="approve"),
    path("versions/<int:version>/reject/", version_views.version_reject, name="reject"),
    # Activation is a supervisor's approval of a proposal; the old address stays for bookmarks.
    path("versions/<int:version>/activate/", version_views.version_approve, name="activate"),
    path("model/train/", views.train_model, name="train_model"),
    path("watchlist/", views.watchlist, name="watchlist"),
    path("watchlist/published/", views.watchlist_published, name="watchlist_published"),
    path(
        "watchlist/withdrawals/<int:withdrawal_id>/",
        views.watchlist_withdrawal_decide,
        name="watchlist_withdrawal",
    ),
    path("reference-values/", views.reference_values, name="reference_values"),
    path("outcomes/<int:declaration_id>/", views.outcome_create, name="outcome_create"),
    path(
        "false-positives/<int:declaration_id>/",
        views.false_positive_create,
        name="false_positive_create",
    ),
    path(
        "false-positives/<int:declaration_id>/confirm/",
        views.false_positive_confirm,
        name="false_positive_confirm",
    ),
]
