"""Dark pools: no displayed quotes; our resting pegs and hidden contra interest cross at the
NBBO midpoint, above the pool's minimum size. Methods of ``MarketSimulator``, kept here by
topic: they share its state. Pure Python."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .book import BUY, DAY, FOK, SELL
from .clock import NS_PER_S
from .messages import ACCEPTED, BACKGROUND, CANCELED, MIDPOINT, OurOrder, Print
from .venues import MAKER, TAKER, VenueSpec


@dataclass(slots=True)
class DarkContra:
    order_id: int
    side: int
    quantity: int
    expires_ns: int


@dataclass(slots=True)
class DarkPool:
    """A pool with no displayed quotes: resting interest crosses at the NBBO midpoint."""

    spec: VenueSpec
    ours: list[OurOrder] = field(default_factory=list)
    contra: list[DarkContra] = field(default_factory=list)


class DarkPools:
    """The dark-pool half of the simulator's gateway."""

    def _dark_arrive(self, rng: random.Random, order: OurOrder, prints: list[Print]) -> None:
        pool = self.pools[order.venue]
        self._report(rng, order, ACCEPTED, leaves=order.quantity)
        self._prune_contra(pool)
        for contra in list(pool.contra):
            if contra.side == order.side:
                continue
            if not self._dark_cross(rng, pool, order, contra, prints, taker=True):
                break
            if not order.quantity:
                return
        if order.tif == DAY:
            order.live = True
            pool.ours.append(order)
        else:
            del self._ours[order.order_id]
            self._report(rng, order, CANCELED, quantity=order.quantity, reason=f"{order.tif} remainder")

    def _dark_cross(
        self, rng: random.Random, pool: DarkPool, ours: OurOrder, contra: DarkContra, prints: list[Print], taker: bool
    ) -> bool:
        """Cross at the NBBO mid if both sides' limits and minimum sizes allow; False if the
        mid is outside our limit (no later contra can help either)."""
        mid = self.mid_ticks_x2()
        if mid is None:
            return False
        if ours.price_half_ticks is not None and (mid - ours.price_half_ticks) * ours.side > 0:
            return False
        quantity = min(ours.quantity, contra.quantity)
        minimum = max(pool.spec.dark.min_fill, ours.min_quantity)
        if quantity < minimum or (ours.tif == FOK and quantity < ours.quantity):
            return True
        contra.quantity -= quantity
        if not contra.quantity:
            pool.contra.remove(contra)
        maker, taker_id = (contra.order_id, ours.order_id) if taker else (ours.order_id, contra.order_id)
        prints.append(
            Print(
                self.clock_ns,
                pool.spec.code,
                mid,
                quantity,
                MIDPOINT,
                BACKGROUND if taker else ours.owner,
                ours.owner if taker else BACKGROUND,
                maker,
                taker_id,
            )
        )
        self._our_fill(rng, ours, quantity, mid, TAKER if taker else MAKER)
        if not ours.quantity and ours in pool.ours:
            pool.ours.remove(ours)
        return True

    def _prune_contra(self, pool: DarkPool) -> None:
        pool.contra = [c for c in pool.contra if c.expires_ns > self.clock_ns]

    def _dark_contra_arrives(self, rng: random.Random, prints: list[Print]) -> None:
        code = rng.choices(self._dark_codes, [self.pools[c].spec.dark.arrivals_share for c in self._dark_codes])[0]
        pool = self.pools[code]
        dark = pool.spec.dark
        if rng.random() < dark.informed_share:
            # Informed contra trades towards the fair value: it buys when the price is
            # about to rise, so whoever sold to it sees the mid move against them.
            mid = self.mid_ticks_x2()
            side = BUY if mid is None or 2 * self.fair_value_ticks() >= mid else SELL
        else:
            side = BUY if rng.random() < 0.5 else SELL
        size = max(dark.min_fill, 100 * round(dark.median_size * math.exp(rng.gauss(0.0, 0.8)) / 100))
        contra = DarkContra(
            self.next_order_id(), side, size, self.clock_ns + int(rng.expovariate(1.0 / dark.lifetime_s) * NS_PER_S)
        )
        self._prune_contra(pool)
        pool.contra.append(contra)
        for ours in list(pool.ours):
            if ours.side == side or not contra.quantity:
                continue
            self._dark_cross(rng, pool, ours, contra, prints, taker=False)
