"""Writes for the AEO registry, by topic:

- ``registry``: operators, identifiers, contacts and links, and ``RegistryError``;
- ``authorisations``: AEO authorisations and their one transition service, mutual recognition;
- ``benefit_policies``: what each kind of authorisation gives;
- ``access``: operator access (API keys, throttle, webhook).

Every write is audited. The names below are re-exported for the callers that import them from
``aeo.services``.
"""

from __future__ import annotations

from .access import (
    api_key_count,
    api_key_create,
    api_key_revoke,
    new_webhook_secret,
    operator_set_throttle,
    operator_set_webhook,
    parse_throttle_rate,
)
from .authorisations import (
    AEO_TRANSITIONS,
    AEOTransitionNotAllowed,
    authorisation_apply,
    authorisation_recognise,
    authorisation_transition,
    authorisations_expire,
    mutual_recognition_save,
)
from .benefit_policies import benefit_policy_update
from .registry import (
    OPERATOR_FIELDS,
    RegistryError,
    operator_contact_add,
    operator_contact_remove,
    operator_create,
    operator_identifier_add,
    operator_identifier_remove,
    operator_link_add,
    operator_link_remove,
    operator_update,
)

__all__ = [
    "AEO_TRANSITIONS",
    "OPERATOR_FIELDS",
    "AEOTransitionNotAllowed",
    "RegistryError",
    "api_key_count",
    "api_key_create",
    "api_key_revoke",
    "authorisation_apply",
    "authorisation_recognise",
    "authorisation_transition",
    "authorisations_expire",
    "benefit_policy_update",
    "mutual_recognition_save",
    "new_webhook_secret",
    "operator_contact_add",
    "operator_contact_remove",
    "operator_create",
    "operator_identifier_add",
    "operator_identifier_remove",
    "operator_link_add",
    "operator_link_remove",
    "operator_set_throttle",
    "operator_set_webhook",
    "operator_update",
    "parse_throttle_rate",
]
