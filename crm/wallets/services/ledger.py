"""The only writer of balances: `post_entry` and `reverse_entry`.

Rules it guarantees:
- an entry's postings sum to zero per currency, and each posting's currency is its wallet's;
- the same idempotency key twice has one effect (the second call returns the first entry, or is
  refused with `idempotency_conflict` when its postings differ);
- client wallets are locked (`SELECT ... FOR UPDATE`, in pk order) and their cached balance,
  credit and hold are updated in the same transaction, never below zero unless allowed;
- system accounts stand for the outside world: they are not locked and keep no cached balance
  (their balance is the sum of their postings), so they never become a point every movement waits on.

The hot path (lock, entry, postings, balances) is hand-written SQL through Django's connection, on
PostgreSQL and SQLite alike: this module is the one place of the project that writes so. Each statement's
text is built once per database vendor and shape (number of wallets, legs, buckets) and kept in `_SQL`;
a posting call compiles no query and makes no model but the entry it returns (and the locked wallets
`lock_wallets` returns). One entry costs, besides the lock: on PostgreSQL one statement for the entry, its
postings and all its wallets' cached values (data-modifying CTEs); on SQLite, which has no such CTE, three.
A movement's own transaction row is written here too (`create_transaction`): its INSERT, compiled by the ORM
on every save, was the largest Python cost of a transfer after the entry.

What is left per row is kept small: a new row's values come from a plan built once per model (`_row`: each
column's spot, the defaults and their database values prepared once; only the values given are prepared,
and those that are their own database value skip the field), the models returned (the locked wallets and
their currencies, the client, the entry, the transaction) are made as `from_db` makes them but without
`Model.__init__` (`stored_instance`), and the statements run on one kept cursor per connection (`_cursor`).

As the single write path of a money movement, the module also takes the movement's first lock and writes the
rows that belong to it, each from the one definition its owner keeps: `lock_client` locks the client row and
reads the client's level (customers' `current_level_id` rule) in the same statement; `insert_activity_and_event`
writes the activity row and the outbox event core defines (`activity_values`, `event_values`), one statement on
PostgreSQL, and `post_entry(record=...)` writes them in the entry's own statement. A transfer is 4 statements on
PostgreSQL (client lock, wallets' lock, transaction, the entry with all the rest; 8 on SQLite); the hand-written
SQL transfer of bench/ledger_transfers.py sends 9.
"""

from __future__ import annotations

import datetime
import json
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import F, OuterRef, Subquery
from django.db.models.base import ModelState
from django.db.models.signals import post_init
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.events import dispatch_after_commit
from crm.core.models import Activity, OutboxEvent
from crm.core.money import format_money, to_decimal
from crm.customers.models import Customer, VerificationLevel
from crm.customers.services import current_level_id
from crm.wallets.exceptions import IdempotencyConflict, InsufficientFunds, UnbalancedEntry
from crm.wallets.models import BUCKET_COLUMNS, Bucket, Currency, JournalEntry, Posting, Transaction, Wallet

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from crm.wallets.services.common import Actor


@dataclass(frozen=True)
class Leg:
    """One posting to make: `amount` (signed) on `bucket` of `wallet`."""

    wallet: Wallet
    amount: Decimal
    bucket: str = Bucket.BALANCE


LegLike = Leg | tuple[Any, ...]


def _as_leg(value: LegLike) -> Leg:
    leg = value if isinstance(value, Leg) else Leg(*value)
    amount = to_decimal(leg.amount)
    if amount == 0:
        raise UnbalancedEntry(_("A posting cannot be zero."), fields={"amount": [_("Must not be zero.")]})
    if leg.bucket not in BUCKET_COLUMNS:
        raise UnbalancedEntry(_("Unknown bucket %(bucket)s.") % {"bucket": repr(leg.bucket)})
    return Leg(leg.wallet, amount, Bucket(leg.bucket))


def lock_wallets(wallets: Iterable[Wallet | int]) -> dict[int, Wallet]:
    """Lock client wallets in pk order (system accounts are never locked); returns fresh rows by pk, currency loaded.

    Hand-written SQL: this is the hottest query of every money movement, and the ORM's compilation of it
    cost more than the database's work. One query: the wallets and their currencies, locked with FOR UPDATE OF.
    """
    ids = sorted({w if isinstance(w, int) else w.pk for w in wallets})
    if not ids:
        return {}
    connection = transaction.get_connection()
    wallet_fields, currency_fields = _LOCK_FIELDS
    sql = _statement(connection, ("lock", len(ids)), _lock_sql)
    cursor = _cursor(connection)
    cursor.execute(sql, [*ids, Wallet.Type.SYSTEM])
    rows = cursor.fetchall()
    locked: dict[int, Wallet] = {}
    split = len(wallet_fields)
    alias = connection.alias
    for row in rows:
        wallet = stored_instance(
            Wallet, alias, dict(zip(wallet_fields, _converted(Wallet, row[:split], connection), strict=True))
        )
        currency = stored_instance(
            Currency, alias, dict(zip(currency_fields, _converted(Currency, row[split:], connection), strict=True))
        )
        _WALLET_CURRENCY.set_cached_value(wallet, currency)
        locked[wallet.pk] = wallet
    return locked


