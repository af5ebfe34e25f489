"""Declarations of consignments, their items, their lifecycle, and the reference data that checks them."""

import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aeo.models import Operator

from .statuses import CONTROL_UNDER_WAY, NEEDS_ACTION, STILL_DECLARED, Status

# The name of the constraint that refuses a second open declaration of one transport document by
# one operator: intake recognises it when a concurrent declaration of the same parcel wins.
OPEN_DOCUMENT_CONSTRAINT = "decl_open_document_unique_per_operator"


class Profile(models.Model):
    """A reference-dataset profile (Annex II) as data, versioned: each declaration records the version
    that validated it, so changing a profile never rewrites history."""

    code = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    spec = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="profile_code_version_unique")
        ]
        ordering = ["code", "-version"]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ExchangeRate(models.Model):
    """An official customs exchange rate: units of `currency` per 1 EUR, valid from `valid_from`
    until the next row of the same currency (monthly customs rates, or daily ECB rates)."""

    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    units_per_eur = models.DecimalField(max_digits=18, decimal_places=6)
    source = models.CharField(max_length=20, default="official")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from", "source"], name="rate_unique_per_day"
            )
        ]
        indexes = [models.Index(fields=["currency", "-valid_from"])]


class Channel(models.TextChoices):
    GREEN = "green", _("Green")
    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


# Queue order: red before yellow before blue/green; a higher number sorts first.
CHANNEL_PRIORITY = {"red": 3, "yellow": 2, "blue": 1, "green": 0}
NEEDS_ACTION_STATUSES = NEEDS_ACTION
# Statuses few consignments hold at a time: the list reads them through a partial index.
RARE_LIST_STATUSES = (
    Status.DOCUMENTS_REQUESTED,
    Status.INSPECTION,
    Status.DETAINED,
    Status.INVALIDATED,
    Status.RETURNED,
)
# Green and blue are released without an officer; only these reach the triage queue.
QUEUE_CHANNELS = ("yellow", "red")
# The triage queue and the workload: yellow and red consignments needing action, and any
# consignment under an officer's control whatever its channel (a green one an officer selected
# for inspection or asked documents for, or one an arrival held for an officer). One condition,
# read by the queue, the workload counts and the queue's partial index alike.
TRIAGE_CONDITION = models.Q(
    status__in=NEEDS_ACTION_STATUSES, channel__in=QUEUE_CHANNELS
) | models.Q(status__in=CONTROL_UNDER_WAY)


# Written by intake in the same statement as their declaration (declarations.services.intake:
# one INSERT of the family on PostgreSQL, or one COPY transaction with the ids it reserved), so
# they can never point at a missing one, and declarations are never deleted (the ORM would
# cascade). No database foreign-key constraint, then: its check locked the parent row once per
# child row and was 40 % of PostgreSQL's time at single-declaration intake (BENCHMARKS.md).
INTAKE_CHILD = {"on_delete": models.CASCADE, "db_constraint": False}


