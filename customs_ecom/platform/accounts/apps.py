from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "customs_ecom.platform.accounts"
    label = "platform_accounts"
    verbose_name = "customs-ecom accounts on the command line"
