"""Instruments, accounts, orders, parent orders, allocations and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from .domain import lifecycle, values

PRICE = {"max_digits": 18, "decimal_places": 6}
MONEY = {"max_digits": 24, "decimal_places": 6}


# The model choices are the pure core's enums (orders.domain.values), labelled for people.
STRATEGY_LABELS = {
    values.Strategy.IS: "Implementation Shortfall",
    values.Strategy.OPEN: "At the open",
    values.Strategy.CLOSE: "At the close",
}
Side = models.TextChoices("Side", [(s.name, s.value) for s in values.Side])
Strategy = models.TextChoices(
    "Strategy", [(s.name, (s.value, STRATEGY_LABELS.get(s, s.value))) for s in values.Strategy]
)
Urgency = models.TextChoices("Urgency", [(u.name, u.value) for u in values.Urgency])


class Source(models.TextChoices):
    FORM = "FORM"
    API = "API"
    UPLOAD = "UPLOAD"
    FIX = "FIX"


class Instrument(models.Model):
    symbol = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    tick_size = models.DecimalField(max_digits=12, decimal_places=6)
    lot_size = models.PositiveIntegerField(default=1)
    reference_price = models.DecimalField(**PRICE)

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol

    @property
    def price_places(self) -> int:
        return max(0, -self.tick_size.normalize().as_tuple().exponent)


class Account(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accounts")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ApiToken(models.Model):
    """A user's API credential. Only its SHA-256 is stored: the key is shown once, when issued.

    A user may hold several (one per client system); rotating one issues its successor and
    revokes it in one transaction. Its last use (time and address) is kept, and audited at
    most once a minute per token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, help_text="What uses it, e.g. the OMS's name")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to recognise it by")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RiskLimits(models.Model):
    """An account's pre-trade limits (see ``orders.domain.risk``); a blank limit is switched off.

    An account without a row is held to the desk defaults, ``settings.RISK_DEFAULTS``.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="risk_limits")
    max_order_quantity = models.PositiveBigIntegerField(null=True, blank=True)
    max_order_notional = models.DecimalField(null=True, blank=True, **MONEY)
    collar_pct = models.DecimalField(
        null=True, blank=True, max_digits=7, decimal_places=3, help_text="How far a limit may be from the reference, %"
    )
    daily_gross_notional = models.DecimalField(
        null=True, blank=True, help_text="Credit limit: notional of orders accepted today, buys plus sells", **MONEY
    )
    max_orders_per_minute = models.PositiveIntegerField(null=True, blank=True)
    restricted_instruments = models.ManyToManyField(Instrument, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "risk limits"

    def __str__(self) -> str:
        return f"risk limits of {self.account_id}"


class AccountDayUsage(models.Model):
    """An account's gross notional accepted on one exchange day (buys plus sells), kept as
    orders are accepted and amended: the daily limit's check reads one row, where summing the
    day's orders grew with every order a batch came after."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="day_usage")
    day = models.DateField(help_text="Exchange date the orders were received on")
    gross_notional = models.DecimalField(default=Decimal(0), **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="one_usage_row_per_account_day")]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.day}: {self.gross_notional}"


class ParentStatus(models.TextChoices):
    NEW = "NEW"  # created by aggregation, waiting for its market session to start it
    WORKING = "WORKING"
    PAUSED = "PAUSED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


PARENT_LIVE_STATUSES = (ParentStatus.NEW, ParentStatus.WORKING, ParentStatus.PAUSED)
PARENT_FINISHED_STATUSES = (ParentStatus.FILLED, ParentStatus.CANCELLED, ParentStatus.EXPIRED)


class Routing(models.TextChoices):
    LIQUIDITY_SEEKING = "LIQUIDITY_SEEKING", "Liquidity seeking (dark first, then lit)"
    PARALLEL = "PARALLEL", "Parallel sweep (lit only)"
    SEQUENTIAL = "SEQUENTIAL", "Sequential (lit only, ranked venues)"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def revision(updated_at) -> int:
    """A row's last write in microseconds since the epoch: what pages order publishes by."""
    return (updated_at - _EPOCH) // timedelta(microseconds=1)


class OrderQuerySet(models.QuerySet):
    def bulk_save(self, orders, fields, batch_size=None) -> int:
        """``bulk_update`` that stamps ``updated_at`` as ``save()`` would (``bulk_update`` leaves
        auto_now fields alone): an order's revision moves with every write."""
        now = timezone.now()
        for order in orders:
            order.updated_at = now
        return self.bulk_update(orders, [*(f for f in fields if f != "updated_at"), "updated_at"], batch_size)


