"""Simulated desk users for ``bench load``: traders submitting and reading orders over the
REST API with their tokens (run headless by bench/load.py, never imported by the product)."""

from __future__ import annotations

import itertools
import os
import random

from locust import HttpUser, between, task

TOKENS = os.environ["LOAD_TOKENS"].split(",")
SYMBOLS = ("AAPL", "MSFT", "XOM")
_numbers = itertools.count()


class Trader(HttpUser):
    # A person at a blotter acts every few seconds; LOAD_PACE_S="1,1" is a far busier desk.
    wait_time = between(*(float(s) for s in os.environ.get("LOAD_PACE_S", "2,8").split(",")))

    def on_start(self):
        number = next(_numbers)
        self.token = TOKENS[number % len(TOKENS)]
        self.account = f"LOAD-{number % len(TOKENS)}"
        self.prefix = f"L{os.getpid()}-{number}"
        self.sent = 0
        self.client.headers.update({"Authorization": f"Token {self.token}"})

    @task(3)
    def submit_order(self):
        self.sent += 1
        self.client.post(
            "/api/v1/orders/",
            json={
                "client_order_id": f"{self.prefix}-{self.sent}",
                "account": self.account,
                "instrument": random.choice(SYMBOLS),
                "side": random.choice(("BUY", "SELL")),
                "quantity": 100 * random.randint(1, 10),
                "urgency": random.choice(("LOW", "MEDIUM", "HIGH")),
            },
            name="POST /api/v1/orders/",
        )

    @task(4)
    def read_blotter(self):
        self.client.get("/api/v1/orders/", name="GET /api/v1/orders/")

    @task(2)
    def read_parents(self):
        self.client.get("/api/v1/parents/", name="GET /api/v1/parents/")

    @task(1)
    def read_quote(self):
        self.client.get(f"/api/v1/instruments/{random.choice(SYMBOLS)}/quote/", name="GET quote")
