"""Pattern-ops indexes so the admin's prefix searches (email, last name, phone) use an index on PostgreSQL.

`Customer.objects.search` filters with `email LIKE 'abc%'`, `UPPER(last_name) LIKE UPPER('Smi%')`
(Django's istartswith) and `phone LIKE '+44%'`. Under a non-C collation a plain btree cannot serve
LIKE, so each gets a `varchar_pattern_ops` index. Built CONCURRENTLY (no write lock on a big
table), hence a non-atomic migration. SQLite: nothing to do.
"""

from django.db import migrations

INDEXES = [
    ("customer_email_pattern_idx", '("email" varchar_pattern_ops)'),
    ("customer_last_name_upper_pattern_idx", '(UPPER("last_name") varchar_pattern_ops)'),
    ("customer_phone_pattern_idx", '("phone" varchar_pattern_ops)'),
]


def _has_phone_pattern_index(cursor) -> bool:
    # Django already made one for the indexed phone column (customers_customer_phone_..._like).
    cursor.execute(
        "SELECT 1 FROM pg_indexes WHERE tablename = 'customers_customer' "
        "AND indexdef LIKE '%%(phone varchar_pattern_ops)%%'"
    )
    return cursor.fetchone() is not None


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, columns in INDEXES:
            if name == "customer_phone_pattern_idx" and _has_phone_pattern_index(cursor):
                continue
            cursor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "customers_customer" {columns}')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _columns in INDEXES:
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0003_client_roles")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