def stored_instance(
    model: type[_M], alias: str, values: dict[str, Any], related: dict[str, models.Model] | None = None
) -> _M:
    """The instance of a stored row (`values` by attname; the fields left out are deferred), as `from_db` makes
    it, with `related` objects cached by field name as assigning them would.

    Built without `Model.__init__` (as unpickling does), whose per-field work was the largest Python cost left
    of a money movement; a model with `post_init` receivers gets its `__init__`."""
    if post_init.has_listeners(model):
        instance = model.from_db(alias, list(values), list(values.values()))
    else:
        instance = model.__new__(model)
        instance.__dict__.update(values)
        state = instance._state = ModelState()
        state.adding = False
        state.db = alias
    if related:
        instance._state.fields_cache.update(related)
    return instance


def lock_client(customer_pk: int, fields: tuple[str, ...]) -> tuple[Any, ...] | None:
    """Lock the client row (the first lock of a client's money movement) and read, in the same statement, the
    `fields` of it the money rules check, then the id and allowed operations of the level the client is at
    (customers' `current_level_id` rule); None when there is no such client.

    The statement is the ORM's, compiled once per database vendor and `fields` with a stand-in id, then only run.
    """
    connection = transaction.get_connection()
    sql = _statement(connection, ("client", fields), _client_sql)
    cursor = _cursor(connection)
    cursor.execute(sql, [customer_pk])
    row = cursor.fetchone()
    if row is None:
        return None
    operations = row[-1]
    if isinstance(operations, str):  # a JSON document comes back as text; the field's own decoding, done here
        operations = json.loads(operations)
    return (*row[:-1], operations)


# The client's id while the client lock's text is compiled; its one parameter.
_CLIENT_PK_STAND_IN = -7_734_513


def _client_sql(connection: BaseDatabaseWrapper, fields: tuple[str, ...]) -> str:
    level = VerificationLevel.objects.filter(pk=OuterRef("level_id")).order_by().values("allowed_operations")[:1]
    query = (
        Customer.objects.filter(pk=_CLIENT_PK_STAND_IN)
        .annotate(level_id=current_level_id(F("verification_level_id")), level_operations=Subquery(level))
        .select_for_update(of=("self",))
        .order_by()
        .values_list(*fields, "level_id", "level_operations")
        .query
    )
    with transaction.atomic(using=connection.alias):  # select_for_update compiles inside a transaction only
        sql, params = query.get_compiler(connection=connection).as_sql()
    if list(params) != [_CLIENT_PK_STAND_IN]:
        raise TypeError(f"The client lock was to take the client's id as its only parameter, not {params!r}.")
    return str(sql)


_LOCK_FIELDS = (
    [f.attname for f in Wallet._meta.concrete_fields],
    [f.attname for f in Currency._meta.concrete_fields],
)
_WALLET_CURRENCY = Wallet._meta.get_field("currency")
_M = TypeVar("_M", bound=models.Model)

# The ledger's cursor of each connection (by its Django wrapper): the database connection it was opened on, whether
# it logs its queries (a test's capture), and the cursor.
_CURSORS: weakref.WeakKeyDictionary[BaseDatabaseWrapper, tuple[Any, bool, Any]] = weakref.WeakKeyDictionary()


def _cursor(connection: BaseDatabaseWrapper) -> Any:
    """The cursor the ledger's statements run on: one per database connection, kept open (a cursor per statement
    cost as much Python as the statement's own parameters); a new one when the connection was opened again, or
    whether its queries are logged changed."""
    kept = _CURSORS.get(connection)
    if kept is not None and kept[0] is connection.connection and kept[1] == connection.queries_logged:
        return kept[2]
    cursor = connection.cursor()
    _CURSORS[connection] = (connection.connection, connection.queries_logged, cursor)
    return cursor


# Statement texts by (vendor, kind, shape): built on first use, then only looked up.
_SQL: dict[tuple[Any, ...], str] = {}


def _statement(
    connection: BaseDatabaseWrapper, key: tuple[Any, ...], build: Callable[..., str], *build_args: Any
) -> str:
    """The statement text for `key`, built on its first use by `build(connection, *key[1:], *build_args)`."""
    full_key = (connection.vendor, *key)
    sql = _SQL.get(full_key)
    if sql is None:
        sql = _SQL[full_key] = build(connection, *key[1:], *build_args)
    return sql


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):  # a reverse relation has no column
        raise TypeError(f"{model.__name__}.{name} is not a concrete field.")
    return field


