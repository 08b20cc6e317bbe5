"""The intraday volume profile VWAP follows, built from the simulator's own days and cached."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache

from django.conf import settings

from .algorithms.schedules import VolumeProfile, profile_from_volumes
from .market.clock import CLOSE_NS, OPEN_NS
from .market.flow import FlowParameters
from .market.profile import PROFILE_BINS, simulated_day_volumes
from .market.venues import DEFAULT_VENUES


@cache
def volume_profile() -> VolumeProfile:
    """The intraday volume profile VWAP follows, from the simulator's own days.

    Simulating days takes seconds, so the profile is kept in a file under VAR_DIR,
    keyed by everything it depends on, and computed once per machine.
    """
    days = settings.SIM_PROFILE_DAYS
    digest = hashlib.sha256(repr((DEFAULT_VENUES, FlowParameters(), PROFILE_BINS, days)).encode()).hexdigest()[:12]
    path = settings.VAR_DIR / f"volume-profile-{digest}.json"
    if path.exists():
        volumes = json.loads(path.read_text())
    else:
        volumes = [
            simulated_day_volumes(
                venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, seed=900 + day
            )
            for day in range(days)
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two workers may build it at once
        tmp.write_text(json.dumps(volumes))
        tmp.replace(path)
    return profile_from_volumes(OPEN_NS, CLOSE_NS, volumes)
