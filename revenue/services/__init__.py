"""Writes for revenue, by topic:

* ``regimes``: shipped regimes after migrate, the version in force, regime versions edited by
  administrators and duty tariffs imported from CSV;
* ``registry``: the registry of valid tax-scheme numbers imported from CSV;
* ``assessment``: the tax assessment of accepted declarations in batches;
* ``revaluation``: reassessment with the values found at inspection;
* ``ledger``: payments of border duties and taxes and of deferred statements;
* ``refunds``: refunds, and the settlement of invalidated and returned declarations;
* ``statements``: the monthly closing of intermediaries' deferred statements;
* ``_common``: the engine input and the assessment rows that assessment and revaluation share.

Reads (registry verdicts, ledger balances, release guard facts) are in ``revenue.selectors``.
The names below are re-exported so that ``from revenue.services import ...`` keeps working;
code in this repository imports from the topic module."""

from revenue.selectors import (
    SCHEME_UNCHECKED,
    SCHEME_UNKNOWN,
    SCHEME_VALID,
    border_balance,
    border_due_unpaid,
    channel_balances,
    collection_gaps,
    release_blockers,
    statement_outstanding,
    tax_scheme_number_status,
    tax_scheme_number_statuses,
)
from revenue.services._common import TRANSPORT_BY_ROLE, consignment_input
from revenue.services.assessment import taxes_assess_batch
from revenue.services.ledger import LedgerError, ledger_payment_record
from revenue.services.refunds import REFUND_CURSOR, ledger_refund, refunds_reconcile
from revenue.services.regimes import (
    CsvRowError,
    RegimeChangeError,
    active_regimes,
    ensure_shipped_regimes,
    parse_rate,
    parse_tariff_csv,
    regime_at_instant,
    regime_import_tariff,
    regime_new_version,
    regime_on,
    spec_of,
)
from revenue.services.registry import tax_scheme_registrations_import
from revenue.services.revaluation import RevaluationError, taxes_revalue
from revenue.services.statements import deferred_statements_close

__all__ = [
    "REFUND_CURSOR",
    "SCHEME_UNCHECKED",
    "SCHEME_UNKNOWN",
    "SCHEME_VALID",
    "TRANSPORT_BY_ROLE",
    "CsvRowError",
    "LedgerError",
    "RegimeChangeError",
    "RevaluationError",
    "active_regimes",
    "border_balance",
    "border_due_unpaid",
    "channel_balances",
    "collection_gaps",
    "consignment_input",
    "deferred_statements_close",
    "ensure_shipped_regimes",
    "ledger_payment_record",
    "ledger_refund",
    "parse_rate",
    "parse_tariff_csv",
    "refunds_reconcile",
    "regime_at_instant",
    "regime_import_tariff",
    "regime_new_version",
    "regime_on",
    "release_blockers",
    "spec_of",
    "statement_outstanding",
    "tax_scheme_number_status",
    "tax_scheme_number_statuses",
    "tax_scheme_registrations_import",
    "taxes_assess_batch",
    "taxes_revalue",
]