def _column(field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field} has no column.")
    return field.column


def _lock_sql(connection: BaseDatabaseWrapper, count: int) -> str:
    quote = connection.ops.quote_name
    wallet_fields, currency_fields = _LOCK_FIELDS
    columns = [f"w.{quote(_column(_field(Wallet, n)))}" for n in wallet_fields] + [
        f"c.{quote(_column(_field(Currency, n)))}" for n in currency_fields
    ]
    lock = " FOR UPDATE OF w" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Wallet._meta.db_table)} w "  # noqa: S608 - names from the models
        f"JOIN {quote(Currency._meta.db_table)} c ON c.{quote('code')} = w.{quote('currency_id')} "
        f"WHERE w.{quote('id')} IN ({', '.join(['%s'] * count)}) AND w.{quote('type')} <> %s "
        f"ORDER BY w.{quote('id')}{lock}"
    )


def _converted(model: type[models.Model], values: Sequence[Any], connection: BaseDatabaseWrapper) -> list[Any]:
    """A row of all the model's concrete fields, its database values as the fields expect them (SQLite returns
    decimals and dates as text)."""
    out = list(values)
    for index, column, converters in _converters(model, connection.vendor, connection):
        for converter in converters:
            out[index] = converter(out[index], column, connection)
    return out


_CONVERTERS: dict[tuple[type[models.Model], str], list[Any]] = {}


def _converters(model: type[models.Model], vendor: str, connection: BaseDatabaseWrapper) -> list[Any]:
    """(index, column, converters) of the model's concrete fields that have converters on this vendor."""
    key = (model, vendor)
    if key not in _CONVERTERS:
        plan = []
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if converters:
                plan.append((index, column, converters))
        _CONVERTERS[key] = plan
    return _CONVERTERS[key]


# Field classes whose database value is the Python value itself for one exact type (no subclass of theirs: a
# subclass may transform): writing such a value skips the field's preparation, the largest Python cost of an INSERT.
_PASS_THROUGH: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}
# By (id(field), vendor): a field's own hash is computed per call, and model fields live as long as the process.
_PLAIN_TYPE: dict[tuple[int, str], type | None] = {}