class Declaration(models.Model):
    """One advance electronic declaration of one consignment, as submitted by an operator.

    The canonical payload is kept whole; the columns beside it are what queues, filters and KPIs
    need to be fast at millions of rows."""

    # No single-column index on operator: (operator, lrn) and (operator, updated_at) lead with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="declarations", db_index=False
    )
    lrn = models.CharField(max_length=35)
    dataset = models.CharField(max_length=40)
    # Never filtered on (profiles are versioned, never deleted): no index to keep up at intake.
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACCEPTED)
    channel = models.CharField(max_length=8, choices=Channel.choices, null=True, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    priority = models.IntegerField(default=0, help_text=_("Queue order: channel, then score"))
    dq_score = models.PositiveSmallIntegerField(null=True, blank=True)
    category = models.CharField(max_length=24)
    transport_mode = models.CharField(max_length=8, blank=True, default="")
    transport_document_type = models.CharField(max_length=16)
    transport_document_number = models.CharField(max_length=64)
    # The number as the goods' key (normalise.document_key): what arrivals, searches and the
    # holds that follow the goods compare.
    transport_document_key = models.CharField(max_length=64, blank=True, default="")
    # The master waybill's number as a key, for a consignment of a consolidation (empty
    # otherwise): a declaration naming that master as its transport document covers its goods.
    master_document_key = models.CharField(max_length=64, blank=True, default="")
    country_of_dispatch = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    total_value = models.DecimalField(max_digits=18, decimal_places=4)
    total_value_eur = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    total_gross_mass_kg = models.DecimalField(max_digits=14, decimal_places=3)
    packages = models.PositiveIntegerField(default=1)
    item_count = models.PositiveIntegerField(default=0)
    seller_name = models.CharField(max_length=140, blank=True, default="")
    consignee_name = models.CharField(max_length=140)
    consignee_country = models.CharField(max_length=2)
    consignee_key = models.CharField(max_length=200, blank=True, default="")
    tax_scheme = models.CharField(max_length=8, blank=True, default="")
    tax_scheme_number = models.CharField(max_length=40, blank=True, default="")
    payload = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(default=1, help_text=_("Incremented by each amendment"))
    # Which revision risk and revenue have assessed; the declaration is `assessed` when both match.
    risk_revision = models.PositiveIntegerField(default=0)
    tax_revision = models.PositiveIntegerField(default=0)
    expected_arrival = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    assessed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # decl_claimed_idx, partial: most consignments are never claimed
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set by `POST /api/v1/returns`: the transport document that carries the goods back.
    return_transport_document = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "lrn"], name="declaration_lrn_unique_per_operator"
            ),
            # One open declaration of a transport document per operator (statuses.STILL_DECLARED).
            models.UniqueConstraint(
                fields=["operator", "transport_document_key"],
                condition=models.Q(status__in=STILL_DECLARED)
                & ~models.Q(transport_document_key=""),
                name=OPEN_DOCUMENT_CONSTRAINT,
            ),
        ]
        # Every index is written by intake and again by each assessment update (the channel
        # changes an indexed column, so the update is never HOT): keep only those a query needs.
        indexes = [
            models.Index(
                fields=["operator", "-updated_at", "-id"], name="decl_operator_updated_idx"
            ),
            models.Index(fields=["transport_document_key"], name="decl_transport_key_idx"),
            models.Index(
                fields=["master_document_key"],
                name="decl_master_key_idx",
                condition=~models.Q(master_document_key=""),
            ),
            models.Index(fields=["received_at"], name="decl_received_idx"),
            models.Index(fields=["status", "enqueued_at"], name="decl_status_enqueued_idx"),
            models.Index(fields=["consignee_key", "received_at"], name="decl_consignee_recent_idx"),
            models.Index(fields=["seller_name", "received_at"], name="decl_seller_recent_idx"),
            # --- officer search (issue 16): exact match on normalised keys; the name searches
            # use trigram indexes created on PostgreSQL only (migration 0008) ---
            models.Index(Upper("lrn"), name="decl_lrn_upper_idx"),
            models.Index(
                fields=["tax_scheme_number"],
                name="decl_tax_scheme_number_idx",
                condition=~models.Q(tax_scheme_number=""),
            ),
            # The all-consignments list filtered on a rare status (detained, inspection...), newest
            # first. Partial: intake writes `accepted` rows, which this index never holds.
            models.Index(
                fields=["status", "-received_at"],
                name="decl_rare_status_recent_idx",
                condition=models.Q(status__in=RARE_LIST_STATUSES),
            ),
            # --- end officer search ---
            models.Index(
                fields=["claimed_by"],
                name="decl_claimed_idx",
                condition=models.Q(claimed_by__isnull=False),
            ),
            # The triage queue: a few thousand rows among millions, read in queue order; a partial
            # index on exactly the queue's predicate turns the page into an index range scan.
            models.Index(
                fields=["-priority", "received_at", "id"],
                name="decl_triage_queue_idx",
                condition=TRIAGE_CONDITION,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lrn} ({self.operator_id})"

    @property
    def claim_lapsed(self) -> bool:
        """Claimed, but the claim ran out (`lifecycle.claim_holder_id`): nobody's any more."""
        from .lifecycle import claim_holder_id

        return self.claimed_by_id is not None and claim_holder_id(self) is None


class DeclarationItem(models.Model):
    """A goods item (EU goods item; CN23 line)."""

    # Indexed by item_line_unique (declaration, line): no second index to keep up at intake.
    declaration = models.ForeignKey(
        Declaration, related_name="items", db_index=False, **INTAKE_CHILD
    )
    line = models.PositiveIntegerField()
    description = models.CharField(max_length=512)
    hs_code = models.CharField(max_length=10)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=3, default="H87")
    net_mass_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    origin_country = models.CharField(max_length=2, blank=True, default="")

    class Meta:
        ordering = ["line"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "line"], name="item_line_unique")
        ]
        # No index on hs_code: nothing looks items up by code (value benchmarks scan by date
        # through the declaration), and every intake row would pay for it.


