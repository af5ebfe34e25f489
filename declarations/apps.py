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
        # Problem documents read their details in the request's language.
        from customs_ecom.platform.extensions import provide

        from .generated_text import problem_detail

        provide("problems.detail_in_language", problem_detail)
        # Stored statuses read as words wherever a value is shown (audit log, timelines).
        from customs_ecom.platform.templatetags.human import register_labels

        from .statuses import Status

        register_labels({status.value: status.label for status in Status})
        from .models import Case

        register_labels({kind.value: kind.label for kind in Case.Kind})
        # The ledger's own references in audited entries read in the reader's language, as on
        # the ledger page ("payé par le transporteur à la livraison").
        from customs_ecom.platform.templatetags.human import register_value_reader

        from .generated_text import ledger_reference

        register_value_reader("reference", ledger_reference)
        # The webhook outbox lives here; aeo's registry and operator pages reach it by name.
        from . import webhooks

        provide("aeo.webhook_registered", webhooks.cursor_restart)
        provide("aeo.operator_deliveries", webhooks.operator_deliveries)

        post_migrate.connect(
            _load_reference_data, sender=self, dispatch_uid="declarations-reference-data"
        )
