"""WSGI entry point: `gunicorn customs_ecom.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

from customs_ecom.platform.heap import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_ecom.settings")

application = get_wsgi_application()
settle()  # the reference data out of the garbage collector's way (customs_ecom.platform.heap)
