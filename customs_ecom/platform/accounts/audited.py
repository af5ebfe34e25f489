"""Audit of the accounts a management command creates or whose password it changes."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from customs_ecom.platform.admin import _password_changed, _user_facts
from customs_ecom.platform.audit import audit_record


def command_actor(command: str) -> str:
    """Who ran a command: the command and the system account it ran under."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for the process's user id (a bare container)
        account = "unknown"
    return f"command line ({command}, system user {account})"


@contextmanager
def audited_accounts(command: str) -> Iterator[None]:
    """While the block runs, every account saved is audited: a new one as ``user.add`` with its
    facts, an existing one as ``user.password_change`` (the two commands change nothing else)."""
    actor = command_actor(command)
    reason = f"{command} command"

    def saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        if created:
            audit_record(
                actor=actor,
                action="user.add",
                object_type="user",
                object_id=instance.pk,
                before=None,
                after=_user_facts(instance),
                reason=reason,
            )
        else:
            _password_changed(actor, instance.pk, reason)

    user_model = get_user_model()
    uid = f"audited-accounts-{command}"
    post_save.connect(saved, sender=user_model, dispatch_uid=uid, weak=False)
    try:
        yield
    finally:
        post_save.disconnect(sender=user_model, dispatch_uid=uid)
