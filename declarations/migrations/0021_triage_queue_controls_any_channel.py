"""The triage queue holds any consignment under an officer's control (documents requested, an
inspection), whatever its channel, besides yellow and red ones needing action: its partial index
follows (declarations.models.TRIAGE_CONDITION)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('aeo', '0006_webhook_outbox_moves_from_aeo'),
        ('declarations', '0020_import_job_message_data'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='declaration',
            name='decl_triage_queue_idx',
        ),
        migrations.AddIndex(
            model_name='declaration',
            index=models.Index(condition=models.Q(models.Q(('channel__in', ('yellow', 'red')), ('status__in', ('assessed', 'documents_requested', 'inspection'))), ('status__in', ('documents_requested', 'inspection')), _connector='OR'), fields=['-priority', 'received_at', 'id'], name='decl_triage_queue_idx'),
        ),
    ]
