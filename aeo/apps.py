from django.apps import AppConfig


class AeoConfig(AppConfig):
    name = "aeo"
    verbose_name = "AEO registry and operators"
