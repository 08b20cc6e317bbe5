"""Every intake channel: bulk API, CSV/XLSX upload (service and real worker), idempotency."""

from __future__ import annotations

import asyncio
import io

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from orders.domain.intake import COLUMNS
from orders.models import AuditEvent, Order, OrderStatus, Source, Upload, UploadError
from orders.services.uploads import upload_process
from smarttrading.asgi import application
from tests.integration.test_thin_path import session_cookie_headers, worker  # noqa: F401

HEADER = "client_order_id,instrument,side,quantity,limit_price,strategy,urgency,account\n"


def order(i, **changes):
    return {
        "client_order_id": f"B-{i}",
        "account": "T1-GROWTH",
        "instrument": "AAPL",
        "side": "BUY",
        "quantity": 100,
        **changes,
    }


@pytest.mark.django_db
class TestBulkApi:
    def test_good_orders_are_created_and_bad_ones_reported_by_index(self, trader1):
        # given three orders, the second with a bad side and a limit off the tick
        payload = [order(1), order(2, side="HOLD", limit_price="190.001"), order(3, urgency="HIGH")]
        # when posted as a bare list
        response = trader1.post("/api/v1/orders/bulk/", payload, format="json")
        # then the good ones exist and the bad one names its fields
        assert response.status_code == 201
        body = response.json()
        assert (body["created"], body["duplicates"], body["rejected"], body["invalid"]) == (2, 0, 0, 1)
        assert [r["status"] for r in body["results"]] == ["CREATED", "INVALID", "CREATED"]
        assert body["results"][1]["errors"] == {
            "side": ["must be BUY or SELL"],
            "limit_price": ["price 190.001 is not a multiple of the tick 0.01"],
        }
        created = Order.objects.get(client_order_id="B-3")
        assert (created.source, created.status, created.strategy) == (Source.API, OrderStatus.PENDING_AGGREGATION, "IS")

    def test_all_or_nothing_creates_nothing_when_one_order_is_bad(self, trader1):
        payload = {"mode": "ALL_OR_NOTHING", "orders": [order(1), order(2, quantity=0)]}
        response = trader1.post("/api/v1/orders/bulk/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["results"] == [
            {
                "index": 1,
                "status": "INVALID",
                "id": None,
                "client_order_id": "B-2",
                "order_status": None,
                "reject_reason": None,
                "errors": {"quantity": ["must be a positive whole number of shares"]},
            }
        ]
        assert not Order.objects.exists()

    def test_repeats_return_the_original_within_a_request_and_across_channels(self, trader1):
        first = trader1.post("/api/v1/orders/", order(7, quantity=300), format="json").json()
        response = trader1.post("/api/v1/orders/bulk/", [order(7, quantity=300), order(8), order(8)], format="json")
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["DUPLICATE", "CREATED", "DUPLICATE"]
        assert results[0]["id"] == first["id"]
        assert results[1]["id"] == results[2]["id"]
        assert Order.objects.count() == 2

    def test_a_limit_outside_the_collar_is_stored_rejected_with_its_reason(self, trader1):
        body = trader1.post("/api/v1/orders/bulk/", [order(1, limit_price="400.00")], format="json").json()
        assert body["rejected"] == 1
        rejected = Order.objects.get(pk=body["results"][0]["id"])
        assert rejected.status == OrderStatus.REJECTED
        assert rejected.reject_reason == "limit 400.00 is outside the 20% price collar around the reference 190.00"
        assert AuditEvent.objects.get(order=rejected).kind == "order.rejected"

    @pytest.mark.parametrize(
        ("payload", "field"),
        [({"orders": []}, "orders"), ({"orders": "x"}, "orders"), ({"mode": "SOME", "orders": [order(1)]}, "mode")],
    )
    def test_a_malformed_envelope_is_a_400_with_field_errors(self, trader1, payload, field):
        response = trader1.post("/api/v1/orders/bulk/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()

    def test_more_than_ten_thousand_is_refused(self, trader1):
        response = trader1.post("/api/v1/orders/bulk/", [order(i) for i in range(10_001)], format="json")
        assert response.status_code == 400
        assert "orders" in response.json()

    def test_only_traders_submit(self, supervisor, analyst):
        for client in (supervisor, analyst):
            assert client.post("/api/v1/orders/bulk/", [order(1)], format="json").status_code == 403


def make_upload(user, text: str | bytes, mode=Upload.Mode.ACCEPT_VALID, name="orders.csv") -> Upload:
    content = text.encode() if isinstance(text, str) else text
    return Upload.objects.create(uploaded_by=user, file_name=name, content=content, mode=mode)


CSV_WITH_ERRORS = (
    HEADER
    + "U-1,AAPL,BUY,100,,,,T1-GROWTH\n"
    + "U-2,AAPL,BUY,abc,,,,T1-GROWTH\n"
    + "\n"
    + "U-3,NOPE,SELL,100,,,,T1-GROWTH\n"
    + "U-1,AAPL,BUY,100,,,,T1-GROWTH\n"
    + "U-4,MSFT,SELL,50,410.00,POV,,T1-INCOME\n"
)


@pytest.mark.django_db
class TestUploadService:
    def test_accept_valid_keeps_good_rows_and_reports_bad_ones_by_row_and_column(self, users):
        upload = make_upload(users["trader1"], CSV_WITH_ERRORS)
        upload = upload_process(upload_id=upload.pk)
        assert upload.status == Upload.Status.DONE
        assert (upload.total_rows, upload.accepted, upload.duplicates, upload.error_rows) == (5, 2, 1, 2)
        # the blank line 4 is skipped but keeps its number, as a spreadsheet shows it
        assert list(UploadError.objects.values_list("row", "column", "reason")) == [
            (3, "quantity", "not a number: 'abc'"),
            (5, "instrument", "unknown instrument NOPE"),
        ]
        assert set(Order.objects.values_list("client_order_id", "source")) == {("U-1", "UPLOAD"), ("U-4", "UPLOAD")}
        assert upload.message == (
            "2 orders accepted; 1 already known (client_order_id repeats); 2 rows with errors skipped"
        )

    def test_a_row_the_price_collar_refuses_is_in_the_error_report_with_the_order_it_became(self, users, client):
        # given: a file whose second order's limit is far outside AAPL's 20% collar around 190.00
        text = HEADER + "C-1,AAPL,BUY,100,,,,T1-GROWTH\nC-2,AAPL,BUY,100,400.00,,,T1-GROWTH\n"

        # when: it is processed
        upload = upload_process(upload_id=make_upload(users["trader1"], text).pk)

        # then: the row is a REJECTED order, and the report names its row, column and reason
        rejected = Order.objects.get(client_order_id="C-2")
        assert rejected.status == OrderStatus.REJECTED
        assert (upload.accepted, upload.rejected, upload.error_rows) == (1, 1, 0)
        reason = "limit 400.00 is outside the 20% price collar around the reference 190.00"
        assert list(UploadError.objects.values_list("row", "column", "reason", "outcome", "order")) == [
            (3, "limit_price", reason, "REJECTED", rejected.pk)
        ]
        assert upload.message == "1 orders accepted; 1 rejected by pre-trade risk checks"
        client.force_login(users["trader1"])
        report = b"".join(client.get(f"/orders/upload/{upload.pk}/errors.csv").streaming_content).decode()
        assert report.splitlines() == [
            "row,column,reason,outcome,order",
            f"3,limit_price,{reason},REJECTED,{rejected.pk}",
        ]
        page = client.get(f"/orders/upload/{upload.pk}/").content.decode()
        assert f"rejected as order {rejected.pk}" in page and "Every row was valid" not in page

    def test_the_downloadable_template_is_a_valid_order_file_with_every_column(self, users, client):
        # given: the template the upload page offers
        client.force_login(users["trader1"])
        response = client.get("/orders/upload/template.csv")
        assert response["Content-Disposition"] == 'attachment; filename="orders-template.csv"'
        header = response.content.decode().splitlines()[0]
        assert header.split(",") == list(COLUMNS)

        # when: it is uploaded as it is
        upload = upload_process(upload_id=make_upload(users["trader1"], response.content).pk)

        # then: both example orders are accepted, one of them with its own window and venues
        assert (upload.accepted, upload.rejected, upload.error_rows) == (2, 0, 0)
        assert Order.objects.get(client_order_id="ORD-0002").instructions == {
            "start_time": "10:00:00",
            "end_time": "11:30:00",
            "max_participation": "0.1500",
            "exclude_venues": ["DARKY"],
        }

    def test_a_client_order_id_reused_for_a_different_order_is_an_error_of_its_row(self, users):
        text = HEADER + "R-1,AAPL,BUY,100,,,,T1-GROWTH\nR-2,AAPL,BUY,100,,,,T1-GROWTH\nR-1,AAPL,SELL,100,,,,T1-GROWTH\n"

        upload = upload_process(upload_id=make_upload(users["trader1"], text).pk)

        assert (upload.accepted, upload.duplicates, upload.error_rows) == (2, 0, 1)
        ((row, column, reason),) = UploadError.objects.values_list("row", "column", "reason")
        first = Order.objects.get(client_order_id="R-1")
        assert (row, column) == (4, "client_order_id")
        assert reason == (
            f"client_order_id R-1 is already order {first.pk} (BUY 100 AAPL at market); "
            "use a new id for a different order"
        )
        assert upload.message == "2 orders accepted; 1 rows with errors skipped"
        # all or nothing: the same file creates nothing
        again = text.replace("R-", "S-")
        refused = upload_process(upload_id=make_upload(users["trader1"], again, mode=Upload.Mode.ALL_OR_NOTHING).pk)
        assert refused.status == Upload.Status.REFUSED
        assert refused.message.startswith("1 rows reuse a client_order_id for a different order; nothing was created")
        assert not Order.objects.filter(client_order_id__startswith="S-").exists()

    def test_all_or_nothing_refuses_the_file_and_creates_nothing(self, users):
        upload = make_upload(users["trader1"], CSV_WITH_ERRORS, mode=Upload.Mode.ALL_OR_NOTHING)
        upload = upload_process(upload_id=upload.pk)
        assert upload.status == Upload.Status.REFUSED
        assert upload.message == "2 of 5 rows have errors; nothing was created (all or nothing)"
        assert UploadError.objects.count() == 2
        assert not Order.objects.exists()

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (b"", "File refused: the file is empty"),
            (HEADER.encode(), "File refused: the file has a header but no rows"),
            (
                b"client_order_id,instrument,side,qty,account\nX,AAPL,BUY,1,T1-GROWTH\n",
                "File refused: unknown column(s) qty",
            ),
            (
                b"client_order_id,instrument,side,account\nX,AAPL,BUY,T1-GROWTH\n",
                "File refused: missing column(s) quantity",
            ),
            (b"\xff\xfe\x00garbage", "File refused: not UTF-8 text (byte 0); save the CSV as UTF-8"),
        ],
    )
    def test_an_unreadable_file_is_refused_with_one_clear_reason(self, users, content, reason):
        upload = upload_process(upload_id=make_upload(users["trader1"], content).pk)
        assert upload.status == Upload.Status.REFUSED
        assert upload.message.startswith(reason)

    def test_xlsx_numbers_read_as_typed(self, users):
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(HEADER.strip().split(","))
        sheet.append(["X-1", "AAPL", "BUY", 300, 190.1, None, "LOW", "T1-GROWTH"])
        sheet.append(["X-2", "AAPL", "SELL", 12.5, None, None, None, "T1-GROWTH"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        upload = upload_process(upload_id=make_upload(users["trader1"], buffer.getvalue(), name="o.xlsx").pk)
        assert (upload.accepted, upload.error_rows) == (1, 1)
        created = Order.objects.get()
        assert (created.quantity, str(created.limit_price), created.strategy) == (300, "190.100000", "VWAP")
        assert UploadError.objects.get().row == 3

    def test_a_rerun_after_a_crash_resumes_without_duplicates(self, users):
        upload = make_upload(users["trader1"], CSV_WITH_ERRORS)
        upload_process(upload_id=upload.pk)
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.CREATING)  # as if killed before the end
        again = upload_process(upload_id=upload.pk)
        assert (again.accepted, again.duplicates, again.error_rows) == (2, 1, 2)
        assert Order.objects.count() == 2
        assert UploadError.objects.count() == 2


@pytest.mark.django_db
def test_the_upload_api_refuses_a_wrong_file_type(trader1):
    response = trader1.post(
        "/api/v1/orders/upload/", {"file": SimpleUploadedFile("orders.txt", b"x"), "mode": "ACCEPT_VALID"}
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["must be a .csv or .xlsx file"]}


@pytest.mark.django_db(transaction=True)
async def test_an_upload_runs_on_a_real_worker_and_streams_its_progress(worker):  # noqa: F811
    trader = await sync_to_async(User.objects.get)(username="trader1")
    socket = WebsocketCommunicator(
        application, "/ws/orders/", headers=await sync_to_async(session_cookie_headers)(trader)
    )
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=10))["type"] == "snapshot"

    # given a file of 12,000 rows, one of them bad
    rows = [f"W-{i},{'AAPL' if i % 2 else 'MSFT'},{'BUY' if i % 3 else 'SELL'},100,,,,T1-GROWTH" for i in range(12_000)]
    rows[7_000] = "W-7000,AAPL,BUY,-5,,,,T1-GROWTH"
    csv_file = SimpleUploadedFile("big.csv", (HEADER + "\n".join(rows)).encode())

    def post():
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_login(trader)
        return client.post("/api/v1/orders/upload/", {"file": csv_file, "mode": "ACCEPT_VALID"})

    # when it is uploaded
    response = await sync_to_async(post)()
    assert response.status_code == 202
    upload_id = response.json()["id"]

    # then progress arrives over the socket, validation first, then creation, then done
    statuses = []
    while True:
        message = await socket.receive_json_from(timeout=60)
        if message["type"] == "upload" and message["upload"]["id"] == upload_id:
            statuses.append(message["upload"]["status"])
            if message["upload"]["finished"]:
                final = message["upload"]
                break
    assert statuses[0] == "VALIDATING" and statuses[-1] == "DONE"
    assert statuses.index("CREATING") > statuses.index("VALIDATING")
    assert (final["accepted"], final["error_rows"], final["total_rows"]) == (11_999, 1, 12_000)
    errors = await sync_to_async(lambda: list(UploadError.objects.values_list("row", "column")))()
    assert errors == [(7_002, "quantity")]
    assert await sync_to_async(Order.objects.filter(upload_id=upload_id).count)() == 11_999
    await socket.disconnect()
    await asyncio.sleep(0)


@pytest.mark.parametrize("quantity", ["1e999999999999999999", "1e1000000", "9" * 5_000])
def test_a_huge_number_in_a_bulk_order_is_a_row_error_not_a_500_or_a_hang(trader1, quantity):
    order = {"client_order_id": "HUGE", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY"}
    response = trader1.post("/api/v1/orders/bulk/", {"orders": [{**order, "quantity": quantity}]}, format="json")
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "INVALID"
    assert list(result["errors"]) == ["quantity"]
