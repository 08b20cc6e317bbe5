"""What the daily limit counts: each account's gross notional accepted per exchange day,
kept as a running total by the services that accept and amend orders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db.models import F

from ..models import AccountDayUsage


def day_usage_add(*, deltas: Mapping[int, Decimal], day: date) -> None:
    """Add each account's change to its total for ``day`` (the row made on first use), in the
    caller's transaction; accounts in id order, as every lock here is taken."""
    changed = {account_id: delta for account_id, delta in sorted(deltas.items()) if delta}
    if not changed:
        return
    for account_id, delta in changed.items():
        if not _add(account_id, day, delta):  # the day's first order: make the row, then add
            first = AccountDayUsage(account_id=account_id, day=day)
            AccountDayUsage.objects.bulk_create([first], ignore_conflicts=True)
            _add(account_id, day, delta)


def _add(account_id: int, day: date, delta: Decimal) -> int:
    rows = AccountDayUsage.objects.filter(account_id=account_id, day=day)
    return rows.update(gross_notional=F("gross_notional") + delta)
