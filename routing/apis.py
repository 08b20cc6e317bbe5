"""REST API of execution: parents with their children, fills and audit, supervisors' controls,
aggregation on demand, a trader's cancel, and market data (L1/L2 quotes, the tape's bars).

Market data is public to every logged-in user; it reads the latest session checkpoint
and bars and changes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.apis import AveragePriceField, IsSupervisor, IsTrader, OrderDetailOutput, field_errors
from orders.models import Instrument, ParentOrder
from orders.selectors import order_list

from .models import ChildOrder, Fill, KillSwitch, MarketSession
from .payloads import session_payload
from .selectors import market_bars, market_quote, parent_audit_for, parent_list, session_list
from .services.aggregation import aggregation_window_run
from .services.cancels import order_cancel
from .services.controls import ControlRefused, kill_switch_set, parent_cancel, parent_pause, parent_resume
from .services.faults import session_resume


class QuoteQuery(serializers.Serializer):
    levels = serializers.IntegerField(min_value=1, max_value=50, default=5)


class BarsQuery(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    bar_seconds = serializers.ChoiceField(choices=[1, 5, 60, 300, 900, 1800], default=60)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "must be after start"})
        return attrs


def _instrument(symbol: str) -> Instrument:
    return get_object_or_404(Instrument, symbol=symbol.upper())


class MarketQuoteApi(APIView):
    """NBBO with consolidated size (L1) and each lit venue's displayed depth (L2)."""

    @extend_schema(parameters=[QuoteQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request, symbol: str):
        query = QuoteQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        quote = market_quote(instrument=_instrument(symbol), levels=query.validated_data["levels"])
        if quote is None:
            raise NotFound("No simulated session has opened for this instrument yet.")
        return Response(quote)


class MarketBarsApi(APIView):
    """The latest session's tape in bars, with the market VWAP over the whole interval."""

    @extend_schema(parameters=[BarsQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request, symbol: str):
        query = BarsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        bars = market_bars(instrument=_instrument(symbol), **query.validated_data)
        if bars is None:
            raise NotFound("No simulated session has opened for this instrument yet.")
        return Response(bars)


class ParentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.CharField(source="instrument.symbol")
    side = serializers.CharField()
    quantity = serializers.IntegerField()
    filled_quantity = serializers.IntegerField()
    average_price = AveragePriceField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    arrival_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    fees = serializers.DecimalField(max_digits=24, decimal_places=6)
    status = serializers.CharField()
    strategy = serializers.CharField()
    urgency = serializers.CharField()
    routing = serializers.CharField()
    max_participation = serializers.DecimalField(max_digits=5, decimal_places=4)
    aggressiveness = serializers.DecimalField(max_digits=5, decimal_places=4)
    cancel_requested_at = serializers.DateTimeField(allow_null=True)
    cancel_requested = serializers.SerializerMethodField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)

    def get_cancel_requested(self, parent) -> bool:
        return parent.cancel_requested_at is not None


def _visible_parent(request, parent_id: int):
    """The parent if this user may see it; 404 otherwise, so ids leak nothing."""
    return get_object_or_404(parent_list(user=request.user), pk=parent_id)


class ParentListApi(APIView):
    @extend_schema(responses=ParentOutput(many=True))
    def get(self, request):
        return Response(ParentOutput(parent_list(user=request.user).order_by("-id")[:500], many=True).data)


class ParentDetailApi(APIView):
    @extend_schema(responses=ParentOutput)
    def get(self, request, parent_id: int):
        return Response(ParentOutput(_visible_parent(request, parent_id)).data)


class FillOutput(serializers.Serializer):
    id = serializers.IntegerField()
    child = serializers.IntegerField(source="child_id")
    venue = serializers.CharField()
    side = serializers.CharField()
    quantity = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=18, decimal_places=6)
    fee = serializers.DecimalField(max_digits=24, decimal_places=6)
    liquidity = serializers.CharField()
    sim_time = serializers.DateTimeField()


