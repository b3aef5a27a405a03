from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from crm.core.models import Activity
from crm.core.roles import Role
from crm.customers.models import (
    ClientGroup,
    ClientType,
    Comment,
    Country,
    Customer,
    Document,
    SalesStatus,
    VerificationLevel,
    VerificationLimit,
)
from crm.users.models import User

pytestmark = pytest.mark.django_db


def seed(clients: int = 50, *, full: bool = False) -> str:
    """The clients part of the demo; `full` adds the other apps' demo (leads, money, affiliates, trades)."""
    out = StringIO()
    call_command("seed_demo", clients=clients, clients_only=not full, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        User,
        Customer,
        Customer.roles.through,
        Customer.groups.through,
        Document,
        Comment,
        Activity,
        ClientType,
        VerificationLevel,
        VerificationLimit,
        SalesStatus,
        ClientGroup,
        Country,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_running_twice_adds_nothing_the_second_time():
    seed()
    first = counts()

    seed()

    assert counts() == first
    assert first["Customer"] == 50


def test_more_clients_later_adds_only_the_missing_ones():
    seed()
    emails = set(Customer.objects.values_list("email", flat=True))

    seed(clients=80)

    assert Customer.objects.count() == 80
    assert emails < set(Customer.objects.values_list("email", flat=True))


class Rollback(Exception):
    pass


def seed_and_roll_back(found: list[tuple[str, str, str]]) -> None:
    with transaction.atomic():
        seed()
        found += sorted(Customer.objects.values_list("email", "first_name", "country"))
        raise Rollback


def test_the_same_seed_gives_the_same_clients():
    # A first seeding on its own, rolled back (not deleted: in the whole demo, wallets, money and trades keep
    # clients by PROTECT), then a second on the empty database.
    first: list[tuple[str, str, str]] = []
    with pytest.raises(Rollback):
        seed_and_roll_back(first)
    assert not Customer.objects.exists()

    seed()

    assert sorted(Customer.objects.values_list("email", "first_name", "country")) == first


def test_prints_a_working_admin_login(client):
    output = seed()

    assert "admin@demo.local" in output
    assert "demo-backoffice-2024" in output
    assert "demo only" in output.lower()
    admin = User.objects.get(email="admin@demo.local")
    assert admin.is_superuser
    assert admin.is_staff
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin@demo.local", "password": "demo-backoffice-2024"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "another-long-demo-pass")

    output = seed()

    assert "another-long-demo-pass" in output
    assert User.objects.get(email="admin@demo.local").check_password("another-long-demo-pass")


def test_a_changed_admin_password_is_kept_and_not_printed():
    seed()
    admin = User.objects.get(email="admin@demo.local")
    admin.set_password("changed-by-the-owner-1")
    admin.save()

    output = seed()

    assert "unchanged" in output
    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-owner-1")


def test_staff_of_every_role_with_their_permissions():
    seed()

    for role in Role:
        members = User.objects.filter(groups__name=role.value, email__endswith="@demo.local", is_staff=True)
        assert members.exists(), role
    sales1 = User.objects.get(email="sales1@demo.local")
    assert sales1.groups.get().name == Role.SALES_AGENT
    assert sales1.has_perm("customers.view_customer")
    assert not sales1.has_perm("customers.view_all_customers")


def test_clients_are_spread_over_agents_statuses_and_sources():
    seed()

    clients = Customer.objects.all()
    assert clients.values("conversion_agent").distinct().count() >= 3
    assert clients.values("sales_status").distinct().count() >= 3
    assert clients.values("kyc_status").distinct().count() >= 3
    assert clients.values("source").distinct().count() >= 3
    assert clients.filter(introducer__isnull=False).exists()
    assert all(c.email.islower() and "@" in c.email for c in clients)
    assert all(str(c.phone).startswith("+") for c in clients if c.phone)
    assert not clients.filter(conversion_agent__is_staff=False).exists()


def test_verification_levels_chain_with_limits_per_currency():
    seed()

    level0 = VerificationLevel.objects.get(name="Level 0")
    assert level0.is_default
    assert level0.next_level.name == "Level 1"
    assert level0.next_level.next_level.name == "Level 2"
    assert set(level0.next_level.limits.values_list("currency", flat=True)) == {"USD", "EUR", "GBP"}
    assert not Customer.objects.filter(kyc_status="approved", verification_level=level0).exists()


def test_documents_are_real_files_in_private_storage():
    seed()

    documents = list(Document.objects.all())
    assert documents
    storage = Document._meta.get_field("file").storage
    for document in documents[:20]:
        with storage.open(document.file.name) as handle:
            head = handle.read(8)
        assert head.startswith(b"%PDF-") or head == b"\x89PNG\r\n\x1a\n"
        assert document.size == storage.size(document.file.name)
    assert not Document.objects.filter(customer__kyc_status="not_started").exists()
