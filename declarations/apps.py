from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .reference import ensure_reference_profiles

    ensure_reference_profiles()


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = "Declarations"

    def ready(self) -> None:
        from . import lifecycle, tasks  # noqa: F401  (tasks: registers the Celery tasks by name)

        lifecycle.register_core_guards()

        post_migrate.connect(
            _load_reference_data, sender=self, dispatch_uid="declarations-reference-data"
        )
