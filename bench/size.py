"""How big a benchmark runs: full for ``make bench``, small for ``make bench-smoke``.

The smoke runs every group end to end at a size that takes seconds, so CI sees an exception
or a broken invariant in any of them; its figures are not measurements and are not compared
with the targets.
"""

from __future__ import annotations

import os

SMOKE = os.environ.get("BENCH_SMOKE") == "1"


def sized(full, smoke):
    """``full`` in a measured run, ``smoke`` in the smoke run."""
    return smoke if SMOKE else full


def invariant(condition: bool, what: str) -> None:
    """A benchmark's own correctness check: a broken one fails the run, figures or not."""
    if not condition:
        raise AssertionError(f"benchmark invariant broken: {what}")
