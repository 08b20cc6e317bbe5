"""Our trading's impact on the fair value: Y·σ·√(F/V) of our recent signed volume F, a share
of each increment permanent, the rest decaying. Methods of ``MarketSimulator``, kept here by
topic: they share its state. Pure Python."""

from __future__ import annotations

import math

from .venues import AUCTION, MAKER, TAKER

SUBTICKS = 100  # fundamental resolution: hundredths of a tick


class Impact:
    """The fair value our trading moves."""

    def fair_value_ticks(self) -> float:
        return (self.fundamental + self.permanent + self.transient) / SUBTICKS

    def _impact(self, side: int, quantity: int, liquidity: str, *, dark: bool = False) -> None:
        """Our trading moves the fair value: permanently, and transiently (decaying)."""
        flow = self.flow
        weights = {TAKER: 1.0, MAKER: flow.maker_impact_weight, AUCTION: flow.maker_impact_weight}
        weight = flow.dark_impact_weight if dark else weights[liquidity]
        before = self._our_flow
        self._our_flow += side * quantity * weight
        sigma_day = flow.volatility_bps_per_min * math.sqrt(390) / 1e4 * self.reference_ticks * SUBTICKS
        level = flow.impact_y * sigma_day / math.sqrt(flow.daily_volume)

        def impact(f: float) -> float:
            return math.copysign(level * math.sqrt(abs(f)), f)

        increment = impact(self._our_flow) - impact(before)
        self.permanent += flow.permanent_impact_share * increment
        self.transient += (1 - flow.permanent_impact_share) * increment
