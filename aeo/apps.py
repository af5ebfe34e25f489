from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .benefits import ensure_benefit_policies

    ensure_benefit_policies()


class AeoConfig(AppConfig):
    name = "aeo"
    verbose_name = "AEO registry and operators"

    def ready(self) -> None:
        from customs_ecom.platform.templatetags.human import register_labels

        from . import tasks  # noqa: F401  (registers the Celery tasks by name)
        from .models import AEOAuthorisation, OperatorLink

        # Authorisation statuses read as words in the audit log ("aeo.suspended").
        register_labels({status.value: status.label for status in AEOAuthorisation.Status})
        # So do the kinds of link between operators ("carries_for").
        register_labels({kind.value: kind.label for kind in OperatorLink.Kind})

        # Why the system disabled a webhook reads in the reader's language on the audit page.
        from customs_ecom.platform.templatetags.human import (
            register_reason_reader,
            register_value_reader,
        )

        from .services.access import webhook_disabled_reason

        register_reason_reader(webhook_disabled_reason)
        register_value_reader("webhook_disabled_reason", webhook_disabled_reason)

        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="aeo-reference-data")