def _plain_type(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> type | None:
    """The one type whose values `field` writes as they are on this database, if any.

    Besides _PASS_THROUGH: a finite Decimal in a DecimalField where the backend keeps decimals as they are (its
    preparation is `Decimal(value)`), and an aware datetime in a DateTimeField on PostgreSQL (time zones on)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    kind = type(target)
    if kind is models.DecimalField and (
        type(connection.ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value
    ):
        return Decimal
    if kind is models.DateTimeField and connection.vendor == "postgresql" and settings.USE_TZ:
        return datetime.datetime
    return _PASS_THROUGH.get(kind)


def _db_value(field: models.Field[Any, Any], value: Any, connection: BaseDatabaseWrapper) -> Any:
    """`field.get_db_prep_save(value, connection)`, without the call where the result is the value itself."""
    key = (id(field), connection.vendor)
    plain = _PLAIN_TYPE.get(key, _PlainUnknown)
    if plain is _PlainUnknown:
        plain = _PLAIN_TYPE[key] = _plain_type(field, connection)
    if type(value) is plain:
        if isinstance(value, Decimal):
            if value.is_finite():  # else the field refuses it
                return value
        elif isinstance(value, datetime.datetime):
            if value.utcoffset() is not None:  # else the field makes it aware, with a warning
                return value
        else:
            return value
    elif (value is None and not isinstance(field, models.JSONField)) or (plain is str and isinstance(value, str)):
        return value  # None, or a choices member: a CharField writes any str as it is
    return field.get_db_prep_save(value, connection)


class _PlainUnknown:
    """A field whose pass-through type is not looked up yet."""


def _signature(legs: Iterable[tuple[int, str, Decimal]]) -> Counter[tuple[int, str, Decimal]]:
    return Counter((wallet_id, str(bucket), Decimal(amount).normalize()) for wallet_id, bucket, amount in legs)


def _check_balanced(legs: Sequence[Leg], currencies: dict[int, str]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[currencies[leg.wallet.pk]] += leg.amount
    unbalanced = {code: total for code, total in totals.items() if total != 0}
    if unbalanced:
        detail = ", ".join(format_money(total, code) for code, total in sorted(unbalanced.items()))
        raise UnbalancedEntry(_("The postings do not sum to zero per currency: %(detail)s.") % {"detail": detail})


def _check_precision(legs: Sequence[Leg], currencies: dict[int, str], locked: dict[int, Wallet]) -> None:
    minor = {w.currency.code: w.currency.minor_units for w in locked.values()}
    missing = set(currencies.values()) - minor.keys()
    if missing:
        minor.update(Currency.objects.filter(code__in=missing).values_list("code", "minor_units"))
    for leg in legs:
        code = currencies[leg.wallet.pk]
        if leg.amount != leg.amount.quantize(Decimal(1).scaleb(-minor.get(code, 8))):
            raise UnbalancedEntry(
                _("%(amount)s has more decimals than %(code)s allows.")
                % {"amount": format_money(leg.amount, code), "code": code}
            )


def post_entry(
    *,
    idempotency_key: str,
    postings: Sequence[LegLike],
    kind: str,
    description: str = "",
    actor: Actor = None,
    transaction_obj: Transaction | None = None,
    reverses: JournalEntry | None = None,
    locked: dict[int, Wallet] | None = None,
    record: Record | None = None,
) -> JournalEntry:
    """Write one balanced entry and move the cached balances with it. The same key twice has one effect.

    `locked`: wallets the caller already locked in this transaction (from `lock_wallets`).
    `record`: the movement's activity row and outbox event, written as `insert_activity_and_event` writes them
    (also when the call is a replay); on PostgreSQL in the entry's own statement when the entry is new.
    Every refusal is raised before anything is written, so a caller's transaction stays usable.
    """
    args = (idempotency_key, postings, kind, description, actor, transaction_obj, reverses, locked, record)
    if transaction.get_connection().in_atomic_block:
        return _post_entry(*args)
    with transaction.atomic():
        return _post_entry(*args)


# A movement's activity row and outbox event, as core defines them (`activity_values`, `event_values`).
Record = tuple[dict[str, Any], dict[str, Any]]


def _post_entry(
    idempotency_key: str,
    postings: Sequence[LegLike],
    kind: str,
    description: str,
    actor: Actor,
    transaction_obj: Transaction | None,
    reverses: JournalEntry | None,
    locked: dict[int, Wallet] | None,
    record: Record | None,
) -> JournalEntry:
    if not idempotency_key:
        raise IdempotencyConflict(_("Every posting call needs an idempotency key."))
    legs = [_as_leg(p) for p in postings]
    if len(legs) < 2:
        raise UnbalancedEntry(_("An entry needs at least two postings."))
    locked = dict(locked or {})
    locked.update(lock_wallets({leg.wallet.pk for leg in legs if leg.wallet.pk not in locked and not _is_system(leg)}))
    wallets = {leg.wallet.pk: locked.get(leg.wallet.pk, leg.wallet) for leg in legs}
    currencies = {pk: wallet.currency_id for pk, wallet in wallets.items()}
    _check_balanced(legs, currencies)
    _check_precision(legs, currencies, locked)
    try:
        new_values = _apply(legs, locked)
    except InsufficientFunds:
        # A repeated call may find the money already moved by its first run: that is a replay, not a refusal.
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, legs, record)

    now = timezone.now()
    connection = transaction.get_connection()
    entry_values = {
        "idempotency_key": idempotency_key,
        "kind": kind,
        "description": description[:255],
        "transaction": transaction_obj,
        "reverses": reverses,
        "created_by": user_or_none(actor),
        "created_at": now,
    }
    entry_params, attrs, related = _row(JournalEntry, _ENTRY_FIELDS, entry_values, now, connection)
    entry_id = _write_entry(entry_params, legs, currencies, _balances_after(legs, locked), new_values, now, record)
    if entry_id is None:
        # The key is taken: a concurrent call that held the same locks has committed it before us.
        return _replay(JournalEntry.objects.get(idempotency_key=idempotency_key), legs, record)
    for pk, values in new_values.items():
        for column, value in values.items():
            setattr(locked[pk], column, value)
    return stored_instance(JournalEntry, connection.alias, {_ENTRY_PK: entry_id, **attrs}, related)


def _replay(existing: JournalEntry, legs: Sequence[Leg], record: Record | None) -> JournalEntry:
    """A repeated call: the entry its first run wrote (refused when the postings differ), and the call's record."""
    entry = _same_or_refuse(existing, legs)
    if record is not None:
        insert_activity_and_event(*record)
    return entry


def _is_system(leg: Leg) -> bool:
    return leg.wallet.type == Wallet.Type.SYSTEM and not leg.wallet._state.adding


_ENTRY_FIELDS = [f for f in JournalEntry._meta.concrete_fields if not f.primary_key]
_ENTRY_CREATED_AT = [f.name for f in _ENTRY_FIELDS].index("created_at")
_ENTRY_PK = JournalEntry._meta.pk.attname
# A posting's columns but its entry's: (field, cast on PostgreSQL) in the order the statements write them.
_POSTING_FIELDS = [_field(Posting, name) for name in ("wallet", "currency", "bucket", "amount", "balance_after")]
_MONEY_FIELD = _field(Posting, "amount")
_WALLET_UPDATED_AT = _field(Wallet, "updated_at")


def _write_entry(
    entry_params: list[Any],
    legs: Sequence[Leg],
    currencies: dict[int, str],
    balances_after: list[Decimal | None],
    new_values: dict[int, dict[str, Decimal]],
    now: dt.datetime,
    record: Record | None,
) -> int | None:
    """The entry (INSERT ... ON CONFLICT (idempotency_key) DO NOTHING), its postings, its locked wallets' new
    cached values and the movement's record; the new entry's id, or None when the key exists (then nothing is
    written).

    PostgreSQL: one statement, the postings inserted from the entry's RETURNING, the wallets updated and the record
    written only when it returned a row. SQLite: the entry's INSERT ... RETURNING, the postings' multi-row INSERT,
    the UPDATE, then `insert_activity_and_event`.
    """
    connection = transaction.get_connection()
    created_at = entry_params[_ENTRY_CREATED_AT]
    rows: list[Any] = []
    for leg, after in zip(legs, balances_after, strict=True):
        rows += [
            leg.wallet.pk,
            currencies[leg.wallet.pk],
            str(leg.bucket),  # a Bucket (see _as_leg): its value
            _db_value(_MONEY_FIELD, leg.amount, connection),
            None if after is None else _db_value(_MONEY_FIELD, after, connection),
        ]
    update_shape, update_params = _update_params(new_values, now, connection)
    cursor = _cursor(connection)
    if connection.vendor == "postgresql":
        record_params = [] if record is None else _activity_event_params(*record, now, connection)
        cursor.execute(
            _statement(
                connection, ("entry_postings", len(legs), update_shape, record is not None), _entry_postings_sql
            ),
            [*entry_params, created_at, *rows, *update_params, *record_params],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        if record is not None:
            dispatch_after_commit(int(row[1]))
        return int(row[0])
    cursor.execute(_statement(connection, ("entry",), _entry_sql), entry_params)
    row = cursor.fetchone()
    if row is None:
        return None
    cursor.execute(
        _statement(connection, ("postings", len(legs)), _postings_sql),
        [value for i in range(len(legs)) for value in (row[0], *rows[i * 5 : i * 5 + 5], created_at)],
    )
    if update_shape is not None:
        cursor.execute(_statement(connection, ("update", update_shape), _update_sql), update_params)
    if record is not None:
        insert_activity_and_event(*record)
    return int(row[0])


def _entry_sql(connection: BaseDatabaseWrapper) -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(JournalEntry._meta.db_table)} ({', '.join(quote(_column(f)) for f in _ENTRY_FIELDS)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(_ENTRY_FIELDS))}) "
        f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING RETURNING {quote('id')}"
    )


