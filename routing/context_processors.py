from .models import KillSwitch


def kill_switch(request):
    """Every page shows the kill switch when it is engaged."""
    if not request.user.is_authenticated:
        return {}
    return {"kill_switch": KillSwitch.objects.filter(engaged=True).first()}
