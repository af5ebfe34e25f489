from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .services.rulesets import ensure_default_ruleset

    ensure_default_ruleset()
    ensure_shipped_reference_values()
    forget_process_caches()


def forget_process_caches() -> None:
    """After `migrate` or a flush the tables may hold other rows under the same ids: the
    process's cached watchlist index and learned model are dropped, read again when needed."""
    from .services import learning, watchlists

    watchlists._watchlist_cache.update(index=None, stamp=None, generation=None, checked=0.0)
    learning._model_cache.update(key=None, model=None, promoted=False)


def ensure_shipped_reference_values() -> None:
    """The shipped reference values (risk/data/reference_values.csv) when the table is empty: after
    `migrate` (the data migration loads them too) and after a flush, so that undervaluation is
    targeted from the first day. An administrator's table is never overwritten."""
    from .models import ReferenceValue
    from .reference import shipped_reference_values

    if ReferenceValue.objects.exists():
        return
    ReferenceValue.objects.bulk_create(
        ReferenceValue(
            hs_code=row.hs_code,
            basis=row.basis,
            keywords=list(row.keywords),
            value_eur=row.value_eur,
            source=row.source,
            as_of=row.as_of,
            note=row.note,
        )
        for row in shipped_reference_values()
    )


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk management"

    def ready(self) -> None:
        from . import guards, providers, tasks  # noqa: F401  (tasks: registers the Celery tasks by name)

        guards.register()
        providers.register()
        # Inspection results read as words wherever a stored value is shown (audit log).
        from customs_ecom.platform.templatetags.human import register_labels

        from .models import InspectionOutcome

        register_labels({result.value: result.label for result in InspectionOutcome.Result})
        # A rule's parameters read as their form labels in an audited rule set's values.
        from .forms import PARAM_LABELS

        register_labels(PARAM_LABELS)
        # The keys of a list update's and a withdrawal's audit events.
        from .watchlist_withdrawals import AUDIT_LABELS

        register_labels(AUDIT_LABELS)
        # A list update's file format reads as its words in the audit log and its export.
        from customs_ecom.platform.templatetags.human import register_value_reader

        from .models import watchlist_format_label

        register_value_reader("format", watchlist_format_label)

        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="risk-reference-data")