def _posting_columns(connection: BaseDatabaseWrapper) -> str:
    quote = connection.ops.quote_name
    columns = ["entry_id", *(_column(f) for f in _POSTING_FIELDS), "created_at"]
    return f"{quote(Posting._meta.db_table)} ({', '.join(quote(c) for c in columns)})"


def _postings_sql(connection: BaseDatabaseWrapper, count: int) -> str:
    row = f"({', '.join(['%s'] * (len(_POSTING_FIELDS) + 2))})"
    return f"INSERT INTO {_posting_columns(connection)} VALUES {', '.join([row] * count)}"  # noqa: S608


def _entry_postings_sql(
    connection: BaseDatabaseWrapper, count: int, update_shape: _UpdateShape | None, recorded: bool
) -> str:
    """WITH e AS (INSERT entry ... RETURNING id), p AS (INSERT postings SELECT e.id, v.* FROM e, (VALUES ...) v),
    u AS (UPDATE wallets ... AND EXISTS (SELECT FROM e)), a AS (INSERT activity SELECT ... WHERE EXISTS (SELECT
    FROM e)), o AS (INSERT event SELECT ... WHERE EXISTS (SELECT FROM e) RETURNING id) SELECT e.id, o.id."""
    quote = connection.ops.quote_name
    casts = [
        f"CAST(%s AS {f.rel_db_type(connection) if f.is_relation else f.db_type(connection)})" for f in _POSTING_FIELDS
    ]
    names = [f"v{i}" for i in range(len(_POSTING_FIELDS))]
    values = ", ".join([f"({', '.join(casts)})"] * count)
    created_at = f"CAST(%s AS {Posting._meta.get_field('created_at').db_type(connection)})"
    update = record = event_id = ""
    if update_shape is not None:
        update = f", u AS ({_update_sql(connection, update_shape)} AND EXISTS (SELECT FROM e))"
    if recorded:
        activity, event = _insert_select_sql(connection, Activity), _insert_select_sql(connection, OutboxEvent)
        record = f", a AS ({activity}), o AS ({event} RETURNING {quote('id')})"
        event_id = f", (SELECT {quote('id')} FROM o)"  # noqa: S608 - a name
    return (
        f"WITH e AS ({_entry_sql(connection)}), "  # noqa: S608 - names from the models
        f"p AS (INSERT INTO {_posting_columns(connection)} "
        f"SELECT e.{quote('id')}, {', '.join(f'v.{n}' for n in names)}, {created_at} "
        f"FROM e CROSS JOIN (VALUES {values}) AS v ({', '.join(names)})){update}{record} "
        f"SELECT e.{quote('id')}{event_id} FROM e"
    )


