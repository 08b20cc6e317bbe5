"""Pages for traders: the blotter with its entry form. Thin: forms in, services out."""

import csv
import uuid
from decimal import Decimal
from itertools import chain

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from smarttrading.spreadsheets import safe_cell
from smarttrading.uploads import upload_refusal

from .apis import RiskLimitsInput
from .domain.intake import COLUMNS, REQUIRED_COLUMNS
from .exports import Echo, blotter_csv, blotter_xlsx
from .forms import OrderEntryForm, UploadForm
from .models import Account, Instrument, OrderStatus, Source
from .payloads import upload_payload
from .roles import ANALYST, SUPERVISOR, TRADER, has_role, role_of
from .selectors import (
    BLOTTER_DEFAULT_SORT,
    RISK_LIMIT_FIELDS,
    blotter_export_rows,
    blotter_ordering,
    blotter_totals,
    order_list,
    order_search,
    risk_limits_payload,
    upload_list,
)
from .services.intake import order_create
from .services.risk_limits import risk_limits_set
from .services.uploads import upload_create

ERRORS_SHOWN = 500

HOME_FOR_ROLE = {SUPERVISOR: "/execution/", TRADER: "/orders/", ANALYST: "/tca/"}


@login_required
def home(request):
    role = role_of(request.user)
    if role is None:
        raise PermissionDenied("no desk role")
    return redirect(HOME_FOR_ROLE[role])


BLOTTER_PAGE_ROWS = 100
ENTRY_REMEMBERED = "order_entry_remembered"


