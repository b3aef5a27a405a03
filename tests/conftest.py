"""Shared fixtures: API client, staff users per role, and the PostgreSQL/Redis markers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from crm.core.roles import Role
from tests.users.factories import StaffUserFactory


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


REDIS_UP = _redis_reachable()


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (make test does when it is reachable)")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL (make test does when it is reachable)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not REDIS_UP:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files and exports go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves its caller's language active in the thread (as Django does, the next request chooses
    again); each test starts and ends in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def staff_with_role(role: Role, **kwargs):
    return StaffUserFactory(roles=[role], **kwargs)


@pytest.fixture
def admin_staff(db):
    """A staff member with the Admin role (not a superuser)."""
    return staff_with_role(Role.ADMIN)


@pytest.fixture
def sales_agent(db):
    return staff_with_role(Role.SALES_AGENT)


@pytest.fixture
def other_sales_agent(db):
    return staff_with_role(Role.SALES_AGENT)


@pytest.fixture
def sales_manager(db):
    return staff_with_role(Role.SALES_MANAGER)


@pytest.fixture
def retention_agent(db):
    return staff_with_role(Role.RETENTION_AGENT)


@pytest.fixture
def compliance_officer(db):
    return staff_with_role(Role.COMPLIANCE)


@pytest.fixture
def finance_officer(db):
    return staff_with_role(Role.FINANCE)


@pytest.fixture
def support_agent(db):
    return staff_with_role(Role.SUPPORT)
