"""Clearances made before addresses were part of their key: each one proposed from a consignment's
page is narrowed to the name at the address that consignment carried, found through the audit
record of the proposal (the clearance itself does not record the consignment). A clearance whose
consignment cannot be found keeps clearing the name at any address."""

from datetime import timedelta

from django.db import migrations

# The proposal's audit record is written in the transaction that creates the clearance.
WINDOW = timedelta(minutes=5)
ROLES = ("seller", "sender", "consignee")


def narrow_to_address(apps, schema_editor):
    from risk.facts import PartyFacts, party_key, screening_key

    Clearance = apps.get_model("risk", "WatchlistFalsePositive")
    AuditEvent = apps.get_model("platform", "AuditEvent")
    Declaration = apps.get_model("declarations", "Declaration")
    for clearance in Clearance.objects.select_related("entry").exclude(party_key__contains="|@"):
        proposals = [
            event
            for event in AuditEvent.objects.filter(
                action="watchlist.false_positive_proposed",
                object_type="declaration",
                at__gte=clearance.created_at - WINDOW,
                at__lte=clearance.created_at + WINDOW,
            ).order_by("at", "pk")
            if (event.before or {}).get("party_key") == clearance.party_key
            and (event.before or {}).get("watchlist_match") == clearance.entry.name
        ]
        keys = set()
        for event in proposals[:1]:
            declaration = Declaration.objects.filter(pk=event.object_id).first()
            payload = declaration.payload if declaration is not None else {}
            for role in ROLES:
                data = payload.get(role) or {}
                address = data.get("address") or {}
                party = PartyFacts(
                    name=data.get("name", ""),
                    street=address.get("street") or "",
                    city=address.get("city") or "",
                    postcode=address.get("postcode") or "",
                    country=address.get("country") or "",
                )
                if data and party_key(party) == clearance.party_key:
                    keys.add(screening_key(party))
        if len(keys) != 1:
            continue  # not found, or the name at two addresses on one consignment: name only
        (key,) = keys
        if Clearance.objects.filter(entry_id=clearance.entry_id, party_key=key).exists():
            continue
        AuditEvent.objects.create(
            actor_label="system",
            action="watchlist.false_positive_narrowed",
            object_type="watchlist_entry",
            object_id=str(clearance.entry_id),
            before={"entry": clearance.entry.name, "party_key": clearance.party_key},
            after={"entry": clearance.entry.name, "party_key": key,
                   "declaration": proposals[0].object_id},
            reason="clearances hold for one name at one address",
        )  # fmt: skip
        clearance.party_key = key
        clearance.save(update_fields=["party_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0012_watchlist_withdrawals"),
        ("declarations", "0021_triage_queue_controls_any_channel"),
        ("platform", "0001_initial"),
    ]

    operations = [migrations.RunPython(narrow_to_address, migrations.RunPython.noop)]
