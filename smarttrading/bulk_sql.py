"""Bulk inserts and updates with ``executemany``, for intake and aggregation of 100,000-row batches.

Django's ``bulk_create`` and ``bulk_update`` build an expression per value (``bulk_update``
a CASE per row), which costs tens of microseconds per row; these helpers send one
parameterized statement per batch and adapt values the way the backend's own fields do.
Callers set every value, including timestamps: no ``auto_now`` or defaults apply here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models

BATCH = 5_000


def _adapter(field: models.Field) -> Callable:
    ops = connection.ops
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    if isinstance(field, models.DateTimeField):
        return _memoized(ops.adapt_datetimefield_value)  # batches repeat one timestamp
    if isinstance(field, models.JSONField):
        return lambda v: ops.adapt_json_value(v, field.encoder)
    return lambda v: v


def _memoized(adapt: Callable) -> Callable:
    last: list = [object(), None]

    def adapt_once(value):
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return adapt_once


def update_in(model: type[models.Model], names: Sequence[str], values: Sequence, pks: Sequence[int]) -> None:
    """``UPDATE ... WHERE pk IN (...)``: the same values for many rows, 1,000 keys a statement."""
    columns, adapters = _columns(model, names)
    assignments = ", ".join(f"{c} = %s" for c in columns)
    params = [adapt(v) for adapt, v in zip(adapters, values, strict=True)]
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(pks), 1_000):
            chunk = list(pks[start : start + 1_000])
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} IN ({placeholders})", [*params, *chunk])


def _columns(model: type[models.Model], names: Sequence[str]) -> tuple[list[str], list[Callable]]:
    fields = [model._meta.get_field(name) for name in names]
    return [connection.ops.quote_name(f.column) for f in fields], [_adapter(f) for f in fields]


def insert_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``INSERT`` one row per tuple of values, in the order of ``names``.

    On PostgreSQL the rows go in with ``COPY``: the server parses, plans and logs one
    statement, not one per row, several times faster than ``executemany`` even pipelined.
    SQLite, in process, gains nothing from it.
    """
    columns, adapters = _columns(model, names)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor != "postgresql":
        _execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", adapters, rows
        )
        return
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([adapt(v) for adapt, v in zip(adapters, row, strict=True)])


def update_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``UPDATE ... WHERE pk`` for each tuple: the values of ``names`` followed by the primary key."""
    columns, adapters = _columns(model, names)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = (
        f"UPDATE {connection.ops.quote_name(model._meta.db_table)} "
        f"SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"
    )
    _execute(sql, [*adapters, lambda v: v], rows)


def _execute(sql: str, adapters: list[Callable], rows: Iterable[Sequence]) -> None:
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(tuple(adapt(v) for adapt, v in zip(adapters, row, strict=True)))
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
