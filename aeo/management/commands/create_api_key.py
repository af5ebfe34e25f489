from django.core.management.base import BaseCommand, CommandError

from aeo.models import Operator
from aeo.services.access import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an operator; prints the key alone on stdout (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, code, name, **options):
        try:
            operator = Operator.objects.get(code=code)
        except Operator.DoesNotExist:
            raise CommandError(f"no operator with code {code!r}") from None
        _, key = api_key_create(operator=operator, name=name, actor="command:create_api_key")
        self.stdout.write(key)
