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
    AccountDayUsage.objects.bulk_create(
        [AccountDayUsage(account_id=account_id, day=day) for account_id in changed], ignore_conflicts=True
    )
    for account_id, delta in changed.items():
        AccountDayUsage.objects.filter(account_id=account_id, day=day).update(
            gross_notional=F("gross_notional") + delta
        )
