"""What a parent's urgency means for its algorithm. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class UrgencyParameters:
    kappa_t: float  # Implementation Shortfall: Almgren–Chriss κT (0 is TWAP; higher front-loads)
    max_participation: Decimal  # share of all volume, own included
    aggressiveness: Decimal  # 0 waits at the touch; 1 crosses the spread as soon as behind


FOR_URGENCY = {
    "LOW": UrgencyParameters(0.5, Decimal("0.10"), Decimal("0.20")),
    "MEDIUM": UrgencyParameters(2.0, Decimal("0.20"), Decimal("0.50")),
    "HIGH": UrgencyParameters(6.0, Decimal("0.35"), Decimal("0.85")),
}