def _insert_select_sql(connection: BaseDatabaseWrapper, model: type[models.Model]) -> str:
    """A row of `model` written only when the entry is: INSERT ... SELECT <values> WHERE EXISTS (SELECT FROM e)."""
    into, placeholders = _insert_into(connection, model)
    return f"{into} SELECT {placeholders} WHERE EXISTS (SELECT FROM e)"  # noqa: S608 - names from the model


def _insert_into(connection: BaseDatabaseWrapper, model: type[models.Model]) -> tuple[str, str]:
    """`INSERT INTO table (columns)` for every column of `model` but its primary key, and their placeholders."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(_column(f)) for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns})", ", ".join(["%s"] * len(fields))


# An UPDATE of the wallets' cached values: (column, how many wallets it changes) per column, and how many wallets.
_UpdateShape = tuple[tuple[tuple[str, int], ...], int]


def _update_params(
    new_values: dict[int, dict[str, Decimal]], now: dt.datetime, connection: BaseDatabaseWrapper
) -> tuple[_UpdateShape | None, list[Any]]:
    """The shape and parameters of the UPDATE of every locked wallet of an entry (None: no wallet to update)."""
    if not new_values:
        return None, []
    ids = sorted(new_values)
    by_column: dict[str, list[int]] = {}
    for pk in ids:
        for column in new_values[pk]:
            by_column.setdefault(column, []).append(pk)
    columns = sorted(by_column)
    params: list[Any] = []
    for column in columns:
        for pk in by_column[column]:
            params += [pk, _db_value(_MONEY_FIELD, new_values[pk][column], connection)]
    params.append(_db_value(_WALLET_UPDATED_AT, now, connection))
    params += ids
    return (tuple((column, len(by_column[column])) for column in columns), len(ids)), params


def _update_sql(connection: BaseDatabaseWrapper, update_shape: _UpdateShape) -> str:
    """One UPDATE for every locked wallet of the entry: each moved column set by a CASE on the wallet's id."""
    shape, count = update_shape
    quote = connection.ops.quote_name
    money = f"CAST(%s AS {_MONEY_FIELD.db_type(connection)})" if connection.vendor == "postgresql" else "%s"
    sets = [
        f"{quote(column)} = CASE {quote('id')} {' '.join([f'WHEN %s THEN {money}'] * n)} ELSE {quote(column)} END"
        for column, n in shape
    ]
    return (
        f"UPDATE {quote(Wallet._meta.db_table)} SET {', '.join(sets)}, {quote('updated_at')} = %s "  # noqa: S608
        f"WHERE {quote('id')} IN ({', '.join(['%s'] * count)})"
    )


_TRANSACTION_FIELDS = [f for f in Transaction._meta.concrete_fields if not f.primary_key]


def create_transaction(**values: Any) -> Transaction:
    """Write a new transaction row and return it saved, as `Transaction.objects.create(**values)` would: `values`
    by field name (a related object or its id by attname), auto_now fields stamped, the rest their defaults, each
    value prepared by its field. The statement's text is built once, and the one model made is the one returned."""
    connection = transaction.get_connection()
    params, attrs, related = _row(Transaction, _TRANSACTION_FIELDS, values, timezone.now(), connection)
    cursor = _cursor(connection)
    cursor.execute(_statement(connection, ("transaction",), _transaction_sql), params)
    row = cursor.fetchone()
    attrs[_TRANSACTION_PK] = int(row[0])
    return stored_instance(Transaction, connection.alias, attrs, related)


_TRANSACTION_PK = Transaction._meta.pk.attname


def _transaction_sql(connection: BaseDatabaseWrapper) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in _TRANSACTION_FIELDS)
    return (
        f"INSERT INTO {quote(Transaction._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(_TRANSACTION_FIELDS))}) RETURNING {quote('id')}"
    )


class _Spot(NamedTuple):
    """A field of a row the ledger writes: its place in the statement, and what writing a value to it takes."""

    position: int
    field: models.Field[Any, Any]
    attname: str
    relation: bool  # a related object may be given for it (its pk is written)
    plain: type | None  # values of exactly this type are written as they are (`_plain_type`), but see `exact`
    exact: bool  # True: no further check (str, int, bool); False: Decimal and datetime go through `_db_value`


