from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "customs_ecom.platform"
    label = "platform"
    verbose_name = "customs-ecom platform"
