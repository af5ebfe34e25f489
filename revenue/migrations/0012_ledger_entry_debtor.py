# A border payment names whose debt it settles (`debtor`), and a refund the account it comes
# from: each debtor's balance is computed on its own. Entries stored before are restated by
# replaying each declaration's border entries in order with the rule the payment service now
# applies (the payer's own debt when it owed something, else the consignee's, else the largest);
# a refund is set to the account that had been paid more than it owed (else the one that had
# been paid the most).

from decimal import Decimal

from django.db import migrations, models

BORDER = "consignee_border"


def _toward(payer, outstanding, consignee):
    owing = {debtor: amount for debtor, amount in outstanding.items() if amount > 0}
    if payer in owing:
        return payer
    if consignee in owing:
        return consignee
    if owing:
        return min(owing, key=lambda debtor: (-owing[debtor], debtor))
    return consignee


def restate(apps, schema_editor):
    LedgerEntry = apps.get_model("revenue", "LedgerEntry")
    Declaration = apps.get_model("declarations", "Declaration")
    paid = LedgerEntry.objects.filter(
        collection_model=BORDER, kind__in=("payment", "refund"), debtor=""
    )
    declaration_ids = set(paid.values_list("declaration_id", flat=True).distinct())
    consignees = dict(
        Declaration.objects.filter(pk__in=declaration_ids).values_list("pk", "consignee_name")
    )
    for declaration_id in sorted(declaration_ids):
        owed: dict[str, Decimal] = {}
        collected: dict[str, Decimal] = {}
        entries = LedgerEntry.objects.filter(
            declaration_id=declaration_id, collection_model=BORDER
        ).order_by("id")
        for entry in entries:
            if entry.kind in ("assessed", "adjustment"):
                owed[entry.payer] = owed.get(entry.payer, Decimal(0)) + entry.amount
                continue
            if entry.kind == "payment":
                outstanding = {d: a - collected.get(d, Decimal(0)) for d, a in owed.items()}
                debtor = _toward(entry.payer, outstanding, consignees.get(declaration_id, ""))
                collected[debtor] = collected.get(debtor, Decimal(0)) + entry.amount
            elif entry.kind == "refund":
                excess = {
                    d: a - max(owed.get(d, Decimal(0)), Decimal(0))
                    for d, a in collected.items()
                }
                over = {d: a for d, a in excess.items() if a > 0}
                pool = over or collected
                if not pool:
                    continue
                debtor = min(pool, key=lambda d: (-pool[d], d))
                collected[debtor] = collected.get(debtor, Decimal(0)) - entry.amount
            else:
                continue
            if not entry.debtor:
                LedgerEntry.objects.filter(pk=entry.pk).update(debtor=debtor[:200])


class Migration(migrations.Migration):

    dependencies = [
        ("declarations", "0015_intake_children_without_fk_constraint"),
        ("revenue", "0011_assessment_rate_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="debtor",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(restate, migrations.RunPython.noop),
    ]
