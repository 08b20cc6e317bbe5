"""Venues, market sessions with their checkpoints, child orders, fills and market bars."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from orders.models import MONEY, PRICE, Instrument, ParentOrder

from .market import venues as specs

DARK_FIELDS = ("min_fill", "contra_share", "contra_median_size", "informed_share", "contra_lifetime_s")


class Venue(models.Model):
    """A simulated venue as a supervisor configures it; each new market session connects to
    the active ones as they are then (a running session keeps the venues it opened with)."""

    class Kind(models.TextChoices):
        LIT = specs.LIT
        DARK = specs.DARK

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=4, choices=Kind.choices)
    active = models.BooleanField(default=True, help_text="Connected from the next market session on")
    maker_fee = models.DecimalField(max_digits=10, decimal_places=6, help_text="Per share; negative is a rebate")
    taker_fee = models.DecimalField(max_digits=10, decimal_places=6, help_text="Per share; negative is a rebate")
    flow_share = models.FloatField(default=0.0, help_text="Lit: weight of the background flow arriving here")
    entry_latency_us = models.PositiveIntegerField(default=300, help_text="Our order to the venue: the floor, µs")
    entry_jitter_us = models.PositiveIntegerField(default=50, help_text="Scale of its heavy (Pareto) tail, µs")
    report_latency_us = models.PositiveIntegerField(default=250, help_text="The venue's report back: the floor, µs")
    report_jitter_us = models.PositiveIntegerField(default=50, help_text="Scale of its heavy (Pareto) tail, µs")
    min_fill = models.PositiveIntegerField(null=True, blank=True, help_text="Dark: minimum fill size, shares")
    contra_share = models.FloatField(
        null=True, blank=True, help_text="Dark: share of background arrivals that are hidden contra interest here"
    )
    contra_median_size = models.PositiveIntegerField(null=True, blank=True, help_text="Dark: median contra size")
    informed_share = models.FloatField(
        null=True, blank=True, help_text="Dark: share of contra that knows where the price is going (adverse selection)"
    )
    contra_lifetime_s = models.FloatField(null=True, blank=True, help_text="Dark: how long contra waits, seconds")
    listing = models.BooleanField(
        default=False, help_text="Lit: the listing exchange: it runs the closing auction, the official close"
    )
    auction_fee = models.DecimalField(
        max_digits=10, decimal_places=6, default=Decimal("0.0010"), help_text="Per share executed in its auctions"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.kind == self.Kind.DARK:
            missing = {f: "a dark pool needs it" for f in DARK_FIELDS if getattr(self, f) is None}
            if missing:
                raise ValidationError(missing)
        elif self.active and self.flow_share <= 0:
            raise ValidationError({"flow_share": "an active lit venue needs a positive share of the flow"})
        if self.listing and self.kind == self.Kind.DARK:
            raise ValidationError({"listing": "a dark pool runs no auction"})
        if self.listing and Venue.objects.filter(listing=True).exclude(pk=self.pk).exists():
            raise ValidationError({"listing": "there is one listing venue: clear it on the other first"})
        if self.kind == self.Kind.LIT and not self.active:
            others = Venue.objects.filter(kind=self.Kind.LIT, active=True).exclude(pk=self.pk)
            if not others.exists():
                raise ValidationError({"active": "the market needs at least one active lit venue"})

    def spec(self) -> specs.VenueSpec:
        dark = None
        if self.kind == self.Kind.DARK:
            dark = specs.DarkLiquidity(
                min_fill=self.min_fill,
                arrivals_share=self.contra_share,
                median_size=self.contra_median_size,
                informed_share=self.informed_share,
                lifetime_s=self.contra_lifetime_s,
            )
        return specs.VenueSpec(
            code=self.code,
            name=self.name,
            kind=self.kind,
            maker_fee=self.maker_fee,
            taker_fee=self.taker_fee,
            flow_share=self.flow_share if self.kind == self.Kind.LIT else 0.0,
            entry_latency=specs.Latency(self.entry_latency_us * 1000, self.entry_jitter_us * 1000),
            report_latency=specs.Latency(self.report_latency_us * 1000, self.report_jitter_us * 1000),
            dark=dark,
            listing=self.listing,
            auction_fee=self.auction_fee,
        )

    @classmethod
    def from_spec(cls, spec: specs.VenueSpec) -> Venue:
        dark = spec.dark
        return cls(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            maker_fee=spec.maker_fee,
            taker_fee=spec.taker_fee,
            flow_share=spec.flow_share,
            entry_latency_us=spec.entry_latency.floor_ns // 1000,
            entry_jitter_us=spec.entry_latency.jitter_ns // 1000,
            report_latency_us=spec.report_latency.floor_ns // 1000,
            report_jitter_us=spec.report_latency.jitter_ns // 1000,
            min_fill=dark.min_fill if dark else None,
            contra_share=dark.arrivals_share if dark else None,
            contra_median_size=dark.median_size if dark else None,
            informed_share=dark.informed_share if dark else None,
            contra_lifetime_s=dark.lifetime_s if dark else None,
            listing=spec.listing,
            auction_fee=spec.auction_fee,
        )


class ExchangeClockSetting(models.Model):
    """Where the desk's one exchange clock was set: the wall instant a trading date opened at
    09:30, and how many times faster than the wall simulated time runs. One row."""

    opened_at = models.DateTimeField()
    first_trading_date = models.DateField()
    speed = models.FloatField()

    def __str__(self) -> str:
        return f"{self.first_trading_date} opened {self.opened_at:%Y-%m-%d %H:%M:%S} at ×{self.speed:g}"


class MarketSession(models.Model):
    """One instrument's simulated trading day, advanced step by step by Celery tasks.

    ``state`` is the checkpoint of the pure simulator after ``step_no`` steps; a step
    that finds ``step_no`` already moved on is a replay and does nothing.
    """

    class Status(models.TextChoices):
        RUNNING = "RUNNING"  # a step task is queued or running
        IDLE = "IDLE"  # no working parent: the clock waits for the next one
        CLOSED = "CLOSED"  # the simulated close was reached
        FAULTED = "FAULTED"  # a step kept raising: its parents are paused until a supervisor resumes it

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
    auction = models.JSONField(
        null=True, blank=True, help_text="The latest auction message: the open, an indication of the close, the close"
    )
    opening_price = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, help_text="The official open: the opening cross"
    )
    opening_volume = models.BigIntegerField(null=True, blank=True, help_text="Shares the opening cross executed")
    closing_price = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, help_text="The official close: the closing cross"
    )
    closing_volume = models.BigIntegerField(null=True, blank=True, help_text="Shares the closing cross executed")
    scorecard = models.JSONField(
        default=list, blank=True, help_text="The venue scorecard as the latest step left it, a row per venue"
    )
    failures = models.PositiveSmallIntegerField(default=0, help_text="Times its current step has raised")
    error = models.TextField(blank=True, help_text="The last failed step's error and traceback")
    faulted_at = models.DateTimeField(null=True, blank=True)
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
    order_type = models.CharField(max_length=12, help_text="LIMIT, MIDPEG, IOC, ON_OPEN or ON_CLOSE")
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
    liquidity = models.CharField(max_length=1, help_text="M = added liquidity, T = took it, A = executed in an auction")
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
