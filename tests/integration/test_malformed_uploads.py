"""A corpus of malformed order files: each is refused with one clear reason or reported
row by row, never a 500 and never a partial silent import (every row is accounted for)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from orders.models import Order, Upload, UploadError
from orders.services.uploads import upload_process

pytestmark = pytest.mark.django_db

HEADER = "client_order_id,instrument,side,quantity,limit_price,strategy,urgency,account\n"
GOOD = "G-1,AAPL,BUY,100,,,,T1-GROWTH\n"


def csv(*rows: str) -> bytes:
    return (HEADER + GOOD + "".join(rows)).encode()


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet is replaced by ``sheet_xml``."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([["X-1", "AAPL", "BUY", 100, None, None, None, "T1-GROWTH"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            is_sheet = member.filename == "xl/worksheets/sheet1.xml"
            archive.writestr(member.filename, sheet_xml if is_sheet else source.read(member.filename))
    return buffer.getvalue()


SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
MALFORMED_SHEET = with_sheet_xml(SHEET + b'<row r="1"><c r="A1" t="inlineStr"><is><t>client_order_id</t></is></c></ro')
LAUGHS = b"".join(
    b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10) for i in range(1, 10)
)
ENTITY_EXPANSION_SHEET = with_sheet_xml(
    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "ha">'
    + LAUGHS
    + b"]>"
    + SHEET
    + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>'
)


def zip_bomb() -> bytes:
    """A workbook whose sheet unpacks to 300 MB of zeros: a few hundred KB on the wire."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"0" * (1 << 20)
            for _ in range(300):
                sheet.write(block)
    return buffer.getvalue()


