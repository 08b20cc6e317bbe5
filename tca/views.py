from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from orders.models import ParentOrder
from orders.roles import ANALYST, SUPERVISOR, has_role

from .reports import parent_tca


@login_required
def index(request):
    if not (has_role(request.user, ANALYST) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("analysts and supervisors only")
    parents = ParentOrder.objects.select_related("instrument").exclude(start=None).order_by("-id")[:200]
    rows = [parent_tca(p) for p in parents]
    return render(request, "tca/index.html", {"rows": rows})
