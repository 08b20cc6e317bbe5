"""REST API for orders, parents and aggregation: validate, call one service, serialize."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from smarttrading.uploads import upload_refusal

from .domain.instructions import COLUMNS as INSTRUCTION_COLUMNS
from .domain.intake import MAX_QUANTITY
from .domain.values import quantize_price
from .models import Account, Instrument, Side, Source, Strategy, Upload, Urgency
from .payloads import upload_payload
from .roles import SUPERVISOR, TRADER, has_role
from .selectors import account_list, blotter_totals, order_list, order_search, risk_limits_payload, upload_list
from .services.intake import order_create, orders_submit
from .services.risk_limits import risk_limits_set
from .services.tokens import api_token_issue, api_token_revoke, api_token_rotate
from .services.uploads import upload_create


class IsTrader(BasePermission):
    """Anyone logged in may read (filtered by role); only traders submit."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or has_role(request.user, TRADER)


class IsSupervisor(BasePermission):
    def has_permission(self, request, view):
        return has_role(request.user, SUPERVISOR)


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class AveragePriceField(serializers.Field):
    """An exact average shown to six places, as a string."""

    def to_representation(self, value):
        return None if value is None else str(quantize_price(value))


class AllocationOutput(serializers.Serializer):
    quantity = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=18, decimal_places=6)
    venue = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id")


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client_order_id = serializers.CharField()
    account = serializers.CharField(source="account.code")
    instrument = serializers.CharField(source="instrument.symbol")
    price_places = serializers.IntegerField(source="instrument.price_places", help_text="Decimals its prices show")
    side = serializers.CharField()
    quantity = serializers.IntegerField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    strategy = serializers.CharField()
    urgency = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    reject_reason = serializers.CharField()
    filled_quantity = serializers.IntegerField()
    cancelled_quantity = serializers.IntegerField(help_text="Given up by a cancel, or by the parent's end")
    leaves_quantity = serializers.IntegerField(source="remaining_quantity", help_text="Still to be filled")
    filled_notional = serializers.DecimalField(max_digits=24, decimal_places=6)
    average_price = AveragePriceField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    received_at = serializers.DateTimeField()
    instructions = serializers.JSONField(help_text="What the trader chose beyond urgency; {} is urgency's defaults")
    revision = serializers.IntegerField(help_text="Its last write in µs: of two views of an order, the newer one")


class AmendmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    client_order_id = serializers.CharField(help_text="The order's id once the amend applies")
    orig_client_order_id = serializers.CharField(help_text="The id it replaces")
    kind = serializers.CharField(help_text="IMMEDIATE, SIZE_DOWN (same parent) or MOVE (new terms: a new parent)")
    status = serializers.CharField(help_text="PENDING (waiting for shares out at venues), APPLIED or OVERTAKEN")
    quantity = serializers.IntegerField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    strategy = serializers.CharField()
    urgency = serializers.CharField()
    instructions = serializers.JSONField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)


class VenueFillsOutput(serializers.Serializer):
    venue = serializers.CharField()
    quantity = serializers.IntegerField()
    fills = serializers.IntegerField(help_text="Allocations from that venue")
    average_price = serializers.DecimalField(max_digits=18, decimal_places=6)


class OrderDetailOutput(OrderOutput):
    allocations = AllocationOutput(many=True)
    venues = serializers.SerializerMethodField(help_text="Its allocations by venue, most shares first")
    amendments = AmendmentOutput(many=True, help_text="Its amends, oldest first: the client_order_id history")

    def to_representation(self, order):
        prefetch_related_objects([order], "allocations", "amendments")  # one query each, for every field reading them
        return super().to_representation(order)

    @extend_schema_field(VenueFillsOutput(many=True))
    def get_venues(self, order) -> list:
        by_venue: dict[str, list] = {}
        for allocation in order.allocations.all():  # prefetched
            venue = by_venue.setdefault(allocation.venue, [0, 0, Decimal(0)])
            venue[0] += allocation.quantity
            venue[1] += 1
            venue[2] += allocation.quantity * allocation.price
        rows = [
            {"venue": code, "quantity": q, "fills": n, "average_price": quantize_price(notional / q)}
            for code, (q, n, notional) in sorted(by_venue.items(), key=lambda item: (-item[1][0], item[0]))
        ]
        return VenueFillsOutput(rows, many=True).data


