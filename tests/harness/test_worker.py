"""A real Celery worker against Redis: an export and the outbox dispatch of a deposit go through it, and a worker
killed in the middle of a dispatch leaves the message to the next worker, which completes it exactly once.

The fault test (issue 19) runs a private redis-server, workers and beat, and delivers deposits by signed webhook
while Redis is stopped and started empty, a worker is killed, and the workers' database sessions are terminated:
every accepted webhook is credited exactly once, by the sweeps where a message was lost.

The tests commit (transactional database) so that the worker, a separate process on the same test database,
sees the rows; the test process publishes for real (`task_always_eager` off) to its Redis database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from openpyxl import load_workbook

from config.celery_app import app as celery_app
from crm.core.models import HandledEvent, OutboxEvent
from crm.core.roles import Role
from crm.customers.models import Customer
from crm.reports.models import ReportRun, ReportTemplate
from crm.wallets import services
from tests.customers.factories import CustomerFactory
from tests.harness.worker import Beat, RedisServer, Worker, attempts_log, free_port, purge_broker, wait_until
from tests.sales.factories import LeadFactory
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import WalletFactory

# tests.harness.worker_handlers is imported by the worker only: imported here it would add its handler to
# every deposit of the whole test session.
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DEPOSIT_COMPLETED_HANDLERS = {
    "crm.communications.events.send_template_emails",
    "crm.customers.events.count_deposit",
    "crm.affiliates.events.record_deposit",
    "tests.harness.worker_handlers.wait_for_gate",
}
DISPATCH_TASK = "crm.core.tasks.dispatch_event_task"


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path):
    """Starts workers on the test database and Redis DB; stops them and empties the broker afterwards."""
    broker_url = settings.CELERY_BROKER_URL
    purge_broker(broker_url)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.harness.worker_settings",
        "REDIS_URL": settings.REDIS_URL,
        "HARNESS_DATABASE_NAME": connection.settings_dict["NAME"],
        "HARNESS_FILES": str(tmp_path),
    }
    base_env.pop("HARNESS_GATE", None)
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(env={**base_env, **env}, folder=tmp_path).start()
        workers.append(worker)
        return worker

    def beat(**env: str) -> Worker:
        process = Beat(env={**base_env, **env}, folder=tmp_path).start()
        workers.append(process)
        return process

    start.beat = beat  # type: ignore[attr-defined]
    yield start

    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager = eager
    purge_broker(broker_url)


def test_beat_and_worker_run_a_scheduled_report_into_a_file_and_an_email(start_worker, client, tmp_path):
    """A template due now: beat (database schedule) sends the sweep, the worker builds the file and mails the link."""
    worker = start_worker().wait_ready()
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="Reports: run scheduled report templates",
        task="crm.reports.tasks.run_due_report_templates_task",
        interval=every_second,
    )
    finance = StaffUserFactory(roles=[Role.FINANCE])
    WalletFactory(customer=CustomerFactory(conversion_agent=finance))
    template = ReportTemplate.objects.create(
        owner=finance,
        name="Daily balance",
        kind="balance",
        base_date=timezone.now() - dt.timedelta(days=1),
        next_run_at=timezone.now() - dt.timedelta(seconds=1),
        notify_emails=["cfo@example.com"],
    )
    beat = start_worker.beat()

    wait_until(
        lambda: ReportRun.objects.filter(template=template, status="done").first(),
        timeout=60,
        what="scheduled report built",
        logs=[beat, worker],
    )

    def written() -> str:  # the file backend creates the file before it writes the message: wait for the text
        mails = list((tmp_path / "mail").glob("*.log")) if (tmp_path / "mail").exists() else []
        text = "".join(path.read_text() for path in mails)
        return text if "/reports/download/" in text else ""

    body = wait_until(written, timeout=20, what="report email written", logs=[worker])
    assert "cfo@example.com" in body
    link = re.search(r"http://\S+(/reports/download/\?token=\S+)", body).group(1)
    download = client.get(link)
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert next(workbook.active.iter_rows(values_only=True))[:2] == ("Wallet id", "Wallet")
    template.refresh_from_db()
    assert template.next_run_at > timezone.now()
    assert ReportRun.objects.filter(template=template).count() == 1


def deposit_100(wallet) -> None:
    """A client's first deposit, started and confirmed through the services (two transactions, five events)."""
    deposit = services.start_deposit(wallet.customer, wallet=wallet, amount=Decimal("100.00"), actor=None)
    services.confirm_deposit(deposit, provider_reference="psp-1")


