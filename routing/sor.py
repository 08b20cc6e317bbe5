"""Smart order router. Pure Python (numpy for the sampled split).

- ``plan_sweep``: parallel sweep, one IOC per venue showing liquidity at or better
  than the limit; never more in total than asked (no over-fill).
- ``plan_sequential``: the best-ranked venue that shows liquidity gets one IOC; what
  it does not fill is routed to the next one after its report comes back.
- ``plan_dark``: liquidity seeking, the slice spread over dark pools in proportion to
  their fill probability, each piece at least the pool's minimum fill.
- ``optimal_split``: where to post a passive slice across lit venues, minimising the
  expected cost of Cont & Kukanov (2017) over sampled order outflows.
- ``Scorecard``: per-venue fill rates, fill probabilities by order type, effective
  fees, latency and mark-outs, updated from every report; used for ranking.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

IOC_ORDER = "IOC"
LIMIT_ORDER = "LIMIT"
DARK_ORDER = "MIDPEG"
CLOSE_ORDER = "ON_CLOSE"  # market- or limit-on-close, for the closing auction
OPEN_ORDER = "ON_OPEN"  # market- or limit-on-open, for the opening auction


@dataclass(frozen=True, slots=True)
class VenueQuote:
    venue: str
    price: int  # touch on the side we would take from, in ticks
    quantity: int  # displayed at that price
    taker_fee: Decimal


@dataclass(frozen=True, slots=True)
class Placement:
    venue: str
    quantity: int
    limit: int


def plan_sweep(*, side: int, quantity: int, limit: int | None, quotes: Sequence[VenueQuote]) -> list[Placement]:
    """IOC placements that take displayed liquidity up to ``quantity`` within ``limit``.

    Best price first, then at the same price the cheapest venue to take from (an
    inverted venue pays takers). Never plans more than ``quantity`` in total.
    """
    eligible = [q for q in quotes if q.quantity > 0 and (limit is None or (limit - q.price) * side >= 0)]
    eligible.sort(key=lambda q: (q.price * side, q.taker_fee, q.venue))
    placements: list[Placement] = []
    left = quantity
    for quote in eligible:
        if left <= 0:
            break
        take = min(left, quote.quantity)
        placements.append(Placement(quote.venue, take, quote.price))
        left -= take
    return placements


def plan_sequential(
    *, side: int, quantity: int, limit: int | None, quotes: Sequence[VenueQuote], ranking: Sequence[str]
) -> Placement | None:
    """One IOC to the best-ranked venue whose touch is the best price within the limit."""
    eligible = [q for q in quotes if q.quantity > 0 and (limit is None or (limit - q.price) * side >= 0)]
    if not eligible:
        return None
    best_price = min(q.price * side for q in eligible)
    at_best = {q.venue: q for q in eligible if q.price * side == best_price}
    order = {venue: i for i, venue in enumerate(ranking)}
    venue = min(at_best, key=lambda v: (order.get(v, len(order)), v))
    quote = at_best[venue]
    return Placement(venue, min(quantity, quote.quantity), quote.price)


@dataclass(slots=True)
class VenueStats:
    sent_shares: int = 0
    filled_shares: int = 0
    orders: dict[str, list[int]] = field(default_factory=dict)  # order type -> [done, filled at all]
    fees: Decimal = Decimal(0)
    latency_ns_total: int = 0
    acks: int = 0
    markout_bps_total: float = 0.0  # signed: positive means the price moved our way after the fill
    markouts: int = 0

    def fill_probability(self, order_type: str, prior: float = 0.5, weight: int = 4) -> float:
        """Share of finished orders of that type that filled at all, shrunk towards a prior."""
        done, filled = self.orders.get(order_type, (0, 0))
        return (filled + prior * weight) / (done + weight)

    @property
    def fill_rate(self) -> float:
        return self.filled_shares / self.sent_shares if self.sent_shares else 0.0

    @property
    def fee_per_share(self) -> Decimal | None:
        return self.fees / self.filled_shares if self.filled_shares else None

    @property
    def mean_latency_us(self) -> float | None:
        return self.latency_ns_total / self.acks / 1000 if self.acks else None

    @property
    def mean_markout_bps(self) -> float | None:
        return self.markout_bps_total / self.markouts if self.markouts else None


@dataclass(slots=True)
class Scorecard:
    """Live venue statistics for one instrument, kept in the session checkpoint."""

    venues: dict[str, VenueStats] = field(default_factory=dict)

    def stats(self, venue: str) -> VenueStats:
        found = self.venues.get(venue)
        if found is None:
            found = self.venues[venue] = VenueStats()
        return found

    def order_sent(self, venue: str, quantity: int) -> None:
        self.stats(venue).sent_shares += quantity

    def acknowledged(self, venue: str, latency_ns: int) -> None:
        stats = self.stats(venue)
        stats.latency_ns_total += latency_ns
        stats.acks += 1

    def filled(self, venue: str, quantity: int, fee: Decimal) -> None:
        stats = self.stats(venue)
        stats.filled_shares += quantity
        stats.fees += fee

    def order_done(self, venue: str, order_type: str, filled_any: bool) -> None:
        counts = self.stats(venue).orders.setdefault(order_type, [0, 0])
        counts[0] += 1
        counts[1] += int(filled_any)

    def marked_out(self, venue: str, bps: float) -> None:
        stats = self.stats(venue)
        stats.markout_bps_total += bps
        stats.markouts += 1

    def rank(self, venues: Sequence[str], order_type: str, fee_bps: dict[str, float]) -> list[str]:
        """Cheapest expected cost first: fee minus mark-out (adverse selection costs),
        less a credit for the chance of filling at all."""

        def cost(venue: str) -> tuple[float, str]:
            stats = self.stats(venue)
            markout = stats.mean_markout_bps or 0.0
            return (fee_bps[venue] - markout - 2.0 * stats.fill_probability(order_type), venue)

        return sorted(venues, key=cost)

    def as_rows(self, status: Mapping[str, str] | None = None) -> list[dict]:
        """A row per venue used today, or with a status to show (from the venue status feed)."""
        status = status or {}
        rows = []
        for venue in sorted(set(self.venues) | set(status)):
            s = self.venues.get(venue) or VenueStats()
            rows.append(
                {
                    "venue": venue,
                    "status": status.get(venue, "UP"),
                    "sent": s.sent_shares,
                    "filled": s.filled_shares,
                    "fill_rate": round(s.fill_rate, 4),
                    "fill_probability": {t: round(s.fill_probability(t), 3) for t in sorted(s.orders)},
                    "fee_per_share": None
                    if s.fee_per_share is None
                    else str(s.fee_per_share.quantize(Decimal("0.00001"))),
                    "latency_us": None if s.mean_latency_us is None else round(s.mean_latency_us, 1),
                    "markout_bps": None if s.mean_markout_bps is None else round(s.mean_markout_bps, 2),
                }
            )
        return rows


@dataclass(frozen=True, slots=True)
class DarkPoolInfo:
    venue: str
    min_fill: int


def plan_dark(
    *, quantity: int, lot_size: int, pools: Sequence[DarkPoolInfo], scorecard: Scorecard
) -> list[tuple[str, int]]:
    """Spread a dark slice over the pools by fill probability, cheapest mark-outs kept.

    A pool whose share would fall under its minimum fill gets nothing; pieces are whole lots.
    """
    weights = {}
    for pool in pools:
        stats = scorecard.stats(pool.venue)
        toxicity = max(0.0, -(stats.mean_markout_bps or 0.0))
        weights[pool.venue] = stats.fill_probability(DARK_ORDER) / (1.0 + toxicity / 5.0)
    plan: list[tuple[str, int]] = []
    left = quantity
    for pool in sorted(pools, key=lambda p: (-weights[p.venue], p.venue)):
        share = sum(weights[p.venue] for p in pools if p.venue not in {v for v, _ in plan})
        piece = quantity if share <= 0 else int(quantity * weights[pool.venue] / share) // lot_size * lot_size
        piece = min(left, max(piece, pool.min_fill))
        if piece >= pool.min_fill and piece > 0:
            plan.append((pool.venue, piece))
            left -= piece
        if left <= 0:
            break
    return plan


@dataclass(frozen=True, slots=True)
class QueueOption:
    """A lit venue where a passive slice could rest."""

    venue: str
    queue: int  # shares already displayed at our price: ahead of us
    rebate: float  # per share, in ticks (maker fee with the sign flipped)
    expected_outflow: float  # shares expected to trade at that price over the horizon


@dataclass(frozen=True, slots=True)
class Split:
    market: int  # shares to take now
    limits: dict[str, int]  # venue -> shares to post


def optimal_split(
    *,
    quantity: int,
    lot_size: int,
    half_spread: float,
    taker_fee: float,
    options: Sequence[QueueOption],
    under_penalty: float,
    over_penalty: float,
    rng: random.Random,
    samples: int = 400,
) -> Split:
    """Cont & Kukanov's optimal order placement by sample-average approximation.

    Cost of a split X = (M, L_1..L_K) for outflows ξ (prices in ticks per share):
        (h + f)·M − Σ (h + r_k)·min(L_k, (ξ_k − Q_k)⁺) + λ_u·(S − A)⁺ + λ_o·(A − S)⁺,
    with A = M + Σ min(L_k, (ξ_k − Q_k)⁺) the shares executed. The expected cost is
    convex in X; we add lots greedily to whichever of M or L_k lowers it most.
    Outflows are exponential around their expectation, which gives the heavy
    right tail of real queue depletion.
    """
    if quantity <= 0:
        return Split(0, {})
    draws = np.random.default_rng(rng.getrandbits(64))
    outflow = (
        np.stack([draws.exponential(max(o.expected_outflow, 1e-9), samples) for o in options]) if options else None
    )
    fills_room = np.maximum(outflow - np.array([[o.queue] for o in options], dtype=float), 0.0) if options else None
    credit = np.array([half_spread + o.rebate for o in options])
    allocation = np.zeros(len(options))
    market = 0

    def expected_cost(m: int, limits: np.ndarray) -> float:
        filled = np.minimum(limits[:, None], fills_room) if options else np.zeros((0, samples))
        executed = m + filled.sum(axis=0)
        cost = (half_spread + taker_fee) * m - (credit[:, None] * filled).sum(axis=0)
        cost = (
            cost
            + under_penalty * np.maximum(quantity - executed, 0)
            + over_penalty * np.maximum(executed - quantity, 0)
        )
        return float(cost.mean())

    best = expected_cost(market, allocation)
    while market + allocation.sum() < quantity * 2:
        candidates = [(expected_cost(market + lot_size, allocation), -1)]
        for k in range(len(options)):
            trial = allocation.copy()
            trial[k] += lot_size
            candidates.append((expected_cost(market, trial), k))
        cost, choice = min(candidates)
        if cost >= best - 1e-12:
            break
        best = cost
        if choice < 0:
            market += lot_size
        else:
            allocation[choice] += lot_size
    return Split(market, {o.venue: int(a) for o, a in zip(options, allocation, strict=True) if a > 0})
