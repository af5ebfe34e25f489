"""Carrier manifest lines are matched to declarations by the transport document's key
(declarations.normalise.document_key), as arrivals are: a line written 'RR 123 456 785 de' is
the declaration's 'RR123456785DE'. The key replaces the index on the number as sent."""

from django.conf import settings
from django.db import migrations, models

CHUNK = 2000


def fill_keys(apps, schema_editor):
    from declarations.normalise import document_key

    line = apps.get_model("declarations", "ManifestLine")
    last = 0
    while True:
        chunk = list(
            line.objects.filter(pk__gt=last, transport_document_key="")
            .order_by("pk")
            .only("pk", "transport_document_number")[:CHUNK]
        )
        if not chunk:
            return
        for row in chunk:
            row.transport_document_key = document_key(row.transport_document_number)
        line.objects.bulk_update(chunk, ["transport_document_key"])
        last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("aeo", "0006_webhook_outbox_moves_from_aeo"),
        ("declarations", "0018_one_open_declaration_per_document"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="manifestline",
            name="transport_document_key",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="manifestline",
            name="manifest_line_doc_idx",
        ),
        migrations.AddIndex(
            model_name="manifestline",
            index=models.Index(fields=["transport_document_key", "-id"], name="manifest_line_key_idx"),
        ),
    ]
