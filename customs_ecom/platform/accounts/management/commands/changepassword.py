"""Django's changepassword, audited (customs_ecom.platform.accounts)."""

from django.contrib.auth.management.commands import changepassword

from customs_ecom.platform.accounts.audited import audited_accounts


class Command(changepassword.Command):
    help = changepassword.Command.help + " The change is recorded in the audit log."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        with audited_accounts("changepassword"):
            return super().handle(*args, **options)
