from django.core.management.base import BaseCommand, CommandError

from aeo.models import Operator, OperatorRole
from aeo.services.registry import operator_create
from customs_ecom.platform.accounts.audited import command_actor


class Command(BaseCommand):
    help = (
        "Create an operator of the AEO registry (for automation). The creation is audited "
        "under the command and the system user who ran it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=[c for c, _ in OperatorRole.choices])
        parser.add_argument("--country", default="")

    def handle(self, *args, code, name, role, country, **options):
        if Operator.objects.filter(code=code).exists():
            raise CommandError(f"operator {code!r} already exists")
        operator = operator_create(
            code=code,
            name=name,
            role=role,
            country=country.upper(),
            actor=command_actor("create_operator"),
            reason="create_operator command",
        )
        self.stderr.write(f"created operator {operator.code} ({operator.get_role_display()})")
