from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .services import ensure_default_ruleset

    ensure_default_ruleset()


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk management"

    def ready(self) -> None:
        from . import guards, providers, tasks  # noqa: F401  (tasks: registers the Celery tasks by name)

        guards.register()
        providers.register()

        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="risk-reference-data")
