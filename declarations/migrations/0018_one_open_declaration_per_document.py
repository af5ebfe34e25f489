"""One open declaration of a transport document per operator (statuses.STILL_DECLARED): the same
parcel declared twice by one operator was assessed, released and charged twice. Declarations
already stored twice stop the migration with their list: an officer decides which one stands
(the other is withdrawn by its operator or invalidated) before the upgrade, never the database."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count

STILL_DECLARED = ("accepted", "assessed", "documents_requested", "inspection", "detained")


def refuse_duplicates(apps, schema_editor):
    declaration = apps.get_model("declarations", "Declaration")
    twice = list(
        declaration.objects.filter(status__in=STILL_DECLARED)
        .exclude(transport_document_key="")
        .values("operator_id", "transport_document_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("operator_id", "transport_document_key")[:50]
    )
    if not twice:
        return
    lines = []
    for group in twice:
        lrns = declaration.objects.filter(
            operator_id=group["operator_id"],
            transport_document_key=group["transport_document_key"],
            status__in=STILL_DECLARED,
        ).values_list("lrn", flat=True)
        lines.append(
            f"  operator id {group['operator_id']}, transport document "
            f"{group['transport_document_key']}: lrn {', '.join(sorted(lrns))}"
        )
    raise RuntimeError(
        "These transport documents are declared more than once by the same operator and still "
        "open; keep one declaration of each (the others withdrawn by their operator or "
        "invalidated by an officer), then migrate again:\n" + "\n".join(lines)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("aeo", "0006_webhook_outbox_moves_from_aeo"),
        ("declarations", "0017_master_document_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="declaration",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", STILL_DECLARED))
                & ~models.Q(transport_document_key=""),
                fields=("operator", "transport_document_key"),
                name="decl_open_document_unique_per_operator",
            ),
        ),
    ]
