"""Reading order files (CSV, XLSX) into numbered rows. Pure Python.

A file-level problem (not UTF-8, no header, a missing required column, an unknown
column, too many rows) refuses the whole file with one clear reason; row problems are
left to the intake parser, which reports them per row and column. Row numbers are the
ones a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from .intake import COLUMNS, EXTRA_CELLS, REQUIRED_COLUMNS

XLSX_MAGIC = b"PK\x03\x04"
# 100,000 rows of eight short cells unpack to about 40 MB of sheet XML.
MAX_XLSX_UNPACKED_BYTES = 200 * 1000 * 1000


class FileRefused(ValueError):
    """The file as a whole cannot be read as orders."""


@dataclass(frozen=True, slots=True)
class NumberedRow:
    number: int
    values: dict[str, str]


def read_order_file(file_name: str, content: bytes, *, max_rows: int) -> list[NumberedRow]:
    """Every non-blank data row of a CSV or XLSX order file, with its row number."""
    if not content:
        raise FileRefused("the file is empty")
    if content.startswith(XLSX_MAGIC) or file_name.lower().endswith(".xlsx"):
        records = _xlsx_records(content)
    else:
        records = _csv_records(content)
    header = next(records, None)
    if header is None:
        raise FileRefused("the file is empty")
    columns = _columns(header)
    rows: list[NumberedRow] = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line is not an order
        if len(rows) == max_rows:
            raise FileRefused(f"more than {max_rows:,} rows; split the file")
        values = {column: (record[i] if i < len(record) else "") for i, column in columns}
        extra = sum(1 for cell in record[len(header) :] if cell.strip())
        if extra:  # an unquoted comma shifts every later value: the row cannot be trusted
            values[EXTRA_CELLS] = f"{len(header) + extra} cells, but the header has {len(header)}"
        rows.append(NumberedRow(number, values))
    if not rows:
        raise FileRefused("the file has a header but no rows")
    return rows


def _columns(header: list[str]) -> list[tuple[int, str]]:
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise FileRefused(f"unknown column(s) {', '.join(unknown)}; the header is {','.join(COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise FileRefused(f"missing column(s) {', '.join(missing)}; the header is {','.join(COLUMNS)}")
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise FileRefused(f"column(s) {', '.join(duplicated)} appear more than once")
    return [(i, n) for i, n in enumerate(names) if n]


def _csv_records(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:
        raise FileRefused(f"not a readable CSV: {exc}") from exc


def _xlsx_records(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(content)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(f"not a readable XLSX workbook: {exc}") from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES:  # a zip bomb, or a sheet far larger than any order file
        raise FileRefused(
            f"the workbook unpacks to {unpacked / 1e6:,.0f} MB, more than {MAX_XLSX_UNPACKED_BYTES / 1e6:,.0f} MB"
        )
    # The workbook's XML is the sender's: whatever breaks reading it (malformed XML, an entity
    # expansion expat refuses, a part that is missing or of the wrong type) refuses the file.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise FileRefused(f"not a readable XLSX workbook: {_reading_error(exc)}") from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield ["" if v is None else _cell_text(v) for v in values]
    except Exception as exc:
        raise FileRefused(f"not a readable XLSX workbook: {_reading_error(exc)}") from exc
    finally:
        workbook.close()


def _reading_error(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):  # xml.etree's ParseError
        return f"the sheet's XML is malformed ({exc})"
    return str(exc) or type(exc).__name__


def _cell_text(value) -> str:
    """A spreadsheet cell as text; a float cell that is a whole number reads as one (500.0 -> 500)."""
    if isinstance(value, float):
        # Spreadsheets store numbers as doubles: repr gives the shortest text that reads back
        # as the same double, which is what the user typed (190.1, never 190.09999999999999).
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value).strip()
