"""A live stack for the browser: Daphne, a market worker and a reports worker as real processes
on the test database."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from bench.stack import free_port, wait_for_http, web_server_command
from tests.processes import process_env, start_worker, stop

# Playwright's sync API runs an event loop in the test thread; the test's own ORM reads
# (setting up and checking state) are still plain synchronous code, as Django's docs allow.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def live_stack(transactional_db, demo, redis_server):
    """Base URL of a running product: uvicorn (HTTP + websockets) and the workers on the test DB."""
    # The stack's processes know only the production hashers.
    for user in User.objects.all():
        user.password = make_password(settings.DEMO_PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
    port = free_port()
    env = process_env(SMARTTRADING_SIM_SPEED="30")
    log = open(Path(settings.VAR_DIR) / "live-stack.log", "w")  # noqa: SIM115
    processes = [
        subprocess.Popen(
            web_server_command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        start_worker(log, SMARTTRADING_SIM_SPEED="30"),
        start_worker(log, name="reports", queues="reports"),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/accounts/login/")
        yield base
    finally:
        stop(processes)
        log.close()
        redis_server.flushdb()  # no step of this stack's sessions is left for later workers


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


# Console errors a page logged because the Content-Security-Policy refused something of ours.
CSP_VIOLATIONS: list[str] = []


@pytest.fixture(autouse=True)
def no_csp_violation():
    """Every page the test opened ran under the product's CSP without a refused script or style."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


def _watch_csp(message) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(message.text)


def login(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.on("console", _watch_csp)
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page
