"""Production settings, CSRF on forms, and exports that never carry a live formula."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from orders.models import Order, Upload, UploadError
from tests.processes import ROOT, process_env

pytestmark = pytest.mark.django_db


def test_production_settings_pass_the_deploy_check_with_no_warning():
    env = process_env(SMARTTRADING_DEBUG="0", SMARTTRADING_SECRET_KEY="k" * 64 + "-not-a-real-secret-just-long")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests set it for this process only

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = process_env(SMARTTRADING_DEBUG="0")
    env.pop("SMARTTRADING_SECRET_KEY", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "SMARTTRADING_SECRET_KEY must be set" in result.stderr


def test_forms_need_the_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["trader1"])

    response = client.post("/orders/", {"client_order_id": "X", "quantity": "100"})

    assert response.status_code == 403


def test_the_upload_error_report_escapes_formula_cells(trader1, users):
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name="o.csv", content=b"x")
    UploadError.objects.create(upload=upload, row=2, column="client_order_id", reason='=HYPERLINK("http://x")')
    UploadError.objects.create(upload=upload, row=3, column="quantity", reason="-2+3")

    response = trader1.get(f"/orders/upload/{upload.pk}/errors.csv")

    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == [
        "row,column,reason,outcome,order",
        '2,client_order_id,"\'=HYPERLINK(""http://x"")",SKIPPED,',
        "3,quantity,'-2+3,SKIPPED,",
    ]


def test_an_order_is_accepted_while_redis_is_down(trader1, monkeypatch, django_capture_on_commit_callbacks):
    """The stream message is best effort; the committed order must not turn into a 500."""
    from smarttrading import streams

    monkeypatch.setattr(settings, "REDIS_URL", "unix:///nonexistent/redis.sock")
    streams._redis.cache_clear()
    try:
        with django_capture_on_commit_callbacks(execute=True) as published:
            response = trader1.post(
                "/api/v1/orders/",
                {
                    "client_order_id": "NO-REDIS",
                    "account": "T1-GROWTH",
                    "instrument": "AAPL",
                    "side": "BUY",
                    "quantity": 100,
                },
                format="json",
            )
    finally:
        streams._redis.cache_clear()

    assert published  # the stream message was attempted, and failed quietly
    assert response.status_code == 201
    assert response.json()["status"] == "PENDING_AGGREGATION"


def test_a_database_that_cannot_take_the_order_now_answers_503_and_saves_nothing(trader1, monkeypatch):
    from django.db import OperationalError

    from orders import apis

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(apis, "order_create", locked)

    response = trader1.post(
        "/api/v1/orders/",
        {"client_order_id": "BUSY-1", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY", "quantity": 100},
        format="json",
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "retry" in response.json()["detail"]
    assert not Order.objects.filter(client_order_id="BUSY-1").exists()