def all_dispatched() -> bool:
    return OutboxEvent.objects.exists() and not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def handlers_run(event: OutboxEvent) -> list[str]:
    return sorted(HandledEvent.objects.filter(event=event).values_list("handler", flat=True))


def task_ids(worker: Worker, state: str) -> list[str]:
    """Ids of the dispatch tasks the worker logged as `received` or `succeeded`."""
    return re.findall(rf"{re.escape(DISPATCH_TASK)}\[([0-9a-f-]+)\] {state}", worker.output())


def wait_for_successes(workers: list[Worker], count: int) -> list[str]:
    """The ids logged as succeeded once there are `count` (a task logs it just after its last database write)."""
    return wait_until(
        lambda: len(ids := [i for w in workers for i in task_ids(w, "succeeded")]) >= count and ids,
        timeout=10,
        what=f"{count} tasks logged as succeeded",
        logs=workers,
    )


def test_worker_builds_an_export_requested_through_the_api(start_worker, api_client):
    worker = start_worker().wait_ready()
    manager = StaffUserFactory(is_superuser=True)
    wanted = {lead.email for lead in LeadFactory.create_batch(3, country="DE")}
    LeadFactory(country="GB")
    api_client.force_authenticate(manager)

    response = api_client.post(reverse("backoffice:lead-export") + "?country=DE")
    job_url = reverse("backoffice:exportjob-detail", args=[response.json()["id"]])
    job = wait_until(
        lambda: (body := api_client.get(job_url).json())["status"] in ("done", "failed") and body,
        timeout=30,
        what="export job finished",
        logs=[worker],
    )
    download = api_client.get(job["download_url"])

    assert response.status_code == 202
    assert (job["status"], job["error"], job["rows_done"], job["rows_total"]) == ("done", "", 3, 3)
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    header, *rows = workbook.active.iter_rows(values_only=True)
    email = header.index("email")
    assert {row[email] for row in rows} == wanted
    assert {row[header.index("country")] for row in rows} == {"DE"}


def test_worker_dispatches_the_events_of_a_deposit_once_each(start_worker):
    worker = start_worker().wait_ready()
    wallet = WalletFactory()

    deposit_100(wallet)
    wait_until(all_dispatched, timeout=30, what="every event dispatched", logs=[worker])

    events = list(OutboxEvent.objects.order_by("pk"))
    assert [e.name for e in events] == [
        "deposit.started",
        "deposit.completed",
        "transaction.completed",
        "deposit.first",
        "client.ftd",
    ]
    assert {(e.attempts, e.last_error) for e in events} == {(1, "")}
    completed = events[1]
    assert handlers_run(completed) == sorted(DEPOSIT_COMPLETED_HANDLERS)
    customer = Customer.objects.get(pk=wallet.customer_id)
    assert customer.deposit_count == 1
    assert customer.first_deposit_at is not None
    succeeded = wait_for_successes([worker], len(events))
    assert sorted(succeeded) == sorted(set(task_ids(worker, "received")))
    assert len(succeeded) == len(set(succeeded)) == len(events)


