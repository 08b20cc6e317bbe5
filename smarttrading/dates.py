"""The calendar the product trades in: a date or time outside it is a field error.

A year like 9999 parses, but a day after it, or a time zone shift of it, overflows Python's
``datetime``: bounding what is accepted keeps every date the code computes with in range.
"""

from __future__ import annotations

from datetime import date

from django import forms
from rest_framework import serializers

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
OUT_OF_RANGE = f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _in_range(value: date) -> None:
    if not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(OUT_OF_RANGE)


class TradingDateFormField(forms.DateField):
    default_validators = [_in_range]


class TradingDateField(serializers.DateField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed <= LATEST:
            raise serializers.ValidationError(OUT_OF_RANGE)
        return parsed


class TradingDateTimeField(serializers.DateTimeField):
    """A moment in the calendar: 9999-12-31T23:59:59 is a field error, not an overflow in its time zone."""

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError as exc:
            raise serializers.ValidationError(OUT_OF_RANGE) from exc
        if not EARLIEST <= parsed.date() <= LATEST:
            raise serializers.ValidationError(OUT_OF_RANGE)
        return parsed