class OrderInput(serializers.Serializer):
    client_order_id = serializers.CharField(max_length=64)
    account = serializers.CharField(max_length=32)
    instrument = serializers.CharField(max_length=16)
    side = serializers.ChoiceField(choices=Side.values)
    quantity = serializers.IntegerField(min_value=1)
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    strategy = serializers.ChoiceField(choices=Strategy.values, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.values, required=False, allow_null=True)
    start_time = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Not before this exchange time, HH:MM[:SS]"
    )
    end_time = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Done by this exchange time, HH:MM[:SS]"
    )
    max_participation = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Most of all volume: 0.01-0.50, or 1%-50%"
    )
    aggressiveness = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="0 waits at the touch ... 1 crosses when behind"
    )
    exclude_venues = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        allow_null=True,
        max_length=20,
        help_text="Venue codes never to send to",
    )


def field_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})


class OrderListCreateApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(responses=OrderOutput(many=True))
    def get(self, request):
        orders = order_list(user=request.user).order_by("-id")[:500]
        return Response(OrderOutput(orders, many=True).data)

    @extend_schema(request=OrderInput, responses={201: OrderDetailOutput, 200: OrderDetailOutput})
    def post(self, request):
        """The body goes to the intake's one parser as it came, like a bulk item or a file row:
        ``OrderInput`` documents it, and every channel refuses and accepts the same values."""
        if not isinstance(request.data, Mapping):
            raise ValidationError({"non_field_errors": ["an order is a JSON object of its fields"]})
        fields = request.data
        try:
            order, created = order_create(
                submitted_by=request.user,
                account=fields.get("account"),
                instrument=fields.get("instrument"),
                side=fields.get("side"),
                quantity=fields.get("quantity"),
                limit_price=fields.get("limit_price"),
                strategy=fields.get("strategy"),
                urgency=fields.get("urgency"),
                client_order_id=fields.get("client_order_id"),
                source=Source.API,
                instructions={column: fields.get(column) for column in INSTRUCTION_COLUMNS},
            )
        except DjangoValidationError as exc:
            raise field_errors(exc) from exc
        return Response(
            OrderDetailOutput(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class OrderDetailApi(APIView):
    @extend_schema(responses=OrderDetailOutput)
    def get(self, request, order_id: int):
        order = get_object_or_404(
            order_list(user=request.user).prefetch_related("allocations", "amendments"), pk=order_id
        )
        return Response(OrderDetailOutput(order).data)


class ExecutionReportOutput(serializers.Serializer):
    exec_id = serializers.CharField(source="pk", help_text="Unique and stable: FIX's ExecID")
    exec_type = serializers.CharField()
    order_status = serializers.CharField()
    client_order_id = serializers.CharField()
    orig_client_order_id = serializers.CharField()
    order_quantity = serializers.IntegerField()
    limit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    last_quantity = serializers.IntegerField()
    last_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    last_market = serializers.CharField()
    cum_quantity = serializers.IntegerField()
    leaves_quantity = serializers.IntegerField()
    average_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class OrderReportsApi(APIView):
    """Every execution report of an order, oldest first: what a FIX client was (or would be) sent."""

    @extend_schema(responses=ExecutionReportOutput(many=True))
    def get(self, request, order_id: int):
        order = get_object_or_404(order_list(user=request.user), pk=order_id)
        return Response(ExecutionReportOutput(order.reports.order_by("id"), many=True).data)


class OrderTotalsQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="The blotter's search")


class OrderTotalsOutput(serializers.Serializer):
    orders = serializers.IntegerField()
    quantity = serializers.IntegerField()
    filled = serializers.IntegerField()
    notional = serializers.DecimalField(max_digits=24, decimal_places=2)


class OrderTotalsApi(APIView):
    """What the blotter's search adds up to over every page, now: the blotter's totals line follows it."""

    @extend_schema(parameters=[OrderTotalsQuery], responses=OrderTotalsOutput)
    def get(self, request):
        query = OrderTotalsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = order_search(order_list(user=request.user), query.validated_data.get("q", "").strip())
        return Response(OrderTotalsOutput(blotter_totals(found)).data)


class InstrumentOutput(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    tick_size = serializers.DecimalField(max_digits=12, decimal_places=6)
    lot_size = serializers.IntegerField()
    reference_price = serializers.DecimalField(max_digits=18, decimal_places=6)


class InstrumentListApi(APIView):
    @extend_schema(responses=InstrumentOutput(many=True))
    def get(self, request):
        return Response(InstrumentOutput(Instrument.objects.all(), many=True).data)


class BulkOrdersInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Upload.Mode.values, default=Upload.Mode.ACCEPT_VALID)
    orders = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=settings.MAX_BULK_ORDERS
    )


