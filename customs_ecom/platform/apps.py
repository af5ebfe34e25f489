from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "customs_ecom.platform"
    label = "platform"
    verbose_name = "customs-ecom platform"

    def ready(self) -> None:
        from . import openapi  # noqa: F401  (defines the request-side OpenAPI extension)
        from .admin import register_lockout_admin

        register_lockout_admin()