@login_required
def blotter(request):
    if not (has_role(request.user, TRADER) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("traders and supervisors only")
    can_enter = has_role(request.user, TRADER)
    # the account and instrument of the trader's last order stay chosen for the next one
    remembered = request.session.get(ENTRY_REMEMBERED, {})
    form = OrderEntryForm(
        request.POST or None, user=request.user, initial={**remembered, "client_order_id": _new_reference()}
    )
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied("only traders enter orders")
        if form.is_valid():
            data = form.cleaned_data
            try:
                order, created = order_create(
                    submitted_by=request.user,
                    account=data["account"].code,
                    instrument=data["instrument"].symbol,
                    side=data["side"],
                    quantity=data["quantity"],
                    limit_price=data["limit_price"],
                    strategy=data["strategy"] or None,
                    urgency=data["urgency"],
                    client_order_id=data["client_order_id"],
                    source=Source.FORM,
                    instructions=form.instructions(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                request.session[ENTRY_REMEMBERED] = {
                    "account": data["account"].code,
                    "instrument": order.instrument.symbol,
                }
                summary = f"{order.side} {order.quantity:,} {order.instrument}"
                if order.status == OrderStatus.REJECTED:
                    messages.error(request, f"Order {order.client_order_id} rejected: {order.reject_reason}")
                else:
                    verb = "accepted" if created else "already exists"
                    messages.success(request, f"Order {order.client_order_id} {verb}: {summary}")
                return redirect("orders:blotter")
    query = request.GET.get("q", "").strip()[:64]
    sort, ordering = blotter_ordering(request.GET.get("sort", ""))
    found = order_search(order_list(user=request.user), query)
    page = Paginator(found.order_by(*ordering), BLOTTER_PAGE_ROWS).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query, "can_enter": can_enter, "sort": sort}
    context["live"] = page.number == 1 and not query and sort == BLOTTER_DEFAULT_SORT
    context["totals"] = blotter_totals(found)
    context["headers"] = [_header(sort, *column) for column in BLOTTER_HEADERS]
    if can_enter:  # the reference each instrument's limits are collared around, for the quote panel
        context["references"] = {
            i.symbol: str(i.reference_price.quantize(Decimal(1).scaleb(-i.price_places)))
            for i in Instrument.objects.all()
        }
    return render(request, "orders/blotter.html", context)


# The blotter's columns: label, the sort key its header sends (None: not sortable), numeric.
BLOTTER_HEADERS = [
    ("ID", "id", False), ("Received", "received", False), ("Client ID", None, False), ("Account", None, False),
    ("Instr.", "instrument", False), ("Side", None, False), ("Qty", "quantity", True), ("Limit", None, True),
    ("Strategy", None, False), ("Status", "status", False), ("Filled", "filled", True),
    ("Avg price", None, True), ("Parent", None, False),
]  # fmt: skip


def _header(sort: str, label: str, key: str | None, numeric: bool) -> dict:
    """A header as the template draws it: a click sorts its column descending first, then ascending."""
    header = {"label": label, "numeric": numeric, "next": None, "aria_sort": None}
    if key is not None:
        header["next"] = key if sort == f"-{key}" else f"-{key}"
        if sort.removeprefix("-") == key:
            header["aria_sort"] = "descending" if sort.startswith("-") else "ascending"
    return header


@login_required
def blotter_export(request, kind: str):
    """The blotter's search, every page of it, as CSV or XLSX."""
    if not (has_role(request.user, TRADER) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("traders and supervisors only")
    query = request.GET.get("q", "").strip()[:64]
    rows = blotter_export_rows(order_search(order_list(user=request.user), query))
    name = f"orders-{timezone.localdate():%Y-%m-%d}"
    if kind == "csv":
        response = StreamingHttpResponse(blotter_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(blotter_xlsx(rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_trader(user) -> None:
    if not has_role(user, TRADER):
        raise PermissionDenied("only traders upload orders")


@login_required
def upload(request):
    _require_trader(request.user)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    refused = upload_refusal(request) if request.method == "POST" else None
    if refused:
        form.is_valid()
        form.errors.pop("file", None)  # "required": the limit stopped the file, say so instead
        form.add_error("file", refused)
    elif request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            created = upload_create(
                uploaded_by=request.user, file_name=file.name, content=file.read(), mode=form.cleaned_data["mode"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("orders:upload-detail", upload_id=created.pk)
    uploads = upload_list(user=request.user).filter(uploaded_by=request.user)[:15]
    limits = {"max_bytes": settings.MAX_UPLOAD_BYTES, "max_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
    columns = [(name, name in REQUIRED_COLUMNS, FILE_COLUMNS[name]) for name in COLUMNS]
    return render(request, "orders/upload.html", {"form": form, "uploads": uploads, "columns": columns, **limits})


# What each column of an order file takes, as the upload page explains it.
FILE_COLUMNS = {
    "client_order_id": "your id for the order, unique per account: a repeat returns the order already accepted",
    "instrument": "symbol, e.g. AAPL",
    "side": "BUY or SELL",
    "quantity": "shares, a whole number of lots",
    "limit_price": "a multiple of the tick; empty for a market order",
    "strategy": "TWAP, VWAP, POV, IS, OPEN or CLOSE (OPEN and CLOSE go to the opening or closing auction: "
    "market-on-open/close, or limit-on-open/close with a limit_price; no start or end time; OPEN only in the "
    "pre-open, 09:15 to 09:30); empty: LOW urgency → VWAP, MEDIUM → TWAP, HIGH → IS",
    "urgency": "LOW, MEDIUM (the default) or HIGH",
    "account": "one of your accounts' codes",
    "start_time": "not before, exchange time HH:MM (New York)",
    "end_time": "done by, exchange time HH:MM",
    "max_participation": "share of all volume, 0.01 to 0.50 (or 1% to 50%)",
    "aggressiveness": "0 waits at the touch … 1 crosses as soon as behind",
    "exclude_venues": "venue codes never to send to, separated by spaces or semicolons",
}
TEMPLATE_ROWS = (
    {"client_order_id": "ORD-0001", "instrument": "AAPL", "side": "BUY", "quantity": "500", "limit_price": "190.25"}
    | {"urgency": "LOW", "account": "T1-GROWTH"},
    {"client_order_id": "ORD-0002", "instrument": "MSFT", "side": "SELL", "quantity": "200", "strategy": "TWAP"}
    | {"account": "T1-GROWTH", "start_time": "10:00", "end_time": "11:30", "max_participation": "0.15"}
    | {"exclude_venues": "DARKY"},
)


@login_required
def upload_template_csv(request):
    """An order file to start from: every column, two example rows."""
    _require_trader(request.user)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="orders-template.csv"'
    writer = csv.DictWriter(response, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(TEMPLATE_ROWS)
    return response


@login_required
def upload_detail(request, upload_id: int):
    _require_trader(request.user)
    found = get_object_or_404(upload_list(user=request.user), pk=upload_id)
    errors = found.errors.all()
    context = {"upload": found, "payload": upload_payload(found), "errors_shown": ERRORS_SHOWN}
    return render(
        request,
        "orders/upload_detail.html",
        {**context, "errors": errors[:ERRORS_SHOWN], "errors_total": errors.count()},
    )


@login_required
def upload_errors_csv(request, upload_id: int):
    """The whole row error report, for fixing the file and uploading the rows again: the rows
    skipped for errors and the rows the risk checks rejected (each with the order it became)."""
    found = get_object_or_404(upload_list(user=request.user), pk=upload_id)
    writer = csv.writer(Echo())
    rows = found.errors.values_list("row", "column", "reason", "outcome", "order").iterator()
    header = ("row", "column", "reason", "outcome", "order")
    response = StreamingHttpResponse(
        (writer.writerow([safe_cell("" if v is None else v) for v in r]) for r in chain([header], rows)),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="upload-{found.pk}-errors.csv"'
    return response


def _new_reference() -> str:
    return f"WEB-{uuid.uuid4().hex[:10].upper()}"


@login_required
def risk_limits(request):
    """Supervisors read every account's pre-trade limits and today's usage, and set them (audited,
    as the API's PUT does: one validation for both)."""
    if not has_role(request.user, SUPERVISOR):
        raise PermissionDenied("supervisors only")
    accounts = list(Account.objects.select_related("owner").order_by("code"))
    errors, editing = {}, request.GET.get("edit", "")
    if request.method == "POST":
        account = get_object_or_404(Account, code=request.POST.get("account", ""))
        submitted = {field: request.POST.get(field, "").strip() or None for field in RISK_LIMIT_FIELDS}
        submitted["restricted_instruments"] = request.POST.getlist("restricted_instruments")
        data = RiskLimitsInput(data=submitted)
        if data.is_valid():
            risk_limits_set(account=account, actor=f"user:{request.user.username}", **data.validated_data)
            messages.success(request, f"Risk limits of {account.code} saved (audited)")
            return redirect("orders:risk-limits")
        errors, editing = data.errors, account.code
    rows = [{"account": a, "limits": risk_limits_payload(a)} for a in accounts]
    return render(
        request,
        "orders/risk_limits.html",
        {
            "rows": rows,
            "fields": RISK_LIMIT_LABELS,
            "instruments": Instrument.objects.order_by("symbol").values_list("symbol", flat=True),
            "editing": editing,
            "errors": errors,
            "posted": request.POST if errors else None,
        },
    )


RISK_LIMIT_LABELS = {  # (column, form label)
    "max_order_quantity": ("Max qty", "Max order quantity (shares)"),
    "max_order_notional": ("Max notional", "Max order notional"),
    "collar_pct": ("Collar", "Price collar (% from the reference price)"),
    "daily_gross_notional": ("Daily gross", "Daily gross notional"),
    "max_orders_per_minute": ("Orders/min", "Max orders a minute"),
}
