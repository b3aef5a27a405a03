"""Clients changelist latency in the admin on ~200k clients, as a sales manager through Django's test client.

Figures (median of repeated requests; value and baseline interleaved so noise hits them alike).
The baseline is the same page served the naive way on the same data: the full result count
shown (`show_full_result_count=True`) and the list counted exactly (Django's paginator), no
`list_select_related` (one query per agent and sales status shown) and Django's default search
(`icontains` on names, email and phone: a table scan).
- admin_changelist: first page, no filter.
- admin_changelist_search: a last-name prefix search.
- admin_changelist_search_email: an email prefix search.
- admin_changelist_filter: first page filtered by KYC status, country and first deposit.
Below 1 is better.
The main figures compare each page with its bare SQL instead (the limit users feel), as leads_changelist
does: clients_changelist, _search, _search_email, _filter: the same page against its rows query (captured
from the request) run alone plus the planner's estimate of the table's rows (what the page's count costs at
best), on the same connection.
- clients_changelist_render: the first page against the same 50 rows and 9 columns (and the row checkbox and
  link) fetched by the ORM and rendered by a minimal Django template: the limit of a server-rendered page.
  Aim: ratio <= 2 and a page under 150 ms.
Everything is built inside one transaction rolled back at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.admin import ModelAdmin as DjangoModelAdmin  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core.roles import Role  # noqa: E402
from crm.customers.models import Customer, SalesStatus  # noqa: E402
from crm.users.models import User  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
BATCH = 5000
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Müller", "Schmidt"]
LAST_NAMES += ["Garcia", "Martin", "Rossi", "Dubois", "Kowalski", "Novak", "Silva", "Santos", "Petrov", "Nielsen"]


class _Rollback(Exception):
    pass


def build() -> User:
    """Agents, sales statuses and CLIENTS clients spread over them, with bulk_create."""
    rng = random.Random(11)  # noqa: S311 - reproducible data, not secrets
    agents = User.objects.bulk_create(
        User(email=f"bench-admin-agent{i}@bench.invalid", first_name="Agent", last_name=str(i), is_staff=True)
        for i in range(20)
    )
    manager = User.objects.create(email="bench-admin-manager@bench.invalid", is_staff=True)
    manager.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
    statuses = [SalesStatus.objects.get_or_create(name=f"Bench admin {i}", color="#22c55e")[0] for i in range(8)]
    now = timezone.now()
    countries = ["DE", "GB", "FR", "ES", "IT", "PL", "NL", "BR", "AU", "ZA"]
    for start in range(0, CLIENTS, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, CLIENTS)):
            ftd = rng.random() < 0.35
            last_name = f"{rng.choice(LAST_NAMES)}{rng.randint(0, 9999)}"
            rows.append(
                Customer(
                    first_name=f"First{i}",
                    last_name=last_name,
                    email=f"{last_name.lower()}.{i}@bench.invalid",
                    phone=f"+4477{i:08d}",
                    country=rng.choice(countries),
                    kyc_status=rng.choice(Customer.KycStatus.values),
                    source="bench-admin",
                    conversion_agent=rng.choice(agents),
                    retention_agent=rng.choice(agents) if ftd else None,
                    sales_status=rng.choice(statuses),
                    registered_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 720)),
                    first_deposit_at=now - timedelta(days=rng.randint(0, 300)) if ftd else None,
                    deposit_count=rng.randint(1, 12) if ftd else 0,
                )
            )
        Customer.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return manager


@contextmanager
def naive_admin():
    """The registered CustomerAdmin as a default admin would serve it: full count, no joins, icontains search."""
    model_admin = admin.site._registry[Customer]
    saved = {
        name: model_admin.__dict__.get(name)
        for name in (
            "show_full_result_count",
            "list_select_related",
            "search_fields",
            "get_search_results",
            "paginator",
        )
    }
    model_admin.show_full_result_count = True
    model_admin.paginator = Paginator  # Django's: an exact COUNT of the list
    model_admin.list_select_related = ()
    model_admin.search_fields = ("first_name", "last_name", "email", "phone")
    model_admin.get_search_results = DjangoModelAdmin.get_search_results.__get__(model_admin)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                model_admin.__dict__.pop(name, None)
            else:
                setattr(model_admin, name, value)


def timed(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def measure(client: Client, url: str) -> tuple[float, float]:
    values, baselines = [], []
    timed(client, url)  # warm caches (templates, permissions) before either variant counts
    with naive_admin():
        timed(client, url)
    for _ in range(ROUNDS):
        values.append(timed(client, url))
        with naive_admin():
            baselines.append(timed(client, url))
    return statistics.median(values), statistics.median(baselines)


def page_sql(client: Client, url: str) -> str:
    """The page's rows query: the one with the LIMIT, or on a result that fits one page the last one that is no
    count."""
    with CaptureQueriesContext(connection) as queries:
        timed(client, url)
    selects = [q["sql"] for q in queries.captured_queries if 'FROM "customers_customer"' in q["sql"]]
    rows = [sql for sql in selects if "LIMIT" in sql] or [sql for sql in selects if "COUNT(" not in sql]
    return rows[-1]


def timed_sql(sql: str) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'customers_customer'::regclass")
        cursor.fetchone()
    return (time.perf_counter() - started) * 1000


def measure_sql(client: Client, url: str) -> tuple[float, float]:
    sql = page_sql(client, url)
    timed_sql(sql)
    values, baselines = [], []
    for _ in range(ROUNDS):
        values.append(timed(client, url))
        baselines.append(timed_sql(sql))
    return statistics.median(values), statistics.median(baselines)


MINIMAL_PAGE = """<table>{% for c in clients %}<tr>
<td><input type="checkbox" name="_selected_action" value="{{ c.pk }}"></td>
<th><a href="{{ change_url }}{{ c.pk }}/change/">{{ c.first_name }} {{ c.last_name }} (#{{ c.pk }})</a></th>
<td>{{ c.email }}</td><td>{{ c.phone }}</td><td>{{ c.country.code }}</td><td>{{ c.status }}</td>
<td>{{ c.kyc_status }}</td><td>{{ c.sales_status.name|default:"-" }}</td>
<td>{{ c.conversion_agent|default:"-" }} / {{ c.retention_agent|default:"-" }}</td><td>{{ c.registered_at }}</td>
</tr>{% endfor %}</table>"""


def timed_minimal_page() -> float:
    from django.template import engines

    template = engines["django"].from_string(MINIMAL_PAGE)
    started = time.perf_counter()
    clients = list(
        Customer.objects.select_related("conversion_agent", "retention_agent", "sales_status").order_by(
            "-registered_at", "-id"
        )[:50]
    )
    html = template.render({"clients": clients, "change_url": reverse("admin:customers_customer_changelist")})
    elapsed = (time.perf_counter() - started) * 1000
    if html.count("<tr>") != len(clients):
        raise RuntimeError("The minimal page did not render its rows")
    return elapsed


def measure_render(client: Client, url: str) -> tuple[float, float]:
    timed(client, url)
    timed_minimal_page()
    values, baselines = [], []
    for _ in range(ROUNDS):
        values.append(timed(client, url))
        baselines.append(timed_minimal_page())
    return statistics.median(values), statistics.median(baselines)


def report(name: str, value: float, baseline: float) -> None:
    print(bench_line(name, value, baseline, "ms"))


def main() -> int:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 1
    changelist = reverse("admin:customers_customer_changelist")
    pages = {
        "admin_changelist": changelist,
        "admin_changelist_search": f"{changelist}?q=Kowalski12",
        "admin_changelist_search_email": f"{changelist}?q=silva4",
        "admin_changelist_filter": f"{changelist}?kyc_status__exact=pending&country__exact=DE&has_ftd=yes",
    }
    results = {}
    try:
        with transaction.atomic():
            manager = build()
            client = Client()
            client.force_login(manager)
            for name, url in pages.items():
                results[name.replace("admin_", "clients_")] = measure_sql(client, url)
            results["clients_changelist_render"] = measure_render(client, changelist)
            for name, url in pages.items():
                results[name] = measure(client, url)
            raise _Rollback
    except _Rollback:
        pass
    for name, (value, baseline) in results.items():
        report(name, value, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
