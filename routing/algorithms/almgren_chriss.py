"""Almgren & Chriss (2000) optimal execution, the discrete-time model. Pure Python.

Selling (or buying) ``shares`` over ``horizon`` in ``periods`` equal intervals of
length τ, with linear permanent impact γ, temporary impact ε·sgn(n) + η·n/τ and
volatility σ, the trajectory minimising E[cost] + λ·Var[cost] is

    x_j = X · sinh(κ(T − t_j)) / sinh(κT),     t_j = jτ,

where η̃ = η − γτ/2, κ̃² = λσ²/η̃ and κ solves cosh(κτ) = 1 + κ̃²τ²/2 (the discrete
model's κ, not the continuous limit κ̃). λ = 0 gives the straight line (TWAP).

    E = ½γX² + ε·Σ|n_k| + (η̃/τ)·Σ n_k²,    V = σ²·τ·Σ_{k=1..N} x_k².
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Trajectory:
    holdings: tuple[float, ...]  # x_0 = shares … x_N = 0
    trades: tuple[float, ...]  # n_k = x_{k−1} − x_k
    expected_cost: float
    variance: float
    kappa: float


def optimal_trajectory(
    *,
    shares: float,
    horizon: float,
    periods: int,
    sigma: float,
    eta: float,
    gamma: float,
    epsilon: float,
    risk_aversion: float,
) -> Trajectory:
    if periods < 1:
        raise ValueError("periods must be at least 1")
    if horizon <= 0:
        raise ValueError("horizon must be positive")
    if risk_aversion < 0:
        raise ValueError("risk aversion cannot be negative")
    tau = horizon / periods
    eta_tilde = eta - gamma * tau / 2
    if eta_tilde <= 0:
        raise ValueError("η − γτ/2 must be positive: use more periods or a smaller permanent impact")
    kappa_tilde_sq = risk_aversion * sigma**2 / eta_tilde
    kappa = math.acosh(1 + kappa_tilde_sq * tau**2 / 2) / tau
    holdings = holdings_for(shares=shares, horizon=horizon, periods=periods, kappa=kappa)
    trades = [holdings[k - 1] - holdings[k] for k in range(1, periods + 1)]
    expected_cost = (
        0.5 * gamma * shares**2 + epsilon * sum(abs(n) for n in trades) + eta_tilde / tau * sum(n * n for n in trades)
    )
    variance = sigma**2 * tau * sum(x * x for x in holdings[1:])
    return Trajectory(tuple(holdings), tuple(trades), expected_cost, variance, kappa)


def holdings_for(*, shares: float, horizon: float, periods: int, kappa: float) -> list[float]:
    """x_j = X·sinh(κ(T − t_j))/sinh(κT) on the grid t_j = jτ: the trajectory's shape depends
    on κ alone (the straight line when κT is nil), whatever the costs and risk behind it."""
    if periods < 1 or horizon <= 0 or kappa < 0:
        raise ValueError("a trajectory needs periods ≥ 1, a positive horizon and κ ≥ 0")
    tau = horizon / periods
    if kappa * horizon < 1e-9:
        holdings = [shares * (1 - j / periods) for j in range(periods + 1)]
    else:
        # sinh(κ(T−t))/sinh(κT) written with decaying exponentials, so a large κT cannot overflow
        denominator = -math.expm1(-2 * kappa * horizon)
        holdings = [
            shares * math.exp(-kappa * j * tau) * -math.expm1(-2 * kappa * (horizon - j * tau)) / denominator
            for j in range(periods + 1)
        ]
    holdings[-1] = 0.0
    return holdings


def risk_aversion_for_urgency(*, urgency: float, horizon: float, periods: int, sigma: float, eta: float, gamma: float):
    """The λ whose discrete κ makes κT equal ``urgency`` (0 = TWAP; 5 ≈ most done early)."""
    tau = horizon / periods
    eta_tilde = eta - gamma * tau / 2
    kappa = urgency / horizon
    kappa_tilde_sq = 2 * (math.cosh(kappa * tau) - 1) / tau**2
    return kappa_tilde_sq * eta_tilde / sigma**2
