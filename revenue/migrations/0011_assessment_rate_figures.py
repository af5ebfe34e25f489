# The official figures per euro an assessment's exchange rate is crossed from: amounts convert
# with them exactly, and a revaluation converts as the first assessment did. Assessments stored
# before keep none (a revaluation of one converts with its stored rate, as before).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("revenue", "0010_tax_line_basis_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="taxassessment",
            name="rate_from_per_eur",
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=18, null=True),
        ),
        migrations.AddField(
            model_name="taxassessment",
            name="rate_to_per_eur",
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=18, null=True),
        ),
    ]
