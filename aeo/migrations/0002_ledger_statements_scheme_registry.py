"""Kept empty on purpose: revenue's 0002 migration names this node as a dependency. The AEO
registry tables are created by 0003_registry_benefits_webhooks."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("aeo", "0001_initial"),
    ]

    operations: list = []
