"""Why an import job failed is kept as a message id with its parameters beside its English text,
so the job's page shows it in the reader's language; jobs failed before keep their text alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0019_manifest_line_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="message_data",
            field=models.JSONField(blank=True, default=None, null=True),
        ),
    ]
