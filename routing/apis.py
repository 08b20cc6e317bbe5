"""REST API of execution: parents with their children, fills and audit, supervisors' controls,
aggregation on demand, a trader's cancel, and market data (L1/L2 quotes, the tape's bars).

Market data is public to every logged-in user; it reads the latest session checkpoint
and bars and changes nothing.
"""

from __future__ import annotations

import csv

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.apis import AmendmentOutput, AveragePriceField, IsSupervisor, IsTrader, OrderDetailOutput, field_errors
from orders.domain.instructions import COLUMNS as INSTRUCTION_COLUMNS
from orders.models import Amendment, Instrument, ParentOrder, Source, Strategy, Urgency
from orders.selectors import order_list
from smarttrading.dates import TradingDateTimeField

from .models import ChildOrder, Fill, KillSwitch, MarketSession
from .payloads import session_payload
from .selectors import (
    ALLOCATION_FILE_COLUMNS,
    allocations_for_booking,
    market_bars,
    market_quote,
    parent_audit_for,
    parent_list,
    parent_members,
    session_list,
    session_scorecard,
)
from .services.aggregation import aggregation_window_run
from .services.cancels import order_cancel
from .services.controls import (
    BULK_CONTROLS,
    ControlRefused,
    kill_switch_set,
    parent_cancel,
    parent_pause,
    parent_resume,
    parents_control_bulk,
)
from .services.faults import session_resume
from .services.replaces import order_replace


class QuoteQuery(serializers.Serializer):
    levels = serializers.IntegerField(min_value=1, max_value=50, default=5)


class BarsQuery(serializers.Serializer):
    start = TradingDateTimeField(required=False)
    end = TradingDateTimeField(required=False)
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


class MemberOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client_order_id = serializers.CharField()
    source = serializers.CharField()
    account = serializers.CharField(source="account.code")
    price_places = serializers.IntegerField(source="instrument.price_places")
    quantity = serializers.IntegerField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    status = serializers.CharField()
    crossed = serializers.SerializerMethodField(help_text="Filled by internal crosses at the mid")
    filled_quantity = serializers.IntegerField()
    average_price = AveragePriceField()
    received_at = serializers.DateTimeField()
    revision = serializers.IntegerField()

    def get_crossed(self, order) -> int:
        return order.crossed or 0


