from django.db import migrations


class Migration(migrations.Migration):
    """AuditEvent moved to customs_ecom.platform with its table: only the model state changes."""

    dependencies = [
        ("aeo", "0004_leaner_indexes"),
        ("platform", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
