from django.db import migrations, models


def fill_channels(apps, schema_editor):
    """Existing lines get the channel their payer implies."""
    TaxLine = apps.get_model("revenue", "TaxLine")
    TaxLine.objects.filter(payer="intermediary").update(collection_channel="deferred_statement")
    TaxLine.objects.filter(payer__in=["vendor", "marketplace"]).update(collection_channel="scheme_return")


def record_scheme_returns(apps, schema_editor):
    """Pre-collected amounts of existing assessments were on no ledger channel: record them under
    the scheme return they are paid through (append-only, one entry per assessment)."""
    TaxAssessment = apps.get_model("revenue", "TaxAssessment")
    LedgerEntry = apps.get_model("revenue", "LedgerEntry")
    entries = []
    for assessment in TaxAssessment.objects.filter(pre_collected__gt=0).select_related(
        "declaration"
    ):
        declaration = assessment.declaration
        entries.append(
            LedgerEntry(
                declaration_id=declaration.pk,
                kind="assessed",
                amount=assessment.pre_collected,
                currency=assessment.currency,
                collection_model=assessment.collection_model
                if assessment.collection_model == "marketplace_deemed_supplier"
                else "vendor_point_of_sale",
                payer=f"{declaration.tax_scheme} {declaration.tax_scheme_number}".strip()[:200],
                reference=f"assessment {assessment.pk}: {declaration.tax_scheme} return",
                source_key=f"assessment:{assessment.pk}:scheme",
            )
        )
    LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0003_leaner_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="taxline",
            name="collection_channel",
            field=models.CharField(default="border", max_length=20),
        ),
        migrations.RunPython(fill_channels, migrations.RunPython.noop),
        migrations.RunPython(record_scheme_returns, migrations.RunPython.noop),
    ]
