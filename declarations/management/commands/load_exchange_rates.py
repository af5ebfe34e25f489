"""Load official monthly customs exchange rates from a CSV file (all or nothing, audited)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customs_ecom.platform.accounts.audited import command_actor
from declarations.services.reference_data import exchange_rates_load


class Command(BaseCommand):
    help = (
        "Load official customs exchange rates from a CSV with the columns "
        "currency,valid_from,units_per_eur (units of the currency per 1 EUR from that day). "
        "Nothing is loaded if any row is wrong; each wrong row is reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--reason", default="", help="why the rates are loaded (audited)")
        parser.add_argument("--source", default="official")
        parser.add_argument(
            "--confirm-unusual",
            action="store_true",
            help="load rates more than 50%% away from the rates in use (checked, not a typo)",
        )

    def handle(
        self, *args, csv_file: Path, reason: str, source: str, confirm_unusual: bool, **options
    ):
        try:
            text = csv_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {csv_file}: {exc}") from None
        result = exchange_rates_load(
            text=text,
            actor=command_actor("load_exchange_rates"),
            source=source,
            reason=reason,
            confirm_unusual=confirm_unusual,
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"line {error['line']} [{error['column']}]: {error['error']}")
            raise CommandError(f"{len(result.errors)} row error(s): nothing was loaded")
        self.stdout.write(f"loaded {result.loaded} exchange rate(s) from {csv_file}")
