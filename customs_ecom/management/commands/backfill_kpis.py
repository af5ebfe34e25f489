"""Recompute the daily KPI aggregates over a range of days (after an import, a migration, or to
start a new installation's dashboard)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils import timezone

from customs_ecom.kpis import aggregate_range
from declarations.models import Declaration


class Command(BaseCommand):
    help = "Recompute daily KPI aggregates: --from/--to (YYYY-MM-DD), --days N, or all history."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat)
        parser.add_argument("--to", dest="end", type=date.fromisoformat)
        parser.add_argument("--days", type=int)

    def handle(self, *args, start, end, days, **options):
        today = timezone.localdate()
        if days:
            start, end = today - timedelta(days=days - 1), today
        if start is None or end is None:
            bounds = Declaration.objects.aggregate(
                first=Min("received_at"), last=Max("received_at")
            )
            if bounds["first"] is None:
                self.stdout.write("No declarations: nothing to aggregate.")
                return
            start = start or timezone.localtime(bounds["first"]).date()
            end = end or max(today, timezone.localtime(bounds["last"]).date())
        if start > end:
            raise CommandError("--from must not be after --to")
        rows = aggregate_range(start, end)
        self.stdout.write(f"Aggregated {start} to {end}: {rows} rows.")
