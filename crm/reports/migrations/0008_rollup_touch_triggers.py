"""On PostgreSQL, writes to clients and transactions record the UTC dates they touch, for the dashboard rollups.

Statement triggers with transition tables: one insert of the distinct dates per statement (a bulk insert of a
million rows writes a few hundred), and an update touches only when a column the rollups read changed. A change of
a client's agents also touches the days of that client's deposits and withdrawals (the money rollup is per agent).
"""

from django.db import migrations

CLIENT_COLUMNS = (
    "registered_at, first_deposit_at, country, source, kyc_status, introducer_id, conversion_agent_id, "
    "retention_agent_id"
)
MONEY_TYPES = "('DEPOSIT', 'WITHDRAWAL')"

CLIENTS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION reports_touch_clients() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (v.at AT TIME ZONE 'UTC')::date
        FROM new_rows, LATERAL (VALUES (registered_at), (first_deposit_at)) AS v(at) WHERE v.at IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (v.at AT TIME ZONE 'UTC')::date
        FROM old_rows, LATERAL (VALUES (registered_at), (first_deposit_at)) AS v(at) WHERE v.at IS NOT NULL;
    ELSE
        WITH changed AS (
            SELECT o.id, o.registered_at AS old_registered_at, o.first_deposit_at AS old_first_deposit_at,
                   n.registered_at, n.first_deposit_at,
                   (o.conversion_agent_id, o.retention_agent_id)
                       IS DISTINCT FROM (n.conversion_agent_id, n.retention_agent_id) AS agents_changed
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.{CLIENT_COLUMNS.replace(", ", ", o.")}) IS DISTINCT FROM (n.{CLIENT_COLUMNS.replace(", ", ", n.")})
        )
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (touched.at AT TIME ZONE 'UTC')::date FROM (
            SELECT v.at FROM changed, LATERAL (
                VALUES (old_registered_at), (old_first_deposit_at), (registered_at), (first_deposit_at)
            ) AS v(at)
            UNION ALL
            SELECT tx.created_at FROM wallets_transaction tx JOIN changed ON tx.customer_id = changed.id
            WHERE changed.agents_changed AND tx.type IN {MONEY_TYPES}
        ) AS touched WHERE touched.at IS NOT NULL;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRANSACTIONS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION reports_touch_transactions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM new_rows WHERE type IN {MONEY_TYPES};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM old_rows WHERE type IN {MONEY_TYPES};
    ELSE
        INSERT INTO reports_rolluptouch (utc_day)
        SELECT DISTINCT (v.at AT TIME ZONE 'UTC')::date
        FROM old_rows o JOIN new_rows n ON n.id = o.id, LATERAL (VALUES (o.created_at), (n.created_at)) AS v(at)
        WHERE (o.type IN {MONEY_TYPES} OR n.type IN {MONEY_TYPES})
          AND (o.type, o.status, o.amount, o.currency_id, o.customer_id, o.created_at)
              IS DISTINCT FROM (n.type, n.status, n.amount, n.currency_id, n.customer_id, n.created_at);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = {"customers_customer": "reports_touch_clients", "wallets_transaction": "reports_touch_transactions"}
TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CLIENTS_FUNCTION)
    schema_editor.execute(TRANSACTIONS_FUNCTION)
    for table, function in TRIGGERS.items():
        for operation, transition in TRANSITIONS.items():
            schema_editor.execute(
                f"CREATE TRIGGER {function}_{operation.lower()} AFTER {operation} ON {table} {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
            )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, function in TRIGGERS.items():
        for operation in TRANSITIONS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {function}_{operation.lower()} ON {table};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_dashboard_rollups"),
        ("customers", "0012_client_indexes_review"),
        ("wallets", "0005_merge_0004_trading_system_account_0004_verbose_names"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
