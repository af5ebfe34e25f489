"""Load the shipped reference values (risk/data/reference_values.csv), so undervaluation is
targeted from the first day, before any history exists."""

from django.db import migrations


def load(apps, schema_editor):
    from risk.reference import shipped_reference_values

    model = apps.get_model("risk", "ReferenceValue")
    if model.objects.exists():  # an administrator's table is never overwritten
        return
    model.objects.bulk_create(
        model(
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


def unload(apps, schema_editor):
    apps.get_model("risk", "ReferenceValue").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0005_reference_values_and_learned_medians")]

    operations = [migrations.RunPython(load, unload)]
