"""Back-office customers list latency on ~100k clients, as a sales manager through DRF's APIClient.

Figures (median of repeated requests, variants interleaved so noise hits them alike):
- customers_api_list: first page (limit=50) against the same endpoint with `for_list()` turned
  off, i.e. one query per related row (N+1). Below 1 is better.
- customers_api_page_size: limit=50 against limit=10. Near 1 means the cost does not grow with
  the page size.
- customers_api_queries: queries at limit=50 against limit=10 (must be 1: a flat query count).
- customers_api_filtered: a filtered first page (country, KYC status, FTD, source) against the
  unfiltered one.
- customers_api_sql (the main figure: the limit users feel): the first page (limit=50) against its bare SQL,
  the rows query captured from the request run alone plus the planner's estimate of the table's rows (what
  the page's count costs at best), on the same connection.
Everything is built inside one transaction that is rolled back at the end: nothing is left over.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core.roles import Role  # noqa: E402
from crm.customers.models import ClientGroup, ClientRole, Customer, CustomerQuerySet, SalesStatus  # noqa: E402
from crm.users.models import User  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
BATCH = 5000
FILTERS = "country=DE&kyc_status=approved&kyc_status=pending&has_ftd=true&source=Google%20Ads"


def build() -> User:
    """Agents, statuses and CLIENTS clients spread over them, with bulk_create."""
    rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets
    agents = User.objects.bulk_create(
        User(email=f"bench-agent{i}@bench.invalid", first_name="Agent", last_name=str(i), is_staff=True)
        for i in range(20)
    )
    manager = User.objects.create(email="bench-manager@bench.invalid", is_staff=True)
    manager.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
    statuses = [SalesStatus.objects.get_or_create(name=f"Bench {i}")[0] for i in range(8)]
    groups = [ClientGroup.objects.get_or_create(name=f"Bench group {i}")[0] for i in range(4)]
    trader = ClientRole.objects.get_or_create(name="trader")[0]
    now = timezone.now()
    countries = ["DE", "GB", "FR", "ES", "IT", "PL", "NL", "BR", "AU", "ZA"]
    sources = ["Google Ads", "Facebook", "Affiliate", "Organic", "Referral"]
    for start in range(0, CLIENTS, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, CLIENTS)):
            ftd = rng.random() < 0.35
            registered = now - timedelta(minutes=rng.randint(0, 60 * 24 * 720))
            rows.append(
                Customer(
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    email=f"client{i}@bench.invalid",
                    phone=f"+4477{i:08d}",
                    country=rng.choice(countries),
                    kyc_status=rng.choice(Customer.KycStatus.values),
                    source=rng.choice(sources),
                    conversion_agent=rng.choice(agents),
                    retention_agent=rng.choice(agents) if ftd else None,
                    sales_status=rng.choice(statuses),
                    registered_at=registered,
                    last_activity_at=registered + timedelta(days=rng.randint(0, 30)),
                    first_deposit_at=registered + timedelta(days=1) if ftd else None,
                    deposit_count=rng.randint(1, 9) if ftd else 0,
                )
            )
        created = Customer.objects.bulk_create(rows)
        Customer.roles.through.objects.bulk_create(
            Customer.roles.through(customer_id=c.pk, clientrole_id=trader.pk) for c in created
        )
        Customer.groups.through.objects.bulk_create(
            Customer.groups.through(customer_id=c.pk, clientgroup_id=rng.choice(groups).pk)
            for c in created
            if rng.random() < 0.1
        )
    with connection.cursor() as cursor:
        for model in (Customer, Customer.roles.through, Customer.groups.through, User):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return manager


def timed(client: APIClient, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def measure(client: APIClient, variants: dict[str, str]) -> dict[str, float]:
    """Median milliseconds per variant, after one warm-up request each; rounds interleave the variants."""
    samples: dict[str, list[float]] = {key: [] for key in variants}
    for url in variants.values():
        timed(client, url)
    for _ in range(ROUNDS):
        for key, url in variants.items():
            samples[key].append(timed(client, url))
    return {key: statistics.median(values) for key, values in samples.items()}


def bare_sql(client: APIClient, url: str) -> tuple[float, float]:
    """Median ms of the page and of its rows query run alone with an estimated count, interleaved."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    rows = [
        q["sql"] for q in captured.captured_queries if 'FROM "customers_customer"' in q["sql"] and "LIMIT" in q["sql"]
    ]

    def timed_sql() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(rows[-1])
            cursor.fetchall()
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'customers_customer'::regclass")
            cursor.fetchone()
        return (time.perf_counter() - started) * 1000

    timed_sql()
    pages, sqls = [], []
    for _ in range(ROUNDS):
        pages.append(timed(client, url))
        sqls.append(timed_sql())
    return statistics.median(pages), statistics.median(sqls)


def without_for_list(client: APIClient, url: str) -> dict[str, float]:
    """The N+1 baseline: the same endpoint with `for_list()` doing nothing."""
    original = CustomerQuerySet.for_list
    CustomerQuerySet.for_list = lambda self: self
    try:
        return measure(client, {"n_plus_one": f"{url}?limit=50"})
    finally:
        CustomerQuerySet.for_list = original


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        raise SystemExit("customers_api measures PostgreSQL: run it through bench/run.py")
    url = reverse("backoffice:customer-list")
    with transaction.atomic():
        started = time.perf_counter()
        manager = build()
        print(f"built {CLIENTS} clients in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        client = APIClient()
        client.force_authenticate(manager)
        times = measure(
            client,
            {"page50": f"{url}?limit=50", "page10": f"{url}?limit=10", "filtered": f"{url}?limit=50&{FILTERS}"},
        )
        counts = {"page50": queries(client, f"{url}?limit=50"), "page10": queries(client, f"{url}?limit=10")}
        baseline = without_for_list(client, url)
        page, sql = bare_sql(client, f"{url}?limit=50")
        print(bench_line("customers_api_sql", page, sql, "ms", decimals=2))
        print(bench_line("customers_api_list", times["page50"], baseline["n_plus_one"], "ms", decimals=2))
        print(bench_line("customers_api_page_size", times["page50"], times["page10"], "ms", decimals=2))
        print(bench_line("customers_api_queries", counts["page50"], counts["page10"], "q", decimals=0, significant=1))
        print(bench_line("customers_api_filtered", times["filtered"], times["page50"], "ms", decimals=2))
        transaction.set_rollback(True)  # clean up: nothing built here outlives the run
