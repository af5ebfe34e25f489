# One current tax assessment per declaration, as a database constraint. Should an installation
# hold two current assessments of one declaration (a race the services did not guard), the
# newest stays current and the older ones are retired before the constraint is added.

from django.db import migrations, models
from django.db.models import Count, Max


def retire_older_current(apps, schema_editor):
    assessment = apps.get_model("revenue", "TaxAssessment")
    doubled = (
        assessment.objects.filter(is_current=True)
        .values("declaration_id")
        .annotate(n=Count("id"), newest=Max("id"))
        .filter(n__gt=1)
    )
    for row in doubled.iterator():
        assessment.objects.filter(
            declaration_id=row["declaration_id"], is_current=True, id__lt=row["newest"]
        ).update(is_current=False)


class Migration(migrations.Migration):
    dependencies = [("revenue", "0014_statement_billed_entries")]

    operations = [
        migrations.RunPython(retire_older_current, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="taxassessment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)),
                fields=("declaration",),
                name="one_current_tax_assessment",
            ),
        ),
    ]
