from routing.models import KillSwitch

from .roles import ANALYST, SUPERVISOR, TRADER, has_role


def roles(request):
    user = request.user
    return {
        "is_trader": has_role(user, TRADER),
        "is_supervisor": has_role(user, SUPERVISOR),
        "is_analyst": has_role(user, ANALYST),
    }


def kill_switch(request):
    """Every page shows the kill switch when it is engaged."""
    if not request.user.is_authenticated:
        return {}
    return {"kill_switch": KillSwitch.objects.filter(engaged=True).first()}
