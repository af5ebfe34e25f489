from django.db import migrations


class Migration(migrations.Migration):
    """IdempotencyRecord moved to customs_ecom.platform with its table: only the model state changes."""

    dependencies = [
        ("declarations", "0011_merge_workload"),
        ("platform", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
