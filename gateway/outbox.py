"""How far one session has read the execution reports, kept in memory by the gateway's pump.

Reports are read in id order past ``read_to``: a range on the primary key, so a round costs
what is new, never what the day already holds. An id the read skipped is a hole: a writer
took it and has not committed yet (PostgreSQL hands out ids before commit; SQLite's single
writer never leaves one) or rolled back. A hole is looked for again every round until it is
``settled_s`` old; then it never will commit (no transaction here lasts that long).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReportCursor:
    read_to: int  # every id up to here has been read, or is a hole
    settled_s: float
    holes: dict[int, float] = field(default_factory=dict)  # id -> when first missed (monotonic s)

    def read(self, ids: list[int], *, holes_found: list[int], now: float) -> None:
        """After a round's read (and the send of what it held): ``ids`` read past ``read_to``,
        in order, and ``holes_found``, the holes looked for that are there now."""
        assert ids == sorted(ids) and all(i > self.read_to for i in ids), "reads come in id order"
        for hole in holes_found:
            self.holes.pop(hole, None)
        expected = self.read_to + 1
        for report_id in ids:
            for missing in range(expected, report_id):
                self.holes.setdefault(missing, now)
            expected = report_id + 1
        if ids:
            self.read_to = ids[-1]
        for hole, since in list(self.holes.items()):
            if now - since >= self.settled_s:
                del self.holes[hole]

    def hole_ranges(self) -> list[tuple[int, int]]:
        """The holes as inclusive ranges of consecutive ids: a rolled-back batch is one range."""
        ranges: list[tuple[int, int]] = []
        for hole in sorted(self.holes):
            if ranges and ranges[-1][1] == hole - 1:
                ranges[-1] = (ranges[-1][0], hole)
            else:
                ranges.append((hole, hole))
        return ranges

    @property
    def durable(self) -> int:
        """The id to store as the session's cursor: below every hole still awaited, so a
        restart reads them again."""
        return min(self.holes, default=self.read_to + 1) - 1
