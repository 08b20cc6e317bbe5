from .market.clock import OPEN_NS, to_datetime
from .models import KillSwitch
from .services import clock as clock_service


def kill_switch(request):
    """Every page shows the kill switch when it is engaged."""
    if not request.user.is_authenticated:
        return {}
    return {"kill_switch": KillSwitch.objects.filter(engaged=True).first()}


def exchange_clock(request):
    """Every page shows the desk's one exchange clock; the page's script keeps it ticking."""
    if not request.user.is_authenticated:
        return {}
    clock = clock_service.exchange_clock()
    if clock is None:
        return {"exchange_clock": None}
    trading_date, ns = clock.now(clock_service.wall_now_ns())
    return {
        "exchange_clock": {
            "opened_at_ms": clock.opened_at_ns // 1_000_000,
            "first_date": clock.first_date.isoformat(),
            "speed": clock.speed,
            "now": to_datetime(trading_date, ns),
            "pre_open": ns < OPEN_NS,
        }
    }
