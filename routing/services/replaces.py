"""A trader's amend (cancel/replace): new quantity, limit, urgency, strategy or instructions for
a live order, under a new client_order_id that names the one it replaces.

An order waiting for aggregation, or a size-up of an order in a parent, is amended at once.
A size-down, or new terms its parent cannot run, goes the two-phase way of a cancel: the order
becomes PENDING_REPLACE and each step gives back what its parent does not have out at venues
(``releases``); fills that cross the amend still go to the order. New terms then send it back
to aggregation, to join a parent that runs them. The order keeps its id throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.audit import audit_event
from orders.broadcasts import orders_publish
from orders.domain.instructions import COLUMNS as INSTRUCTION_COLUMNS
from orders.domain.instructions import Instructions
from orders.domain.lifecycle import OrderEvent, TransitionRefused, order_transition
from orders.domain.risk import risk_check
from orders.domain.values import Strategy
from orders.locks import order_lock
from orders.models import PARENT_LIVE_STATUSES, Amendment, Order
from orders.reports import ExecType, execution_report, execution_reports_add
from orders.selectors import risk_limits_for, risk_usage
from orders.services.intake import intake_context, intake_market, intake_parse
from orders.services.risk_usage import day_usage_add

from ..locks import parent_lock
from .releases import pending_releases
from .sessions import market_now_lock, session_wake

UNCHANGED = object()  # a term the amend leaves as it is (None is a term: no limit)


CLOSE_AMEND_REASON = "an order at the close cannot be entered or changed after the 15:50 cutoff"
OPEN_AMEND_REASON = "an order at the open cannot be entered or changed once the opening auction has run"


class _Raced(Exception):
    """An aggregation window took the order into a parent between our read and our lock."""


def order_replace(
    *,
    order_id: int,
    requested_by,
    client_order_id: str,
    source: str,
    quantity=UNCHANGED,
    limit_price=UNCHANGED,
    strategy=UNCHANGED,
    urgency=UNCHANGED,
    instructions: Mapping[str, object] | None = None,
) -> Amendment:
    """Amend an order; returns the amendment, applied or pending. Idempotent on the new
    client_order_id: a repeat returns the first. Field errors as ValidationError.

    ``instructions``: only the columns given change; a blank one goes back to urgency's default.
    """
    for _ in range(3):
        try:
            return _order_replace(
                order_id=order_id,
                requested_by=requested_by,
                client_order_id=client_order_id,
                source=source,
                changes={"quantity": quantity, "limit_price": limit_price, "strategy": strategy, "urgency": urgency},
                instructions=instructions or {},
            )
        except _Raced:
            continue
    raise ValidationError({"order": "the order keeps changing; try again"})


@transaction.atomic
def _order_replace(*, order_id, requested_by, client_order_id, source, changes, instructions) -> Amendment:
    seen = Order.objects.select_related("instrument", "account").get(pk=order_id)
    if seen.account.owner_id != requested_by.pk:
        raise ValidationError({"order": "not your order"})
    repeat = Amendment.objects.filter(order=seen, client_order_id=client_order_id).first()
    if repeat is not None:
        return _repeated(repeat, changes)
    if seen.parent_id is None:  # a pending order is first in the lock order: lock it alone
        order, parent = order_lock(order_id), None
        if order.parent_id is not None:
            raise _Raced
    else:
        market_now_lock(instruments=[seen.instrument])  # session, parent, order: as a step takes them
        parent = parent_lock(seen.parent_id)
        order = order_lock(order_id)
        if order.parent_id != parent.pk:
            raise _Raced
    terms, request, context = _new_terms(order, requested_by, client_order_id, changes, instructions)
    kind = _kind(order, terms)
    event = OrderEvent.REPLACE_REQUESTED if kind != Amendment.Kind.IMMEDIATE else OrderEvent.REPLACED
    try:
        status = order_transition(order.status, event)
    except TransitionRefused as refused:
        raise ValidationError({"status": str(refused)}) from refused
    if parent is not None and (parent.status not in PARENT_LIVE_STATUSES or parent.cancel_requested_at):
        raise ValidationError({"status": f"its parent is {parent.status.lower()}: the order can no longer change"})
    if terms["quantity"] <= order.filled_quantity:
        raise ValidationError(
            {"quantity": f"{order.filled_quantity:,} are already filled: amend to more than that, or cancel"}
        )
    _risk_checked(order, request, context, growing=terms["quantity"] > order.quantity or kind == Amendment.Kind.MOVE)

    actor = f"user:{requested_by.username}"
    amendment = Amendment.objects.create(
        order=order,
        client_order_id=client_order_id,
        orig_client_order_id=order.client_order_id,
        requested_by=requested_by,
        source=source,
        kind=kind,
        **terms,
    )
    was = order.status
    if kind == Amendment.Kind.IMMEDIATE:
        _apply_now(order, parent, amendment, status, actor)
    else:
        order.status = status
        order.save(update_fields=["status", "updated_at"])
        execution_reports_add(
            [execution_report(order, ExecType.PENDING_REPLACE, orig_client_order_id=order.client_order_id)]
        )
        audit_event(
            "order.replace_requested",
            actor,
            order=order,
            parent=parent,
            client_order_id=client_order_id,
            orig_client_order_id=order.client_order_id,
            quantity=terms["quantity"],
            amend=kind,
            transition=[was, order.status],
        ).save()
        if parent.start is None:  # never at a venue: nothing is out, so it applies now
            pending_releases(parent, open_children=0, actor=actor)
        else:
            session_wake(instrument=parent.instrument)
    orders_publish([Order.objects.select_related("account", "instrument").get(pk=order.pk)])
    amendment.refresh_from_db()
    return amendment


def _repeated(amendment: Amendment, changes: dict) -> Amendment:
    """A retry of an amend returns it; the same new id for other terms is refused."""
    differ = [k for k, v in changes.items() if v is not UNCHANGED and v != getattr(amendment, k)]
    if differ:
        field = differ[0]
        raise ValidationError(
            {
                "client_order_id": f"{amendment.client_order_id} is already an amend of this order to "
                f"{field.replace('_', ' ')} {getattr(amendment, field)}; use a new id for a new amend"
            }
        )
    return amendment


def _new_terms(order: Order, requested_by, client_order_id: str, changes: dict, instructions: Mapping) -> tuple:
    """The amended terms, validated by intake's own parser as a row of the same order; with
    the parsed request and the intake context it was checked against."""
    if client_order_id == order.client_order_id:
        raise ValidationError({"client_order_id": "an amend needs a new client_order_id; the old one it replaces"})
    taken = Order.objects.filter(account=order.account, client_order_id=client_order_id).exists()
    if taken or Amendment.objects.filter(order__account=order.account, client_order_id=client_order_id).exists():
        raise ValidationError({"client_order_id": f"{client_order_id} is already used in account {order.account}"})
    current = {"quantity": order.quantity, "limit_price": order.limit_price}
    current |= {"strategy": order.strategy, "urgency": order.urgency}
    row = {k: current[k] if v is UNCHANGED else v for k, v in changes.items()}
    chosen = Instructions.from_json(order.instructions).as_json()
    row |= {
        column: instructions[column] if column in instructions else chosen.get(column) for column in INSTRUCTION_COLUMNS
    }
    row |= {
        "client_order_id": client_order_id,
        "account": order.account.code,
        "instrument": order.instrument.symbol,
        "side": order.side,
    }
    context = intake_context(submitted_by=requested_by)
    batch = intake_parse(submitted_by=requested_by, rows=[row], context=context)
    if batch.problems:
        raise ValidationError({e.column: e.reason for e in batch.problems[0].errors})
    request = batch.requests[0][1]
    terms = {
        "quantity": request.quantity,
        "limit_price": request.limit_price,
        "strategy": request.strategy,
        "urgency": request.urgency,
        "instructions": request.instructions.as_json(),
    }
    return terms, request, context


def _kind(order: Order, terms: dict) -> str:
    same_terms = (
        terms["limit_price"] == order.limit_price
        and (terms["strategy"], terms["urgency"]) == (order.strategy, order.urgency)
        and Instructions.from_json(terms["instructions"]) == Instructions.from_json(order.instructions)
    )
    if order.parent_id is None or (same_terms and terms["quantity"] >= order.quantity):
        return Amendment.Kind.IMMEDIATE
    return Amendment.Kind.SIZE_DOWN if same_terms else Amendment.Kind.MOVE


def _risk_checked(order: Order, request, context, *, growing: bool) -> None:
    """The amended order passes the pre-trade checks as a new one would, its own notional
    given back first; the kill switch stops only what would add to the market."""
    market = intake_market(instruments=[order.instrument])
    if Strategy.CLOSE in (order.strategy, request.strategy) and order.instrument_id in market.past_closing_cutoff:
        # NYSE takes no new, changed or cancelled closing auction order after its cutoff
        raise ValidationError({"strategy": CLOSE_AMEND_REASON})
    if Strategy.OPEN in (order.strategy, request.strategy) and order.instrument_id in market.past_opening:
        raise ValidationError({"strategy": OPEN_AMEND_REASON})
    if growing and market.halted:
        raise ValidationError({"status": "kill switch engaged: orders can only be reduced or cancelled"})
    account_id = order.account_id
    usage = risk_usage([account_id], now=timezone.now())[account_id]
    usage.gross_notional_today = max(Decimal(0), usage.gross_notional_today - order.risk_notional)
    usage.orders_last_minute = 0  # an amend is not a new order
    limits = risk_limits_for([account_id])[account_id]
    breach, notional = risk_check(request, context.specs[order.instrument.symbol], limits, usage)
    if breach:
        raise ValidationError({"risk": f"{breach.reason} ({breach.check})"})
    day_usage_add(deltas={account_id: notional - order.risk_notional}, day=timezone.localtime(order.received_at).date())
    order.risk_notional = notional
    order.save(update_fields=["risk_notional"])


def _apply_now(order: Order, parent, amendment: Amendment, status: str, actor: str) -> None:
    """No parent yet, or a size-up (or a new id alone) in the same parent: it applies at once."""
    was, added = order.status, amendment.quantity - order.quantity
    orig = order.client_order_id
    order.client_order_id = amendment.client_order_id
    for field, value in amendment.new_terms.items():
        setattr(order, field, value)
    order.status = status
    order.save()
    if parent is not None and added:
        parent.quantity += added
        parent.save(update_fields=["quantity", "updated_at"])
        audit_event("parent.topped_up", actor, parent=parent, order=order, quantity=added, total=parent.quantity).save()
        if parent.start is not None:
            session_wake(instrument=parent.instrument)
    amendment.status = Amendment.Status.APPLIED
    amendment.done_at = timezone.now()
    amendment.save(update_fields=["status", "done_at"])
    execution_reports_add([execution_report(order, ExecType.REPLACED, orig_client_order_id=orig)])
    audit_event(
        "order.replaced",
        actor,
        order=order,
        parent=parent,
        client_order_id=order.client_order_id,
        orig_client_order_id=orig,
        quantity=order.quantity,
        filled=order.filled_quantity,
        moved=False,
        transition=[was, order.status],
        reason="applied at once" if parent is None or not added else f"size-up by {added:,}",
    ).save()
