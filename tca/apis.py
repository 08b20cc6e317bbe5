"""TCA over the REST API: a parent's report (JSON or a download), its algorithm comparison,
and desk reports over many parents built in the background."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import ParentOrder, Strategy
from orders.roles import ANALYST, SUPERVISOR, has_role
from smarttrading.dates import TradingDateField

from .documents import desk_document, document_response, parent_document
from .models import TcaJob
from .payloads import job_payload, parent_report_payload
from .reports import parent_report
from .selectors import TcaFilters
from .services import comparison_request, desk_report_request


class IsAnalystOrSupervisor(BasePermission):
    def has_permission(self, request, view):
        return has_role(request.user, ANALYST) or has_role(request.user, SUPERVISOR)


def _parent(parent_id: int) -> ParentOrder:
    return get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)


def _job_body(job: TcaJob) -> dict:
    return {**job_payload(job), "result": job.result if job.status == TcaJob.Status.DONE else None}


class ParentTcaApi(APIView):
    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A parent's TCA: benchmarks, shortfall, children, orders")
    def get(self, request, parent_id: int):
        return Response(parent_report_payload(parent_report(_parent(parent_id))))


class ParentTcaDownloadApi(APIView):
    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, parent_id: int, kind: str):
        return document_response(parent_document(_parent(parent_id)), kind)


class ParentComparisonApi(APIView):
    """Replay the other algorithms on a finished parent's market (202: queued or running)."""

    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def post(self, request, parent_id: int):
        try:
            job = comparison_request(user=request.user, parent=_parent(parent_id))
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        code = status.HTTP_200_OK if job.status == TcaJob.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(_job_body(job), status=code)


class DeskReportInput(serializers.Serializer):
    date_from = TradingDateField(required=False)
    date_to = TradingDateField(required=False)
    instrument = serializers.CharField(required=False, allow_blank=True, max_length=16)
    algorithm = serializers.ChoiceField(required=False, allow_blank=True, choices=Strategy.choices)
    trader = serializers.CharField(required=False, allow_blank=True, max_length=150)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise ValidationError({"date_to": "must not be before date_from"})
        return attrs


class DeskReportCreateApi(APIView):
    """A desk report over every parent the filters select, built in the background (202)."""

    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(request=DeskReportInput, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        data = DeskReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = desk_report_request(user=request.user, filters=TcaFilters(**data.validated_data))
        return Response(_job_body(job), status=status.HTTP_202_ACCEPTED)


class TcaJobApi(APIView):
    """A report or comparison job: its progress, and its result once done."""

    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, job_id: int):
        return Response(_job_body(get_object_or_404(TcaJob.objects.select_related("requested_by"), pk=job_id)))


class DeskReportDownloadApi(APIView):
    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, job_id: int, kind: str):
        job = get_object_or_404(TcaJob, pk=job_id, kind=TcaJob.Kind.DESK)
        if job.status != TcaJob.Status.DONE:
            raise Http404("the report is not built yet")
        return document_response(desk_document(job), kind)