class BulkOrdersDoc(BulkOrdersInput):
    """The documented shape: each item is an order as for ``POST /orders/``."""

    orders = OrderInput(many=True)


class BulkResultOutput(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["CREATED", "DUPLICATE", "INVALID"])
    id = serializers.IntegerField(allow_null=True)
    client_order_id = serializers.CharField(allow_null=True)
    order_status = serializers.CharField(allow_null=True)
    reject_reason = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), allow_null=True)


class BulkOutput(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    invalid = serializers.IntegerField()
    results = BulkResultOutput(many=True)


class OrderBulkCreateApi(APIView):
    """Up to 10,000 orders in one request, through the same intake as every channel.

    ``mode`` ACCEPT_VALID keeps the good orders and reports each bad one by index;
    ALL_OR_NOTHING creates nothing if any order is bad (400). A bare JSON list is
    taken as ``{"orders": [...]}`` in ACCEPT_VALID mode.
    """

    permission_classes = [IsTrader]

    @extend_schema(request=BulkOrdersDoc, responses={201: BulkOutput, 200: BulkOutput, 400: BulkOutput})
    def post(self, request):
        data = BulkOrdersInput(data={"orders": request.data} if isinstance(request.data, list) else request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["orders"]
        submission = orders_submit(
            submitted_by=request.user,
            rows=rows,
            source=Source.API,
            all_or_nothing=data.validated_data["mode"] == Upload.Mode.ALL_OR_NOTHING,
        )
        results: list[dict | None] = [None] * len(rows)
        for problem in submission.problems:
            results[problem.index] = {
                "index": problem.index,
                "status": "INVALID",
                "id": None,
                "client_order_id": str(rows[problem.index].get("client_order_id") or "") or None,
                "order_status": None,
                "reject_reason": None,
                "errors": {e.column: [e.reason] for e in problem.errors},
            }
        for index, outcome in submission.accepted:
            results[index] = {
                "index": index,
                "status": "CREATED" if outcome.created else "DUPLICATE",
                "id": outcome.order_id,
                "client_order_id": outcome.client_order_id,
                "order_status": outcome.status,
                "reject_reason": outcome.reject_reason or None,
                "errors": None,
            }
        accepted = [outcome for _, outcome in submission.accepted]
        created = [a for a in accepted if a.created]
        body = {
            "created": len(created),
            "duplicates": len(accepted) - len(created),
            "rejected": sum(1 for a in created if a.reject_reason),
            "invalid": len(submission.problems),
            "results": [r for r in results if r is not None],
        }
        if submission.refused:
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class UploadInput(serializers.Serializer):
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=Upload.Mode.values, default=Upload.Mode.ACCEPT_VALID)


class UploadErrorOutput(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


class UploadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    validated_rows = serializers.IntegerField()
    created_rows = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    message = serializers.CharField()
    finished = serializers.BooleanField()


class UploadDetailOutput(UploadOutput):
    errors = UploadErrorOutput(many=True, help_text="The first 1,000; the page offers them all as CSV")


class OrderUploadApi(APIView):
    """Upload a CSV or XLSX file of orders; it is processed in the background (202)."""

    permission_classes = [IsTrader]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": UploadInput}, responses={202: UploadOutput})
    def post(self, request):
        data = UploadInput(data=request.data)
        refused = upload_refusal(request._request)  # the size limit stops the file as it streams in
        if refused:
            raise ValidationError({"file": [refused]})
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        try:
            upload = upload_create(
                uploaded_by=request.user, file_name=file.name, content=file.read(), mode=data.validated_data["mode"]
            )
        except DjangoValidationError as exc:
            raise field_errors(exc) from exc
        return Response(
            upload_payload(upload),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/orders/uploads/{upload.pk}/"},
        )


class UploadDetailApi(APIView):
    @extend_schema(responses=UploadDetailOutput)
    def get(self, request, upload_id: int):
        upload = get_object_or_404(upload_list(user=request.user), pk=upload_id)
        errors = list(upload.errors.values("row", "column", "reason")[:1000])
        return Response({**upload_payload(upload), "errors": errors})


# Bounds a limit can take: an order's own sanity bound, and far above any desk's order rate.
MAX_ORDERS_PER_MINUTE = 10_000_000


class RiskLimitsInput(serializers.Serializer):
    """Every limit, each nullable: null switches that check off for the account."""

    max_order_quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, allow_null=True)
    max_order_notional = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0, allow_null=True)
    collar_pct = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0, allow_null=True)
    daily_gross_notional = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0, allow_null=True)
    max_orders_per_minute = serializers.IntegerField(min_value=0, max_value=MAX_ORDERS_PER_MINUTE, allow_null=True)
    restricted_instruments = serializers.ListField(
        child=serializers.CharField(max_length=16), default=list, max_length=1000
    )

    def validate_restricted_instruments(self, symbols):
        symbols = sorted({s.strip().upper() for s in symbols})
        found = {i.symbol: i for i in Instrument.objects.filter(symbol__in=symbols)}
        unknown = [s for s in symbols if s not in found]
        if unknown:
            raise serializers.ValidationError(f"unknown instrument(s): {', '.join(unknown)}")
        return list(found.values())