@dataclass(frozen=True)
class _Plan:
    """How a new row of some fields is written: each field's spot by name and attname, the row as its defaults
    make it (constant defaults and their database values, prepared once), the spots filled per row when the
    caller gives no value: stamped (auto_now, auto_now_add: now) or a callable default; and per set of names a
    caller gives (`_Given`, made on its first use), their spots and the stamped and called spots left."""

    spots: dict[str, _Spot]
    params: list[Any]
    attrs: dict[str, Any]
    stamped: list[_Spot]
    called: list[_Spot]
    given: dict[tuple[str, ...], _Given]


class _Given(NamedTuple):
    spots: list[_Spot]
    stamped: list[_Spot]
    called: list[_Spot]


# By (model, vendor): built on first use.
_PLANS: dict[tuple[type[models.Model], str], _Plan] = {}


def _plan(model: type[models.Model], fields: list[models.Field[Any, Any]], connection: BaseDatabaseWrapper) -> _Plan:
    key = (model, connection.vendor)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan({}, [], {}, [], [], {})
        for index, field in enumerate(fields):
            plain = _plain_type(field, connection)
            spot = _Spot(index, field, field.attname, field.is_relation, plain, plain in (str, int, bool))
            plan.spots[field.name] = plan.spots[field.attname] = spot
            value = None
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                if not isinstance(field, models.DateTimeField):
                    raise TypeError(f"{field} is stamped with a date; the ledger's rows stamp date-times only.")
                plan.stamped.append(spot)
            elif field.has_default() and callable(field.default):
                plan.called.append(spot)
            else:
                value = field.get_default()
            plan.attrs[field.attname] = value
            plan.params.append(_db_value(field, value, connection))
    return plan


def _given(plan: _Plan, names: tuple[str, ...]) -> _Given:
    given = plan.given.get(names)
    if given is None:
        missing = [name for name in names if name not in plan.spots]
        if missing:
            raise ValueError(f"No such column: {missing[0]}.")
        spots = [plan.spots[name] for name in names]
        taken = {spot.position for spot in spots}
        given = plan.given[names] = _Given(
            spots,
            [spot for spot in plan.stamped if spot.position not in taken],
            [spot for spot in plan.called if spot.position not in taken],
        )
    return given


def _row(
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    values: dict[str, Any],
    now: dt.datetime,
    connection: BaseDatabaseWrapper,
) -> tuple[list[Any], dict[str, Any], dict[str, models.Model]]:
    """A new row of `fields` as save() would write it, from `values` by field name (a related object or its id by
    attname): its database values, its values by attname, and the related objects given, by field name."""
    plan = _plan(model, fields, connection)
    given = _given(plan, tuple(values))
    params = plan.params.copy()
    attrs = plan.attrs.copy()
    related: dict[str, models.Model] = {}
    for spot, value in zip(given.spots, values.values(), strict=True):
        if spot.relation and isinstance(value, models.Model):
            related[spot.field.name] = value
            value = value.pk
            if value is None:
                raise ValueError(f"{spot.field.name} is not saved yet.")
        if (spot.exact and type(value) is spot.plain) or (value is None and spot.plain is not None):
            params[spot.position] = value
        else:
            params[spot.position] = _db_value(spot.field, value, connection)
        attrs[spot.attname] = value
    if given.stamped:
        now_db = _db_value(given.stamped[0].field, now, connection)
        for spot in given.stamped:
            params[spot.position] = now_db
            attrs[spot.attname] = now
    for spot in given.called:
        value = spot.field.get_default()
        params[spot.position] = _db_value(spot.field, value, connection)
        attrs[spot.attname] = value
    return params, attrs, related


_ACTIVITY_FIELDS = [f for f in Activity._meta.concrete_fields if not f.primary_key]
_EVENT_FIELDS = [f for f in OutboxEvent._meta.concrete_fields if not f.primary_key]


def insert_activity_and_event(activity: dict[str, Any], event: dict[str, Any]) -> int:
    """Write a movement's activity row and outbox event: `activity` and `event` are the rows core defines
    (`crm.core.services.activity_values`, `crm.core.events.event_values`); `created_at` is stamped as on save.
    The event goes to its handlers after the commit, as `emit` sends it. Returns the event's id.

    PostgreSQL: one statement (the activity's INSERT in a CTE); SQLite: two."""
    connection = transaction.get_connection()
    params = _activity_event_params(activity, event, timezone.now(), connection)
    cursor = _cursor(connection)
    if connection.vendor == "postgresql":
        cursor.execute(_statement(connection, ("activity_event",), _activity_event_sql), params)
    else:
        split = len(_ACTIVITY_FIELDS)
        cursor.execute(_statement(connection, ("activity",), _insert_sql, Activity), params[:split])
        cursor.execute(_statement(connection, ("event",), _insert_sql, OutboxEvent), params[split:])
    row = cursor.fetchone()
    event_id = int(row[0])
    dispatch_after_commit(event_id)
    return event_id


