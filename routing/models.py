"""Venues, market sessions with their checkpoints, child orders, fills and market bars."""

from __future__ import annotations

from django.db import models

from orders.models import MONEY, PRICE, Instrument, ParentOrder


class Venue(models.Model):
    class Kind(models.TextChoices):
        LIT = "LIT"
        DARK = "DARK"

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=4, choices=Kind.choices)
    maker_fee = models.DecimalField(max_digits=10, decimal_places=6, help_text="Per share; negative is a rebate")
    taker_fee = models.DecimalField(max_digits=10, decimal_places=6, help_text="Per share; negative is a rebate")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class MarketSession(models.Model):
    """One instrument's simulated trading day, advanced step by step by Celery tasks.

    ``state`` is the checkpoint of the pure simulator after ``step_no`` steps; a step
    that finds ``step_no`` already moved on is a replay and does nothing.
    """

    class Status(models.TextChoices):
        RUNNING = "RUNNING"  # a step task is queued or running
        IDLE = "IDLE"  # no working parent: the clock waits for the next one
        CLOSED = "CLOSED"  # the simulated close was reached

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="sessions")
    trading_date = models.DateField()
    seed = models.BigIntegerField()
    step_no = models.PositiveIntegerField(default=0)
    sim_time_ns = models.BigIntegerField(help_text="Simulated nanoseconds since local midnight")
    state = models.BinaryField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.IDLE)
    bid_ticks = models.BigIntegerField(null=True, help_text="NBBO at sim_time_ns, for crosses and arrival prices")
    ask_ticks = models.BigIntegerField(null=True)
    reference_ticks = models.BigIntegerField(null=True, help_text="The day's reference price in ticks")
    scorecard = models.JSONField(
        default=list, blank=True, help_text="The venue scorecard as the latest step left it, a row per venue"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "trading_date"], name="one_session_per_instrument_day"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.trading_date} step {self.step_no}"


class ChildOrder(models.Model):
    """An order we sent to a venue; it may live over many steps (a resting passive or dark order)."""

    class Status(models.TextChoices):
        SENT = "SENT"
        LIVE = "LIVE"
        FILLED = "FILLED"
        CANCELLED = "CANCELLED"
        REJECTED = "REJECTED"

    session = models.ForeignKey(MarketSession, on_delete=models.PROTECT, related_name="children")
    venue_order_id = models.BigIntegerField(null=True, help_text="The venue's id: unique within the session")
    step_no = models.PositiveIntegerField(help_text="Step that sent it")
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="children")
    venue = models.CharField(max_length=16)
    side = models.CharField(max_length=4)
    tactic = models.CharField(max_length=12, default="AGGRESSIVE", help_text="PASSIVE, DARK or AGGRESSIVE")
    order_type = models.CharField(max_length=12, help_text="LIMIT, MIDPEG or IOC")
    quantity = models.PositiveBigIntegerField()
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    filled_quantity = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    reason = models.CharField(max_length=200, blank=True)
    sim_time = models.DateTimeField(help_text="Simulated time it was sent")
    arrival_mid = models.DecimalField(null=True, blank=True, help_text="NBBO mid when it was sent", **PRICE)
    done_time = models.DateTimeField(null=True, blank=True, help_text="Simulated time of its last venue report")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "venue_order_id"], name="unique_child_per_venue_order"),
            models.CheckConstraint(
                condition=models.Q(filled_quantity__lte=models.F("quantity")), name="child_not_overfilled"
            ),
        ]


class Fill(models.Model):
    session = models.ForeignKey(MarketSession, on_delete=models.PROTECT, related_name="fills")
    step_no = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    parent = models.ForeignKey(ParentOrder, on_delete=models.PROTECT, related_name="fills")
    child = models.ForeignKey(ChildOrder, on_delete=models.PROTECT, related_name="fills")
    venue = models.CharField(max_length=16)
    side = models.CharField(max_length=4)
    quantity = models.PositiveBigIntegerField()
    price = models.DecimalField(**PRICE)
    fee = models.DecimalField(**MONEY)
    liquidity = models.CharField(max_length=1, help_text="M = added liquidity, T = took it")
    sim_time = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            # A replayed step can never write the same fill twice.
            models.UniqueConstraint(fields=["session", "step_no", "seq"], name="unique_fill_per_step_seq"),
        ]


class MarketBar(models.Model):
    """The consolidated tape over one simulated second, and the NBBO at its end.

    The source of market VWAP, TWAP, close and mark-outs. (Bars written before
    one-second bars existed span a whole step.)
    """

    session = models.ForeignKey(MarketSession, on_delete=models.CASCADE, related_name="bars")
    step_no = models.PositiveIntegerField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    volume = models.PositiveBigIntegerField()
    notional = models.DecimalField(**MONEY)
    bid = models.DecimalField(null=True, **PRICE)
    ask = models.DecimalField(null=True, **PRICE)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["session", "start"], name="unique_bar_per_session_start"),
        ]


class KillSwitch(models.Model):
    """One row: while engaged no order is accepted and no child order is working anywhere."""

    engaged = models.BooleanField(default=False)
    changed_by = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    @classmethod
    def current(cls) -> KillSwitch:
        switch, _ = cls.objects.get_or_create(pk=1)
        return switch
