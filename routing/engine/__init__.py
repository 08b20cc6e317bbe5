"""Execution over the simulated market, one step at a time. Pure Python, deterministic.

A step runs the market to its end in short decision intervals. At each decision
point the engine first reads the execution reports that have reached it (fills,
acks, cancels, rejects), updates every parent's progress and the venue scorecard,
then lets each parent's schedule say where it should be and adjusts its children:

- **passive**: a limit order at our side's touch (never through the limit), spread
  over lit venues by the Cont–Kukanov split, replaced when the touch moves away
  (a new price loses queue priority, so it is only done when needed);
- **dark**: with liquidity-seeking routing, a midpoint peg resting in the dark pools,
  sized by their fill probabilities, allowed to run a little ahead of schedule;
- **aggressive**: when the parent is behind by more than its aggressiveness tolerates,
  IOCs that cross the spread (parallel sweep, or one venue at a time).

At every moment filled + open children ≤ the parent's quantity, and every child's
price respects the parent's limit. The state (``ExecutionState``) pickles with the
simulator in the session checkpoint.

``state`` holds what the engine knows and remembers, ``children`` a child order's life
(its status table), ``step`` one step's run and its reports, ``tactics`` how a parent
works its schedule, ``scheduling`` which schedule each algorithm follows.
"""
