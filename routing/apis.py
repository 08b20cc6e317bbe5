"""Market data over REST: L1/L2 quotes and the tape's bars with interval VWAP.

Market data is public to every logged-in user; it reads the latest session checkpoint
and bars and changes nothing.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import Instrument

from .selectors import market_bars, market_quote


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
