"""The master waybill's number as a key (declarations.normalise.document_key), for consignments of
a consolidation: a declaration naming that master as its transport document covers their goods,
so customs' holds follow between them (lifecycle.same_goods)."""

from django.conf import settings
from django.db import migrations, models


def fill_keys(apps, schema_editor):
    from declarations.normalise import document_key

    declaration = apps.get_model("declarations", "Declaration")
    rows = declaration.objects.filter(payload__has_key="master_transport_document")
    for pk, master in rows.values_list("pk", "payload__master_transport_document").iterator():
        key = document_key((master or {}).get("number", "")) if isinstance(master, dict) else ""
        if key:
            declaration.objects.filter(pk=pk).update(master_document_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("aeo", "0006_webhook_outbox_moves_from_aeo"),
        ("declarations", "0016_transport_document_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="declaration",
            name="master_document_key",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="declaration",
            index=models.Index(
                condition=models.Q(("master_document_key", ""), _negated=True),
                fields=["master_document_key"],
                name="decl_master_key_idx",
            ),
        ),
    ]
