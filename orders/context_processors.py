from .roles import ANALYST, SUPERVISOR, TRADER, has_role


def roles(request):
    user = request.user
    return {
        "is_trader": has_role(user, TRADER),
        "is_supervisor": has_role(user, SUPERVISOR),
        "is_analyst": has_role(user, ANALYST),
    }
