"""The three desk roles are Django groups; a superuser counts as a supervisor."""

TRADER = "trader"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ROLES = (TRADER, SUPERVISOR, ANALYST)


def has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser and role == SUPERVISOR:
        return True
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = user._role_cache = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return role in cache


def role_of(user) -> str | None:
    """The user's main role: supervisor over trader over analyst."""
    for role in (SUPERVISOR, TRADER, ANALYST):
        if has_role(user, role):
            return role
    return None