class ParentFillsApi(APIView):
    @extend_schema(responses=FillOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        return Response(FillOutput(Fill.objects.filter(parent=parent).order_by("id"), many=True).data)


class ChildOutput(serializers.Serializer):
    id = serializers.IntegerField()
    venue = serializers.CharField()
    side = serializers.CharField()
    tactic = serializers.CharField()
    order_type = serializers.CharField()
    quantity = serializers.IntegerField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    filled_quantity = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    sim_time = serializers.DateTimeField()


class ParentChildrenApi(APIView):
    @extend_schema(responses=ChildOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        return Response(ChildOutput(ChildOrder.objects.filter(parent=parent).order_by("id"), many=True).data)


class AuditOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField()
    at = serializers.DateTimeField()
    sim_time = serializers.DateTimeField(allow_null=True)
    order = serializers.IntegerField(source="order_id", allow_null=True)
    detail = serializers.JSONField()


class ParentAuditApi(APIView):
    @extend_schema(responses=AuditOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        return Response(AuditOutput(parent_audit_for(user=request.user, parent=parent), many=True).data)


class AggregateApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(request=None, responses=ParentOutput(many=True))
    def post(self, request):
        parents = aggregation_window_run(actor=f"user:{request.user.username}")
        return Response(ParentOutput(parents, many=True).data, status=status.HTTP_201_CREATED)


class OrderCancelApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(request=None, responses=OrderDetailOutput)
    def post(self, request, order_id: int):
        get_object_or_404(order_list(user=request.user), pk=order_id)
        try:
            order = order_cancel(order_id=order_id, cancelled_by=request.user)
        except DjangoValidationError as exc:
            raise field_errors(exc) from exc
        return Response(OrderDetailOutput(order).data)


class _ParentControlApi(APIView):
    """One supervisor action on a parent; 409 with the reason when it does not apply."""

    permission_classes = [IsSupervisor]
    control = staticmethod(lambda **kwargs: None)

    @extend_schema(request=None, responses=ParentOutput)
    def post(self, request, parent_id: int):
        get_object_or_404(ParentOrder, pk=parent_id)
        try:
            parent = self.control(parent_id=parent_id, actor=f"user:{request.user.username}")
        except ControlRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        return Response(ParentOutput(parent).data)


class ParentPauseApi(_ParentControlApi):
    control = staticmethod(parent_pause)


class ParentResumeApi(_ParentControlApi):
    control = staticmethod(parent_resume)


class ParentCancelApi(_ParentControlApi):
    control = staticmethod(parent_cancel)


class KillSwitchInput(serializers.Serializer):
    engaged = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class KillSwitchOutput(serializers.Serializer):
    engaged = serializers.BooleanField()
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class KillSwitchApi(APIView):
    """Anyone signed in may see the switch; only a supervisor engages or releases it."""

    def get_permissions(self):
        return [IsSupervisor()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=KillSwitchOutput)
    def get(self, request):
        return Response(KillSwitchOutput(KillSwitch.current()).data)

    @extend_schema(request=KillSwitchInput, responses=KillSwitchOutput)
    def post(self, request):
        data = KillSwitchInput(data=request.data)
        data.is_valid(raise_exception=True)
        switch = kill_switch_set(actor=f"user:{request.user.username}", **data.validated_data)
        return Response(KillSwitchOutput(switch).data)


class SessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.CharField()
    trading_date = serializers.DateField()
    status = serializers.ChoiceField(choices=MarketSession.Status.values)
    step_no = serializers.IntegerField()
    sim_time = serializers.DateTimeField()
    failures = serializers.IntegerField()
    error = serializers.CharField(help_text="The last line of the failed step's error; the traceback is in the admin")
    faulted_at = serializers.DateTimeField(allow_null=True)


class SessionListApi(APIView):
    """Supervisors: every market session, with its clock and, when it faulted, why."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses=SessionOutput(many=True))
    def get(self, request):
        return Response(SessionOutput([session_payload(s) for s in session_list()[:500]], many=True).data)


class SessionResumeApi(APIView):
    """Step a faulted session again once its cause is fixed; 409 when it is not faulted."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=None, responses={200: SessionOutput, 409: OpenApiTypes.OBJECT})
    def post(self, request, session_id: int):
        get_object_or_404(MarketSession, pk=session_id)
        try:
            session = session_resume(session_id=session_id, actor=f"user:{request.user.username}")
        except ControlRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        return Response(SessionOutput(session_payload(session)).data)
