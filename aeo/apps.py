from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .benefits import ensure_benefit_policies

    ensure_benefit_policies()


class AeoConfig(AppConfig):
    name = "aeo"
    verbose_name = "AEO registry and operators"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the Celery tasks by name)

        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="aeo-reference-data")
