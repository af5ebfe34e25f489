"""WSGI entry point: `gunicorn customs_ecom.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

application = get_wsgi_application()
