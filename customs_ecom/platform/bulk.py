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


def _base_type(model_field: Any) -> str:
    """The column's type without its modifier (``varchar`` for ``varchar(40)``): a value cast to
    it keeps its length and scale, so the column's own check (too long, too many digits) still
    applies when it is assigned, instead of a silent truncation by the cast."""
    return model_field.db_type(connection).split("(")[0]


@cache
def _family_statement(
    parent: type[Model], children: tuple[tuple[type[Model], str], ...], conflict: tuple[str, ...]
) -> tuple[str, tuple[Any, ...], tuple[tuple[Any, ...], ...]]:
    """The text of ``insert_family``'s statement, with the parent's fields in parameter order and
    each child's fields in its record's column order (the foreign key excluded)."""
    quote = connection.ops.quote_name
    parent_fields = tuple(
        f for f in parent._meta.concrete_fields if not (f.primary_key and f.name == "id")
    )
    values = ", ".join(f"%s::{_base_type(f)}" for f in parent_fields)
    on_conflict = (
        " ON CONFLICT ({}) DO NOTHING".format(
            ", ".join(quote(parent._meta.get_field(name).column) for name in conflict)
        )
        if conflict
        else ""
    )
    parts = [
        f"parent AS (INSERT INTO {quote(parent._meta.db_table)} "  # noqa: S608 -- model names
        f"({', '.join(quote(f.column) for f in parent_fields)}) VALUES ({values})"
        f"{on_conflict} RETURNING {quote(parent._meta.pk.column)})"
    ]
    child_fields = []
    for number, (model, link) in enumerate(children):
        fields = tuple(
            f
            for f in model._meta.concrete_fields
            if f.attname != link and not (f.primary_key and f.name == "id")
        )
        child_fields.append(fields)
        record = ", ".join(f"{quote(f.column)} {_base_type(f)}" for f in fields)
        columns = ", ".join(quote(f.column) for f in fields)
        link_column = quote(model._meta.get_field(link).column)
        parts.append(
            f"child{number} AS (INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({link_column}, {columns}) "
            f"SELECT parent.{quote(parent._meta.pk.column)}, {columns} "
            f"FROM parent, jsonb_to_recordset(%s::jsonb) AS r({record}))"
        )
    sql = f"WITH {', '.join(parts)} SELECT {quote(parent._meta.pk.column)} FROM parent"  # noqa: S608
    return sql, parent_fields, tuple(child_fields)


def _with_defaults(fields: Sequence[Any], row: dict[str, Any]) -> list[Any]:
    values = []
    for model_field in fields:
        if model_field.attname in row:
            values.append(row[model_field.attname])
        elif model_field.has_default():
            values.append(model_field.get_default())
        else:
            values.append(None)
    return values


def insert_family(
    parent: type[Model],
    row: dict[str, Any],
    children: Sequence[tuple[type[Model], str, Sequence[dict[str, Any]]]],
    *,
    conflict: tuple[str, ...] = (),
) -> int | None:
    """PostgreSQL: insert one parent row and its child rows in ONE statement (data-modifying
    CTEs), bound on the server, so that the statement is prepared after a few executions and
    its text does not depend on how many children there are (each child table's rows are one
    jsonb parameter, read with ``jsonb_to_recordset``). ``children`` are (model, foreign-key
    attname, rows); rows are dicts by attname, fields they leave out get their defaults.
    Returns the parent's id; with ``conflict`` (the fields of a unique constraint) a parent
    that conflicts writes nothing at all and None is returned.

    Outside a transaction the statement is its own (no BEGIN and COMMIT round trips); inside
    one, it is part of it. Other failures raise as usual (IntegrityError, DataError)."""
    import psycopg
    from psycopg.types.json import Jsonb

    sql, parent_fields, child_fields = _family_statement(
        parent, tuple((model, link) for model, link, _ in children), conflict
    )
    params: list[Any] = [
        Jsonb(value, dumps=dumps_json)
        if value is not None and model_field.get_internal_type() == "JSONField"
        else value
        for model_field, value in zip(
            parent_fields, _with_defaults(parent_fields, row), strict=True
        )
    ]
    for fields, (_, _, rows) in zip(child_fields, children, strict=True):
        params.append(
            dumps_json(
                [
                    {
                        f.column: value
                        for f, value in zip(fields, _with_defaults(fields, child), strict=True)
                    }
                    for child in rows
                ]
            ).decode()
        )
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None
