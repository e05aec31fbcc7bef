"""INSERT many rows of one model as plain values: what bulk_create stores, without a model instance
per row or SQL compiled per value (on an import of 10,000 integrations those cost more than the
database). Used by the spec import, the findings refresh and the health-source sync."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

CHUNK = 2000

# Fields whose database preparation is the identity for values of their own Python type, on
# SQLite and PostgreSQL alike: their values go to the database as given.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.FloatField)


def is_plain(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):
        return is_plain(field.target_field)
    return isinstance(field, PLAIN_FIELDS) and not getattr(field, "auto_now", False)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT `rows`, each the values of the fields `names` (attnames: "owner_id") in that order.
    Every other column gets its field's default (auto_now and auto_now_add fields: now), as
    bulk_create would give it. Values of plain fields (text, numbers, booleans, their foreign keys)
    must be of the field's Python type; the others are prepared as bulk_create prepares them."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    prepare = [None if is_plain(by_name[name]) else by_name[name] for name in names]
    if any(prepare):
        rows = [
            [v if f is None else f.get_db_prep_save(v, connection) for f, v in zip(prepare, row, strict=True)]
            for row in rows
        ]
    insert_prepared(model, names, rows, ignore_conflicts=ignore_conflicts)


def insert_prepared(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """insert_rows for values already prepared for the database."""
    if not rows:
        return
    meta = model._meta
    named = [next(f for f in meta.concrete_fields if f.attname == name) for name in names]
    now = timezone.now()
    constants: list[tuple[Any, Any]] = []
    for f in meta.concrete_fields:
        if f is meta.pk or f.attname in names:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        constants.append((f, f.get_db_prep_save(now if auto else f.get_default(), connection)))
    quote = connection.ops.quote_name
    # Names come from the model's meta, values go as parameters.
    columns = ", ".join(quote(str(f.column)) for f in [*named, *(f for f, _ in constants)])
    placeholders = ", ".join(["%s"] * (len(named) + len(constants)))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    tail = [value for _, value in constants]
    full = [[*row, *tail] for row in rows] if tail else rows
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for chunk in _chunks(full):
                cursor.executemany(sql, chunk)  # SQLite runs one statement over many rows in C
        return
    # PostgreSQL: Django's cursor binds values into the text client-side, so the server parses
    # every row's statement; a server-binding cursor on the same connection (and transaction)
    # has it parsed once and sends only values. Wrapped as Django wraps its own (query counts).
    import psycopg  # the driver requirements.txt names (psycopg 3); only PostgreSQL needs it

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    with connection.make_cursor(raw) as cursor:  # type: ignore[arg-type]  # a DB-API cursor, as Django gives it
        for chunk in _chunks(full):
            cursor.executemany(sql, chunk)
