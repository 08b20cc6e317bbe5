"""The gateway's report cursor against writers that take ids and commit them late, out of
order, or never (PostgreSQL's sequences): every committed report is read exactly once, and
the cursor a restart starts from is below every report not read yet."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gateway.outbox import ReportCursor

SETTLED_S = 30.0


class ConcurrentWriters(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = 0.0
        self.next_id = 1
        self.in_flight: dict[int, float] = {}  # id -> when taken
        self.committed: set[int] = set()
        self.rolled_back: set[int] = set()
        self.read_once: list[int] = []
        self.cursor = ReportCursor(read_to=0, settled_s=SETTLED_S)

    @rule(count=st.integers(1, 20))
    def writer_takes_ids(self, count):
        for _ in range(count):
            self.in_flight[self.next_id] = self.now
            self.next_id += 1

    @precondition(lambda self: self.in_flight)
    @rule(data=st.data(), commit=st.booleans())
    def writer_ends(self, data, commit):
        ids = sorted(self.in_flight)
        first = data.draw(st.sampled_from(ids))
        batch = [i for i in ids if first <= i < first + data.draw(st.integers(1, 10))]  # one transaction's rows
        for report_id in batch:
            del self.in_flight[report_id]
            (self.committed if commit else self.rolled_back).add(report_id)

    @rule(seconds=st.floats(0.001, 5.0))
    def time_passes(self, seconds):
        # No transaction outlives SETTLED_S: one that would is ended (committed) before.
        for report_id, taken in list(self.in_flight.items()):
            if self.now + seconds - taken >= SETTLED_S * 0.9:
                del self.in_flight[report_id]
                self.committed.add(report_id)
        self.now += seconds

    @rule(limit=st.integers(1, 50))
    def pump_reads(self, limit):
        past = sorted(i for i in self.committed if i > self.cursor.read_to)[:limit]
        in_holes = sorted(
            i
            for i in self.committed
            if any(a <= i <= b for a, b in self.cursor.hole_ranges()) and i <= self.cursor.read_to
        )
        self.read_once.extend(past + in_holes)
        self.cursor.read(past, holes_found=in_holes, now=self.now)

    @invariant()
    def nothing_is_read_twice(self):
        assert len(self.read_once) == len(set(self.read_once))

    @invariant()
    def what_is_behind_the_cursor_is_read_or_awaited(self):
        behind = {i for i in self.committed if i <= self.cursor.read_to}
        assert behind <= set(self.read_once) | set(self.cursor.holes)
        assert set(self.in_flight) & set(range(1, self.cursor.read_to + 1)) <= set(self.cursor.holes)

    @invariant()
    def a_restart_reads_again_all_that_is_not_read(self):
        unread = (self.committed - set(self.read_once)) | set(self.in_flight)
        assert self.cursor.durable < min(unread, default=self.cursor.durable + 1)


ConcurrentWriters.TestCase.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
TestReportCursor = ConcurrentWriters.TestCase


def test_a_rolled_back_batch_is_one_range_and_is_forgotten_once_settled():
    # Given a read that skipped ids 3-5 and 8
    cursor = ReportCursor(read_to=0, settled_s=SETTLED_S)
    cursor.read([1, 2, 6, 7, 9], holes_found=[], now=0.0)
    # Then they are looked for as two ranges, and the cursor to store stays below them
    assert cursor.hole_ranges() == [(3, 5), (8, 8)]
    assert cursor.durable == 2
    # When 4 commits and the rest never does
    cursor.read([10], holes_found=[4], now=1.0)
    assert cursor.hole_ranges() == [(3, 3), (5, 5), (8, 8)]
    cursor.read([], holes_found=[], now=SETTLED_S)
    # Then nothing is awaited any more
    assert cursor.hole_ranges() == []
    assert cursor.durable == 10