class StatusEvent(models.Model):
    """A status change: the history an operator sees, the event stream of `GET /api/v1/events`, and the
    payload of webhooks. `public_reason` is what the operator may read; `note` stays with customs."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    declaration = models.ForeignKey(Declaration, related_name="events", **INTAKE_CHILD)
    # Indexed by event_operator_cursor_idx (operator, id).
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    from_status = models.CharField(max_length=24, blank=True, default="")
    to_status = models.CharField(max_length=24)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index: most rows are written by the system, with no actor
    )
    public_reason = models.CharField(max_length=300, blank=True, default="")
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["operator", "id"], name="event_operator_cursor_idx"),
            models.Index(
                fields=["actor"], name="event_actor_idx", condition=models.Q(actor__isnull=False)
            ),
        ]


class Case(models.Model):
    """A seizure or revaluation case that an inspection outcome opened: it holds the goods (no
    release) until a supervisor closes it with a reason (docs/lifecycle.md)."""

    class Kind(models.TextChoices):
        SEIZURE = "seizure", _("Seizure")
        REVALUATION = "revaluation", _("Revaluation")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    finding = models.CharField(max_length=20, help_text=_("The inspection result that opened it"))
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    closing_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "kind"],
                condition=models.Q(closed_at__isnull=True),
                name="case_one_open_per_kind",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class QualityFinding(models.Model):
    """A data-quality finding (Standard 3). Never a rejection: it informs officers, risk and KPIs."""

    declaration = models.ForeignKey(Declaration, related_name="quality_findings", **INTAKE_CHILD)
    dimension = models.CharField(max_length=16)
    code = models.CharField(max_length=40)
    pointer = models.CharField(max_length=120, blank=True, default="")
    detail = models.CharField(max_length=400)
    # The detail's message id and parameters (declarations.messages), to show it in French too;
    # null on findings stored before messages existed, which show the English detail.
    message = models.JSONField(null=True, blank=True, default=None)
    penalty = models.PositiveSmallIntegerField(default=0)
    # No index on code: the KPIs count findings of declarations received in a period, reached
    # through the declaration; a few distinct codes make an index on them useless to a query
    # and a cost to each of the three findings an average declaration gets at intake.


class Meta:
    constraints = [
        models.UniqueConstraint(fields=["operator", "key"], name="idempotency_key_unique")
    ]


class RejectionCount(models.Model):
    """Rejected submissions store nothing but this counter, for the KPI of rejected submissions."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operator", "day"], name="rejection_count_unique")
        ]


class SavedView(models.Model):
    """An officer's saved queue filter (a query string), shown as a shortcut above the queue."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique_name")
        ]


class OfficerNote(models.Model):
    """A note by customs on a consignment; never shown to the operator."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class DailyAggregate(models.Model):
    """Daily KPI aggregates maintained by beat, so dashboards read thousands of rows, not millions.

    One row per (day, metric, dimension, key): e.g. ("2026-11-28", "declarations", "channel", "red")
    with `count` and, for money or durations, `total` (and `values` for percentiles)."""

    day = models.DateField()
    metric = models.CharField(max_length=40)
    dimension = models.CharField(max_length=40, default="all")
    key = models.CharField(max_length=80, default="")
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    values = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "dimension", "key"], name="daily_aggregate_unique"
            )
        ]
        indexes = [
            models.Index(fields=["metric", "dimension", "day"], name="daily_aggregate_lookup_idx")
        ]


class Manifest(models.Model):
    """A carrier's manifest (api.md `POST /api/v1/manifests`): a second source of facts about the same
    consignments, compared with the declarations by transport document (data quality, consistency)."""

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]


