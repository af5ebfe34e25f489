from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .services.regimes import ensure_shipped_regimes

    ensure_shipped_regimes()


class RevenueConfig(AppConfig):
    name = "revenue"
    verbose_name = "Revenue"

    def ready(self) -> None:
        from . import guards, providers, tasks  # noqa: F401  (tasks: registers the Celery tasks by name)

        guards.register()
        providers.register()

        post_migrate.connect(
            _load_reference_data, sender=self, dispatch_uid="revenue-reference-data"
        )