def _activity_event_params(
    activity: dict[str, Any], event: dict[str, Any], now: dt.datetime, connection: BaseDatabaseWrapper
) -> list[Any]:
    """The activity row's database values, then the event's, `created_at` stamped `now`."""
    return [
        *_row(Activity, _ACTIVITY_FIELDS, activity, now, connection)[0],
        *_row(OutboxEvent, _EVENT_FIELDS, event, now, connection)[0],
    ]


def _insert_sql(connection: BaseDatabaseWrapper, model: type[models.Model]) -> str:
    into, placeholders = _insert_into(connection, model)
    return f"{into} VALUES ({placeholders}) RETURNING {connection.ops.quote_name('id')}"


def _activity_event_sql(connection: BaseDatabaseWrapper) -> str:
    return f"WITH a AS ({_insert_sql(connection, Activity)}) {_insert_sql(connection, OutboxEvent)}"


def _same_or_refuse(existing: JournalEntry, legs: Sequence[Leg]) -> JournalEntry:
    stored = existing.postings.values_list("wallet_id", "bucket", "amount")
    if _signature(stored) != _signature((leg.wallet.pk, leg.bucket, leg.amount) for leg in legs):
        raise IdempotencyConflict(
            _("The key %(idempotency_key)s was already used for different postings.")
            % {"idempotency_key": repr(existing.idempotency_key)},
        )
    return existing


def _apply(legs: Sequence[Leg], locked: dict[int, Wallet]) -> dict[int, dict[str, Decimal]]:
    """New cached values per locked wallet; refuses to take a wallet below zero unless it allows it."""
    deltas: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for leg in legs:
        if leg.wallet.pk in locked:
            deltas[leg.wallet.pk][BUCKET_COLUMNS[leg.bucket]] += leg.amount
    new_values: dict[int, dict[str, Decimal]] = {}
    for pk, columns in deltas.items():
        wallet = locked[pk]
        values = {column: getattr(wallet, column) + delta for column, delta in columns.items()}
        negative = [column for column, value in values.items() if value < 0]
        if negative and not wallet.allow_negative:
            column = negative[0]
            raise InsufficientFunds(
                _("Wallet %(number)s has %(value)s (%(value2)s); it cannot go below zero.")
                % {
                    "number": wallet.number,
                    "value": format_money(getattr(wallet, column), wallet.currency),
                    "value2": column.replace("_", " "),
                },
                fields={"amount": [_("Insufficient funds.")]},
            )
        new_values[pk] = values
    return new_values


def _balances_after(legs: Sequence[Leg], locked: dict[int, Wallet]) -> list[Decimal | None]:
    running = {(pk, column): getattr(w, column) for pk, w in locked.items() for column in BUCKET_COLUMNS.values()}
    result: list[Decimal | None] = []
    for leg in legs:
        key = (leg.wallet.pk, BUCKET_COLUMNS[leg.bucket])
        if key not in running:
            result.append(None)
            continue
        running[key] += leg.amount
        result.append(running[key])
    return result


@transaction.atomic
def reverse_entry(entry: JournalEntry, *, actor: Actor = None, description: str = "") -> JournalEntry:
    """Post the mirror image of an entry; reversing the same entry again returns the first reversal."""
    legs = [
        Leg(posting.wallet, -posting.amount, posting.bucket)
        for posting in entry.postings.select_related("wallet").order_by("id")
    ]
    return post_entry(
        idempotency_key=f"reversal:{entry.pk}",
        postings=legs,
        kind=entry.kind,
        description=description or f"Reversal of entry #{entry.pk}",
        actor=actor,
        transaction_obj=entry.transaction,
        reverses=entry,
    )


def system_account(code: str, currency: Currency | str) -> Wallet:
    """The system account standing for `code` (PSP clearing, fee income, ...) in a currency, created once."""
    currency_code = currency if isinstance(currency, str) else currency.code
    wallet = Wallet.objects.filter(system_code=code, currency_id=currency_code).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(
                system_code=code,
                currency_id=currency_code,
                type=Wallet.Type.SYSTEM,
                number=f"SYS-{code.upper()}-{currency_code}",
                caption=f"{Wallet.SystemCode(code).label} {currency_code}",
                allow_negative=True,
                can_deposit=False,
                can_withdraw=False,
                can_transfer=False,
            )
    except IntegrityError:
        return Wallet.objects.get(system_code=code, currency_id=currency_code)
