"""TCA over the REST API: one parent's report as JSON, or as a CSV, XLSX or HTML download."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import ParentOrder
from orders.roles import ANALYST, SUPERVISOR, has_role

from .payloads import parent_report_payload
from .reports import parent_report
from .views import report_response


class IsAnalystOrSupervisor(BasePermission):
    def has_permission(self, request, view):
        return has_role(request.user, ANALYST) or has_role(request.user, SUPERVISOR)


def _parent(parent_id: int) -> ParentOrder:
    return get_object_or_404(ParentOrder.objects.select_related("instrument"), pk=parent_id)


class ParentTcaApi(APIView):
    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A parent's TCA: benchmarks, shortfall, children, orders")
    def get(self, request, parent_id: int):
        return Response(parent_report_payload(parent_report(_parent(parent_id))))


class ParentTcaDownloadApi(APIView):
    permission_classes = [IsAnalystOrSupervisor]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, parent_id: int, kind: str):
        return report_response(_parent(parent_id), kind)
