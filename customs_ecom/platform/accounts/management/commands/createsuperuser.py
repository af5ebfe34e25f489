"""Django's createsuperuser, audited (customs_ecom.platform.accounts)."""

from django.contrib.auth.management.commands import createsuperuser

from customs_ecom.platform.accounts.audited import audited_accounts


class Command(createsuperuser.Command):
    help = createsuperuser.Command.help + " The new account is recorded in the audit log."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        with audited_accounts("createsuperuser"):
            return super().handle(*args, **options)
