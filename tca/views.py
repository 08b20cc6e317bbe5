"""Analyst pages: the desk's TCA with filters and charts, one parent's report, downloads."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from orders.models import Instrument, ParentOrder, Strategy
from orders.roles import ANALYST, SUPERVISOR, has_role
from routing.selectors import parent_schedule

from .charts import desk_charts, parent_charts
from .downloads import report_csv, report_html, report_xlsx
from .metrics import MARKOUT_HORIZONS_S
from .payloads import SIGN_CONVENTIONS, parent_report_payload
from .reports import TcaFilters, desk_report, parent_report, parents_for

PAGE_PARENTS = 200


def _require_analyst(request) -> None:
    if not (has_role(request.user, ANALYST) or has_role(request.user, SUPERVISOR)):
        raise PermissionDenied("analysts and supervisors only")


class FiltersForm(forms.Form):
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    instrument = forms.ChoiceField(required=False)
    algorithm = forms.ChoiceField(required=False, choices=[("", "all algorithms"), *Strategy.choices])
    trader = forms.CharField(required=False, max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        symbols = Instrument.objects.order_by("symbol").values_list("symbol", flat=True)
        self.fields["instrument"].choices = [("", "all instruments"), *((s, s) for s in symbols)]

    def filters(self) -> TcaFilters:
        if not self.is_valid():
            return TcaFilters()
        data = self.cleaned_data
        return TcaFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            instrument=data["instrument"],
            algorithm=data["algorithm"],
            trader=data["trader"].strip(),
        )


@login_required
def index(request):
    _require_analyst(request)
    form = FiltersForm(request.GET or None)
    filters = form.filters()
    parents = parents_for(filters)
    total = parents.count()
    desk = desk_report(parents[:PAGE_PARENTS])
    return render(
        request,
        "tca/index.html",
        {
            "form": form,
            "desk": desk,
            "total": total,
            "shown": len(desk.parents),
            "charts": desk_charts(desk),
            "signs": SIGN_CONVENTIONS,
            "horizons": MARKOUT_HORIZONS_S,
        },
    )


@login_required
def parent(request, parent_id: int):
    _require_analyst(request)
    report = parent_report(get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id))
    charts = parent_charts(report, parent_schedule(report.parent))
    return render(
        request,
        "tca/parent.html",
        {"report": report, "charts": charts, "signs": SIGN_CONVENTIONS, "horizons": MARKOUT_HORIZONS_S},
    )


def report_response(parent: ParentOrder, kind: str) -> HttpResponse:
    """The parent's report as a download: csv, xlsx or html."""
    report = parent_report(parent)
    payload = parent_report_payload(report)
    name = f"tca-parent-{parent.pk}.{kind}"
    if kind == "csv":
        response = HttpResponse(report_csv(payload), content_type="text/csv; charset=utf-8")
    elif kind == "xlsx":
        response = HttpResponse(
            report_xlsx(payload), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        charts = parent_charts(report, parent_schedule(parent))
        response = HttpResponse(report_html(payload, charts), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def parent_download(request, parent_id: int, kind: str):
    _require_analyst(request)
    return report_response(get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id), kind)
