"""Pages for traders: the blotter with its entry form. Thin: forms in, services out."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from .forms import OrderEntryForm
from .models import Source
from .roles import ANALYST, SUPERVISOR, TRADER, has_role, role_of
from .selectors import order_list
from .services import order_create

HOME_FOR_ROLE = {SUPERVISOR: "/execution/", TRADER: "/orders/", ANALYST: "/tca/"}


@login_required
def home(request):
    role = role_of(request.user)
    if role is None:
        raise PermissionDenied("no desk role")
    return redirect(HOME_FOR_ROLE[role])


@login_required
def blotter(request):
    if not (has_role(request.user, TRADER) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("traders and supervisors only")
    can_enter = has_role(request.user, TRADER)
    form = OrderEntryForm(request.POST or None, user=request.user, initial={"client_order_id": _new_reference()})
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied("only traders enter orders")
        if form.is_valid():
            data = form.cleaned_data
            try:
                order, created = order_create(
                    submitted_by=request.user,
                    account=data["account"],
                    instrument=data["instrument"],
                    side=data["side"],
                    quantity=data["quantity"],
                    limit_price=data["limit_price"],
                    strategy=data["strategy"] or None,
                    urgency=data["urgency"],
                    client_order_id=data["client_order_id"],
                    source=Source.FORM,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                verb = "accepted" if created else "already exists"
                messages.success(
                    request, f"Order {order.client_order_id} {verb}: {order.side} {order.quantity} {order.instrument}"
                )
                return redirect("orders:blotter")
    orders = order_list(user=request.user).order_by("-id")[:200]
    return render(request, "orders/blotter.html", {"form": form, "orders": orders, "can_enter": can_enter})


def _new_reference() -> str:
    return f"WEB-{uuid.uuid4().hex[:10].upper()}"
