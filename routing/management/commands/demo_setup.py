"""Idempotent demo data: instruments, venues, role groups, users and their accounts."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orders.models import Account, Instrument
from orders.roles import ANALYST, ROLES, SUPERVISOR, TRADER

from ...market.venues import DEFAULT_VENUES
from ...models import Venue

INSTRUMENTS = [
    ("AAPL", "Apple Inc.", "0.01", 1, "190.00"),
    ("MSFT", "Microsoft Corp.", "0.01", 1, "410.00"),
    ("JPM", "JPMorgan Chase & Co.", "0.01", 1, "195.00"),
    ("XOM", "Exxon Mobil Corp.", "0.01", 1, "105.00"),
    ("SPY", "SPDR S&P 500 ETF", "0.01", 1, "520.00"),
]
# What supervisors configure in the admin: venues (used from the next session on) and
# accounts' risk limits; instruments and sessions they may look at.
SUPERVISOR_ADMIN = [
    "view_venue",
    "change_venue",
    "view_account",
    "change_account",
    "view_risklimits",
    "add_risklimits",
    "change_risklimits",
    "delete_risklimits",
    "view_instrument",
    "view_marketsession",
]
USERS = [
    ("trader1", TRADER, [("T1-GROWTH", "Growth fund"), ("T1-INCOME", "Income fund")]),
    ("trader2", TRADER, [("T2-MACRO", "Macro fund")]),
    ("supervisor1", SUPERVISOR, []),
    ("analyst1", ANALYST, []),
]


class Command(BaseCommand):
    help = "Create demo instruments, venues, users (trader1, trader2, supervisor1, analyst1) and accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo_setup only runs in demo mode (SMARTTRADING_DEMO=1)")
        for symbol, name, tick, lot, reference in INSTRUMENTS:
            Instrument.objects.update_or_create(
                symbol=symbol,
                defaults={
                    "name": name,
                    "tick_size": Decimal(tick),
                    "lot_size": lot,
                    "reference_price": Decimal(reference),
                },
            )
        # Venues a supervisor has edited keep their settings: only missing ones are created.
        known = set(Venue.objects.values_list("code", flat=True))
        Venue.objects.bulk_create([Venue.from_spec(spec) for spec in DEFAULT_VENUES if spec.code not in known])
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in ROLES}
        groups[SUPERVISOR].permissions.set(Permission.objects.filter(codename__in=SUPERVISOR_ADMIN))
        for username, role, accounts in USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(settings.DEMO_PASSWORD)
            user.is_staff = role == SUPERVISOR
            user.save()
            user.groups.set([groups[role]])
            for code, name in accounts:
                Account.objects.update_or_create(code=code, defaults={"name": name, "owner": user})
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(INSTRUMENTS)} instruments, {len(DEFAULT_VENUES)} venues, users "
                + ", ".join(u for u, _, _ in USERS)
            )
        )
