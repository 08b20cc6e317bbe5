"""Idempotent demo FIX sessions: an OMS session for trader1's accounts, and a drop copy of
every account (run by ``make run`` after ``demo_setup``)."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gateway.models import FixSession
from orders.models import Account

GATEWAY_COMP_ID = "SMARTTRADING"


class Command(BaseCommand):
    help = "Create the demo FIX sessions OMS1 (trader1) and DROPCOPY1 (all accounts)"

    @transaction.atomic
    def handle(self, *args, **options):
        trader = User.objects.filter(username="trader1").first()
        if trader is None:
            raise CommandError("run demo_setup first: the OMS session trades for trader1")
        oms, _ = FixSession.objects.get_or_create(
            name="OMS1",
            defaults={
                "kind": FixSession.Kind.OMS,
                "sender_comp_id": GATEWAY_COMP_ID,
                "target_comp_id": "OMS1",
                "trader": trader,
            },
        )
        oms.accounts.set(Account.objects.filter(owner=trader))
        copy, _ = FixSession.objects.get_or_create(
            name="DROPCOPY1",
            defaults={
                "kind": FixSession.Kind.DROP_COPY,
                "sender_comp_id": GATEWAY_COMP_ID,
                "target_comp_id": "DROPCOPY1",
            },
        )
        copy.accounts.set(Account.objects.all())
        self.stdout.write(f"FIX sessions: {oms.key} (trader1), {copy.key} (drop copy)")
