import pytest
from django.core.cache import cache
from kombu import Connection

from crm.core.api import views

pytestmark = pytest.mark.django_db


def test_reports_every_dependency_ok(api_client, settings):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"]) == ("ok", [])
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    expected_broker = "ok" if settings.REDIS_URL else "in-process"
    assert body["broker"] == expected_broker


@pytest.mark.redis
def test_reports_the_real_redis_broker_ok(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_broken_broker_is_degraded_not_down(api_client, settings, monkeypatch):
    from config.celery_app import app

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:1/0"))

    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"]) == ("degraded", ["broker"])
    assert body["broker"].startswith("error: ")
    assert body["database"] == "ok"
    assert body["cache"] == "ok"


def test_broken_cache_is_degraded_not_down(api_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", refuse)

    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["degraded"]) == ("degraded", ["cache"])
    assert response.json()["cache"] == "error: ConnectionError"
    assert response.json()["database"] == "ok"


def test_an_unreachable_database_is_down_and_reported_not_raised(api_client, monkeypatch):
    def down() -> str:
        raise OSError("connection refused")

    monkeypatch.setitem(views.CHECKS, "database", down)

    response = api_client.get("/api/health/")

    assert response.status_code == 503
    assert (response.json()["status"], response.json()["degraded"]) == ("down", ["database"])
    assert response.json()["database"] == "error: OSError"


def test_needs_no_login(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = api_client.get("/api/health/")

    assert response.status_code == 200
