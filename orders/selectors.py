"""Reads, filtered by who is asking."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .domain.risk import RiskLimits, RiskUsage
from .domain.values import performance_bps
from .models import Account, AccountDayUsage, Order, OrderStatus, Upload
from .models import RiskLimits as RiskLimitsRow
from .roles import ANALYST, SUPERVISOR, has_role

CENT = Decimal("0.01")
RISK_LIMIT_FIELDS = (
    "max_order_quantity",
    "max_order_notional",
    "collar_pct",
    "daily_gross_notional",
    "max_orders_per_minute",
)


def sees_all_orders(user) -> bool:
    return has_role(user, SUPERVISOR) or has_role(user, ANALYST)


def order_list(*, user) -> QuerySet[Order]:
    """Supervisors and analysts see every order, a trader only their own accounts'."""
    orders = Order.objects.select_related("account", "instrument")
    return orders if sees_all_orders(user) else orders.filter(account__owner=user)


def account_list(*, user) -> QuerySet[Account]:
    """The accounts ``user`` may trade (a trader's own), or every one for supervisors and analysts."""
    accounts = Account.objects.select_related("owner")
    return accounts if sees_all_orders(user) else accounts.filter(owner=user)


def order_search(orders: QuerySet[Order], query: str) -> QuerySet[Order]:
    """Orders whose client id contains ``query``, or whose instrument, account or status it names."""
    if not query:
        return orders
    named = Q(instrument__symbol__iexact=query) | Q(account__code__iexact=query)
    named |= Q(status__iexact=query.replace(" ", "_"))
    return orders.filter(Q(client_order_id__icontains=query) | named)


# The blotter's sortable columns: the parameter each header sends, and the ordering it means.
BLOTTER_SORTS = {
    "id": "id",
    "received": "received_at",
    "instrument": "instrument__symbol",
    "quantity": "quantity",
    "status": "status",
    "filled": "filled_quantity",
}
BLOTTER_DEFAULT_SORT = "-id"


def blotter_ordering(sort: str) -> tuple[str, list[str]]:
    """The sort asked for (``-`` first: descending) if the blotter knows it, else newest first;
    the queryset ordering, with the id breaking ties so pages never overlap."""
    key = sort.removeprefix("-")
    if key not in BLOTTER_SORTS:
        sort, key = BLOTTER_DEFAULT_SORT, "id"
    descending = "-" if sort.startswith("-") else ""
    return sort, [f"{descending}{BLOTTER_SORTS[key]}", f"{descending}id"]


def blotter_totals(orders: QuerySet[Order]) -> dict:
    """What the filtered blotter adds up to over every page: orders, shares asked, filled, notional."""
    return orders.aggregate(
        orders=Count("id"),
        quantity=Coalesce(Sum("quantity"), 0),
        filled=Coalesce(Sum("filled_quantity"), 0),
        notional=Coalesce(Sum("filled_notional"), Decimal(0), output_field=DecimalField()),
    )


def blotter_export_rows(orders: QuerySet[Order]):
    """Every filtered order for the export, with its first and last fill (exchange time) and
    its slippage against its arrival mid (bps, + = better), in id order, streamed. An order
    that came before its market opened is measured from its parent's arrival mid."""
    annotated = orders.annotate(
        first_fill=Min("allocations__created_at"),
        last_fill=Max("allocations__created_at"),
        arrival=Coalesce("arrival_price", "parent__arrival_price"),
    ).order_by("id")
    for order in annotated.iterator(chunk_size=2000):
        average = order.average_price
        slippage = None
        if average is not None and order.arrival:
            slippage = performance_bps(order.side, average, order.arrival).quantize(Decimal("0.01"))
        yield order, slippage


def upload_list(*, user) -> QuerySet[Upload]:
    """A trader sees their own uploads; supervisors every upload. The file content stays out."""
    uploads = Upload.objects.defer("content")
    return uploads if has_role(user, SUPERVISOR) else uploads.filter(uploaded_by=user)


def risk_limits_for(account_ids: Iterable[int]) -> dict[int, RiskLimits]:
    """Each account's limits as the pure checks take them: its own row, else the desk defaults."""
    limits = {account_id: RiskLimits(**settings.RISK_DEFAULTS) for account_id in account_ids}
    rows = RiskLimitsRow.objects.filter(account_id__in=limits).prefetch_related("restricted_instruments")
    for row in rows:
        limits[row.account_id] = RiskLimits(
            max_order_quantity=row.max_order_quantity,
            max_order_notional=row.max_order_notional,
            collar_pct=row.collar_pct,
            daily_gross_notional=row.daily_gross_notional,
            max_orders_per_minute=row.max_orders_per_minute,
            restricted_instruments=frozenset(i.symbol for i in row.restricted_instruments.all()),
        )
    return limits


def risk_usage(account_ids: Iterable[int], *, now: datetime) -> dict[int, RiskUsage]:
    """Accepted orders' notional since local midnight (the running daily total) and their
    count over the last minute, in one query."""
    usage = {account_id: RiskUsage(Decimal(0), 0) for account_id in account_ids}
    day_total = AccountDayUsage.objects.filter(account=OuterRef("pk"), day=timezone.localtime(now).date())
    recent = (
        Order.objects.filter(account=OuterRef("pk"), received_at__gte=now - timedelta(minutes=1))
        .exclude(status=OrderStatus.REJECTED)
        .values("account")
        .annotate(count=Count("id"))
    )
    rows = Account.objects.filter(pk__in=usage).annotate(
        notional=Subquery(day_total.values("gross_notional")[:1]), recent=Subquery(recent.values("count"))
    )
    for account_id, notional, count in rows.values_list("pk", "notional", "recent"):
        usage[account_id] = RiskUsage(notional or Decimal(0), count or 0)
    return usage


def risk_limits_payload(account: Account) -> dict:
    """The limits an account is held to now, JSON-ready (money as strings)."""
    limits = risk_limits_for([account.pk])[account.pk]
    own = RiskLimitsRow.objects.filter(account=account).exists()
    usage = risk_usage([account.pk], now=timezone.now())[account.pk]
    return {
        "account": account.code,
        "source": "account" if own else "desk default",
        **{field: _json_number(getattr(limits, field)) for field in RISK_LIMIT_FIELDS},
        "max_order_notional": _money(limits.max_order_notional),
        "daily_gross_notional": _money(limits.daily_gross_notional),
        "restricted_instruments": sorted(limits.restricted_instruments),
        "used_today": {
            "gross_notional": _money(usage.gross_notional_today),
            "orders_last_minute": usage.orders_last_minute,
        },
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def _json_number(value):
    return str(value) if isinstance(value, Decimal) else value
