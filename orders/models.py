"""Instruments, accounts, orders, parent orders, allocations and the audit trail."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

PRICE = {"max_digits": 18, "decimal_places": 6}
MONEY = {"max_digits": 24, "decimal_places": 6}


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class Strategy(models.TextChoices):
    TWAP = "TWAP"
    VWAP = "VWAP"
    POV = "POV"
    IS = "IS", "Implementation Shortfall"


class Urgency(models.TextChoices):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Source(models.TextChoices):
    FORM = "FORM"
    API = "API"
    UPLOAD = "UPLOAD"


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


class ParentStatus(models.TextChoices):
    NEW = "NEW"  # created by aggregation, waiting for its market session to start it
    WORKING = "WORKING"
    PAUSED = "PAUSED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


PARENT_LIVE_STATUSES = (ParentStatus.NEW, ParentStatus.WORKING, ParentStatus.PAUSED)


class ParentOrder(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="parents")
    side = models.CharField(max_length=4, choices=Side.choices)
    strategy = models.CharField(max_length=8, choices=Strategy.choices)
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    quantity = models.PositiveBigIntegerField()
    filled_quantity = models.PositiveBigIntegerField(default=0)
    filled_notional = models.DecimalField(default=Decimal(0), **MONEY)
    fees = models.DecimalField(default=Decimal(0), **MONEY)
    status = models.CharField(max_length=12, choices=ParentStatus.choices, default=ParentStatus.NEW)
    duration_s = models.PositiveIntegerField(help_text="Execution horizon in simulated seconds")
    start = models.DateTimeField(null=True, blank=True, help_text="Simulated time the parent started")
    end = models.DateTimeField(null=True, blank=True, help_text="Simulated time it must be done by")
    arrival_price = models.DecimalField(null=True, blank=True, **PRICE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["instrument", "status"])]

    def __str__(self) -> str:
        return f"P{self.pk} {self.side} {self.quantity} {self.instrument_id}"

    @property
    def average_price(self) -> Decimal | None:
        return self.filled_notional / self.filled_quantity if self.filled_quantity else None


class OrderStatus(models.TextChoices):
    NEW = "NEW"
    PENDING_AGGREGATION = "PENDING_AGGREGATION"
    WORKING = "WORKING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


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
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW)
    parent = models.ForeignKey(ParentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    filled_quantity = models.PositiveBigIntegerField(default=0)
    filled_notional = models.DecimalField(default=Decimal(0), **MONEY)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "client_order_id"], name="unique_client_order_id_per_account"),
            models.CheckConstraint(
                condition=models.Q(filled_quantity__lte=models.F("quantity")), name="order_not_overfilled"
            ),
        ]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["parent", "received_at"])]

    def __str__(self) -> str:
        return f"{self.client_order_id} {self.side} {self.quantity} {self.instrument_id}"

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity

    @property
    def average_price(self) -> Decimal | None:
        return self.filled_notional / self.filled_quantity if self.filled_quantity else None


class Allocation(models.Model):
    """A share of one fill given to one original order."""

    INTERNAL_VENUE = "INTERNAL"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allocations")
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="allocations")
    fill = models.ForeignKey(
        "routing.Fill", null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    quantity = models.PositiveBigIntegerField()
    price = models.DecimalField(**PRICE)
    venue = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["fill", "order"], name="one_allocation_per_fill_and_order"),
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
