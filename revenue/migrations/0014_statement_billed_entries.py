# A deferred ledger entry names the statement that bills it (`billed_on`), so that an entry whose
# month was closed before it reached the ledger is billed on a later statement instead of none.
# Existing statements keep their totals: each gets the entries of its operator, currency and
# month that it counted when it was closed. When the month holds more entries than the statement
# counted (some were committed after the close), the ones left out are those whose amounts make
# up the difference, the latest first; they stay unbilled and the next close bills them as late
# entries. When no such set is found, every entry of the month is given to the statement: an
# entry is never billed twice.

from datetime import date, datetime
from decimal import Decimal
from itertools import combinations

import django.db.models.deletion
from django.db import migrations, models

DEFERRED = "intermediary_deferred"
# At most this many combinations are tried per statement to find the entries left out.
SEARCH_LIMIT = 20000


def _month_bounds(period, zone):
    following = date.fromordinal(period.replace(day=28).toordinal() + 4).replace(day=1)
    return (
        datetime(period.year, period.month, 1, tzinfo=zone),
        datetime(following.year, following.month, 1, tzinfo=zone),
    )


def _left_out(entries, counted, total):
    """The entries the statement did not count: as many as it lacks, whose amounts are the
    difference between the month's sum and what it counted; None when no such set is found."""
    extra = len(entries) - counted
    difference = sum((amount for _pk, amount in entries), Decimal(0)) - total
    if extra == 0:
        return [] if difference == 0 else None
    latest_first = sorted(entries, key=lambda entry: -entry[0])
    for tried, subset in enumerate(combinations(latest_first, extra)):
        if tried >= SEARCH_LIMIT:
            return None
        if sum((amount for _pk, amount in subset), Decimal(0)) == difference:
            return [pk for pk, _amount in subset]
    return None


def backfill(apps, schema_editor):
    from revenue.localtime import jurisdiction_zone

    DeferredStatement = apps.get_model("revenue", "DeferredStatement")
    LedgerEntry = apps.get_model("revenue", "LedgerEntry")
    if not DeferredStatement.objects.exists():
        return
    zone = jurisdiction_zone()
    for statement in DeferredStatement.objects.order_by("period", "pk"):
        start, end = _month_bounds(statement.period, zone)
        of_month = LedgerEntry.objects.filter(
            account_id=statement.operator_id,
            currency=statement.currency,
            collection_model=DEFERRED,
            billed_on__isnull=True,
            at__gte=start,
            at__lt=end,
        ).exclude(kind="payment")
        left_out = []
        if of_month.count() > statement.entry_count:
            entries = list(of_month.order_by("id").values_list("pk", "amount"))
            counted = statement.total - statement.brought_forward
            left_out = _left_out(entries, statement.entry_count, counted) or []
        of_month.exclude(pk__in=left_out).update(billed_on_id=statement.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0013_statement_credit_carried"),
    ]

    operations = [
        migrations.AddField(
            model_name="deferredstatement",
            name="late_entries",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="billed_on",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="billed_entries",
                to="revenue.deferredstatement",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("billed_on__isnull", True), ("collection_model", DEFERRED)),
                fields=["at"],
                name="ledger_unbilled_idx",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
