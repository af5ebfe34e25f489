from django.core.management.base import BaseCommand, CommandError

from aeo.models import Operator
from aeo.services.access import api_key_create
from customs_ecom.platform.accounts.audited import command_actor


class Command(BaseCommand):
    help = (
        "Create an API key for an operator; prints the key alone on stdout (shown once). The "
        "creation is audited under the command and the system user who ran it."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--name", default="cli")
        parser.add_argument(
            "--reason", default="", help="Why the key is created (recorded in the audit log)."
        )

    def handle(self, *args, code, name, reason, **options):
        try:
            operator = Operator.objects.get(code=code)
        except Operator.DoesNotExist:
            raise CommandError(f"no operator with code {code!r}") from None
        _, key = api_key_create(
            operator=operator,
            name=name,
            actor=command_actor("create_api_key"),
            reason=reason.strip() or "create_api_key command",
        )
        self.stdout.write(key)
