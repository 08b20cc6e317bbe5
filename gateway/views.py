"""The supervisors' FIX page: sessions (logged on or not, sequence numbers, last message,
today's traffic) and the messages, searchable by ClOrdID."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from orders.roles import SUPERVISOR, has_role

from .selectors import fix_messages, fix_sessions


@login_required
def sessions_page(request):
    if not has_role(request.user, SUPERVISOR):
        raise PermissionDenied("supervisors only")
    cl_ord_id = request.GET.get("cl_ord_id", "").strip()[:64]
    return render(
        request,
        "gateway/sessions.html",
        {"sessions": fix_sessions(), "fix_messages": fix_messages(cl_ord_id=cl_ord_id), "cl_ord_id": cl_ord_id},
    )