class AccountRiskLimitsApi(APIView):
    """An account's pre-trade limits and today's usage: its owner and supervisors read them,
    supervisors set them (PUT every field; audited)."""

    def get_permissions(self):
        return [IsSupervisor()] if self.request.method == "PUT" else [IsAuthenticated()]

    def _account(self, request, code: str) -> Account:
        accounts = Account.objects.all()
        if not has_role(request.user, SUPERVISOR):
            accounts = accounts.filter(owner=request.user)  # another's account is a 404: codes leak nothing
        return get_object_or_404(accounts, code=code)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        return Response(risk_limits_payload(self._account(request, code)))

    @extend_schema(request=RiskLimitsInput, responses=OpenApiTypes.OBJECT)
    def put(self, request, code: str):
        account = self._account(request, code)
        data = RiskLimitsInput(data=request.data)
        data.is_valid(raise_exception=True)
        risk_limits_set(account=account, actor=f"user:{request.user.username}", **data.validated_data)
        return Response(risk_limits_payload(account))


class AccountOutput(serializers.Serializer):
    code = serializers.CharField(help_text="What an order's account field takes")
    name = serializers.CharField()
    owner = serializers.CharField(source="owner.username")


class AccountListApi(APIView):
    """The accounts the caller may trade (a trader's own), or every account for supervisors and analysts."""

    @extend_schema(responses=AccountOutput(many=True))
    def get(self, request):
        return Response(AccountOutput(account_list(user=request.user), many=True).data)


class TokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_from = serializers.CharField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class IssuedTokenOutput(TokenOutput):
    key = serializers.CharField(help_text="Shown this once: only its hash is kept")


class TokenInput(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="What will use it, e.g. the OMS's name")


def _issued(token, key: str) -> dict:
    return {**TokenOutput(token).data, "key": key}


class TokenListCreateApi(APIView):
    """The caller's API tokens (never their keys), and a new one (its key shown once)."""

    @extend_schema(responses=TokenOutput(many=True))
    def get(self, request):
        return Response(TokenOutput(request.user.api_tokens.all(), many=True).data)

    @extend_schema(request=TokenInput, responses={201: IssuedTokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_token_issue(
            user=request.user, name=data.validated_data["name"], actor=f"user:{request.user.username}"
        )
        return Response(_issued(token, key), status=status.HTTP_201_CREATED)


class TokenRotateApi(APIView):
    """A successor with a new key; this token stops working at once."""

    @extend_schema(request=None, responses={201: IssuedTokenOutput})
    def post(self, request, token_id: int):
        token = get_object_or_404(request.user.api_tokens, pk=token_id)
        try:
            successor, key = api_token_rotate(token=token, actor=f"user:{request.user.username}")
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(_issued(successor, key), status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    """Revoke a token: its key authenticates nothing from now on."""

    @extend_schema(request=None, responses={200: TokenOutput})
    def delete(self, request, token_id: int):
        token = get_object_or_404(request.user.api_tokens, pk=token_id)
        return Response(TokenOutput(api_token_revoke(token=token, actor=f"user:{request.user.username}")).data)