def test_worker_killed_mid_dispatch_leaves_the_event_to_the_next_worker_which_completes_it_once(
    start_worker, tmp_path
):
    gate = tmp_path / "gate"
    attempts = attempts_log(gate)
    first = start_worker(HARNESS_GATE=str(gate)).wait_ready()
    wallet = WalletFactory()
    deposit_100(wallet)
    completed = OutboxEvent.objects.get(name="deposit.completed")
    wait_until(attempts.exists, timeout=30, what="the gated handler started", logs=[first])

    first.kill()

    # The crash: handlers that finished before it are committed, the one interrupted is not.
    completed.refresh_from_db()
    assert (completed.dispatched_at, completed.attempts) == (None, 1)  # the claim was committed before the work
    assert handlers_run(completed) == [
        "crm.affiliates.events.record_deposit",
        "crm.communications.events.send_template_emails",
        "crm.customers.events.count_deposit",
    ]
    assert Customer.objects.get(pk=wallet.customer_id).deposit_count == 1
    [lost] = set(task_ids(first, "received")) - set(task_ids(first, "succeeded"))

    gate.touch()
    second = start_worker(HARNESS_GATE=str(gate))
    wait_until(all_dispatched, timeout=40, what="every event dispatched after the restart", logs=[first, second])

    completed.refresh_from_db()
    assert attempts.read_text().split() == [str(completed.pk)] * 2
    assert (completed.attempts, completed.last_error) == (2, "")
    assert handlers_run(completed) == sorted(DEPOSIT_COMPLETED_HANDLERS)
    assert Customer.objects.get(pk=wallet.customer_id).deposit_count == 1
    # The broker gave the same message (same task id) to the new worker, which ran it to the end once.
    succeeded = wait_for_successes([first, second], OutboxEvent.objects.count())
    assert lost in task_ids(second, "received")
    assert succeeded.count(lost) == 1
    assert len(succeeded) == len(set(succeeded)) == OutboxEvent.objects.count()


# The fault test (issue 19) ---------------------------------------------------------------------------------

# Seconds instead of minutes: a webhook's message is presumed lost 2 s after it was stored, a run that claimed
# one may take 4 s, and beat sweeps every second (production: 60 s, 120 s, 60 s; README: stored work).
FAULT_TIMINGS = {
    "payments.webhook": {"first_wait": 2, "lease": 4, "sweep_every": 1},
    "core.outbox": {"first_wait": 2, "lease": 4, "sweep_every": 1},
}
SWEEPS = ["crm.payments.tasks.sweep_webhooks_task", "crm.core.tasks.dispatch_pending_events_task"]
# Every accepted webhook is credited within the worst delay of the test timings (lease + sweep interval) plus
# the time a restarted worker or a reconnecting one needs; the bound only stops a broken run from hanging.
RECOVERY_BOUND = 45


def use_broker(url: str) -> None:
    """Point this process's Celery app (what `delay` publishes with) at another broker."""
    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def faults(transactional_db, settings, tmp_path):
    """A private redis-server (own port, never the shared one) as cache and broker of this process, the
    workers and beat; beat runs the stored schedule with the webhook and outbox sweeps every second."""
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    redis_server = RedisServer(port=free_port(), folder=tmp_path).start().wait_ready()
    previous_broker, eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    use_broker(redis_server.url)
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.WORK_TIMINGS = FAULT_TIMINGS
    settings.CACHES = {
        "default": {
            "BACKEND": "crm.core.cache.FailSoftRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    call_command("setup_periodic_tasks", verbosity=0)
    PeriodicTask.objects.exclude(task__in=SWEEPS).update(enabled=False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.harness.worker_settings",
        "REDIS_URL": redis_server.url,
        "HARNESS_DATABASE_NAME": connection.settings_dict["NAME"],
        "HARNESS_FILES": str(tmp_path),
        "HARNESS_WORK_TIMINGS": json.dumps(FAULT_TIMINGS),
        # Unacknowledged messages of a killed worker stay lost for the whole test: only the sweeps recover.
        "HARNESS_VISIBILITY_TIMEOUT": "3600",
    }
    env.pop("HARNESS_GATE", None)
    started: list = [redis_server]

    class Faults:
        redis = redis_server

        @staticmethod
        def worker(**extra: str) -> Worker:
            worker = Worker(env={**env, **extra}, folder=tmp_path).start()
            started.append(worker)
            return worker

        @staticmethod
        def beat() -> Beat:
            beat = Beat(env={**env, "HARNESS_APPLICATION_NAME": "harness-beat"}, folder=tmp_path).start()
            started.append(beat)
            return beat

        @staticmethod
        def logs() -> list:
            return started

    yield Faults

    for process in reversed(started):
        process.stop()
    use_broker(previous_broker)
    celery_app.conf.task_always_eager = eager


def pending_deposits(count: int) -> list:
    """Deposits started through the sandbox provider, each in its own client's wallet (balances start at 0)."""
    from crm.payments import services as payments
    from tests.payments.factories import PaymentMethodFactory

    method = PaymentMethodFactory()
    payments_made = []
    for number in range(count):
        wallet = WalletFactory()
        payments_made.append(
            payments.start_deposit(
                wallet.customer, method=method, wallet=wallet, amount=Decimal(f"{10 + number}.00"), actor=None
            )
        )
    return payments_made


def deliver(client, payment) -> int:
    """The provider's signed `payment.succeeded` webhook, as it arrives over HTTP; returns the status code."""
    from crm.payments.adapters import get_adapter

    body, headers = get_adapter(payment.provider).webhook(payment, event_id=f"evt_{payment.reference}")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post("/webhooks/sandbox/", data=body, content_type="application/json", **extra).status_code


def terminate_worker_sessions(seconds: float) -> int:
    """Terminate the database sessions of the workers (not beat's, not ours) again and again for `seconds`."""
    import psycopg

    params = connection.get_connection_params()
    terminated = 0
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")}, autocommit=True
    ) as admin:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = 'harness-worker' AND pid <> pg_backend_pid()",
                [params["dbname"]],
            ).fetchall()
            terminated += len(rows)
            time.sleep(0.02)
    return terminated


