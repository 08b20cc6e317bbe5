"""FIX sessions and what crossed them: inbound messages (the gateway's durable inbox), and
which execution report went out on which session at which sequence number."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.models import Account, ExecutionReport, Order


class FixSession(models.Model):
    """One counterparty session. An OMS session sends orders for a trader's accounts and gets
    their execution reports back; a drop copy receives a copy of every report of the accounts
    it is entitled to, and may send nothing."""

    class Kind(models.TextChoices):
        OMS = "OMS", "Order management system"
        DROP_COPY = "DROP_COPY", "Drop copy (read-only)"
        ECHO = "ECHO", "Acceptance tests: echoes orders"

    class BeginString(models.TextChoices):
        FIX44 = "FIX.4.4"
        FIX42 = "FIX.4.2"

    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    begin_string = models.CharField(max_length=8, choices=BeginString.choices, default=BeginString.FIX44)
    sender_comp_id = models.CharField(max_length=32, help_text="Ours (the gateway's)")
    target_comp_id = models.CharField(max_length=32, help_text="The counterparty's")
    trader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, help_text="Orders come in as theirs"
    )
    accounts = models.ManyToManyField(Account, blank=True, help_text="OMS: may trade; drop copy: receives")
    reset_on_logon = models.BooleanField(default=False, help_text="Sequence numbers back to 1 at each logon")
    active = models.BooleanField(default=True)
    # What the gateway last saw, for the supervisors' page.
    logged_on = models.BooleanField(default=False)
    last_logon_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True, help_text="Any message in, heartbeats included")
    next_sender_seq = models.PositiveIntegerField(default=1)
    next_target_seq = models.PositiveIntegerField(default=1)
    inbound_seq = models.PositiveIntegerField(
        default=0, help_text="MsgSeqNum of the last application message in, as committed (0 after a reset)"
    )
    report_cursor = models.PositiveBigIntegerField(
        default=0, help_text="Every report of the session up to this id has gone out (see gateway.outbox)"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["begin_string", "sender_comp_id", "target_comp_id"], name="one_fix_session_per_comp_ids"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.begin_string} {self.sender_comp_id}->{self.target_comp_id})"

    @property
    def key(self) -> str:
        """QuickFIX's SessionID string."""
        return f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}"


class FixMessage(models.Model):
    """An application message in or out. An inbound one is stored in the transaction that acts
    on it, with its session's ``inbound_seq``: a crash before that commit loses it from memory
    only, as the gateway asks the client to resend from there (``gateway.engine``)."""

    class Direction(models.TextChoices):
        IN = "IN"
        OUT = "OUT"

    session = models.ForeignKey(FixSession, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    msg_type = models.CharField(max_length=4)
    seq_num = models.PositiveIntegerField()
    cl_ord_id = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="fix_messages")
    raw = models.TextField(help_text="As on the wire, SOH shown as |")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "msg_type", "cl_ord_id"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.msg_type} #{self.seq_num} on {self.session_id}"


class ReportDelivery(models.Model):
    """An execution report handed to the engine for a session, recorded before the send and
    confirmed after it. A crash in between leaves it unconfirmed: at start-up the gateway
    looks for the report in the engine's message store and forgets the delivery if it is not
    there, so each report goes out once."""

    session = models.ForeignKey(FixSession, on_delete=models.CASCADE, related_name="deliveries")
    report = models.ForeignKey(ExecutionReport, on_delete=models.CASCADE, related_name="+")
    confirmed = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "report"], name="one_delivery_per_report")]

    def __str__(self) -> str:
        return f"report {self.report_id} -> session {self.session_id}"