class ManifestLine(models.Model):
    """One transport document on a carrier manifest. The newest line for a document is the one used.
    Lines are matched to declarations by the transport document's key (normalise.document_key), as
    arrivals are: 'RR 123 456 785 de' on a manifest is the declaration's 'RR123456785DE'."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="lines")
    transport_document_number = models.CharField(max_length=64)
    transport_document_key = models.CharField(max_length=64, blank=True, default="")
    packages = models.PositiveIntegerField(null=True, blank=True)
    gross_mass_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    declared_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    description = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["transport_document_key", "-id"], name="manifest_line_key_idx")
        ]


def _document_path(instance: "Document", filename: str) -> str:
    # Outside the database, under MEDIA_ROOT, never under a name the operator chose.
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"documents/{instance.operator_id}/{instance.declaration_id}/{uuid.uuid4().hex}.{suffix}"


class Document(models.Model):
    """A document an operator uploaded for a declaration (invoice, proof of payment, licence). The file
    lives under MEDIA_ROOT; the type was sniffed from its bytes, not trusted from the client."""

    class Type(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        PROOF_OF_PAYMENT = "proof_of_payment", _("Proof of payment")
        LICENCE = "licence", _("Licence")
        CERTIFICATE = "certificate", _("Certificate")
        PROOF_OF_EXIT = "proof_of_exit", _("Proof of exit")
        OTHER = "other", _("Other")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="documents")
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    file = models.FileField(upload_to=_document_path, max_length=300)
    original_name = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    # The extension of each sniffed type: a download is named by what the bytes are, never by the
    # operator's extension (a PDF named `invoice.html`, saved and opened, would be read as HTML).
    _EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}

    @property
    def download_name(self) -> str:
        """The operator's file name with the extension of the type sniffed at upload."""
        extension = self._EXTENSIONS.get(self.content_type, "bin")
        # Bidirectional controls would let `invoice\u202efdp.exe` read as `invoiceexe.pdf`.
        name = "".join(c for c in self.original_name if unicodedata.category(c) not in ("Cc", "Cf"))
        stem = name.rsplit(".", 1)[0].strip(" .") if "." in name else name.strip(" .")
        return f"{stem or f'document-{self.pk}'}.{extension}"


class ImportJob(models.Model):
    """An officer's upload of a CSV or XLSX file of declarations for an operator without an API, run in
    the background; `processed` drives the progress bar and `errors` the downloadable per-row report."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="imports/", max_length=300)
    original_name = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=400, blank=True, default="")
    # The message's id and parameters (declarations.messages) beside its English text, to show
    # it in the reader's language; None for a job that failed before they were stored.
    message_data = models.JSONField(null=True, blank=True, default=None)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total_rows) if self.total_rows else 0


class PendingAssessment(models.Model):
    """A declaration waiting for the assessment drainer (declarations.coalesce): written in the
    intake transaction of small submissions, deleted in the transaction that assesses it. Drainers
    take rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent drainers never share one and a
    drainer that dies rolls back, leaving its rows for the next. The declaration's status stays the
    source of truth; the sweeper still re-enqueues anything left `accepted`."""

    declaration = models.OneToOneField(
        Declaration, primary_key=True, related_name="+", **INTAKE_CHILD
    )
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["queued_at"], name="pending_assessment_queued_idx")]


class WorkloadTarget(models.Model):
    """How long a consignment of a channel may wait for an officer before it counts as overdue on
    the workload views. Edited by supervisors and administrators; every change is audited."""

    channel = models.CharField(max_length=8, choices=Channel.choices, unique=True)
    hours = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.hours} h"


# --- webhook outbox: status events pushed to operators (declarations/webhooks.py) ----------------


class WebhookCursor(models.Model):
    """The webhook outbox (moved from `aeo` with its rows): how far the outbox scan has read an operator's status events (StatusEvent ids)."""

    operator = models.OneToOneField(Operator, on_delete=models.CASCADE, related_name="+")
    last_event_pk = models.BigIntegerField(default=0)
    # Events up to here existed when the webhook was registered; they are not pushed.
    start_event_pk = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)


class WebhookDelivery(models.Model):
    """One status event to POST to an operator's webhook (the outbox). The body is frozen when the
    row is created, so every retry sends the same bytes with the same signature and event id."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        GAVE_UP = "gave_up", _("Gave up")

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(unique=True)
    status_event_pk = models.BigIntegerField()
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["operator", "-id"], name="webhook_operator_idx"),
        ]


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery, kept for the operator page."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    number = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]


class AssessmentStamp(models.Model):
    """Risk or revenue has assessed a revision of a declaration (written through
    `declarations.services.completion`, in the same transaction as their assessment). Completion
    reads the stamps and writes the result onto the declaration together with its new status, so
    the wide, much-indexed declaration row is written once per assessment, not once per part. The
    stamps of a completed revision are deleted; a duplicate (a redelivered task) is harmless."""

    class Part(models.TextChoices):
        RISK = "risk", _("Risk")
        TAX = "tax", _("Revenue")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    revision = models.PositiveIntegerField()
    part = models.CharField(max_length=4, choices=Part.choices)
    channel = models.CharField(max_length=8, null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["declaration", "revision"], name="stamp_declaration_idx")]
