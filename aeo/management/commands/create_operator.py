from django.core.management.base import BaseCommand, CommandError

from aeo.models import Operator, OperatorRole
from aeo.services.registry import operator_create


class Command(BaseCommand):
    help = "Create an operator of the AEO registry (for automation)."

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
            actor="command:create_operator",
        )
        self.stderr.write(f"created operator {operator.code} ({operator.get_role_display()})")
