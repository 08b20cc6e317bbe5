from .roles import ANALYST, SUPERVISOR, TRADER, has_role


def roles(request):
    held = [role for role in (SUPERVISOR, TRADER, ANALYST) if has_role(request.user, role)]
    return {
        "is_trader": TRADER in held,
        "is_supervisor": SUPERVISOR in held,
        "is_analyst": ANALYST in held,
        "role": held[0] if held else "",  # the one the header names: a supervisor's first
    }