class ParentOrder(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="parents")
    session = models.ForeignKey(
        "routing.MarketSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parents",
        help_text="The market session that started it (its instrument's trading day)",
    )
    side = models.CharField(max_length=4, choices=Side.choices)
    strategy = models.CharField(max_length=8, choices=Strategy.choices)
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    quantity = models.PositiveBigIntegerField()
    filled_quantity = models.PositiveBigIntegerField(default=0)
    filled_notional = models.DecimalField(default=Decimal(0), **MONEY)
    fees = models.DecimalField(default=Decimal(0), **MONEY)
    status = models.CharField(max_length=12, choices=ParentStatus.choices, default=ParentStatus.NEW)
    duration_s = models.PositiveIntegerField(help_text="Execution horizon in simulated seconds")
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.MEDIUM)
    max_participation = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.25"), help_text="Most of all volume, own included"
    )
    aggressiveness = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.5"), help_text="0 patient … 1 crosses as soon as behind"
    )
    pov_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.10"), help_text="POV target")
    routing = models.CharField(max_length=20, choices=Routing.choices, default=Routing.LIQUIDITY_SEEKING)
    instructions = models.JSONField(
        default=dict, blank=True, help_text="What its orders chose (orders.domain.instructions): part of its key"
    )
    cancel_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="A supervisor cancelled it: it closes once its children are cancelled"
    )
    paused_at = models.DateTimeField(
        null=True, blank=True, help_text="Simulated time it was paused: a resume gives the paused time back"
    )
    paused_reason = models.CharField(
        max_length=120, blank=True, default="", help_text="Why it is paused, as its orders' owners are told"
    )
    start = models.DateTimeField(null=True, blank=True, help_text="Simulated time the parent started")
    end = models.DateTimeField(null=True, blank=True, help_text="Simulated time it must be done by")
    finished = models.DateTimeField(
        null=True, blank=True, help_text="Simulated time its execution ended (filled, expired or cancelled)"
    )
    arrival_price = models.DecimalField(null=True, blank=True, **PRICE)
    crossed_quantity = models.PositiveBigIntegerField(
        default=0, help_text="Filled by internal crosses at the mid: market volume saved"
    )
    crossed_notional = models.DecimalField(default=Decimal(0), **MONEY)
    # Live execution figures, written by each market step for the supervisor overview.
    schedule_due = models.PositiveBigIntegerField(
        default=0, help_text="Market shares the parent's schedule wanted filled by its last step"
    )
    market_volume = models.PositiveBigIntegerField(
        default=0, help_text="Shares traded on the tape within the parent's window so far, its own included"
    )
    market_notional = models.DecimalField(default=Decimal(0), **MONEY)
    venue_quantities = models.JSONField(default=dict, blank=True, help_text="Shares filled per venue")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["instrument", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(filled_quantity__lte=models.F("quantity")), name="parent_not_overfilled"
            ),
            models.CheckConstraint(
                condition=models.Q(crossed_quantity__lte=models.F("filled_quantity")), name="parent_crossed_is_filled"
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.pk} {self.side} {self.quantity} {self.instrument_id}"

    @property
    def average_price(self) -> Decimal | None:
        return values.average_price(self.filled_notional, self.filled_quantity)

    @property
    def revision(self) -> int:
        """Its last write in microseconds: publishes from different processes can arrive out of
        order (a step's, then a pause's), so a page keeps the newest revision it has seen. Every
        write is made under the parent's row lock, so revisions follow the writes."""
        return revision(self.updated_at)

    @property
    def market_quantity(self) -> int:
        """What the parent has to execute in the market: its quantity net of internal crosses."""
        return self.quantity - self.crossed_quantity

    @property
    def market_filled_quantity(self) -> int:
        return self.filled_quantity - self.crossed_quantity

    @property
    def market_average_price(self) -> Decimal | None:
        """What the parent paid in the market, internal crosses left out."""
        return values.average_price(self.filled_notional - self.crossed_notional, self.market_filled_quantity)

    @property
    def window_end(self):
        """The end of the parent's trading interval: when it finished, else its deadline."""
        return self.finished or self.end

    @property
    def interval_vwap(self) -> Decimal | None:
        """The market VWAP over the parent's window so far."""
        return values.average_price(self.market_notional, self.market_volume)


OrderStatus = models.TextChoices("OrderStatus", [(s.name, s.value) for s in lifecycle.OrderStatus])
# An order in a parent that can still be filled (a pending cancel too, for its shares out at venues).
ORDER_WORKING_STATUSES = tuple(OrderStatus(s) for s in sorted(lifecycle.IN_PARENT))


