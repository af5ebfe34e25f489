from django.db import migrations


class Migration(migrations.Migration):
    """The webhook outbox (cursor, deliveries, attempts) moved to declarations with its tables and
    rows (declarations 0013): only the model state changes here."""

    dependencies = [
        ("aeo", "0005_auditevent_moves_to_platform"),
        ("declarations", "0013_webhook_outbox_moves_from_aeo"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookAttempt"),
                migrations.DeleteModel(name="WebhookCursor"),
                migrations.DeleteModel(name="WebhookDelivery"),
            ],
            database_operations=[],
        ),
    ]
