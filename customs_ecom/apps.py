from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _rule_title(code: str) -> str:
    from .dashboard import _rule_title as title

    return title(code)


def _ensure_groups(sender, **kwargs):
    from .platform.roles import ensure_role_groups

    ensure_role_groups()


class CustomsEcomConfig(AppConfig):
    name = "customs_ecom"
    verbose_name = "customs-ecom"

    def ready(self) -> None:
        post_migrate.connect(_ensure_groups, sender=self, dispatch_uid="customs-ecom-groups")
        from . import tasks  # noqa: F401  (registers the Celery tasks by name: the drainer)
        from .kpis import days_changed, refresh_without_beat
        from .platform.extensions import provide

        provide("kpis.refresh_without_beat", refresh_without_beat)
        # Older days whose consignments changed (declarations.lifecycle.kpi_days_changed).
        provide("kpis.days_changed", days_changed)
        # Risk rules' titles for the pages of apps below risk (the consignment page's hits).
        provide("risk.rule_title", _rule_title)