class ParentOrdersApi(APIView):
    """The parent's member orders as they stand: the parent panel refreshes its table from it."""

    @extend_schema(responses=MemberOrderOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        return Response(MemberOrderOutput(parent_members(user=request.user, parent=parent), many=True).data)


class ParentScorecardApi(APIView):
    """The venue scorecard of the parent's instrument for its trading day, as its last step left
    it: what the router ranks venues by (fill rates, fill probability by order type, fees,
    acknowledgement latency, mark-outs) and each venue's status."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, parent_id: int):
        return Response(session_scorecard(_visible_parent(request, parent_id)))


class LatestQuery(serializers.Serializer):
    latest = serializers.IntegerField(
        required=False, min_value=1, max_value=5_000, help_text="Only the last so many, still oldest first"
    )


class ParentAuditQuery(LatestQuery):
    scope = serializers.ChoiceField(
        choices=["all", "parent"],
        default="all",
        help_text="parent: the parent's own events, without its children's and member orders'",
    )


class ParentChildrenApi(APIView):
    """The parent's child orders, oldest first; ``X-Total-Count`` says how many there are in all."""

    @extend_schema(parameters=[LatestQuery], responses=ChildOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        query = LatestQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        latest = query.validated_data.get("latest")
        children = ChildOrder.objects.filter(parent=parent).order_by("-id")
        children = list(children[:latest] if latest else children)[::-1]
        total = ChildOrder.objects.filter(parent=parent).count()
        return Response(ChildOutput(children, many=True).data, headers={"X-Total-Count": str(total)})


class AuditOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField()
    at = serializers.DateTimeField()
    sim_time = serializers.DateTimeField(allow_null=True)
    order = serializers.IntegerField(source="order_id", allow_null=True)
    detail = serializers.JSONField()


class ParentAuditApi(APIView):
    @extend_schema(parameters=[ParentAuditQuery], responses=AuditOutput(many=True))
    def get(self, request, parent_id: int):
        parent = _visible_parent(request, parent_id)
        query = ParentAuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = parent_audit_for(
            user=request.user,
            parent=parent,
            own_only=query.validated_data["scope"] == "parent",
            latest=query.validated_data.get("latest"),
        )
        return Response(AuditOutput(events, many=True).data)


class AggregateApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(request=None, responses={201: ParentOutput(many=True)})
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


class OrderReplaceInput(serializers.Serializer):
    """Only the terms given change; ``limit_price: null`` makes it a market order."""

    client_order_id = serializers.CharField(max_length=64, help_text="New; names the order from now on")
    quantity = serializers.IntegerField(min_value=1, required=False, help_text="The new total, filled included")
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    strategy = serializers.ChoiceField(choices=Strategy.values, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.values, required=False)
    start_time = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    end_time = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    max_participation = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    aggressiveness = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    exclude_venues = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, allow_null=True, max_length=20
    )


class OrderReplaceOutput(serializers.Serializer):
    amendment = AmendmentOutput()
    order = OrderDetailOutput()


def _replace(request, order_id: int, fields: dict):
    """One amend through the service; the amendment and the order as they stand."""
    terms = {k: fields[k] for k in ("quantity", "limit_price", "strategy", "urgency") if k in fields}
    amendment = order_replace(
        order_id=order_id,
        requested_by=request.user,
        client_order_id=fields["client_order_id"],
        source=Source.API,
        instructions={k: fields[k] for k in INSTRUCTION_COLUMNS if k in fields},
        **terms,
    )
    order = order_list(user=request.user).prefetch_related("allocations", "amendments").get(pk=order_id)
    return {"amendment": amendment, "order": order}


class OrderReplaceApi(APIView):
    """Amend (cancel/replace) an order: 200 when it applied at once, 202 while it waits for the
    shares its parent has out at venues (a size-down, or new terms that move it to a new parent)."""

    permission_classes = [IsTrader]

    @extend_schema(request=OrderReplaceInput, responses={200: OrderReplaceOutput, 202: OrderReplaceOutput})
    def post(self, request, order_id: int):
        get_object_or_404(order_list(user=request.user), pk=order_id)
        data = OrderReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = _replace(request, order_id, data.validated_data)
        except DjangoValidationError as exc:
            raise field_errors(exc) from exc
        pending = result["amendment"].status == Amendment.Status.PENDING
        return Response(
            OrderReplaceOutput(result).data, status=status.HTTP_202_ACCEPTED if pending else status.HTTP_200_OK
        )


class BulkReplaceItem(OrderReplaceInput):
    order = serializers.IntegerField(help_text="The order's id")


class BulkReplaceInput(serializers.Serializer):
    amendments = serializers.ListField(child=serializers.DictField(), allow_empty=False, max_length=1_000)


class BulkReplaceDoc(serializers.Serializer):
    amendments = BulkReplaceItem(many=True)


class BulkReplaceResult(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["APPLIED", "PENDING", "OVERTAKEN", "INVALID"])
    amendment = AmendmentOutput(allow_null=True)
    errors = serializers.DictField(allow_null=True)


class BulkReplaceApi(APIView):
    """Many amends, each on its own: one that is refused does not stop the others."""

    permission_classes = [IsTrader]

    @extend_schema(request=BulkReplaceDoc, responses={200: BulkReplaceResult(many=True)})
    def post(self, request):
        data = BulkReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        mine = set(order_list(user=request.user).values_list("pk", flat=True))
        results = []
        for index, raw in enumerate(data.validated_data["amendments"]):
            item = BulkReplaceItem(data=raw)
            if not item.is_valid():
                results.append({"index": index, "status": "INVALID", "amendment": None, "errors": item.errors})
                continue
            order_id = item.validated_data["order"]
            if order_id not in mine:
                results.append(
                    {
                        "index": index,
                        "status": "INVALID",
                        "amendment": None,
                        "errors": {"order": ["no such order of yours"]},
                    }
                )
                continue
            try:
                amendment = _replace(request, order_id, item.validated_data)["amendment"]
            except DjangoValidationError as exc:
                results.append(
                    {"index": index, "status": "INVALID", "amendment": None, "errors": field_errors(exc).detail}
                )
                continue
            results.append({"index": index, "status": amendment.status, "amendment": amendment, "errors": None})
        return Response(BulkReplaceResult(results, many=True).data)


class AllocationsFileQuery(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Booking date (local); today by default")


class AllocationsFileApi(APIView):
    """The end-of-day allocations file the back office books from: per order, its shares,
    average price, fees and venues. The drop copy's fills add up to it."""

    permission_classes = [IsSupervisor]

    @extend_schema(parameters=[AllocationsFileQuery], responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        query = AllocationsFileQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or timezone.localdate()
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="allocations-{day.isoformat()}.csv"'
        writer = csv.DictWriter(response, fieldnames=ALLOCATION_FILE_COLUMNS)
        writer.writeheader()
        writer.writerows(allocations_for_booking(day=day))
        return response


class _ParentControlApi(APIView):
    """One supervisor action on a parent; 409 with the reason when it does not apply."""

    permission_classes = [IsSupervisor]
    control = staticmethod(lambda **kwargs: None)

    def control_options(self, request) -> dict:
        """What the action takes besides the parent and the actor, from the request body."""
        return {}

    @extend_schema(request=None, responses=ParentOutput)
    def post(self, request, parent_id: int):
        get_object_or_404(ParentOrder, pk=parent_id)
        options = self.control_options(request)
        try:
            parent = self.control(parent_id=parent_id, actor=f"user:{request.user.username}", **options)
        except ControlRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        return Response(ParentOutput(parent).data)


class ParentPauseApi(_ParentControlApi):
    control = staticmethod(parent_pause)


class ParentResumeInput(serializers.Serializer):
    end_time = serializers.TimeField(
        required=False, help_text="New end, exchange time; by default the end moves on by the time it was paused"
    )


class ParentResumeApi(_ParentControlApi):
    control = staticmethod(parent_resume)

    def control_options(self, request) -> dict:
        data = ParentResumeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return {"end_time": data.validated_data.get("end_time")}

    @extend_schema(request=ParentResumeInput, responses=ParentOutput)
    def post(self, request, parent_id: int):
        return super().post(request, parent_id)


class ParentCancelApi(_ParentControlApi):
    control = staticmethod(parent_cancel)


class ParentBulkInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(BULK_CONTROLS))
    parents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=5_000, help_text="The parents' ids"
    )
    all = serializers.BooleanField(default=False, help_text="Every parent the action applies to now")

    def validate(self, data):
        if data["all"] == ("parents" in data):
            raise serializers.ValidationError("name the parents or ask for all of them, not both or neither")
        return data


class ParentRefusedOutput(serializers.Serializer):
    parent = serializers.IntegerField()
    detail = serializers.CharField()


class ParentBulkOutput(serializers.Serializer):
    applied = ParentOutput(many=True)
    refused = ParentRefusedOutput(many=True)


class ParentBulkApi(APIView):
    """Pause, resume or cancel many parents at once (the named ones, or all it applies to):
    each stands on its own, and one it does not apply to comes back refused with the reason."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=ParentBulkInput, responses=ParentBulkOutput)
    def post(self, request):
        data = ParentBulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = parents_control_bulk(
            action=data.validated_data["action"],
            actor=f"user:{request.user.username}",
            parent_ids=None if data.validated_data["all"] else data.validated_data["parents"],
        )
        refused = [{"parent": parent_id, "detail": why} for parent_id, why in outcome.refused]
        return Response(ParentBulkOutput({"applied": outcome.applied, "refused": refused}).data)


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