ROW_ERRORS = [
    ("huge quantity", csv("E-1,AAPL,BUY,100000000000,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("zero quantity", csv("E-1,AAPL,BUY,0,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("negative quantity", csv("E-1,AAPL,BUY,-100,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("non-numeric quantity", csv("E-1,AAPL,BUY,lots,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("NaN quantity", csv("E-1,AAPL,BUY,NaN,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("infinite quantity", csv("E-1,AAPL,BUY,inf,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("astronomic quantity", csv("E-1,AAPL,BUY,1e999999999999999999,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("a million-digit quantity in nine characters", csv("E-1,AAPL,BUY,1e1000000,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("NaN price", csv("E-1,AAPL,BUY,100,NaN,,,T1-GROWTH\n"), [(3, "limit_price")]),
    ("infinite price", csv("E-1,AAPL,BUY,100,Infinity,,,T1-GROWTH\n"), [(3, "limit_price")]),
    ("negative price", csv("E-1,AAPL,BUY,100,-190.00,,,T1-GROWTH\n"), [(3, "limit_price")]),
    ("formula quantity", csv("E-1,AAPL,BUY,=1+1,,,,T1-GROWTH\n"), [(3, "quantity")]),
    ("formula id", csv('"=HYPERLINK(""http://x"")",AAPL,BUY,100,,,,T1-GROWTH\n'), [(3, "client_order_id")]),
    ("another trader's account", csv("E-1,AAPL,BUY,100,,,,T2-MACRO\n"), [(3, "account")]),
    ("too many cells", csv("E-1,AAPL,BUY,100,,,,T1-GROWTH,extra\n"), [(3, "row")]),
    (
        "a reused id for a different order",
        csv("G-1,AAPL,SELL,100,,,,T1-GROWTH\n"),
        [(3, "client_order_id")],
    ),
    (
        "xlsx with a formula and a float quantity",
        xlsx([["X-1", "AAPL", "BUY", 100, None, None, None, "T1-GROWTH"], ["X-2", "AAPL", "BUY", "=A1", 1, 2, 3, 4]]),
        [(3, "account"), (3, "quantity"), (3, "strategy"), (3, "urgency")],
    ),
]


@pytest.mark.parametrize(("name", "content", "errors"), ROW_ERRORS, ids=[case[0] for case in ROW_ERRORS])
def test_a_bad_row_is_reported_by_number_and_column_and_the_good_rows_kept(users, name, content, errors):
    file_name = "orders.xlsx" if content.startswith(b"PK") else "orders.csv"
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name=file_name, content=content)

    upload = upload_process(upload_id=upload.pk)

    assert upload.status == Upload.Status.DONE, upload.message
    assert sorted(UploadError.objects.filter(upload=upload).values_list("row", "column")) == errors
    assert Order.objects.filter(upload=upload).count() == upload.accepted + upload.rejected == 1
    # every row is accounted for: nothing imported silently, nothing dropped silently
    assert upload.accepted + upload.rejected + upload.duplicates + upload.error_rows == upload.total_rows == 2


def test_a_bom_and_windows_line_ends_read_as_plain_csv(users):
    content = ("\ufeff" + HEADER + GOOD).replace("\n", "\r\n").encode()
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name="orders.csv", content=content)

    upload = upload_process(upload_id=upload.pk)

    assert (upload.status, upload.accepted, upload.error_rows) == (Upload.Status.DONE, 1, 0)


REFUSED = [
    ("wrong encoding", "orders.csv", (HEADER + "É-1,AAPL,BUY,100,,,,T1-GROWTH\n").encode("latin-1"), "not UTF-8"),
    ("missing column", "orders.csv", b"client_order_id,instrument,side,account\nX,AAPL,BUY,T1-GROWTH\n", "missing"),
    (
        "extra column",
        "orders.csv",
        HEADER.replace("\n", ",notes\n").encode() + b"X,AAPL,BUY,1,,,,T1-GROWTH,x\n",
        "unknown",
    ),
    ("header only", "orders.csv", HEADER.encode(), "no rows"),
    ("binary junk named .xlsx", "orders.xlsx", b"PK\x03\x04 not really a zip", "not a readable XLSX"),
    ("zip bomb", "orders.xlsx", zip_bomb(), "unpacks to 315 MB"),
    ("malformed sheet XML", "orders.xlsx", MALFORMED_SHEET, "the sheet's XML is malformed"),
    ("entity expansion in the sheet", "orders.xlsx", ENTITY_EXPANSION_SHEET, "not a readable XLSX workbook"),
]


@pytest.mark.parametrize(("name", "file_name", "content", "reason"), REFUSED, ids=[case[0] for case in REFUSED])
def test_an_unreadable_file_is_refused_whole_with_one_reason(users, name, file_name, content, reason):
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name=file_name, content=content)

    upload = upload_process(upload_id=upload.pk)

    assert upload.status == Upload.Status.REFUSED
    assert reason in upload.message
    assert not Order.objects.exists()


def test_a_file_over_the_size_limit_is_refused_as_it_streams_in(trader1, settings):
    settings.MAX_UPLOAD_BYTES = 64 * 1024
    content = csv(*(f"S-{i},AAPL,BUY,100,,,,T1-GROWTH\n" for i in range(3_000)))
    assert len(content) > settings.MAX_UPLOAD_BYTES

    response = trader1.post("/api/v1/orders/upload/", {"file": SimpleUploadedFile("orders.csv", content)})

    assert response.status_code == 400
    assert response.json() == {"file": ["must be at most 0 MB"]}
    assert not Upload.objects.exists()


def test_a_body_claiming_a_huge_size_is_refused_before_it_is_read(trader1):
    body = b"--b\r\nContent-Disposition: form-data; name=mode\r\n\r\nACCEPT_VALID\r\n--b--\r\n"

    response = trader1.generic(
        "POST",
        "/api/v1/orders/upload/",
        body,
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(10 * 1024**3),
    )

    assert response.status_code == 400
    assert response.json() == {"file": ["must be at most 20 MB"]}


def test_the_upload_page_refuses_an_oversized_file_with_a_form_error(client, users, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(users["trader1"])
    content = csv(*(f"S-{i},AAPL,BUY,100,,,,T1-GROWTH\n" for i in range(40_000)))

    response = client.post(
        "/orders/upload/", {"file": SimpleUploadedFile("orders.csv", content), "mode": "ACCEPT_VALID"}
    )

    assert response.status_code == 200
    assert b"must be at most 1 MB" in response.content
    assert not Upload.objects.exists()


def test_an_error_of_ours_ends_the_upload_failed_with_what_was_created(users, monkeypatch):
    from orders.services import uploads

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(uploads, "orders_accept", broken)
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name="orders.csv", content=csv())

    upload = upload_process(upload_id=upload.pk)

    assert upload.status == Upload.Status.FAILED
    assert upload.message == (
        "Processing stopped on an internal error (RuntimeError); 0 orders had been created. "
        "Upload the rows that are not in your blotter again (their client_order_ids are safe to repeat)."
    )
    assert upload.finished_at is not None


def test_a_file_that_stopped_the_worker_on_every_attempt_ends_failed(users):
    """Given an upload three workers began and none finished (each was killed by it)."""
    upload = Upload.objects.create(
        uploaded_by=users["trader1"], file_name="orders.csv", content=csv(), attempts=3, status="VALIDATING"
    )

    upload = upload_process(upload_id=upload.pk)

    assert (upload.status, upload.attempts) == (Upload.Status.FAILED, 4)
    assert upload.message.startswith("Processing stopped on stopped the worker 3 times; 0 orders had been created.")
    assert not Order.objects.exists()
