"""A pattern-ops index on UPPER(last_name) so the lead search's last-name prefix (istartswith) uses an index.

PostgreSQL only (SQLite: nothing to do); built CONCURRENTLY so a big table is not write-locked, hence non-atomic.
"""

from django.db import migrations

NAME = "lead_last_name_upper_pattern_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{NAME}" ON "sales_lead" (UPPER("last_name") varchar_pattern_ops)'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
