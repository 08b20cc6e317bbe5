"""The worker's event loop starts a burst of due execution steps together, not ten a second."""

import time

from kombu.asynchronous import Hub
from kombu.asynchronous.timer import Timer

import smarttrading.celery  # noqa: F401  (the worker's loop is set up where the Celery app is)


def test_a_burst_of_due_steps_fires_ten_a_turn_without_a_seconds_wait_between_turns():
    # given 25 countdowns due now, as 25 sessions' steps are at the same instant of the clock
    fired = []
    hub = Hub(Timer())
    now = time.monotonic()  # the worker's timer runs on the monotonic clock (ETAs are converted to it)
    for n in range(25):
        hub.call_at(now - 0.001, fired.append, n)

    # when the loop turns: kombu fires at most ten timers a turn, then polls for the returned delay
    first_poll_s = hub.fire_timers()
    second_poll_s = hub.fire_timers()

    # then it polls without waiting and fires the next ten at once (kombu's default waits a second)
    assert (len(fired), first_poll_s, second_poll_s) == (20, 0, 0)
    hub.fire_timers()
    assert sorted(fired) == list(range(25))
