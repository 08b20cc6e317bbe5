"""Per-account pre-trade limits, set by supervisors."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..audit import audit_event
from ..models import Account, Instrument, RiskLimits
from ..selectors import RISK_LIMIT_FIELDS, risk_limits_payload


@transaction.atomic
def risk_limits_set(*, account: Account, actor: str, restricted_instruments: Iterable[Instrument], **limits):
    """Give an account its own limits (every field; None switches a check off), audited with before and after."""
    row = RiskLimits.objects.select_for_update().filter(account=account).first()
    before = risk_limits_payload(account) if row else {"account": account.code, "source": "desk default"}
    if row is None:
        row = RiskLimits(account=account)
    for field in RISK_LIMIT_FIELDS:
        setattr(row, field, limits[field])
    row.save()
    row.restricted_instruments.set(restricted_instruments)
    after = risk_limits_payload(account)
    audit_event("risk_limits.changed", actor, before=before, after=after).save()
    return row
