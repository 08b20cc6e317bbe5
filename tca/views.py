"""Analyst pages: the desk's TCA with filters and charts, desk reports built in the
background, one parent's report with its algorithm comparison, downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orders.models import Instrument, ParentOrder, Strategy
from orders.roles import ANALYST, SUPERVISOR, has_role
from routing.selectors import parent_schedule
from smarttrading.dates import TradingDateFormField

from .charts import comparison_charts, desk_charts, parent_charts
from .documents import desk_document, document_response, latest_comparison, parent_document
from .metrics import MARKOUT_HORIZONS_S
from .models import SavedFilters, TcaJob
from .payloads import SIGN_CONVENTIONS, desk_in_order, desk_payload, parent_report_payload
from .reports import desk_report, parent_report
from .selectors import TcaFilters, parents_for, trader_usernames
from .services import comparison_request, desk_report_request, saved_filters_delete, saved_filters_save

PAGE_PARENTS = 50  # the page's quick look; a desk report covers every parent


def _require_analyst(request) -> None:
    if not (has_role(request.user, ANALYST) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("analysts and supervisors only")


class FiltersForm(forms.Form):
    date_from = TradingDateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = TradingDateFormField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    instrument = forms.ChoiceField(required=False)
    algorithm = forms.ChoiceField(required=False, choices=[("", "all algorithms"), *Strategy.choices])
    trader = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        symbols = Instrument.objects.order_by("symbol").values_list("symbol", flat=True)
        self.fields["instrument"].choices = [("", "all instruments"), *((s, s) for s in symbols)]
        self.fields["trader"].choices = [("", "all traders"), *((u, u) for u in trader_usernames())]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "must not be before From")
        return data

    def filters(self) -> TcaFilters:
        if not self.is_valid():
            return TcaFilters()
        data = self.cleaned_data
        return TcaFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            instrument=data["instrument"],
            algorithm=data["algorithm"],
            trader=data["trader"],
        )


def _desk_context(desk: dict, charts: dict) -> dict:
    return {"desk": desk, "charts": charts, "signs": SIGN_CONVENTIONS, "horizons": MARKOUT_HORIZONS_S}


@login_required
def index(request):
    _require_analyst(request)
    form = FiltersForm(request.GET or None)
    filters = form.filters()
    parents = parents_for(filters)
    total = parents.count()
    desk = desk_report(parents[:PAGE_PARENTS])
    jobs = TcaJob.objects.filter(kind=TcaJob.Kind.DESK).select_related("requested_by")[:8]
    saved = [
        {"id": s.pk, "name": s.name, "query": _query(s.filters), "current": s.filters == filters.as_query()}
        for s in SavedFilters.objects.filter(owner=request.user)
    ]
    return render(
        request,
        "tca/index.html",
        {
            **_desk_context(desk_payload(desk), desk_charts(desk)),
            "form": form,
            "filters": filters.as_query(),
            "total": total,
            "quick_look_title": (
                f"All {total} parent{'' if total == 1 else 's'}"
                if total <= PAGE_PARENTS
                else f"Quick look: the latest {PAGE_PARENTS} of {total} parents"
            ),
            "jobs": jobs,
            "saved": saved,
        },
    )


@login_required
@require_POST
def saved_filters_create(request):
    """Save the filters shown under a name; back to the TCA page with them applied."""
    _require_analyst(request)
    form = FiltersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The filters are not valid: " + form.errors.as_text())
        return redirect("tca:index")
    try:
        saved = saved_filters_save(owner=request.user, name=request.POST.get("name", ""), filters=form.filters())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.message_dict["name"]))
        return redirect(f"{reverse('tca:index')}?{urlencode(form.filters().as_query())}")
    messages.success(request, f"Saved “{saved.name}”.")
    return redirect(f"{reverse('tca:index')}?{_query(saved.filters)}")


def _query(stored: dict) -> str:
    """Saved filters as a query string in the filters' own order (PostgreSQL's jsonb sorts keys)."""
    return urlencode(TcaFilters.from_query(stored).as_query())


@login_required
@require_POST
def saved_filters_remove(request, saved_id: int):
    _require_analyst(request)
    saved_filters_delete(owner=request.user, saved_id=saved_id)
    return redirect("tca:index")


@login_required
@require_POST
def desk_report_create(request):
    _require_analyst(request)
    form = FiltersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The filters are not valid: " + form.errors.as_text())
        return redirect("tca:index")
    job = desk_report_request(user=request.user, filters=form.filters())
    return redirect("tca:job", job_id=job.pk)


def _desk_job(job_id: int) -> TcaJob:
    return get_object_or_404(TcaJob.objects.select_related("requested_by"), pk=job_id, kind=TcaJob.Kind.DESK)


@login_required
def job(request, job_id: int):
    _require_analyst(request)
    job = _desk_job(job_id)
    context = {"job": job}
    if job.status == TcaJob.Status.DONE:
        context.update(_desk_context(desk_in_order(job.result["desk"]), job.result["charts"]))
    return render(request, "tca/job.html", context)


@login_required
def job_download(request, job_id: int, kind: str):
    _require_analyst(request)
    job = _desk_job(job_id)
    if job.status != TcaJob.Status.DONE:
        raise Http404("the report is not built yet")
    return document_response(desk_document(job), kind)


@login_required
def parent(request, parent_id: int):
    _require_analyst(request)
    parent = get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)
    report = parent_report(parent)
    charts = parent_charts(report, parent_schedule(parent))
    comparison = latest_comparison(parent)
    if comparison is not None and comparison.status == TcaJob.Status.DONE:
        charts.update(comparison_charts(comparison.result))
    return render(
        request,
        "tca/parent.html",
        {
            "report": report,
            "venues": parent_report_payload(report, fills=False)["venues"],
            "charts": charts,
            "comparison": comparison,
            "signs": SIGN_CONVENTIONS,
            "horizons": MARKOUT_HORIZONS_S,
        },
    )


@login_required
@require_POST
def parent_compare(request, parent_id: int):
    _require_analyst(request)
    parent = get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)
    try:
        comparison_request(user=request.user, parent=parent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("tca:parent", args=[parent.pk]) + "#comparison")


@login_required
def parent_download(request, parent_id: int, kind: str):
    _require_analyst(request)
    parent = get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)
    return document_response(parent_document(parent), kind)
