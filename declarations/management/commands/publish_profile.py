"""Publish a new version of a reference-dataset profile from a JSON file (audited)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customs_ecom.platform.accounts.audited import command_actor
from declarations.services.reference_data import profile_publish


class Command(BaseCommand):
    help = (
        "Publish a new version of a profile (wco-core, eu-h7, upu-cn23 or a new code) from a JSON "
        "file shaped like one entry of declarations/data/profiles.json. The version number is "
        "assigned; declarations already stored keep the version that validated them."
    )

    def add_arguments(self, parser):
        parser.add_argument("spec_file", type=Path)
        parser.add_argument("--reason", required=True, help="why the profile changes (audited)")

    def handle(self, *args, spec_file: Path, reason: str, **options):
        try:
            data = json.loads(spec_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {spec_file}: {exc}") from None
        if not isinstance(data, dict) or "code" not in data or "elements" not in data:
            raise CommandError("the file must be one profile object with `code` and `elements`")
        try:
            profile = profile_publish(
                spec_data=data, actor=command_actor("publish_profile"), reason=reason
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"invalid profile: {exc}") from None
        self.stdout.write(f"published {profile.code} version {profile.version}")
