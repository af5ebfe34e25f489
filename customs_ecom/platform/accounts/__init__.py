"""Customs accounts changed from the command line are audited like those the admin pages change.

Django's ``createsuperuser`` and ``changepassword`` commands are replaced here by the same
commands that also write an audit entry (who: the command and the system account that ran it;
before and after: the account's facts, never a password). This app comes first in
``INSTALLED_APPS`` so that its commands are the ones ``manage.py`` finds."""
