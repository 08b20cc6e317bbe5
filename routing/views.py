"""Supervisor pages. The data arrives over websockets; the pages only render the frame."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from orders.domain.instructions import Instructions
from orders.models import ParentOrder, ParentStatus, Strategy
from orders.roles import SUPERVISOR, has_role

from .selectors import auction_board, faulted_sessions, parent_members, venue_board


def _supervisor_only(request):
    if not has_role(request.user, SUPERVISOR):
        raise PermissionDenied("supervisors only")


@login_required
def overview(request):
    _supervisor_only(request)
    return render(
        request,
        "routing/overview.html",
        {
            "strategies": Strategy.choices,
            "statuses": ParentStatus.choices,
            "faulted": faulted_sessions(),
            "venues": venue_board(),
            "auctions": auction_board(),
        },
    )


@login_required
def parent_panel(request, parent_id: int):
    _supervisor_only(request)
    parent = get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)
    members = parent_members(user=request.user, parent=parent)
    chosen = Instructions.from_json(parent.instructions)
    return render(request, "routing/parent.html", {"parent": parent, "members": members, "chosen": chosen})
