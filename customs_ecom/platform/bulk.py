"""Bulk inserts for the hot paths (intake, risk, revenue).

On PostgreSQL, rows go through COPY with their ids reserved from the table's sequence in one
statement: Django's `bulk_create` builds its UNNEST arrays in Python, which cost about a second per
thousand wide rows. Other databases (the embedded SQLite default) use `bulk_create`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from django.db import connection
from django.db.models import Model


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(value: Any) -> bytes:
    """JSON for the JSON columns the hot paths write: orjson, several times faster than the
    standard library; a Decimal becomes a string, as money is everywhere in the payloads."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


@cache
def field_defaults(model: type[Model]) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """A model's non-primary-key column defaults: the fixed values by attname, and the fields
    whose default is callable (to be called for each row, so no two rows share a value)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    computed = tuple(f for f in fields if f.has_default() and callable(f.default))
    return {f.attname: f.get_default() for f in fields if f not in computed}, computed


def copy_rows(cursor: Any, model: type[Model], rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows (dicts by attname) into the model's table with a psycopg cursor; columns a row
    leaves out get the field's default (callable defaults called for each row), so a field added
    to the model later breaks nothing. A first row with an ``id`` fills the id column too."""
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.name == "id")]
    has_id = any(f.primary_key and f.name == "id" for f in model._meta.concrete_fields)
    defaults, callable_defaults = field_defaults(model)
    json_fields = [f.attname for f in fields if f.get_internal_type() == "JSONField"]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    attnames = [f.attname for f in fields]
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    with_id = has_id and "id" in first
    columns = ([quote("id")] if with_id else []) + [quote(f.column) for f in fields]
    names = (["id"] if with_id else []) + attnames

    def values(row: dict[str, Any]) -> list[Any]:
        merged = {**defaults, **row}
        for field in callable_defaults:
            if field.attname not in row:
                merged[field.attname] = field.get_default()
        for name in json_fields:
            if merged[name] is not None:
                merged[name] = Jsonb(merged[name], dumps=dumps_json)
        return [merged[name] for name in names]

    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write_row(values(first))
        for row in rows:
            copy.write_row(values(row))


_SEQUENCES: dict[str, str] = {}


def reserve_ids(cursor: Any, model: type[Model], count: int) -> list[int]:
    """`count` ids from the table's sequence, in one statement. The sequence's name is looked up
    once per table: called in the statement, pg_get_serial_sequence ran for every row and made
    reserving 3,000 ids take 9 ms instead of 1.3."""
    table = model._meta.db_table
    sequence = _SEQUENCES.get(table)
    if sequence is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = _SEQUENCES[table] = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [row[0] for row in cursor.fetchall()]


def insert_rows(
    model: type[Model], rows: Sequence[dict[str, Any]], *, ids: bool = True
) -> list[int]:
    """Insert plain rows (dicts by attname) of one model and return their ids in order: the
    cheapest path for wide batches, with no model instance built. With ``ids=False`` the ids are
    left to the column default and nothing is returned (one round trip fewer on PostgreSQL).
    Unique violations raise IntegrityError as usual."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows])]
    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor: COPY is not part of the DB-API
        if not ids:
            copy_rows(cursor, model, rows)
            return []
        reserved = reserve_ids(cursor, model, len(rows))
        copy_rows(
            cursor, model, ({"id": pk, **row} for pk, row in zip(reserved, rows, strict=True))
        )
    return reserved


def fetch_binary(sql: str, params: Sequence[Any]) -> list[tuple]:
    """All rows of a read statement, on PostgreSQL, bound on the server and returned in binary.

    Django's cursors bind on the client and read text, and parsing text timestamps and numerics
    costs several microseconds a value: for the thousands of history rows a risk batch reads this
    is most of the time. JSON columns come back decoded by orjson. Runs on Django's connection,
    so inside the caller's transaction."""
    import psycopg
    from psycopg.types.json import set_json_loads

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        set_json_loads(orjson.loads, cursor)
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def values_in(
    model: type[Model],
    fields: Sequence[str],
    field: str,
    values: Iterable[Any],
    *,
    distinct: bool = False,
) -> list[tuple]:
    """``values_list(*fields)`` of the rows whose ``field`` is one of ``values``: on PostgreSQL
    one array parameter bound on the server and read in binary (``fetch_binary``), where the ORM
    would build a statement with a placeholder per value; the ORM elsewhere."""
    values = list(values)
    if not values:
        return []
    if connection.vendor != "postgresql":
        rows = model.objects.filter(**{f"{field}__in": values}).values_list(*fields)
        return list(rows.distinct() if distinct else rows)
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    selected = ", ".join(column(name) for name in fields)
    return fetch_binary(
        f"SELECT {'DISTINCT ' if distinct else ''}{selected} "  # noqa: S608 -- names from the model
        f"FROM {quote(model._meta.db_table)} WHERE {column(field)} = ANY(%s)",
        [values],
    )
