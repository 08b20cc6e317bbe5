"""The product's own web server (``smarttrading.serve``, as the Procfile runs it) at its edges:
bodies too large are refused before they are read, the login lockout cannot be walked past
with a forged address, every page carries the CSP, and an error page shows no internals."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from bench.stack import free_port, wait_for_http, web_server_command
from smarttrading.csp import POLICY
from tests.processes import ROOT, process_env, stop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(demo):
    for user in User.objects.all():  # the server process knows only the production hashers
        user.password = make_password(settings.DEMO_PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
    port = free_port()
    log = open(Path(settings.VAR_DIR) / "server-edges.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        web_server_command(port), cwd=ROOT, env=process_env(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/accounts/login/")
        yield port
    finally:
        stop([process])
        log.close()


def raw_request(port: int, head: bytes, body: bytes = b"", timeout_s: float = 5.0) -> tuple[int, bytes, float]:
    """Send ``head`` and ``body`` as they are; the status, the response and how long it took."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as connection:
        connection.sendall(head + body)
        response = b""
        while b"\r\n\r\n" not in response or len(response) < response.index(b"\r\n\r\n") + 4 + _length(response):
            chunk = connection.recv(65536)
            if not chunk:
                break
            response += chunk
    return int(response.split(b" ", 2)[1]), response, time.perf_counter() - started


def _length(response: bytes) -> int:
    found = re.search(rb"content-length: (\d+)", response, re.IGNORECASE)
    return int(found[1]) if found else 0


def test_a_body_declaring_a_gigabyte_is_answered_413_at_once_without_waiting_for_it(server):
    head = (
        b"POST /api/v1/orders/bulk/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )

    status, response, elapsed = raw_request(server, head, b"[1, 2]")

    assert status == 413
    assert b'{"detail": "The request body must be at most 21 MB; nothing was read or saved."}' in response
    assert elapsed < 1.0


def test_a_body_longer_than_it_declared_is_cut_off_at_the_limit(server):
    """A chunked body has no length to check first: it is counted as it arrives."""
    chunk = b"x" * (1024 * 1024)
    head = (
        b"POST /orders/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(22)) + b"0\r\n\r\n"

    status, response, _ = raw_request(server, head, body)

    assert status == 413
    assert b"The request body must be at most 21 MB" in response
    assert b'<a href="/orders/upload/">Back</a>' in response


def test_a_forged_x_forwarded_for_does_not_reset_the_login_lockout(server):
    def log_in(password: str, address: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        connection.request("GET", "/accounts/login/")
        page = connection.getresponse()
        cookie = page.getheader("Set-Cookie").split(";")[0]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())[1].decode()
        form = f"csrfmiddlewaretoken={token}&username=trader1&password={password}"
        connection.request(
            "POST",
            "/accounts/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": address,
                "Referer": f"http://127.0.0.1:{server}/accounts/login/",
            },
        )
        answer = connection.getresponse()
        answer.read()
        return answer.status

    wrong = [log_in("wrong-password", f"203.0.113.{i}") for i in range(settings.AXES_FAILURE_LIMIT)]
    right_from_a_new_address = log_in(settings.DEMO_PASSWORD, "198.51.100.7")

    assert wrong[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again, with its error
    assert wrong[-1] == 429  # locked out
    assert right_from_a_new_address == 429  # the username stays locked, whatever address it claims


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/no/such/page/"])
def test_every_page_carries_the_content_security_policy(server, path):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()

    assert response.getheader("Content-Security-Policy") == POLICY
    assert b"<script>" not in body  # no inline script for the policy to refuse
    assert b"Django" not in body and b"urlpatterns" not in body.lower()  # no debug page
