"""Set the desk's exchange clock so a fresh trading day opens at 09:30 now (``make run`` does)."""

from django.core.management.base import BaseCommand

from routing.market.clock import OPEN_NS, to_datetime
from routing.services.clock import exchange_open


class Command(BaseCommand):
    help = "Open a fresh trading day on the exchange clock now."

    def handle(self, *args, **options):
        clock = exchange_open()
        opened = to_datetime(clock.first_date, OPEN_NS)
        self.stdout.write(f"Exchange clock: {opened:%a %d %b %Y %H:%M} ET opens now, ×{clock.speed:g} wall time")
