"""What a trader may choose per order beyond urgency: the execution window, the participation
cap, how aggressively to catch up, and venues to avoid. Pure Python.

Times are exchange (New York) times of the trading day, as a desk states them ("start 10:30,
done by 15:00"). A choice left out takes its urgency's default. Orders aggregate only with
orders that chose the same (the source description's "similar strategic intent"), so the
instructions are part of a parent's key and the parent runs with exactly them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from .values import PriceError, parse_decimal

OPEN = time(9, 30)
CLOSE = time(16, 0)
MIN_PARTICIPATION, MAX_PARTICIPATION = Decimal("0.01"), Decimal("0.50")
COLUMNS = ("start_time", "end_time", "max_participation", "aggressiveness", "exclude_venues")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Instructions:
    start_time: time | None = None  # not before (exchange time); None: as soon as aggregated
    end_time: time | None = None  # done by; None: the urgency's horizon from the start
    max_participation: Decimal | None = None  # share of all volume, own included, 0.01-0.50
    aggressiveness: Decimal | None = None  # 0 waits at the touch ... 1 crosses as soon as behind
    exclude_venues: tuple[str, ...] = ()  # venue codes never to send to, sorted

    def as_json(self) -> dict:
        """Stored on orders and parents; only what was chosen, so {} means urgency defaults."""
        chosen = {
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
            "end_time": None if self.end_time is None else self.end_time.isoformat(),
            "max_participation": None if self.max_participation is None else str(self.max_participation),
            "aggressiveness": None if self.aggressiveness is None else str(self.aggressiveness),
            "exclude_venues": list(self.exclude_venues) or None,
        }
        return {k: v for k, v in chosen.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping | None) -> Instructions:
        data = data or {}

        def optional(key, parse):
            return None if data.get(key) is None else parse(data[key])

        return cls(
            start_time=optional("start_time", time.fromisoformat),
            end_time=optional("end_time", time.fromisoformat),
            max_participation=optional("max_participation", Decimal),
            aggressiveness=optional("aggressiveness", Decimal),
            exclude_venues=tuple(data.get("exclude_venues") or ()),
        )


NONE_CHOSEN = Instructions()  # urgency decides everything


@dataclass(frozen=True, slots=True)
class VenueSet:
    """The venues an order may name: each code's kind, so an exclusion can't leave no lit venue."""

    lit: frozenset[str]
    dark: frozenset[str]


def parse_instructions(row: Mapping[str, object], *, venues: VenueSet) -> Instructions | list[tuple[str, str]]:
    """The row's instructions, or a ``(column, reason)`` for every bad one."""
    errors: list[tuple[str, str]] = []

    def add(column: str, reason: str) -> None:
        errors.append((column, reason))

    start = _time(row.get("start_time"), "start_time", add)
    end = _time(row.get("end_time"), "end_time", add)
    if end is not None and end <= OPEN:
        add("end_time", f"must be after the open ({OPEN:%H:%M})")
    elif end is not None and end > CLOSE:
        add("end_time", f"is past the close ({CLOSE:%H:%M})")
    if start is not None and start >= CLOSE:
        add("start_time", f"must be before the close ({CLOSE:%H:%M})")
    elif start is not None and end is not None and end <= start:
        add("end_time", f"must be after the start time {start:%H:%M:%S}")

    participation = _fraction(row.get("max_participation"), "max_participation", add)
    if participation is not None and not MIN_PARTICIPATION <= participation <= MAX_PARTICIPATION:
        add("max_participation", "must be between 1% and 50% (0.01 to 0.50)")
    aggressiveness = _fraction(row.get("aggressiveness"), "aggressiveness", add)
    if aggressiveness is not None and not 0 <= aggressiveness <= 1:
        add("aggressiveness", "must be between 0 (patient) and 1 (crosses as soon as behind)")

    excluded = _venues(row.get("exclude_venues"), venues, add)
    if errors:
        return errors
    return Instructions(start, end, participation, aggressiveness, excluded)


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _time(raw, column: str, add) -> time | None:
    if _blank(raw):
        return None
    match = _TIME.match(str(raw).strip())
    if match is None:
        add(column, "must be an exchange time HH:MM or HH:MM:SS (New York)")
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        add(column, f"{raw} is not a time of day")
        return None
    return time(hour, minute, second)


def _fraction(raw, column: str, add) -> Decimal | None:
    if _blank(raw) or isinstance(raw, bool):
        if isinstance(raw, bool):
            add(column, "must be a number")
        return None
    text = str(raw).strip()
    percent = text.endswith("%")
    try:
        value = parse_decimal(text.removesuffix("%").strip())
    except (PriceError, TypeError) as exc:
        add(column, str(exc))
        return None
    value = value / 100 if percent else value
    return value.quantize(Decimal("0.0001"))  # parse_decimal bounds the digits, so this cannot overflow


def _venues(raw, venues: VenueSet, add) -> tuple[str, ...]:
    if _blank(raw):
        return ()
    codes = raw if isinstance(raw, list | tuple) else str(raw).replace(";", " ").replace(",", " ").split()
    chosen = sorted({str(code).strip().upper() for code in codes if str(code).strip()})
    unknown = [code for code in chosen if code not in venues.lit | venues.dark]
    if unknown:
        add("exclude_venues", f"unknown venue {', '.join(unknown)}; the venues are {_names(venues)}")
        return ()
    if venues.lit and venues.lit <= set(chosen):
        add("exclude_venues", "leaves no lit venue to trade on")
        return ()
    return tuple(chosen)


def _names(venues: VenueSet) -> str:
    return ", ".join(sorted(venues.lit | venues.dark))
