"""Compress declaration payloads with lz4 instead of pglz (PostgreSQL 14 and later).

A payload of two or three items pushes its row past PostgreSQL's 2 kB threshold, so most
payloads are stored compressed, and pglz is slow both ways: every intake batch compresses a
thousand payloads and every risk and revenue batch decompresses them. lz4 does both several times
faster. Rows written before keep their compression until rewritten. Servers built without lz4
(and other databases) keep the default."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name("declarations_declaration")
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN payload SET COMPRESSION lz4")
    except DatabaseError:
        logger.warning("this PostgreSQL server has no lz4: payloads keep pglz compression")


def use_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name("declarations_declaration")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN payload SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0005_leaner_indexes"),
    ]

    operations = [migrations.RunPython(use_lz4, use_default)]