class Order(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    client_order_id = models.CharField(max_length=64)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.PositiveBigIntegerField()
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    strategy = models.CharField(max_length=8, choices=Strategy.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.MEDIUM)
    instructions = models.JSONField(
        default=dict,
        blank=True,
        help_text="The trader's own execution window, participation cap, aggressiveness and venues to avoid",
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW)
    reject_reason = models.CharField(max_length=200, blank=True)
    risk_notional = models.DecimalField(
        default=Decimal(0), help_text="Notional counted against the account's limits at acceptance", **MONEY
    )
    parent = models.ForeignKey(ParentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    upload = models.ForeignKey("Upload", null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    filled_quantity = models.PositiveBigIntegerField(default=0)
    filled_notional = models.DecimalField(default=Decimal(0), **MONEY)
    cancelled_quantity = models.PositiveBigIntegerField(
        default=0, help_text="Shares given up by a cancel (a parent's unfilled rest, or the trader's)"
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_client_order_id = models.CharField(  # db_default: intake inserts orders in raw SQL
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text="FIX: the ClOrdID of its cancel request, which the cancel's reports answer",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    arrival_price = models.DecimalField(
        null=True, blank=True, help_text="NBBO mid of the instrument's market when the order was received", **PRICE
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "client_order_id"], name="unique_client_order_id_per_account"),
            models.CheckConstraint(
                condition=models.Q(filled_quantity__lte=models.F("quantity")), name="order_not_overfilled"
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_quantity__lte=models.F("quantity") - models.F("filled_quantity")),
                name="order_not_over_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["parent", "received_at"]),
            models.Index(fields=["account", "received_at"]),  # risk usage: today's notional, the last minute's orders
        ]

    def __str__(self) -> str:
        return f"{self.client_order_id} {self.side} {self.quantity} {self.instrument_id}"

    @property
    def revision(self) -> int:
        """Its last write in microseconds. Publishes and API answers from different processes can
        reach a page out of order (a step's CANCELLED before the cancel request's own answer), so
        a page keeps the newest revision it has seen. Every write is made under the order's or its
        parent's row lock and stamps ``updated_at`` (``Order.objects.bulk_save``), so revisions follow
        the writes."""
        return revision(self.updated_at)

    @property
    def remaining_quantity(self) -> int:
        """Still to be filled: neither filled nor given up by a cancel (FIX's LeavesQty)."""
        return self.quantity - self.filled_quantity - self.cancelled_quantity

    @property
    def average_price(self) -> Decimal | None:
        return values.average_price(self.filled_notional, self.filled_quantity)


class Amendment(models.Model):
    """A trader's cancel/replace of an order: the terms asked for, under a new client_order_id
    that names the one it replaces (FIX's ClOrdID and OrigClOrdID). The order keeps its id;
    its amendments, oldest first, are its client_order_id history."""

    class Status(models.TextChoices):
        PENDING = "PENDING"  # waiting for shares its parent has out at venues
        APPLIED = "APPLIED"
        OVERTAKEN = "OVERTAKEN"  # the order filled or ended before the amend could apply

    class Kind(models.TextChoices):
        IMMEDIATE = "IMMEDIATE", "Applied at once (no parent yet, or a size-up)"
        SIZE_DOWN = "SIZE_DOWN", "Smaller, in the same parent"
        MOVE = "MOVE", "New terms: leaves its parent for a compatible one"

    order = models.ForeignKey("Order", on_delete=models.CASCADE, related_name="amendments")
    client_order_id = models.CharField(max_length=64, help_text="The order's id once this applies")
    orig_client_order_id = models.CharField(max_length=64, help_text="The id it replaces")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    quantity = models.PositiveBigIntegerField()
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    strategy = models.CharField(max_length=8, choices=Strategy.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    instructions = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was overtaken")
    requested_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "client_order_id"], name="one_amendment_per_client_order_id"),
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status="PENDING"), name="one_pending_amendment_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.orig_client_order_id} -> {self.client_order_id} ({self.status})"

    @property
    def new_terms(self) -> dict:
        return {
            "quantity": self.quantity,
            "limit_price": self.limit_price,
            "strategy": self.strategy,
            "urgency": self.urgency,
            "instructions": self.instructions,
        }


class InternalCross(models.Model):
    """Opposing orders of one aggregation window crossed with each other at the NBBO mid."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="crosses")
    quantity = models.PositiveBigIntegerField(help_text="Shares bought, and as many sold")
    price = models.DecimalField(**PRICE)
    bid = models.DecimalField(**PRICE)
    ask = models.DecimalField(**PRICE)
    sim_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Allocation(models.Model):
    """A share of one fill, or of one internal cross, given to one original order."""

    INTERNAL_VENUE = "INTERNAL"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allocations")
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="allocations")
    fill = models.ForeignKey(
        "routing.Fill", null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    cross = models.ForeignKey(
        InternalCross, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    quantity = models.PositiveBigIntegerField()
    price = models.DecimalField(**PRICE)
    venue = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["fill", "order"], name="one_allocation_per_fill_and_order"),
            models.UniqueConstraint(fields=["cross", "order"], name="one_allocation_per_cross_and_order"),
            models.CheckConstraint(
                condition=models.Q(fill__isnull=True) ^ models.Q(cross__isnull=True), name="allocation_has_one_source"
            ),
        ]


class AuditEvent(models.Model):
    """Append-only: every state transition, with who or what, when and why."""

    kind = models.CharField(max_length=40)
    actor = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)
    sim_time = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events")
    parent = models.ForeignKey(
        ParentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["parent", "id"]), models.Index(fields=["order", "id"])]


class Upload(models.Model):
    """A CSV or XLSX file of orders, processed by a Celery task with progress and a row error report."""

    class Mode(models.TextChoices):
        ACCEPT_VALID = "ACCEPT_VALID", "Accept the good rows"
        ALL_OR_NOTHING = "ALL_OR_NOTHING", "All or nothing"

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        VALIDATING = "VALIDATING"
        CREATING = "CREATING"
        DONE = "DONE"  # every good row is an order (bad rows, if any, are in the report)
        REFUSED = "REFUSED"  # nothing created: the file or, in all-or-nothing mode, a row was bad
        FAILED = "FAILED"  # processing stopped on an error of ours; the message says what was created

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    file_name = models.CharField(max_length=200)
    content = models.BinaryField(help_text="The file as received, so any worker can process it")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ACCEPT_VALID)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    validated_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0, help_text="Rows handed to intake so far: the resume point")
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker began processing it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="Its last progress: the watchdog's clock")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"upload {self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in UPLOAD_FINISHED_STATUSES


UPLOAD_FINISHED_STATUSES = (Upload.Status.DONE, Upload.Status.REFUSED, Upload.Status.FAILED)


class UploadError(models.Model):
    """One problem with one row of an upload: row number (the header is row 1), column and reason.

    A row with errors is skipped; a valid row the pre-trade risk checks refused became a
    REJECTED order, and is listed too, so the error report names every row to fix."""

    class Outcome(models.TextChoices):
        SKIPPED = "SKIPPED", "skipped"
        REJECTED = "REJECTED", "rejected by risk checks"

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=300)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SKIPPED)
    order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.CASCADE, help_text="The REJECTED order a refused row became"
    )

    class Meta:
        ordering = ["row", "id"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "row", "column"], name="one_error_per_upload_row_column"),
        ]


class ExecutionReport(models.Model):
    """What a client is told of an order, written in the transaction that changed it: the
    durable outbox the FIX gateway and the drop copy send from (ExecID is the id), and the
    order's report history. Quantities are as they stood after the change."""

    class ExecType(models.TextChoices):
        NEW = "NEW"
        TRADE = "TRADE"  # a fill (or an internal cross) allocated to the order
        PENDING_CANCEL = "PENDING_CANCEL"
        CANCELED = "CANCELED"
        PENDING_REPLACE = "PENDING_REPLACE"
        REPLACED = "REPLACED"
        REPLACE_REFUSED = "REPLACE_REFUSED"  # an accepted amend overtaken by fills: FIX's OrderCancelReject
        REJECTED = "REJECTED"
        EXPIRED = "EXPIRED"
        DONE_FOR_DAY = "DONE_FOR_DAY"  # the close came with shares still to do

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reports")
    exec_type = models.CharField(max_length=16, choices=ExecType.choices)
    order_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    client_order_id = models.CharField(max_length=64)
    orig_client_order_id = models.CharField(max_length=64, blank=True)
    order_quantity = models.PositiveBigIntegerField()
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    last_quantity = models.PositiveBigIntegerField(default=0)
    last_price = models.DecimalField(null=True, blank=True, **PRICE)
    last_market = models.CharField(max_length=16, blank=True, help_text="The venue, or INTERNAL for a cross")
    cum_quantity = models.PositiveBigIntegerField()
    leaves_quantity = models.PositiveBigIntegerField()
    average_price = models.DecimalField(null=True, blank=True, **PRICE)
    text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"])]

    def __str__(self) -> str:
        return f"report {self.pk} {self.exec_type} of order {self.order_id}"
