"""The transport document number as the goods' key (declarations.normalise.document_key): letters
and digits only, upper case. Arrivals, the officer search, the operator's list filter and the holds
that follow the goods compare it; it replaces the index on the number as sent."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Replace, Upper


def fill_keys(apps, schema_editor):
    from declarations.normalise import document_key

    declaration = apps.get_model("declarations", "Declaration")
    # Most numbers are letters and digits already: their key is the number in upper case, the
    # letters O and I read as the digits 0 and 1.
    upper = Upper(F("transport_document_number"))
    declaration.objects.update(
        transport_document_key=Replace(
            Replace(upper, Value("O"), Value("0")), Value("I"), Value("1")
        )
    )
    # The others (spaces, dashes, other scripts), one by one.
    for pk, number in declaration.objects.filter(
        transport_document_number__regex=r"[^A-Za-z0-9]"
    ).values_list("pk", "transport_document_number"):
        declaration.objects.filter(pk=pk).update(transport_document_key=document_key(number))


class Migration(migrations.Migration):
    dependencies = [
        ("aeo", "0006_webhook_outbox_moves_from_aeo"),
        ("declarations", "0015_intake_children_without_fk_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="declaration",
            name="decl_transport_doc_idx",
        ),
        migrations.AddField(
            model_name="declaration",
            name="transport_document_key",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="declaration",
            index=models.Index(fields=["transport_document_key"], name="decl_transport_key_idx"),
        ),
    ]
