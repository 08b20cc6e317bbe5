"""The order's whole story for the API: its audit events with the FIX messages that made and changed it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.selectors import order_list

from .selectors import order_audit


class OrderAuditEntryOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="An audit event (order.cancelled, ...) or fix.in./fix.out. and the message")
    actor = serializers.CharField()
    detail = serializers.JSONField(help_text="A FIX message's raw text (SOH shown as |), sequence number and ClOrdID")


class OrderAuditApi(APIView):
    """An order's audit trail, oldest first, with the FIX messages in and out that concern it."""

    @extend_schema(responses=OrderAuditEntryOutput(many=True))
    def get(self, request, order_id: int):
        order = get_object_or_404(order_list(user=request.user), pk=order_id)
        return Response(OrderAuditEntryOutput(order_audit(order), many=True).data)