def test_every_accepted_webhook_is_credited_once_whatever_fails(faults, client, tmp_path):
    """Deposits by signed webhook while (a) Redis is stopped and started again empty, (b) the worker is killed in
    the middle of its work, (c) the workers' database sessions are terminated: after each, every webhook
    answered 200 is credited exactly once within the sweep's reach, the outbox is drained once, and the
    ledger is sound."""
    from django.core.management import call_command

    from crm.payments.models import WebhookEvent
    from crm.wallets.models import Transaction

    deposits = pending_deposits(12)
    beat = faults.beat().wait_ready()
    worker = faults.worker().wait_ready()

    # (a) Redis stopped: the webhooks are stored and answered (cache and broker down), then Redis comes back empty.
    faults.redis.kill()
    answers = [deliver(client, payment) for payment in deposits[:4]]
    faults.redis.start().wait_ready()

    # (b) The worker killed outright while it dispatches a deposit's events, with more webhooks waiting.
    worker.stop()
    gate = tmp_path / "gate"
    gated = faults.worker(HARNESS_GATE=str(gate)).wait_ready()
    answers.append(deliver(client, deposits[4]))
    wait_until(attempts_log(gate).exists, timeout=RECOVERY_BOUND, what="a dispatch held at the gate", logs=[gated])
    answers += [deliver(client, payment) for payment in deposits[5:8]]
    gated.kill()
    worker = faults.worker().wait_ready()

    # (c) The workers' database sessions terminated again and again while webhooks arrive.
    answers += [deliver(client, payment) for payment in deposits[8:]]
    terminated = terminate_worker_sessions(3)

    def all_credited() -> bool:
        return (
            not Transaction.objects.filter(pk__in=[p.transaction_id for p in deposits])
            .exclude(status="completed")
            .exists()
            and not WebhookEvent.objects.filter(processed_at=None).exists()
        )

    logs = [beat, worker, gated, faults.redis]
    wait_until(all_credited, timeout=RECOVERY_BOUND, what="every accepted webhook credited", logs=logs)
    wait_until(all_dispatched, timeout=RECOVERY_BOUND, what="the outbox drained", logs=logs)

    assert answers == [200] * 12
    assert terminated >= 1
    webhooks = WebhookEvent.objects.all()
    assert sorted(webhooks.values_list("status", flat=True)) == ["processed"] * 12
    for payment in deposits:
        wallet = payment.transaction.wallet
        wallet.refresh_from_db()
        assert wallet.balance == payment.transaction.amount  # credited exactly once
        assert Customer.objects.get(pk=wallet.customer_id).deposit_count == 1  # its events handled once
    completed = OutboxEvent.objects.filter(name="deposit.completed")
    assert completed.count() == 12
    for event in completed:
        assert handlers_run(event) == sorted(DEPOSIT_COMPLETED_HANDLERS)
    call_command("verify_ledger")
